#pragma once

#include <chrono>
#include <cstdint>
#include <map>

#include "absl/status/status.h"
#include "proto/raft.pb.h"

namespace warren::raft {

// Telling a member that it was removed from its group (issue 19; etcd does the same).
//
// A member learns of its removal by knowing that the entry removing it committed; its core
// then never campaigns again. A member cut off (partitioned, paused, down) while it was
// removed never hears of that entry: the leader stops sending to it once the removal commits.
// Back, it would campaign forever. Pre-vote keeps it from disturbing the group, but it spins,
// logs, and says it is a follower or a candidate. So its peers tell it:
//
// - Member F, asked for a (pre-)vote by X, which is in neither the voters nor the learners of
//   F's configuration, sends X a MSG_NOT_A_MEMBER carrying F's commit index (at most one per
//   peer per election timeout). The notice is the runtime's: no core ever sees it.
// - X believes a notice from F if F is a member of X's own configuration, X does not lead,
//   and the notice's index is above X's own commit index. Then X stops campaigning, reports
//   the role "removed", and logs it once.
//
// Which index. A core takes on each membership change as soon as it knows the change
// committed (docs/raft-core.md), so a core's configuration is exactly the one in effect at
// its commit index: conf(i), the configuration after every committed entry up to i, the same
// on every member because the committed log is. The runtime's applied index lags the commit
// index (the apply thread runs behind the raft thread), and a member campaigns as a voter as
// soon as its core knows its promotion committed, before it has applied it: comparing applied
// indexes could stop a valid voter whose apply thread is behind one that is not. So both
// sides use the core's commit index, C_F and C_X, with conf(C_F) and conf(C_X).
//
// Why a valid member is never stopped. X campaigns only while it is a voter of conf(C_X).
// If C_F <= C_X the notice is ignored, whatever F's configuration says: a member F that lags
// behind X's addition (C_F < R <= C_X) tells X it is not a member and is not believed. If
// C_F > C_X and conf(C_F) lacks X while conf(C_X) has it, some committed entry D with
// C_X < D <= C_F removed X and nothing up to C_F added it back: X was removed, and what it
// knows ends before that. A member removed and added again under the same id is wiped and
// starts empty (--join); it campaigns only once its core knows its promotion P committed, so
// C_X >= P, and a member that has not seen P is not believed, as above. A notice from a
// member of X's own configuration only: a member F of conf(C_F) was added by an entry X may
// not know of, and X has no way to tell it from a stranger.
//
// Undoing it. X takes its removal back only when its own core knows an index above the
// notice's committed in a configuration that includes X (it was added again, without being
// wiped, and the leader brought its log up to date): conf(C) with C > C_F holding X means an
// entry after the removal added it. A restart forgets the removal: the member campaigns
// again, is told again and stops again.
//
// Peers are not authenticated (issue 20): a forged notice with a large index stops a member
// until it restarts, as a forged message with a large term disturbs one.

// Whether `id` is in `conf`: a voter, incoming or outgoing, or a learner.
bool InConfiguration(const raftpb::ConfState& conf, uint64_t id);

// Whether `m` asks for a vote (MSG_VOTE or MSG_PRE_VOTE).
bool IsVoteRequest(const raftpb::Message& m);

// Whether the sender of the vote request `m` is to be told it is not a member: this member
// knows a configuration (`conf`, in effect at its commit index) and the sender is not in it.
bool ShouldTellNotAMember(const raftpb::Message& m, const raftpb::ConfState& conf);

// Whether the vote request `m`, from a sender outside this member's configuration, still goes
// to the core. Raft has a member vote for a candidate outside its configuration (Raft thesis
// §4.1): a new member that this one has not heard of yet may need its vote. A candidate whose
// log ends before `commit` lacks a committed entry and can never be rightly elected, so
// nothing is lost by not asking the core; one whose log reaches it may be such a new member.
bool VoteRequestGoesToCore(const raftpb::Message& m, uint64_t commit);

// The notice from `from` to `to`, in `term`, that `to` is not in the configuration in effect
// at `commit`.
raftpb::Message NotAMemberNotice(uint64_t from, uint64_t to, uint64_t term, uint64_t commit);

// X's judgement of a notice: OK if X (`conf` in effect at its commit index `commit`; `leads`
// if its core leads) was removed; otherwise FailedPrecondition saying why it is ignored.
absl::Status JudgeNotAMemberNotice(const raftpb::Message& notice, const raftpb::ConfState& conf,
                                   uint64_t commit, bool leads);

// At most one notice per peer per `interval`, on a monotonic clock. Peers are ids from the
// network, so it forgets what is past the interval once it holds many.
class NoticeLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  explicit NoticeLimiter(Clock::duration interval) : interval_(interval) {}

  // Whether a notice may go to `peer` at `now`; if so, it is counted as sent.
  bool Allow(uint64_t peer, Clock::time_point now);

 private:
  static constexpr size_t kForgetAbove = 256;
  Clock::duration interval_;
  std::map<uint64_t, Clock::time_point> last_sent_;
};

}  // namespace warren::raft
