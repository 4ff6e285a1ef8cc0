#include "bench/load/histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace warren::bench {
namespace {
constexpr uint64_t kLargest = (uint64_t{1} << 48) - 1;
}  // namespace

int Histogram::BucketOf(uint64_t micros) {
  micros = std::min(micros, kLargest);
  if (micros < 128) return static_cast<int>(micros);
  const int magnitude = 63 - std::countl_zero(micros);  // 7..47
  const uint64_t top = micros >> (magnitude - 6);       // 64..127
  return 128 + (magnitude - 7) * 64 + static_cast<int>(top - 64);
}

uint64_t Histogram::UpperBoundOf(int bucket) {
  if (bucket < 128) return static_cast<uint64_t>(bucket);
  const int magnitude = (bucket - 128) / 64 + 7;
  const uint64_t top = static_cast<uint64_t>((bucket - 128) % 64 + 64);
  const int shift = magnitude - 6;
  return ((top + 1) << shift) - 1;
}

void Histogram::Record(uint64_t micros) {
  counts_[BucketOf(micros)].fetch_add(1, std::memory_order_relaxed);
  uint64_t seen = max_.load(std::memory_order_relaxed);
  while (micros > seen && !max_.compare_exchange_weak(seen, micros, std::memory_order_relaxed)) {
  }
}

void Histogram::Merge(const Histogram& other) {
  for (int i = 0; i < kBuckets; ++i) {
    counts_[i].fetch_add(other.counts_[i].load(std::memory_order_relaxed),
                         std::memory_order_relaxed);
  }
  uint64_t theirs = other.Max(), seen = Max();
  while (theirs > seen && !max_.compare_exchange_weak(seen, theirs, std::memory_order_relaxed)) {
  }
}

uint64_t Histogram::Count() const {
  uint64_t n = 0;
  for (const auto& c : counts_) n += c.load(std::memory_order_relaxed);
  return n;
}

uint64_t Histogram::Percentile(double q) const {
  const uint64_t total = Count();
  if (total == 0) return 0;
  const auto rank = static_cast<uint64_t>(std::ceil(std::clamp(q, 0.0, 1.0) * total));
  uint64_t seen = 0;
  for (int i = 0; i < kBuckets; ++i) {
    seen += counts_[i].load(std::memory_order_relaxed);
    if (seen >= std::max<uint64_t>(rank, 1)) return std::min(UpperBoundOf(i), Max());
  }
  return Max();
}

}  // namespace warren::bench
