#include "raft/core/quorum.h"

#include <map>

#include "gtest/gtest.h"

namespace warren::raft {
namespace {

TEST(MajorityConfigTest, CommittedIndexIsWhatAMajorityHas) {
  struct Case {
    std::set<uint64_t> voters;
    std::map<uint64_t, uint64_t> match;
    uint64_t want;
  };
  const Case cases[] = {
      {{1}, {{1, 5}}, 5},
      {{1, 2, 3}, {{1, 5}, {2, 3}, {3, 1}}, 3},
      {{1, 2, 3}, {{1, 5}, {2, 5}, {3, 1}}, 5},
      {{1, 2, 3}, {{1, 5}}, 0},                             // unknown members count as 0
      {{1, 2, 3, 4}, {{1, 9}, {2, 8}, {3, 7}, {4, 1}}, 7},  // 3 of 4 needed
      {{1, 2, 3, 4, 5}, {{1, 9}, {2, 8}, {3, 7}, {4, 1}, {5, 1}}, 7},
  };
  for (const auto& c : cases) {
    MajorityConfig m{c.voters};
    uint64_t got = m.CommittedIndex([&](uint64_t id) {
      auto it = c.match.find(id);
      return it == c.match.end() ? 0 : it->second;
    });
    EXPECT_EQ(got, c.want);
  }
}

TEST(MajorityConfigTest, EmptyConfigAgreesToEverything) {
  MajorityConfig m;
  EXPECT_EQ(m.CommittedIndex([](uint64_t) { return uint64_t{0}; }),
            std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(m.Vote([](uint64_t) { return std::optional<bool>(); }), VoteResult::kWon);
}

TEST(MajorityConfigTest, VoteOutcomes) {
  MajorityConfig m{{1, 2, 3}};
  auto tally = [&](std::map<uint64_t, bool> votes) {
    return m.Vote([&](uint64_t id) -> std::optional<bool> {
      auto it = votes.find(id);
      if (it == votes.end()) return std::nullopt;
      return it->second;
    });
  };
  EXPECT_EQ(tally({{1, true}}), VoteResult::kPending);
  EXPECT_EQ(tally({{1, true}, {2, true}}), VoteResult::kWon);
  EXPECT_EQ(tally({{1, true}, {2, false}}), VoteResult::kPending);
  EXPECT_EQ(tally({{1, true}, {2, false}, {3, false}}), VoteResult::kLost);
}

TEST(JointConfigTest, NeedsBothHalves) {
  JointConfig j{MajorityConfig{{1, 2, 3}}, MajorityConfig{{3, 4, 5}}};
  std::map<uint64_t, uint64_t> match{{1, 9}, {2, 9}, {3, 4}, {4, 4}, {5, 1}};
  // Incoming {1,2,3} has 9; outgoing {3,4,5} only 4.
  EXPECT_EQ(j.CommittedIndex([&](uint64_t id) { return match[id]; }), 4u);

  std::map<uint64_t, bool> votes{{1, true}, {2, true}, {3, false}, {4, false}};
  auto lookup = [&](uint64_t id) -> std::optional<bool> {
    auto it = votes.find(id);
    if (it == votes.end()) return std::nullopt;
    return it->second;
  };
  EXPECT_EQ(j.Vote(lookup), VoteResult::kLost);  // outgoing half lost
  votes[4] = true;
  EXPECT_EQ(j.Vote(lookup), VoteResult::kPending);
  votes[5] = true;
  EXPECT_EQ(j.Vote(lookup), VoteResult::kWon);
}

}  // namespace
}  // namespace warren::raft
