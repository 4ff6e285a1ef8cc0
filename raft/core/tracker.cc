#include "raft/core/tracker.h"

#include <set>

#include "raft/core/confchange.h"

namespace warren::raft {

void ProgressTracker::ApplyConfState(const raftpb::ConfState& cs, uint64_t next_index) {
  conf_state_ = Normalize(cs);
  config_.incoming.voters = {cs.voters().begin(), cs.voters().end()};
  config_.outgoing.voters = {cs.voters_outgoing().begin(), cs.voters_outgoing().end()};

  std::set<uint64_t> members = config_.AllVoters();
  std::set<uint64_t> learners(cs.learners().begin(), cs.learners().end());
  learners.insert(cs.learners_next().begin(), cs.learners_next().end());
  members.insert(learners.begin(), learners.end());

  for (auto it = progress_.begin(); it != progress_.end();) {
    it = members.count(it->first) ? std::next(it) : progress_.erase(it);
  }
  for (uint64_t id : members) {
    auto [it, inserted] =
        progress_.try_emplace(id, next_index, max_inflight_msgs_, max_inflight_bytes_, false);
    // A member that voted in the outgoing half only is still not a learner until it leaves.
    it->second.is_learner = !config_.IsVoter(id);
    if (inserted) it->second.recent_active = true;  // give newcomers one round of grace
  }
}

bool ProgressTracker::IsSingleton(uint64_t id) const {
  return !config_.IsJoint() && config_.incoming.voters.size() == 1 &&
         config_.incoming.voters.count(id) > 0;
}

Progress* ProgressTracker::Get(uint64_t id) {
  auto it = progress_.find(id);
  return it == progress_.end() ? nullptr : &it->second;
}

uint64_t ProgressTracker::QuorumValue(uint64_t Progress::*field) const {
  return config_.CommittedIndex([&](uint64_t id) {
    auto it = progress_.find(id);
    return it == progress_.end() ? 0 : it->second.*field;
  });
}

bool ProgressTracker::QuorumActive() const {
  return config_.Vote([&](uint64_t id) -> std::optional<bool> {
    auto it = progress_.find(id);
    if (it == progress_.end()) return std::nullopt;
    return it->second.recent_active;
  }) == VoteResult::kWon;
}

void ProgressTracker::ClearRecentActive(uint64_t self) {
  for (auto& [id, pr] : progress_) pr.recent_active = (id == self);
}

VoteResult ProgressTracker::TallyVotes() const {
  return config_.Vote([&](uint64_t id) -> std::optional<bool> {
    auto it = votes_.find(id);
    if (it == votes_.end()) return std::nullopt;
    return it->second;
  });
}

void ProgressTracker::ResetProgress(uint64_t last_index) {
  for (auto& [id, pr] : progress_) {
    bool learner = pr.is_learner;
    pr = Progress(last_index + 1, max_inflight_msgs_, max_inflight_bytes_, learner);
    pr.recent_active = true;
  }
}

}  // namespace warren::raft
