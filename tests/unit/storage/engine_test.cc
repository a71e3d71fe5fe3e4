#include "storage/engine.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tests/support/engine.h"
#include "tests/support/temp_dir.h"

namespace ringkv::storage {
namespace {

using namespace std::string_literals;
using ringkv::testing::Commit;
using ringkv::testing::Key;
using ringkv::testing::Rec;
using ringkv::testing::TempDir;
using ringkv::testing::ValueOf;

constexpr int64_t kNow = 1'700'000'000'000;

std::unique_ptr<Engine> OpenEngine(const std::string& dir, size_t cache_bytes = 1 << 20,
                                   bool sync_commits = false) {
  EngineOptions o;
  o.dir = dir;
  o.cache_bytes = cache_bytes;
  o.sync_commits = sync_commits;
  return testing::OpenTestEngine(o);
}

Record Tombstone() {
  Record r;
  r.tombstone = true;
  r.version = "v1";
  return r;
}

// Every live user key, page by page through Scan's resume position.
std::vector<std::string> ScanAll(Engine& e, size_t page, size_t* pages = nullptr) {
  std::vector<std::string> keys;
  std::string from, next;
  size_t n = 0;
  do {
    size_t in_page = 0;
    Status s = e.Scan(
        from, page,
        [&](std::string_view key, const Record&) {
          keys.emplace_back(key);
          ++in_page;
          return true;
        },
        &next);
    REQUIRE(s.ok());
    REQUIRE(in_page <= page);
    REQUIRE(++n < 100000);
    from = next;
  } while (!from.empty());
  if (pages) *pages = n;
  return keys;
}

TEST_CASE("Engine: committed data survives a restart", "[engine]") {
  TempDir dir;
  const std::string binary = "\0\xff\r\n"s + std::string(100, '\x80');
  {
    auto e = OpenEngine(dir.path());
    e->Put("plain", Rec("hello"));
    e->Put("empty", Rec(""));
    e->Put("bin\0key"s, Rec(binary));
    e->Put("ttl", Rec("soon", kNow + 5000));
    Record versioned = Rec("v");
    versioned.version = "vc\x01"s;
    e->Put("versioned", versioned);
    e->Put("dead", Tombstone());
    e->Put("", Rec("empty key"));
    Commit(*e);
  }
  auto e = OpenEngine(dir.path());
  CHECK(ValueOf(*e, "plain") == "hello");
  CHECK(ValueOf(*e, "empty") == "");
  CHECK(ValueOf(*e, "bin\0key"s) == binary);
  CHECK(ValueOf(*e, "") == "empty key");
  CHECK_FALSE(ValueOf(*e, "never").has_value());

  auto ttl = e->Get("ttl");
  REQUIRE(ttl.ok());
  REQUIRE(*ttl);
  CHECK((*ttl)->expire_at_ms == kNow + 5000);
  auto versioned = e->Get("versioned");
  REQUIRE(versioned.ok());
  REQUIRE(*versioned);
  CHECK((*versioned)->version == "vc\x01"s);
  auto dead = e->Get("dead");  // storage keeps tombstones; judging them is the caller's job
  REQUIRE(dead.ok());
  REQUIRE(*dead);
  CHECK((*dead)->tombstone);

  CHECK(e->KeyCount() == 6);
  CHECK(e->ExpiresCount() == 1);
}

TEST_CASE("Engine: reads see pending writes before Commit", "[engine]") {
  TempDir dir;
  auto e = OpenEngine(dir.path());
  e->Put("committed", Rec("old"));
  Commit(*e);
  REQUIRE_FALSE(e->HasPending());

  e->Put("new", Rec("pending"));
  CHECK(e->HasPending());
  CHECK(ValueOf(*e, "new") == "pending");

  e->Put("committed", Rec("overwritten"));
  CHECK(ValueOf(*e, "committed") == "overwritten");

  SECTION("a Get after a Delete, before commit, is null") {
    e->Delete("committed");
    CHECK_FALSE(ValueOf(*e, "committed").has_value());
    e->Delete("new");
    CHECK_FALSE(ValueOf(*e, "new").has_value());
    Commit(*e);
    CHECK_FALSE(ValueOf(*e, "committed").has_value());
    CHECK_FALSE(ValueOf(*e, "new").has_value());
    e.reset();
    e = OpenEngine(dir.path());
    CHECK_FALSE(ValueOf(*e, "committed").has_value());
    CHECK_FALSE(ValueOf(*e, "new").has_value());
    CHECK(e->KeyCount() == 0);
  }
  SECTION("a Put after a Delete, before commit, wins") {
    e->Delete("committed");
    e->Put("committed", Rec("again"));
    Commit(*e);
    e.reset();
    e = OpenEngine(dir.path());
    CHECK(ValueOf(*e, "committed") == "again");
    CHECK(e->KeyCount() == 2);
  }
}

TEST_CASE("Engine: group commit writes a whole turn as one batch", "[engine]") {
  TempDir dir;
  auto e = OpenEngine(dir.path());
  const EngineStats before = e->stats();
  for (int i = 0; i < 200; ++i) e->Put(Key(i), Rec("v" + std::to_string(i)));
  e->Delete(Key(0));
  CHECK(e->stats().commits == before.commits);  // nothing written yet
  CHECK(e->HasPending());

  Commit(*e);
  CHECK(e->stats().commits == before.commits + 1);
  CHECK(e->stats().committed_writes == before.committed_writes + 201);
  CHECK(e->stats().syncs == before.syncs);  // sync_commits is off
  CHECK_FALSE(e->HasPending());

  // An empty turn writes nothing.
  Commit(*e);
  CHECK(e->stats().commits == before.commits + 1);

  e.reset();
  e = OpenEngine(dir.path());
  CHECK_FALSE(ValueOf(*e, Key(0)).has_value());
  for (int i = 1; i < 200; ++i) REQUIRE(ValueOf(*e, Key(i)) == "v" + std::to_string(i));
  CHECK(e->KeyCount() == 199);
}

TEST_CASE("Engine: a key written many times in one turn reaches LevelDB once", "[engine]") {
  TempDir dir;
  auto e = OpenEngine(dir.path());
  e->Put("gone", Rec("x"));
  Commit(*e);
  const EngineStats before = e->stats();
  for (int i = 0; i < 1000; ++i) e->Put("hot", Rec("v" + std::to_string(i)));
  e->Put("other", Rec("o"));
  e->Put("gone", Rec("y"));
  e->Delete("gone");
  e->Put("ttl", Rec("a", kNow + 1000));
  e->Put("ttl", Rec("b"));  // the TTL is dropped by the second write
  CHECK(ValueOf(*e, "hot") == "v999");
  Commit(*e);
  CHECK(e->stats().committed_writes == before.committed_writes + 1005);
  CHECK(e->stats().coalesced_writes == before.coalesced_writes + 1001);  // 999 + gone + ttl
  CHECK(e->KeyCount() == 3);
  CHECK(e->ExpiresCount() == 0);

  e.reset();
  e = OpenEngine(dir.path());
  CHECK(ValueOf(*e, "hot") == "v999");
  CHECK(ValueOf(*e, "other") == "o");
  CHECK_FALSE(ValueOf(*e, "gone").has_value());
  auto ttl = e->Get("ttl");
  REQUIRE(ttl.ok());
  REQUIRE(*ttl);
  CHECK((*ttl)->value == "b");
  CHECK((*ttl)->expire_at_ms == 0);
  CHECK(e->KeyCount() == 3);
  CHECK(e->ExpiresCount() == 0);
}

TEST_CASE("Engine: key counts are exact, before and after a restart", "[engine]") {
  TempDir dir;
  auto e = OpenEngine(dir.path());
  auto counts = [&] { return std::make_pair(e->KeyCount(), e->ExpiresCount()); };
  using Counts = std::pair<uint64_t, uint64_t>;

  e->Put("a", Rec("1"));
  e->Put("b", Rec("1"));
  e->Put("c", Rec("1", kNow + 1000));
  CHECK(counts() == Counts{3, 1});
  e->Put("a", Rec("2"));  // overwrite, pending
  e->Put("a", Rec("3"));
  CHECK(counts() == Counts{3, 1});
  Commit(*e);
  e->Put("a", Rec("4"));  // overwrite, committed
  CHECK(counts() == Counts{3, 1});

  e->Put("a", Rec("5", kNow + 1000));  // gains a TTL
  CHECK(counts() == Counts{3, 2});
  e->Put("a", Rec("6", kNow + 2000));  // a different TTL
  CHECK(counts() == Counts{3, 2});
  e->Put("c", Rec("7"));  // loses its TTL (PERSIST / SET)
  CHECK(counts() == Counts{3, 1});

  e->Delete("b");
  CHECK(counts() == Counts{2, 1});
  e->Delete("b");        // twice
  e->Delete("missing");  // never there
  CHECK(counts() == Counts{2, 1});
  e->Delete("a");  // had a TTL
  CHECK(counts() == Counts{1, 0});

  e->Put("c", Tombstone());  // a versioned delete is not a key
  CHECK(counts() == Counts{0, 0});
  e->Put("c", Tombstone());
  e->Put("t", Tombstone());
  CHECK(counts() == Counts{0, 0});
  e->Put("c", Rec("alive", kNow + 1));  // back from a tombstone
  CHECK(counts() == Counts{1, 1});
  Commit(*e);

  e.reset();
  e = OpenEngine(dir.path());
  CHECK(counts() == Counts{1, 1});
  e->Put("d", Rec("x"));
  Commit(*e);
  e.reset();
  e = OpenEngine(dir.path());
  CHECK(counts() == Counts{2, 1});
  CHECK(ScanAll(*e, 10).size() == 2);
}

TEST_CASE("Engine: counts stay exact across many random writes and restarts", "[engine]") {
  TempDir dir;
  auto e = OpenEngine(dir.path(), 8 << 10);  // small cache: old records come from disk
  std::vector<int> model(300, 0);            // 0 absent, 1 live, 2 live with TTL
  uint64_t state = 12345;
  auto next = [&] {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<uint32_t>(state >> 33);
  };
  for (int round = 0; round < 5; ++round) {
    for (int op = 0; op < 400; ++op) {
      const int k = static_cast<int>(next() % model.size());
      switch (next() % 4) {
        case 0:
          e->Put(Key(k), Rec("v"));
          model[k] = 1;
          break;
        case 1:
          e->Put(Key(k), Rec("v", kNow + next() % 1000 + 1));
          model[k] = 2;
          break;
        case 2:
          e->Delete(Key(k));
          model[k] = 0;
          break;
        case 3:
          e->Put(Key(k), Tombstone());
          model[k] = 0;
          break;
      }
      if (op % 37 == 0) Commit(*e);
    }
    Commit(*e);
    e.reset();
    e = OpenEngine(dir.path(), 8 << 10);
    INFO("round " << round);
    CHECK(e->KeyCount() == static_cast<uint64_t>(std::count_if(model.begin(), model.end(),
                                                               [](int m) { return m != 0; })));
    CHECK(e->ExpiresCount() == static_cast<uint64_t>(std::count(model.begin(), model.end(), 2)));
  }
}

TEST_CASE("Engine: a small cache still serves every key, from disk", "[engine]") {
  TempDir dir;
  constexpr size_t kCache = 4096;
  auto e = OpenEngine(dir.path(), kCache);
  const int n = 1000;

  // While writes are pending nothing is evicted: every pending key reads back
  // from the cache, none from disk.
  for (int i = 0; i < n; ++i) e->Put(Key(i), Rec("first" + std::to_string(i)));
  const uint64_t disk_before = e->stats().disk_reads;
  for (int i = 0; i < n; ++i) REQUIRE(ValueOf(*e, Key(i)) == "first" + std::to_string(i));
  CHECK(e->stats().disk_reads == disk_before);
  CHECK(e->cache().bytes() > kCache);

  // Committed keys journaled for write-behind stay pinned in the cache until
  // a flush has written them to LevelDB (engine_journal_test.cc); then the
  // cache shrinks to its capacity.
  Commit(*e);
  REQUIRE(e->FlushBehind().ok());
  CHECK(e->unflushed() == 0);
  CHECK(e->cache().bytes() <= kCache);
  CHECK(e->cache().evictions() > 0);

  for (int i = 0; i < n; ++i) e->Put(Key(i), Rec("second" + std::to_string(i)));
  e->Delete(Key(7));
  REQUIRE(e->FlushBehind().ok());
  CHECK(e->cache().bytes() <= kCache);

  const uint64_t disk_reads = e->stats().disk_reads;
  for (int i = 0; i < n; ++i) {
    if (i == 7) {
      REQUIRE_FALSE(ValueOf(*e, Key(i)).has_value());
    } else {
      REQUIRE(ValueOf(*e, Key(i)) == "second" + std::to_string(i));
    }
    REQUIRE(e->cache().bytes() <= kCache);  // reads with nothing pending evict at once
  }
  CHECK(e->stats().disk_reads > disk_reads);
  CHECK(e->KeyCount() == static_cast<uint64_t>(n - 1));
}

TEST_CASE("Engine: a record read from disk is cached from its second read on", "[engine]") {
  TempDir dir;
  {
    auto e = OpenEngine(dir.path());
    e->Put("hot", Rec("h"));
    e->Put("cold", Rec("c"));
    Commit(*e);
  }
  auto e = OpenEngine(dir.path());  // empty cache
  const uint64_t d0 = e->stats().disk_reads;
  CHECK(ValueOf(*e, "hot") == "h");
  CHECK(ValueOf(*e, "hot") == "h");
  CHECK(e->stats().disk_reads == d0 + 2);
  for (int i = 0; i < 5; ++i) CHECK(ValueOf(*e, "hot") == "h");
  CHECK(e->stats().disk_reads == d0 + 2);  // cached now
  CHECK(ValueOf(*e, "cold") == "c");
  CHECK(e->cache().admissions_refused() == 2);  // first reads of hot and cold
  CHECK_FALSE(ValueOf(*e, "absent").has_value());
  CHECK_FALSE(ValueOf(*e, "absent").has_value());
  const uint64_t d1 = e->stats().disk_reads;
  CHECK_FALSE(ValueOf(*e, "absent").has_value());  // absence is cached too
  CHECK(e->stats().disk_reads == d1);
}

TEST_CASE("Engine: a cache of zero bytes still sees pending writes", "[engine]") {
  // cache-size accepts 0 (server/config.cc). RecordCache::Insert returns early
  // at capacity 0, so pending writes and deletes are invisible to reads and
  // Put double-counts a key written twice in one turn.
  TempDir dir;
  auto e = OpenEngine(dir.path(), 0);
  e->Put("k", Rec("v1"));
  CHECK(ValueOf(*e, "k") == "v1");
  e->Put("k", Rec("v2"));
  CHECK(e->KeyCount() == 1);
  Commit(*e);
  CHECK(ValueOf(*e, "k") == "v2");
  e->Delete("k");
  CHECK_FALSE(ValueOf(*e, "k").has_value());
  e->Delete("k");
  CHECK(e->KeyCount() == 0);
  Commit(*e);
  CHECK(e->KeyCount() == 0);
}

TEST_CASE("Engine: shrinking the cache to zero mid-turn never serves a stale record", "[engine]") {
  // The server applies CONFIG SET cache-size 0 with cache().set_capacity(0) and
  // evicts only when nothing is pending. A later Put of a cached key then
  // leaves the old record in the cache (RecordCache::Insert returns early).
  TempDir dir;
  auto e = OpenEngine(dir.path());
  e->Put("k", Rec("old"));
  Commit(*e);
  REQUIRE(ValueOf(*e, "k") == "old");  // cached
  e->Put("other", Rec("x"));           // a write is pending
  e->cache().set_capacity(0);
  e->Put("k", Rec("new"));
  CHECK(ValueOf(*e, "k") == "new");
  Commit(*e);
  CHECK(ValueOf(*e, "k") == "new");
}

TEST_CASE("Engine: TTLs survive a restart and expire afterwards", "[engine][expire]") {
  TempDir dir;
  {
    auto e = OpenEngine(dir.path());
    e->Put("short", Rec("s", kNow + 100));
    e->Put("long", Rec("l", kNow + 100000));
    e->Put("none", Rec("n"));
    Commit(*e);
  }
  auto e = OpenEngine(dir.path());
  CHECK(e->ExpiresCount() == 2);
  std::vector<std::string> deleted;
  REQUIRE(e->ExpireStep(kNow + 100, 100, &deleted).ok());
  CHECK(deleted == std::vector<std::string>{"short"});
  CHECK_FALSE(ValueOf(*e, "short").has_value());
  CHECK(ValueOf(*e, "long") == "l");
  CHECK(ValueOf(*e, "none") == "n");
  CHECK(e->KeyCount() == 2);
  CHECK(e->ExpiresCount() == 1);

  e.reset();
  e = OpenEngine(dir.path());  // the expiry was committed
  CHECK_FALSE(ValueOf(*e, "short").has_value());
  CHECK(e->KeyCount() == 2);
}

TEST_CASE("Engine: ExpireStep deletes due keys in bounded steps, soonest first",
          "[engine][expire]") {
  TempDir dir;
  auto e = OpenEngine(dir.path());
  for (int i = 0; i < 10; ++i) e->Put("due" + std::to_string(i), Rec("v", kNow - 100 + i));
  e->Put("at-now", Rec("v", kNow));
  for (int i = 0; i < 5; ++i) e->Put("later" + std::to_string(i), Rec("v", kNow + 1 + i));
  for (int i = 0; i < 5; ++i) e->Put("forever" + std::to_string(i), Rec("v"));
  Commit(*e);
  REQUIRE(e->KeyCount() == 21);

  const uint64_t expired_before = e->stats().expired_keys;
  std::vector<std::string> all;
  std::vector<size_t> step_sizes;
  for (int step = 0; step < 20; ++step) {
    std::vector<std::string> deleted;
    REQUIRE(e->ExpireStep(kNow, 3, &deleted).ok());
    REQUIRE(deleted.size() <= 3);
    REQUIRE_FALSE(e->HasPending());  // each step commits what it deleted
    if (deleted.empty()) break;
    step_sizes.push_back(deleted.size());
    all.insert(all.end(), deleted.begin(), deleted.end());
  }
  CHECK(step_sizes == std::vector<size_t>{3, 3, 3, 2});
  std::vector<std::string> expected;
  for (int i = 0; i < 10; ++i) expected.push_back("due" + std::to_string(i));
  expected.push_back("at-now");
  CHECK(all == expected);
  CHECK(e->stats().expired_keys == expired_before + 11);

  CHECK(e->KeyCount() == 10);
  CHECK(e->ExpiresCount() == 5);
  for (const auto& k : expected) CHECK_FALSE(ValueOf(*e, k).has_value());
  for (int i = 0; i < 5; ++i) CHECK(ValueOf(*e, "later" + std::to_string(i)) == "v");
  for (int i = 0; i < 5; ++i) CHECK(ValueOf(*e, "forever" + std::to_string(i)) == "v");

  // Time moves on: the rest become due.
  std::vector<std::string> deleted;
  REQUIRE(e->ExpireStep(kNow + 10, 100, &deleted).ok());
  CHECK(deleted.size() == 5);
  CHECK(e->ExpiresCount() == 0);
  CHECK(e->KeyCount() == 5);
}

TEST_CASE("Engine: ExpireStep skips stale index entries of overwritten keys", "[engine][expire]") {
  TempDir dir;
  auto e = OpenEngine(dir.path());
  e->Put("extended", Rec("old", kNow - 50));  // index entry at kNow-50 ...
  e->Put("persisted", Rec("old", kNow - 40));
  e->Put("deleted", Rec("old", kNow - 30));
  Commit(*e);
  e->Put("extended", Rec("new", kNow + 10000));  // ... now stale
  e->Put("persisted", Rec("new"));
  e->Delete("deleted");
  e->Put("due", Rec("v", kNow - 10));
  Commit(*e);
  REQUIRE(e->KeyCount() == 3);
  REQUIRE(e->ExpiresCount() == 2);

  // One index entry per step: the three stale ones must each be dropped, or
  // the step would examine them again forever and never reach "due".
  std::vector<std::string> all;
  for (int step = 0; step < 4; ++step) {
    std::vector<std::string> deleted;
    REQUIRE(e->ExpireStep(kNow, 1, &deleted).ok());
    all.insert(all.end(), deleted.begin(), deleted.end());
  }
  CHECK(all == std::vector<std::string>{"due"});
  CHECK(ValueOf(*e, "extended") == "new");
  CHECK(ValueOf(*e, "persisted") == "new");
  CHECK_FALSE(ValueOf(*e, "deleted").has_value());
  CHECK(e->KeyCount() == 2);  // a deleted key is not counted twice
  CHECK(e->ExpiresCount() == 1);

  std::vector<std::string> deleted;
  REQUIRE(e->ExpireStep(kNow + 10000, 10, &deleted).ok());
  CHECK(deleted == std::vector<std::string>{"extended"});
  CHECK(e->KeyCount() == 1);
  CHECK(e->ExpiresCount() == 0);
}

TEST_CASE("Engine: ExpireStep sees writes of the current turn", "[engine][expire]") {
  TempDir dir;
  auto e = OpenEngine(dir.path());
  e->Put("k", Rec("v", kNow - 1));  // not committed yet
  std::vector<std::string> deleted;
  REQUIRE(e->ExpireStep(kNow, 10, &deleted).ok());
  CHECK(deleted == std::vector<std::string>{"k"});
  CHECK(e->KeyCount() == 0);
  REQUIRE(e->ExpireStep(kNow, 0, &deleted).ok());  // max 0: nothing, no error
  CHECK(deleted.size() == 1);
}

TEST_CASE("Engine: Scan walks (slot, key) order and resumes across pages", "[engine][scan]") {
  TempDir dir;
  auto e = OpenEngine(dir.path());
  // Slots: bar 5061, somekey 11058, foo 12182, 123456789 12739; {t}* share one.
  std::vector<std::string> keys = {"foo", "bar", "123456789", "somekey", "{t}b", "{t}a", "{t}c"};
  for (const auto& k : keys) e->Put(k, Rec("v:" + k, k == "foo" ? kNow + 1 : 0));
  e->Put("dead", Tombstone());
  REQUIRE(e->PutMeta("somemeta", "x").ok());
  // Pending writes are committed by Scan, so it sees them.

  std::vector<std::string> expected = keys;
  std::sort(expected.begin(), expected.end(),
            [](const std::string& a, const std::string& b) { return DataKey(a) < DataKey(b); });
  REQUIRE(std::find(expected.begin(), expected.end(), "bar") <
          std::find(expected.begin(), expected.end(), "foo"));
  REQUIRE(std::find(expected.begin(), expected.end(), "foo") <
          std::find(expected.begin(), expected.end(), "123456789"));

  for (size_t page : {size_t{1}, size_t{2}, size_t{3}, size_t{7}, size_t{100}}) {
    INFO("page " << page);
    size_t pages = 0;
    CHECK(ScanAll(*e, page, &pages) == expected);         // no tombstone, no meta, no index
    CHECK(pages == (expected.size() + page - 1) / page);  // an exact fit ends with ""
  }
  CHECK_FALSE(e->HasPending());

  SECTION("the callback sees the records") {
    std::string next;
    std::vector<std::pair<std::string, Record>> seen;
    REQUIRE(e->Scan(
                 "", 100,
                 [&](std::string_view k, const Record& r) {
                   seen.emplace_back(std::string(k), r);
                   return true;
                 },
                 &next)
                .ok());
    CHECK(next.empty());
    REQUIRE(seen.size() == keys.size());
    for (const auto& [k, r] : seen) {
      CHECK(r.value == "v:" + k);
      CHECK(r.expire_at_ms == (k == "foo" ? kNow + 1 : 0));
    }
  }
  SECTION("stopping early returns the position of the following key") {
    std::string next;
    std::vector<std::string> got;
    REQUIRE(e->Scan(
                 "", 100,
                 [&](std::string_view k, const Record&) {
                   got.emplace_back(k);
                   return got.size() < 2;
                 },
                 &next)
                .ok());
    REQUIRE(got.size() == 2);
    CHECK(next == DataKey(expected[2]));
    std::string next2;
    REQUIRE(e->Scan(
                 next, 100,
                 [&](std::string_view k, const Record&) {
                   got.emplace_back(k);
                   return true;
                 },
                 &next2)
                .ok());
    CHECK(next2.empty());
    CHECK(got == expected);
  }
  SECTION("stopping at the last key leaves nothing to resume") {
    std::string next = "unchanged";
    size_t n = 0;
    REQUIRE(
        e->Scan(
             "", 100, [&](std::string_view, const Record&) { return ++n < expected.size(); }, &next)
            .ok());
    CHECK(next.empty());
  }
  SECTION("a resume position whose key was deleted still resumes after it") {
    std::string next;
    std::vector<std::string> got;
    auto collect = [&](std::string_view k, const Record&) {
      got.emplace_back(k);
      return true;
    };
    REQUIRE(e->Scan("", 3, collect, &next).ok());
    REQUIRE(next == DataKey(expected[3]));
    e->Delete(expected[3]);
    std::string next2;
    REQUIRE(e->Scan(next, 100, collect, &next2).ok());
    for (size_t i = 4; i < expected.size(); ++i) {
      CHECK(std::find(got.begin(), got.end(), expected[i]) != got.end());
    }
    CHECK(std::find(got.begin(), got.end(), expected[3]) == got.end());
    CHECK(got.size() == expected.size() - 1);
  }
}

TEST_CASE("Engine: Scan of an empty store", "[engine][scan]") {
  TempDir dir;
  auto e = OpenEngine(dir.path());
  std::string next = "x";
  REQUIRE(e->Scan(
               "", 10, [](std::string_view, const Record&) { return true; }, &next)
              .ok());
  CHECK(next.empty());
  e->Put("only", Tombstone());
  CHECK(ScanAll(*e, 10).empty());
}

TEST_CASE("Engine: FlushAll empties the store and resets the counts", "[engine]") {
  TempDir dir;
  auto e = OpenEngine(dir.path(), 4096);
  for (int i = 0; i < 100; ++i) e->Put(Key(i), Rec("v", i % 2 ? kNow + 1000 : 0));
  Commit(*e);
  e->Put("pending", Rec("v"));  // FlushAll removes pending writes too
  REQUIRE(e->FlushAll().ok());

  CHECK(e->KeyCount() == 0);
  CHECK(e->ExpiresCount() == 0);
  CHECK_FALSE(e->HasPending());
  CHECK(e->cache().entries() == 0);
  CHECK_FALSE(ValueOf(*e, Key(1)).has_value());
  CHECK_FALSE(ValueOf(*e, "pending").has_value());
  CHECK(ScanAll(*e, 10).empty());
  std::vector<std::string> deleted;
  REQUIRE(e->ExpireStep(kNow + 5000, 100, &deleted).ok());  // the index is gone too
  CHECK(deleted.empty());

  // Usable afterwards, and the emptiness survives a restart.
  e->Put("after", Rec("flush"));
  Commit(*e);
  e.reset();
  e = OpenEngine(dir.path());
  CHECK(e->KeyCount() == 1);
  CHECK(ValueOf(*e, "after") == "flush");
  CHECK_FALSE(ValueOf(*e, Key(2)).has_value());
}

TEST_CASE("Engine: FlushAll keeps node metadata", "[engine]") {
  // record.h: the 'm' keyspace holds metadata such as the node id; FLUSHALL
  // removes records, not the node's identity. Engine::FlushAll destroys the
  // whole LevelDB instead.
  TempDir dir;
  auto e = OpenEngine(dir.path());
  REQUIRE(e->PutMeta("node-id", "abc123").ok());
  e->Put("k", Rec("v"));
  REQUIRE(e->FlushAll().ok());
  auto id = e->GetMeta("node-id");
  REQUIRE(id.ok());
  CHECK(*id == "abc123");
}

TEST_CASE("Engine: sync_commits syncs each commit and keeps the data", "[engine]") {
  TempDir dir;
  {
    auto e = OpenEngine(dir.path(), 1 << 20, /*sync_commits=*/true);
    CHECK(e->sync_commits());
    const uint64_t syncs = e->stats().syncs;
    e->Put("a", Rec("1"));
    e->Put("b", Rec("2"));
    Commit(*e);
    CHECK(e->stats().syncs == syncs + 1);
    CHECK(e->stats().commits == 1);

    e->set_sync_commits(false);
    e->Put("c", Rec("3"));
    Commit(*e);
    CHECK(e->stats().syncs == syncs + 1);

    REQUIRE(e->Sync().ok());  // appendfsync everysec's timer
    CHECK(e->stats().syncs == syncs + 2);
  }
  auto e = OpenEngine(dir.path());
  CHECK(ValueOf(*e, "a") == "1");
  CHECK(ValueOf(*e, "b") == "2");
  CHECK(ValueOf(*e, "c") == "3");
  CHECK(e->KeyCount() == 3);
}

TEST_CASE("Engine: metadata is stored apart from keys and survives a restart", "[engine]") {
  TempDir dir;
  {
    auto e = OpenEngine(dir.path());
    auto unset = e->GetMeta("startup");
    REQUIRE(unset.ok());
    CHECK(unset->empty());
    REQUIRE(e->PutMeta("startup", "123").ok());
    // User keys that spell internal names do not collide with them.
    e->Put("keycount", Rec("user"));
    e->Put("startup", Rec("user"));
    Commit(*e);
  }
  auto e = OpenEngine(dir.path());
  auto v = e->GetMeta("startup");
  REQUIRE(v.ok());
  CHECK(*v == "123");
  CHECK(ValueOf(*e, "startup") == "user");
  CHECK(e->KeyCount() == 2);
  auto keys = ScanAll(*e, 10);
  std::sort(keys.begin(), keys.end());
  CHECK(keys == std::vector<std::string>{"keycount", "startup"});
}

TEST_CASE("Engine: Open reports an unusable directory as a Status", "[engine]") {
  TempDir dir;
  SECTION("the path is a file") {
    const std::string file = dir.path() + "/file";
    std::ofstream(file) << "not a dir";
    EngineOptions o;
    o.dir = file;
    auto r = Engine::Open(o);
    CHECK_FALSE(r.ok());
    CHECK_FALSE(r.status().message().empty());
  }
  SECTION("another engine holds the directory") {
    auto first = OpenEngine(dir.path());
    EngineOptions o;
    o.dir = dir.path();
    auto second = Engine::Open(o);
    CHECK_FALSE(second.ok());
  }
  SECTION("a missing directory is created") {
    auto e = OpenEngine(dir.path() + "/a/b/c");
    CHECK(e->KeyCount() == 0);
  }
}

}  // namespace
}  // namespace ringkv::storage
