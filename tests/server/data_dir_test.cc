#include "raft/server/data_dir.h"

#include <fstream>

#include "gtest/gtest.h"
#include "tests/log/log_test_util.h"

namespace warren::raft {
namespace {

using testing::TempDir;

TEST(DataDir, ClaimedOnceThenRecognised) {
  TempDir dir("data");
  std::string d = dir.path() + "/g";
  ASSERT_TRUE(ClaimDataDir(d, "orders", 3).ok());
  EXPECT_TRUE(ClaimDataDir(d, "orders", 3).ok());
}

TEST(DataDir, AnotherMemberOrGroupIsRefusedWithBothNamed) {
  TempDir dir("data");
  std::string d = dir.path() + "/g";
  ASSERT_TRUE(ClaimDataDir(d, "orders", 3).ok());
  absl::Status other_member = ClaimDataDir(d, "orders", 4);
  EXPECT_EQ(other_member.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(other_member.message().find("member 3"), std::string::npos) << other_member;
  EXPECT_NE(other_member.message().find("member 4"), std::string::npos) << other_member;
  absl::Status other_group = ClaimDataDir(d, "users", 3);
  EXPECT_EQ(other_group.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(other_group.message().find("orders"), std::string::npos) << other_group;
}

TEST(DataDir, NonEmptyDirectoryWithoutIdentityIsRefused) {
  TempDir dir("data");
  std::ofstream(dir.path() + "/something") << "x";
  absl::Status s = ClaimDataDir(dir.path(), "orders", 1);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace warren::raft
