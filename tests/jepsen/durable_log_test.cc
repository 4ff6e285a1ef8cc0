// A member's log, synced, survives a power loss that keeps only what was fsynced: the
// directories it lives in as well as its files (found by the lose-unsynced nemesis).
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>

#include "gtest/gtest.h"
#include "jepsen/faults/unsynced_rollback.h"
#include "raft/log/segmented_log_store.h"
#include "raft/server/data_dir.h"

namespace warren::jepsen {
namespace {

namespace fs = std::filesystem;

TEST(DurableLog, ASyncedEntryOfAFirstStartSurvivesAPowerLoss) {
  char tmpl[] = "/tmp/durable-log-XXXXXX";
  const std::string base = mkdtemp(tmpl);
  const UnsyncedFiles files{base + "/m1", base + "/m1.unsynced", base + "/m1.stash"};
  std::vector<std::string> env = {
      "LD_PRELOAD=" WARREN_LOSE_UNSYNCED, "WARREN_UNSYNCED_ROOT=" + files.root,
      "WARREN_UNSYNCED_JOURNAL=" + files.journal, "WARREN_UNSYNCED_STASH=" + files.stash};
  std::vector<char*> envp;
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::string writer = DURABLE_LOG_WRITER;
  std::string root = files.root;
  std::vector<char*> argv = {writer.data(), root.data(), nullptr};
  pid_t pid;
  ASSERT_EQ(posix_spawn(&pid, writer.c_str(), nullptr, nullptr, argv.data(), envp.data()), 0);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;

  auto rolled = RollBackUnsynced(files, /*torn=*/false, 1);
  ASSERT_TRUE(rolled.ok()) << rolled.status();
  EXPECT_TRUE(raft::ClaimDataDir(root + "/raft", "g", 1).ok());
  raft::SegmentedLogOptions options;
  options.segment_bytes = 1 << 20;
  auto log = raft::SegmentedLogStore::Open(root + "/raft/log", options);
  ASSERT_TRUE(log.ok()) << log.status();
  EXPECT_EQ((*log)->LastIndex(), 1u) << rolled->Summary();
  EXPECT_EQ((*log)->hard_state().commit(), 1u);
  fs::remove_all(base);
}

}  // namespace
}  // namespace warren::jepsen
