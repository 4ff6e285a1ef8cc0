#pragma once

#include <cstdint>

namespace warren::raft {

// Seeded, platform-independent generator: the core's only source of randomness, so that a
// seed reproduces a run exactly (std distributions differ between standard libraries).
class Random {
 public:
  explicit Random(uint64_t seed) : state_(seed) {}

  uint64_t Next() {
    // splitmix64
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

  // Uniform in [0, n); n must be > 0.
  uint64_t Uniform(uint64_t n) { return Next() % n; }

  // True with probability `percent`/100.
  bool Percent(uint64_t percent) { return Uniform(100) < percent; }

 private:
  uint64_t state_;
};

}  // namespace warren::raft
