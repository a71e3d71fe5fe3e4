// The compaction of the whole database once writes stop (idle_flush.h):
// when it runs, what it leaves (every table in one level, the data as it
// was), and that writes coming back stop it; and the same on request.
#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "storage/engine.h"
#include "tests/support/crash.h"
#include "tests/support/engine.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait.h"

namespace ringkv::storage {
namespace {

using ringkv::testing::Key;
using ringkv::testing::TempDir;
using ringkv::testing::WaitFor;

std::string Value(int i) { return std::string(200, static_cast<char>('a' + i % 26)); }

Record Rec(std::string value) {
  Record r;
  r.value = std::move(value);
  return r;
}

void Commit(Engine& e) {
  Status s = e.FlushBehind();  // to LevelDB at once: the tests are about what it then does
  INFO(s.message());
  REQUIRE(s.ok());
}

// Levels holding table files, from the engine's "0,4,49,2,0,0,0".
int LevelsWithFiles(Engine& e) {
  int n = 0;
  std::istringstream levels(e.FilesPerLevel());
  for (std::string files; std::getline(levels, files, ',');) n += std::stoi(files) > 0;
  return n;
}

// Writes keys [from, to) in commits of 500: with a 256 KB write buffer,
// LevelDB spreads them over several levels.
void Write(Engine& e, int from, int to) {
  for (int i = from; i < to; i += 500) {
    for (int k = i; k < std::min(to, i + 500); ++k) e.Put(Key(k), Rec(Value(k)));
    Commit(e);
  }
}

// Every 7th of keys [0, n) holds its value.
void CheckValues(Engine& e, int n) {
  for (int i = 0; i < n; i += 7) {
    auto r = e.Get(Key(i));
    REQUIRE(r.ok());
    REQUIRE(*r);
    REQUIRE((*r)->value == Value(i));
  }
}

// The same, and keys [0, n) are all there is.
void CheckAll(Engine& e, int n) {
  CheckValues(e, n);
  CHECK(e.KeyCount() == static_cast<uint64_t>(n));
}

struct Logged {
  std::vector<std::string> lines;
  bool Has(const std::string& part) const {
    for (const auto& l : lines) {
      if (l.find(part) != std::string::npos) return true;
    }
    return false;
  }
};

EngineOptions Options(const std::string& dir, Logged* logged) {
  EngineOptions o;
  o.dir = dir;
  o.write_buffer_bytes = 256 << 10;  // and so at least 256 KB written
  o.idle_flush_ms = 100;
  o.idle_compact_percent = 50;
  o.log = [logged](const std::string& m) { logged->lines.push_back(m); };
  return o;
}

TEST_CASE("Engine: once writes stop, the whole database is compacted into one level",
          "[engine][compaction]") {
  TempDir dir;
  Logged logged;
  auto e = testing::OpenTestEngine(Options(dir.path(), &logged));
  const int n = 40000;  // about 9 MB
  Write(*e, 0, n);
  INFO("files per level after the writes: " << e->FilesPerLevel());
  REQUIRE(e->idle_compactions() == 0);
  REQUIRE(WaitFor([&] { return e->idle_compactions() == 1; }, std::chrono::seconds(60)));
  e->LogProgress();  // the last message is told before the count moves
  INFO("files per level after it: " << e->FilesPerLevel());
  CHECK(LevelsWithFiles(*e) == 1);
  CHECK(logged.Has("LevelDB idle compaction: "));
  CHECK(logged.Has("LevelDB idle compaction done in "));
  CheckAll(*e, n);

  // More writes, over the 256 KB minimum but far below half the database
  // (about 700 KB of 9 MB): no second one.
  Write(*e, n, n + 3000);
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  CHECK(e->idle_compactions() == 1);
  CHECK_FALSE(e->idle_compacting());

  // The data survives a restart, and so does the one-level shape.
  e.reset();
  e = testing::OpenTestEngine(Options(dir.path(), &logged));
  CheckAll(*e, n + 3000);
}

TEST_CASE("Engine: a write stops the idle compaction, and the next idle period does it",
          "[engine][compaction]") {
  TempDir dir;
  Logged logged;
  auto e = testing::OpenTestEngine(Options(dir.path(), &logged));
  const int n = 80000;  // about 18 MB: its 17 steps take a while
  Write(*e, 0, n);
  // As soon as it starts, one more write: it stops before its next step.
  REQUIRE(WaitFor([&] { return e->idle_compacting(); }, std::chrono::seconds(60)));
  e->Put("late", Rec("write"));
  Commit(*e);
  REQUIRE(WaitFor([&] { return !e->idle_compacting(); }, std::chrono::seconds(60)));
  e->LogProgress();
  CHECK(e->idle_compactions() == 0);
  CHECK(logged.Has("writes came back"));
  // Writes stop again: it goes on where it stopped (one small write is not
  // worth starting over), and finishes.
  REQUIRE(WaitFor([&] { return e->idle_compactions() == 1; }, std::chrono::seconds(60)));
  e->LogProgress();
  CHECK(logged.Has("going on at step "));
  CHECK(LevelsWithFiles(*e) == 1);
  CheckAll(*e, n + 1);
}

TEST_CASE("Engine: what a clean close left uncompacted is compacted after the restart",
          "[engine][compaction]") {
  TempDir dir;
  Logged logged;
  EngineOptions o = Options(dir.path(), &logged);
  o.idle_flush_ms = 60'000;  // no idle period before the close
  const int n = 40000;
  {
    auto e = testing::OpenTestEngine(o);
    Write(*e, 0, n);
    REQUIRE(LevelsWithFiles(*e) > 1);
  }
  o.idle_flush_ms = 100;
  auto e = testing::OpenTestEngine(o);
  INFO("files per level at the restart: " << e->FilesPerLevel());
  REQUIRE(WaitFor([&] { return e->idle_compactions() == 1; }, std::chrono::seconds(60)));
  CHECK(LevelsWithFiles(*e) == 1);
  CheckAll(*e, n);
  // Done: the next clean close saves nothing left to do.
  e.reset();
  e = testing::OpenTestEngine(o);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  CHECK(e->idle_compactions() == 0);
}

TEST_CASE("Engine: the bytes a clean close left are taken once: a crash after starts from zero",
          "[engine][compaction]") {
  TempDir dir, crashed;
  Logged logged;
  EngineOptions o = Options(dir.path(), &logged);
  o.idle_flush_ms = 60'000;
  { Write(*testing::OpenTestEngine(o), 0, 40000); }
  // This open takes the saved count (no idle period comes before the copy,
  // which is the data dir as a crash would leave it).
  const std::string copy = crashed.path() + "/data";
  {
    auto e = testing::OpenTestEngine(o);
    testing::CrashCopy(dir.path(), copy);
  }
  EngineOptions c = Options(copy, &logged);
  auto e = testing::OpenTestEngine(c);
  std::this_thread::sleep_for(std::chrono::milliseconds(800));
  CHECK(e->idle_compactions() == 0);
  CHECK_FALSE(e->idle_compacting());
}

TEST_CASE("Engine: idle_compact_percent 0 never compacts the database", "[engine][compaction]") {
  TempDir dir;
  Logged logged;
  EngineOptions o = Options(dir.path(), &logged);
  o.idle_compact_percent = 0;
  auto e = testing::OpenTestEngine(o);
  Write(*e, 0, 20000);
  // The memtable moves (the idle flush still works), nothing else happens.
  REQUIRE(WaitFor([&] { return e->idle_flushes() == 1; }, std::chrono::seconds(10)));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  CHECK(e->idle_compactions() == 0);
  e->LogProgress();
  CHECK_FALSE(logged.Has("idle compaction"));
}

TEST_CASE("Engine: a requested compaction (BGREWRITEAOF) runs at once, through writes",
          "[engine][compaction]") {
  TempDir dir;
  Logged logged;
  EngineOptions o = Options(dir.path(), &logged);
  o.idle_flush_ms = 0;  // no idle work at all: only the request compacts
  auto e = testing::OpenTestEngine(o);
  const int n = 80000;  // about 18 MB: 17 steps
  Write(*e, 0, n);
  REQUIRE(LevelsWithFiles(*e) > 1);
  CHECK(e->requested_compactions().last_sec == -1);
  REQUIRE(e->RequestCompaction());
  CHECK(e->requested_compactions().in_progress);
  CHECK_FALSE(e->RequestCompaction());  // one at a time
  // Writes go on while it runs, and do not stop it.
  int extra = 0;
  while (e->requested_compactions().in_progress && extra < 20000) {
    e->Put("late" + std::to_string(extra), Rec("write"));
    ++extra;
    if (extra % 100 == 0) Commit(*e);
  }
  Commit(*e);
  REQUIRE(
      WaitFor([&] { return !e->requested_compactions().in_progress; }, std::chrono::seconds(60)));
  e->LogProgress();
  const Engine::RequestedCompactions rc = e->requested_compactions();
  CHECK(rc.started == 1);
  CHECK(rc.last_ok);
  CHECK(rc.last_sec >= 0);
  CHECK(rc.failures_in_a_row == 0);
  CHECK(e->idle_compactions() == 0);  // counted apart
  CHECK(logged.Has("LevelDB compaction (BGREWRITEAOF) done in "));
  CHECK_FALSE(logged.Has("stopped before step"));
  // The late writes may sit in the memtable or level 0; the keys written
  // before the request are all in one other level now.
  INFO("files per level after it: " << e->FilesPerLevel() << ", late writes " << extra);
  CHECK(extra > 0);
  CHECK(LevelsWithFiles(*e) <= 2);
  CheckValues(*e, n);
  CHECK(e->KeyCount() == static_cast<uint64_t>(n + extra));
  // It can be asked for again once done; a FLUSHALL keeps the counts.
  REQUIRE(e->RequestCompaction());
  REQUIRE(WaitFor(
      [&] {
        return e->requested_compactions().started == 2 && !e->requested_compactions().in_progress;
      },
      std::chrono::seconds(60)));
  REQUIRE(e->FlushAll().ok());
  CHECK(e->requested_compactions().started == 2);
  CHECK_FALSE(e->requested_compactions().in_progress);
  CHECK(e->RequestCompaction());
}

TEST_CASE("Engine: FLUSHALL and a close stop a requested compaction between two steps",
          "[engine][compaction]") {
  TempDir dir;
  Logged logged;
  EngineOptions o = Options(dir.path(), &logged);
  o.idle_flush_ms = 0;
  {
    auto e = testing::OpenTestEngine(o);
    Write(*e, 0, 80000);
    REQUIRE(e->RequestCompaction());
    REQUIRE(e->FlushAll().ok());  // waits for the step under way, no longer
    CHECK_FALSE(e->requested_compactions().in_progress);
    CHECK(e->KeyCount() == 0);
    e->Put("after", Rec("flush"));
    Commit(*e);
    Write(*e, 0, 40000);
    REQUIRE(e->RequestCompaction());
  }  // closed while the second one runs
  auto e = testing::OpenTestEngine(o);
  CHECK(e->KeyCount() == 40001);
  CheckValues(*e, 40000);
  CHECK_FALSE(e->requested_compactions().in_progress);
}

}  // namespace
}  // namespace ringkv::storage
