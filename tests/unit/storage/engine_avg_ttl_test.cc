// INFO's avg_ttl: the engine keeps the sum of the expiry times of its keys,
// so the mean time to live is exact (Redis estimates it by sampling).
#include <catch2/catch.hpp>
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

TEST_CASE("avg_ttl is the mean of the keys' remaining times", "[engine][expire]") {
  TempDir dir;
  auto e = Open(dir.path());
  CHECK(e->AvgTtlMs(kNow) == 0);
  e->Put("a", Rec(kNow + 1000));
  e->Put("b", Rec(kNow + 3000));
  e->Put("plain", Rec(0));  // no expiry: not in the mean
  REQUIRE(e->Commit().ok());
  CHECK(e->AvgTtlMs(kNow) == 2000);
  CHECK(e->AvgTtlMs(kNow + 500) == 1500);
  e->Put("a", Rec(kNow + 5000));  // a new expiry replaces the old one
  CHECK(e->AvgTtlMs(kNow) == 4000);
  e->Put("b", Rec(0));  // PERSIST
  CHECK(e->AvgTtlMs(kNow) == 5000);
  e->Delete("a");
  CHECK(e->AvgTtlMs(kNow) == 0);
  CHECK(e->ExpiresCount() == 0);
  // Keys past their time but not deleted yet count as 0, never below.
  e->Put("c", Rec(kNow + 100));
  CHECK(e->AvgTtlMs(kNow + 1000) == 0);
}

TEST_CASE("avg_ttl survives a restart and a FLUSHALL", "[engine][expire]") {
  TempDir dir;
  {
    auto e = Open(dir.path());
    std::vector<int64_t> ttls = {10'000, 20'000, 60'000};
    for (size_t i = 0; i < ttls.size(); ++i) e->Put("k" + std::to_string(i), Rec(kNow + ttls[i]));
    REQUIRE(e->Commit().ok());
  }
  auto e = Open(dir.path());
  CHECK(e->ExpiresCount() == 3);
  CHECK(e->AvgTtlMs(kNow) == 30'000);
  REQUIRE(e->FlushAll().ok());
  CHECK(e->AvgTtlMs(kNow) == 0);
  e->Put("x", Rec(kNow + 7000));
  REQUIRE(e->Commit().ok());
  e.reset();
  e = Open(dir.path());
  CHECK(e->AvgTtlMs(kNow) == 7000);
}

}  // namespace
}  // namespace ringkv::storage
