#include "server/latency_histogram.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <random>
#include <vector>

using ringkv::server::LatencyHistogram;

TEST_CASE("histogram buckets are contiguous and bound every value within 1/128", "[latency]") {
  uint64_t expect_low = 0;
  for (size_t b = 0; b < LatencyHistogram::kBuckets; ++b) {
    uint64_t high = LatencyHistogram::HighestIn(b);
    REQUIRE(high >= expect_low);
    // Both ends of the bucket map back to it.
    REQUIRE(LatencyHistogram::BucketOf(expect_low) == b);
    REQUIRE(LatencyHistogram::BucketOf(high) == b);
    REQUIRE(static_cast<double>(high - expect_low) <= static_cast<double>(expect_low) / 128.0 + 1);
    expect_low = high + 1;
  }
  // Beyond the last bucket everything is counted in it.
  CHECK(LatencyHistogram::BucketOf(~uint64_t{0}) == LatencyHistogram::kBuckets - 1);
}

TEST_CASE("percentiles of a known distribution", "[latency]") {
  LatencyHistogram h;
  CHECK(h.PercentileUsec(50) == 0);
  for (uint64_t us = 1; us <= 1000; ++us) h.Record(us * 1000);  // 1 us .. 1000 us
  CHECK(h.count() == 1000);
  CHECK(h.PercentileUsec(50) == Approx(500).epsilon(0.01));
  CHECK(h.PercentileUsec(99) == Approx(990).epsilon(0.01));
  CHECK(h.PercentileUsec(99.9) == Approx(999).epsilon(0.01));
  CHECK(h.PercentileUsec(100) == Approx(1000).epsilon(0.01));
  CHECK(h.PercentileUsec(0) == Approx(1).epsilon(0.01));
  // Reported values are never below the true one.
  CHECK(h.PercentileUsec(50) >= 500);
}

TEST_CASE("percentiles match a sorted sample within the bucket precision", "[latency]") {
  std::mt19937_64 rng(7);
  std::lognormal_distribution<double> dist(9.0, 1.5);  // around 8 us, long tail
  LatencyHistogram h;
  std::vector<uint64_t> all;
  for (int i = 0; i < 100000; ++i) {
    auto ns = static_cast<uint64_t>(dist(rng));
    h.Record(ns);
    all.push_back(ns);
  }
  std::sort(all.begin(), all.end());
  for (double p : {1.0, 50.0, 90.0, 99.0, 99.9, 100.0}) {
    // The sample of the nearest rank, as the histogram counts it.
    auto rank = static_cast<size_t>(p / 100.0 * static_cast<double>(all.size()) + 0.5);
    double truth = static_cast<double>(all[std::max<size_t>(rank, 1) - 1]) / 1000.0;
    INFO("p" << p);
    CHECK(h.PercentileUsec(p) >= truth);
    CHECK(h.PercentileUsec(p) <= truth * (1 + 1.0 / 128) + 0.001);
  }
}

TEST_CASE("cumulative counts at doubling bounds", "[latency]") {
  LatencyHistogram h;
  for (uint64_t ns : {500, 1500, 3000, 9000}) h.Record(ns);
  using Steps = std::vector<std::pair<uint64_t, uint64_t>>;
  CHECK(h.CumulativeByDoubling(1024) ==
        Steps{{1024, 1}, {2048, 2}, {4096, 3}, {8192, 3}, {16384, 4}});
  CHECK(LatencyHistogram().CumulativeByDoubling(1024) == Steps{{1024, 0}});
  LatencyHistogram one;
  one.Record(1024);  // the bound itself is not below it
  CHECK(one.CumulativeByDoubling(1024) == Steps{{1024, 0}, {2048, 1}});
}
