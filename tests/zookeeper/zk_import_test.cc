// import-zk's replay of ZooKeeper's transactions (ZkTree, as DataTree.processTxn), the data
// directory it picks its files from, ZooKeeper's session passwords, and the Warren tree it
// writes, loaded by ZNodeTree as a member loads it.
#include <filesystem>
#include <fstream>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "metastore/import/adler32.h"
#include "metastore/import/warren_tree.h"
#include "metastore/import/zk_data_dir.h"
#include "metastore/import/zk_password.h"
#include "metastore/import/zk_snapshot.h"
#include "metastore/import/zk_txn_log.h"
#include "metastore/zookeeper/jute.h"
#include "tests/metastore/tree_fixture.h"

namespace warren::metastore::import {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using zookeeper::JuteWriter;

constexpr int64_t kSession = 0x1000000000001;
const std::vector<ZkAcl> kOpen = {{31, "world", "anyone"}};

ZkSnapshot RootOnly() {
  ZkSnapshot s;
  s.nodes.push_back({"/", "", kOpen, {}});
  s.nodes.push_back({"/zookeeper", "", kOpen, {}});
  return s;
}

ZkLoggedTxn ZkCreate(int64_t zxid, const std::string& path, int32_t parent_cversion,
                     int32_t type = zookeeper::op::kCreate, bool ephemeral = false) {
  ZkLoggedTxn t;
  t.header = {kSession, 1, zxid, 1000 + zxid, type};
  t.txn.type = type;
  t.txn.path = path;
  t.txn.data = "d";
  t.txn.acl = kOpen;
  t.txn.ephemeral = ephemeral;
  t.txn.parent_cversion = parent_cversion;
  return t;
}

ZkLoggedTxn ZkDelete(int64_t zxid, const std::string& path) {
  ZkLoggedTxn t;
  t.header = {kSession, 1, zxid, 1000 + zxid, zookeeper::op::kDelete};
  t.txn.type = zookeeper::op::kDelete;
  t.txn.path = path;
  return t;
}

// --- Replay --------------------------------------------------------------------------------

TEST(ZkTree, CreateAndDeleteAsDataTree) {
  ZkTree tree(RootOnly());
  tree.Apply(ZkCreate(1, "/a", 1));
  tree.Apply(ZkCreate(2, "/a/x", 1));
  tree.Apply(ZkCreate(3, "/a/y", 2));
  tree.Apply(ZkDelete(4, "/a/x"));
  const ZkNode& a = tree.nodes().at("/a");
  EXPECT_EQ(a.stat.cversion, 2);  // creates only: a delete leaves it
  EXPECT_EQ(a.stat.pzxid, 4);
  EXPECT_EQ(a.children, std::set<std::string>{"y"});
  const ZkNode& y = tree.nodes().at("/a/y");
  EXPECT_EQ(y.stat.czxid, 3);
  EXPECT_EQ(y.stat.mzxid, 3);
  EXPECT_EQ(y.stat.pzxid, 3);
  EXPECT_EQ(y.stat.ctime, 1003);
  EXPECT_EQ(tree.skipped(), 0);
}

TEST(ZkTree, AFuzzySnapshotsTransactionsAreSkipped) {
  ZkTree tree(RootOnly());
  tree.Apply(ZkCreate(1, "/a", 1));
  tree.Apply(ZkCreate(2, "/a/x", 1));
  // Replayed again, as after a snapshot taken while they applied: the node is there; a plain
  // create still moves its parent's cversion and pzxid on (DataTree.processTxn's fix-up).
  tree.Apply(ZkCreate(3, "/a/x", 4));
  EXPECT_EQ(tree.nodes().at("/a").stat.cversion, 4);
  EXPECT_EQ(tree.nodes().at("/a").stat.pzxid, 3);
  tree.Apply(ZkDelete(4, "/nothing"));
  EXPECT_EQ(tree.skipped(), 2);
}

TEST(ZkTree, AFailedMultiAppliesNothing) {
  ZkTree tree(RootOnly());
  ZkLoggedTxn multi;
  multi.header = {kSession, 1, 1, 1001, zookeeper::op::kMulti};
  multi.txn.type = zookeeper::op::kMulti;
  multi.txn.ops.push_back(ZkCreate(1, "/m", 1).txn);
  ZkTxn error;
  error.type = zookeeper::op::kError;
  error.err = -101;
  multi.txn.ops.push_back(error);
  tree.Apply(multi);
  EXPECT_FALSE(tree.nodes().contains("/m"));
  multi.txn.ops.pop_back();
  multi.txn.ops.push_back(ZkCreate(1, "/m/n", 1).txn);
  tree.Apply(multi);
  EXPECT_TRUE(tree.nodes().contains("/m/n"));
}

TEST(ZkTree, ClosingASessionDeletesItsEphemerals) {
  ZkTree tree(RootOnly());
  ZkLoggedTxn open;
  open.header = {kSession, 0, 1, 1001, zookeeper::op::kCreateSession};
  open.txn.timeout = 4000;
  tree.Apply(open);
  EXPECT_EQ(tree.sessions().at(kSession), 4000);
  tree.Apply(ZkCreate(2, "/e1", 1, zookeeper::op::kCreate2, true));
  tree.Apply(ZkCreate(3, "/e2", 2, zookeeper::op::kCreate, true));
  tree.Apply(ZkCreate(4, "/p", 3));
  ZkLoggedTxn close;
  close.header = {kSession, 0, 5, 1005, zookeeper::op::kCloseSession};
  close.txn.has_paths = true;
  close.txn.paths = {"/e1"};  // and /e2, which the session also owned
  tree.Apply(close);
  EXPECT_FALSE(tree.nodes().contains("/e1"));
  EXPECT_FALSE(tree.nodes().contains("/e2"));
  EXPECT_TRUE(tree.nodes().contains("/p"));
  EXPECT_TRUE(tree.sessions().empty());
}

TEST(ZkTree, TheEphemeralsOfSessionsNoLongerLiveGo) {
  ZkSnapshot snap = RootOnly();
  snap.sessions[kSession] = 4000;
  snap.nodes.push_back({"/live", "", kOpen, {2, 2, 0, 0, 0, 0, 0, kSession, 2}});
  snap.nodes.push_back({"/dead", "", kOpen, {3, 3, 0, 0, 0, 0, 0, kSession + 1, 3}});
  ZkTree tree(snap);
  EXPECT_EQ(tree.DropDeadSessions(9), 1);
  EXPECT_TRUE(tree.nodes().contains("/live"));
  EXPECT_FALSE(tree.nodes().contains("/dead"));
  EXPECT_EQ(tree.nodes().at("/").stat.pzxid, 9);
}

TEST(ZkTree, ContainersAndTtlNodesAreMarkedInTheOwner) {
  ZkTree tree(RootOnly());
  tree.Apply(ZkCreate(1, "/c", 1, zookeeper::op::kCreateContainer));
  ZkLoggedTxn ttl = ZkCreate(2, "/t", 2, zookeeper::op::kCreateTtl);
  ttl.txn.ttl = 60000;
  tree.Apply(ttl);
  EXPECT_EQ(tree.nodes().at("/c").stat.ephemeral_owner, kContainerOwner);
  EXPECT_EQ(static_cast<uint64_t>(tree.nodes().at("/t").stat.ephemeral_owner), 0xff0000000000ea60u);
  EXPECT_TRUE(IsTtlOwner(tree.nodes().at("/t").stat.ephemeral_owner));
}

TEST(ZxidFollows, NextCounterOrNewEpoch) {
  EXPECT_TRUE(ZxidFollows(5, 6));
  EXPECT_FALSE(ZxidFollows(5, 7));
  EXPECT_TRUE(ZxidFollows(0x100000009, 0x200000001));
  EXPECT_FALSE(ZxidFollows(0x100000009, 0x200000002));
}

// --- Passwords -----------------------------------------------------------------------------

TEST(ZooKeeperSessionPassword, AsZooKeeperGeneratesIt) {
  // From java.util.Random(id ^ 0xB3415C00L).nextBytes(new byte[16]), run on a JVM.
  EXPECT_EQ(absl::BytesToHexString(ZooKeeperSessionPassword(72061462889299970)),
            "b903a07c40b452506b6b644e22565847");
  EXPECT_EQ(absl::BytesToHexString(ZooKeeperSessionPassword(1)),
            "054cc74a37327db215e702e20c73f005");
}

// --- A data directory ----------------------------------------------------------------------

// Minimal files: a snapshot of the root alone at `zxid`, and logs of creates.
std::string SnapshotFile() {
  JuteWriter w;
  w.Int(kSnapshotMagic);
  w.Int(2);
  w.Long(0);
  w.Int(0);  // sessions
  w.Int(0);  // ACL lists
  w.String("");
  w.Buffer("");
  w.Long(-1);
  for (int i = 0; i < 4; ++i) w.Long(0);
  for (int i = 0; i < 3; ++i) w.Int(0);
  w.Long(0);
  w.Long(0);
  w.String("/");
  const uint32_t sum = Adler32(w.bytes());
  w.Long(sum);
  w.String("/");
  return w.Take();
}

std::string LogFile(int64_t first, int64_t last) {
  JuteWriter w;
  w.Int(kTxnLogMagic);
  w.Int(2);
  w.Long(0);
  std::string log = w.Take();
  for (int64_t zxid = first; zxid <= last; ++zxid) {
    JuteWriter t;
    t.Long(kSession);
    t.Int(1);
    t.Long(zxid);
    t.Long(1000);
    t.Int(zookeeper::op::kCreate);
    t.String(absl::StrCat("/n", zxid));
    t.Buffer("");
    t.Int(1);
    t.Int(31);
    t.String("world");
    t.String("anyone");
    t.Bool(false);
    t.Int(static_cast<int32_t>(zxid));
    JuteWriter r;
    r.Long(Adler32(t.bytes()));
    r.Buffer(t.bytes());
    log += r.bytes();
    log += 'B';
  }
  return log;
}

class ZkDataDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        fs::temp_directory_path() /
        absl::StrCat("warren-zk-", ::testing::UnitTest::GetInstance()->current_test_info()->name(),
                     "-", getpid());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "version-2");
  }
  void TearDown() override { fs::remove_all(dir_); }
  void Put(const std::string& name, const std::string& bytes) {
    std::ofstream(dir_ / "version-2" / name, std::ios::binary) << bytes;
  }
  fs::path dir_;
};

TEST_F(ZkDataDirTest, TheNewestSnapshotAndTheLogsAfterIt) {
  Put("snapshot.0", SnapshotFile());
  Put("snapshot.3", SnapshotFile());  // as if /n1../n3 were in it: a root-only one will do
  Put("log.1", LogFile(1, 4));
  Put("log.5", LogFile(5, 6));
  auto zk = LoadZkDataDir(dir_.string(), "");  // dataDir: version-2 found below it
  ASSERT_TRUE(zk.ok()) << zk.status();
  EXPECT_EQ(zk->snapshot_zxid, 3);
  EXPECT_EQ(zk->txns, 3);  // 4, 5, 6
  EXPECT_EQ(zk->last_zxid, 6);
  EXPECT_FALSE(zk->tree->nodes().contains("/n3"));
  EXPECT_TRUE(zk->tree->nodes().contains("/n4"));
  EXPECT_TRUE(zk->tree->nodes().contains("/n6"));
  EXPECT_EQ(zk->logs.size(), 2u);
  // The version-2 directory itself will do too.
  EXPECT_TRUE(LoadZkDataDir((dir_ / "version-2").string(), "").ok());
}

TEST_F(ZkDataDirTest, ACorruptSnapshotFallsBackToAnOlderOne) {
  Put("snapshot.0", SnapshotFile());
  std::string bad = SnapshotFile();
  bad[bad.size() - 8] ^= 1;
  Put("snapshot.4", bad);
  Put("log.1", LogFile(1, 5));
  auto zk = LoadZkDataDir(dir_.string(), "");
  ASSERT_TRUE(zk.ok()) << zk.status();
  EXPECT_EQ(zk->snapshot_zxid, 0);
  EXPECT_EQ(zk->txns, 5);
  ASSERT_EQ(zk->bad_snapshots.size(), 1u);
  EXPECT_THAT(zk->bad_snapshots[0], HasSubstr("snapshot.4: the checksum"));
}

TEST_F(ZkDataDirTest, Errors) {
  EXPECT_THAT(LoadZkDataDir((dir_ / "none").string(), "").status().message(),
              HasSubstr("no directory"));
  fs::create_directories(dir_ / "other");
  EXPECT_THAT(LoadZkDataDir((dir_ / "other").string(), "").status().message(),
              HasSubstr("is not a ZooKeeper data directory"));
  Put("log.1", LogFile(1, 2));
  EXPECT_THAT(LoadZkDataDir(dir_.string(), "").status().message(), HasSubstr("no snapshot in"));
  std::string bad = SnapshotFile();
  bad[bad.size() - 8] ^= 1;
  Put("snapshot.0", bad);
  EXPECT_THAT(LoadZkDataDir(dir_.string(), "").status().message(), HasSubstr("reads whole"));

  Put("snapshot.0", SnapshotFile());
  Put("log.1", LogFile(2, 3));  // 1 is missing
  auto gap = LoadZkDataDir(dir_.string(), "");
  EXPECT_THAT(gap.status().message(), HasSubstr("log.1: transaction 0x2 follows 0x0"));

  std::string log = LogFile(1, 3);
  log[log.size() - 3] ^= 1;
  Put("log.1", log);
  EXPECT_THAT(LoadZkDataDir(dir_.string(), "").status().message(),
              HasSubstr("log.1: the record at offset"));
}

TEST_F(ZkDataDirTest, ASeparateLogDir) {
  Put("snapshot.0", SnapshotFile());
  fs::create_directories(dir_ / "logs" / "version-2");
  std::ofstream(dir_ / "logs" / "version-2" / "log.1", std::ios::binary) << LogFile(1, 2);
  auto zk = LoadZkDataDir(dir_.string(), (dir_ / "logs").string());
  ASSERT_TRUE(zk.ok()) << zk.status();
  EXPECT_EQ(zk->last_zxid, 2);
}

// --- The Warren tree -----------------------------------------------------------------------

class WarrenTreeTest : public TreeTest {};

TEST_F(WarrenTreeTest, LoadsAsZooKeeperShowedIt) {
  ZkSnapshot snap = RootOnly();
  snap.sessions[kSession] = 6000;
  ZkTree zk(snap);
  zk.Apply(ZkCreate(0x100000001, "/seq", 1));
  for (int i = 0; i < 4; ++i)
    zk.Apply(ZkCreate(0x100000002 + i, "/seq/n" + std::to_string(i), i + 1));
  zk.Apply(ZkDelete(0x100000006, "/seq/n1"));
  zk.Apply(ZkCreate(0x100000007, "/c", 2, zookeeper::op::kCreateContainer));
  ZkLoggedTxn ttl = ZkCreate(0x100000008, "/t", 3, zookeeper::op::kCreateTtl);
  ttl.txn.ttl = 5000;
  zk.Apply(ttl);
  zk.Apply(ZkCreate(0x100000009, "/e", 4, zookeeper::op::kCreate, true));
  ZkLoggedTxn acl;
  acl.header = {kSession, 1, 0x10000000a, 2000, zookeeper::op::kSetAcl};
  acl.txn.path = "/c";
  acl.txn.acl = {{1, "world", "anyone"}};
  acl.txn.version = 1;
  zk.Apply(acl);
  const uint64_t index = 0x10000000a;

  tree_.reset();
  fs::remove_all(dir_ / "tree");
  auto counts = WriteWarrenTree(zk, index, (dir_ / "tree").string());
  ASSERT_TRUE(counts.ok()) << counts.status();
  EXPECT_EQ(counts->nodes, 8);  // /, /seq and 3 children, /c, /t, /e
  EXPECT_EQ(counts->containers, 1);
  EXPECT_EQ(counts->ttl_nodes, 1);
  EXPECT_EQ(counts->ephemerals, 1);
  Reopen();
  EXPECT_EQ(tree_->LastApplied(), index);

  // cversion as ZooKeeper shows it: 4 creates and 1 delete.
  const metastorepb::Stat seq = Get("/seq").stat();
  EXPECT_EQ(seq.cversion(), 5);
  EXPECT_EQ(seq.num_children(), 3);
  EXPECT_EQ(seq.pzxid(), 0x100000006);
  const metastorepb::Stat root = Get("/").stat();
  EXPECT_EQ(root.num_children(), 5);  // /zookeeper too
  EXPECT_EQ(Get("/e").stat().ephemeral_owner(), kSession);
  EXPECT_EQ(Get("/c").stat().ephemeral_owner(), 0);
  EXPECT_EQ(Get("/c").stat().aversion(), 1);
  EXPECT_EQ(tree_->SessionPassword(kSession), ZooKeeperSessionPassword(kSession));
  EXPECT_EQ(tree_->SessionTimeout(kSession), 6000);

  // The next sequential child is the one ZooKeeper would name: by its 4 creates.
  EXPECT_EQ(Create("/seq/n", "", 0, false, true).results(0).path(), "/seq/n0000000004");
  EXPECT_EQ(Create("/seq/n", "", 0, false, true).results(0).path(), "/seq/n0000000005");
  // And new zxids follow the imported ones.
  EXPECT_GT(Create("/after").results(0).stat().czxid(), static_cast<int64_t>(index));
}

}  // namespace
}  // namespace warren::metastore::import
