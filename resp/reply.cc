// Byte layouts are redis-server 7.0's (addReply* in networking.c). Every reply
// is built in a small stack buffer and appended to the caller's string, so the
// only allocation is the output string growing.

#include "resp/reply.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace ringkv::resp {
namespace {

constexpr std::string_view kCrlf = "\r\n";

// Room for a type byte, "-9223372036854775808" and CRLF.
constexpr size_t kHeaderBufSize = 24;

// Writes `v` in decimal so that it ends just before `end`; returns its first byte.
char* FormatInt64(int64_t v, char* end) {
  // Negate in unsigned arithmetic so INT64_MIN does not overflow.
  uint64_t u = v < 0 ? 0 - static_cast<uint64_t>(v) : static_cast<uint64_t>(v);
  do {
    *--end = static_cast<char>('0' + u % 10);
    u /= 10;
  } while (u != 0);
  if (v < 0) *--end = '-';
  return end;
}

}  // namespace

void ReplyWriter::Header(char type, int64_t n) {
  char buf[kHeaderBufSize];
  char* const end = buf + sizeof(buf);
  end[-2] = '\r';
  end[-1] = '\n';
  char* first = FormatInt64(n, end - 2);
  *--first = type;
  out_->append(first, static_cast<size_t>(end - first));
}

void ReplyWriter::SimpleString(std::string_view s) {
  out_->push_back('+');
  out_->append(s);
  out_->append(kCrlf);
}

void ReplyWriter::Error(std::string_view msg) {
  ++errors_;
  std::string_view code = msg.substr(0, msg.find(' '));
  last_code_len_ = std::min(code.size(), sizeof(last_code_));
  code.copy(last_code_, last_code_len_);
  // Like Redis: CR and LF at the end are dropped, and a newline inside the
  // message (which would end the reply early and desynchronise the client)
  // becomes a space.
  while (!msg.empty() && (msg.back() == '\r' || msg.back() == '\n')) msg.remove_suffix(1);
  out_->push_back('-');
  const size_t start = out_->size();
  out_->append(msg);
  for (size_t i = start; i < out_->size(); ++i) {
    char& c = (*out_)[i];
    if (c == '\r' || c == '\n') c = ' ';
  }
  out_->append(kCrlf);
}

void ReplyWriter::Integer(int64_t v) { Header(':', v); }

void ReplyWriter::Bulk(std::string_view s) {
  Header('$', static_cast<int64_t>(s.size()));
  out_->append(s);
  out_->append(kCrlf);
}

void ReplyWriter::Null() {
  if (proto_ == 3) {
    out_->append("_\r\n", 3);
  } else {
    out_->append("$-1\r\n", 5);
  }
}

void ReplyWriter::NullArray() {
  if (proto_ == 3) {
    out_->append("_\r\n", 3);
  } else {
    out_->append("*-1\r\n", 5);
  }
}

void ReplyWriter::ArrayHeader(int64_t n) { Header('*', n); }

void ReplyWriter::MapHeader(int64_t n) {
  if (proto_ == 3) {
    Header('%', n);
  } else {
    Header('*', n * 2);
  }
}

void ReplyWriter::SetHeader(int64_t n) { Header(proto_ == 3 ? '~' : '*', n); }

void ReplyWriter::PushHeader(int64_t n) { Header(proto_ == 3 ? '>' : '*', n); }

void ReplyWriter::Double(double v) {
  // Infinities are spelled out because libc spellings differ; NaN likewise,
  // and without the sign glibc would print for a negative NaN.
  char buf[64];
  std::string_view text;
  if (std::isinf(v)) {
    text = v > 0 ? "inf" : "-inf";
  } else if (std::isnan(v)) {
    text = "nan";
  } else {
    const int len = std::snprintf(buf, sizeof(buf), "%.17g", v);
    text = std::string_view(buf, static_cast<size_t>(len));
  }
  if (proto_ == 3) {
    out_->push_back(',');
    out_->append(text);
    out_->append(kCrlf);
  } else {
    Bulk(text);
  }
}

void ReplyWriter::Bool(bool v) {
  if (proto_ == 3) {
    out_->append(v ? "#t\r\n" : "#f\r\n", 4);
  } else {
    out_->append(v ? ":1\r\n" : ":0\r\n", 4);
  }
}

void ReplyWriter::Verbatim(std::string_view s, std::string_view format) {
  if (proto_ != 3) {
    Bulk(s);
    return;
  }
  // The declared length covers the "txt:" prefix too.
  Header('=', static_cast<int64_t>(format.size() + 1 + s.size()));
  out_->append(format);
  out_->push_back(':');
  out_->append(s);
  out_->append(kCrlf);
}

void ReplyWriter::BigNumber(std::string_view digits) {
  if (proto_ != 3) {
    Bulk(digits);
    return;
  }
  out_->push_back('(');
  out_->append(digits);
  out_->append(kCrlf);
}

}  // namespace ringkv::resp
