// The Division's side of telling a member it was removed (raft/server/removal_notice.h):
// all of it on the raft thread, before the core sees a message.
#include "glog/logging.h"
#include "raft/server/division.h"
#include "raft/server/peer_message_check.h"

namespace warren::raft {
namespace {

// What a member told of its removal drops, so that its core cannot campaign: the timer is
// not ticked, and these start or carry on a campaign.
bool CarriesACampaign(const raftpb::Message& m) {
  return m.type() == raftpb::MSG_TIMEOUT_NOW || m.type() == raftpb::MSG_PRE_VOTE_RESP ||
         m.type() == raftpb::MSG_VOTE_RESP;
}

}  // namespace

bool Division::ScreenForMembership(const raftpb::Message& m) {
  if (m.type() == raftpb::MSG_NOT_A_MEMBER) {
    HearNotAMember(m);
    return false;
  }
  if (removed_ && CarriesACampaign(m)) return false;
  if (!ShouldTellNotAMember(m, core_->tracker().conf_state())) return true;
  const uint64_t commit = core_->log().committed();
  if (not_a_member_notices_.Allow(m.from(), NoticeLimiter::Clock::now())) {
    LOG_EVERY_T(INFO, 10.0) << "group " << options_.group << ": member " << m.from()
                            << " asks for votes but is not in this member's configuration at "
                            << "index " << commit << "; telling it";
    transport_->Send(options_.group,
                     {NotAMemberNotice(options_.id, m.from(), core_->term(), commit)});
  }
  return VoteRequestGoesToCore(m, commit);
}

void Division::HearNotAMember(const raftpb::Message& m) {
  if (removed_) return;
  const uint64_t commit = core_->log().committed();
  absl::Status verdict = JudgeNotAMemberNotice(m, core_->tracker().conf_state(), commit,
                                               core_->role() == Role::kLeader);
  if (!verdict.ok()) {
    VLOG(1) << "group " << options_.group << ": ignoring " << DescribeMessage(m) << " at index "
            << m.commit() << ": " << verdict.message();
    return;
  }
  removed_ = true;
  removed_at_ = m.commit();
  leader_ = kNoNode;
  LOG(WARNING) << "member " << options_.id << " was removed from group " << options_.group
               << " (member " << m.from() << " has committed index " << m.commit()
               << ", past this member's " << commit
               << ", in a configuration without it); it no longer campaigns: stop it, or wipe "
                  "and re-seed it to join again";
}

void Division::MaybeReadmitted() {
  const uint64_t commit = core_->log().committed();
  if (commit <= removed_at_ || !core_->tracker().IsMember(options_.id)) return;
  removed_ = false;
  leader_ = core_->leader();
  LOG(WARNING) << "member " << options_.id << " is in group " << options_.group
               << "'s configuration again at committed index " << commit << ", past its removal at "
               << removed_at_ << "; it takes part again";
}

}  // namespace warren::raft
