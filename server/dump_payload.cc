#include "server/dump_payload.h"

#include <array>
#include <charconv>
#include <cstring>

namespace ringkv::server {
namespace {

constexpr uint8_t kRdbTypeString = 0;
// The two top bits of a length's first byte.
constexpr uint8_t kLen6 = 0, kLen14 = 1, kLen32Or64 = 2, kEncoded = 3;
constexpr uint8_t kLen32 = 0x80, kLen64 = 0x81;
// The low six bits of an encoded string's first byte.
constexpr uint8_t kEncInt8 = 0, kEncInt16 = 1, kEncInt32 = 2, kEncLzf = 3;

constexpr std::array<uint64_t, 256> MakeCrcTable() {
  // The Jones polynomial 0xad93d23594c935a9, bit-reflected.
  constexpr uint64_t kPoly = 0x95ac9329ac4bc9b5ULL;
  std::array<uint64_t, 256> t{};
  for (uint64_t i = 0; i < 256; ++i) {
    uint64_t c = i;
    for (int b = 0; b < 8; ++b) c = (c & 1) ? (c >> 1) ^ kPoly : c >> 1;
    t[i] = c;
  }
  return t;
}
constexpr std::array<uint64_t, 256> kCrcTable = MakeCrcTable();

void PutLength(std::string* out, uint64_t n) {
  if (n < (1u << 6)) {
    out->push_back(static_cast<char>(n));
  } else if (n < (1u << 14)) {
    out->push_back(static_cast<char>((kLen14 << 6) | (n >> 8)));
    out->push_back(static_cast<char>(n & 0xff));
  } else if (n <= UINT32_MAX) {
    out->push_back(static_cast<char>(kLen32));
    for (int shift = 24; shift >= 0; shift -= 8) out->push_back(static_cast<char>(n >> shift));
  } else {
    out->push_back(static_cast<char>(kLen64));
    for (int shift = 56; shift >= 0; shift -= 8) out->push_back(static_cast<char>(n >> shift));
  }
}

void PutLittleEndian(std::string* out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out->push_back(static_cast<char>(v >> (8 * i)));
}

// Redis's integer encoding: the value must read back as the same text.
bool PutInteger(std::string* out, std::string_view s) {
  if (s.empty() || s.size() > 11) return false;
  int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return false;
  char back[24];
  auto r = std::to_chars(back, back + sizeof back, v);
  if (std::string_view(back, static_cast<size_t>(r.ptr - back)) != s) return false;  // "+1", "01"
  if (v >= INT8_MIN && v <= INT8_MAX) {
    out->push_back(static_cast<char>((kEncoded << 6) | kEncInt8));
    PutLittleEndian(out, static_cast<uint64_t>(v), 1);
  } else if (v >= INT16_MIN && v <= INT16_MAX) {
    out->push_back(static_cast<char>((kEncoded << 6) | kEncInt16));
    PutLittleEndian(out, static_cast<uint64_t>(v), 2);
  } else if (v >= INT32_MIN && v <= INT32_MAX) {
    out->push_back(static_cast<char>((kEncoded << 6) | kEncInt32));
    PutLittleEndian(out, static_cast<uint64_t>(v), 4);
  } else {
    return false;
  }
  return true;
}

// Reads from a payload's object part; every read is bounds-checked.
class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  bool empty() const { return in_.empty(); }
  bool Byte(uint8_t* b) {
    if (in_.empty()) return false;
    *b = static_cast<uint8_t>(in_[0]);
    in_.remove_prefix(1);
    return true;
  }
  bool Bytes(size_t n, std::string_view* out) {
    if (in_.size() < n) return false;
    *out = in_.substr(0, n);
    in_.remove_prefix(n);
    return true;
  }
  // A length, or (*encoded true) the low six bits of an encoded string's
  // first byte.
  bool Length(uint64_t* n, bool* encoded) {
    uint8_t b;
    if (!Byte(&b)) return false;
    *encoded = false;
    switch (b >> 6) {
      case kLen6:
        *n = b & 0x3f;
        return true;
      case kLen14: {
        uint8_t lo;
        if (!Byte(&lo)) return false;
        *n = (uint64_t{b & 0x3fu} << 8) | lo;
        return true;
      }
      case kEncoded:
        *encoded = true;
        *n = b & 0x3f;
        return true;
      case kLen32Or64:
        break;
    }
    const int bytes = b == kLen32 ? 4 : b == kLen64 ? 8 : 0;
    std::string_view raw;
    if (bytes == 0 || !Bytes(static_cast<size_t>(bytes), &raw)) return false;
    *n = 0;
    for (char c : raw) *n = (*n << 8) | static_cast<uint8_t>(c);
    return true;
  }
  bool LittleEndian(int bytes, int64_t* out) {
    std::string_view raw;
    if (!Bytes(static_cast<size_t>(bytes), &raw)) return false;
    uint64_t v = 0;
    for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(raw[i]);
    // Sign-extend from `bytes` bytes.
    const int shift = 64 - 8 * bytes;
    *out = static_cast<int64_t>(v << shift) >> shift;
    return true;
  }

 private:
  std::string_view in_;
};

// LZF's format: a control byte below 32 starts a run of that many plus one
// literal bytes; above, its top three bits are a match's length less two (7:
// the next byte adds to it) and its low five bits with the next byte the
// distance back less one. Returns false unless exactly `out_len` bytes come out.
bool LzfDecompress(std::string_view in, size_t out_len, std::string* out) {
  // A back reference (3 bytes at most) makes at most 264 bytes, a literal
  // run fewer than it takes: a larger claim is a lie, and is not reserved.
  if (out_len > (in.size() / 3 + 1) * 264) return false;
  out->clear();
  out->reserve(out_len);
  size_t i = 0;
  while (i < in.size()) {
    const unsigned ctrl = static_cast<uint8_t>(in[i++]);
    if (ctrl < 32) {
      const size_t run = ctrl + 1;
      if (in.size() - i < run || out->size() + run > out_len) return false;
      out->append(in.substr(i, run));
      i += run;
      continue;
    }
    size_t len = ctrl >> 5;
    if (len == 7) {
      if (i >= in.size()) return false;
      len += static_cast<uint8_t>(in[i++]);
    }
    len += 2;
    if (i >= in.size()) return false;
    const size_t back = ((ctrl & 0x1f) << 8) + static_cast<uint8_t>(in[i++]) + 1;
    if (back > out->size() || out->size() + len > out_len) return false;
    size_t from = out->size() - back;
    for (size_t k = 0; k < len; ++k) out->push_back((*out)[from + k]);  // may overlap
  }
  return out->size() == out_len;
}

}  // namespace

uint64_t Crc64(uint64_t crc, std::string_view data) {
  for (char c : data) crc = kCrcTable[(crc ^ static_cast<uint8_t>(c)) & 0xff] ^ (crc >> 8);
  return crc;
}

std::string DumpPayload(std::string_view value) {
  std::string out;
  out.reserve(value.size() + 16);
  out.push_back(static_cast<char>(kRdbTypeString));
  if (!PutInteger(&out, value)) {
    PutLength(&out, value.size());
    out.append(value);
  }
  PutLittleEndian(&out, kDumpRdbVersion, 2);
  PutLittleEndian(&out, Crc64(0, out), 8);
  return out;
}

PayloadError ParsePayload(std::string_view payload, uint64_t max_value, std::string* value,
                          int* rdb_type) {
  // The footer first, as Redis checks it before the object.
  if (payload.size() < 10) return PayloadError::kVersionOrChecksum;
  const std::string_view footer = payload.substr(payload.size() - 10);
  const uint16_t version =
      static_cast<uint16_t>(static_cast<uint8_t>(footer[0]) | static_cast<uint8_t>(footer[1]) << 8);
  if (version > kRestoreMaxRdbVersion) return PayloadError::kVersionOrChecksum;
  const std::string_view body = payload.substr(0, payload.size() - 8);
  uint64_t want = 0;
  for (int i = 7; i >= 0; --i) want = (want << 8) | static_cast<uint8_t>(footer[2 + i]);
  if (Crc64(0, body) != want) return PayloadError::kVersionOrChecksum;

  Reader r(payload.substr(0, payload.size() - 10));
  uint8_t type;
  if (!r.Byte(&type)) return PayloadError::kBadFormat;
  if (type != kRdbTypeString) {
    // Redis's object types (lists, sets, hashes, sorted sets, modules,
    // streams, in their encodings) are 1-7 and 9-21; anything else is no
    // object at all.
    if (type > 21 || type == 8) return PayloadError::kBadFormat;
    *rdb_type = type;
    return PayloadError::kNotString;
  }
  uint64_t n;
  bool encoded;
  if (!r.Length(&n, &encoded)) return PayloadError::kBadFormat;
  if (!encoded) {
    std::string_view raw;
    if (!r.Bytes(n, &raw)) return PayloadError::kBadFormat;
    value->assign(raw);
  } else if (n == kEncInt8 || n == kEncInt16 || n == kEncInt32) {
    int64_t v;
    if (!r.LittleEndian(n == kEncInt8 ? 1 : n == kEncInt16 ? 2 : 4, &v)) {
      return PayloadError::kBadFormat;
    }
    *value = std::to_string(v);
  } else if (n == kEncLzf) {
    uint64_t compressed, length;
    bool e1, e2;
    std::string_view data;
    if (!r.Length(&compressed, &e1) || !r.Length(&length, &e2) || e1 || e2 || length > max_value ||
        !r.Bytes(compressed, &data) || !LzfDecompress(data, length, value)) {
      return PayloadError::kBadFormat;
    }
  } else {
    return PayloadError::kBadFormat;
  }
  // Redis takes trailing bytes after the object (its loader stops there).
  return PayloadError::kNone;
}

}  // namespace ringkv::server
