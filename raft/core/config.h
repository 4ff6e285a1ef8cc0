#pragma once

#include <cstdint>

#include "absl/status/status.h"

namespace warren::raft {

// Node id 0 means "nobody" (no leader, no vote).
inline constexpr uint64_t kNoNode = 0;

// How a leader confirms it is still leader before answering a read.
enum class ReadOnlyOption {
  // A heartbeat round acknowledged by a quorum (ReadIndex, Raft thesis §6.4).
  kSafe,
  // The leader lease: no round trip, relies on tick rates not drifting more than
  // `lease_clock_drift_ticks` over an election timeout. Requires check_quorum.
  kLeaseBased,
};

// Tunables of one Raft peer. Times are in ticks; the runtime decides how long a tick is.
struct Config {
  uint64_t id = kNoNode;

  // Followers campaign after a random timeout in [election_tick, 2 * election_tick).
  int election_tick = 10;
  // Leaders send heartbeats every heartbeat_tick; must be < election_tick.
  int heartbeat_tick = 1;

  // Raft thesis §9.6: ask for votes without bumping the term first, so a node that was
  // partitioned away cannot disrupt a healthy leader when it returns.
  bool pre_vote = true;
  // A leader that has not heard from a quorum within an election timeout steps down,
  // and followers that heard from a leader recently refuse to vote.
  bool check_quorum = true;

  ReadOnlyOption read_only = ReadOnlyOption::kSafe;
  // Lease reads give up this many ticks of the lease as a margin for clock drift.
  int lease_clock_drift_ticks = 1;

  // Upper bound on the bytes of entries in one MSG_APP (at least one entry is always sent).
  uint64_t max_size_per_msg = 1 << 20;
  // Flow control: at most this many MSG_APP, and bytes of entries, in flight per follower.
  int max_inflight_msgs = 256;
  uint64_t max_inflight_bytes = 64ull << 20;
  // At most this many bytes of committed entries are handed out in one Ready.
  uint64_t max_apply_bytes_per_ready = 64ull << 20;
  // A leader refuses proposals (ResourceExhausted) while this many bytes of entries are
  // uncommitted, so that proposals cannot outrun replication and grow its log without end;
  // one entry is always accepted. 0 = no limit, which only a caller that bounds its own
  // proposals should choose.
  uint64_t max_uncommitted_bytes = 64ull << 20;

  // Seeds the election-timeout randomness. Give each peer a different one.
  uint64_t random_seed = 0;

  absl::Status Validate() const;
};

}  // namespace warren::raft
