// Engine::RandomLiveKey, RANDOMKEY's walk: from a slot, the first live key,
// wrapping around once, passing (and reporting) expired ones.
#include <catch2/catch.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "storage/engine.h"
#include "tests/support/engine.h"
#include "tests/support/temp_dir.h"

namespace ringkv::storage {
namespace {

using ringkv::testing::TempDir;

constexpr int64_t kNow = 1'700'000'000'000;

std::unique_ptr<Engine> Open(const std::string& dir) { return testing::OpenTestEngine(dir); }

Record Rec(int64_t expire_at_ms) { return testing::RecordExpiringAt(expire_at_ms); }

TEST_CASE("Engine: RandomLiveKey finds the one live key among expired ones from any slot",
          "[engine][random]") {
  TempDir dir;
  auto e = Open(dir.path());
  std::string found;
  std::vector<std::string> expired;
  REQUIRE(e->RandomLiveKey(kNow, 0, 100, &found, &expired).ok());
  CHECK(found.empty());  // empty keyspace

  for (int i = 0; i < 2000; ++i) e->Put("dead" + std::to_string(i), Rec(kNow - 1));
  e->Put("alive", Rec(0));
  const uint16_t alive_slot = KeySlot("alive");
  for (uint16_t start :
       {uint16_t{0}, alive_slot, static_cast<uint16_t>(alive_slot + 1), uint16_t{kSlots - 1}}) {
    INFO("start slot " << start);
    expired.clear();
    REQUIRE(e->RandomLiveKey(kNow, start, 5000, &found, &expired).ok());
    CHECK(found == "alive");
    for (const auto& k : expired) CHECK(k.starts_with("dead"));
  }
  // From just past its slot the walk wraps and passes every expired key.
  expired.clear();
  REQUIRE(
      e->RandomLiveKey(kNow, static_cast<uint16_t>(alive_slot + 1), 5000, &found, &expired).ok());
  size_t after_alive_in_its_slot = 0;  // before the start: not visited
  for (int i = 0; i < 2000; ++i) {
    std::string k = "dead" + std::to_string(i);
    after_alive_in_its_slot += KeySlot(k) == alive_slot && k > "alive";
  }
  CHECK(expired.size() == 2000 - after_alive_in_its_slot);
  // max_expired bounds the list, not the walk.
  expired.clear();
  REQUIRE(e->RandomLiveKey(kNow, static_cast<uint16_t>(alive_slot + 1), 10, &found, &expired).ok());
  CHECK(found == "alive");
  CHECK(expired.size() == 10);
}

TEST_CASE("Engine: RandomLiveKey answers nothing when every key has expired", "[engine][random]") {
  TempDir dir;
  auto e = Open(dir.path());
  for (int i = 0; i < 300; ++i) e->Put("dead" + std::to_string(i), Rec(kNow - 1));
  e->Put("later", Rec(kNow + 1000));
  std::string found;
  std::vector<std::string> expired;
  REQUIRE(e->RandomLiveKey(kNow + 2000, 1234, 1000, &found, &expired).ok());
  CHECK(found.empty());
  CHECK(expired.size() == 301);  // each once: the walk stops where it began
  expired.clear();
  REQUIRE(e->RandomLiveKey(kNow, 1234, 1000, &found, &expired).ok());
  CHECK(found == "later");  // not expired yet at that time
}

}  // namespace
}  // namespace ringkv::storage
