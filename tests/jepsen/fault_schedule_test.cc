#include "jepsen/harness/fault_schedule.h"

#include <algorithm>
#include <set>
#include <vector>

#include "gtest/gtest.h"

namespace warren::jepsen {
namespace {

const std::vector<std::string> kKinds = {"kill", "membership", "partition", "pause"};

std::vector<PlannedFault> First(int count, int tracks, uint64_t seed) {
  FaultSchedule schedule(kKinds, tracks, seed);
  std::vector<PlannedFault> out;
  for (int i = 0; i < count; ++i) out.push_back(schedule.Next());
  return out;
}

// How many faults are in force at once, at most.
int MostAtOnce(const std::vector<PlannedFault>& faults) {
  int most = 0;
  for (const PlannedFault& f : faults) {
    int at_once = 0;
    for (const PlannedFault& g : faults) {
      if (g.start <= f.start && f.start < g.start + g.hold) ++at_once;
    }
    most = std::max(most, at_once);
  }
  return most;
}

TEST(FaultScheduleTest, TheSameSeedGivesTheSameSchedule) {
  const auto a = First(50, 2, 7), b = First(50, 2, 7), c = First(50, 2, 8);
  bool differs = false;
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].start, b[i].start);
    EXPECT_EQ(a[i].hold, b[i].hold);
    EXPECT_EQ(a[i].kind, b[i].kind);
    EXPECT_EQ(a[i].seed, b[i].seed);
    differs |= a[i].start != c[i].start || a[i].kind != c[i].kind;
  }
  EXPECT_TRUE(differs);
}

TEST(FaultScheduleTest, FaultsComeInOrderOfStartWithEveryKind) {
  const auto faults = First(200, 3, 1);
  std::set<std::string> kinds;
  for (size_t i = 0; i < faults.size(); ++i) {
    if (i > 0) {
      EXPECT_LE(faults[i - 1].start, faults[i].start);
    }
    EXPECT_GE(faults[i].hold, absl::Seconds(1));
    EXPECT_LE(faults[i].hold, absl::Seconds(5));
    kinds.insert(faults[i].kind);
  }
  EXPECT_EQ(kinds, std::set<std::string>(kKinds.begin(), kKinds.end()));
}

TEST(FaultScheduleTest, OneTrackNeverOverlapsAndItsQuietSpellsLastAtLeastOneAndAHalfSeconds) {
  const auto faults = First(100, 1, 3);
  EXPECT_EQ(MostAtOnce(faults), 1);
  for (size_t i = 1; i < faults.size(); ++i) {
    EXPECT_GE(faults[i].start, faults[i - 1].start + faults[i - 1].hold + absl::Seconds(1.5));
  }
}

TEST(FaultScheduleTest, TracksOverlapButNeverMoreThanTheirNumber) {
  for (int tracks : {2, 3}) {
    const auto faults = First(300, tracks, 11);
    EXPECT_EQ(MostAtOnce(faults), tracks) << tracks << " tracks";
  }
}

}  // namespace
}  // namespace warren::jepsen
