#include "raft/core/config.h"

#include "absl/strings/str_cat.h"

namespace warren::raft {

absl::Status Config::Validate() const {
  if (id == kNoNode) return absl::InvalidArgumentError("config: id must not be 0");
  if (heartbeat_tick <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("config: heartbeat_tick must be > 0, got ", heartbeat_tick));
  }
  if (election_tick <= heartbeat_tick) {
    return absl::InvalidArgumentError(absl::StrCat("config: election_tick (", election_tick,
                                                   ") must be > heartbeat_tick (", heartbeat_tick,
                                                   ")"));
  }
  if (max_inflight_msgs <= 0) {
    return absl::InvalidArgumentError("config: max_inflight_msgs must be > 0");
  }
  if (max_inflight_bytes == 0) {
    return absl::InvalidArgumentError("config: max_inflight_bytes must be > 0");
  }
  if (read_only == ReadOnlyOption::kLeaseBased && !check_quorum) {
    return absl::InvalidArgumentError("config: lease-based reads require check_quorum");
  }
  if (read_only == ReadOnlyOption::kLeaseBased) {
    if (!clock || clock_units_per_tick == 0) {
      return absl::InvalidArgumentError(
          "config: lease-based reads need a clock and clock_units_per_tick > 0");
    }
    if (election_tick < 3) {
      return absl::InvalidArgumentError(
          absl::StrCat("config: lease-based reads need election_tick >= 3, got ", election_tick));
    }
    if (lease_clock_drift_percent < 5 || lease_clock_drift_percent > 50) {
      return absl::InvalidArgumentError(absl::StrCat(
          "config: lease_clock_drift_percent must be in [5, 50], got ", lease_clock_drift_percent));
    }
  }
  return absl::OkStatus();
}

}  // namespace warren::raft
