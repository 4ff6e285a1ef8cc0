// Membership changes (joint consensus, learners) and leader transfer (Raft thesis §3.10, §4).
#include "gtest/gtest.h"
#include "raft/core/confchange.h"
#include "tests/core/test_cluster.h"

namespace warren::raft {
namespace {

using testing::Change;
using testing::TestCluster;

TEST(MembershipTest, AMemberReplacedByAnEmptyOneCannotElectAStaleCandidate) {
  // Found by warren-jepsen's membership nemesis. Member 1 is removed while 3 is away, then
  // wiped and started again, empty, to rejoin under the same id. 3 never saw the removal and
  // still counts 1 as a voter: 1's vote must not make 3, which lacks acknowledged entries,
  // the leader.
  TestCluster c(3);
  c.Elect(2);
  c.Isolate(3);
  c.Propose(2, "acknowledged while 3 was away");
  ASSERT_TRUE(c.node(2).ProposeConfChange(Change({{raftpb::REMOVE_NODE, 1}})).ok());
  c.Stabilize();
  ASSERT_FALSE(c.node(2).tracker().IsVoter(1));
  c.AddNode(1, RestoredState{});
  c.Tick(1, 20);  // up for a while: no leader lease holds its vote back
  c.Heal();
  c.Isolate(2);
  c.Campaign(3);
  EXPECT_NE(c.node(3).role(), Role::kLeader);
  // Once 2 is back, only it can lead, and 3 gets what it missed.
  c.Heal();
  for (int round = 0; round < 5; ++round) {
    c.TickAll(10);
    c.Stabilize();
  }
  EXPECT_EQ(c.Leader(), 2u);
  EXPECT_EQ(c.AppliedData(3), c.AppliedData(2));
}

TEST(MembershipTest, AMemberThatKnowsNoMembershipGrantsNoVote) {
  TestCluster c(3);
  c.AddNode(4, RestoredState{});
  c.Tick(4, 20);  // past an election timeout: no leader lease holds its vote back
  for (auto type : {raftpb::MSG_PRE_VOTE, raftpb::MSG_VOTE}) {
    raftpb::Message vote;
    vote.set_type(type);
    vote.set_to(4);
    vote.set_from(1);
    vote.set_term(5);
    vote.set_index(10);
    vote.set_log_term(4);
    ASSERT_TRUE(c.node(4).Step(vote).ok());
  }
  Ready rd = c.node(4).GetReady();
  ASSERT_EQ(rd.messages.size(), 2u);
  EXPECT_TRUE(rd.messages[0].reject());
  EXPECT_TRUE(rd.messages[1].reject());
}

TEST(MembershipTest, LearnerReceivesTheLogButNeitherVotesNorCounts) {
  TestCluster c(3);
  c.Elect(1);
  c.AddNode(4, RestoredState{});
  ASSERT_TRUE(c.node(1).ProposeConfChange(Change({{raftpb::ADD_LEARNER, 4}})).ok());
  c.Stabilize();
  c.Propose(1, "to the learner too");
  EXPECT_EQ(c.AppliedData(4).back(), "to the learner too");
  EXPECT_EQ(ConfStateString(c.node(4).tracker().conf_state()), "voters=(1,2,3) learners=(4)");

  // Commit still needs two of {1,2,3}: the learner's copy does not count.
  c.Cut(1, 2);
  c.Cut(1, 3);
  EntryId id = c.Propose(1, "not committed");
  EXPECT_EQ(c.node(4).log().LastIndex(), id.index);
  EXPECT_LT(c.node(1).log().committed(), id.index);

  // And a learner never campaigns.
  c.Heal();
  c.Stabilize();
  c.Tick(4, 100);
  c.Stabilize();
  EXPECT_EQ(c.node(4).role(), Role::kFollower);
}

TEST(MembershipTest, PromotedLearnerVotesAndCounts) {
  TestCluster c(3);
  c.Elect(1);
  c.AddNode(4, RestoredState{});
  ASSERT_TRUE(c.node(1).ProposeConfChange(Change({{raftpb::ADD_LEARNER, 4}})).ok());
  c.Stabilize();
  ASSERT_TRUE(c.node(1).ProposeConfChange(Change({{raftpb::ADD_VOTER, 4}})).ok());
  c.Stabilize();
  EXPECT_EQ(ConfStateString(c.node(1).tracker().conf_state()), "voters=(1,2,3,4)");
  // With 4 voters a quorum is 3: leader + 4 + one more.
  c.Cut(1, 2);
  EntryId id = c.Propose(1, "needs 4");
  EXPECT_GE(c.node(1).log().committed(), id.index);
  c.Cut(1, 3);
  id = c.Propose(1, "1 and 4 are not enough");
  EXPECT_LT(c.node(1).log().committed(), id.index);
}

TEST(MembershipTest, JointChangeEntersAndLeavesAutomatically) {
  TestCluster c(3);
  c.Elect(1);
  c.AddNode(4, RestoredState{});
  c.AddNode(5, RestoredState{});
  ASSERT_TRUE(c.node(1).ProposeConfChange(Change({{raftpb::ADD_LEARNER, 4}})).ok());
  c.Stabilize();
  ASSERT_TRUE(c.node(1).ProposeConfChange(Change({{raftpb::ADD_LEARNER, 5}})).ok());
  c.Stabilize();
  // Replace 2 and 3 by 4 and 5 in one step: only joint consensus makes that safe.
  auto cc = Change({{raftpb::ADD_VOTER, 4},
                    {raftpb::ADD_VOTER, 5},
                    {raftpb::REMOVE_NODE, 2},
                    {raftpb::REMOVE_NODE, 3}});
  ASSERT_TRUE(c.node(1).ProposeConfChange(cc).ok());
  c.Stabilize();
  for (uint64_t id : {1, 4, 5}) {
    EXPECT_EQ(ConfStateString(c.node(id).tracker().conf_state()), "voters=(1,4,5)")
        << "node " << id;
  }
  // Both transitions went through the log: the joint entry and the leave entry.
  int conf_entries = 0;
  for (const auto& e : c.applied(4)) conf_entries += e.type() == raftpb::ENTRY_CONF_CHANGE;
  EXPECT_GE(conf_entries, 4);
}

TEST(MembershipTest, ExplicitJointWaitsForTheCallerToLeave) {
  TestCluster c(3);
  c.Elect(1);
  ASSERT_TRUE(
      c.node(1)
          .ProposeConfChange(Change({{raftpb::REMOVE_NODE, 3}}, raftpb::TRANSITION_JOINT_EXPLICIT))
          .ok());
  c.Stabilize();
  EXPECT_TRUE(c.node(1).tracker().config().IsJoint());
  // Joint: decisions need both {1,2} and {1,2,3}; while joint, another change is refused.
  EXPECT_FALSE(c.node(1).ProposeConfChange(Change({{raftpb::ADD_LEARNER, 4}})).ok());
  ASSERT_TRUE(c.node(1).ProposeConfChange(Change({})).ok());
  c.Stabilize();
  EXPECT_EQ(ConfStateString(c.node(1).tracker().conf_state()), "voters=(1,2)");
}

TEST(MembershipTest, OneChangeAtATime) {
  TestCluster c(3);
  c.Elect(1);
  c.Cut(1, 2);
  c.Cut(1, 3);
  ASSERT_TRUE(c.node(1).ProposeConfChange(Change({{raftpb::ADD_LEARNER, 4}})).ok());
  auto second = c.node(1).ProposeConfChange(Change({{raftpb::ADD_LEARNER, 5}}));
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);  // retry once it commits
}

TEST(MembershipTest, InvalidChangesAreRefusedUpFront) {
  TestCluster c(1);
  c.Campaign(1);
  auto r = c.node(1).ProposeConfChange(Change({{raftpb::REMOVE_NODE, 1}}));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("no voters"), std::string::npos);
}

TEST(MembershipTest, RemovedLeaderStepsDownAndTheRestElectANewOne) {
  TestCluster c(3);
  c.Elect(1);
  ASSERT_TRUE(c.node(1).ProposeConfChange(Change({{raftpb::REMOVE_NODE, 1}})).ok());
  c.Stabilize();
  EXPECT_EQ(c.node(1).role(), Role::kFollower);
  EXPECT_FALSE(c.node(1).tracker().IsVoter(1));
  for (int i = 0; i < 40 && c.Leader() == 0; ++i) {
    c.TickAll();
    c.Stabilize();
  }
  uint64_t leader = c.Leader();
  EXPECT_TRUE(leader == 2 || leader == 3);
  c.Propose(leader, "without 1");
  EXPECT_EQ(c.AppliedData(leader == 2 ? 3 : 2).back(), "without 1");
}

TEST(MembershipTest, RemovedLeaderHandsOverWithoutAnElection) {
  // Once its removal commits the leader brings a voter of the new configuration level with
  // its log and tells it to campaign; that voter learns the commit from the hand-over itself.
  TestCluster c(3);
  c.Elect(1);
  c.Propose(1, "before");
  ASSERT_TRUE(c.node(1).ProposeConfChange(Change({{raftpb::REMOVE_NODE, 1}})).ok());
  c.Stabilize();  // no tick: nobody's election timer runs out
  uint64_t leader = c.Leader();
  ASSERT_TRUE(leader == 2 || leader == 3) << "leader " << leader;
  EXPECT_EQ(ConfStateString(c.node(leader).tracker().conf_state()), "voters=(2,3)");
  EXPECT_EQ(c.node(1).role(), Role::kFollower);
  c.Propose(leader, "after");
  EXPECT_EQ(c.AppliedData(leader == 2 ? 3 : 2).back(), "after");
}

TEST(MembershipTest, RemovedLeaderRefusesProposalsWhileHandingOver) {
  TestCluster c(3);
  c.Elect(1);
  c.Cut(1, 3);
  ASSERT_TRUE(c.node(1).ProposeConfChange(Change({{raftpb::REMOVE_NODE, 1}})).ok());
  c.Stabilize();
  // Committed with 2; 2 is handed over to while 3 cannot be reached. Had 2 not received the
  // hand-over, 1 would still lead, refusing work, and step down an election timeout later.
  ASSERT_FALSE(c.node(1).tracker().IsVoter(1));
  if (c.node(1).role() == Role::kLeader) {
    EXPECT_EQ(c.node(1).Propose("x").status().code(), absl::StatusCode::kUnavailable);
    c.TickAll(10);
    c.Stabilize();
    EXPECT_NE(c.node(1).role(), Role::kLeader);
  } else {
    EXPECT_EQ(c.Leader(), 2u);
  }
}

TEST(MembershipTest, ARemovedMemberVotesForACandidateThatHoldsItsRemoval) {
  // Found by warren-sim (seed 7340056). Voters {1,2,3,4}; 4 was added but has received
  // nothing (it knows no membership, so it grants no vote). Leader 2 removes itself; the
  // removal commits on {1,2,3}, 2 appends one more entry and goes down before 1 and 3 learn
  // of the commit. They still count 2 as a voter and need three votes of four: 2's log is
  // longer than theirs, so unless 2 judges candidates by what it knows committed rather
  // than by its own log, nobody can ever be elected.
  TestCluster c(4);
  c.AddNode(4, RestoredState{});
  c.Isolate(4);
  c.Elect(2);
  c.Propose(2, "x");
  ASSERT_TRUE(c.node(2).ProposeConfChange(Change({{raftpb::REMOVE_NODE, 2}})).ok());
  // Deliver the removal to 1 and 3 and their acknowledgements back, nothing else.
  Ready rd = c.node(2).GetReady();
  c.node(2).Advance(rd);
  for (const auto& m : rd.messages) {
    if (m.to() == 1 || m.to() == 3) {
      ASSERT_TRUE(c.node(m.to()).Step(m).ok());
    }
  }
  ASSERT_TRUE(c.node(2).Propose("appended after the removal").ok());
  for (uint64_t id : {1, 3}) {
    Ready frd = c.node(id).GetReady();
    c.node(id).Advance(frd);
    for (const auto& m : frd.messages) ASSERT_TRUE(c.node(2).Step(m).ok());
  }
  ASSERT_FALSE(c.node(2).tracker().IsVoter(2));
  // 2 goes down with what it has (its commit covers the removal) and comes back.
  RestoredState disk;
  const RaftLog& log = c.node(2).log();
  for (uint64_t i = log.FirstIndex(); i <= log.LastIndex(); ++i) disk.entries.push_back(log.At(i));
  disk.hard_state.set_term(c.node(2).term());
  disk.hard_state.set_vote(c.node(2).vote());
  disk.hard_state.set_commit(log.committed());
  c.AddNode(2, std::move(disk));
  ASSERT_FALSE(c.node(2).tracker().IsVoter(2));
  ASSERT_TRUE(c.node(1).tracker().IsVoter(2));
  c.Heal();
  for (int i = 0; i < 10 && c.Leader() == 0; ++i) {
    c.TickAll(10);
    c.Stabilize();
  }
  uint64_t leader = c.Leader();
  ASSERT_TRUE(leader == 1 || leader == 3) << "leader " << leader;
  c.Propose(leader, "y");
  EXPECT_EQ(c.AppliedData(4).back(), "y");
  EXPECT_EQ(ConfStateString(c.node(4).tracker().conf_state()), "voters=(1,3,4)");
}

TEST(MembershipTest, ARemovedMemberStillRefusesACandidateThatLacksItsRemoval) {
  TestCluster c(3);
  c.Elect(1);
  c.Isolate(3);
  ASSERT_TRUE(c.node(1).ProposeConfChange(Change({{raftpb::REMOVE_NODE, 1}})).ok());
  c.Stabilize();
  ASSERT_FALSE(c.node(1).tracker().IsVoter(1));  // the one member sure to know it is out
  // 3 missed the removal and still counts 1; 1 must not elect it.
  c.Tick(1, 20);
  raftpb::Message vote;
  vote.set_type(raftpb::MSG_VOTE);
  vote.set_from(3);
  vote.set_to(1);
  vote.set_term(c.node(1).term() + 1);
  vote.set_index(c.node(3).log().LastIndex());
  vote.set_log_term(c.node(3).log().LastTerm());
  Ready earlier = c.node(1).GetReady();
  c.node(1).Advance(earlier);
  ASSERT_TRUE(c.node(1).Step(vote).ok());
  Ready rd = c.node(1).GetReady();
  ASSERT_EQ(rd.messages.size(), 1u);
  EXPECT_TRUE(rd.messages[0].reject());
}

TEST(MembershipTest, HoldingAChangeMeansTheOneBeforeItCommitted) {
  // A crash kept the commit index that came with entries 3 and 4 from the disk. The leader
  // proposed 4 only after 3 committed, so the peer restarts knowing 3 is committed and
  // runs at most one configuration behind, never two.
  RestoredState state = BootstrapState({1, 2, 3});
  auto add = [&state](uint64_t index, const raftpb::ConfChange& cc) {
    raftpb::Entry e;
    e.set_index(index);
    e.set_term(2);
    e.set_type(raftpb::ENTRY_CONF_CHANGE);
    e.set_data(cc.SerializeAsString());
    state.entries.push_back(e);
  };
  raftpb::Entry noop;
  noop.set_index(2);
  noop.set_term(2);
  state.entries.push_back(noop);
  add(3, Change({{raftpb::ADD_LEARNER, 4}}));
  add(4, Change({{raftpb::ADD_VOTER, 4}}));
  state.hard_state.set_term(2);
  state.hard_state.set_commit(1);
  Config cfg;
  cfg.id = 2;
  auto r = Raft::Create(cfg, std::move(state));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ((*r)->log().committed(), 3u);
  EXPECT_EQ(ConfStateString((*r)->tracker().conf_state()), "voters=(1,2,3) learners=(4)");
}

TEST(TransferTest, CaughtUpTargetTakesOverAtOnce) {
  TestCluster c(3);
  c.Elect(1);
  c.Propose(1, "x");
  uint64_t term = c.node(1).term();
  ASSERT_TRUE(c.node(1).TransferLeader(2).ok());
  c.Stabilize();
  EXPECT_EQ(c.node(2).role(), Role::kLeader);
  EXPECT_EQ(c.node(2).term(), term + 1);
  EXPECT_EQ(c.node(1).role(), Role::kFollower);
  EXPECT_EQ(c.node(1).leader(), 2u);
}

TEST(TransferTest, LaggingTargetIsCaughtUpFirst) {
  TestCluster c(3);
  c.Elect(1);
  c.Cut(1, 3);
  for (int i = 0; i < 5; ++i) c.Propose(1, "behind");
  c.Heal();
  c.sent().clear();
  ASSERT_TRUE(c.node(1).TransferLeader(3).ok());
  // Proposals are refused while the transfer is under way.
  EXPECT_EQ(c.node(1).Propose("y").status().code(), absl::StatusCode::kUnavailable);
  c.Stabilize();
  EXPECT_EQ(c.node(3).role(), Role::kLeader);
  // TimeoutNow went out only after an append that caught 3 up.
  bool saw_app = false, timeout_after_app = false;
  for (const auto& m : c.sent()) {
    if (m.to() != 3) continue;
    if (m.type() == raftpb::MSG_APP && m.entries_size() > 0) saw_app = true;
    if (m.type() == raftpb::MSG_TIMEOUT_NOW) timeout_after_app = saw_app;
  }
  EXPECT_TRUE(timeout_after_app);
  EXPECT_EQ(c.AppliedData(3).size(), 5u);
}

TEST(TransferTest, RefusedForLearnersAndOnFollowers) {
  TestCluster c(3);
  c.Elect(1);
  EXPECT_EQ(c.node(1).TransferLeader(9).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(c.node(2).TransferLeader(3).code(), absl::StatusCode::kFailedPrecondition);
}

TEST(TransferTest, AbandonedAfterAnElectionTimeout) {
  TestCluster c(3);
  c.Elect(1);
  c.Cut(1, 3);  // the target never hears of it
  ASSERT_TRUE(c.node(1).TransferLeader(3).ok());
  c.Stabilize();
  EXPECT_EQ(c.node(1).lead_transferee(), 3u);
  c.TickAll(10);
  c.Stabilize();
  EXPECT_EQ(c.node(1).lead_transferee(), 0u);
  EXPECT_TRUE(c.node(1).Propose("accepted again").ok());
}

}  // namespace
}  // namespace warren::raft
