#include "jepsen/harness/fault_schedule.h"

#include <algorithm>

namespace warren::jepsen {

FaultSchedule::FaultSchedule(std::vector<std::string> kinds, int tracks, uint64_t seed)
    : kinds_(std::move(kinds)) {
  std::seed_seq seq{seed, static_cast<uint64_t>(tracks)};
  std::vector<uint64_t> seeds(tracks);
  seq.generate(seeds.begin(), seeds.end());
  for (int t = 0; t < tracks; ++t) {
    rngs_.emplace_back(seeds[t]);
    next_.push_back(PlannedFault{});
    next_.back() = Draw(t);
  }
}

PlannedFault FaultSchedule::Draw(int track) {
  std::mt19937_64& rng = rngs_[track];
  const PlannedFault& before = next_[track];
  PlannedFault f;
  const auto ms = [&rng](int lo, int hi) {
    return absl::Milliseconds(std::uniform_int_distribution<int>(lo, hi)(rng));
  };
  // A quiet spell after the track's last fault is healed, then the fault.
  f.start = before.start + before.hold + ms(1500, 4000);
  f.kind = kinds_[std::uniform_int_distribution<size_t>(0, kinds_.size() - 1)(rng)];
  f.hold = f.kind == "partition" ? ms(1000, 5000) : ms(1000, 4000);
  f.seed = rng();
  return f;
}

PlannedFault FaultSchedule::Next() {
  auto earliest = std::min_element(
      next_.begin(), next_.end(),
      [](const PlannedFault& a, const PlannedFault& b) { return a.start < b.start; });
  const int track = static_cast<int>(earliest - next_.begin());
  PlannedFault f = *earliest;
  next_[track] = Draw(track);
  return f;
}

}  // namespace warren::jepsen
