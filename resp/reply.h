// RESP2/RESP3 reply writer. Appends encoded replies to a caller-owned string
// (a connection's output buffer); writes nothing else and owns nothing.
// Higher-level types degrade in RESP2 exactly as redis-server 7 degrades them:
// Map -> flat array of 2n, Set -> array, Double -> bulk string, Bool -> integer
// 0/1, Null -> `$-1` (NullArray -> `*-1`), Verbatim -> bulk string, BigNumber
// -> bulk string, Push -> array.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace ringkv::resp {

class ReplyWriter {
 public:
  // `out` must outlive the writer. `proto` is 2 or 3.
  explicit ReplyWriter(std::string* out, int proto = 2) : out_(out), proto_(proto) {}

  int proto() const { return proto_; }
  void set_proto(int proto) { proto_ = proto; }
  std::string* buffer() { return out_; }
  void set_buffer(std::string* out) { out_ = out; }

  void SimpleString(std::string_view s);  // "+s\r\n"; s must not contain \r or \n
  void Ok() { out_->append("+OK\r\n", 5); }
  // `msg` is the full error line without the leading '-', e.g.
  // "ERR unknown command 'x'" or "WRONGTYPE ...". \r and \n in msg become spaces.
  void Error(std::string_view msg);
  void Integer(int64_t v);
  void Bulk(std::string_view s);
  void Null();       // RESP2 "$-1\r\n", RESP3 "_\r\n"
  void NullArray();  // RESP2 "*-1\r\n", RESP3 "_\r\n"
  void ArrayHeader(int64_t n);
  void MapHeader(int64_t n);  // n key/value pairs
  void SetHeader(int64_t n);
  void PushHeader(int64_t n);
  // Formats like Redis (%.17g, with "inf"/"-inf"/"nan"); RESP3 ",v\r\n".
  void Double(double v);
  void Bool(bool v);
  // RESP3 "=len\r\ntxt:...": `format` is three characters, e.g. "txt".
  void Verbatim(std::string_view s, std::string_view format = "txt");
  void BigNumber(std::string_view digits);

  // Error replies written so far, and the code (first word) of the last one,
  // for the server's error statistics.
  uint64_t errors() const { return errors_; }
  std::string_view last_error_code() const { return {last_code_, last_code_len_}; }

 private:
  void Header(char type, int64_t n);
  std::string* out_;
  int proto_;
  uint64_t errors_ = 0;
  char last_code_[32] = {};
  size_t last_code_len_ = 0;
};

}  // namespace ringkv::resp
