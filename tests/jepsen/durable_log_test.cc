// A member's log, synced, survives a power loss that keeps only what was fsynced: the
// directories it lives in as well as its files (found by the lose-unsynced nemesis).
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
  const std::string root = files.root;
  auto status = RunUnderShim(WARREN_LOSE_UNSYNCED, DURABLE_LOG_WRITER, root, files);
  ASSERT_TRUE(status.ok()) << status.status();
  ASSERT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << *status;

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
