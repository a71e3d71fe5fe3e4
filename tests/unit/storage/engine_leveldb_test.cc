// How the engine drives LevelDB's memory: the block cache (off by default)
// and moving the memtable to disk once writes stop (idle_flush.h). Both are
// checked through LevelDB's own memory figure, which INFO shows as
// leveldb_memory.
#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>

#include "storage/engine.h"
#include "tests/support/engine.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait.h"

namespace ringkv::storage {
namespace {

using ringkv::testing::Key;
using ringkv::testing::TempDir;
using ringkv::testing::WaitFor;
using Clock = std::chrono::steady_clock;

std::unique_ptr<Engine> Open(const EngineOptions& o) { return testing::OpenTestEngine(o); }

Record Rec(std::string value) {
  Record r;
  r.value = std::move(value);
  return r;
}

// Commits and writes to LevelDB at once (the write-behind flush), as these
// tests are about what LevelDB then does.
void Commit(Engine& e) {
  Status s = e.FlushBehind();
  INFO(s.message());
  REQUIRE(s.ok());
}

void CheckValue(Engine& e, const std::string& key, const std::string& want) {
  auto r = e.Get(key);
  REQUIRE(r.ok());
  REQUIRE(*r);
  REQUIRE((*r)->value == want);
}

uint64_t LevelDbMemory(Engine& e) {
  return std::stoull(e.Property("leveldb.approximate-memory-usage"));
}

TEST_CASE("Engine: point reads keep LevelDB blocks only when a block cache is configured",
          "[engine]") {
  TempDir dir;
  EngineOptions o;
  o.dir = dir.path();
  {
    auto e = Open(o);
    for (int i = 0; i < 2000; ++i) e->Put(Key(i), Rec(std::string(100, 'v')));
    Commit(*e);
  }  // reopening moves the log into a table: reads below come from table blocks
  for (size_t block_cache : {size_t{0}, size_t{1} << 20}) {
    DYNAMIC_SECTION("block cache " << block_cache) {
      o.cache_bytes = 0;  // every read misses the record cache
      o.block_cache_bytes = block_cache;
      o.mmap_bytes = 0;  // a mapped file's blocks are read in place, never cached
      auto e = Open(o);
      const uint64_t before = LevelDbMemory(*e);
      for (int i = 0; i < 2000; ++i) CheckValue(*e, Key(i), std::string(100, 'v'));
      const uint64_t after = LevelDbMemory(*e);
      if (block_cache == 0) {
        CHECK(after == before);
      } else {
        CHECK(after > before + 100 * 1000);  // the table's blocks (about 200 KB)
      }
    }
  }
}

TEST_CASE("Engine: table files are mapped up to leveldb-mmap-size, and read the same", "[engine]") {
  TempDir dir;
  EngineOptions o;
  o.dir = dir.path();
  o.write_buffer_bytes = 256 << 10;  // several table files
  o.cache_bytes = 0;                 // every read goes to a table
  const std::string value(300, 'm');
  {
    auto e = Open(o);
    for (int i = 0; i < 20000; ++i) {
      e->Put(Key(i), Rec(value));
      if (i % 500 == 499) Commit(*e);  // one big batch would make one big table
    }
  }
  uint64_t size = 0, largest = 0;
  for (const auto& f : std::filesystem::directory_iterator(dir.path())) {
    if (f.path().extension() != ".ldb") continue;
    size += f.file_size();
    largest = std::max<uint64_t>(largest, f.file_size());
  }
  INFO("tables: " << size << " bytes, the largest " << largest);
  REQUIRE(size > (4 << 20));
  REQUIRE(largest < size / 2);
  // No budget, a budget for part of the tables, and one for all of them, in
  // turn on the same database.
  const uint64_t none = 0, part = largest * 3 / 2, all = size * 2;
  for (uint64_t budget : {none, part, all}) {
    INFO("budget " << budget);
    o.mmap_bytes = budget;
    auto e = Open(o);
    // The most mapped at once, and never past the budget. (Reads may start
    // compactions (seek-triggered) that replace the tables mapped so far,
    // and whose new tables are not open yet: at the end of the reads, a
    // sanitizer build in a fresh chroot once had none mapped.)
    uint64_t mapped = 0;
    for (int i = 0; i < 20000; i += 3) {
      CheckValue(*e, Key(i), value);
      const uint64_t now = Engine::mapped_bytes();
      if (now > budget) FAIL_CHECK("mapped " << now << " past the budget");
      mapped = std::max(mapped, now);
    }
    INFO("mapped at most " << mapped);
    if (budget == none) CHECK(mapped == 0);
    if (budget == part) CHECK(mapped > 4096);     // a table besides the reopen's tiny one
    if (budget == all) CHECK(mapped > size / 2);  // most of the tables
    e.reset();                                    // closing the tables gives the budget back
    CHECK(Engine::mapped_bytes() == 0);
  }
}

// Resident pages of mapped files, in KB (RssFile counts the binary's and
// libraries' pages too, which only grow as code first runs).
int64_t RssFileKb() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with("RssFile:")) return std::stoll(line.substr(8));
  }
  return 0;
}

TEST_CASE("Engine: only the thread that opened the engine reads tables through the mapping",
          "[engine]") {
  TempDir dir;
  EngineOptions o;
  o.dir = dir.path();
  o.write_buffer_bytes = 256 << 10;
  o.cache_bytes = 0;
  // No table may be replaced (and unmapped) between the RSS readings below:
  // no idle compaction, and each key in one table (reads that probe a
  // table in vain start LevelDB's seek compactions).
  o.idle_flush_ms = 0;
  const std::string value(300, 'm');
  const int n = 20000;
  {
    auto e = Open(o);
    for (int i = 0; i < n; ++i) {
      e->Put(Key(i), Rec(value));
      if (i % 500 == 499) Commit(*e);
    }
    REQUIRE(e->RequestCompaction());
    REQUIRE(
        WaitFor([&] { return !e->requested_compactions().in_progress; }, std::chrono::seconds(60)));
    REQUIRE(e->requested_compactions().last_ok);
  }
  o.mmap_bytes = 1 << 30;  // every table
  auto e = Open(o);
  // Another thread (as a compaction or the key filter's load would) reads
  // every key: with pread(), the same bytes, and the mapped pages stay out
  // of the RSS. The engine is idle meanwhile.
  const int64_t before = RssFileKb();
  int wrong = 0;
  std::thread other([&] {
    for (int i = 0; i < n; ++i) {
      auto r = e->Get(Key(i));
      if (!r.ok() || !*r || (*r)->value != value) ++wrong;
    }
  });
  other.join();
  const int64_t after_other = RssFileKb();
  CHECK(wrong == 0);
  REQUIRE(Engine::mapped_bytes() > (4u << 20));
  // The opening thread reads them in place: their pages join the RSS.
  for (int i = 0; i < n; ++i) CheckValue(*e, Key(i), value);
  const int64_t after_own = RssFileKb();
  INFO("RssFile " << before << " KB, after the other thread's reads " << after_other
                  << " KB, after the opening thread's " << after_own << " KB");
  CHECK(after_own - after_other > 4096);
  CHECK(after_other - before < (after_own - after_other) / 4);
}

TEST_CASE("Engine: the memtable moves to disk once writes stop, and the data stays", "[engine]") {
  TempDir dir;
  EngineOptions o;
  o.dir = dir.path();
  o.write_buffer_bytes = 1 << 20;  // moved when it holds 256 KB or more
  o.idle_flush_ms = 100;
  auto e = Open(o);
  const uint64_t empty = LevelDbMemory(*e);

  // Writes that keep coming hold it back: a commit every 20 ms for 600 ms.
  const std::string value(200, 'x');
  int n = 0;
  for (const auto end = Clock::now() + std::chrono::milliseconds(600); Clock::now() < end;) {
    for (int i = 0; i < 100; ++i, ++n) e->Put(Key(n), Rec(value));
    Commit(*e);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  INFO("keys written: " << n);
  CHECK(e->idle_flushes() == 0);
  const uint64_t full = LevelDbMemory(*e);
  REQUIRE(full > empty + (256 << 10));

  // Once they stop, it is moved within about 1.5 x idle_flush_ms.
  CHECK(WaitFor([&] { return e->idle_flushes() == 1; }, std::chrono::seconds(10)));
  CHECK(WaitFor([&] { return LevelDbMemory(*e) <= empty + (16 << 10); }, std::chrono::seconds(10)));
  for (int i = 0; i < n; i += 97) CheckValue(*e, Key(i), value);
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  CHECK(e->idle_flushes() == 1);  // nothing new to move

  // A restart finds every key (from the table, and the new log).
  e->Put("after", Rec("flush"));
  Commit(*e);
  e.reset();
  e = Open(o);
  for (int i = 0; i < n; i += 97) CheckValue(*e, Key(i), value);
  CheckValue(*e, "after", "flush");
  CHECK(e->KeyCount() == static_cast<uint64_t>(n) + 1);
}

TEST_CASE("Engine: a small memtable is left in memory, and 0 turns moving off", "[engine]") {
  TempDir dir;
  EngineOptions o;
  o.dir = dir.path();
  o.write_buffer_bytes = 1 << 20;
  o.idle_flush_ms = GENERATE(int64_t{0}, int64_t{50});
  auto e = Open(o);
  // 0: even a big memtable stays; 50 ms: only one below 256 KB does.
  const int keys = o.idle_flush_ms == 0 ? 3000 : 100;
  for (int i = 0; i < keys; ++i) e->Put(Key(i), Rec(std::string(200, 'y')));
  Commit(*e);
  const uint64_t held = LevelDbMemory(*e);
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  CHECK(e->idle_flushes() == 0);
  CHECK(LevelDbMemory(*e) == held);
}

TEST_CASE("Engine: FlushAll while a flusher runs, then moving resumes", "[engine]") {
  TempDir dir;
  EngineOptions o;
  o.dir = dir.path();
  o.write_buffer_bytes = 1 << 20;
  o.idle_flush_ms = 50;
  auto e = Open(o);
  for (int round = 0; round < 2; ++round) {
    for (int i = 0; i < 3000; ++i) e->Put(Key(i), Rec(std::string(200, 'z')));
    Commit(*e);
    INFO("round " << round);
    CHECK(WaitFor([&] { return e->idle_flushes() == static_cast<uint64_t>(round) + 1; },
                  std::chrono::seconds(10)));
    REQUIRE(e->FlushAll().ok());
    CHECK(e->KeyCount() == 0);
  }
  CHECK(e->idle_flushes() == 2);  // counted across the reopened database
}

}  // namespace
}  // namespace ringkv::storage
