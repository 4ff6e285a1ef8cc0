#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace warren::jepsen {

// A fault the nemesis will inject: when (from the start of the run), which kind, for how
// long, and the seed of its own choices (its targets, a partition's shape).
struct PlannedFault {
  absl::Duration start;
  absl::Duration hold;
  std::string kind;
  uint64_t seed = 0;
};

// The faults of a run, drawn from its seed alone so that a run's schedule can be reproduced:
// `tracks` independent sequences of quiet spell, fault, hold, merged in order of start. With
// more than one track, faults overlap (a kill during a partition, a pause during a membership
// change), as Jepsen's composed nemeses do; at most `tracks` are planned to be in force at once
// (a fault that must wait its turn, as membership changes do, may run late).
class FaultSchedule {
 public:
  FaultSchedule(std::vector<std::string> kinds, int tracks, uint64_t seed);
  PlannedFault Next();

 private:
  PlannedFault Draw(int track);

  std::vector<std::string> kinds_;
  std::vector<std::mt19937_64> rngs_;  // one per track
  std::vector<PlannedFault> next_;     // each track's next fault
};

}  // namespace warren::jepsen
