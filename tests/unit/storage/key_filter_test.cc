// The in-memory filter of stored keys (storage/key_filter.h), alone on a real
// LevelDB, and in the engine: a key the filter calls absent must really be
// absent, across restarts, its background load, growth and FLUSHALL.
#include "storage/key_filter.h"

#include <leveldb/db.h>
#include <leveldb/write_batch.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include "storage/crc32c.h"
#include "storage/engine.h"
#include "storage/record.h"
#include "tests/support/engine.h"
#include "tests/support/leveldb.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait.h"

namespace ringkv::storage {
namespace {

using ringkv::testing::Commit;
using ringkv::testing::Key;
using ringkv::testing::OpenLevelDb;
using ringkv::testing::OpenTestEngine;
using ringkv::testing::Rec;
using ringkv::testing::TempDir;
using ringkv::testing::ValueOf;
using ringkv::testing::WaitFor;

std::string Other(int i) { return "other:" + std::to_string(i); }

// `n` data keys Key(0..n-1), with other kinds of keys around them (expiry
// index, meta) that are not keys of the keyspace.
void StoreKeys(leveldb::DB* db, int n) {
  leveldb::WriteBatch b;
  b.Put("c-before-the-data", "x");
  for (int i = 0; i < n; ++i) {
    b.Put(DataKey(Key(i)), "v");
    b.Put(ExpiryKey(1000 + i, Other(i)), "");
  }
  b.Put("m-after-the-data", "x");
  REQUIRE(db->Write(leveldb::WriteOptions(), &b).ok());
}

std::unique_ptr<KeyFilter> NewFilter(uint64_t expected_keys) {
  auto f = KeyFilter::Create(expected_keys, 10);
  REQUIRE(f);
  return f;
}

void Load(KeyFilter* f, leveldb::DB* db) {
  f->StartLoad(db);
  REQUIRE(WaitFor([&] { return f->loaded(); }, std::chrono::seconds(60)));
  REQUIRE(f->load_error().empty());
}

// How many of Other(0..n-1) (never added) the filter lets through.
int FalsePositives(const KeyFilter& f, int n) {
  int maybe = 0;
  for (int i = 0; i < n; ++i) maybe += f.MayContain(Other(i)) ? 1 : 0;
  return maybe;
}

TEST_CASE("KeyFilter: loads the stored keys and only those", "[key_filter]") {
  TempDir dir;
  auto db = OpenLevelDb(dir.path());
  StoreKeys(db.get(), 50000);
  auto owned = NewFilter(50000);
  KeyFilter& f = *owned;
  CHECK(f.MayContain(Other(1)));  // not loaded yet: everything is a maybe
  Load(&f, db.get());
  CHECK(f.loaded_keys() == 50000);  // not the expiry index's or the meta keys
  CHECK(f.keys() == 50000);
  for (int i = 0; i < 50000; ++i) REQUIRE(f.MayContain(Key(i)));
  // Sized for 1M keys (the least), it holds 50k: hardly any maybes.
  const int fp = FalsePositives(f, 100000);
  INFO("false positives: " << fp << " of 100000");
  CHECK(fp < 300);
}

TEST_CASE("KeyFilter: a load does not count twice a key added meanwhile", "[key_filter]") {
  // Keys written after the start and stored before the loading thread's
  // snapshot: the loop thread adds them, and the scan reads them too.
  TempDir dir;
  auto db = OpenLevelDb(dir.path());
  StoreKeys(db.get(), 3000);
  auto owned = NewFilter(3000);
  KeyFilter& f = *owned;
  for (int i = 0; i < 1000; ++i) f.Add(Key(i));  // as the loop thread would, before the scan
  Load(&f, db.get());
  CHECK(f.loaded_keys() == 3000);
  // Less the few stored keys whose bits other keys had all set already.
  CHECK(f.keys() <= 3000);
  CHECK(f.keys() > 2990);
}

TEST_CASE("KeyFilter: grows in stages without losing a key", "[key_filter]") {
  TempDir dir;
  auto db = OpenLevelDb(dir.path());
  auto owned = NewFilter(0);
  KeyFilter& f = *owned;
  Load(&f, db.get());  // an empty database
  CHECK(f.stages() == 1);
  CHECK(!f.MayContain(Key(1)));
  const int n = 3 * static_cast<int>(KeyFilter::kMinStageKeys);
  for (int i = 0; i < n; ++i) f.Add(Key(i));
  CHECK(f.stages() == 2);  // 1M, then 2M
  // Less the few new keys whose bits earlier keys had all set already.
  CHECK(f.keys() <= static_cast<uint64_t>(n));
  CHECK(f.keys() > static_cast<uint64_t>(n) * 97 / 100);
  for (int i = 0; i < n; ++i) REQUIRE(f.MayContain(Key(i)));
  // Both stages full, at 10 bits per key: about 1% each lets an absent key
  // through (a Bloom filter, not an exact set).
  const int fp = FalsePositives(f, 100000);
  INFO("false positives: " << fp << " of 100000");
  CHECK(fp < 4000);
  CHECK(fp > 500);
  // 10 bits per key of capacity, rounded up to whole 64-byte blocks.
  CHECK(f.bytes() <= static_cast<size_t>(n) * 10 / 8 + 2 * 64);
}

TEST_CASE("KeyFilter: a key added again does not count again", "[key_filter]") {
  TempDir dir;
  auto db = OpenLevelDb(dir.path());
  auto f = NewFilter(0);
  Load(f.get(), db.get());
  for (int round = 0; round < 5; ++round) {
    for (int i = 0; i < 100000; ++i) f->Add(Key(i));
  }
  // A few of the first adds find their bits set by earlier keys already.
  CHECK(f->keys() <= 100000);
  CHECK(f->keys() > 99000);
  CHECK(f->stages() == 1);
}

TEST_CASE("KeyFilter: keys added while it loads are kept beside the loaded ones", "[key_filter]") {
  TempDir dir;
  auto db = OpenLevelDb(dir.path());
  const int stored = 400000;
  StoreKeys(db.get(), stored);
  auto f = NewFilter(stored);
  f->StartLoad(db.get());
  // The loading thread (nice 19) reads 400k keys; these adds race with it
  // on the same stage.
  int added_during_load = 0;
  for (int i = 0; i < 200000; ++i) {
    if (!f->loaded()) ++added_during_load;
    f->Add(Other(i));
  }
  INFO("added while loading: " << added_during_load);
  CHECK(added_during_load > 0);
  REQUIRE(WaitFor([&] { return f->loaded(); }, std::chrono::seconds(60)));
  CHECK(f->loaded_keys() == static_cast<uint64_t>(stored));
  for (int i = 0; i < stored; ++i) REQUIRE(f->MayContain(Key(i)));
  for (int i = 0; i < 200000; ++i) REQUIRE(f->MayContain(Other(i)));
}

TEST_CASE("KeyFilter: stopped in the middle of its load, it stays unloaded", "[key_filter]") {
  TempDir dir;
  auto db = OpenLevelDb(dir.path());
  const int stored = 400000;
  StoreKeys(db.get(), stored);
  int stopped_early = 0;
  for (int round = 0; round < 3; ++round) {
    auto f = NewFilter(stored);
    f->StartLoad(db.get());
    f->Stop();  // (as the destructor does, before the database closes)
    const bool loaded = f->loaded();
    const uint64_t read = f->loaded_keys();
    if (!loaded) {
      ++stopped_early;
      CHECK(read < static_cast<uint64_t>(stored));
      CHECK(f->MayContain(Other(round)));  // unloaded: everything is a maybe
    } else {
      CHECK(read == static_cast<uint64_t>(stored));
    }
    // The thread is gone: nothing changes any more.
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    CHECK(f->loaded() == loaded);
    CHECK(f->loaded_keys() == read);
  }
  CHECK(stopped_early > 0);
}

// Engine: a small cache, so that most reads and writes of these keys go past
// it to the filter and LevelDB.
EngineOptions SmallCache(const std::string& dir, int key_filter_bits) {
  EngineOptions o;
  o.dir = dir;
  o.cache_bytes = 256 << 10;
  o.key_filter_bits = key_filter_bits;
  return o;
}

void WaitLoaded(Engine& e) {
  REQUIRE(e.key_filter() != nullptr);
  REQUIRE(WaitFor([&] { return e.key_filter()->loaded(); }, std::chrono::seconds(60)));
}

TEST_CASE("Engine: the key filter keeps counts and reads exact across a restart",
          "[engine][key_filter]") {
  TempDir dir;
  const int n = 20000;
  {
    auto e = OpenTestEngine(SmallCache(dir.path(), 10));
    for (int i = 0; i < n; ++i) e->Put(Key(i), Rec("a"));
    Commit(*e);
    CHECK(e->KeyCount() == static_cast<uint64_t>(n));
    WaitLoaded(*e);  // only a loaded filter is saved
  }
  // Without the file the clean close saved (its token alone is left), the
  // filter is loaded by a scan.
  REQUIRE(std::filesystem::remove(dir.path() + "/keyfilter.rkf"));
  auto e = OpenTestEngine(SmallCache(dir.path(), 10));
  CHECK(*e->GetMeta("keyfilter") == "");
  // Overwrites while the filter may still be loading, then after: none of
  // them may count as a new key.
  for (int i = 0; i < n; i += 2) e->Put(Key(i), Rec("b"));
  Commit(*e);
  WaitLoaded(*e);
  CHECK(e->key_filter()->loaded_keys() == static_cast<uint64_t>(n));
  for (int i = 1; i < n; i += 2) e->Put(Key(i), Rec("b"));
  Commit(*e);
  CHECK(e->KeyCount() == static_cast<uint64_t>(n));
  // New keys count, and read back once the cache dropped them.
  for (int i = n; i < n + 5000; ++i) e->Put(Key(i), Rec("c"));
  Commit(*e);
  CHECK(e->KeyCount() == static_cast<uint64_t>(n + 5000));
  for (int i = 0; i < n + 5000; i += 7) {
    REQUIRE(ValueOf(*e, Key(i)) == std::optional<std::string>(i < n ? "b" : "c"));
  }
  // Absent keys: nil, and nearly all of them without a LevelDB read.
  const uint64_t disk_before = e->stats().disk_reads;
  const uint64_t skipped_before = e->stats().filtered_reads;
  for (int i = 0; i < 10000; ++i) REQUIRE(!ValueOf(*e, Other(i)));
  const uint64_t skipped = e->stats().filtered_reads - skipped_before;
  const uint64_t read = e->stats().disk_reads - disk_before;
  INFO("skipped " << skipped << ", read " << read);
  CHECK(skipped >= 9500);
  CHECK(skipped + read == 10000);
  // Read twice in a row (the second miss of a key admits it to the cache,
  // as absent), they take no cache entries from the records: only the
  // filter's maybes do.
  for (int i = 0; i < 10000; ++i) {
    REQUIRE(!ValueOf(*e, Other(i)));
    REQUIRE(!ValueOf(*e, Other(i)));
  }
  int cached_absent = 0;
  for (int i = 0; i < 10000; ++i) {
    bool negative = false;
    CHECK(e->cache().Find(Other(i), &negative) == nullptr);
    cached_absent += negative ? 1 : 0;
  }
  INFO("cached as absent: " << cached_absent);
  CHECK(cached_absent <= static_cast<int>(read));
}

TEST_CASE("Engine: a key deleted and written again counts once, filter or not",
          "[engine][key_filter]") {
  for (int bits : {10, 0}) {
    TempDir dir;
    auto e = OpenTestEngine(SmallCache(dir.path(), bits));
    CHECK((e->key_filter() == nullptr) == (bits == 0));
    for (int i = 0; i < 5000; ++i) e->Put(Key(i), Rec("a"));
    Commit(*e);
    for (int i = 0; i < 5000; i += 2) e->Delete(Key(i));
    Commit(*e);
    CHECK(e->KeyCount() == 2500);
    for (int i = 0; i < 5000; ++i) e->Put(Key(i), Rec("b"));
    Commit(*e);
    CHECK(e->KeyCount() == 5000);
    for (int i = 0; i < 5000; i += 3)
      REQUIRE(ValueOf(*e, Key(i)) == std::optional<std::string>("b"));
  }
}

TEST_CASE("Engine: after FLUSHALL the key filter starts empty", "[engine][key_filter]") {
  TempDir dir;
  auto e = OpenTestEngine(SmallCache(dir.path(), 10));
  for (int i = 0; i < 3000; ++i) e->Put(Key(i), Rec("a"));
  Commit(*e);
  REQUIRE(e->FlushAll().ok());
  WaitLoaded(*e);
  CHECK(e->key_filter()->keys() == 0);
  for (int i = 0; i < 3000; i += 3) REQUIRE(!ValueOf(*e, Key(i)));
  for (int i = 0; i < 3000; ++i) e->Put(Key(i), Rec("b"));
  Commit(*e);
  CHECK(e->KeyCount() == 3000);
  for (int i = 0; i < 3000; i += 3) REQUIRE(ValueOf(*e, Key(i)) == std::optional<std::string>("b"));
}

TEST_CASE("Engine: a filter grown by deleted keys is rebuilt, keeping keys not yet on disk",
          "[engine][key_filter]") {
  TempDir dir;
  EngineOptions o = SmallCache(dir.path(), 10);
  o.key_filter_rebuild_slack = 1000;
  o.write_behind_adaptive = false;  // every commit goes to the journal first
  o.write_behind_ms = 3600 * 1000;  // and reaches LevelDB only when flushed below
  auto e = OpenTestEngine(o);
  for (int i = 0; i < 1000; ++i) e->Put(Key(i), Rec("live"));
  Commit(*e);
  REQUIRE(e->FlushBehind().ok());
  WaitLoaded(*e);
  // Churn: 1500 keys written and deleted. The filter keeps them all.
  for (int i = 0; i < 1500; ++i) e->Put(Other(i), Rec("gone"));
  Commit(*e);
  for (int i = 0; i < 1500; ++i) e->Delete(Other(i));
  Commit(*e);
  REQUIRE(e->FlushBehind().ok());
  e->MaintainKeyFilter();  // 2500 held: not over 2 x 1000 stored + 1000
  CHECK(e->key_filter_rebuilds() == 0);
  CHECK(e->key_filter()->keys() == 2500);
  for (int i = 1500; i < 2500; ++i) e->Put(Other(i), Rec("gone"));
  Commit(*e);
  for (int i = 1500; i < 2500; ++i) e->Delete(Other(i));
  Commit(*e);
  REQUIRE(e->FlushBehind().ok());
  // New keys committed to the journal only, not yet in LevelDB.
  for (int i = 0; i < 300; ++i) e->Put(Key(100000 + i), Rec("new"));
  Commit(*e);
  CHECK(e->unflushed() >= 300);
  REQUIRE(e->key_filter()->keys() == 3800);
  e->MaintainKeyFilter();
  CHECK(e->key_filter_rebuilds() == 1);
  WaitLoaded(*e);
  // The scan found the 1000 live keys; the 300 waiting ones were added.
  CHECK(e->key_filter()->loaded_keys() == 1000);
  CHECK(e->key_filter()->keys() == 1300);
  // Once they are in LevelDB and out of the cache, they still read back.
  REQUIRE(e->FlushBehind().ok());
  CHECK(e->KeyCount() == 1300);
  // Reads of absent keys the filter answers are not cached: writes push.
  for (int i = 0; i < 5000; ++i) e->Put("push:" + std::to_string(i), Rec(std::string(200, 'p')));
  Commit(*e);
  REQUIRE(e->FlushBehind().ok());
  for (int i = 0; i < 300; ++i) {
    bool negative = false;
    REQUIRE(e->cache().Find(Key(100000 + i), &negative) == nullptr);
  }
  for (int i = 0; i < 300; ++i) {
    REQUIRE(ValueOf(*e, Key(100000 + i)) == std::optional<std::string>("new"));
  }
  for (int i = 0; i < 1000; i += 7) {
    REQUIRE(ValueOf(*e, Key(i)) == std::optional<std::string>("live"));
  }
  CHECK(e->KeyCount() == 6300);
  for (int i = 0; i < 2500; i += 7) REQUIRE(!ValueOf(*e, Other(i)));
  // Another call right away does nothing: the new filter is small.
  e->MaintainKeyFilter();
  CHECK(e->key_filter_rebuilds() == 1);
}

TEST_CASE("KeyFilter: serialized and restored, it answers the same", "[key_filter]") {
  auto f = NewFilter(1000);
  for (int i = 0; i < 1500000; ++i) f->Add(Key(i));  // two stages
  REQUIRE(f->stages() == 2);
  TempDir dir;
  auto db = OpenLevelDb(dir.path());
  Load(f.get(), db.get());
  std::string bytes;
  f->SerializeTo(&bytes);
  std::string why;
  auto g = KeyFilter::Restore(bytes, 10, &why);
  INFO(why);
  REQUIRE(g);
  CHECK(g->loaded());
  CHECK(g->stages() == 2);
  CHECK(g->keys() == f->keys());
  CHECK(g->bytes() == f->bytes());
  for (int i = 0; i < 1500000; i += 3) REQUIRE(g->MayContain(Key(i)));
  CHECK(FalsePositives(*g, 100000) == FalsePositives(*f, 100000));
  // Damaged, cut short, or made with other bits per key: refused.
  std::string bad = bytes;
  bad[bad.size() / 2] ^= 1;
  CHECK(!KeyFilter::Restore(bad, 10, &why));
  CHECK(why == "checksum mismatch");
  CHECK(!KeyFilter::Restore(std::string_view(bytes).substr(0, bytes.size() - 8), 10, &why));
  CHECK(!KeyFilter::Restore(bytes, 12, &why));
  CHECK(why == "made with another key-filter-bits");
  CHECK(!KeyFilter::Restore("", 10, &why));
  // A stage count past the most there can be, with a checksum to match.
  std::string many = bytes;
  const uint64_t stages = 33;
  std::memcpy(&many[5 * 8], &stages, 8);
  const uint64_t crc = Crc32c(many.data(), many.size() - 8);
  std::memcpy(&many[many.size() - 8], &crc, 8);
  CHECK(!KeyFilter::Restore(many, 10, &why));
  CHECK(why == "bad stage count");
}

TEST_CASE("Engine: a clean close saves the key filter, and only that close's file is used",
          "[engine][key_filter]") {
  TempDir dir;
  const std::string file = dir.path() + "/keyfilter.rkf";
  {
    auto e = OpenTestEngine(SmallCache(dir.path(), 10));
    // Loaded before the writes: a scan that starts late would see them,
    // and the saved filter would carry that count to the next open.
    WaitLoaded(*e);
    CHECK(e->key_filter()->loaded_keys() == 0);
    for (int i = 0; i < 5000; ++i) e->Put(Key(i), Rec("a"));
    Commit(*e);
  }
  REQUIRE(std::filesystem::exists(file));
  const std::string first = dir.path() + "/first.rkf";
  std::filesystem::copy_file(file, first);
  {
    // Loaded at once, with no scan; the file and its token are gone.
    auto e = OpenTestEngine(SmallCache(dir.path(), 10));
    REQUIRE(e->key_filter()->loaded());
    CHECK(e->key_filter()->loaded_keys() == 0);
    CHECK(e->key_filter()->keys() == 5000);
    CHECK(!std::filesystem::exists(file));
    CHECK(*e->GetMeta("keyfilter") == "");
    for (int i = 0; i < 5000; i += 7)
      REQUIRE(ValueOf(*e, Key(i)) == std::optional<std::string>("a"));
    const uint64_t skipped = e->stats().filtered_reads;
    for (int i = 0; i < 1000; ++i) REQUIRE(!ValueOf(*e, Other(i)));
    CHECK(e->stats().filtered_reads - skipped >= 950);
    for (int i = 5000; i < 6000; ++i) e->Put(Key(i), Rec("b"));
    Commit(*e);
    CHECK(e->KeyCount() == 6000);
  }
  // The first close's file put back: its token is not the last close's, so
  // the filter is loaded by a scan, and the keys written since are found.
  std::filesystem::rename(first, file);
  auto e = OpenTestEngine(SmallCache(dir.path(), 10));
  WaitLoaded(*e);
  CHECK(e->key_filter()->loaded_keys() == 6000);
  for (int i = 0; i < 6000; i += 7) {
    REQUIRE(ValueOf(*e, Key(i)) == std::optional<std::string>(i < 5000 ? "a" : "b"));
  }
  for (int i = 5000; i < 6000; ++i) e->Put(Key(i), Rec("c"));
  Commit(*e);
  CHECK(e->KeyCount() == 6000);
}

TEST_CASE("Engine: a saved key filter is not used after a run that did not keep it",
          "[engine][key_filter]") {
  // Saved by a clean close; then the database is opened by a run without a
  // filter (key-filter-bits 0), or by LevelDB alone, and written to. The
  // next open must load the filter by a scan, and find the new keys.
  for (const char* between : {"bits 0", "leveldb"}) {
    DYNAMIC_SECTION(between) {
      TempDir dir;
      {
        auto e = OpenTestEngine(SmallCache(dir.path(), 10));
        // Loaded before the writes: a scan that starts late would see them.
        WaitLoaded(*e);
        CHECK(e->key_filter()->loaded_keys() == 0);  // a new database: nothing to scan
        for (int i = 0; i < 3000; ++i) e->Put(Key(i), Rec("a"));
        Commit(*e);
      }
      REQUIRE(std::filesystem::exists(dir.path() + "/keyfilter.rkf"));
      if (std::string(between) == "bits 0") {
        auto e = OpenTestEngine(SmallCache(dir.path(), 0));
        for (int i = 3000; i < 4000; ++i) e->Put(Key(i), Rec("b"));
        Commit(*e);
      } else {
        std::filesystem::copy_file(dir.path() + "/keyfilter.rkf", dir.path() + "/saved.rkf");
        OpenLevelDb(dir.path()).reset();  // opened and closed: a new manifest
        std::filesystem::rename(dir.path() + "/saved.rkf", dir.path() + "/keyfilter.rkf");
      }
      auto e = OpenTestEngine(SmallCache(dir.path(), 10));
      WaitLoaded(*e);
      const bool wrote = std::string(between) == "bits 0";
      CHECK(e->key_filter()->loaded_keys() == (wrote ? 4000u : 3000u));
      for (int i = 0; i < 4000; i += 3) {
        const auto want = i < 3000 ? std::optional<std::string>("a")
                                   : (wrote ? std::optional<std::string>("b") : std::nullopt);
        REQUIRE(ValueOf(*e, Key(i)) == want);
      }
      for (int i = 3000; i < 4000; ++i) e->Put(Key(i), Rec("c"));
      Commit(*e);
      CHECK(e->KeyCount() == 4000);
    }
  }
}

}  // namespace
}  // namespace ringkv::storage
