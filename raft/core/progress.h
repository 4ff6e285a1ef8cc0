#pragma once

#include <cstdint>
#include <deque>
#include <string>

namespace warren::raft {

// Bounds what a leader has sent to one follower but not yet heard back about: a window of
// MSG_APP messages, by count and by bytes of entries.
class Inflights {
 public:
  Inflights(int max_msgs, uint64_t max_bytes) : max_msgs_(max_msgs), max_bytes_(max_bytes) {}

  bool Full() const {
    return static_cast<int>(window_.size()) >= max_msgs_ || bytes_ >= max_bytes_;
  }
  int count() const { return static_cast<int>(window_.size()); }
  uint64_t bytes() const { return bytes_; }
  // Records a MSG_APP whose last entry is `last_index`.
  void Add(uint64_t last_index, uint64_t bytes);
  // Frees every message whose last entry is <= `index` (acknowledged).
  void FreeTo(uint64_t index);
  // Frees the oldest message: it was probably lost.
  void FreeFirst();
  void Reset();

 private:
  struct Sent {
    uint64_t last_index;
    uint64_t bytes;
  };
  int max_msgs_;
  uint64_t max_bytes_;
  std::deque<Sent> window_;
  uint64_t bytes_ = 0;
};

// How a leader is currently replicating to one follower.
enum class ProgressState {
  // Unknown where the logs match: one MSG_APP at a time, waiting for the answer.
  kProbe,
  // Logs match up to `match`: stream optimistically, bounded by Inflights.
  kReplicate,
  // The follower needs entries we compacted: a snapshot is on its way, send nothing else.
  kSnapshot,
};

const char* ProgressStateName(ProgressState s);

// The leader's view of one peer's log (Raft's nextIndex / matchIndex plus flow control).
struct Progress {
  Progress(uint64_t next, int max_msgs, uint64_t max_bytes, bool learner)
      : next(next), inflights(max_msgs, max_bytes), is_learner(learner) {}

  uint64_t match = 0;
  uint64_t next = 1;
  ProgressState state = ProgressState::kProbe;
  // In probe state: one message is out; wait for its answer or the next heartbeat.
  bool probe_sent = false;
  // In snapshot state: the index of the snapshot being sent.
  uint64_t pending_snapshot = 0;
  // Heard from since the last check-quorum round.
  bool recent_active = false;
  Inflights inflights;
  bool is_learner = false;
  // The highest read-confirmation round and heartbeat send time this peer echoed back.
  uint64_t acked_read_round = 0;
  uint64_t acked_lease_time = 0;

  void BecomeProbe();
  void BecomeReplicate();
  void BecomeSnapshot(uint64_t snapshot_index);
  // The follower has everything up to `index`. Returns false if that was already known.
  bool MaybeUpdate(uint64_t index);
  // A MSG_APP ending at `last` was sent.
  void SentEntries(uint64_t last, uint64_t bytes);
  // The follower rejected a MSG_APP whose previous index was `rejected`; `hint` is where
  // to try next. Returns false if the rejection is stale.
  bool MaybeDecrTo(uint64_t rejected, uint64_t hint);
  // Nothing more may be sent now.
  bool IsPaused() const;
  std::string DebugString() const;
};

}  // namespace warren::raft
