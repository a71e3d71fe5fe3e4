#include "storage/record.h"

#include <catch2/catch.hpp>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

namespace ringkv::storage {
namespace {

using namespace std::string_literals;

// An independent, bit-at-a-time CRC16-XMODEM (poly 0x1021, init 0), so the
// table-driven one under test is checked against something it did not share
// code with.
uint16_t ReferenceCrc16(std::string_view s) {
  uint16_t crc = 0;
  for (unsigned char c : s) {
    crc = static_cast<uint16_t>(crc ^ (c << 8));
    for (int i = 0; i < 8; ++i) {
      crc = (crc & 0x8000) ? static_cast<uint16_t>((crc << 1) ^ 0x1021)
                           : static_cast<uint16_t>(crc << 1);
    }
  }
  return crc;
}

Record RoundTrip(const Record& r) {
  Record out;
  Status s = DecodeRecord(EncodeRecord(r), &out);
  REQUIRE(s.ok());
  return out;
}

void RequireSame(const Record& a, const Record& b) {
  REQUIRE(a.value == b.value);
  REQUIRE(a.expire_at_ms == b.expire_at_ms);
  REQUIRE(a.version == b.version);
  REQUIRE(a.tombstone == b.tombstone);
}

TEST_CASE("KeySlot matches Redis Cluster's CLUSTER KEYSLOT", "[record][slot]") {
  CHECK(KeySlot("foo") == 12182);
  CHECK(KeySlot("bar") == 5061);
  CHECK(KeySlot("somekey") == 11058);            // Redis docs example
  CHECK(KeySlot("foo{hash_tag}") == 2515);       // Redis docs example
  CHECK(ReferenceCrc16("123456789") == 0x31C3);  // the XMODEM check value
  CHECK(KeySlot("123456789") == 12739);
  CHECK(KeySlot("") == 0);
}

TEST_CASE("KeySlot honours the first non-empty hash tag", "[record][slot]") {
  SECTION("keys sharing a tag share a slot, the tag's own slot") {
    CHECK(KeySlot("{user1000}.following") == KeySlot("user1000"));
    CHECK(KeySlot("{user1000}.followers") == KeySlot("user1000"));
    CHECK(KeySlot("user1000") == 3443);
    CHECK(KeySlot("prefix{user1000}suffix") == 3443);
  }
  SECTION("an empty tag hashes the whole key") {
    CHECK(KeySlot("{}foo") == ReferenceCrc16("{}foo") % kSlots);
    CHECK(KeySlot("{}foo") == 9500);
    CHECK(KeySlot("{}foo") != KeySlot("foo"));
    // The first '{' and the first '}' after it decide; a later tag is ignored.
    CHECK(KeySlot("foo{}{bar}") == 8363);
  }
  SECTION("only the first '{' ... first '}' counts") {
    CHECK(KeySlot("foo{{bar}}zap") == KeySlot("{bar"));
    CHECK(KeySlot("foo{bar}{zap}") == KeySlot("bar"));
  }
  SECTION("an unclosed brace hashes the whole key") {
    CHECK(KeySlot("{user1000") == ReferenceCrc16("{user1000") % kSlots);
    CHECK(KeySlot("user1000}") == ReferenceCrc16("user1000}") % kSlots);
  }
}

TEST_CASE("KeySlot agrees with a bitwise CRC16 on many keys", "[record][slot]") {
  std::string key;
  for (int i = 0; i < 2000; ++i) {
    key.push_back(static_cast<char>((i * 131 + 7) & 0xff));  // binary, braces included
    if (key.find('{') != std::string::npos) key.erase(key.find('{'), 1);
    const uint16_t slot = KeySlot(key);
    REQUIRE(slot < kSlots);
    REQUIRE(slot == ReferenceCrc16(key) % kSlots);
  }
}

TEST_CASE("Record round trips through its encoding", "[record]") {
  std::vector<Record> cases;
  cases.push_back({});                                           // empty value, nothing else
  cases.push_back({"hello", 0, "", false});                      // plain
  cases.push_back({"\0\xff\x80\r\n"s + "\x01"s, 0, "", false});  // binary, NULs
  cases.push_back({"v", 1, "", false});                          // smallest expiry
  cases.push_back({"v", 1'700'000'000'123, "", false});          // realistic unix ms
  cases.push_back({"v", std::numeric_limits<int64_t>::max(), "", false});
  cases.push_back({"v", 0, "vc:\0\x01\xff"s, false});  // opaque binary version
  cases.push_back({"", 0, "", true});                  // bare tombstone
  cases.push_back({"", 42, "ver", true});              // tombstone with everything
  cases.push_back({std::string(1 << 20, 'x'), 5, std::string(300, 'v'), false});  // big
  for (const Record& r : cases) {
    INFO("value size " << r.value.size() << " expire " << r.expire_at_ms << " version size "
                       << r.version.size() << " tombstone " << r.tombstone);
    RequireSame(RoundTrip(r), r);
  }
}

TEST_CASE("A value that looks like a header is kept verbatim", "[record]") {
  // The value is the tail of the encoding; bytes resembling flags or varints
  // must not be interpreted.
  Record r{"\x17\x80\x80\x80"s, 0, "", false};
  RequireSame(RoundTrip(r), r);
  Record with_version{"\x03" + "\x7f"s, 9, "\x05"s, false};
  RequireSame(RoundTrip(with_version), with_version);
}

TEST_CASE("A plain record costs one byte of header", "[record]") {
  CHECK(EncodeRecord(Record{"abc", 0, "", false}).size() == 4);
  CHECK(EncodeRecord(Record{}).size() == 1);
}

TEST_CASE("DecodeRecord resets every field of a reused record", "[record]") {
  Record out{"old", 99, "oldver", true};
  REQUIRE(DecodeRecord(EncodeRecord(Record{"new", 0, "", false}), &out).ok());
  RequireSame(out, Record{"new", 0, "", false});
}

TEST_CASE("DecodeRecord reports corruption, never garbage", "[record]") {
  Record out;
  auto code_of = [&](std::string_view bytes) { return DecodeRecord(bytes, &out).code(); };
  constexpr auto kCorruption = Status::Code::kCorruption;

  SECTION("empty input") { CHECK(code_of("") == kCorruption); }
  SECTION("unknown format in the high nibble") {
    CHECK(code_of("\x00"s) == kCorruption);
    CHECK(code_of("\x20value"s) == kCorruption);
    CHECK(code_of("\xf0"s) == kCorruption);
  }
  SECTION("expiry varint missing or cut") {
    CHECK(code_of("\x11"s) == kCorruption);
    CHECK(code_of("\x11\x80"s) == kCorruption);
    CHECK(code_of("\x11\xff\xff"s) == kCorruption);
  }
  SECTION("expiry varint longer than 64 bits") {
    CHECK(code_of("\x11" + std::string(11, '\x80') + "\x01"s) == kCorruption);
  }
  SECTION("version length beyond the end") {
    CHECK(code_of("\x12\x05"
                  "abc"s) == kCorruption);
    CHECK(code_of("\x12"s) == kCorruption);
  }
  SECTION("every cut inside the header of a full record") {
    const std::string full = EncodeRecord(Record{"value", 1'700'000'000'000, "version", true});
    const size_t header = full.size() - 5;
    for (size_t n = 0; n < header; ++n) {
      INFO("truncated to " << n << " of " << header << " header bytes");
      CHECK(code_of(std::string_view(full).substr(0, n)) == kCorruption);
    }
  }
}

TEST_CASE("Record::ExpiredAt: zero never expires, the instant itself does", "[record]") {
  Record r;
  CHECK_FALSE(r.ExpiredAt(std::numeric_limits<int64_t>::max()));
  r.expire_at_ms = 1000;
  CHECK_FALSE(r.ExpiredAt(999));
  CHECK(r.ExpiredAt(1000));
  CHECK(r.ExpiredAt(1001));
}

TEST_CASE("Data keys: prefix, big-endian slot, key; parse inverts", "[record][keys]") {
  const std::string k = DataKey("foo");
  REQUIRE(k.size() == 6);
  CHECK(k[0] == kDataPrefix);
  CHECK(static_cast<uint8_t>(k[1]) == (12182 >> 8));
  CHECK(static_cast<uint8_t>(k[2]) == (12182 & 0xff));
  CHECK(k.substr(3) == "foo");
  CHECK(DataKeyForSlot(KeySlot("foo"), "foo") == k);

  uint16_t slot = 0;
  std::string_view user_key;
  REQUIRE(ParseDataKey(k, &slot, &user_key));
  CHECK(slot == 12182);
  CHECK(user_key == "foo");

  const std::string binary = "a\0b\xff"s;
  const std::string binary_key = DataKey(binary);  // user_key views into it
  REQUIRE(ParseDataKey(binary_key, &slot, &user_key));
  CHECK(user_key == binary);
  CHECK(slot == KeySlot(binary));

  const std::string empty_key = DataKey("");
  REQUIRE(ParseDataKey(empty_key, &slot, &user_key));  // the empty key is a key
  CHECK(user_key.empty());
  CHECK(slot == 0);

  CHECK_FALSE(ParseDataKey("d\x01", &slot, &user_key));
  CHECK_FALSE(ParseDataKey("", &slot, &user_key));
  CHECK_FALSE(ParseDataKey(ExpiryKey(1, "foo"), &slot, &user_key));
}

TEST_CASE("Data keys sort by slot, then key: a slot is one range", "[record][keys]") {
  // bar (5061) < foo (12182) < 123456789 (12739) although "1" < "b" < "f".
  CHECK(DataKey("bar") < DataKey("foo"));
  CHECK(DataKey("foo") < DataKey("123456789"));
  CHECK(DataKeyForSlot(255, "zzz") < DataKeyForSlot(256, "a"));  // big-endian, not little
  CHECK(DataKeyForSlot(kSlots - 1, "") > DataKeyForSlot(0, "\xff\xff"));
  // Keys with one tag sit next to each other.
  CHECK(DataKey("{t}a") < DataKey("{t}b"));
  CHECK(DataKey("{t}a").substr(0, 3) == DataKey("{t}zzzz").substr(0, 3));
}

TEST_CASE("Expiry keys sort by time and parse back", "[record][keys]") {
  CHECK(ExpiryKey(1, "zzz") < ExpiryKey(256, "a"));
  CHECK(ExpiryKey(1'700'000'000'000, "b") < ExpiryKey(1'700'000'000'001, "a"));
  CHECK(ExpiryKey(5, "a") < ExpiryKey(5, "b"));
  CHECK(ExpiryKey(5, "a")[0] == kExpiryPrefix);

  int64_t at = 0;
  std::string_view user_key;
  const std::string expiry_key = ExpiryKey(1'700'000'000'123, "k\0ey"s);  // user_key views into it
  REQUIRE(ParseExpiryKey(expiry_key, &at, &user_key));
  CHECK(at == 1'700'000'000'123);
  CHECK(user_key == "k\0ey"s);
  CHECK_FALSE(ParseExpiryKey("e1234567", &at, &user_key));  // 8 bytes: one short
  CHECK_FALSE(ParseExpiryKey(DataKey("123456789"), &at, &user_key));
}

TEST_CASE("Fixed64 big-endian round trips", "[record]") {
  for (uint64_t v : {uint64_t{0}, uint64_t{1}, uint64_t{0x0102030405060708},
                     std::numeric_limits<uint64_t>::max()}) {
    std::string s;
    PutFixed64BE(&s, v);
    REQUIRE(s.size() == 8);
    CHECK(GetFixed64BE(s.data()) == v);
  }
  std::string s;
  PutFixed64BE(&s, 0x0102030405060708);
  CHECK(s == "\x01\x02\x03\x04\x05\x06\x07\x08");
}

TEST_CASE("VersionBytes holds any bytes in one pointer, nothing when empty", "[record]") {
  static_assert(sizeof(VersionBytes) == sizeof(void*));
  VersionBytes empty;
  CHECK(empty.empty());
  CHECK(empty.size() == 0);
  CHECK(empty.view().empty());
  CHECK(empty.heap_bytes() == 0);
  CHECK(empty == ""s);

  const std::string bytes = "vc:\0\x01\xff"s;  // binary, with a NUL inside
  VersionBytes v = bytes;
  CHECK_FALSE(v.empty());
  CHECK(v.size() == bytes.size());
  CHECK(v.view() == bytes);
  CHECK(v == bytes);
  CHECK(v.heap_bytes() >= bytes.size());

  VersionBytes copy = v;  // deep: the copy outlives the original's change
  v = "other";
  CHECK(copy == bytes);
  CHECK(v == "other"s);
  CHECK_FALSE(copy == v);

  VersionBytes moved = std::move(copy);
  CHECK(moved == bytes);
  moved = copy = VersionBytes();  // assigning empty releases the bytes
  CHECK(moved.empty());
  v.assign("", 0);
  CHECK(v.empty());
  v.assign(bytes.data(), 2);
  CHECK(v == "vc"s);
  v.clear();
  CHECK(v.empty());
}

TEST_CASE("A Record without a version is small (the cache holds millions)", "[record]") {
  // value, expiry, version pointer, tombstone flag: what the record cache's
  // charge assumes. A std::string version here cost 24 more bytes per record.
  CHECK(sizeof(Record) <= sizeof(std::string) + 8 + sizeof(void*) + 8);
}

}  // namespace
}  // namespace ringkv::storage
