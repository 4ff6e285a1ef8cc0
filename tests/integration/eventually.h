#pragma once

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace warren::testing {

// Whether `condition` holds within `timeout`, asked every 50 ms.
template <typename F>
bool Eventually(F condition, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    if (condition()) return true;
    absl::SleepFor(absl::Milliseconds(50));
  }
  return condition();
}

}  // namespace warren::testing
