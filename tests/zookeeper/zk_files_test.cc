// ZooKeeper's snapshot and transaction log readers (import-zk), on bytes written here with
// JuteWriter as FileSnap and FileTxnLog write them (zookeeper.jute, SerializeUtils).
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "metastore/import/adler32.h"
#include "metastore/import/zk_snapshot.h"
#include "metastore/import/zk_txn_log.h"
#include "metastore/zookeeper/jute.h"

namespace warren::metastore::import {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using zookeeper::JuteWriter;

// --- Writing ZooKeeper's files -------------------------------------------------------------

void WriteAcl(JuteWriter& w, const std::vector<ZkAcl>& acl) {
  w.Int(static_cast<int32_t>(acl.size()));
  for (const ZkAcl& a : acl) {
    w.Int(a.perms);
    w.String(a.scheme);
    w.String(a.id);
  }
}

void WriteStat(JuteWriter& w, const ZkStat& s) {
  w.Long(s.czxid);
  w.Long(s.mzxid);
  w.Long(s.ctime);
  w.Long(s.mtime);
  w.Int(s.version);
  w.Int(s.cversion);
  w.Int(s.aversion);
  w.Long(s.ephemeral_owner);
  w.Long(s.pzxid);
}

// SnapStream.sealStream: the Adler-32 of everything so far, then "/".
void Seal(JuteWriter& w) {
  const uint32_t sum = Adler32(w.bytes());
  w.Long(sum);
  w.String("/");
}

struct Node {
  std::string path;
  std::string data;
  int64_t acl;
  ZkStat stat;
};

const ZkAcl kDigest{31, "digest", "admin:fvr2cB/fjGeAiX8g1aGhUm3ZICk="};
const ZkAcl kWorldRead{1, "world", "anyone"};

std::vector<Node> SomeNodes() {
  return {{"", "", -1, {}},
          {"/zookeeper", "", -1, {}},
          {"/app", std::string("\0\xff", 2), 1, {5, 6, 1000, 2000, 1, 3, 2, 0, 7}},
          {"/app/e", "", -1, {8, 8, 3000, 3000, 0, 0, 0, 0x1000000000001, 8}}};
}

// A 3.8 snapshot: header, sessions, ACL cache, nodes, "/", seal, digest, seal.
std::string Snapshot(const std::vector<Node>& nodes, bool digest = true) {
  JuteWriter w;
  w.Int(kSnapshotMagic);
  w.Int(2);
  w.Long(0);
  w.Int(2);  // sessions
  w.Long(0x1000000000001);
  w.Int(4000);
  w.Long(0x1000000000002);
  w.Int(30000);
  w.Int(1);  // ACL lists
  w.Long(1);
  WriteAcl(w, {kDigest, kWorldRead});
  for (const Node& n : nodes) {
    w.String(n.path);
    w.Buffer(n.data);
    w.Long(n.acl);
    WriteStat(w, n.stat);
  }
  w.String("/");
  Seal(w);
  if (digest) {
    w.Long(9);  // zxid
    w.Int(2);   // digest version
    w.Long(0x1234);
    Seal(w);
  }
  return w.Take();
}

// --- Adler-32 ------------------------------------------------------------------------------

TEST(Adler32, KnownValues) {
  EXPECT_EQ(Adler32(""), 1u);
  EXPECT_EQ(Adler32("Wikipedia"), 0x11E60398u);
  // Past the 5552-byte block the sums are reduced in.
  EXPECT_EQ(Adler32(std::string(100000, '\xff')), 0x149a302cu);
}

// --- Snapshots -----------------------------------------------------------------------------

TEST(ZkSnapshot, ReadsSessionsAclsAndNodes) {
  auto snap = ParseSnapshot(Snapshot(SomeNodes()));
  ASSERT_TRUE(snap.ok()) << snap.status();
  EXPECT_EQ(snap->sessions.size(), 2u);
  EXPECT_EQ(snap->sessions.at(0x1000000000002), 30000);
  ASSERT_EQ(snap->nodes.size(), 4u);
  EXPECT_EQ(snap->nodes[0].path, "/");                                         // stored as ""
  EXPECT_THAT(snap->nodes[0].acl, ElementsAre(ZkAcl{31, "world", "anyone"}));  // ref -1
  const ZkSnapshotNode& app = snap->nodes[2];
  EXPECT_EQ(app.path, "/app");
  EXPECT_EQ(app.data, std::string("\0\xff", 2));
  EXPECT_THAT(app.acl, ElementsAre(kDigest, kWorldRead));
  EXPECT_EQ(app.stat.czxid, 5);
  EXPECT_EQ(app.stat.mzxid, 6);
  EXPECT_EQ(app.stat.ctime, 1000);
  EXPECT_EQ(app.stat.mtime, 2000);
  EXPECT_EQ(app.stat.version, 1);
  EXPECT_EQ(app.stat.cversion, 3);
  EXPECT_EQ(app.stat.aversion, 2);
  EXPECT_EQ(app.stat.pzxid, 7);
  EXPECT_EQ(snap->nodes[3].stat.ephemeral_owner, 0x1000000000001);
}

TEST(ZkSnapshot, BeforeDigestsToo) {
  auto snap = ParseSnapshot(Snapshot(SomeNodes(), /*digest=*/false));
  ASSERT_TRUE(snap.ok()) << snap.status();
  EXPECT_EQ(snap->nodes.size(), 4u);
}

TEST(ZkSnapshot, AByteChangedFailsTheChecksum) {
  std::string bytes = Snapshot(SomeNodes());
  bytes[bytes.find("admin:")] ^= 1;
  auto snap = ParseSnapshot(bytes);
  EXPECT_EQ(snap.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(snap.status().message(), HasSubstr("checksum after the nodes does not match"));
}

TEST(ZkSnapshot, TheDigestIsSealedToo) {
  std::string bytes = Snapshot(SomeNodes());
  bytes[bytes.size() - 10] ^= 1;  // in the second seal's checksum
  EXPECT_THAT(ParseSnapshot(bytes).status().message(), HasSubstr("after the digest"));
}

TEST(ZkSnapshot, CutShortFails) {
  const std::string bytes = Snapshot(SomeNodes());
  for (size_t len : {size_t{3}, size_t{30}, bytes.size() / 2, bytes.size() - 30}) {
    auto snap = ParseSnapshot(bytes.substr(0, len));
    EXPECT_EQ(snap.status().code(), absl::StatusCode::kDataLoss) << len;
  }
}

TEST(ZkSnapshot, NotASnapshot) {
  auto snap = ParseSnapshot("ZKLG and more bytes than a header");
  EXPECT_THAT(snap.status().message(), HasSubstr("not a ZooKeeper snapshot"));
}

TEST(ZkSnapshot, AnAclMissingFromTheCache) {
  std::vector<Node> nodes = SomeNodes();
  nodes[2].acl = 7;
  EXPECT_THAT(ParseSnapshot(Snapshot(nodes)).status().message(),
              HasSubstr("node /app refers to ACL 7"));
}

TEST(ZkSnapshot, ANodeBeforeItsParent) {
  std::vector<Node> nodes = SomeNodes();
  std::swap(nodes[2], nodes[3]);
  EXPECT_THAT(ParseSnapshot(Snapshot(nodes)).status().message(),
              HasSubstr("/app/e comes without its parent"));
}

// --- Transaction logs ----------------------------------------------------------------------

constexpr int64_t kSession = 0x1000000000001;

// TxnHeader, then the body `body` writes.
template <typename Body>
std::string Txn(int64_t zxid, int32_t type, Body body) {
  JuteWriter w;
  w.Long(kSession);
  w.Int(7);  // cxid
  w.Long(zxid);
  w.Long(5000 + zxid);  // time
  w.Int(type);
  body(w);
  return w.Take();
}

// checksum, length, bytes, 'B'.
void Record(std::string& log, const std::string& txn) {
  JuteWriter w;
  w.Long(Adler32(txn));
  w.Buffer(txn);
  log += w.bytes();
  log += 'B';
}

std::string LogHeader() {
  JuteWriter w;
  w.Int(kTxnLogMagic);
  w.Int(2);
  w.Long(0);
  return w.Take();
}

void CreateBody(JuteWriter& w, const std::string& path, bool ephemeral, int32_t cversion) {
  w.String(path);
  w.Buffer("data");
  WriteAcl(w, {kWorldRead});
  w.Bool(ephemeral);
  w.Int(cversion);
}

TEST(ZkTxnLog, ReadsEveryTransactionType) {
  std::string log = LogHeader();
  Record(log, Txn(1, zookeeper::op::kCreateSession, [](JuteWriter& w) { w.Int(4000); }));
  Record(log, Txn(2, zookeeper::op::kCreate, [](JuteWriter& w) { CreateBody(w, "/a", false, 1); }));
  Record(log,
         Txn(3, zookeeper::op::kCreate2, [](JuteWriter& w) { CreateBody(w, "/a/e", true, 1); }));
  Record(log, Txn(4, zookeeper::op::kCreateContainer, [](JuteWriter& w) {
           w.String("/c");
           w.Buffer("");
           WriteAcl(w, {kDigest});
           w.Int(3);
         }));
  Record(log, Txn(5, zookeeper::op::kCreateTtl, [](JuteWriter& w) {
           w.String("/t");
           w.Buffer("x");
           WriteAcl(w, {kWorldRead});
           w.Int(4);
           w.Long(60000);
         }));
  Record(log, Txn(6, zookeeper::op::kSetData, [](JuteWriter& w) {
           w.String("/a");
           w.Buffer(std::string("\0\0", 2));
           w.Int(1);
           w.Int(2);  // 3.6+ may append a TxnDigest (version, digest): read past
           w.Long(99);
         }));
  Record(log, Txn(7, zookeeper::op::kSetAcl, [](JuteWriter& w) {
           w.String("/a");
           WriteAcl(w, {kDigest, kWorldRead});
           w.Int(1);
         }));
  Record(log, Txn(8, zookeeper::op::kCheck, [](JuteWriter& w) {
           w.String("/a");
           w.Int(1);
         }));
  Record(log, Txn(9, zookeeper::op::kMulti, [](JuteWriter& w) {
           JuteWriter create, del, check;
           CreateBody(create, "/m", false, 5);
           del.String("/t");
           check.String("/a");
           check.Int(1);
           w.Int(3);
           w.Int(zookeeper::op::kCreate);
           w.Buffer(create.bytes());
           w.Int(zookeeper::op::kDelete);
           w.Buffer(del.bytes());
           w.Int(zookeeper::op::kCheck);
           w.Buffer(check.bytes());
         }));
  Record(log, Txn(10, zookeeper::op::kError, [](JuteWriter& w) { w.Int(-110); }));
  Record(log, Txn(11, zookeeper::op::kDeleteContainer, [](JuteWriter& w) { w.String("/c"); }));
  Record(log, Txn(12, zookeeper::op::kDelete, [](JuteWriter& w) { w.String("/m"); }));
  Record(log, Txn(13, zookeeper::op::kCloseSession, [](JuteWriter& w) { w.Strings({"/a/e"}); }));
  Record(log, Txn(14, zookeeper::op::kCloseSession, [](JuteWriter&) {}));  // before 3.6: no body
  Record(log, Txn(15, zookeeper::op::kReconfig, [](JuteWriter& w) {
           w.String("/zookeeper/config");
           w.Buffer("server.1=...");
           w.Int(-1);
         }));
  Record(log,
         Txn(16, zookeeper::op::kCreate, [](JuteWriter& w) {  // a CreateTxnV0: no parentCVersion
           w.String("/v0");
           w.Buffer("");
           WriteAcl(w, {kWorldRead});
           w.Bool(false);
         }));
  log += std::string(100, '\0');  // the preallocated rest of the file

  auto read = ParseTxnLog(log);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_FALSE(read->torn_at.has_value());
  const auto& t = read->txns;
  ASSERT_EQ(t.size(), 16u);
  for (size_t i = 0; i < t.size(); ++i) {
    EXPECT_EQ(t[i].header.zxid, static_cast<int64_t>(i + 1));
    EXPECT_EQ(t[i].header.client_id, kSession);
    EXPECT_EQ(t[i].header.time, static_cast<int64_t>(5001 + i));
  }
  EXPECT_EQ(t[0].txn.timeout, 4000);
  EXPECT_EQ(t[1].txn.path, "/a");
  EXPECT_EQ(t[1].txn.data, "data");
  EXPECT_THAT(t[1].txn.acl, ElementsAre(kWorldRead));
  EXPECT_FALSE(t[1].txn.ephemeral);
  EXPECT_EQ(t[1].txn.parent_cversion, 1);
  EXPECT_TRUE(t[2].txn.ephemeral);
  EXPECT_EQ(t[3].txn.path, "/c");
  EXPECT_EQ(t[3].txn.parent_cversion, 3);
  EXPECT_THAT(t[3].txn.acl, ElementsAre(kDigest));
  EXPECT_EQ(t[4].txn.ttl, 60000);
  EXPECT_EQ(t[4].txn.parent_cversion, 4);
  EXPECT_EQ(t[5].txn.data, std::string("\0\0", 2));
  EXPECT_EQ(t[5].txn.version, 1);
  EXPECT_THAT(t[6].txn.acl, ElementsAre(kDigest, kWorldRead));
  EXPECT_EQ(t[7].txn.type, zookeeper::op::kCheck);
  ASSERT_EQ(t[8].txn.ops.size(), 3u);
  EXPECT_EQ(t[8].txn.ops[0].path, "/m");
  EXPECT_EQ(t[8].txn.ops[0].parent_cversion, 5);
  EXPECT_EQ(t[8].txn.ops[1].type, zookeeper::op::kDelete);
  EXPECT_EQ(t[8].txn.ops[2].version, 1);
  EXPECT_EQ(t[9].txn.err, -110);
  EXPECT_EQ(t[10].txn.type, zookeeper::op::kDeleteContainer);
  EXPECT_TRUE(t[12].txn.has_paths);
  EXPECT_THAT(t[12].txn.paths, ElementsAre("/a/e"));
  EXPECT_FALSE(t[13].txn.has_paths);
  EXPECT_EQ(t[14].txn.type, zookeeper::op::kReconfig);
  EXPECT_EQ(t[15].txn.parent_cversion, -1);
}

std::string ThreeCreates(std::vector<size_t>* offsets) {
  std::string log = LogHeader();
  for (int64_t zxid = 1; zxid <= 3; ++zxid) {
    offsets->push_back(log.size());
    Record(log, Txn(zxid, zookeeper::op::kCreate, [zxid](JuteWriter& w) {
             CreateBody(w, "/n" + std::to_string(zxid), false, static_cast<int32_t>(zxid));
           }));
  }
  return log;
}

TEST(ZkTxnLog, ATornLastRecordEndsTheLog) {
  std::vector<size_t> at;
  const std::string log = ThreeCreates(&at);
  // Cut inside the last record, and: whole but without its 'B' (then zeros, as preallocated).
  for (const std::string& torn :
       {log.substr(0, log.size() - 5), log.substr(0, log.size() - 1) + std::string(30, '\0')}) {
    auto read = ParseTxnLog(torn);
    ASSERT_TRUE(read.ok()) << read.status();
    EXPECT_EQ(read->txns.size(), 2u);
    EXPECT_EQ(read->torn_at, at[2]);
  }
}

TEST(ZkTxnLog, AChecksumMismatchIsAnError) {
  std::vector<size_t> at;
  std::string log = ThreeCreates(&at);
  log[log.find("/n2")] = 'X';
  auto read = ParseTxnLog(log);
  EXPECT_EQ(read.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(read.status().message(),
              HasSubstr("record at offset " + std::to_string(at[1]) + " does not match"));
}

TEST(ZkTxnLog, AnUnknownTypeIsAnError) {
  std::string log = LogHeader();
  Record(log, Txn(1, 42, [](JuteWriter& w) { w.String("/x"); }));
  auto read = ParseTxnLog(log);
  EXPECT_EQ(read.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(read.status().message(), HasSubstr("unknown transaction type 42"));

  log = LogHeader();
  Record(log, Txn(1, zookeeper::op::kMulti, [](JuteWriter& w) {
           w.Int(1);
           w.Int(zookeeper::op::kSetAcl);  // not allowed in a multi
           w.Buffer("");
         }));
  EXPECT_THAT(ParseTxnLog(log).status().message(), HasSubstr("op of unknown type 7"));
}

TEST(ZkTxnLog, NotALog) {
  EXPECT_THAT(ParseTxnLog("ZKSN............").status().message(),
              HasSubstr("not a ZooKeeper transaction log"));
  JuteWriter w;
  w.Int(kTxnLogMagic);
  w.Int(3);
  w.Long(0);
  EXPECT_THAT(ParseTxnLog(w.bytes()).status().message(), HasSubstr("version 3"));
  // Made but never written: nothing in it.
  auto empty = ParseTxnLog(std::string(8, '\0'));
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->txns.empty());
}

}  // namespace
}  // namespace warren::metastore::import
