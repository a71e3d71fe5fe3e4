#include "storage/cache.h"

#include <catch2/catch.hpp>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <string_view>

namespace ringkv::storage {
namespace {

RecordRef Rec(std::string value) {
  auto r = std::make_shared<Record>();
  r->value = std::move(value);
  return r;
}

bool Cached(RecordCache& c, std::string_view key) {
  bool negative = false;
  return c.Find(key, &negative) != nullptr || negative;
}

std::string ValueOf(RecordCache& c, std::string_view key) {
  bool negative = false;
  const RecordRef* r = c.Find(key, &negative);
  REQUIRE(r != nullptr);
  REQUIRE(*r);
  return (*r)->value;
}

// The charge of one entry shaped like Rec("v") under a one-letter key.
size_t OneEntryCharge() {
  RecordCache probe(1 << 20);
  probe.Insert("a", Rec("v"));
  return probe.bytes();
}

TEST_CASE("Cache: miss, hit, and negative entries", "[cache]") {
  RecordCache c(1 << 20);
  bool negative = true;
  CHECK(c.Find("k", &negative) == nullptr);
  CHECK_FALSE(negative);

  c.Insert("k", Rec("v1"));
  CHECK(ValueOf(c, "k") == "v1");

  c.Insert("gone", nullptr);  // known absent
  negative = false;
  CHECK(c.Find("gone", &negative) == nullptr);
  CHECK(negative);
  CHECK(c.entries() == 2);

  // A negative entry can become positive and back.
  c.Insert("gone", Rec("back"));
  CHECK(ValueOf(c, "gone") == "back");
  c.Insert("k", nullptr);
  negative = false;
  CHECK(c.Find("k", &negative) == nullptr);
  CHECK(negative);
  CHECK(c.entries() == 2);
}

TEST_CASE("Cache: keys are bytes, binary and empty included", "[cache]") {
  RecordCache c(1 << 20);
  const std::string bin("a\0b", 3);
  c.Insert(bin, Rec("binary"));
  c.Insert(std::string_view("a", 1), Rec("short"));
  c.Insert("", Rec("empty"));
  CHECK(ValueOf(c, bin) == "binary");
  CHECK(ValueOf(c, "a") == "short");
  CHECK(ValueOf(c, "") == "empty");
}

TEST_CASE("Cache: byte accounting follows inserts, replacements and erases", "[cache]") {
  RecordCache c(1 << 20);
  CHECK(c.bytes() == 0);

  c.Insert("a", Rec("v"));
  const size_t one = c.bytes();
  CHECK(one > 1);
  c.Insert("b", Rec("v"));
  CHECK(c.bytes() == 2 * one);

  // A longer key and a bigger value cost more; the charge is at least their size.
  c.Insert("c", Rec(std::string(10000, 'x')));
  const size_t with_big = c.bytes();
  CHECK(with_big >= 2 * one + 10000);

  // Replacing re-charges: back to a small value gives the small charge back.
  c.Insert("c", Rec("v"));
  CHECK(c.bytes() == 3 * one);

  // A negative entry costs less than a positive one, and the key length counts.
  c.Insert("n", nullptr);
  const size_t neg = c.bytes() - 3 * one;
  CHECK(neg < one);
  c.Insert("nnnnnnnnnnn", nullptr);  // ten bytes longer
  CHECK(c.bytes() - 3 * one - neg == neg + 10);

  c.Erase("c");
  c.Erase("missing");  // no-op
  CHECK(c.entries() == 4);
  c.Erase("a");
  c.Erase("b");
  c.Erase("n");
  c.Erase("nnnnnnnnnnn");
  CHECK(c.entries() == 0);
  CHECK(c.bytes() == 0);
}

TEST_CASE("Cache: nothing is evicted before EvictToCapacity", "[cache]") {
  RecordCache c(1);  // smaller than any entry
  for (int i = 0; i < 50; ++i) c.Insert("k" + std::to_string(i), Rec("value"));
  CHECK(c.entries() == 50);
  CHECK(c.bytes() > c.capacity());
  CHECK(c.evictions() == 0);
  for (int i = 0; i < 50; ++i) CHECK(ValueOf(c, "k" + std::to_string(i)) == "value");

  c.EvictToCapacity();
  CHECK(c.entries() == 0);
  CHECK(c.bytes() == 0);
  CHECK(c.evictions() == 50);
}

TEST_CASE("Cache: evicts the oldest entry not used since it was inserted or passed over",
          "[cache]") {
  const size_t one = OneEntryCharge();
  RecordCache c(3 * one);
  c.Insert("a", Rec("v"));
  c.Insert("b", Rec("v"));
  c.Insert("c", Rec("v"));
  REQUIRE(c.bytes() == 3 * one);

  SECTION("insertion order when nothing was touched") {
    c.Insert("d", Rec("v"));
    c.EvictToCapacity();
    CHECK_FALSE(Cached(c, "a"));
    CHECK(Cached(c, "b"));
    CHECK(Cached(c, "c"));
    CHECK(Cached(c, "d"));
    CHECK(c.evictions() == 1);
    CHECK(c.bytes() == 3 * one);
  }
  SECTION("a Find gives an entry a second chance") {
    bool negative = false;
    REQUIRE(c.Find("a", &negative) != nullptr);
    c.Insert("d", Rec("v"));
    c.EvictToCapacity();
    CHECK(Cached(c, "a"));
    CHECK_FALSE(Cached(c, "b"));
  }
  SECTION("a Find of a negative entry gives it a second chance too") {
    c.Insert("a", nullptr);  // replaces: now used, and cheaper
    c.Insert("d", Rec("v"));
    c.Insert("e", Rec("v"));
    bool negative = false;
    c.Find("a", &negative);  // used again
    REQUIRE(negative);
    c.EvictToCapacity();
    // b and c were not used since inserted; a (negative, small) survives.
    CHECK_FALSE(Cached(c, "b"));
    CHECK_FALSE(Cached(c, "c"));
    CHECK(Cached(c, "a"));
    CHECK(c.bytes() <= c.capacity());
  }
  SECTION("replacing gives an entry a second chance") {
    c.Insert("a", Rec("w"));
    c.Insert("d", Rec("v"));
    c.EvictToCapacity();
    CHECK(ValueOf(c, "a") == "w");
    CHECK_FALSE(Cached(c, "b"));
  }
  SECTION("eviction goes as far as needed, oldest first") {
    c.set_capacity(one);
    c.EvictToCapacity();
    CHECK(c.entries() == 1);
    CHECK(Cached(c, "c"));
    CHECK(c.evictions() == 2);
  }
  SECTION("an erased entry is out of the eviction list") {
    c.Erase("a");
    c.Insert("d", Rec("v"));
    c.EvictToCapacity();
    CHECK(c.entries() == 3);
    CHECK(c.evictions() == 0);
  }
}

TEST_CASE("Cache: a second chance lasts one pass", "[cache]") {
  const size_t one = OneEntryCharge();
  RecordCache c(3 * one);
  c.Insert("a", Rec("v"));
  c.Insert("b", Rec("v"));
  c.Insert("c", Rec("v"));
  bool negative = false;
  REQUIRE(c.Find("a", &negative) != nullptr);
  c.Insert("d", Rec("v"));
  c.EvictToCapacity();  // a is passed over, and is now the newest, unmarked; b goes
  CHECK(c.evictions() == 1);
  // Nothing is used from here on: c, d and then a go, in that order.
  for (const char* k : {"e", "f", "g"}) {
    c.Insert(k, Rec("v"));
    c.EvictToCapacity();
  }
  CHECK(c.evictions() == 4);
  for (const char* k : {"a", "b", "c", "d"}) CHECK_FALSE(Cached(c, k));
  for (const char* k : {"e", "f", "g"}) CHECK(Cached(c, k));
}

TEST_CASE("Cache: one eviction passes over a bounded number of used entries", "[cache]") {
  const int n = 1000;
  RecordCache c(size_t{1} << 30);
  for (int i = 0; i < n; ++i) c.Insert("k" + std::to_string(1000 + i), Rec("v"));
  c.set_capacity(c.bytes());  // full; "new" costs less than any one of these
  bool negative = false;
  for (int i = 0; i < n; ++i) REQUIRE(c.Find("k" + std::to_string(1000 + i), &negative));
  // Every entry is used: an exact CLOCK would pass over all 1000 before
  // evicting one. It evicts exactly one, and one of the oldest.
  c.Insert("new", Rec("v"));
  c.EvictToCapacity();
  CHECK(c.evictions() == 1);
  CHECK(c.entries() == static_cast<size_t>(n));
  CHECK(Cached(c, "new"));
  int missing = -1;
  for (int i = 0; i < n; ++i) {
    if (!Cached(c, "k" + std::to_string(1000 + i))) missing = i;
  }
  CHECK(missing >= 0);
  CHECK(missing < 64);
}

TEST_CASE("Cache: a record handed out outlives its eviction", "[cache]") {
  RecordCache c(1);
  c.Insert("k", Rec("kept"));
  bool negative = false;
  RecordRef held = *c.Find("k", &negative);
  c.EvictToCapacity();
  CHECK_FALSE(Cached(c, "k"));
  CHECK(held->value == "kept");
}

TEST_CASE("Cache: Clear empties and the cache is usable afterwards", "[cache]") {
  const size_t one = OneEntryCharge();
  RecordCache c(2 * one);
  c.Insert("a", Rec("v"));
  c.Insert("b", nullptr);
  c.Clear();
  CHECK(c.entries() == 0);
  CHECK(c.bytes() == 0);
  CHECK_FALSE(Cached(c, "a"));
  CHECK_FALSE(Cached(c, "b"));

  c.Insert("x", Rec("v"));
  c.Insert("y", Rec("v"));
  c.Insert("z", Rec("v"));
  c.EvictToCapacity();
  CHECK_FALSE(Cached(c, "x"));
  CHECK(ValueOf(c, "y") == "v");
  CHECK(ValueOf(c, "z") == "v");
  CHECK(c.bytes() == 2 * one);
}

TEST_CASE("Cache: a bigger capacity keeps more; shrinking evicts on the next call", "[cache]") {
  const size_t one = OneEntryCharge();
  RecordCache c(10 * one);
  for (int i = 0; i < 10; ++i) c.Insert(std::string(1, static_cast<char>('a' + i)), Rec("v"));
  c.EvictToCapacity();
  CHECK(c.entries() == 10);
  c.set_capacity(4 * one);
  CHECK(c.entries() == 10);
  c.EvictToCapacity();
  CHECK(c.entries() == 4);
  for (char k : {'g', 'h', 'i', 'j'}) CHECK(Cached(c, std::string(1, k)));
}

TEST_CASE("Cache: at capacity zero an insert still replaces what is cached", "[cache]") {
  // cache.h: Insert "inserts or replaces" and "does not evict". At capacity 0
  // (cache-size 0, also reachable with CONFIG SET) Insert returns before doing
  // either, so an older record stays cached and is served instead of the new one.
  RecordCache c(1 << 20);
  c.Insert("k", Rec("old"));
  c.set_capacity(0);  // CONFIG SET cache-size 0 while a write is pending: no eviction yet
  c.Insert("k", Rec("new"));
  bool negative = false;
  const RecordRef* r = c.Find("k", &negative);
  CHECK((r == nullptr || (*r)->value == "new"));

  c.Insert("absent", nullptr);  // a pending delete must be visible too
  negative = false;
  CHECK(c.Find("absent", &negative) == nullptr);
  CHECK(negative);
}

TEST_CASE("Cache: a key read from disk is admitted on its second miss", "[cache]") {
  RecordCache c(1 << 20);
  CHECK_FALSE(c.AdmitOnMiss("k"));
  CHECK(c.AdmitOnMiss("k"));
  // Admitted once: the next miss of the same key starts over.
  CHECK_FALSE(c.AdmitOnMiss("k"));
  CHECK(c.admissions_refused() == 2);

  // One-off reads of many keys are refused; the fingerprints they leave let
  // most of them in on a second pass (the table has 1024 slots at this
  // capacity, and later keys overwrite about 10% of 200).
  int first = 0, second = 0;
  for (int i = 0; i < 200; ++i) first += c.AdmitOnMiss("key:" + std::to_string(i));
  for (int i = 0; i < 200; ++i) second += c.AdmitOnMiss("key:" + std::to_string(i));
  CHECK(first < 5);
  CHECK(second > 160);
}

TEST_CASE("Cache: Prefetch changes nothing", "[cache]") {
  RecordCache c(1 << 20);
  std::string_view none[] = {"a"};
  c.Prefetch(none, 1);  // empty cache
  c.Prefetch(none, 0);
  c.Insert("a", Rec(""));
  c.Insert("b", Rec(std::string(5000, 'x')));
  c.Insert("", Rec("empty key"));
  c.Insert("gone", RecordRef());  // a negative entry
  std::vector<std::string> many;
  for (int i = 0; i < 100; ++i) many.push_back("key" + std::to_string(i));
  std::vector<std::string_view> keys = {"a", "b", "", "gone", "absent"};
  keys.insert(keys.end(), many.begin(), many.end());  // past kPrefetchMax
  const size_t entries = c.entries(), bytes = c.bytes();
  c.Prefetch(keys.data(), keys.size());
  CHECK(c.entries() == entries);
  CHECK(c.bytes() == bytes);
  CHECK(c.evictions() == 0);
  bool negative = false;
  CHECK((*c.Find("a", &negative))->value.empty());
  CHECK((*c.Find("b", &negative))->value == std::string(5000, 'x'));
  CHECK((*c.Find("", &negative))->value == "empty key");
  CHECK(c.Find("gone", &negative) == nullptr);
  CHECK(negative);
  CHECK(c.Find("absent", &negative) == nullptr);
  CHECK_FALSE(negative);
}

TEST_CASE("Cache: random inserts, erases and evictions agree with a plain map", "[cache]") {
  RecordCache c(size_t{1} << 40);
  std::map<std::string, std::string> model;  // "" stands for a negative entry
  std::mt19937 rng(7);
  for (int step = 0; step < 200000; ++step) {
    std::string key = "k" + std::to_string(rng() % 3000);
    switch (rng() % 4) {
      case 0:
      case 1: {
        std::string v = "v" + std::to_string(step);
        bool negative = rng() % 8 == 0;
        c.Insert(key, negative ? RecordRef() : Rec(v));
        model[key] = negative ? "" : v;
        break;
      }
      case 2:
        c.Erase(key);
        model.erase(key);
        break;
      default: {
        if (step % 16 == 0) {  // a pipeline's hint, over keys of every kind
          std::vector<std::string> ks;
          for (int i = 0; i < 40; ++i) ks.push_back("k" + std::to_string(rng() % 3500));
          std::vector<std::string_view> views(ks.begin(), ks.end());
          c.Prefetch(views.data(), views.size());
        }
        bool negative = false;
        const RecordRef* r = c.Find(key, &negative);
        auto it = model.find(key);
        if (it == model.end()) {
          REQUIRE(r == nullptr);
          REQUIRE_FALSE(negative);
        } else if (it->second.empty()) {
          REQUIRE(negative);
        } else {
          REQUIRE(r != nullptr);
          REQUIRE((*r)->value == it->second);
        }
      }
    }
    REQUIRE(c.entries() == model.size());
  }
  for (const auto& [key, value] : model) {
    bool negative = false;
    const RecordRef* r = c.Find(key, &negative);
    REQUIRE((value.empty() ? negative : (r && (*r)->value == value)));
  }
  // Shrinking evicts down to the capacity; what stays is still right.
  c.set_capacity(c.bytes() / 3);
  c.EvictToCapacity();
  CHECK(c.bytes() <= c.capacity());
  size_t kept = 0;
  for (const auto& [key, value] : model) {
    bool negative = false;
    const RecordRef* r = c.Find(key, &negative);
    if (!r && !negative) continue;
    ++kept;
    REQUIRE((value.empty() ? negative : (r && (*r)->value == value)));
  }
  CHECK(kept == c.entries());
  CHECK(kept > 0);
  CHECK(kept < model.size());
  c.Clear();
  CHECK(c.entries() == 0);
  CHECK(c.bytes() == 0);
  bool negative = false;
  CHECK(c.Find("k1", &negative) == nullptr);
}

}  // namespace
}  // namespace ringkv::storage
