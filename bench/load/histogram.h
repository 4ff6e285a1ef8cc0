#pragma once

#include <array>
#include <atomic>
#include <cstdint>

namespace warren::bench {

// Latencies in microseconds, HDR-style: exact below 128 µs, then 64 linear sub-buckets per
// power of two, so any percentile is within 1.6% of the true value, from 1 µs to 2^47 µs.
// Record is lock-free, so completions on many threads can share one histogram.
class Histogram {
 public:
  static constexpr int kBuckets = 128 + (47 - 7 + 1) * 64;

  void Record(uint64_t micros);
  // Adds `other`'s counts to this one's.
  void Merge(const Histogram& other);
  uint64_t Count() const;
  // The smallest recorded value v such that at least fraction q of the values are <= v
  // (to the bucket's precision); 0 if empty.
  uint64_t Percentile(double q) const;
  uint64_t Max() const { return max_.load(std::memory_order_relaxed); }

  static int BucketOf(uint64_t micros);
  // The largest value that falls in `bucket`.
  static uint64_t UpperBoundOf(int bucket);

 private:
  std::array<std::atomic<uint64_t>, kBuckets> counts_{};
  std::atomic<uint64_t> max_{0};
};

}  // namespace warren::bench
