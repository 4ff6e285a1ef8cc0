#include "raft/core/confchange.h"

#include "gtest/gtest.h"
#include "tests/core/test_cluster.h"

namespace warren::raft {
namespace {

using testing::Change;

raftpb::ConfState Voters(std::vector<uint64_t> v, std::vector<uint64_t> learners = {}) {
  raftpb::ConfState cs;
  for (auto id : v) cs.add_voters(id);
  for (auto id : learners) cs.add_learners(id);
  return cs;
}

TEST(ConfChangeTest, Transitions) {
  struct Case {
    raftpb::ConfState from;
    raftpb::ConfChange change;
    std::string want;  // ConfStateString, or "error"
  };
  const Case cases[] = {
      // Bootstrap from nothing applies directly.
      {{}, Change({{raftpb::ADD_VOTER, 1}, {raftpb::ADD_VOTER, 2}}), "voters=(1,2)"},
      // One voter at a time is a simple change.
      {Voters({1, 2, 3}), Change({{raftpb::ADD_VOTER, 4}}), "voters=(1,2,3,4)"},
      {Voters({1, 2, 3}), Change({{raftpb::REMOVE_NODE, 3}}), "voters=(1,2)"},
      {Voters({1, 2, 3}), Change({{raftpb::ADD_LEARNER, 4}}), "voters=(1,2,3) learners=(4)"},
      // Promoting a learner.
      {Voters({1, 2, 3}, {4}), Change({{raftpb::ADD_VOTER, 4}}), "voters=(1,2,3,4)"},
      // Two voters change: joint, leaving automatically.
      {Voters({1, 2, 3}), Change({{raftpb::ADD_VOTER, 4}, {raftpb::REMOVE_NODE, 1}}),
       "voters=(2,3,4)&&(1,2,3) autoleave"},
      // Explicit joint even for one change.
      {Voters({1, 2, 3}), Change({{raftpb::ADD_VOTER, 4}}, raftpb::TRANSITION_JOINT_EXPLICIT),
       "voters=(1,2,3,4)&&(1,2,3)"},
      // Demoting a voter while joint: it votes in the outgoing half until we leave.
      {Voters({1, 2, 3}, {4}), Change({{raftpb::ADD_VOTER, 4}, {raftpb::ADD_LEARNER, 1}}),
       "voters=(2,3,4)&&(1,2,3) learners_next=(1) autoleave"},
      // Errors.
      {Voters({1, 2, 3}), Change({}), "error"},                    // leave while not joint
      {Voters({1}), Change({{raftpb::REMOVE_NODE, 1}}), "error"},  // no voters left
      {Voters({1, 2, 3}), Change({{raftpb::ADD_VOTER, 0}}), "error"},
  };
  for (const auto& c : cases) {
    auto got = ApplyConfChange(c.from, c.change);
    std::string s = got.ok() ? ConfStateString(*got) : "error";
    EXPECT_EQ(s, c.want) << "from " << ConfStateString(c.from) << " by "
                         << c.change.ShortDebugString();
  }
}

TEST(ConfChangeTest, LeavingJointMovesLearnersNext) {
  auto joint = ApplyConfChange(Voters({1, 2, 3}, {4}),
                               Change({{raftpb::ADD_VOTER, 4}, {raftpb::ADD_LEARNER, 1}}));
  ASSERT_TRUE(joint.ok());
  auto left = ApplyConfChange(*joint, Change({}));
  ASSERT_TRUE(left.ok());
  EXPECT_EQ(ConfStateString(*left), "voters=(2,3,4) learners=(1)");
  // A second joint change while joint is refused.
  auto again = ApplyConfChange(*joint, Change({{raftpb::ADD_VOTER, 5}}));
  EXPECT_EQ(again.status().code(), absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace warren::raft
