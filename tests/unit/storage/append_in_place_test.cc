// Engine::AppendInPlace and ChangeInPlace: APPEND's fast path grows a big
// cached value where it is, SETBIT's and SETRANGE's change one a Put of the
// same turn made; the journal gets the bytes that changed, and both decline
// wherever something else could see the record change.
#include <catch2/catch.hpp>
#include <cstdint>
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

std::string Piece(int i) { return std::string(1000, static_cast<char>('a' + i % 26)); }

// Appends in place, which must be taken; the new length.
size_t Append(Engine& e, std::string_view key, std::string_view tail) {
  size_t length = 0;
  REQUIRE(e.AppendInPlace(key, tail, kNow, kNoLimit, &length));
  return length;
}

TEST_CASE("AppendInPlace grows the value, journals the appended bytes, and replays", "[journal]") {
  TempDir dir, crashed;
  auto e = testing::OpenTestEngine(JournalingOptions(dir.path()));
  std::string value(100'000, 'v');
  e->Put("log", Rec(value, 4'000'000'000'000));
  Commit(*e);
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

  auto c = CrashAndReopen(&e, dir.path(), crashed.path() + "/data");
  CHECK(ValueOf(*c, "log") == value);
  auto rec = c->Get("log");
  REQUIRE(rec.ok());
  REQUIRE(*rec);
  CHECK((*rec)->expire_at_ms == 4'000'000'000'000);
}

TEST_CASE("AppendInPlace, then a whole write of the key and an append in the same turn",
          "[journal]") {
  TempDir dir, crashed;
  auto e = testing::OpenTestEngine(JournalingOptions(dir.path()));
  const std::string base(100'000, 'v');
  e->Put("log", Rec(base));
  Commit(*e);
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
  auto e = testing::OpenTestEngine(JournalingOptions(dir.path()));
  std::string value(100'000, 'v');
  e->Put("bits", Rec(value, 4'000'000'000'000));
  Commit(*e);
  bool changed = false;
  auto set = [](size_t at, char c) {
    return [at, c](std::string* v) {
      if (v->size() <= at) v->resize(at + 1, '\0');
      const bool differs = (*v)[at] != c;
      (*v)[at] = c;
      return differs;
    };
  };
  // A committed record: the first change of a turn copies (a Put), so the
  // undo keeps the bytes before.
  CHECK_FALSE(e->ChangeInPlace("bits", kNow, set(10, 'x'), &changed));
  value[10] = 'x';
  e->Put("bits", Rec(value, 4'000'000'000'000));
  for (size_t at : {500, 60'000, 99'999, 500}) {
    REQUIRE(e->ChangeInPlace("bits", kNow, set(at, 'y'), &changed));
    CHECK(changed == (value[at] != 'y'));
    value[at] = 'y';
  }
  // (The second at 500 changed nothing: no write, as the generic path's.)
  CHECK(e->stats().changes_in_place == 3);
  CHECK(ValueOf(*e, "bits") == value);
  Commit(*e);
  CHECK(e->stats().journal_patches >= 1);
  // Growing it: a longer value (a range, or a whole record).
  e->Put("bits", Rec(value, 4'000'000'000'000));
  REQUIRE(e->ChangeInPlace("bits", kNow, set(100'010, 'z'), &changed));
  CHECK(changed);
  value.resize(100'011, '\0');
  value[100'010] = 'z';
  Commit(*e);
  CHECK(ValueOf(*e, "bits") == value);

  auto c = CrashAndReopen(&e, dir.path(), crashed.path() + "/data");
  CHECK(ValueOf(*c, "bits") == value);
  auto rec = c->Get("bits");
  REQUIRE(rec.ok());
  REQUIRE(*rec);
  CHECK((*rec)->expire_at_ms == 4'000'000'000'000);
}

TEST_CASE("ChangeInPlace declines a record the undo or a reader holds", "[journal]") {
  TempDir dir;
  auto e = testing::OpenTestEngine(JournalingOptions(dir.path()));
  const std::string big(100'000, 'b');
  e->Put("big", Rec(big));
  Commit(*e);
  bool changed = false;
  auto touch = [](std::string* v) {
    (*v)[0] = 'T';
    return true;
  };
  // Grown in place this turn: the undo holds this record, cut back.
  Append(*e, "big", "tail");
  CHECK_FALSE(e->ChangeInPlace("big", kNow, touch, &changed));
  Commit(*e);
  e->Put("big", Rec(big));
  {
    auto held = e->Get("big");  // a reader's reference
    REQUIRE(held.ok());
    CHECK_FALSE(e->ChangeInPlace("big", kNow, touch, &changed));
    CHECK((*held)->value == big);
  }
  REQUIRE(e->ChangeInPlace("big", kNow, touch, &changed));
  CHECK(ValueOf(*e, "big") == "T" + big.substr(1));
  // Not journaling: no fast path.
  TempDir other;
  EngineOptions o = JournalingOptions(other.path());
  o.write_behind_ms = 0;
  auto d = testing::OpenTestEngine(o);
  d->Put("big", Rec(big));
  CHECK_FALSE(d->ChangeInPlace("big", kNow, touch, &changed));
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
