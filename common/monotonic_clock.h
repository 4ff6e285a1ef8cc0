#pragma once

#include <chrono>

#include "absl/time/time.h"

namespace warren {

// Now on the monotonic clock, as an absl::Time (its epoch is arbitrary: compare and subtract
// only). For every interval that decides something: a step of the wall clock (NTP, `date
// -s`) must neither expire a session nor stop telling the leader it is alive.
inline absl::Time MonotonicNow() {
  return absl::UnixEpoch() + absl::FromChrono(std::chrono::steady_clock::now().time_since_epoch());
}

}  // namespace warren
