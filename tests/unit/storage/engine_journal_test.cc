// The engine's write-behind: committed writes wait in the cache and the write
// journal, reach LevelDB in flushes, and a crash between the two loses
// nothing (the next open replays the journal). A crash is a copy of the data
// dir taken while the engine is open: the files as the kernel holds them.
#include <catch2/catch.hpp>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "storage/crc32c.h"
#include "storage/engine.h"
#include "storage/journal.h"
#include "tests/support/crash.h"
#include "tests/support/engine.h"
#include "tests/support/slot_counts.h"
#include "tests/support/temp_dir.h"

namespace ringkv::storage {
namespace {

namespace fs = std::filesystem;
using ringkv::testing::CheckCounts;
using ringkv::testing::CheckCrashCopy;
using ringkv::testing::Commit;
using ringkv::testing::CrashCopy;
using ringkv::testing::JournalingOptions;
using ringkv::testing::JournalSegments;
using ringkv::testing::Key;
using ringkv::testing::Live;
using ringkv::testing::Rec;
using ringkv::testing::TempDir;
using ringkv::testing::ValueOf;

TEST_CASE("CRC-32C matches the standard check value", "[journal]") {
  CHECK(Crc32c("123456789", 9) == 0xe3069283u);
  CHECK(Crc32c("", 0) == 0u);
  // In pieces, the same as at once (odd lengths take the byte path).
  std::string s(1000, '\0');
  for (size_t i = 0; i < s.size(); ++i) s[i] = static_cast<char>(i * 7 + 3);
  CHECK(Crc32c(s.data() + 13, s.size() - 13, Crc32c(s.data(), 13)) == Crc32c(s.data(), s.size()));
}

// A segment dropped with `dropped` is renamed (its blocks are freed by the
// unlink, on another thread): a start never replays it, and deletes it.
TEST_CASE("Journal: a dropped segment is never replayed, and the next open deletes it",
          "[journal]") {
  TempDir dir;
  auto append = [](Journal& j, const std::string& key) {
    Journal::AppendPut(j.Begin(), key, "v");
    REQUIRE(j.Append(/*sync=*/false).ok());
  };
  {
    auto j = Journal::Open(dir.path(), nullptr);
    REQUIRE(j.ok());
    REQUIRE((*j)->StartSegment().ok());
    append(**j, "old");
    REQUIRE((*j)->StartSegment().ok());
    append(**j, "new");
    std::vector<std::string> dropped;
    REQUIRE((*j)->DropOld(&dropped).ok());
    REQUIRE(dropped.size() == 1);
    CHECK(fs::exists(dropped[0]));
    CHECK(fs::path(dropped[0]).filename().string().ends_with(".rkj.dropped"));
    CHECK(JournalSegments(dir.path()).size() == 1);  // the current one
  }
  auto j = Journal::Open(dir.path(), nullptr);
  REQUIRE(j.ok());
  std::vector<std::string> keys;
  Journal::ReplayStats stats;
  REQUIRE((*j)->Replay(
                  [&](std::string_view payload) {
                    Journal::Op op;
                    while (Journal::NextOp(&payload, &op)) keys.emplace_back(op.key);
                    return Status::Ok();
                  },
                  &stats)
              .ok());
  CHECK(keys == std::vector<std::string>{"new"});
  size_t left = 0;
  for (const auto& entry : fs::directory_iterator(dir.path())) {
    left += entry.path().filename().string().ends_with(".dropped") ? 1 : 0;
  }
  CHECK(left == 0);
}

TEST_CASE("Write-behind: committed writes wait in the cache, and one flush writes the last state",
          "[journal]") {
  TempDir dir;
  auto e = testing::OpenTestEngine(JournalingOptions(dir.path()));
  // A hot key written in 500 commits, and 100 keys written once.
  for (int i = 0; i < 500; ++i) {
    e->Put("hot", Rec("v" + std::to_string(i)));
    Commit(*e);
  }
  for (int i = 0; i < 100; ++i) e->Put(Key(i), Rec("x"));
  e->Delete(Key(7));
  Commit(*e);
  CHECK(e->stats().commits == 501);
  CHECK(e->journaling());
  CHECK(e->unflushed() == 101);
  CHECK(e->stats().behind_flushes == 0);
  CHECK(ValueOf(*e, "hot") == "v499");
  CHECK(e->KeyCount() == 100);
  REQUIRE(e->FlushBehind().ok());
  CHECK(e->unflushed() == 0);
  CHECK(e->stats().behind_flushes == 1);
  CHECK(e->stats().behind_writes == 101);  // the hot key once
  // A scan reads LevelDB, which now holds everything.
  std::vector<std::string> keys;
  std::string next;
  REQUIRE(e->Scan(
               "", 1000,
               [&](std::string_view k, const Record&) {
                 keys.emplace_back(k);
                 return true;
               },
               &next)
              .ok());
  CHECK(keys.size() == 100);
}

TEST_CASE("Write-behind: a crash before the flush loses nothing committed", "[journal]") {
  TempDir dir, crashed;
  const std::string copy = crashed.path() + "/data";
  {
    auto e = testing::OpenTestEngine(JournalingOptions(dir.path()));
    for (int i = 0; i < 300; ++i) e->Put(Key(i), Rec("first", i % 3 == 0 ? 4'000'000'000'000 : 0));
    Commit(*e);
    REQUIRE(e->FlushBehind().ok());  // some in LevelDB...
    for (int i = 0; i < 300; i += 2) e->Put(Key(i), Rec("second"));
    for (int i = 1; i < 300; i += 10) e->Delete(Key(i));
    Commit(*e);
    e->Put("counter", Rec("41"));
    Commit(*e);
    e->Put("counter", Rec("42"));
    Commit(*e);
    e->Put("uncommitted", Rec("never"));  // ...and some only in the journal
    CHECK(e->unflushed() > 0);
    CrashCopy(dir.path(), copy);
    REQUIRE(e->FlushBehind().ok());
  }
  auto e = testing::OpenTestEngine(JournalingOptions(copy));
  CHECK(e->stats().replayed_records == 4);
  CHECK(ValueOf(*e, "counter") == "42");
  CHECK_FALSE(ValueOf(*e, "uncommitted").has_value());
  uint64_t live = 1, expiring = 0;
  for (int i = 0; i < 300; ++i) {
    INFO(Key(i));
    if (i % 10 == 1) {
      CHECK_FALSE(ValueOf(*e, Key(i)).has_value());
      continue;
    }
    ++live;
    CHECK(ValueOf(*e, Key(i)) == (i % 2 == 0 ? "second" : "first"));
    if (i % 3 == 0 && i % 2 == 1) ++expiring;  // a "second" SET dropped the expiry
  }
  CHECK(e->KeyCount() == live);
  CHECK(e->ExpiresCount() == expiring);
  // The replayed segment is gone; a new one takes the next commits.
  CHECK(JournalSegments(copy).size() == 1);
  CHECK(e->stats().behind_flushes == 0);
}

TEST_CASE("Write-behind: a record a crash cut short is dropped, damage elsewhere refuses to open",
          "[journal]") {
  TempDir dir, crashed;
  const std::string copy = crashed.path() + "/data";
  {
    auto e = testing::OpenTestEngine(JournalingOptions(dir.path()));
    e->Put("a", Rec("1"));
    Commit(*e);
    e->Put("b", Rec(std::string(5000, 'b')));
    Commit(*e);
    e->Put("c", Rec("3"));
    Commit(*e);
    CrashCopy(dir.path(), copy);
  }
  auto segments = JournalSegments(copy);
  REQUIRE(segments.size() == 1);
  const fs::path seg = segments[0];
  const uintmax_t size = fs::file_size(seg);
  const std::string whole = crashed.path() + "/whole";
  fs::copy(copy, whole, fs::copy_options::recursive);

  SECTION("cut in the last record: the two before it are there") {
    fs::resize_file(seg, size - 3);
    auto e = testing::OpenTestEngine(JournalingOptions(copy));
    CHECK(e->stats().replayed_records == 2);
    CHECK(ValueOf(*e, "a") == "1");
    CHECK(ValueOf(*e, "b") == std::string(5000, 'b'));
    CHECK_FALSE(ValueOf(*e, "c").has_value());
    CHECK(e->KeyCount() == 2);
  }
  SECTION("cut inside the last record's header: the ones before it are there") {
    std::ofstream(seg, std::ios::binary | std::ios::app) << std::string("\x05\x01\x02", 3);
    auto e = testing::OpenTestEngine(JournalingOptions(copy));
    CHECK(e->stats().replayed_records == 3);
    CHECK(ValueOf(*e, "c") == "3");
  }
  SECTION("zeros past the last record (a power cut): ignored") {
    std::ofstream(seg, std::ios::binary | std::ios::app) << std::string(4096, '\0');
    auto e = testing::OpenTestEngine(JournalingOptions(copy));
    CHECK(e->stats().replayed_records == 3);
    CHECK(ValueOf(*e, "c") == "3");
  }
  SECTION("a torn last record, then an empty segment (made before the crash): dropped") {
    fs::resize_file(seg, size - 3);
    std::ofstream(fs::path(copy) / "journal-999999.rkj");
    auto e = testing::OpenTestEngine(JournalingOptions(copy));
    CHECK(e->stats().replayed_records == 2);
    CHECK_FALSE(ValueOf(*e, "c").has_value());
  }
  SECTION("a torn record before a segment with records: refused") {
    fs::resize_file(seg, size - 3);
    fs::copy_file(fs::path(whole) / seg.filename(), fs::path(copy) / "journal-999999.rkj");
    auto r = Engine::Open(JournalingOptions(copy));
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().message().find("damaged") != std::string::npos);
  }
  SECTION("a damaged length with good records after it: refused, not taken for a torn tail") {
    std::fstream f(seg, std::ios::binary | std::ios::in | std::ios::out);
    f.seekp(0);
    f.write("\xff\xff\xff\x7f", 4);  // the first record's length
    f.close();
    auto r = Engine::Open(JournalingOptions(copy));
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().message().find("damaged") != std::string::npos);
  }
  SECTION("a segment that cannot be read: refused, not taken for an empty one") {
    // A directory in its place: it opens, and read() fails (EISDIR), as a
    // disk error would. Replaying it as empty would lose a, b and c.
    fs::remove(seg);
    fs::create_directory(seg);
    auto r = Engine::Open(JournalingOptions(copy));
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().message().find("can't read") != std::string::npos);
    CHECK(r.status().message().find(seg.filename().string()) != std::string::npos);
  }
  SECTION("a byte changed in the middle record: refused, naming the file") {
    std::fstream f(seg, std::ios::binary | std::ios::in | std::ios::out);
    f.seekp(200);  // inside b's 5000 bytes
    f.put('X');
    f.close();
    auto r = Engine::Open(JournalingOptions(copy));
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().message().find(seg.filename().string()) != std::string::npos);
    CHECK(r.status().message().find("damaged") != std::string::npos);
    // Nothing was deleted: with the byte restored, it opens in full.
    REQUIRE(JournalSegments(copy).size() == 1);
    fs::copy_file(fs::path(whole) / seg.filename(), seg, fs::copy_options::overwrite_existing);
    auto e = testing::OpenTestEngine(JournalingOptions(copy));
    CHECK(ValueOf(*e, "b") == std::string(5000, 'b'));
    CHECK(ValueOf(*e, "c") == "3");
  }
}

TEST_CASE("Write-behind: a torn record whose value holds journal records is still a torn tail",
          "[journal]") {
  // Whole journal records as a user's value (a backup of a journal, say):
  // inside the record a crash cut short they must not look like records
  // that follow it.
  TempDir maker, dir, crashed;
  std::string record;
  {
    auto m = testing::OpenTestEngine(JournalingOptions(maker.path()));
    m->Put("x", Rec("y"));
    Commit(*m);
    CrashCopy(maker.path(), crashed.path() + "/maker");
    auto segs = JournalSegments(crashed.path() + "/maker");
    REQUIRE(segs.size() == 1);
    std::ifstream f(segs[0], std::ios::binary);
    record.assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
    REQUIRE(record.size() > 8);
  }
  std::string value;
  while (value.size() < 200000) value += record;
  const std::string copy = crashed.path() + "/data";
  {
    auto e = testing::OpenTestEngine(JournalingOptions(dir.path()));
    e->Put("before", Rec("kept"));
    Commit(*e);
    e->Put("big", Rec(value));
    Commit(*e);
    CrashCopy(dir.path(), copy);
  }
  auto segs = JournalSegments(copy);
  REQUIRE(segs.size() == 1);
  fs::resize_file(segs[0], fs::file_size(segs[0]) - 100000);  // cut inside the value
  auto e = testing::OpenTestEngine(JournalingOptions(copy));
  CHECK(ValueOf(*e, "before") == "kept");
  CHECK_FALSE(ValueOf(*e, "big").has_value());
}

TEST_CASE("Write-behind: segments rotate once LevelDB holds them, and a clean close leaves none",
          "[journal]") {
  TempDir dir, crashed;
  EngineOptions o = JournalingOptions(dir.path());
  o.journal_segment_bytes = 16 << 10;
  {
    auto e = testing::OpenTestEngine(o);
    const std::string value(1000, 'v');
    for (int i = 0; i < 200; ++i) {
      e->Put(Key(i), Rec(value + std::to_string(i)));
      Commit(*e);
      if (i % 10 == 9) REQUIRE(e->FlushBehind().ok());
      CHECK(JournalSegments(dir.path()).size() == 1);
    }
    CHECK(e->journal_segments() == 1);
    e->Put("last", Rec("unflushed"));
    Commit(*e);
    const std::string copy = crashed.path() + "/data";
    CrashCopy(dir.path(), copy);
    auto c = testing::OpenTestEngine(JournalingOptions(copy));
    for (int i = 0; i < 200; i += 13) CHECK(ValueOf(*c, Key(i)) == value + std::to_string(i));
    CHECK(ValueOf(*c, "last") == "unflushed");
    CHECK(c->KeyCount() == 201);
  }
  CHECK(JournalSegments(dir.path()).empty());
  auto e = testing::OpenTestEngine(o);
  CHECK(e->stats().replayed_records == 0);
  CHECK(ValueOf(*e, "last") == "unflushed");
}

// A full segment is synced by the writer thread with the flights before the
// one that starts the next (the loop then syncs only the records since):
// one such flight, or more while over 1 MB came since the last (at most 4).
// With appendfsync always every record is synced already: it rotates at once.
TEST_CASE("Write-behind: a full segment is synced on the writer thread before the next starts",
          "[journal]") {
  TempDir dir;
  EngineOptions o = JournalingOptions(dir.path());
  o.journal_segment_bytes = 16 << 10;
  o.sync_commits = GENERATE(false, true);
  INFO("sync_commits " << o.sync_commits);
  auto e = testing::OpenTestEngine(o);
  int next = 0;
  auto write = [&](int commits, size_t bytes) {
    for (int i = 0; i < commits; ++i) {
      e->Put(Key(next++), Rec(std::string(bytes, 'v')));
      Commit(*e);
    }
  };
  write(20, 1000);  // 20 KB: full
  const auto first = JournalSegments(dir.path());
  REQUIRE(first.size() == 1);
  const uint64_t syncs = e->stats().journal_syncs;
  REQUIRE(e->FlushBehind().ok());
  if (o.sync_commits) {
    CHECK(JournalSegments(dir.path()).size() == 1);
    CHECK(JournalSegments(dir.path()) != first);  // rotated, the old one dropped
    CHECK(e->stats().journal_syncs == syncs);
  } else {
    CHECK(JournalSegments(dir.path()) == first);  // synced by the writer, not rotated
    CHECK(e->stats().journal_syncs == syncs + 1);
    write(1, 1000);
    REQUIRE(e->FlushBehind().ok());
    const auto second = JournalSegments(dir.path());
    CHECK(second.size() == 1);
    CHECK(second != first);
    CHECK(e->stats().journal_syncs == syncs + 1);
    // Full again, then over 1 MB more before each flush: synced again, up
    // to 4 times; the fifth flush rotates it whatever came since.
    write(20, 1000);
    REQUIRE(e->FlushBehind().ok());
    for (int round = 2; round <= 4; ++round) {
      INFO("sync " << round);
      write(12, 100'000);
      REQUIRE(e->FlushBehind().ok());
      CHECK(JournalSegments(dir.path()) == second);
      CHECK(e->stats().journal_syncs == syncs + 1 + round);  // (one for the first segment)
    }
    write(12, 100'000);
    REQUIRE(e->FlushBehind().ok());
    CHECK(JournalSegments(dir.path()).size() == 1);
    CHECK(JournalSegments(dir.path()) != second);
    CHECK(e->stats().journal_syncs == syncs + 5);
  }
  // A crash now keeps every write (the replay of what is left).
  const std::string copy = dir.path() + "-crashed";
  CrashCopy(dir.path(), copy);
  e.reset();
  auto c = testing::OpenTestEngine(JournalingOptions(copy));
  CHECK(c->KeyCount() == static_cast<uint64_t>(next));
  CHECK(ValueOf(*c, Key(0)) == std::string(1000, 'v'));
  CHECK(ValueOf(*c, Key(next - 1)).has_value());
  c.reset();
  fs::remove_all(copy);
}

// Turns of writes and deletes (0 to 6 slot counts changed each), a FLUSHALL,
// and a crash every 83 turns; every crash copy must open with every slot's
// key count right (engine_counts.cc). `after` checks the engine at the end.
void CheckSlotCountsThroughCrashes(const EngineOptions& o, const std::string& crashed,
                                   const std::function<void(const Engine&)>& after) {
  Live live;
  int crashes = 0;
  {
    auto e = testing::OpenTestEngine(o);
    const std::string value(300, 'v');
    for (int i = 0; i < 900; ++i) {
      for (int j = 0; j < 4; ++j) {  // new keys, and keys written again (no change to a count)
        const std::string k = Key((4 * i + j) % 2000);
        e->Put(k, Rec(value));
        live[k] = KeySlot(k);
      }
      for (int j : {7, 13}) {  // and some deleted
        const std::string gone = Key((i * j) % 2000);
        e->Delete(gone);
        live.erase(gone);
      }
      Commit(*e);
      if (i % 9 == 8) REQUIRE(e->FlushBehind().ok());
      if (i == 450) {
        REQUIRE(e->FlushAll().ok());
        live.clear();
      }
      if (i % 83 == 82) {
        INFO("crash after turn " << i);
        CheckCrashCopy(o, crashed + "/c" + std::to_string(i), live);
        ++crashes;
      }
    }
    after(*e);
  }
  CHECK(crashes == 10);
  CHECK(JournalSegments(o.dir).empty());
  auto e = testing::OpenTestEngine(o);
  CHECK(e->stats().replayed_records == 0);
  INFO("after a clean close");
  CheckCounts(*e, live);
}

// The slot counts of journaled commits reach LevelDB only with a flight that
// lets segments go: a crash at any point, replaying what is left of the
// journal, must still find every slot's count.
TEST_CASE("Write-behind: every slot's key count survives a crash, across segment rotations",
          "[journal]") {
  TempDir dir, crashed;
  EngineOptions o = JournalingOptions(dir.path());
  o.journal_segment_bytes = 16 << 10;
  CheckSlotCountsThroughCrashes(o, crashed.path(), [](const Engine& e) {
    CHECK(e.stats().behind_flushes > 50);  // and segments rotated (16 KB each)
  });
}

// Direct commits log the slot counts (or write them, for up to two) and fold
// the log a step per commit: a crash at any point reads the counts, then the
// log over the counts it is not older than.
TEST_CASE("Direct commits: every slot's key count survives a crash, across slot log folds",
          "[journal]") {
  TempDir dir, crashed;
  EngineOptions o;
  o.dir = dir.path();
  o.write_behind_ms = 0;
  o.slot_log_fold_pairs = 300;  // a fold of up to 300 counts: several commits' steps
  CheckSlotCountsThroughCrashes(o, crashed.path(),
                                [](const Engine& e) { CHECK(e.stats().slot_log_folds >= 5); });
}

TEST_CASE(
    "Direct commits: slot counts from a crash in the middle of a fold, and over counts "
    "written after a log entry",
    "[journal]") {
  TempDir dir, crashed;
  EngineOptions o;
  o.dir = dir.path();
  o.write_behind_ms = 0;
  o.slot_log_fold_pairs = 400;  // a fold of about 400 counts: 7 commits' steps, then the deletes
  // A turn of 5 new keys: their slots' counts go to the log; then one of one
  // key, in a slot the turn before logged: its count is written, and must
  // stand over that log entry.
  auto turn = [](Engine& e, Live* live, const std::string& name, int t) {
    auto put = [&](const std::string& k) {
      e.Put(k, Rec("v"));
      (*live)[k] = KeySlot(k);
    };
    for (int j = 0; j < 5; ++j)
      put("{" + name + std::to_string(t) + "." + std::to_string(j) + "}a");
    Commit(e);
    if (t > 0) {
      put("{" + name + std::to_string(t - 1) + ".0}b");
      Commit(e);
    }
  };
  Live live, resumed_live;
  std::string resumed;  // a copy made in a fold, to go on writing on
  auto e = testing::OpenTestEngine(o);
  int mid_fold = 0;
  for (int t = 0; t < 200; ++t) {
    turn(*e, &live, "t", t);
    const bool folding = e->slot_log_folding();
    if (!folding && t % 10 != 0) continue;
    const std::string copy = crashed.path() + "/c" + std::to_string(t);
    INFO("crash after turn " << t << (folding ? ", in a fold" : ""));
    CheckCrashCopy(o, copy, live);
    mid_fold += folding ? 1 : 0;
    if (folding && resumed.empty()) {
      resumed = copy;
      resumed_live = live;
    }
  }
  CHECK(e->stats().slot_log_folds >= 2);
  CHECK(mid_fold >= 5);
  // The copy made in a fold, opened again and written on: its next folds
  // take in the entries the interrupted one left, and crashes still find
  // every count.
  REQUIRE(!resumed.empty());
  EngineOptions r = o;
  r.dir = resumed;
  auto again = testing::OpenTestEngine(r);
  for (int t = 0; t < 200; ++t) {
    turn(*again, &resumed_live, "r", t);
    if (t % 20 != 19) continue;
    INFO("the resumed copy, crash after turn " << t);
    CheckCrashCopy(r, crashed.path() + "/r" + std::to_string(t), resumed_live);
  }
  CHECK(again->stats().slot_log_folds >= 2);
}

TEST_CASE("Write-behind: FLUSHALL drops the journal with the data", "[journal]") {
  TempDir dir, crashed;
  const std::string copy = crashed.path() + "/data";
  {
    auto e = testing::OpenTestEngine(JournalingOptions(dir.path()));
    for (int i = 0; i < 50; ++i) e->Put(Key(i), Rec("old"));
    Commit(*e);
    REQUIRE(e->FlushAll().ok());
    e->Put("new", Rec("after"));
    Commit(*e);
    CrashCopy(dir.path(), copy);
  }
  auto e = testing::OpenTestEngine(JournalingOptions(copy));
  CHECK(e->KeyCount() == 1);
  CHECK(ValueOf(*e, "new") == "after");
  CHECK_FALSE(ValueOf(*e, Key(3)).has_value());
}

TEST_CASE("Write-behind off: commits go to LevelDB, and a journal left behind is replayed",
          "[journal]") {
  TempDir dir, crashed;
  const std::string copy = crashed.path() + "/data";
  {
    auto e = testing::OpenTestEngine(JournalingOptions(dir.path()));
    e->Put("from", Rec("the journal"));
    Commit(*e);
    CrashCopy(dir.path(), copy);
  }
  EngineOptions off = JournalingOptions(copy);
  off.write_behind_ms = 0;
  auto e = testing::OpenTestEngine(off);
  CHECK(ValueOf(*e, "from") == "the journal");
  CHECK(JournalSegments(copy).empty());
  e->Put("direct", Rec("write"));
  Commit(*e);
  CHECK(e->unflushed() == 0);
  CHECK(JournalSegments(copy).empty());
}

TEST_CASE("Write-behind: journaled keys are pinned in a full cache until the flush", "[journal]") {
  TempDir dir;
  EngineOptions o = JournalingOptions(dir.path());
  o.cache_bytes = 4096;
  auto e = testing::OpenTestEngine(o);
  for (int i = 0; i < 500; ++i) e->Put(Key(i), Rec(std::string(100, 'p')));
  Commit(*e);
  CHECK(e->unflushed() == 500);
  CHECK(e->cache().bytes() > o.cache_bytes);  // nothing evicted: LevelDB lacks them
  CHECK(e->cache().evictions() == 0);
  const uint64_t disk_reads = e->stats().disk_reads;
  for (int i = 0; i < 500; i += 7) CHECK(ValueOf(*e, Key(i)) == std::string(100, 'p'));
  CHECK(e->stats().disk_reads == disk_reads);
  REQUIRE(e->FlushBehind().ok());
  CHECK(e->cache().bytes() <= o.cache_bytes);
  CHECK(e->cache().evictions() > 0);
  for (int i = 0; i < 500; i += 7) CHECK(ValueOf(*e, Key(i)) == std::string(100, 'p'));
  CHECK(e->stats().disk_reads > disk_reads);
}

TEST_CASE("Write-behind: a flush writes the keys of a commit too big for the journal's buffer",
          "[journal]") {
  // One commit of 4 MB (a pipelined load's turn): more than the journal
  // keeps its payload buffer for. A flush once dropped such a commit's
  // writes; the keys then read as absent once evicted.
  TempDir dir, copy;
  EngineOptions o = JournalingOptions(dir.path());
  o.cache_bytes = 1 << 20;
  auto e = testing::OpenTestEngine(o);
  constexpr int kKeys = 20'000;
  const std::string value(200, 'b');
  for (int i = 0; i < kKeys; ++i) e->Put(Key(i), Rec(value));
  Commit(*e);
  for (int i = 0; i < 10; ++i) e->Put("small:" + std::to_string(i), Rec("s"));
  Commit(*e);
  REQUIRE(e->FlushBehind(/*sync=*/true).ok());
  CHECK(e->unflushed() == 0);
  CHECK(e->cache().evictions() > 0);
  for (int i = 0; i < kKeys; i += 97) REQUIRE(ValueOf(*e, Key(i)) == value);
  // LevelDB alone holds it all: without the journal's segments, too.
  CrashCopy(dir.path(), copy.path() + "/data");
  for (const auto& seg : JournalSegments(copy.path() + "/data")) fs::remove(seg);
  auto c = testing::OpenTestEngine(JournalingOptions(copy.path() + "/data"));
  CHECK(c->KeyCount() == kKeys + 10);
  for (int i = 0; i < kKeys; i += 97) REQUIRE(ValueOf(*c, Key(i)) == value);
  CHECK(ValueOf(*c, "small:9") == "s");
}

TEST_CASE("Write-behind: rewrites of hot keys with big values make a flush due", "[journal]") {
  // Every commit's payload waits in memory for the next flush: 100 KB
  // values rewritten in each turn fill a quarter of the segment (1 MB here)
  // long before write_behind_ms, and a flush then writes each key once.
  TempDir dir;
  EngineOptions o = JournalingOptions(dir.path());  // write_behind_ms: 1000 s
  o.journal_segment_bytes = 4 << 20;
  auto e = testing::OpenTestEngine(o);
  for (int t = 0; t < 60; ++t) {
    for (int k = 0; k < 4; ++k)
      e->Put("hot:" + std::to_string(k), Rec(std::string(100'000, 'a' + t % 26)));
    REQUIRE(e->EndTurn().ok());
  }
  // 24 MB journaled: about one flush per MB (the loop does not wait for one
  // under way until twice the limit waits).
  CHECK(e->stats().behind_flushes >= 6);
  CHECK(e->stats().behind_flushes <= 24);
  REQUIRE(e->FlushBehind().ok());
  CHECK(ValueOf(*e, "hot:3") == std::string(100'000, 'a' + 59 % 26));
}

}  // namespace
}  // namespace ringkv::storage
