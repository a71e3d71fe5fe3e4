// The DUMP/RESTORE payload against bytes redis-server 7.0 wrote (DUMP of the
// same values on a real redis-server): the same bytes out for what Redis does
// not compress, and every encoding read back, LZF included.
#include "server/dump_payload.h"

#include <catch2/catch.hpp>
#include <string>

namespace ringkv::server {
namespace {

std::string Repeat(const std::string& s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

std::string Parsed(const std::string& payload) {
  std::string value;
  int type = -1;
  REQUIRE(ParsePayload(payload, 1 << 20, &value, &type) == PayloadError::kNone);
  return value;
}

// A payload around an RDB object `body`: version, then its checksum.
std::string Wrap(const std::string& body, uint16_t version = kDumpRdbVersion) {
  std::string p = body;
  p.push_back(static_cast<char>(version & 0xff));
  p.push_back(static_cast<char>(version >> 8));
  uint64_t crc = Crc64(0, p);
  for (int i = 0; i < 8; ++i) p.push_back(static_cast<char>(crc >> (8 * i)));
  return p;
}

TEST_CASE("Crc64 is Redis's CRC-64/Jones", "[dump]") {
  CHECK(Crc64(0, "123456789") == 0xe9c6d914c4b8d9caULL);
  CHECK(Crc64(0, "") == 0);
}

TEST_CASE("DUMP writes the bytes Redis writes for plain and integer strings", "[dump]") {
  CHECK(DumpPayload("bar") ==
        std::string("\x00\x03\x62\x61\x72\x0a\x00\xe6\xbe\x49\x60\xee\x66\xfd\x17", 15));
  CHECK(DumpPayload("123") ==
        std::string("\x00\xc0\x7b\x0a\x00\x48\xe2\x53\xe1\x00\x7a\x67\xb9", 13));
  CHECK(DumpPayload("70000") ==
        std::string("\x00\xc2\x70\x11\x01\x00\x0a\x00\x01\xa4\x08\xfe\x95\x30\x95\xa5", 16));
  CHECK(DumpPayload("-5") ==
        std::string("\x00\xc0\xfb\x0a\x00\x49\xc4\xc6\xf4\xd7\x26\x3f\x68", 13));
  CHECK(DumpPayload("") == std::string("\x00\x00\x0a\x00\x5d\x9b\x5c\x40\x0f\x7f\xa2\xda", 12));
  // Not canonical integers: plain strings, as in Redis.
  CHECK(DumpPayload("+1") == Wrap(std::string("\x00\x02+1", 4)));
  CHECK(DumpPayload("01") == Wrap(std::string("\x00\x02"
                                              "01",
                                              4)));
  CHECK(DumpPayload("2147483648") == Wrap(std::string("\x00\x0a"
                                                      "2147483648",
                                                      12)));
  // A 64-byte string takes a 14-bit length.
  CHECK(DumpPayload(std::string(64, 'z')) ==
        Wrap(std::string("\x00\x40\x40", 3) + std::string(64, 'z')));
}

TEST_CASE("RESTORE reads Redis's payloads, LZF-compressed ones included", "[dump]") {
  CHECK(Parsed(std::string("\x00\x03\x62\x61\x72\x0a\x00\xe6\xbe\x49\x60\xee\x66\xfd\x17", 15)) ==
        "bar");
  CHECK(Parsed(std::string("\x00\xc0\x7b\x0a\x00\x48\xe2\x53\xe1\x00\x7a\x67\xb9", 13)) == "123");
  CHECK(Parsed(std::string("\x00\xc2\x70\x11\x01\x00\x0a\x00\x01\xa4\x08\xfe\x95\x30\x95\xa5",
                           16)) == "70000");
  CHECK(Parsed(std::string("\x00\xc0\xfb\x0a\x00\x49\xc4\xc6\xf4\xd7\x26\x3f\x68", 13)) == "-5");
  CHECK(Parsed(std::string("\x00\x00\x0a\x00\x5d\x9b\x5c\x40\x0f\x7f\xa2\xda", 12)) == "");
  CHECK(Parsed(std::string("\x00\xc3\x09\x40\x64\x01\x78\x78\xe0\x57\x00\x01\x78\x78\x0a\x00\x5d"
                           "\xb7\xf6\x63\xbb\x08\x62\x5f",
                           24)) == std::string(100, 'x'));  // "x" * 100
  CHECK(Parsed(std::string("\x00\xc3\x12\x32\x0a\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x61\xe0"
                           "\x1c\x09\x01\x69\x6a\x0a\x00\xbf\x2c\x58\xb7\x29\x1a\xaf\x30",
                           32)) == Repeat("abcdefghij", 5));  // "abcdefghij" * 5
  for (const std::string& v : {std::string("-70000"), std::string("-0"), std::string(20000, 'q'),
                               std::string("\x00\xff", 2)}) {
    CHECK(Parsed(DumpPayload(v)) == v);
  }
  // A 32-bit length, and an older version.
  CHECK(Parsed(Wrap(std::string("\x00\x80\x00\x00\x00\x03"
                                "abc",
                                9))) == "abc");
  CHECK(Parsed(Wrap(std::string("\x00\x03"
                                "abc",
                                5),
                    9)) == "abc");
  CHECK(Parsed(Wrap(std::string("\x00\xc1\x01\x80", 4))) == "-32767");
}

TEST_CASE("RESTORE refuses bad payloads with Redis's distinctions", "[dump]") {
  std::string value;
  int type = -1;
  auto parse = [&](const std::string& p) { return ParsePayload(p, 1 << 20, &value, &type); };
  const std::string good = DumpPayload("bar");
  std::string flipped = good;
  flipped[2] ^= 1;
  CHECK(parse(flipped) == PayloadError::kVersionOrChecksum);
  CHECK(parse(good.substr(0, good.size() - 1)) == PayloadError::kVersionOrChecksum);
  CHECK(parse("") == PayloadError::kVersionOrChecksum);
  CHECK(parse(Wrap(std::string("\x00\x03"
                               "abc",
                               5),
                   kRestoreMaxRdbVersion + 1)) == PayloadError::kVersionOrChecksum);
  CHECK(parse(Wrap(std::string("\x00\x03"
                               "abc",
                               5),
                   kRestoreMaxRdbVersion)) == PayloadError::kNone);
  CHECK(parse(Wrap("")) == PayloadError::kBadFormat);
  CHECK(parse(Wrap(std::string(1, '\0'))) == PayloadError::kBadFormat);
  CHECK(parse(Wrap(std::string("\x00\x05"
                               "ab",
                               4))) == PayloadError::kBadFormat);              // short
  CHECK(parse(Wrap(std::string("\x00\xc4", 2))) == PayloadError::kBadFormat);  // no such encoding
  CHECK(parse(Wrap(std::string("\x00\xc3\x05\x0a"
                               "abc",
                               7))) == PayloadError::kBadFormat);
  CHECK(parse(Wrap(std::string("\x00\xc1\x01", 3))) == PayloadError::kBadFormat);
  // LZF that claims more than it can hold, or than max_value, or refers
  // back before its start.
  CHECK(parse(Wrap(std::string("\x00\xc3\x03\x80\x7f\xff\xff\xff\x00"
                               "a\xe0",
                               11))) == PayloadError::kBadFormat);
  CHECK(parse(Wrap(std::string("\x00\xc3\x03\x05\x20\x00\x00", 7))) == PayloadError::kBadFormat);
  const std::string big = std::string("\x00\xc3\t@d\x01xx\xe0W\x00\x01xx", 14);  // 100 x's
  CHECK(ParsePayload(Wrap(big), 99, &value, &type) == PayloadError::kBadFormat);
  CHECK(ParsePayload(Wrap(big), 100, &value, &type) == PayloadError::kNone);
  // Another type: told apart, with its type.
  CHECK(parse(Wrap(std::string("\x12\x01\x02", 3))) == PayloadError::kNotString);
  CHECK(type == 0x12);
  // No type at all: bad format, as in Redis.
  CHECK(parse(Wrap(std::string("\x08\x01\x02", 3))) == PayloadError::kBadFormat);
  CHECK(parse(Wrap(std::string("\xc8\x01\x02", 3))) == PayloadError::kBadFormat);
}

}  // namespace
}  // namespace ringkv::server
