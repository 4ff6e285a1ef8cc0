#include "common/config_file.h"

#include <fstream>

#include "absl/flags/flag.h"
#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "tests/log/log_test_util.h"

ABSL_FLAG(int, test_port, 7, "a number");
ABSL_FLAG(std::string, test_data_dir, "", "a string");
ABSL_FLAG(bool, test_lease_reads, false, "a switch");

namespace warren {
namespace {

class ConfigFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::SetFlag(&FLAGS_test_port, 7);
    absl::SetFlag(&FLAGS_test_data_dir, "");
    absl::SetFlag(&FLAGS_test_lease_reads, false);
  }
  std::string Write(const std::string& text) {
    const std::string path = dir_.path() + "/warrend.conf";
    std::ofstream(path) << text;
    return path;
  }
  raft::testing::TempDir dir_{"config-file"};
};

TEST_F(ConfigFileTest, SetsEachFlagNamedWithDashesOrUnderscores) {
  const std::string path = Write(
      "# a member of the quorum\n"
      "\n"
      "test-port = 2181\n"
      "  test_data_dir=/var/lib/warren dir  \n"
      "test-lease-reads = true\n");
  ASSERT_TRUE(ApplyConfigFile(path).ok());
  EXPECT_EQ(absl::GetFlag(FLAGS_test_port), 2181);
  EXPECT_EQ(absl::GetFlag(FLAGS_test_data_dir), "/var/lib/warren dir");
  EXPECT_TRUE(absl::GetFlag(FLAGS_test_lease_reads));
}

TEST_F(ConfigFileTest, AnErrorNamesTheFileAndLineAndSetsNothingAfterIt) {
  struct Case {
    std::string text;
    std::string error;
  };
  for (const Case& c : std::vector<Case>{
           {"test-port = 1\njust words\ntest-data-dir = x\n", ":2: expected NAME = VALUE"},
           {"= 5\ntest-data-dir = x\n", ":1: expected NAME = VALUE"},
           {"test port = 5\ntest-data-dir = x\n", ":1: expected NAME = VALUE"},
           {"no-such-flag = 1\ntest-data-dir = x\n", ":1: unknown flag 'no_such_flag'"},
           {"test-port = many\ntest-data-dir = x\n", ":1: test_port: "},
           {"test-port = 1\ntest_port = 2\ntest-data-dir = x\n", ":2: 'test_port' is set twice"},
           {"flagfile = /etc/passwd\ntest-data-dir = x\n", ":1: 'flagfile' cannot be set here"},
           {"config = other.conf\ntest-data-dir = x\n", ":1: 'config' cannot be set here"},
       }) {
    SetUp();
    const std::string path = Write(c.text);
    absl::Status s = ApplyConfigFile(path);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << c.text;
    EXPECT_TRUE(absl::StrContains(s.message(), path + c.error)) << c.text << ": " << s;
    EXPECT_EQ(absl::GetFlag(FLAGS_test_data_dir), "") << c.text;
  }
}

TEST_F(ConfigFileTest, AMissingFileIsAnError) {
  absl::Status s = ApplyConfigFile(dir_.path() + "/none.conf");
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(absl::StrContains(s.message(), "none.conf")) << s;
}

TEST(ConfigFileArg, FindsTheFileInEitherForm) {
  std::vector<std::string> a = {"warrend", "--id=1", "--config=/etc/warren/warrend.conf"};
  std::vector<std::string> b = {"warrend", "--config", "/etc/w.conf", "--id=1"};
  std::vector<std::string> c = {"warrend", "--id=1", "--", "--config=x"};
  auto argv = [](std::vector<std::string>& v) {
    std::vector<char*> p;
    for (auto& s : v) p.push_back(s.data());
    return p;
  };
  auto pa = argv(a), pb = argv(b), pc = argv(c);
  EXPECT_EQ(ConfigFileArg(pa.size(), pa.data()), "/etc/warren/warrend.conf");
  EXPECT_EQ(ConfigFileArg(pb.size(), pb.data()), "/etc/w.conf");
  EXPECT_EQ(ConfigFileArg(pc.size(), pc.data()), std::nullopt);
}

}  // namespace
}  // namespace warren
