// The rollback of lose_unsynced.c's journal: unsynced_writer writes, syncs and renames under
// the shim, then the rollback must leave exactly what the syncs made durable.
#include "jepsen/faults/unsynced_rollback.h"

#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "gtest/gtest.h"

extern char** environ;

namespace warren::jepsen {
namespace {

namespace fs = std::filesystem;

std::string Contents(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class UnsyncedRollbackTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/unsynced-rollback-XXXXXX";
    base_ = mkdtemp(tmpl);
    files_.root = base_ + "/data";
    files_.journal = base_ + "/journal";
    files_.stash = base_ + "/stash";
  }
  void TearDown() override { fs::remove_all(base_); }

  // Runs the writer under the shim; it creates the root.
  void RunWriter() {
    auto status = RunUnderShim(WARREN_LOSE_UNSYNCED, UNSYNCED_WRITER, files_.root, files_);
    ASSERT_TRUE(status.ok()) << status.status();
    ASSERT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << *status;
    // Before the rollback, everything written is there, as after a process crash.
    ASSERT_EQ(At("append"), "hello world");
    ASSERT_EQ(At("atomic"), "new");
  }

  std::string At(const std::string& name) { return Contents(files_.root + "/" + name + "/f"); }
  bool Exists(const std::string& path) { return fs::exists(files_.root + "/" + path); }

  std::string base_;
  UnsyncedFiles files_;
};

TEST_F(UnsyncedRollbackTest, KeepsExactlyWhatWasSynced) {
  RunWriter();
  auto r = RollBackUnsynced(files_, /*torn=*/false, 1);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(At("append"), "hello");
  EXPECT_EQ(At("synced-twice"), "one two");
  EXPECT_EQ(At("overwrite"), "AAAA");
  EXPECT_EQ(At("shrunk"), "123456");
  EXPECT_EQ(At("preallocated"), std::string(64, '\0'));
  EXPECT_EQ(At("atomic"), "old");
  EXPECT_FALSE(Exists("atomic/f.tmp"));
  EXPECT_EQ(At("atomic-synced"), "new");
  EXPECT_FALSE(Exists("atomic-synced/f.tmp"));
  EXPECT_EQ(At("unlinked"), "still here");
  EXPECT_EQ(At("dsync"), "ab");
  EXPECT_FALSE(Exists("newdir"));
  EXPECT_FALSE(Exists("removed-dir/sub"));
  EXPECT_EQ(At("torn"), "");
  EXPECT_GT(r->writes_undone, 0);
  EXPECT_GT(r->names_undone, 0);
  // The journal and the stash are spent: what is on disk now is the starting point.
  EXPECT_FALSE(fs::exists(files_.journal));
  EXPECT_FALSE(fs::exists(files_.stash));
}

TEST_F(UnsyncedRollbackTest, ATornWriteKeepsAPrefixOfItself) {
  bool some_torn = false;
  for (uint64_t seed = 1; seed <= 8; ++seed) {
    RunWriter();
    auto r = RollBackUnsynced(files_, /*torn=*/true, seed);
    ASSERT_TRUE(r.ok()) << r.status();
    const std::string torn = At("torn");
    EXPECT_EQ(torn, std::string("0123456789").substr(0, torn.size()));
    EXPECT_LT(torn.size(), 10u);
    some_torn = some_torn || !torn.empty();
    // What was synced is kept whatever is torn.
    EXPECT_EQ(At("synced-twice").substr(0, 7), "one two");
    EXPECT_EQ(At("atomic-synced"), "new");
    fs::remove_all(files_.root);
  }
  EXPECT_TRUE(some_torn);
}

}  // namespace
}  // namespace warren::jepsen
