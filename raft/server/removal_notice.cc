#include "raft/server/removal_notice.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace warren::raft {

bool InConfiguration(const raftpb::ConfState& conf, uint64_t id) {
  for (const auto* ids :
       {&conf.voters(), &conf.voters_outgoing(), &conf.learners(), &conf.learners_next()}) {
    if (std::find(ids->begin(), ids->end(), id) != ids->end()) return true;
  }
  return false;
}

bool IsVoteRequest(const raftpb::Message& m) {
  return m.type() == raftpb::MSG_VOTE || m.type() == raftpb::MSG_PRE_VOTE;
}

bool ShouldTellNotAMember(const raftpb::Message& m, const raftpb::ConfState& conf) {
  // A member started empty to join knows no configuration yet: it cannot say who is out.
  const bool knows_one = !conf.voters().empty() || !conf.voters_outgoing().empty();
  return IsVoteRequest(m) && knows_one && !InConfiguration(conf, m.from());
}

bool VoteRequestGoesToCore(const raftpb::Message& m, uint64_t commit) {
  return m.index() >= commit;
}

raftpb::Message NotAMemberNotice(uint64_t from, uint64_t to, uint64_t term, uint64_t commit) {
  raftpb::Message m;
  m.set_type(raftpb::MSG_NOT_A_MEMBER);
  m.set_from(from);
  m.set_to(to);
  m.set_term(term);
  m.set_commit(commit);
  return m;
}

absl::Status JudgeNotAMemberNotice(const raftpb::Message& notice, const raftpb::ConfState& conf,
                                   uint64_t commit, bool leads) {
  if (!InConfiguration(conf, notice.from())) {
    return absl::FailedPreconditionError(
        absl::StrCat("member ", notice.from(), " is not in this member's configuration"));
  }
  if (notice.commit() <= commit) {
    return absl::FailedPreconditionError(absl::StrCat("member ", notice.from(), " knows index ",
                                                      notice.commit(), " committed, this member ",
                                                      commit, ": it may lag behind an addition"));
  }
  // Notices answer vote requests, which a leader does not send. A leader that was removed
  // while cut off steps down by itself (check-quorum) and then campaigns, and is told then;
  // stopping its ticks while it leads would keep it in office without a quorum for good.
  if (leads) return absl::FailedPreconditionError("this member leads");
  return absl::OkStatus();
}

bool NoticeLimiter::Allow(uint64_t peer, Clock::time_point now) {
  if (last_sent_.size() > kForgetAbove) {
    std::erase_if(last_sent_, [&](const auto& sent) { return now - sent.second >= interval_; });
    // Still that many within one interval: ids made up by a forger. Forgetting them costs at
    // most a few more notices.
    if (last_sent_.size() > kForgetAbove) last_sent_.clear();
  }
  auto [it, first] = last_sent_.try_emplace(peer, now);
  if (first) return true;
  if (now - it->second < interval_) return false;
  it->second = now;
  return true;
}

}  // namespace warren::raft
