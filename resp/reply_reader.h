// Incremental RESP2/RESP3 reply reader: the client side of a peer link, where
// this server reads the replies a peer sends back. Bytes in, one RespValue
// tree out. Pure: no sockets, no allocation until a reply is complete.
//
// Understood: + - : $ * (RESP2) and _ , # ! = ( % ~ > (RESP3). Not
// understood (kError): attributes (`|`), streamed strings and aggregates
// (`$?`, `*?`), and any other type byte.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "resp/parser.h"

namespace ringkv::resp {

// One decoded reply. Only the fields that belong to `type` are set; the rest
// keep their defaults.
struct RespValue {
  enum Type {
    kSimple,     // str: the status text ("OK")
    kError,      // str: the whole error line without '-' ("ERR no such key"); also `!` blob errors
    kInteger,    // integer
    kBulk,       // str: the payload (binary safe)
    kNull,       // `$-1`, `*-1` or `_`; integer is 1 for a RESP2 null array (`*-1`), else 0
    kArray,      // elems
    kMap,        // elems: flat k1, v1, k2, v2, ... (even size)
    kSet,        // elems
    kDouble,     // dbl (",inf" / ",-inf" / ",nan" included)
    kBool,       // integer: 1 or 0
    kVerbatim,   // str: the text after the three-letter format and ':' (the format is dropped)
    kBigNumber,  // str: the digits, with a leading '-' if negative
    kPush,       // elems
  };

  Type type = kNull;
  std::string str;
  int64_t integer = 0;
  double dbl = 0;
  std::vector<RespValue> elems;

  // Field-by-field equality (doubles compare as doubles, so NaN != NaN).
  bool operator==(const RespValue&) const = default;
};

struct ReplyLimits {
  // Largest bulk, blob error or verbatim payload; refused when its header is
  // read, before any payload is waited for.
  int64_t max_bulk_len = 512LL * 1024 * 1024;
  // Most values in one reply, counting every element of every aggregate at any
  // depth (a map of n pairs counts 2n). Checked against each aggregate's
  // declared size as its header is read, so a hostile `*1000000000` costs
  // nothing. Bounds the size of the RespValue tree built for one reply.
  int64_t max_elements = 1024 * 1024;
  // Most aggregates open at once: a top-level array is depth 1.
  int max_depth = 32;
  // Longest line: simple strings, errors, numbers and headers.
  size_t max_line_len = 64 * 1024;
};

// One reader per peer connection. Parse() is given the connection's whole
// unparsed input each time (the same bytes plus whatever arrived since the last
// call), exactly like resp::Parser. The reader remembers how far it validated
// a partial reply, so nothing is rescanned; only once the whole reply is in
// `buf` is the RespValue tree built (a bulk payload is copied exactly once).
// After kOk or kError the state resets for the next reply; on kOk the caller
// drops `*consumed` bytes from the front of its buffer before the next call.
//
// Not thread-safe; owned by the connection's thread.
class ReplyReader {
 public:
  explicit ReplyReader(ReplyLimits limits = {}) : limits_(limits) {}
  ReplyReader(const ReplyReader&) = delete;
  ReplyReader& operator=(const ReplyReader&) = delete;

  // kOk: `*out` holds one whole reply (overwritten) and `*consumed` its length
  // in bytes. kIncomplete: call again with more bytes; `*out` and `*consumed`
  // are untouched. kError: the stream is corrupt or over a limit; error()
  // says why; close the connection. `buf` is only read during the call.
  ParseStatus Parse(std::string_view buf, RespValue* out, size_t* consumed);

  // The reason for the last kError, e.g. "Protocol error: invalid bulk length".
  std::string_view error() const { return error_; }

  // Forget any partial reply (e.g. the caller discarded its buffer).
  void Reset();

  // Bytes still needed to finish the bulk payload being waited for (0 if none).
  size_t PendingBulkBytes() const { return pending_bulk_; }

 private:
  ParseStatus Fail(std::string_view error);
  // One value (and, for aggregates, its children that are at or after `pos_`)
  // has been fully validated: pops finished aggregates; true when the reply
  // is complete.
  bool FinishValue();

  ReplyLimits limits_;
  std::string_view error_;
  // Validation progress, as offsets (the caller's buffer may move between calls).
  size_t pos_ = 0;                  // first byte not yet validated
  size_t scan_ = 0;                 // where the search for the current line's CRLF resumes
  std::vector<int64_t> remaining_;  // per open aggregate: children still to read
  int64_t elements_ = 0;            // values declared so far by aggregate headers
  bool in_blob_ = false;            // the header of a $ ! = blob was read; `pos_` is its payload
  char blob_type_ = 0;
  int64_t blob_len_ = 0;
  size_t pending_bulk_ = 0;
};

// The RESP2 bytes of `v`, as redis-server 7 degrades RESP3 types for a RESP2
// client (the same forms as ReplyWriter with proto 2): map/set/push -> array,
// double -> bulk ("%.17g", "inf", "-inf", "nan"), bool -> integer, verbatim and
// big number -> bulk, null -> `$-1` (`*-1` if integer is 1). \r and \n in a
// simple string or error become spaces. Any RespValue encodes; parsing what
// ReplyWriter wrote in RESP2 and encoding it again gives back the same bytes.
std::string EncodeValue(const RespValue& v);
void AppendValue(const RespValue& v, std::string* out);

}  // namespace ringkv::resp
