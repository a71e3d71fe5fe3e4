// Engine::AppendInPlace and ChangeInPlace: APPEND's fast path grows a big
// cached value where it is; SETBIT's and SETRANGE's change one, the turn's
// first change keeping the bytes it overwrites in the undo (a span), later
// ones where a Put of the same turn made the record. The journal gets the
// bytes that changed, and both decline wherever something else could see
// the record change.
#include <catch2/catch.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "storage/engine.h"
#include "tests/support/crash.h"
#include "tests/support/engine.h"
#include "tests/support/temp_dir.h"

namespace ringkv::storage {
namespace {

using ringkv::testing::Commit;
using ringkv::testing::CrashAndReopen;
using ringkv::testing::JournalingOptions;
using ringkv::testing::Rec;
using ringkv::testing::TempDir;
using ringkv::testing::ValueOf;

constexpr int64_t kNow = 1'000'000;
constexpr uint64_t kNoLimit = UINT64_MAX;

constexpr int64_t kExpiry = 4'000'000'000'000;  // unix ms, far off

std::string Piece(int i) { return std::string(1000, static_cast<char>('a' + i % 26)); }

// A journaling engine on `dir` holding `value` at `key`, expiring at
// `expire_at_ms` (0: never), committed.
std::unique_ptr<Engine> OpenHolding(const TempDir& dir, std::string_view key,
                                    const std::string& value, int64_t expire_at_ms = 0) {
  auto e = testing::OpenTestEngine(JournalingOptions(dir.path()));
  e->Put(key, Rec(value, expire_at_ms));
  Commit(*e);
  return e;
}

// Appends in place, which must be taken; the new length.
size_t Append(Engine& e, std::string_view key, std::string_view tail) {
  size_t length = 0;
  REQUIRE(e.AppendInPlace(key, tail, kNow, kNoLimit, &length));
  return length;
}

// After a crash (the data dir copied as it is, and opened): `key` holds
// `value`, with expiry `expire_at_ms`.
void CheckAfterCrash(std::unique_ptr<Engine>* e, const TempDir& dir, const TempDir& crashed,
                     std::string_view key, const std::string& value, int64_t expire_at_ms) {
  auto c = CrashAndReopen(e, dir.path(), crashed.path() + "/data");
  CHECK(ValueOf(*c, key) == value);
  auto rec = c->Get(key);
  REQUIRE(rec.ok());
  REQUIRE(*rec);
  CHECK((*rec)->expire_at_ms == expire_at_ms);
}

TEST_CASE("AppendInPlace grows the value, journals the appended bytes, and replays", "[journal]") {
  TempDir dir, crashed;
  std::string value(100'000, 'v');
  auto e = OpenHolding(dir, "log", value, kExpiry);
  const uint64_t ranges = e->stats().journal_ranges;
  // One append per turn, then three in one turn.
  for (int i = 0; i < 20; ++i) {
    value += Piece(i);
    CHECK(Append(*e, "log", Piece(i)) == value.size());
    Commit(*e);
  }
  for (int i = 20; i < 23; ++i) {
    value += Piece(i);
    CHECK(Append(*e, "log", Piece(i)) == value.size());
  }
  CHECK(ValueOf(*e, "log") == value);
  Commit(*e);
  CHECK(e->stats().appends_in_place == 23);
  CHECK(e->stats().journal_ranges == ranges + 21);  // one per commit
  CHECK(e->KeyCount() == 1);
  CHECK(e->ExpiresCount() == 1);

  CheckAfterCrash(&e, dir, crashed, "log", value, kExpiry);
}

TEST_CASE("AppendInPlace, then a whole write of the key and an append in the same turn",
          "[journal]") {
  TempDir dir, crashed;
  const std::string base(100'000, 'v');
  auto e = OpenHolding(dir, "log", base);
  Append(*e, "log", Piece(0));
  // A SET after the APPEND: the journal's range is taken against the value
  // before the turn (keep 100,000 bytes, then the piece and "zz"), not
  // against the grown record (keep 101,000, then "zz": a replay onto the
  // value before would lose the piece).
  std::string next = base + Piece(0) + "zz";
  e->Put("log", Rec(next));
  // The record is a new one now, which the undo does not hold: it grows in
  // place too, the undo left as it is.
  next += "x";
  CHECK(Append(*e, "log", "x") == next.size());
  CHECK(e->stats().appends_in_place == 2);
  Commit(*e);
  CHECK(ValueOf(*e, "log") == next);
  auto c = CrashAndReopen(&e, dir.path(), crashed.path() + "/data");
  CHECK(ValueOf(*c, "log") == next);
}

TEST_CASE("ChangeInPlace changes a record a Put of this turn made, and journals patches",
          "[journal]") {
  TempDir dir, crashed;
  std::string value(100'000, 'v');
  auto e = OpenHolding(dir, "bits", value, kExpiry);
  bool changed = false;
  auto set = [](size_t at, char c) {
    return [at, c](std::string* v) {
      if (v->size() <= at) v->resize(at + 1, '\0');
      const bool differs = (*v)[at] != c;
      (*v)[at] = c;
      return differs;
    };
  };
  // A committed record: the turn's changes keep in the undo the bytes they
  // overwrite (spans; covered below). After a Put of the turn, they change
  // the Put's record, which the undo does not hold.
  REQUIRE(e->ChangeInPlace("bits", kNow, 10, 1, set(10, 'x'), &changed));
  CHECK(changed);
  value[10] = 'x';
  CHECK(ValueOf(*e, "bits") == value);
  e->Put("bits", Rec(value, kExpiry));
  for (size_t at : {500, 60'000, 99'999, 500}) {
    REQUIRE(e->ChangeInPlace("bits", kNow, at, 1, set(at, 'y'), &changed));
    CHECK(changed == (value[at] != 'y'));
    value[at] = 'y';
  }
  // (The second at 500 changed nothing: no write, as the generic path's.)
  CHECK(e->stats().changes_in_place == 4);
  CHECK(ValueOf(*e, "bits") == value);
  Commit(*e);
  CHECK(e->stats().journal_patches >= 1);
  // Growing it: a longer value (a range, or a whole record).
  e->Put("bits", Rec(value, kExpiry));
  REQUIRE(e->ChangeInPlace("bits", kNow, 100'010, 1, set(100'010, 'z'), &changed));
  CHECK(changed);
  value.resize(100'011, '\0');
  value[100'010] = 'z';
  Commit(*e);
  CHECK(ValueOf(*e, "bits") == value);

  CheckAfterCrash(&e, dir, crashed, "bits", value, kExpiry);
}

// SETRANGE's change: `bytes` over [at, at + bytes.size()) (growing the value
// with zero bytes to reach it).
auto Overwrite(size_t at, std::string bytes) {
  return [at, bytes](std::string* v) {
    if (v->size() < at + bytes.size()) v->resize(at + bytes.size(), '\0');
    v->replace(at, bytes.size(), bytes);
    return true;
  };
}

TEST_CASE("A turn's first ChangeInPlace journals its span as a patch, without a copy",
          "[journal]") {
  TempDir dir, crashed;
  std::string value(200'000, 'v');
  auto e = OpenHolding(dir, "bits", value, kExpiry);
  const uint64_t before = testing::JournalBytes(dir.path());
  const uint64_t patches = e->stats().journal_patches;
  bool changed = false;
  // 50 turns of one change each, anywhere in the value (overlapping spans
  // in one turn are covered below).
  for (size_t i = 0; i < 50; ++i) {
    const size_t at = (i * 40'009) % (value.size() - 8);
    const std::string bytes = "#" + std::to_string(i);
    REQUIRE(e->ChangeInPlace("bits", kNow, at, bytes.size(), Overwrite(at, bytes), &changed));
    value.replace(at, bytes.size(), bytes);
    Commit(*e);
  }
  CHECK(e->stats().changes_in_place == 50);
  CHECK(e->stats().journal_patches == patches + 50);
  // 50 patches of a few bytes, where 50 whole values would be 10 MB.
  CHECK(testing::JournalBytes(dir.path()) - before < 20'000);
  CHECK(ValueOf(*e, "bits") == value);
  CheckAfterCrash(&e, dir, crashed, "bits", value, kExpiry);
}

TEST_CASE("A turn's first ChangeInPlace, then other writes of the key in the same turn",
          "[journal]") {
  TempDir dir, crashed;
  const std::string base(100'000, 'b');
  auto e = OpenHolding(dir, "k", base);
  bool changed = false;
  std::string value = base;
  REQUIRE(e->ChangeInPlace("k", kNow, 70'000, 3, Overwrite(70'000, "abc"), &changed));
  value.replace(70'000, 3, "abc");

  SECTION("an APPEND grows the same record: journaled against the value before") {
    CHECK(Append(*e, "k", Piece(1)) == value.size() + 1000);
    value += Piece(1);
  }
  SECTION("a Put replaces the record: the undo's is put back where it is") {
    value.replace(10, 4, "SETX");
    e->Put("k", Rec(value));
    // A Put's record changes in place (the undo holds the other one).
    REQUIRE(e->ChangeInPlace("k", kNow, 90'000, 2, Overwrite(90'000, "zz"), &changed));
    value.replace(90'000, 2, "zz");
  }
  SECTION("a delete") {
    e->Delete("k");
    value.clear();
  }
  SECTION("more changes: spans too, overlapping ones as well") {
    for (size_t at : {70'001, 10, 99'990, 69'999, 10}) {
      const std::string bytes = "Q" + std::to_string(at);
      REQUIRE(e->ChangeInPlace("k", kNow, at, bytes.size(), Overwrite(at, bytes), &changed));
      value.replace(at, bytes.size(), bytes);
    }
    CHECK(e->stats().changes_in_place == 6);
  }
  SECTION("a change past the spans' budget declines, and the generic path's Put follows") {
    const std::string bytes(24'998, 'Q');  // with the 3 before, more than a quarter
    CHECK_FALSE(e->ChangeInPlace("k", kNow, 1000, bytes.size(), Overwrite(1000, bytes), &changed));
    value.replace(1000, bytes.size(), bytes);
    e->Put("k", Rec(value));
  }
  // (A deleted key: no value.)
  const auto expected = [&]() -> std::optional<std::string> {
    if (value.empty()) return std::nullopt;
    return value;
  };
  CHECK(ValueOf(*e, "k") == expected());
  Commit(*e);
  CHECK(ValueOf(*e, "k") == expected());
  // And a next turn changes it again from the state journaled.
  if (!value.empty()) {
    REQUIRE(e->ChangeInPlace("k", kNow, 5, 1, Overwrite(5, "!"), &changed));
    value.replace(5, 1, "!");
    Commit(*e);
  }
  auto c = CrashAndReopen(&e, dir.path(), crashed.path() + "/data");
  CHECK(ValueOf(*c, "k") == expected());
}

TEST_CASE("A turn's first ChangeInPlace declines outside the value, or a span too big",
          "[journal]") {
  TempDir dir;
  const std::string big(100'000, 'b');
  auto e = OpenHolding(dir, "big", big);
  bool changed = false;
  // Across the value's end (a growing change past it grows in place: the
  // test below), or a quarter of it or more: the generic path.
  CHECK_FALSE(e->ChangeInPlace("big", kNow, 99'999, 2, Overwrite(99'999, "xy"), &changed));
  CHECK_FALSE(
      e->ChangeInPlace("big", kNow, 0, 25'001, Overwrite(0, std::string(25'001, 'q')), &changed));
  // A reader's reference.
  {
    auto held = e->Get("big");
    REQUIRE(held.ok());
    CHECK_FALSE(e->ChangeInPlace("big", kNow, 0, 1, Overwrite(0, "x"), &changed));
  }
  // A small value.
  e->Put("small", Rec(std::string(1000, 's')));
  Commit(*e);
  CHECK_FALSE(e->ChangeInPlace("small", kNow, 0, 1, Overwrite(0, "x"), &changed));
  // A change that changes nothing is no write.
  const uint64_t writes = e->stats().committed_writes;
  REQUIRE(e->ChangeInPlace(
      "big", kNow, 0, 1, [](std::string*) { return false; }, &changed));
  CHECK_FALSE(changed);
  CHECK_FALSE(e->HasPending());
  Commit(*e);
  CHECK(e->stats().committed_writes == writes);
  CHECK(e->stats().changes_in_place == 0);
  CHECK(ValueOf(*e, "big") == big);
}

TEST_CASE("ChangeInPlace past the value's end grows it as an APPEND would, and replays",
          "[journal]") {
  TempDir dir, crashed;
  std::string value(100'000, 'b');
  auto e = OpenHolding(dir, "bm", value, kExpiry);
  const uint64_t before = testing::JournalBytes(dir.path());
  const uint64_t ranges = e->stats().journal_ranges;
  bool changed = false;
  // One change per turn, at the end or past it (a gap of zeros between).
  for (size_t i = 0; i < 40; ++i) {
    const size_t at = value.size() + (i % 4 == 0 ? 0 : i * 10);
    const std::string bytes = "G" + std::to_string(i);
    REQUIRE(e->ChangeInPlace("bm", kNow, at, bytes.size(), Overwrite(at, bytes), &changed));
    CHECK(changed);
    value.resize(at, '\0');
    value += bytes;
    Commit(*e);
  }
  CHECK(e->stats().changes_in_place == 40);
  CHECK(e->stats().journal_ranges == ranges + 40);
  // The bytes added, where 40 whole values would be 4 MB.
  CHECK(testing::JournalBytes(dir.path()) - before < 30'000);
  CHECK(ValueOf(*e, "bm") == value);

  // In one turn: growing changes with a change inside (a span) before them,
  // an APPEND between, and one that writes a zero byte (SETBIT 0 past the
  // end: the value still grows).
  REQUIRE(e->ChangeInPlace("bm", kNow, 50, 2, Overwrite(50, "in"), &changed));
  value.replace(50, 2, "in");
  for (size_t gap : {0, 7, 3000}) {
    const size_t at = value.size() + gap;
    REQUIRE(e->ChangeInPlace("bm", kNow, at, 3, Overwrite(at, "END"), &changed));
    value.resize(at, '\0');
    value += "END";
  }
  CHECK(Append(*e, "bm", Piece(2)) == value.size() + 1000);
  value += Piece(2);
  // Inside bytes this turn added (the bits of a growing bitmap's last
  // byte): in place too. Below the turn's length before, after a growth:
  // the generic path.
  const uint64_t in_place = e->stats().changes_in_place;
  REQUIRE(e->ChangeInPlace("bm", kNow, value.size() - 1, 1, Overwrite(value.size() - 1, "Z"),
                           &changed));
  value.back() = 'Z';
  CHECK(e->stats().changes_in_place == in_place + 1);
  CHECK_FALSE(e->ChangeInPlace("bm", kNow, 60, 1, Overwrite(60, "Y"), &changed));
  const size_t at = value.size() + 5;
  REQUIRE(e->ChangeInPlace(
      "bm", kNow, at, 1, [](std::string*) { return false; }, &changed));
  CHECK(changed);
  value.resize(at + 1, '\0');
  CHECK(ValueOf(*e, "bm") == value);
  Commit(*e);
  CHECK(ValueOf(*e, "bm") == value);
  CheckAfterCrash(&e, dir, crashed, "bm", value, kExpiry);
}

TEST_CASE("A turn's first ChangeInPlace inside the value, then a growth of it", "[journal]") {
  TempDir dir, crashed;
  std::string value(100'000, 'b');
  auto e = OpenHolding(dir, "bm", value, kExpiry);
  bool changed = false;
  // A span (the turn's first change), then growths: journaled as a range
  // from the span on where that keeps half the value (near the end, a
  // growing bitmap's last byte), else as the generic path does (a range
  // keeping less than half: the whole value).
  size_t span_at = 0;
  bool whole = false;
  SECTION("the span near the end") { span_at = value.size() - 1; }
  SECTION("the span in the first half") {
    span_at = 100;
    whole = true;
  }
  REQUIRE(e->ChangeInPlace("bm", kNow, span_at, 1, Overwrite(span_at, "S"), &changed));
  value[span_at] = 'S';
  for (size_t gap : {0, 9}) {
    const size_t at = value.size() + gap;
    REQUIRE(e->ChangeInPlace("bm", kNow, at, 2, Overwrite(at, "GG"), &changed));
    value.resize(at, '\0');
    value += "GG";
  }
  CHECK(Append(*e, "bm", "tail") == value.size() + 4);
  value += "tail";
  const uint64_t ranges = e->stats().journal_ranges;
  const uint64_t before = testing::JournalBytes(dir.path());
  Commit(*e);
  CHECK(ValueOf(*e, "bm") == value);
  const uint64_t journaled = testing::JournalBytes(dir.path()) - before;
  if (whole) {
    CHECK(e->stats().journal_ranges == ranges);
    CHECK(journaled > value.size());
  } else {
    CHECK(e->stats().journal_ranges == ranges + 1);
    CHECK(journaled < 1000);
  }
  CheckAfterCrash(&e, dir, crashed, "bm", value, kExpiry);
}

TEST_CASE("ChangeInPlace declines a record the undo or a reader holds", "[journal]") {
  TempDir dir;
  const std::string big(100'000, 'b');
  auto e = OpenHolding(dir, "big", big);
  bool changed = false;
  auto touch = [](std::string* v) {
    (*v)[0] = 'T';
    return true;
  };
  // Grown in place this turn: the undo holds this record, cut back.
  Append(*e, "big", "tail");
  CHECK_FALSE(e->ChangeInPlace("big", kNow, 0, 1, touch, &changed));
  Commit(*e);
  e->Put("big", Rec(big));
  {
    auto held = e->Get("big");  // a reader's reference
    REQUIRE(held.ok());
    CHECK_FALSE(e->ChangeInPlace("big", kNow, 0, 1, touch, &changed));
    CHECK_FALSE(e->ChangeInPlace("big", kNow, big.size(), 1, Overwrite(big.size(), "x"), &changed));
    CHECK((*held)->value == big);
  }
  REQUIRE(e->ChangeInPlace("big", kNow, 0, 1, touch, &changed));
  CHECK(ValueOf(*e, "big") == "T" + big.substr(1));
  // Not journaling: no fast path.
  TempDir other;
  EngineOptions o = JournalingOptions(other.path());
  o.write_behind_ms = 0;
  auto d = testing::OpenTestEngine(o);
  d->Put("big", Rec(big));
  CHECK_FALSE(d->ChangeInPlace("big", kNow, 0, 1, touch, &changed));
  CHECK_FALSE(d->ChangeInPlace("big", kNow, big.size(), 1, Overwrite(big.size(), "x"), &changed));
}

TEST_CASE("AppendInPlace declines where another path must go", "[journal]") {
  TempDir dir;
  size_t length = 0;
  const std::string big(100'000, 'b');

  SECTION("not journaling") {
    EngineOptions o = JournalingOptions(dir.path());
    o.write_behind_ms = 0;
    auto e = testing::OpenTestEngine(o);
    e->Put("big", Rec(big));
    Commit(*e);
    CHECK_FALSE(e->AppendInPlace("big", "x", kNow, kNoLimit, &length));
  }
  SECTION("the record is shared, small, expired, versioned, absent, or would pass the limit") {
    auto e = testing::OpenTestEngine(JournalingOptions(dir.path()));
    e->Put("big", Rec(big));
    e->Put("small", Rec(std::string(1000, 's')));
    e->Put("expired", Rec(big, kNow - 1));
    Record versioned = Rec(big);
    versioned.version = "v1";
    e->Put("versioned", std::move(versioned));
    Commit(*e);
    {
      auto held = e->Get("big");  // a reader's reference
      REQUIRE(held.ok());
      CHECK_FALSE(e->AppendInPlace("big", "x", kNow, kNoLimit, &length));
      CHECK((*held)->value == big);
    }
    CHECK_FALSE(e->AppendInPlace("small", "x", kNow, kNoLimit, &length));
    CHECK_FALSE(e->AppendInPlace("expired", "x", kNow, kNoLimit, &length));
    CHECK_FALSE(e->AppendInPlace("versioned", "x", kNow, kNoLimit, &length));
    CHECK_FALSE(e->AppendInPlace("absent", "x", kNow, kNoLimit, &length));
    CHECK_FALSE(e->AppendInPlace("big", "xy", kNow, big.size() + 1, &length));
    CHECK(e->AppendInPlace("big", "x", kNow, big.size() + 1, &length));
    CHECK(length == big.size() + 1);
    CHECK(e->stats().appends_in_place == 1);
    Commit(*e);
    // Not expired yet at kNow: the expiry alone does not stop it.
    e->Put("later", Rec(big, kNow + 1000));
    Commit(*e);
    CHECK(e->AppendInPlace("later", "x", kNow, kNoLimit, &length));
  }
}

}  // namespace
}  // namespace ringkv::storage
