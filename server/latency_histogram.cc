#include "server/latency_histogram.h"

#include <bit>
#include <cmath>

namespace ringkv::server {

size_t LatencyHistogram::BucketOf(uint64_t ns) {
  constexpr uint64_t kLinear = uint64_t{2} << kSubBits;  // 256: one bucket per value below
  if (ns < kLinear) return static_cast<size_t>(ns);
  int shift = std::bit_width(ns) - 1 - kSubBits;  // >= 1; ns >> shift is in [128, 256)
  size_t b = (static_cast<size_t>(shift) << kSubBits) + static_cast<size_t>(ns >> shift);
  return b < kBuckets ? b : kBuckets - 1;
}

uint64_t LatencyHistogram::HighestIn(size_t bucket) {
  constexpr size_t kLinear = size_t{2} << kSubBits;
  if (bucket < kLinear) return bucket;
  size_t shift = (bucket >> kSubBits) - 1;
  uint64_t mantissa = (bucket & ((size_t{1} << kSubBits) - 1)) + (uint64_t{1} << kSubBits);
  return ((mantissa + 1) << shift) - 1;
}

void LatencyHistogram::Record(uint64_t ns) {
  ++counts_[BucketOf(ns)];
  ++count_;
}

double LatencyHistogram::PercentileUsec(double percentile) const {
  if (count_ == 0) return 0;
  double p = std::fmin(100.0, std::fmax(0.0, percentile));
  // The rank of the sample (1-based) at or below which `p` percent lie.
  // (Rounded to the nearest rank, like HdrHistogram: a ceiling would let a
  // floating-point error move 99.9% of 1000 samples to the 1000th.)
  auto rank = static_cast<uint64_t>(p / 100.0 * static_cast<double>(count_) + 0.5);
  if (rank == 0) rank = 1;
  uint64_t seen = 0;
  for (size_t b = 0; b < kBuckets; ++b) {
    seen += counts_[b];
    if (seen >= rank) return static_cast<double>(HighestIn(b)) / 1000.0;
  }
  return static_cast<double>(HighestIn(kBuckets - 1)) / 1000.0;
}

std::vector<std::pair<uint64_t, uint64_t>> LatencyHistogram::CumulativeByDoubling(
    uint64_t first) const {
  std::vector<std::pair<uint64_t, uint64_t>> out;
  uint64_t bound = first;
  uint64_t below = 0;
  for (size_t b = 0; b < kBuckets && below < count_; ++b) {
    if (counts_[b] == 0) continue;
    // A bucket never straddles a power of two: all of it is at or above
    // every bound its highest value reaches.
    while (HighestIn(b) >= bound && bound != 0) {
      out.emplace_back(bound, below);
      bound <<= 1;
    }
    below += counts_[b];
  }
  if (bound != 0) out.emplace_back(bound, below);
  return out;
}

}  // namespace ringkv::server
