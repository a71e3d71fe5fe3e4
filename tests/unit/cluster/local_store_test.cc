#include "cluster/local_store.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "cluster/clock.h"
#include "storage/engine.h"
#include "tests/support/engine.h"
#include "tests/support/temp_dir.h"

namespace ringkv::cluster {
namespace {

using storage::Engine;
using testing::Rec;

// Records every notification, in order.
class RecordingObserver : public KeyObserver {
 public:
  void KeyChanged(std::string_view key) override { changed.emplace_back(key); }
  void AllKeysChanged() override { ++all_changed; }
  std::vector<std::string> changed;
  int all_changed = 0;
};

// A LocalStore over a real engine in a temporary directory, with a manual clock.
struct Fixture {
  Fixture() {
    engine = ringkv::testing::OpenTestEngine(dir.path());
    store = std::make_unique<LocalStore>(engine.get(), &clock);
    store->set_observer(&observer);
  }
  ringkv::testing::TempDir dir;
  ManualClock clock;
  RecordingObserver observer;
  std::unique_ptr<Engine> engine;
  std::unique_ptr<LocalStore> store;  // borrows engine, clock and observer
};

// On one node every future is ready at once; take its value.
template <class T>
T Now(Future<T> f) {
  REQUIRE(f.await_ready());
  return f.await_resume();
}

std::optional<std::string> Value(KeyStore& s, std::string_view key) {
  auto r = Now(s.Read(key));
  REQUIRE(r.ok());
  if (!*r) return std::nullopt;
  return (*r)->value;
}

void Write(KeyStore& s, std::string_view key, Record rec) {
  Status st = Now(s.Write(key, std::move(rec)));
  REQUIRE(st.ok());
}

uint64_t Count(KeyStore& s) {
  auto r = Now(s.Count());
  REQUIRE(r.ok());
  return *r;
}

std::string Random(KeyStore& s) {
  auto r = Now(s.RandomKey());
  REQUIRE(r.ok());
  return *r;
}

std::vector<std::string> ScanAll(KeyStore& s, size_t count) {
  std::vector<std::string> keys;
  std::string from;
  int pages = 0;
  do {
    auto page = Now(s.Scan(from, count));
    REQUIRE(page.ok());
    keys.insert(keys.end(), page->keys.begin(), page->keys.end());
    from = page->next;
    REQUIRE(++pages < 10000);
  } while (!from.empty());
  return keys;
}

TEST_CASE("LocalStore: every operation is ready at once", "[local_store]") {
  Fixture f;
  CHECK(f.store->Read("k").await_ready());
  CHECK(f.store->Write("k", Rec("v")).await_ready());
  CHECK(f.store->Update("k", [](const Record*) { return Mutation::Keep(); }).await_ready());
  CHECK(f.store->Delete("k").await_ready());
  CHECK(f.store->Count().await_ready());
  CHECK(f.store->CountWithExpiry().await_ready());
  CHECK(f.store->Scan("", 10).await_ready());
  CHECK(f.store->RandomKey().await_ready());
  CHECK(f.store->FlushAll().await_ready());
}

TEST_CASE("LocalStore: write, read, and the observer hears each change", "[local_store]") {
  Fixture f;
  CHECK_FALSE(Value(*f.store, "k").has_value());
  CHECK(f.observer.changed.empty());  // reading a missing key changes nothing

  Write(*f.store, "k", Rec("v1"));
  CHECK(Value(*f.store, "k") == "v1");
  Write(*f.store, "k", Rec("v2"));
  CHECK(Value(*f.store, "k") == "v2");
  CHECK(f.observer.changed == std::vector<std::string>{"k", "k"});
  CHECK(Count(*f.store) == 1);

  REQUIRE(f.store->EndTurn().ok());
  CHECK_FALSE(f.engine->HasPending());
  REQUIRE(f.store->Sync().ok());
}

TEST_CASE("LocalStore: tombstones read as absent", "[local_store]") {
  Fixture f;
  Record t;
  t.tombstone = true;
  t.version = "v";
  f.engine->Put("dead", t);
  CHECK_FALSE(Value(*f.store, "dead").has_value());
  auto del = Now(f.store->Delete("dead"));
  REQUIRE(del.ok());
  CHECK_FALSE(*del);
  CHECK(ScanAll(*f.store, 10).empty());
}

TEST_CASE("LocalStore: lazy expiry with a manual clock", "[local_store][expire]") {
  Fixture f;
  const int64_t t0 = f.clock.NowMs();
  Write(*f.store, "k", Rec("v", t0 + 100));
  Write(*f.store, "other", Rec("w"));
  REQUIRE(f.store->EndTurn().ok());
  f.observer.changed.clear();

  f.clock.Advance(99);
  CHECK(Value(*f.store, "k") == "v");
  CHECK(f.observer.changed.empty());

  f.clock.Advance(1);  // the expiry instant itself: gone
  CHECK_FALSE(Value(*f.store, "k").has_value());
  CHECK(f.observer.changed == std::vector<std::string>{"k"});  // WATCH must see it
  CHECK(Count(*f.store) == 1);                                 // purged, not just hidden
  auto with_ttl = Now(f.store->CountWithExpiry());
  REQUIRE(with_ttl.ok());
  CHECK(*with_ttl == 0);

  // The purge is a real delete: it is stored, and the index entry no longer
  // yields the key.
  REQUIRE(f.store->EndTurn().ok());
  auto stored = f.engine->Get("k");
  REQUIRE(stored.ok());
  CHECK_FALSE(*stored);
  auto expired = f.store->ExpireStep(100);
  REQUIRE(expired.ok());
  CHECK(*expired == 0);

  // Reading again is quiet.
  f.observer.changed.clear();
  CHECK_FALSE(Value(*f.store, "k").has_value());
  CHECK(f.observer.changed.empty());
  CHECK(Value(*f.store, "other") == "w");
}

TEST_CASE("LocalStore: an expired key is absent for every operation", "[local_store][expire]") {
  Fixture f;
  Write(*f.store, "k", Rec("v", f.clock.NowMs() + 10));
  f.clock.Advance(10);

  SECTION("Delete says nothing was removed") {
    auto r = Now(f.store->Delete("k"));
    REQUIRE(r.ok());
    CHECK_FALSE(*r);
  }
  SECTION("Update sees no record") {
    int calls = 0;
    bool saw_record = true;
    Status s = Now(f.store->Update("k", [&](const Record* old) {
      ++calls;
      saw_record = old != nullptr;
      return Mutation::Keep();
    }));
    REQUIRE(s.ok());
    CHECK(calls == 1);
    CHECK_FALSE(saw_record);
  }
  SECTION("Scan and RandomKey skip it") {
    CHECK(ScanAll(*f.store, 10).empty());
    CHECK(Random(*f.store) == "");
  }
}

TEST_CASE("LocalStore: Delete returns whether a live key was removed", "[local_store]") {
  Fixture f;
  Write(*f.store, "k", Rec("v"));
  REQUIRE(f.store->EndTurn().ok());
  f.observer.changed.clear();

  auto first = Now(f.store->Delete("k"));
  REQUIRE(first.ok());
  CHECK(*first);
  CHECK(f.observer.changed == std::vector<std::string>{"k"});
  CHECK_FALSE(Value(*f.store, "k").has_value());

  auto second = Now(f.store->Delete("k"));  // same turn, not yet committed
  REQUIRE(second.ok());
  CHECK_FALSE(*second);
  auto missing = Now(f.store->Delete("never"));
  REQUIRE(missing.ok());
  CHECK_FALSE(*missing);
  CHECK(f.observer.changed == std::vector<std::string>{"k"});  // no-ops are not changes
  CHECK(Count(*f.store) == 0);
}

TEST_CASE("LocalStore: Update keeps, puts, or deletes", "[local_store]") {
  Fixture f;
  Write(*f.store, "k", Rec("1"));
  REQUIRE(f.store->EndTurn().ok());
  f.observer.changed.clear();

  SECTION("Keep stores nothing and tells no one") {
    int calls = 0;
    std::string seen;
    Status s = Now(f.store->Update("k", [&](const Record* old) {
      ++calls;
      REQUIRE(old != nullptr);
      seen = old->value;
      return Mutation::Keep();
    }));
    REQUIRE(s.ok());
    CHECK(calls == 1);
    CHECK(seen == "1");
    CHECK_FALSE(f.engine->HasPending());
    CHECK(f.observer.changed.empty());
    CHECK(Value(*f.store, "k") == "1");
  }
  SECTION("Put replaces from the old value (INCR-like)") {
    for (int i = 0; i < 5; ++i) {
      Status s = Now(f.store->Update("k", [](const Record* old) {
        return Mutation::Put(Rec(std::to_string(std::stoi(old->value) + 1)));
      }));
      REQUIRE(s.ok());
    }
    CHECK(Value(*f.store, "k") == "6");
    CHECK(f.observer.changed.size() == 5);
    REQUIRE(f.store->EndTurn().ok());
    CHECK(Value(*f.store, "k") == "6");
    CHECK(Count(*f.store) == 1);
  }
  SECTION("Put on a missing key creates it") {
    Status s = Now(f.store->Update("new", [](const Record* old) {
      return old ? Mutation::Keep() : Mutation::Put(Rec("created"));
    }));
    REQUIRE(s.ok());
    CHECK(Value(*f.store, "new") == "created");
    CHECK(f.observer.changed == std::vector<std::string>{"new"});
    CHECK(Count(*f.store) == 2);
  }
  SECTION("Delete removes a live key") {
    Status s = Now(f.store->Update("k", [](const Record*) { return Mutation::Delete(); }));
    REQUIRE(s.ok());
    CHECK_FALSE(Value(*f.store, "k").has_value());
    CHECK(f.observer.changed == std::vector<std::string>{"k"});
    CHECK(Count(*f.store) == 0);
  }
  SECTION("Delete of a missing key is a quiet no-op") {
    Status s = Now(f.store->Update("never", [](const Record*) { return Mutation::Delete(); }));
    REQUIRE(s.ok());
    CHECK(f.observer.changed.empty());
    CHECK_FALSE(f.engine->HasPending());
    CHECK(Count(*f.store) == 1);
  }
}

// A handler written the way commands are: linear code over co_await.
Detached IncrHandler(KeyStore* store, std::string key, std::optional<std::string>* reply) {
  auto before = co_await store->Read(key);
  std::string start = (before.ok() && *before) ? (*before)->value : "0";
  int result = 0;
  Status s = co_await store->Update(key, [&](const Record* old) {
    result = std::stoi(old ? old->value : start) + 1;
    return Mutation::Put(Rec(std::to_string(result)));
  });
  if (s.ok()) reply->emplace(std::to_string(result));
}

TEST_CASE("LocalStore: a coroutine handler runs to the end without suspending",
          "[local_store][task]") {
  Fixture f;
  for (int i = 1; i <= 3; ++i) {
    std::optional<std::string> reply;
    IncrHandler(f.store.get(), "counter", &reply);
    REQUIRE(reply.has_value());
    CHECK(*reply == std::to_string(i));
  }
  CHECK(Value(*f.store, "counter") == "3");
}

TEST_CASE("LocalStore: RandomKey on empty and non-empty stores", "[local_store]") {
  Fixture f;
  CHECK(Random(*f.store) == "");

  SECTION("one key is always the answer") {
    Write(*f.store, "only", Rec("v"));  // pending: RandomKey must still see it
    for (int i = 0; i < 20; ++i) CHECK(Random(*f.store) == "only");
  }
  SECTION("each key is a possible answer, and only keys are") {
    // Slots 5061, 12182, 12739: the last owns the fewest slots (~3%).
    const std::set<std::string> keys = {"bar", "foo", "123456789"};
    for (const auto& k : keys) Write(*f.store, k, Rec("v"));
    std::set<std::string> seen;
    for (int i = 0; i < 1000 && seen.size() < keys.size(); ++i) {
      const std::string k = Random(*f.store);
      REQUIRE(keys.count(k) == 1);
      seen.insert(k);
    }
    CHECK(seen == keys);
  }
  SECTION("expired keys are not chosen") {
    Write(*f.store, "expired", Rec("v", f.clock.NowMs() + 1));
    Write(*f.store, "alive", Rec("v"));
    f.clock.Advance(1);
    for (int i = 0; i < 50; ++i) CHECK(Random(*f.store) == "alive");
  }
  SECTION("only expired keys: empty") {
    for (int i = 0; i < 10; ++i) Write(*f.store, "e" + std::to_string(i), Rec("v", 1));
    CHECK(Random(*f.store) == "");
  }
  SECTION("after FlushAll: empty") {
    Write(*f.store, "k", Rec("v"));
    REQUIRE(Now(f.store->FlushAll()).ok());
    CHECK(Random(*f.store) == "");
  }
}

TEST_CASE("LocalStore: ExpireStep removes due keys in bounded steps", "[local_store][expire]") {
  Fixture f;
  const int64_t t0 = f.clock.NowMs();
  for (int i = 0; i < 5; ++i) Write(*f.store, "due" + std::to_string(i), Rec("v", t0 + 10 + i));
  Write(*f.store, "later", Rec("v", t0 + 1000));
  Write(*f.store, "forever", Rec("v"));
  REQUIRE(f.store->EndTurn().ok());
  f.observer.changed.clear();

  auto none = f.store->ExpireStep(10);
  REQUIRE(none.ok());
  CHECK(*none == 0);  // nothing due yet

  f.clock.Advance(100);
  std::vector<size_t> steps;
  for (int i = 0; i < 10; ++i) {
    auto n = f.store->ExpireStep(2);
    REQUIRE(n.ok());
    if (*n == 0) break;
    steps.push_back(*n);
  }
  CHECK(steps == std::vector<size_t>{2, 2, 1});
  CHECK(f.observer.changed == std::vector<std::string>{"due0", "due1", "due2", "due3", "due4"});
  CHECK(Count(*f.store) == 2);
  auto with_ttl = Now(f.store->CountWithExpiry());
  REQUIRE(with_ttl.ok());
  CHECK(*with_ttl == 1);
  CHECK(Value(*f.store, "later") == "v");
  CHECK(Value(*f.store, "forever") == "v");
}

TEST_CASE("LocalStore: Scan pages cover every live key once", "[local_store]") {
  Fixture f;
  std::vector<std::string> live;
  for (int i = 0; i < 60; ++i) {
    const std::string k = "key:" + std::to_string(i);
    if (i % 10 == 0) {
      Write(*f.store, k, Rec("v", f.clock.NowMs() + 1));  // will have expired
    } else {
      Write(*f.store, k, Rec("v"));
      live.push_back(k);
    }
  }
  f.clock.Advance(1);
  for (size_t count : {size_t{1}, size_t{7}, size_t{10}, size_t{1000}}) {
    INFO("count " << count);
    std::vector<std::string> got = ScanAll(*f.store, count);
    std::sort(got.begin(), got.end());
    std::vector<std::string> want = live;
    std::sort(want.begin(), want.end());
    CHECK(got == want);
  }
}

TEST_CASE("LocalStore: FlushAll empties and tells the observer once", "[local_store]") {
  Fixture f;
  for (int i = 0; i < 10; ++i) Write(*f.store, "k" + std::to_string(i), Rec("v", i ? 0 : 1));
  REQUIRE(Now(f.store->FlushAll()).ok());
  CHECK(f.observer.all_changed == 1);
  CHECK(Count(*f.store) == 0);
  auto with_ttl = Now(f.store->CountWithExpiry());
  REQUIRE(with_ttl.ok());
  CHECK(*with_ttl == 0);
  CHECK(ScanAll(*f.store, 100).empty());
  CHECK_FALSE(Value(*f.store, "k3").has_value());
}

TEST_CASE("LocalStore: without an observer nothing breaks", "[local_store]") {
  Fixture f;
  f.store->set_observer(nullptr);
  Write(*f.store, "k", Rec("v", f.clock.NowMs() + 1));
  f.clock.Advance(5);
  CHECK_FALSE(Value(*f.store, "k").has_value());
  REQUIRE(Now(f.store->FlushAll()).ok());
}

}  // namespace
}  // namespace ringkv::cluster
