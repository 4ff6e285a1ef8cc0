#include "raft/server/removal_notice.h"

#include "gtest/gtest.h"

namespace warren::raft {
namespace {

raftpb::ConfState Conf(std::vector<uint64_t> voters, std::vector<uint64_t> learners = {}) {
  raftpb::ConfState cs;
  for (uint64_t id : voters) cs.add_voters(id);
  for (uint64_t id : learners) cs.add_learners(id);
  return cs;
}

raftpb::Message VoteRequest(raftpb::MessageType type, uint64_t from, uint64_t last_index) {
  raftpb::Message m;
  m.set_type(type);
  m.set_from(from);
  m.set_to(1);
  m.set_term(5);
  m.set_index(last_index);
  m.set_log_term(4);
  return m;
}

TEST(RemovalNotice, MembersAreVotersOrLearnersOfEitherHalfOfAJointConfiguration) {
  raftpb::ConfState joint = Conf({1, 2}, {3});
  joint.add_voters_outgoing(4);
  joint.add_learners_next(5);
  for (uint64_t id : {1, 2, 3, 4, 5}) EXPECT_TRUE(InConfiguration(joint, id)) << id;
  EXPECT_FALSE(InConfiguration(joint, 6));
}

TEST(RemovalNotice, OnlyAVoteRequestFromOutsideAKnownConfigurationIsAnswered) {
  const raftpb::ConfState conf = Conf({1, 2}, {4});
  EXPECT_TRUE(ShouldTellNotAMember(VoteRequest(raftpb::MSG_PRE_VOTE, 3, 9), conf));
  EXPECT_TRUE(ShouldTellNotAMember(VoteRequest(raftpb::MSG_VOTE, 3, 9), conf));
  EXPECT_FALSE(ShouldTellNotAMember(VoteRequest(raftpb::MSG_PRE_VOTE, 2, 9), conf));
  EXPECT_FALSE(ShouldTellNotAMember(VoteRequest(raftpb::MSG_PRE_VOTE, 4, 9), conf))
      << "a learner is a member";
  EXPECT_FALSE(ShouldTellNotAMember(VoteRequest(raftpb::MSG_HEARTBEAT, 3, 9), conf));
  EXPECT_FALSE(ShouldTellNotAMember(VoteRequest(raftpb::MSG_PRE_VOTE, 3, 9), Conf({})))
      << "a member started empty to join knows no configuration";
}

TEST(RemovalNotice, ACandidateWhoseLogReachesOurCommitIndexStillAsksTheCore) {
  // It may be a member added by an entry this member has not seen committed yet; Raft has
  // members vote for such candidates.
  EXPECT_TRUE(VoteRequestGoesToCore(VoteRequest(raftpb::MSG_VOTE, 3, 10), 10));
  EXPECT_TRUE(VoteRequestGoesToCore(VoteRequest(raftpb::MSG_VOTE, 3, 11), 10));
  // Its log lacks a committed entry: it can never be rightly elected.
  EXPECT_FALSE(VoteRequestGoesToCore(VoteRequest(raftpb::MSG_VOTE, 3, 9), 10));
}

TEST(RemovalNotice, TheNoticeCarriesTheCommitIndexAndNothingElse) {
  raftpb::Message m = NotAMemberNotice(1, 3, 7, 42);
  EXPECT_EQ(m.type(), raftpb::MSG_NOT_A_MEMBER);
  EXPECT_EQ(m.from(), 1u);
  EXPECT_EQ(m.to(), 3u);
  EXPECT_EQ(m.term(), 7u);
  EXPECT_EQ(m.commit(), 42u);
  EXPECT_EQ(m.index(), 0u);
}

TEST(RemovalNotice, AMemberBelievesOnlyAMemberThatKnowsMoreCommitted) {
  // Member 3 knows index 20 committed in {1, 2, 3}.
  const raftpb::ConfState mine = Conf({1, 2, 3});
  // Member 1 has committed 25 in a configuration without 3: 3 was removed in between.
  EXPECT_TRUE(JudgeNotAMemberNotice(NotAMemberNotice(1, 3, 7, 25), mine, 20, false).ok());

  // Member 1 lags behind 3's addition (it knows less committed): not believed.
  absl::Status lagging = JudgeNotAMemberNotice(NotAMemberNotice(1, 3, 7, 15), mine, 20, false);
  EXPECT_TRUE(absl::IsFailedPrecondition(lagging)) << lagging;
  EXPECT_NE(lagging.message().find("may lag behind an addition"), std::string::npos) << lagging;
  EXPECT_FALSE(JudgeNotAMemberNotice(NotAMemberNotice(1, 3, 7, 20), mine, 20, false).ok())
      << "the same index: the same configuration, which has this member";

  // Not a member of 3's configuration: 3 cannot tell it from a stranger.
  EXPECT_FALSE(JudgeNotAMemberNotice(NotAMemberNotice(9, 3, 7, 25), mine, 20, false).ok());
  // A leader does not campaign; it steps down by itself if it was removed.
  EXPECT_FALSE(JudgeNotAMemberNotice(NotAMemberNotice(1, 3, 7, 25), mine, 20, true).ok());
}

TEST(RemovalNotice, AtMostOneNoticePerPeerPerInterval) {
  using Clock = NoticeLimiter::Clock;
  NoticeLimiter limiter(std::chrono::seconds(1));
  const Clock::time_point t0 = Clock::now();
  EXPECT_TRUE(limiter.Allow(3, t0));
  EXPECT_FALSE(limiter.Allow(3, t0 + std::chrono::milliseconds(999)));
  EXPECT_TRUE(limiter.Allow(4, t0 + std::chrono::milliseconds(999))) << "another peer";
  EXPECT_TRUE(limiter.Allow(3, t0 + std::chrono::seconds(1)));
  EXPECT_FALSE(limiter.Allow(3, t0 + std::chrono::milliseconds(1500)));

  // Many made-up ids within one interval are forgotten rather than kept.
  for (uint64_t id = 100; id < 1000; ++id) EXPECT_TRUE(limiter.Allow(id, t0));
  EXPECT_TRUE(limiter.Allow(3, t0 + std::chrono::milliseconds(1600)));
}

}  // namespace
}  // namespace warren::raft
