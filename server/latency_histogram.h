// Per-command latency distribution for INFO latencystats.
//
// A log-linear histogram of nanoseconds: values below 256 ns have a bucket
// each; above, every power of two is split into 128 equal buckets, so a
// reported value is at most 1/128 (0.8%) above the true one, as precise as
// the two significant digits Redis tracks. Values past about 68 seconds
// share the last bucket. 3,840 counters (30 KB), allocated for a command
// on its first call.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace ringkv::server {

class LatencyHistogram {
 public:
  void Record(uint64_t ns);
  uint64_t count() const { return count_; }
  // The value at `percentile` (0 to 100) in microseconds: the upper bound of
  // the bucket holding the sample of that rank (HdrHistogram's "highest
  // equivalent value"); 0 when nothing was recorded.
  double PercentileUsec(double percentile) const;
  // (bound, samples below bound) for bound = first, 2*first, 4*first...
  // until a bound is above every sample; `first` must be a power of two of at
  // least 256 (a bucket boundary, so the counts are exact).
  std::vector<std::pair<uint64_t, uint64_t>> CumulativeByDoubling(uint64_t first) const;

  static constexpr int kSubBits = 7;   // 128 buckets per power of two
  static constexpr int kMaxBits = 36;  // 2^36 ns ~ 68.7 s
  static constexpr size_t kBuckets = (kMaxBits - kSubBits + 1) << kSubBits;
  static size_t BucketOf(uint64_t ns);
  static uint64_t HighestIn(size_t bucket);

 private:
  std::array<uint64_t, kBuckets> counts_{};
  uint64_t count_ = 0;
};

}  // namespace ringkv::server
