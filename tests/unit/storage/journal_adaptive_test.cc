// Adaptive write-behind: the engine journals commits while that pays (a hot
// key, big turns) and writes straight to LevelDB otherwise, and a crash at
// any point of a switch, either way, loses nothing and leaves every key count
// right. A crash is a copy of the data dir taken while the engine is open.
#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "storage/engine.h"
#include "storage/record.h"
#include "tests/support/crash.h"
#include "tests/support/engine.h"
#include "tests/support/slot_counts.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait.h"

namespace ringkv::storage {
namespace {

using ringkv::testing::CheckCounts;
using ringkv::testing::CheckCrashCopy;
using ringkv::testing::Commit;
using ringkv::testing::CrashCopy;
using ringkv::testing::JournalingOptions;
using ringkv::testing::JournalSegments;
using ringkv::testing::Key;
using ringkv::testing::Live;
using ringkv::testing::Rec;
using ringkv::testing::SlotCountsOffScan;
using ringkv::testing::TempDir;
using ringkv::testing::ValueOf;

// Turns of `turn` 200 us apart for `ms`; with `until`, also on until the
// engine journals (true) or not (false), for 50 ms more then, within 20 s:
// a busy machine makes fewer turns, and a period of too few writes is not
// judged.
int RunTurns(Engine& e, int ms, std::optional<bool> until, const std::function<void(int)>& turn) {
  using Clock = std::chrono::steady_clock;
  auto end = Clock::now() + std::chrono::milliseconds(ms);
  const auto give_up = Clock::now() + std::chrono::seconds(20);
  bool reached = !until;
  int i = 0;
  for (; Clock::now() < end || (!reached && Clock::now() < give_up); ++i) {
    turn(i);
    REQUIRE(e.EndTurn().ok());
    std::this_thread::sleep_for(std::chrono::microseconds(200));
    if (!reached && e.journaling() == *until) {
      reached = true;
      end = std::max(end, Clock::now() + std::chrono::milliseconds(50));
    }
  }
  return i;
}

TEST_CASE("Adaptive write-behind: journals a hot key, not keys written once", "[journal]") {
  TempDir dir, crashed;
  EngineOptions o = JournalingOptions(dir.path());
  o.write_behind_ms = 5;  // periods of 100 ms
  o.write_behind_adaptive = true;
  auto e = testing::OpenTestEngine(o);
  CHECK_FALSE(e->journaling());  // it starts writing straight to LevelDB
  // Every turn writes 5 keys never written before: the journal would not pay.
  const int fresh_turns = RunTurns(*e, 350, std::nullopt, [&](int t) {
    for (int k = 0; k < 5; ++k) e->Put(Key(t * 5 + k), Rec("once"));
  });
  CHECK_FALSE(e->journaling());
  CHECK(e->stats().behind_switches == 0);
  CHECK(JournalSegments(dir.path()).empty());
  // Every turn writes the same key: journaled, flushed once per window.
  RunTurns(*e, 350, true, [&](int t) { e->Put("hot", Rec(std::to_string(t))); });
  CHECK(e->journaling());
  CHECK(e->stats().behind_switches == 1);
  CHECK(JournalSegments(dir.path()).size() == 1);
  CHECK(e->stats().behind_flushes > 0);
  CHECK(e->stats().behind_writes < e->stats().commits / 2);
  // A crash now keeps both kinds of writes.
  const std::string copy = crashed.path() + "/data";
  CrashCopy(dir.path(), copy);
  const std::string hot = *ValueOf(*e, "hot");
  // And back: fresh keys again turn the journal off, leaving no segment.
  // (The keys written once it is off are noted.)
  std::vector<std::string> direct;
  RunTurns(*e, 350, false, [&](int t) {
    const bool journaled = e->journaling();
    for (int k = 0; k < 5; ++k) {
      std::string key = "again:" + std::to_string(t * 5 + k);
      e->Put(key, Rec("once"));
      if (!journaled) direct.push_back(std::move(key));
    }
  });
  CHECK_FALSE(e->journaling());
  CHECK(e->stats().behind_switches == 2);
  CHECK(JournalSegments(dir.path()).empty());
  // The counters are journaled right after a switch: hot writes until it
  // journals, then, in the first journaled commit, the keys written straight
  // to LevelDB since the last switch are deleted (the count falls back to
  // what the last journaled commit left), and a crash.
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  for (int t = 0; !e->journaling() && std::chrono::steady_clock::now() < until; ++t) {
    e->Put("hot", Rec(std::to_string(t)));
    REQUIRE(e->EndTurn().ok());
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  REQUIRE(e->journaling());
  REQUIRE(!direct.empty());
  const uint64_t count = e->KeyCount() - direct.size();
  for (const auto& k : direct) e->Delete(k);
  Commit(*e);
  CHECK(e->KeyCount() == count);
  const std::string emptied = crashed.path() + "/emptied";
  CrashCopy(dir.path(), emptied);
  e.reset();
  auto c = testing::OpenTestEngine(JournalingOptions(copy));
  CHECK(ValueOf(*c, "hot") == hot);
  CHECK(ValueOf(*c, Key(fresh_turns * 5 - 1)) == "once");
  CHECK(c->KeyCount() == static_cast<uint64_t>(fresh_turns) * 5 + 1);
  auto d = testing::OpenTestEngine(JournalingOptions(emptied));
  CHECK(d->KeyCount() == count);
  // The journal's counts are not read under the direct commits' slot count
  // log (it stays when journaling begins: they are tagged past it).
  CHECK(SlotCountsOffScan(*c) == 0);
  CHECK(SlotCountsOffScan(*d) == 0);
  CHECK_FALSE(ValueOf(*d, direct.front()).has_value());
}

TEST_CASE("Adaptive write-behind: journals big turns of keys written once", "[journal]") {
  TempDir dir, crashed;
  EngineOptions o = JournalingOptions(dir.path());
  o.write_behind_ms = 5;  // periods of 100 ms
  o.write_behind_adaptive = true;
  // No memtable moves to a table, so no compaction deletes a file while the
  // crash copy below reads the directory.
  o.write_buffer_bytes = 256 << 20;
  auto e = testing::OpenTestEngine(o);
  REQUIRE_FALSE(e->journaling());
  int next = 0;
  auto run = [&](int ms, int keys_per_turn, bool until) {
    RunTurns(*e, ms, until, [&](int) {
      for (int k = 0; k < keys_per_turn; ++k) e->Put(Key(next++), Rec("once"));
    });
  };
  // Turns of 200 keys never written before (a pipelined load): the writer
  // thread takes LevelDB's inserts off the loop.
  run(350, 200, true);
  CHECK(e->journaling());
  CHECK(e->stats().behind_switches == 1);
  CHECK(JournalSegments(dir.path()).size() == 1);
  const std::string copy = crashed.path() + "/data";
  CrashCopy(dir.path(), copy);
  const int written = next;
  // Turns of 5: straight to LevelDB again.
  run(350, 5, false);
  CHECK_FALSE(e->journaling());
  CHECK(e->stats().behind_switches == 2);
  CHECK(JournalSegments(dir.path()).empty());
  e.reset();
  auto c = testing::OpenTestEngine(JournalingOptions(copy));
  CHECK(c->KeyCount() == static_cast<uint64_t>(written));
  CHECK(ValueOf(*c, Key(written - 1)) == "once");
}

// The slot count log of direct commits stays when the journal comes on (a
// whole fold there stalled the loop): journaled counts are tagged past its
// entries, so a crash while journaling does not read the log over them, and
// the log's next fold comes with the direct commits after.
TEST_CASE("Adaptive write-behind: the slot count log stays through the journal", "[journal]") {
  TempDir dir, crashed;
  EngineOptions o = JournalingOptions(dir.path());
  o.write_behind_ms = 5;  // periods of 100 ms
  o.write_behind_adaptive = true;
  o.slot_log_fold_pairs = 600;
  o.write_buffer_bytes = 256 << 20;  // no compaction deletes a file a crash copy reads
  auto e = testing::OpenTestEngine(o);
  REQUIRE_FALSE(e->journaling());
  Live live;
  int next = 0;
  std::vector<std::string> logged;  // keys whose slots only the log counts
  auto fresh = [&](int) {           // 5 keys never written: a log entry of 5 slots
    for (int k = 0; k < 5; ++k) {
      const std::string key = Key(next++);
      e->Put(key, Rec("once"));
      live[key] = KeySlot(key);
      logged.push_back(key);
    }
  };
  // Turns of fresh keys (direct commits) until a fold past the first
  // `folds` is done.
  auto fresh_until_folded = [&](uint64_t folds) {
    for (int t = 0; e->stats().slot_log_folds <= folds || e->slot_log_folding(); ++t) {
      REQUIRE(t < 10000);
      fresh(t);
      REQUIRE(e->EndTurn().ok());
    }
  };
  fresh_until_folded(0);
  logged.clear();
  for (int t = 0; t < 20; ++t) {  // 100 pairs in the log: no fold starts
    fresh(t);
    REQUIRE(e->EndTurn().ok());
  }
  const uint64_t folds = e->stats().slot_log_folds;
  RunTurns(*e, 0, true, [&](int t) { e->Put("hot", Rec(std::to_string(t))); });
  live["hot"] = KeySlot("hot");
  REQUIRE(e->journaling());
  CHECK(e->stats().slot_log_folds == folds);  // none at the switch
  // Journaled: the keys the log's entries counted go, one a turn, beside a
  // write of the hot key (half the writes are not new: the journal stays).
  for (size_t i = 0; i < logged.size(); ++i) {
    e->Delete(logged[i]);
    live.erase(logged[i]);
    e->Put("hot", Rec("d" + std::to_string(i)));
    REQUIRE(e->EndTurn().ok());
  }
  REQUIRE(e->journaling());
  CheckCrashCopy(o, crashed.path() + "/journaling", live);
  // Direct again, and on until the log's next fold is done.
  RunTurns(*e, 0, false, fresh);
  fresh_until_folded(folds);
  REQUIRE_FALSE(e->journaling());
  CheckCrashCopy(o, crashed.path() + "/folded", live);
  CheckCounts(*e, live);
  e.reset();
  INFO("after a clean close");
  CheckCounts(*testing::OpenTestEngine(o), live);
}

// Neither switch makes the loop wait for a synced write of everything. To
// the journal: the writer thread syncs LevelDB while commits still go there.
// Back: a flight on the writer thread syncs every waiting key while commits
// are still journaled, and only the few committed meanwhile go at the switch.
// A crash while either is under way, or after it, keeps every write.
TEST_CASE("Adaptive write-behind: the switches sync on the writer thread, over several turns",
          "[journal]") {
  const bool always = GENERATE(false, true);  // appendfsync always: every commit synced
  INFO("sync_commits " << always);
  TempDir dir, crashed;
  EngineOptions o = JournalingOptions(dir.path());
  o.write_behind_ms = 5;  // periods of 100 ms
  o.write_behind_adaptive = true;
  o.sync_commits = always;
  o.write_buffer_bytes = 256 << 20;  // no compaction deletes a file a crash copy reads
  auto e = testing::OpenTestEngine(o);
  Live live;
  int next = 0;
  auto fresh = [&](int keys) {
    for (int k = 0; k < keys; ++k) {
      const std::string key = Key(next++);
      e->Put(key, Rec("once"));
      live[key] = KeySlot(key);
    }
  };
  // Big turns of new keys: journaled, once the writer thread has synced
  // LevelDB, over more than one turn, with commits going straight to
  // LevelDB meanwhile (no segment yet). A crash then keeps them.
  int starting_turns = 0;
  RunTurns(*e, 0, true, [&](int) {
    if (e->journal_starting() && starting_turns++ == 0) {
      CHECK(JournalSegments(dir.path()).empty());
      CheckCrashCopy(o, crashed.path() + "/starting", live);
    }
    fresh(200);
  });
  REQUIRE(e->journaling());
  CHECK(starting_turns >= 1);
  CHECK_FALSE(e->journal_starting());
  // Turns of 5 new keys: back to direct commits, over more than one turn.
  int stopping_turns = 0;
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (e->journaling()) {
    REQUIRE(std::chrono::steady_clock::now() < give_up);
    fresh(5);
    REQUIRE(e->EndTurn().ok());
    if (e->journal_stopping() && stopping_turns++ == 0) {
      // Still journaled: the segment holds this turn's commit, and a crash
      // now replays it.
      CHECK_FALSE(JournalSegments(dir.path()).empty());
      CheckCrashCopy(o, crashed.path() + "/stopping", live);
    }
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  CHECK(stopping_turns >= 1);
  CHECK(e->stats().behind_switches == 2);
  CHECK(JournalSegments(dir.path()).empty());
  // The segments were renamed, then deleted on the writer thread.
  CHECK(testing::WaitFor([&] {
    for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
      if (entry.path().filename().string().ends_with(".dropped")) return false;
    }
    return true;
  }));
  // Direct commits now: one rewrites a key the journal held and deletes
  // another. No segment is left to replay the older writes over them.
  e->Put(Key(0), Rec("direct"));
  e->Delete(Key(1));
  live.erase(Key(1));
  Commit(*e);
  CheckCrashCopy(o, crashed.path() + "/direct", live);
  auto c = testing::OpenTestEngine([&] {
    EngineOptions co = o;
    co.dir = crashed.path() + "/direct";
    return co;
  }());
  CHECK(ValueOf(*c, Key(0)) == "direct");
  CHECK_FALSE(ValueOf(*c, Key(1)).has_value());
  CHECK(ValueOf(*c, Key(next - 1)) == "once");
  CHECK(SlotCountsOffScan(*c) == 0);
  CheckCounts(*e, live);
}

}  // namespace
}  // namespace ringkv::storage
