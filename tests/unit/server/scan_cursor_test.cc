#include "server/scan_cursor.h"

#include <catch2/catch.hpp>
#include <set>
#include <string>

using ringkv::server::ParseScanCursor;
using ringkv::server::ScanCursorTable;

TEST_CASE("cursors parse like Redis's strtoull", "[scan]") {
  uint64_t c = 99;
  CHECK(ParseScanCursor("0", &c));
  CHECK(c == 0);
  CHECK(ParseScanCursor("18446744073709551615", &c));
  CHECK(c == UINT64_MAX);
  CHECK(ParseScanCursor("00042", &c));
  CHECK(c == 42);
  CHECK(ParseScanCursor("+5", &c));
  CHECK(c == 5);
  CHECK(ParseScanCursor("-1", &c));  // wraps, as strtoull does
  CHECK(c == UINT64_MAX);
  CHECK(ParseScanCursor("", &c));
  CHECK(c == 0);
  CHECK(ParseScanCursor(std::string("7\0x", 3), &c));  // stops at NUL
  CHECK(c == 7);

  CHECK_FALSE(ParseScanCursor("18446744073709551616", &c));
  CHECK_FALSE(ParseScanCursor("-18446744073709551616", &c));
  CHECK_FALSE(ParseScanCursor("abc", &c));
  CHECK_FALSE(ParseScanCursor("1.5", &c));
  CHECK_FALSE(ParseScanCursor(" 5", &c));
  CHECK_FALSE(ParseScanCursor("5 ", &c));
  CHECK_FALSE(ParseScanCursor("+", &c));
  CHECK_FALSE(ParseScanCursor("-", &c));
  CHECK_FALSE(ParseScanCursor("0x10", &c));
}

TEST_CASE("the table maps cursors to positions", "[scan]") {
  ScanCursorTable t(100, 1);
  uint64_t a = t.Save("pos-a");
  uint64_t b = t.Save("pos-b");
  CHECK(a != 0);
  CHECK(b != 0);
  CHECK(a != b);
  CHECK(t.Find(a) == "pos-a");
  CHECK(t.Find(b) == "pos-b");
  CHECK(t.Find(a) == "pos-a");  // still there: a client may retry
  CHECK(t.Find(0) == "");
  CHECK(t.Find(a ^ b ^ 12345) == "");  // unknown: from the beginning
}

TEST_CASE("the table forgets the oldest cursors first", "[scan]") {
  ScanCursorTable t(3, 7);
  uint64_t c1 = t.Save("1");
  uint64_t c2 = t.Save("2");
  uint64_t c3 = t.Save("3");
  uint64_t c4 = t.Save("4");
  CHECK(t.size() == 3);
  CHECK(t.Find(c1) == "");
  CHECK(t.Find(c2) == "2");
  CHECK(t.Find(c3) == "3");
  CHECK(t.Find(c4) == "4");
}

TEST_CASE("cursors are distinct and non-zero", "[scan]") {
  ScanCursorTable t(10000, 3);
  std::set<uint64_t> seen;
  for (int i = 0; i < 10000; ++i) {
    uint64_t c = t.Save(std::to_string(i));
    CHECK(c != 0);
    seen.insert(c);
  }
  CHECK(seen.size() == 10000);
}
