// examples/flink-ha against a real quorum: three JobManager processes, the leader killed
// during a stream of checkpoint completions.
#include <signal.h>

#include <fstream>
#include <map>
#include <numeric>
#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "gtest/gtest.h"
#include "tests/integration/metastore_cluster.h"

namespace warren::testing {
namespace {

constexpr int64_t kCheckpoints = 40;
constexpr char kCheckpointsDir[] = "/flink/c1/checkpoints/job-1";

class FlinkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cluster_.StartAll();
    ASSERT_NE(cluster_.WaitForLeader(), 0u);
    client_ = cluster_.Client();
  }

  void StartJobManager(const std::string& name) {
    auto p =
        Process::Spawn({WARREN_FLINK_JOBMANAGER, "--endpoints=" + cluster_.Endpoints(),
                        "--cluster-id=c1", "--job=job-1", "--name=" + name,
                        "--address=" + name + ":8081", absl::StrCat("--checkpoints=", kCheckpoints),
                        "--interval-ms=40", "--session-timeout-ms=2000"},
                       absl::StrCat(cluster_.dir(), "/", name, ".log"));
    ASSERT_TRUE(p.ok()) << p.status();
    jms_[name] = std::move(*p);
  }

  // The JobManagers' output, for a failure's message.
  std::string Logs() {
    std::string out;
    for (const auto& [name, p] : jms_) {
      std::ifstream in(absl::StrCat(cluster_.dir(), "/", name, ".log"));
      std::string line;
      out += "== " + name + "\n";
      while (std::getline(in, line)) {
        if (line.rfind("I2", 0) != 0) out += line + "\n";
      }
    }
    return out;
  }

  int64_t Latest() {
    auto node = client_->GetData(absl::StrCat(kCheckpointsDir, "/latest"));
    int64_t id = 0;
    return node.ok() && absl::SimpleAtoi(node->data, &id) ? id : 0;
  }

  MetastoreCluster cluster_;
  std::unique_ptr<MetastoreClient> client_;
  std::map<std::string, std::unique_ptr<Process>> jms_;
};

TEST_F(FlinkTest, ANewLeaderContinuesFromTheLastCompletedCheckpoint) {
  for (const char* name : {"jm-a", "jm-b", "jm-c"}) StartJobManager(name);
  ASSERT_TRUE(Eventually([&] { return Latest() >= 8; }, absl::Seconds(30)));
  auto info = client_->GetData("/flink/c1/leader/connection_info");
  ASSERT_TRUE(info.ok()) << info.status();
  const std::string first = info->data.substr(0, info->data.find(':'));
  ASSERT_EQ(jms_.count(first), 1u) << info->data;
  jms_[first]->Signal(SIGKILL);  // mid-stream: it may have triggered one it never completes

  ASSERT_TRUE(Eventually([&] { return Latest() == kCheckpoints; }, absl::Seconds(60)))
      << "stuck at " << Latest() << "\n"
      << Logs();
  for (auto& [name, p] : jms_) {
    if (name == first) continue;
    EXPECT_EQ(p->Wait(absl::Seconds(30)), 0) << name << " did not finish cleanly\n" << Logs();
  }

  // Every id from 1 to the last was completed once, in order, with no gap; the leader changed
  // in between, and the new one went on from the old one's last.
  auto children = client_->GetChildren(kCheckpointsDir);
  ASSERT_TRUE(children.ok());
  std::vector<int64_t> ids;
  std::vector<std::string> by;
  for (const auto& c : children->children) {
    if (c.name() == "latest") continue;
    int64_t id = 0;
    ASSERT_TRUE(absl::SimpleAtoi(c.name(), &id)) << c.name();
    ids.push_back(id);
    by.push_back(client_->GetData(absl::StrCat(kCheckpointsDir, "/", c.name()))->data);
  }
  std::vector<int64_t> expected(kCheckpoints);
  std::iota(expected.begin(), expected.end(), 1);
  EXPECT_EQ(ids, expected);
  std::set<std::string> leaders(by.begin(), by.end());
  EXPECT_GE(leaders.size(), 2u);
  EXPECT_EQ(by.front(), first);
  for (size_t i = 1; i < by.size(); ++i) {
    if (by[i] != by[i - 1]) {
      EXPECT_EQ(by[i - 1], first) << "leadership changed only once";
    }
  }
  auto counter = client_->GetData("/flink/c1/checkpoint_id_counter/job-1");
  ASSERT_TRUE(counter.ok());
  EXPECT_EQ(counter->data, absl::StrCat(kCheckpoints));
}

TEST_F(FlinkTest, BadFlagsAreRefused) {
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{{"--name="},
                                             {"--name=x", "--job=a/b"},
                                             {"--name=x", "--checkpoints=0"},
                                             {"--name=x", "extra"}}) {
    std::vector<std::string> argv = {WARREN_FLINK_JOBMANAGER,
                                     "--endpoints=" + cluster_.Endpoints()};
    argv.insert(argv.end(), args.begin(), args.end());
    RunResult r = RunCommand(argv, absl::Seconds(30));
    EXPECT_EQ(r.exit_code, 2) << args.back() << ": " << r.err;
    EXPECT_FALSE(r.err.empty());
  }
}

}  // namespace
}  // namespace warren::testing
