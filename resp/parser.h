// Incremental RESP request parser: bytes in, one command (a list of argument
// views) out. Pure: no sockets, no allocation per argument beyond a reused
// vector. Understands the multibulk form (`*2\r\n$3\r\nGET\r\n$1\r\nk\r\n`) and
// the inline form typed into telnet (`GET k\r\n`, with "double" and 'single'
// quotes as redis-cli and redis-server split them).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ringkv::resp {

struct ParseLimits {
  // Largest bulk string accepted (`proto-max-bulk-len`); larger lengths are
  // refused when the header is read, before any payload is buffered.
  int64_t max_bulk_len = 512LL * 1024 * 1024;
  // Largest element count of a multibulk request.
  int64_t max_multibulk_len = 2147483647;  // INT_MAX, as redis-server
  // Longest inline command line (Redis: 64 KiB) and longest `*N`/`$N` header line.
  size_t max_inline_len = 64 * 1024;
  // A connection that must still AUTH may send at most 10 arguments of at
  // most 16 KiB each (larger: "Protocol error: unauthenticated ...").
  bool unauthenticated = false;
};

enum class ParseStatus {
  kOk,          // one command parsed; `consumed` bytes belong to it
  kIncomplete,  // need more bytes; call again with the same buffer plus more
  kError,       // protocol error; `error` holds Redis's text; close the connection
};

struct ParseResult {
  ParseStatus status = ParseStatus::kIncomplete;
  size_t consumed = 0;     // bytes of the buffer used by the parsed command (kOk only)
  std::string_view error;  // e.g. "Protocol error: invalid bulk length" (kError only)
};

// One parser per connection. Parse() is given the connection's whole unparsed
// input each time (the same bytes plus whatever arrived since the last call);
// the parser remembers how far it got through a partial multibulk command so a
// command split over many reads is not rescanned from its start. After kOk or
// kError the state resets for the next command; the caller drops `consumed`
// bytes from the front of its buffer before the next call.
//
// On kOk, `args` holds views into `buf`: valid while `buf` is unchanged. A bulk
// string is never copied. An empty inline line (just "\r\n") is consumed and
// yields kOk with zero args; callers skip it.
class Parser {
 public:
  explicit Parser(ParseLimits limits = {}) : limits_(limits) {}
  Parser(const Parser&) = delete;
  Parser& operator=(const Parser&) = delete;

  ParseResult Parse(std::string_view buf, std::vector<std::string_view>* args);

  // Forget any partial command (e.g. the caller discarded its buffer).
  void Reset();

  // Bytes still needed to finish the bulk string being read, if known (0 if
  // not inside a bulk). Lets a connection reserve exactly once for big values.
  size_t PendingBulkBytes() const { return pending_bulk_; }

  void set_limits(const ParseLimits& limits) { limits_ = limits; }

 private:
  ParseResult ParseInline(std::string_view buf, std::vector<std::string_view>* args);
  ParseResult ParseMultibulk(std::string_view buf, std::vector<std::string_view>* args);
  ParseResult Fail(std::string_view error);

  ParseLimits limits_;
  // Multibulk progress, kept as offsets (the caller's buffer may move between calls).
  bool in_multibulk_ = false;
  int64_t expected_args_ = 0;
  size_t pos_ = 0;  // offset of the next unparsed byte of the current command
  std::vector<std::pair<size_t, size_t>> spans_;  // (offset, length) of parsed args
  size_t pending_bulk_ = 0;
  int64_t bulk_len_ = -1;    // length of the bulk whose `$N` header was read; -1 between bulks
  size_t scan_ = 0;          // where the search for the current line's terminator resumes
  std::string inline_args_;  // unescaped inline arguments live here when quoting rewrote them
};

// Splits an inline line into arguments the way redis-server does (sdssplitargs):
// whitespace separates, "double quotes" understand \n \r \t \b \a \\ \" and \xHH,
// 'single quotes' understand \'. A closing quote must be followed by whitespace
// or the end. Returns false on unbalanced quotes. Also used by the config parser.
bool SplitArgs(std::string_view line, std::vector<std::string>* out);

}  // namespace ringkv::resp
