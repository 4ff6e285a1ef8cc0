#include "statemachine/counter_state_machine.h"

#include <limits>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/server/string_snapshot.h"

namespace warren {
namespace {

using warren::testing::StringReader;
using warren::testing::StringWriter;

TEST(CounterStateMachine, AppliesCommandsAndAnswersQueries) {
  CounterStateMachine sm;
  EXPECT_EQ(*sm.Apply(1, "incr 5"), "5");
  EXPECT_EQ(*sm.Apply(2, "incr -2"), "3");
  EXPECT_EQ(*sm.Apply(3, "set 40"), "40");
  EXPECT_EQ(*sm.Query("get"), "40");
  EXPECT_EQ(sm.LastApplied(), 3u);
}

TEST(CounterStateMachine, BadCommandsAreRepliesThatChangeNothing) {
  CounterStateMachine sm;
  ASSERT_TRUE(sm.Apply(1, "set 7").ok());
  EXPECT_EQ(sm.Apply(2, "incr x").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(sm.Apply(3, "decr 1").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(sm.Apply(4, "").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(sm.Query("put").status().code(), absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(sm.Apply(5, absl::StrCat("set ", std::numeric_limits<int64_t>::max())).ok());
  EXPECT_EQ(sm.Apply(6, "incr 1").status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(*sm.Query("get"), absl::StrCat(std::numeric_limits<int64_t>::max()));
}

TEST(CounterStateMachine, SnapshotIsFrozenWhenTakenAndRestores) {
  CounterStateMachine sm;
  ASSERT_TRUE(sm.Apply(1, "set 11").ok());
  auto write = sm.TakeSnapshot();
  ASSERT_TRUE(sm.Apply(2, "incr 1").ok());  // apply goes on while the snapshot is written
  StringWriter w;
  ASSERT_TRUE(write(w).ok());
  CounterStateMachine other;
  StringReader r(w.out);
  ASSERT_TRUE(other.RestoreSnapshot(1, r).ok());
  EXPECT_EQ(*other.Query("get"), "11");
  EXPECT_EQ(other.LastApplied(), 1u);
  StringReader junk("eleven");
  EXPECT_EQ(other.RestoreSnapshot(1, junk).code(), absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace warren
