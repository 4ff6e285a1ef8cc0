#pragma once

#include <cstdint>
#include <functional>

#include "absl/status/status.h"

namespace warren::raft {

// Node id 0 means "nobody" (no leader, no vote).
inline constexpr uint64_t kNoNode = 0;

// How a leader confirms it is still leader before answering a read.
enum class ReadOnlyOption {
  // A heartbeat round acknowledged by a quorum (ReadIndex, Raft thesis §6.4).
  kSafe,
  // The leader lease: no round trip. Timed on `Config::clock`; requires check_quorum.
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
  // A member that starts knows no leader. Only lease reads need it to refuse votes for an
  // election timeout after starting (it cannot know when it last heard from a leader); with
  // kSafe reads and this set, it grants (pre-)votes at once and campaigns once after a few
  // ticks, as after Raft::ReportLeaderGone, so that a quorum restarted together elects in
  // ticks rather than an election timeout. A member joining a live group asks for a pre-vote
  // that the others, hearing from their leader, refuse.
  bool campaign_early_at_start = false;

  ReadOnlyOption read_only = ReadOnlyOption::kSafe;
  // Lease reads time the lease on this monotonic clock (any unit; the core reads no clock of
  // its own), which ticks of a stalled runtime cannot do: ticks missed while the process
  // was paused are lost, the clock's time is not. `clock_units_per_tick` is how long a tick
  // is in its units. The lease starts when the latest heartbeat a quorum acknowledged was
  // sent and lasts (election_tick - 2) ticks less `lease_clock_drift_percent` of that: a
  // follower refuses votes for election_tick of its ticks after hearing from the leader,
  // which may come as soon as (election_tick - 2) ticks later (its first tick can be due
  // already), and its clock may run faster than the leader's. That bound holds only for a
  // runtime that never replays ticks it missed: it schedules each tick one tick length after
  // the previous one was due, skipping those whose time has passed (as Division does), so
  // that k + 1 consecutive ticks always span more than k - 1 tick lengths.
  std::function<uint64_t()> clock;
  uint64_t clock_units_per_tick = 0;
  int lease_clock_drift_percent = 10;
  // BROKEN ON PURPOSE, for fault tests only: the lease lasts as long as the leader's own
  // election timeout (randomized, election_tick to twice that), without the two ticks and the
  // drift margin above: the naive lease, which the fault tests must catch.
  bool unsafe_lease_without_margin = false;

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
