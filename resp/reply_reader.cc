// Two passes over one reply. The first (Parse) validates headers and lines as
// bytes arrive and remembers only offsets and the counts still owed by each
// open aggregate, so an incomplete reply costs no allocation and is never
// rescanned. The second (Build) runs once the whole reply is in the buffer and
// turns the already-validated bytes into a RespValue, copying each payload
// once. Keeping all checks in the first pass means a hostile peer hits a limit
// before the tree for its reply is ever allocated.

#include "resp/reply_reader.h"

#include <algorithm>
#include <charconv>
#include <system_error>

#include "resp/reply.h"

namespace ringkv::resp {
namespace {

constexpr std::string_view kBadType = "Protocol error: invalid reply type byte";
constexpr std::string_view kBadLineEnd = "Protocol error: expected CRLF at end of line";
constexpr std::string_view kLineTooLong = "Protocol error: too long line in reply";
constexpr std::string_view kBadInteger = "Protocol error: invalid integer";
constexpr std::string_view kBadDouble = "Protocol error: invalid double";
constexpr std::string_view kBadBool = "Protocol error: invalid boolean";
constexpr std::string_view kBadNull = "Protocol error: invalid null";
constexpr std::string_view kBadBigNumber = "Protocol error: invalid big number";
constexpr std::string_view kBadBulkLen = "Protocol error: invalid bulk length";
constexpr std::string_view kBulkTooBig = "Protocol error: bulk length over the limit";
constexpr std::string_view kBulkNotTerminated = "Protocol error: expected CRLF after bulk string";
constexpr std::string_view kBadVerbatim = "Protocol error: invalid verbatim string";
constexpr std::string_view kBadAggregateLen = "Protocol error: invalid multibulk length";
constexpr std::string_view kTooManyElements = "Protocol error: too many elements in reply";
constexpr std::string_view kTooDeep = "Protocol error: reply nested too deep";

// A verbatim payload starts with a three-letter format and ':' ("txt:").
constexpr int64_t kVerbatimPrefix = 4;

bool ParseInteger(std::string_view s, int64_t* out) {
  if (s.empty()) return false;
  const char* end = s.data() + s.size();
  auto [ptr, ec] = std::from_chars(s.data(), end, *out);
  return ec == std::errc() && ptr == end;
}

bool ParseDouble(std::string_view s, double* out) {
  if (s.empty()) return false;
  const char* end = s.data() + s.size();
  auto [ptr, ec] = std::from_chars(s.data(), end, *out);
  return ec == std::errc() && ptr == end;
}

bool IsBigNumber(std::string_view s) {
  if (!s.empty() && s[0] == '-') s.remove_prefix(1);
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool IsBlob(char type) { return type == '$' || type == '!' || type == '='; }
bool IsAggregate(char type) { return type == '*' || type == '%' || type == '~' || type == '>'; }
bool IsLine(char type) {
  switch (type) {
    case '+':
    case '-':
    case ':':
    case ',':
    case '#':
    case '_':
    case '(':
      return true;
    default:
      return false;
  }
}

// Decodes the value that starts at `*pos` of `buf`, which the first pass has
// already validated in full, and moves `*pos` past it.
void Build(std::string_view buf, size_t* pos, RespValue* v) {
  const char type = buf[*pos];
  const size_t eol = buf.find('\r', *pos + 1);
  const std::string_view line = buf.substr(*pos + 1, eol - *pos - 1);
  *pos = eol + 2;
  int64_t n = 0;
  switch (type) {
    case '+':
      v->type = RespValue::kSimple;
      v->str.assign(line);
      return;
    case '-':
      v->type = RespValue::kError;
      v->str.assign(line);
      return;
    case ':':
      v->type = RespValue::kInteger;
      ParseInteger(line, &v->integer);
      return;
    case ',':
      v->type = RespValue::kDouble;
      ParseDouble(line, &v->dbl);
      return;
    case '#':
      v->type = RespValue::kBool;
      v->integer = line == "t" ? 1 : 0;
      return;
    case '_':
      v->type = RespValue::kNull;
      return;
    case '(':
      v->type = RespValue::kBigNumber;
      v->str.assign(line);
      return;
    default:
      break;
  }
  ParseInteger(line, &n);
  if (IsBlob(type)) {
    if (n < 0) {  // only `$-1` passed validation
      v->type = RespValue::kNull;
      return;
    }
    const size_t len = static_cast<size_t>(n);
    std::string_view payload = buf.substr(*pos, len);
    *pos += len + 2;
    if (type == '$') {
      v->type = RespValue::kBulk;
    } else if (type == '!') {
      v->type = RespValue::kError;
    } else {
      v->type = RespValue::kVerbatim;
      payload.remove_prefix(kVerbatimPrefix);
    }
    v->str.assign(payload);
    return;
  }
  if (n < 0) {  // only `*-1` passed validation
    v->type = RespValue::kNull;
    v->integer = 1;
    return;
  }
  switch (type) {
    case '*':
      v->type = RespValue::kArray;
      break;
    case '%':
      v->type = RespValue::kMap;
      n *= 2;
      break;
    case '~':
      v->type = RespValue::kSet;
      break;
    default:
      v->type = RespValue::kPush;
      break;
  }
  // `n` was checked against max_elements and every element is in `buf`.
  v->elems.resize(static_cast<size_t>(n));
  for (RespValue& e : v->elems) Build(buf, pos, &e);
}

// Simple strings cannot carry CR or LF; like ReplyWriter::Error, they become spaces.
void AppendLine(char type, std::string_view s, std::string* out) {
  out->push_back(type);
  const size_t start = out->size();
  out->append(s);
  for (size_t i = start; i < out->size(); ++i) {
    char& c = (*out)[i];
    if (c == '\r' || c == '\n') c = ' ';
  }
  out->append("\r\n", 2);
}

void Append(const RespValue& v, ReplyWriter& w) {
  std::string* out = w.buffer();
  switch (v.type) {
    case RespValue::kSimple:
      AppendLine('+', v.str, out);
      return;
    case RespValue::kError:
      w.Error(v.str);
      return;
    case RespValue::kInteger:
      w.Integer(v.integer);
      return;
    case RespValue::kBulk:
    case RespValue::kVerbatim:
    case RespValue::kBigNumber:
      w.Bulk(v.str);
      return;
    case RespValue::kNull:
      if (v.integer == 1) {
        w.NullArray();
      } else {
        w.Null();
      }
      return;
    case RespValue::kDouble:
      w.Double(v.dbl);
      return;
    case RespValue::kBool:
      w.Bool(v.integer != 0);
      return;
    case RespValue::kArray:
    case RespValue::kMap:
    case RespValue::kSet:
    case RespValue::kPush:
      // The element count, not MapHeader: a map is already flat here.
      w.ArrayHeader(static_cast<int64_t>(v.elems.size()));
      for (const RespValue& e : v.elems) Append(e, w);
      return;
  }
}

}  // namespace

ParseStatus ReplyReader::Fail(std::string_view error) {
  Reset();
  error_ = error;
  return ParseStatus::kError;
}

void ReplyReader::Reset() {
  error_ = {};
  pos_ = 0;
  scan_ = 0;
  remaining_.clear();
  elements_ = 0;
  in_blob_ = false;
  blob_type_ = 0;
  blob_len_ = 0;
  pending_bulk_ = 0;
}

bool ReplyReader::FinishValue() {
  for (;;) {
    if (remaining_.empty()) return true;
    if (--remaining_.back() > 0) return false;
    remaining_.pop_back();  // the aggregate itself is now a finished child of its parent
  }
}

ParseStatus ReplyReader::Parse(std::string_view buf, RespValue* out, size_t* consumed) {
  for (;;) {
    if (in_blob_) {
      const size_t need = static_cast<size_t>(blob_len_) + 2;
      const size_t have = buf.size() - pos_;
      if (have < need) {
        pending_bulk_ = need - have;
        return ParseStatus::kIncomplete;
      }
      pending_bulk_ = 0;
      const size_t end = pos_ + static_cast<size_t>(blob_len_);
      if (buf[end] != '\r' || buf[end + 1] != '\n') return Fail(kBulkNotTerminated);
      if (blob_type_ == '=' && (blob_len_ < kVerbatimPrefix || buf[pos_ + 3] != ':')) {
        return Fail(kBadVerbatim);
      }
      in_blob_ = false;
      pos_ = end + 2;
      if (FinishValue()) break;
      continue;
    }

    if (pos_ >= buf.size()) return ParseStatus::kIncomplete;
    const char type = buf[pos_];
    // Garbage is refused at its first byte, not after waiting for a line.
    if (!IsLine(type) && !IsBlob(type) && !IsAggregate(type)) return Fail(kBadType);

    // Find the end of the line; CR or LF anywhere inside it is an error.
    size_t eol = std::max(scan_, pos_ + 1);
    while (eol < buf.size() && buf[eol] != '\r' && buf[eol] != '\n') ++eol;
    if (eol - pos_ - 1 > limits_.max_line_len) return Fail(kLineTooLong);
    if (eol == buf.size()) {
      scan_ = eol;
      return ParseStatus::kIncomplete;
    }
    if (buf[eol] != '\r') return Fail(kBadLineEnd);
    if (eol + 1 == buf.size()) {
      scan_ = eol;
      return ParseStatus::kIncomplete;
    }
    if (buf[eol + 1] != '\n') return Fail(kBadLineEnd);
    const std::string_view line = buf.substr(pos_ + 1, eol - pos_ - 1);
    scan_ = 0;
    pos_ = eol + 2;

    if (IsLine(type)) {
      int64_t i = 0;
      double d = 0;
      switch (type) {
        case ':':
          if (!ParseInteger(line, &i)) return Fail(kBadInteger);
          break;
        case ',':
          if (!ParseDouble(line, &d)) return Fail(kBadDouble);
          break;
        case '#':
          if (line != "t" && line != "f") return Fail(kBadBool);
          break;
        case '_':
          if (!line.empty()) return Fail(kBadNull);
          break;
        case '(':
          if (!IsBigNumber(line)) return Fail(kBadBigNumber);
          break;
        default:  // + and -: any text
          break;
      }
      if (FinishValue()) break;
      continue;
    }

    int64_t n = 0;
    if (IsBlob(type)) {
      if (!ParseInteger(line, &n) || n < -1 || (n == -1 && type != '$')) return Fail(kBadBulkLen);
      if (n > limits_.max_bulk_len) return Fail(kBulkTooBig);
      if (n == -1) {
        if (FinishValue()) break;
        continue;
      }
      in_blob_ = true;
      blob_type_ = type;
      blob_len_ = n;
      continue;
    }

    // An aggregate.
    if (!ParseInteger(line, &n) || n < -1 || (n == -1 && type != '*')) {
      return Fail(kBadAggregateLen);
    }
    if (n == -1) {
      if (FinishValue()) break;
      continue;
    }
    if (remaining_.size() >= static_cast<size_t>(std::max(limits_.max_depth, 0))) {
      return Fail(kTooDeep);
    }
    const int64_t budget = limits_.max_elements - elements_;
    if (n > budget || (type == '%' && n > budget / 2)) return Fail(kTooManyElements);
    if (type == '%') n *= 2;
    elements_ += n;
    if (n == 0) {
      if (FinishValue()) break;
      continue;
    }
    remaining_.push_back(n);
  }

  // The whole reply, [0, pos_), is validated and present.
  const size_t end = pos_;
  Reset();
  *out = RespValue();
  size_t pos = 0;
  Build(buf.substr(0, end), &pos, out);
  *consumed = end;
  return ParseStatus::kOk;
}

void AppendValue(const RespValue& v, std::string* out) {
  ReplyWriter w(out, 2);
  Append(v, w);
}

std::string EncodeValue(const RespValue& v) {
  std::string out;
  AppendValue(v, &out);
  return out;
}

}  // namespace ringkv::resp
