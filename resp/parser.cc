// Request parsing follows redis-server 7 (networking.c, sds.c) in what it
// accepts and in the exact error texts it returns, with two deliberate
// differences: header lines and bulk strings must end in "\r\n" (Redis skips
// whatever two bytes follow), and lines are searched with memchr rather than
// strchr, so an embedded NUL does not hide the line's end.

#include "resp/parser.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <limits>

namespace ringkv::resp {
namespace {

constexpr std::string_view kInvalidMultibulkLen = "Protocol error: invalid multibulk length";
constexpr std::string_view kInvalidBulkLen = "Protocol error: invalid bulk length";
constexpr std::string_view kUnauthMultibulkLen = "Protocol error: unauthenticated multibulk length";
constexpr std::string_view kUnauthBulkLen = "Protocol error: unauthenticated bulk length";
// What a client that has not authenticated may send (redis-server's limits).
constexpr int64_t kUnauthMaxMultibulk = 10;
constexpr int64_t kUnauthMaxBulk = 16384;
constexpr std::string_view kTooBigMbulkCount = "Protocol error: too big mbulk count string";
constexpr std::string_view kTooBigBulkCount = "Protocol error: too big bulk count string";
constexpr std::string_view kBulkNotTerminated = "Protocol error: expected CRLF after bulk string";
constexpr std::string_view kUnbalancedQuotes = "Protocol error: unbalanced quotes in request";
constexpr std::string_view kTooBigInline = "Protocol error: too big inline request";

// A `*N` header is only a claim: reserve for at most this many arguments up
// front (as Redis does) and let the vector grow as arguments really arrive.
constexpr int64_t kMaxPreallocatedArgs = 1024;
// A connection that once sent a huge command gives the memory back afterwards.
constexpr size_t kMaxRetainedSpans = 64 * 1024;

// "Protocol error: expected '$', got 'X'" for every byte X, built once so the
// returned view needs no per-parser storage and outlives any Parse call.
std::string_view ExpectedDollarError(unsigned char got) {
  static const std::array<std::string, 256> kTexts = [] {
    std::array<std::string, 256> texts;
    for (size_t c = 0; c < texts.size(); ++c) {
      texts[c] = "Protocol error: expected '$', got '";
      texts[c].push_back(static_cast<char>(c));
      texts[c].push_back('\'');
    }
    return texts;
  }();
  return kTexts[got];
}

// The integer grammar of Redis's string2ll: an optional '-', then digits with
// no leading zero (except "0" itself); no '+', no spaces, at most 20 bytes,
// and the value must fit in int64. "*01" and "$+3" are therefore errors.
bool ParseStrictInt64(std::string_view s, int64_t* out) {
  if (s.empty() || s.size() > 20) return false;
  if (s.size() == 1 && s[0] == '0') {
    *out = 0;
    return true;
  }
  size_t i = 0;
  const bool negative = s[0] == '-';
  if (negative && ++i == s.size()) return false;
  if (s[i] < '1' || s[i] > '9') return false;
  uint64_t v = 0;
  // Up to 19 digits cannot overflow 64 bits (10^19 - 1 < 2^64); only a 20th
  // needs the check, so the common lengths take no division.
  for (; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    const uint64_t digit = static_cast<uint64_t>(s[i] - '0');
    if (i >= 19 + (negative ? 1 : 0) && v > (std::numeric_limits<uint64_t>::max() - digit) / 10) {
      return false;
    }
    v = v * 10 + digit;
  }
  if (negative) {
    if (v > uint64_t{1} << 63) return false;
    *out = static_cast<int64_t>(0 - v);  // modular in C++20, so 2^63 gives INT64_MIN
  } else {
    if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return false;
    *out = static_cast<int64_t>(v);
  }
  return true;
}

enum class LineEnd { kFound, kNeedMore, kTooLong };

// Looks for `terminator` ending the line that starts at `start`, resuming at
// *scan where the previous call gave up, so a line trickling in byte by byte
// is scanned once. Like Redis, a line is "too long" only while no terminator
// has been seen and more than `max_len` bytes wait after its start.
LineEnd FindLineEnd(std::string_view buf, size_t start, char terminator, size_t max_len,
                    size_t* scan, size_t* at) {
  const void* hit = nullptr;
  if (*scan < buf.size()) hit = std::memchr(buf.data() + *scan, terminator, buf.size() - *scan);
  if (hit == nullptr) {
    *scan = buf.size();
    return buf.size() - start > max_len ? LineEnd::kTooLong : LineEnd::kNeedMore;
  }
  *at = static_cast<size_t>(static_cast<const char*>(hit) - buf.data());
  *scan = *at;  // if the caller still needs the byte after it, the next search is instant
  return LineEnd::kFound;
}

// isspace() in the C locale, which is what sdssplitargs skips between arguments.
bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

// An unquoted argument ends only at these (so "a\vb" is one argument).
bool EndsBareArg(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\0'; }

bool IsHexDigit(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return c - 'A' + 10;
}

// sdssplitargs reads a C string, so a NUL ends the line; the rest is ignored.
std::string_view UpToNul(std::string_view line) { return line.substr(0, line.find('\0')); }

// The common inline case (`GET k`): no quotes, so every argument is a slice of
// `line` and nothing is copied. Returns false at the first quote character;
// the caller then starts over with the unescaping splitter.
bool SplitBare(std::string_view line, std::vector<std::string_view>* out) {
  line = UpToNul(line);
  size_t i = 0;
  for (;;) {
    while (i < line.size() && IsSpace(line[i])) ++i;
    if (i == line.size()) return true;
    const size_t start = i;
    for (; i < line.size() && !EndsBareArg(line[i]); ++i) {
      if (line[i] == '"' || line[i] == '\'') return false;
    }
    out->emplace_back(line.data() + start, i - start);
  }
}

// Full sdssplitargs semantics. Appends each argument's bytes to *store and
// records its (offset, length) within *store. Unescaping only shrinks, so
// *store grows by at most line.size(). Returns false on unbalanced quotes or a
// closing quote followed by something other than whitespace.
bool SplitQuoted(std::string_view line, std::string* store,
                 std::vector<std::pair<size_t, size_t>>* spans) {
  line = UpToNul(line);
  store->reserve(store->size() + line.size());
  // Past the end reads as NUL, the C string's terminator.
  auto at = [line](size_t k) { return k < line.size() ? line[k] : '\0'; };
  size_t i = 0;
  for (;;) {
    while (i < line.size() && IsSpace(line[i])) ++i;
    if (i == line.size()) return true;
    const size_t start = store->size();
    enum class Quote { kNone, kDouble, kSingle } quote = Quote::kNone;
    for (bool done = false; !done;) {
      const char c = at(i);
      if (quote == Quote::kDouble) {
        if (c == '\\' && at(i + 1) == 'x' && IsHexDigit(at(i + 2)) && IsHexDigit(at(i + 3))) {
          store->push_back(static_cast<char>(HexValue(at(i + 2)) * 16 + HexValue(at(i + 3))));
          i += 4;
        } else if (c == '\\' && at(i + 1) != '\0') {
          char unescaped = at(i + 1);
          switch (unescaped) {
            case 'n':
              unescaped = '\n';
              break;
            case 'r':
              unescaped = '\r';
              break;
            case 't':
              unescaped = '\t';
              break;
            case 'b':
              unescaped = '\b';
              break;
            case 'a':
              unescaped = '\a';
              break;
            default:
              break;  // \" \\ and any other \c mean c
          }
          store->push_back(unescaped);
          i += 2;
        } else if (c == '"') {
          if (at(i + 1) != '\0' && !IsSpace(at(i + 1))) return false;
          ++i;
          done = true;
        } else if (c == '\0') {
          return false;
        } else {
          store->push_back(c);
          ++i;
        }
      } else if (quote == Quote::kSingle) {
        if (c == '\\' && at(i + 1) == '\'') {
          store->push_back('\'');
          i += 2;
        } else if (c == '\'') {
          if (at(i + 1) != '\0' && !IsSpace(at(i + 1))) return false;
          ++i;
          done = true;
        } else if (c == '\0') {
          return false;
        } else {
          store->push_back(c);
          ++i;
        }
      } else if (EndsBareArg(c)) {
        if (c != '\0') ++i;
        done = true;
      } else if (c == '"') {
        quote = Quote::kDouble;  // a quote may open mid-argument: a"b c" is `ab c`
        ++i;
      } else if (c == '\'') {
        quote = Quote::kSingle;
        ++i;
      } else {
        store->push_back(c);
        ++i;
      }
    }
    spans->emplace_back(start, store->size() - start);
  }
}

}  // namespace

ParseResult Parser::Parse(std::string_view buf, std::vector<std::string_view>* args) {
  // Offsets beyond the buffer mean the caller broke the "same bytes plus more"
  // rule; start over rather than read out of bounds.
  if (pos_ > buf.size() || scan_ > buf.size()) Reset();
  if (buf.empty()) return {};
  if (in_multibulk_ || buf[0] == '*') return ParseMultibulk(buf, args);
  return ParseInline(buf, args);
}

void Parser::Reset() {
  in_multibulk_ = false;
  expected_args_ = 0;
  pos_ = 0;
  scan_ = 0;
  pending_bulk_ = 0;
  bulk_len_ = -1;
  if (spans_.capacity() > kMaxRetainedSpans) {
    std::vector<std::pair<size_t, size_t>>().swap(spans_);
  } else {
    spans_.clear();
  }
}

ParseResult Parser::Fail(std::string_view error) {
  Reset();
  return {ParseStatus::kError, 0, error};
}

ParseResult Parser::ParseMultibulk(std::string_view buf, std::vector<std::string_view>* args) {
  size_t cr = 0;
  if (!in_multibulk_) {
    switch (FindLineEnd(buf, 0, '\r', limits_.max_inline_len, &scan_, &cr)) {
      case LineEnd::kTooLong:
        return Fail(kTooBigMbulkCount);
      case LineEnd::kNeedMore:
        return {};
      case LineEnd::kFound:
        break;
    }
    if (cr + 1 == buf.size()) return {};
    int64_t count = 0;
    if (buf[cr + 1] != '\n' || !ParseStrictInt64(buf.substr(1, cr - 1), &count) ||
        count > limits_.max_multibulk_len) {
      return Fail(kInvalidMultibulkLen);
    }
    if (limits_.unauthenticated && count > kUnauthMaxMultibulk) return Fail(kUnauthMultibulkLen);
    pos_ = scan_ = cr + 2;
    if (count > 0) {
      in_multibulk_ = true;
      expected_args_ = count;
      spans_.clear();
      spans_.reserve(static_cast<size_t>(std::min(count, kMaxPreallocatedArgs)));
    }
    // count <= 0 (`*0`, `*-1`): an empty command, consumed; the loop is skipped.
  }

  while (static_cast<int64_t>(spans_.size()) < expected_args_) {
    if (bulk_len_ < 0) {
      switch (FindLineEnd(buf, pos_, '\r', limits_.max_inline_len, &scan_, &cr)) {
        case LineEnd::kTooLong:
          return Fail(kTooBigBulkCount);
        case LineEnd::kNeedMore:
          return {};
        case LineEnd::kFound:
          break;
      }
      if (cr + 1 == buf.size()) return {};
      // Redis checks the type byte only once the whole line is there.
      if (buf[pos_] != '$') return Fail(ExpectedDollarError(static_cast<unsigned char>(buf[pos_])));
      int64_t len = 0;
      if (buf[cr + 1] != '\n' || !ParseStrictInt64(buf.substr(pos_ + 1, cr - pos_ - 1), &len) ||
          len < 0 || len > limits_.max_bulk_len) {
        return Fail(kInvalidBulkLen);
      }
      if (limits_.unauthenticated && len > kUnauthMaxBulk) return Fail(kUnauthBulkLen);
      bulk_len_ = len;
      pos_ = scan_ = cr + 2;
    }
    const size_t payload_end = pos_ + static_cast<size_t>(bulk_len_);
    if (buf.size() < payload_end + 2) {
      // Counted with the trailing CRLF: exactly what must still arrive.
      pending_bulk_ = payload_end + 2 - buf.size();
      return {};
    }
    if (buf[payload_end] != '\r' || buf[payload_end + 1] != '\n') return Fail(kBulkNotTerminated);
    spans_.emplace_back(pos_, static_cast<size_t>(bulk_len_));
    pos_ = scan_ = payload_end + 2;
    bulk_len_ = -1;
    pending_bulk_ = 0;
  }

  args->clear();
  for (const auto& [offset, len] : spans_) args->emplace_back(buf.data() + offset, len);
  const ParseResult result{ParseStatus::kOk, pos_, {}};
  Reset();
  return result;
}

ParseResult Parser::ParseInline(std::string_view buf, std::vector<std::string_view>* args) {
  size_t newline = 0;
  switch (FindLineEnd(buf, 0, '\n', limits_.max_inline_len, &scan_, &newline)) {
    case LineEnd::kTooLong:
      return Fail(kTooBigInline);
    case LineEnd::kNeedMore:
      return {};
    case LineEnd::kFound:
      break;
  }
  const size_t line_len = newline > 0 && buf[newline - 1] == '\r' ? newline - 1 : newline;
  const std::string_view line = buf.substr(0, line_len);

  args->clear();
  if (!SplitBare(line, args)) {
    args->clear();
    spans_.clear();
    inline_args_.clear();
    if (!SplitQuoted(line, &inline_args_, &spans_)) return Fail(kUnbalancedQuotes);
    for (const auto& [offset, len] : spans_) {
      args->emplace_back(inline_args_.data() + offset, len);
    }
  }
  Reset();
  return {ParseStatus::kOk, newline + 1, {}};
}

bool SplitArgs(std::string_view line, std::vector<std::string>* out) {
  out->clear();
  std::string store;
  std::vector<std::pair<size_t, size_t>> spans;
  if (!SplitQuoted(line, &store, &spans)) return false;
  out->reserve(spans.size());
  for (const auto& [offset, len] : spans) out->emplace_back(store, offset, len);
  return true;
}

}  // namespace ringkv::resp
