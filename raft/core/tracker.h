#pragma once

#include <cstdint>
#include <map>
#include <optional>

#include "proto/raft.pb.h"
#include "raft/core/progress.h"
#include "raft/core/quorum.h"

namespace warren::raft {

// The membership in force and, on a leader, the replication progress of every member;
// on a candidate, the votes received. Answers every "does a quorum agree?" question.
class ProgressTracker {
 public:
  ProgressTracker(int max_inflight_msgs, uint64_t max_inflight_bytes)
      : max_inflight_msgs_(max_inflight_msgs), max_inflight_bytes_(max_inflight_bytes) {}

  // Switches to the membership `cs`; new members start probing at `next_index`.
  void ApplyConfState(const raftpb::ConfState& cs, uint64_t next_index);

  const raftpb::ConfState& conf_state() const { return conf_state_; }
  const JointConfig& config() const { return config_; }
  bool IsVoter(uint64_t id) const { return config_.IsVoter(id); }
  bool IsMember(uint64_t id) const { return progress_.count(id) > 0; }
  bool IsSingleton(uint64_t id) const;

  std::map<uint64_t, Progress>& progress() { return progress_; }
  const std::map<uint64_t, Progress>& progress() const { return progress_; }
  Progress* Get(uint64_t id);

  // The largest value of `field` that a quorum of voters has reached: with &Progress::match,
  // the commit point; with the echoed read round or lease tick, what a quorum confirmed.
  uint64_t QuorumValue(uint64_t Progress::*field) const;
  // A quorum was heard from since the flags were last cleared.
  bool QuorumActive() const;
  void ClearRecentActive(uint64_t self);

  void ResetVotes() { votes_.clear(); }
  void RecordVote(uint64_t id, bool granted) { votes_.emplace(id, granted); }
  VoteResult TallyVotes() const;

  // Resets every follower's progress, as a new leader does.
  void ResetProgress(uint64_t last_index);

 private:
  int max_inflight_msgs_;
  uint64_t max_inflight_bytes_;
  raftpb::ConfState conf_state_;
  JointConfig config_;
  std::map<uint64_t, Progress> progress_;  // ordered: message order must be deterministic
  std::map<uint64_t, bool> votes_;
};

}  // namespace warren::raft
