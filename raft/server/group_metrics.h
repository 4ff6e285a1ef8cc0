#pragma once

#include <cstddef>
#include <cstdint>

#include "absl/time/time.h"

namespace warren::raft {

// Why a client write was not proposed.
enum class ProposalRefusal {
  kNotLeader,  // this member does not lead
  kTooLarge,   // over max_command_bytes
  kRejected,   // the core refused it: the uncommitted bound, a leadership transfer
};

// What a Division reports as it works, for the embedder's metrics (warrend's are Prometheus:
// metrics/raft_metrics.h). Only events are reported here; the group's state (term, role,
// indexes, each peer's match) is for the embedder to read from Division::Status when it
// collects, answered by the raft thread that owns it. The Division calls these on its own
// threads, some on every write or sync: they must be cheap, thread-safe and never block.
// Without one (GroupOptions::metrics unset) the Division measures nothing.
class GroupMetrics {
 public:
  virtual ~GroupMetrics() = default;

  // A client write became an entry of this leader's log (raft thread).
  virtual void Proposed() = 0;
  // A client write was answered without being proposed (raft thread, or the caller's).
  virtual void ProposalRefused(ProposalRefusal why) = 0;
  // This member learned of a leader other than the one it knew, or of one after none (raft
  // thread).
  virtual void LeaderChanged() = 0;
  // One sync of the log, which made `entries` new entries durable (raft thread).
  virtual void LogSynced(absl::Duration took, size_t entries) = 0;
  // The state machine applied one entry (apply thread).
  virtual void EntryApplied(absl::Duration took) = 0;
  // A snapshot of this member's state was written, `took` from the apply thread's checkpoint
  // to the synced file (snapshot thread); or writing one failed.
  virtual void SnapshotTaken(absl::Duration took) = 0;
  virtual void SnapshotFailed() = 0;
  // A snapshot from the leader replaced this member's log (raft thread).
  virtual void SnapshotInstalled() = 0;
  // A snapshot was sent to a follower, whole (`ok`) or not (the sender's thread).
  virtual void SnapshotSent(bool ok) = 0;
};

}  // namespace warren::raft
