// ZooKeeper's documented semantics, op by op, against the tree itself.
#include "metastore/znode_tree.h"

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "metastore/errors.h"
#include "tests/metastore/tree_fixture.h"
#include "tests/server/string_snapshot.h"

namespace warren::metastore {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

TEST_F(TreeTest, CreateSetsStatAndUpdatesParent) {
  auto r = Create("/a", "hello");
  ASSERT_EQ(r.error(), metastorepb::OK) << r.message();
  const uint64_t zxid = index_;
  ASSERT_EQ(r.results_size(), 1);
  EXPECT_EQ(r.results(0).path(), "/a");
  auto got = Get("/a");
  EXPECT_EQ(got.data(), "hello");
  const auto& st = got.stat();
  EXPECT_EQ(st.czxid(), zxid);
  EXPECT_EQ(st.mzxid(), zxid);
  EXPECT_EQ(st.pzxid(), zxid);
  EXPECT_EQ(st.ctime(), now_ms_);
  EXPECT_EQ(st.mtime(), now_ms_);
  EXPECT_EQ(st.version(), 0);
  EXPECT_EQ(st.cversion(), 0);
  EXPECT_EQ(st.aversion(), 0);
  EXPECT_EQ(st.ephemeral_owner(), 0);
  EXPECT_EQ(st.data_length(), 5);
  EXPECT_EQ(st.num_children(), 0);
  auto root = Get("/").stat();
  EXPECT_EQ(root.cversion(), 1);
  EXPECT_EQ(root.pzxid(), zxid);
  EXPECT_EQ(root.num_children(), 2);  // /a and ZooKeeper's /zookeeper
}

TEST_F(TreeTest, CreateErrors) {
  EXPECT_EQ(Create("/a/b").error(), metastorepb::NO_NODE);
  EXPECT_EQ(Create("/a/b").message(), "NoNode: /a/b");
  ASSERT_EQ(Create("/a").error(), metastorepb::OK);
  EXPECT_EQ(Create("/a").error(), metastorepb::NODE_EXISTS);
  EXPECT_EQ(Create("/").error(), metastorepb::NODE_EXISTS);
  EXPECT_EQ(Create("a").error(), metastorepb::INVALID_PATH);
  EXPECT_EQ(Create("/a/").error(), metastorepb::INVALID_PATH);
  EXPECT_EQ(Create("/a//b").error(), metastorepb::INVALID_PATH);
  EXPECT_EQ(Create("/a/./b").error(), metastorepb::INVALID_PATH);
  EXPECT_EQ(Create(std::string("/a\0b", 4)).error(), metastorepb::INVALID_PATH);
  auto big = Create("/big", std::string((1 << 20) + 1, 'x'));
  EXPECT_EQ(big.error(), metastorepb::BAD_ARGUMENTS);
  EXPECT_THAT(big.message(), HasSubstr("limit"));
  EXPECT_EQ(Create("/e", "", 0, /*ephemeral=*/true).error(), metastorepb::BAD_ARGUMENTS);
  EXPECT_EQ(Create("/e", "", 12345, /*ephemeral=*/true).error(), metastorepb::SESSION_EXPIRED);
  uint64_t s = NewSession();
  ASSERT_EQ(Create("/e", "", s, true).error(), metastorepb::OK);
  EXPECT_EQ(Create("/e/child").error(), metastorepb::NO_CHILDREN_FOR_EPHEMERALS);
  // /a, /e and /zookeeper; the failures changed nothing
  EXPECT_EQ(Get("/").stat().num_children(), 3);
}

TEST_F(TreeTest, CreateFlagCombinationsAreRefused) {
  metastorepb::Op op = CreateOp("/c");
  op.mutable_create()->set_container(true);
  op.mutable_create()->set_sequential(true);
  EXPECT_EQ(Write(op).error(), metastorepb::BAD_ARGUMENTS);
  op = CreateOp("/t");
  op.mutable_create()->set_ttl_ms(-5);
  EXPECT_EQ(Write(op).error(), metastorepb::BAD_ARGUMENTS);
  uint64_t s = NewSession();
  op = CreateOp("/t");
  op.mutable_create()->set_ttl_ms(100);
  op.mutable_create()->set_ephemeral(true);
  EXPECT_EQ(Write(op, s).error(), metastorepb::BAD_ARGUMENTS);
  EXPECT_FALSE(Exists("/c"));
  EXPECT_FALSE(Exists("/t"));
}

TEST_F(TreeTest, SequentialNamesArePerParentTenDigitsAndNeverReused) {
  ASSERT_EQ(Create("/q").error(), metastorepb::OK);
  ASSERT_EQ(Create("/r").error(), metastorepb::OK);
  EXPECT_EQ(Create("/q/n-", "", 0, false, true).results(0).path(), "/q/n-0000000000");
  EXPECT_EQ(Create("/q/n-", "", 0, false, true).results(0).path(), "/q/n-0000000001");
  EXPECT_EQ(Create("/r/", "", 0, false, true).results(0).path(), "/r/0000000000");
  ASSERT_EQ(Delete("/q/n-0000000001").error(), metastorepb::OK);
  EXPECT_EQ(Create("/q/n-", "", 0, false, true).results(0).path(), "/q/n-0000000003");
  EXPECT_THAT(Children("/q"), ElementsAre("n-0000000000", "n-0000000003"));
}

TEST_F(TreeTest, SetDataChecksVersionAndBumpsIt) {
  ASSERT_EQ(Create("/a", "v0").error(), metastorepb::OK);
  auto r = SetData("/a", "v1", 0);
  ASSERT_EQ(r.error(), metastorepb::OK) << r.message();
  EXPECT_EQ(r.results(0).stat().version(), 1);
  EXPECT_EQ(r.results(0).stat().mzxid(), index_);
  EXPECT_EQ(SetData("/a", "v2", 0).error(), metastorepb::BAD_VERSION);
  EXPECT_EQ(SetData("/a", "v2", -1).error(), metastorepb::OK);
  EXPECT_EQ(SetData("/a", "v3", -2).error(), metastorepb::BAD_ARGUMENTS);
  EXPECT_EQ(SetData("/missing", "x").error(), metastorepb::NO_NODE);
  auto got = Get("/a");
  EXPECT_EQ(got.data(), "v2");
  EXPECT_EQ(got.stat().version(), 2);
  EXPECT_LT(got.stat().czxid(), got.stat().mzxid());
}

TEST_F(TreeTest, DeleteRules) {
  ASSERT_EQ(Create("/a").error(), metastorepb::OK);
  ASSERT_EQ(Create("/a/b").error(), metastorepb::OK);
  EXPECT_EQ(Delete("/a").error(), metastorepb::NOT_EMPTY);
  EXPECT_EQ(Delete("/a/b", 3).error(), metastorepb::BAD_VERSION);
  EXPECT_EQ(Delete("/").error(), metastorepb::BAD_ARGUMENTS);
  EXPECT_EQ(Delete("/nope").error(), metastorepb::NO_NODE);
  ASSERT_EQ(Delete("/a/b", 0).error(), metastorepb::OK);
  auto parent = Get("/a").stat();
  EXPECT_EQ(parent.cversion(), 2);  // one create, one delete
  EXPECT_EQ(parent.pzxid(), index_);
  EXPECT_EQ(parent.num_children(), 0);
  EXPECT_EQ(Delete("/a").error(), metastorepb::OK);
  EXPECT_FALSE(Exists("/a"));
}

TEST_F(TreeTest, MultiIsAllOrNothing) {
  ASSERT_EQ(Create("/x", "orig").error(), metastorepb::OK);
  metastorepb::Command cmd;
  auto* m = cmd.mutable_multi();
  *m->add_ops() = CreateOp("/y");
  *m->add_ops() = SetOp("/x", "changed");
  *m->add_ops() = DeleteOp("/x");
  *m->add_ops() = CheckOp("/x", 7);  // fails: /x was just deleted -> NoNode
  *m->add_ops() = CreateOp("/z");
  auto r = Run(cmd);
  EXPECT_EQ(r.error(), metastorepb::NO_NODE);
  ASSERT_EQ(r.results_size(), 5);
  EXPECT_EQ(r.results(0).error(), metastorepb::OK);
  EXPECT_EQ(r.results(2).error(), metastorepb::OK);
  EXPECT_EQ(r.results(3).error(), metastorepb::NO_NODE);
  EXPECT_EQ(r.results(4).error(), metastorepb::RUNTIME_INCONSISTENCY);
  EXPECT_FALSE(Exists("/y"));
  auto x = Get("/x");
  EXPECT_EQ(x.data(), "orig");
  EXPECT_EQ(x.stat().version(), 0);
  EXPECT_EQ(Get("/").stat().cversion(), 1);

  metastorepb::Command ok;
  *ok.mutable_multi()->add_ops() = CheckOp("/x", 0);
  *ok.mutable_multi()->add_ops() = CreateOp("/y");
  *ok.mutable_multi()->add_ops() = CreateOp("/y/z");
  *ok.mutable_multi()->add_ops() = SetOp("/x", "new", 0);
  auto r2 = Run(ok);
  ASSERT_EQ(r2.error(), metastorepb::OK) << r2.message();
  EXPECT_EQ(r2.results(2).path(), "/y/z");
  EXPECT_EQ(Get("/y/z").stat().czxid(), index_);  // one entry, one zxid
  EXPECT_EQ(Get("/x").stat().mzxid(), index_);
}

// What the member's metrics show (warren_metastore_data_bytes, _sessions): kept through
// creates, sets, deletes, a multi that rolls back, session ends and a reload.
TEST_F(TreeTest, DataBytesAndSessionCountFollowEveryChange) {
  EXPECT_EQ(tree_->data_bytes(), 0u);
  ASSERT_EQ(Create("/a", "12345").error(), metastorepb::OK);
  ASSERT_EQ(Create("/b", "xy").error(), metastorepb::OK);
  EXPECT_EQ(tree_->data_bytes(), 7u);
  ASSERT_EQ(SetData("/a", "1").error(), metastorepb::OK);
  EXPECT_EQ(tree_->data_bytes(), 3u);
  ASSERT_EQ(Delete("/b").error(), metastorepb::OK);
  EXPECT_EQ(tree_->data_bytes(), 1u);

  metastorepb::Command failing;
  *failing.mutable_multi()->add_ops() = SetOp("/a", "a longer value");
  *failing.mutable_multi()->add_ops() = CreateOp("/c", "more");
  *failing.mutable_multi()->add_ops() = DeleteOp("/a");
  *failing.mutable_multi()->add_ops() = CheckOp("/nope", 0);
  ASSERT_EQ(Run(failing).error(), metastorepb::NO_NODE);
  EXPECT_EQ(tree_->data_bytes(), 1u);

  const uint64_t session = NewSession();
  EXPECT_EQ(tree_->session_count(), 1u);
  ASSERT_EQ(Create("/e", "ephemeral", session, /*ephemeral=*/true).error(), metastorepb::OK);
  EXPECT_EQ(tree_->data_bytes(), 10u);
  metastorepb::Command close;
  close.set_session_id(session);
  close.set_close_session(true);
  ASSERT_EQ(Run(close).error(), metastorepb::OK);
  EXPECT_EQ(tree_->session_count(), 0u);
  EXPECT_EQ(tree_->data_bytes(), 1u);

  ASSERT_EQ(Create("/d", "abc").error(), metastorepb::OK);
  ASSERT_TRUE(tree_->Persist(index_, {}).ok());
  Reopen();
  EXPECT_EQ(tree_->data_bytes(), 4u);
}

// Broken on purpose (warrend --unsafe-non-atomic-multi), for the fault tests to catch: a
// failed multi keeps the ops before the failing one, and still answers its error.
TEST_F(TreeTest, UnsafeNonAtomicMultiKeepsTheOpsBeforeTheFailingOne) {
  TreeOptions options{(dir_ / "broken").string(), Limits{}};
  options.unsafe_non_atomic_multi = true;
  auto broken = ZNodeTree::Open(options, nullptr);
  ASSERT_TRUE(broken.ok()) << broken.status();
  const size_t before = (*broken)->node_count();
  metastorepb::Command cmd;
  *cmd.mutable_multi()->add_ops() = CreateOp("/kept");
  *cmd.mutable_multi()->add_ops() = CheckOp("/missing", 0);
  *cmd.mutable_multi()->add_ops() = CreateOp("/never");
  auto applied = (*broken)->Apply(1, cmd.SerializeAsString());
  ASSERT_TRUE(applied.ok()) << applied.status();
  metastorepb::CommandReply reply;
  ASSERT_TRUE(reply.ParseFromString(*applied));
  EXPECT_EQ(reply.error(), metastorepb::NO_NODE);
  EXPECT_EQ((*broken)->node_count(), before + 1);  // /kept, not /never
}

TEST_F(TreeTest, MultiRollbackRestoresDeletedSubtreeLeaves) {
  ASSERT_EQ(Create("/p").error(), metastorepb::OK);
  ASSERT_EQ(Create("/p/a", "A").error(), metastorepb::OK);
  metastorepb::Command cmd;
  *cmd.mutable_multi()->add_ops() = DeleteOp("/p/a");
  *cmd.mutable_multi()->add_ops() = DeleteOp("/p");
  *cmd.mutable_multi()->add_ops() = CreateOp("/p/a/b");  // parent gone: NoNode
  EXPECT_EQ(Run(cmd).error(), metastorepb::NO_NODE);
  EXPECT_EQ(Get("/p/a").data(), "A");
  EXPECT_THAT(Children("/p"), ElementsAre("a"));
  EXPECT_EQ(Get("/p").stat().num_children(), 1);
}

TEST_F(TreeTest, ClosingOrExpiringASessionDeletesItsEphemerals) {
  uint64_t s1 = NewSession(3000);
  uint64_t s2 = NewSession(1);  // clamped up to the minimum
  EXPECT_EQ(tree_->SessionTimeout(s1), 3000);
  EXPECT_EQ(tree_->SessionTimeout(s2), Limits{}.min_session_timeout_ms);
  ASSERT_EQ(Create("/e1", "", s1, true).error(), metastorepb::OK);
  ASSERT_EQ(Create("/e2", "", s2, true).error(), metastorepb::OK);
  ASSERT_EQ(Create("/p", "", s1, false).error(), metastorepb::OK);
  EXPECT_EQ(Get("/e1").stat().ephemeral_owner(), s1);

  metastorepb::Command close;
  close.set_session_id(s1);
  close.set_close_session(true);
  ASSERT_EQ(Run(close).error(), metastorepb::OK);
  EXPECT_FALSE(Exists("/e1"));
  EXPECT_TRUE(Exists("/p"));  // persistent nodes outlive their session
  EXPECT_EQ(Run(close).error(), metastorepb::SESSION_EXPIRED);
  EXPECT_EQ(Create("/late", "", s1, false).error(), metastorepb::SESSION_EXPIRED);

  metastorepb::Command expire;
  expire.mutable_expire_sessions()->add_session_ids(s2);
  expire.mutable_expire_sessions()->add_session_ids(999);  // unknown: ignored
  ASSERT_EQ(Run(expire).error(), metastorepb::OK);
  EXPECT_FALSE(Exists("/e2"));
  EXPECT_FALSE(tree_->HasSession(s2));
}

TEST_F(TreeTest, ContainersGoAfterTheirLastChildNotBefore) {
  metastorepb::Op op = CreateOp("/c");
  op.mutable_create()->set_container(true);
  ASSERT_EQ(Write(op).error(), metastorepb::OK);
  EXPECT_THAT(tree_->IdleNodes(now_ms_), IsEmpty());  // new and empty: kept
  ASSERT_EQ(Create("/c/child").error(), metastorepb::OK);
  EXPECT_THAT(tree_->IdleNodes(now_ms_), IsEmpty());
  ASSERT_EQ(Delete("/c/child").error(), metastorepb::OK);
  auto idle = tree_->IdleNodes(now_ms_);
  ASSERT_EQ(idle.size(), 1u);
  EXPECT_EQ(idle[0].path(), "/c");

  // A child created between the leader's look and the apply keeps the container.
  ASSERT_EQ(Create("/c/again").error(), metastorepb::OK);
  metastorepb::Command del;
  *del.mutable_delete_idle()->add_nodes() = idle[0];
  Run(del);
  EXPECT_TRUE(Exists("/c"));
  ASSERT_EQ(Delete("/c/again").error(), metastorepb::OK);
  Run(del);
  EXPECT_FALSE(Exists("/c"));
}

TEST_F(TreeTest, TtlNodesGoWhenIdlePastTheirTtl) {
  metastorepb::Op op = CreateOp("/t");
  op.mutable_create()->set_ttl_ms(1000);
  ASSERT_EQ(Write(op).error(), metastorepb::OK);
  EXPECT_THAT(tree_->IdleNodes(now_ms_ + 500), IsEmpty());
  auto idle = tree_->IdleNodes(now_ms_ + 1001);
  ASSERT_EQ(idle.size(), 1u);
  metastorepb::Command del;
  *del.mutable_delete_idle()->add_nodes() = idle[0];
  del.set_time_ms(now_ms_ + 500);  // the apply's clock says not yet
  Run(del);
  EXPECT_TRUE(Exists("/t"));
  del.set_time_ms(now_ms_ + 1001);
  Run(del);
  EXPECT_FALSE(Exists("/t"));
}

TEST_F(TreeTest, MalformedCommandsAndQueriesChangeNothing) {
  ASSERT_EQ(Create("/a").error(), metastorepb::OK);
  auto out = tree_->Apply(++index_, "\xff\xff garbage");
  ASSERT_TRUE(out.ok());
  metastorepb::CommandReply reply;
  ASSERT_TRUE(reply.ParseFromString(*out));
  EXPECT_EQ(reply.error(), metastorepb::BAD_ARGUMENTS);
  metastorepb::Command empty;
  EXPECT_EQ(Run(empty).error(), metastorepb::BAD_ARGUMENTS);
  metastorepb::Command bad_op;
  bad_op.mutable_multi()->add_ops();  // an op with nothing in it
  EXPECT_EQ(Run(bad_op).error(), metastorepb::BAD_ARGUMENTS);
  auto q = tree_->Query("\xff\xff");
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(Get("/").stat().num_children(), 2);  // /zookeeper and the one made before
  EXPECT_EQ(Get("bad").error(), metastorepb::INVALID_PATH);
  EXPECT_EQ(Get("/missing").error(), metastorepb::NO_NODE);
}

TEST_F(TreeTest, GetChildrenWithStats) {
  ASSERT_EQ(Create("/p").error(), metastorepb::OK);
  ASSERT_EQ(Create("/p/b").error(), metastorepb::OK);
  ASSERT_EQ(Create("/p/a").error(), metastorepb::OK);
  ASSERT_EQ(Create("/p/a/x").error(), metastorepb::OK);
  metastorepb::Query q;
  q.mutable_get_children()->set_path("/p");
  q.mutable_get_children()->set_with_stats(true);
  auto r = Ask(q);
  ASSERT_EQ(r.children_size(), 2);
  EXPECT_EQ(r.children(0).name(), "a");
  EXPECT_EQ(r.children(0).stat().num_children(), 1);
  EXPECT_EQ(r.children(1).stat().num_children(), 0);
  EXPECT_EQ(r.stat().num_children(), 2);
}

TEST_F(TreeTest, PersistedTreeComesBackWithoutReplay) {
  uint64_t s = NewSession();
  ASSERT_EQ(Create("/a", "1").error(), metastorepb::OK);
  ASSERT_EQ(Create("/a/b", "2").error(), metastorepb::OK);
  ASSERT_EQ(Create("/e", "", s, true).error(), metastorepb::OK);
  ASSERT_EQ(SetData("/a", "3").error(), metastorepb::OK);
  ASSERT_TRUE(tree_->Persist(index_, {{"k", "v"}, {"gone", std::nullopt}}).ok());
  const uint64_t persisted = index_;
  auto before = Get("/a").stat();
  ASSERT_EQ(Create("/unpersisted").error(), metastorepb::OK);

  Reopen();
  EXPECT_EQ(tree_->LastApplied(), persisted);
  EXPECT_FALSE(Exists("/unpersisted"));  // the runtime replays it from the log
  EXPECT_EQ(Get("/a").data(), "3");
  EXPECT_EQ(Get("/a").stat().SerializeAsString(), before.SerializeAsString());
  EXPECT_EQ(Get("/a/b").data(), "2");
  EXPECT_EQ(Get("/e").stat().ephemeral_owner(), s);
  EXPECT_TRUE(tree_->HasSession(s));
  auto records = tree_->LoadRuntimeRecords();
  ASSERT_TRUE(records.ok());
  EXPECT_EQ(records->size(), 1u);
  EXPECT_EQ(records->at("k"), "v");
  // The ephemeral index came back too: closing the session deletes /e.
  metastorepb::Command close;
  close.set_session_id(s);
  close.set_close_session(true);
  index_ = persisted;
  ASSERT_EQ(Run(close).error(), metastorepb::OK);
  EXPECT_FALSE(Exists("/e"));
}

// Reload reads nodes in key order and links each to its parent as it goes: names that sort
// around '/' ('-' and '.' before it, '0' after), deep paths and wide parents must come back
// with exactly the children, and child counts, they had.
TEST_F(TreeTest, ReloadedTreeHasTheSameShape) {
  const std::vector<std::string> paths = {"/a",         "/a-b",   "/a.b",     "/a0",    "/a/b",
                                          "/a/b-c",     "/a/b/c", "/a/b/c/d", "/a-b/x", "/z",
                                          "/a/b/c/d/e", "/a/b0",  "/a/b0/c"};
  for (const auto& p : paths) ASSERT_EQ(Create(p, p).error(), metastorepb::OK) << p;
  for (int i = 0; i < 300; ++i) {
    ASSERT_EQ(Create(absl::StrCat("/z/n", 1000 - i)).error(), metastorepb::OK);
  }
  ASSERT_TRUE(tree_->Persist(index_, {}).ok());
  std::map<std::string, std::vector<std::string>> before;
  std::map<std::string, int> counts;
  for (const auto& p : paths) {
    before[p] = Children(p);
    counts[p] = Get(p).stat().num_children();
  }
  before["/"] = Children("/");

  Reopen();
  for (const auto& [p, children] : before) {
    EXPECT_EQ(Children(p), children) << p;
    if (p != "/") {
      EXPECT_EQ(Get(p).data(), p);
      EXPECT_EQ(Get(p).stat().num_children(), counts[p]) << p;
    }
  }
  EXPECT_EQ(Children("/z").size(), 300u);
  // The reloaded tree keeps working: a new child lands among the old, in order.
  ASSERT_EQ(Create("/a/b-a").error(), metastorepb::OK);
  EXPECT_EQ(Children("/a"), (std::vector<std::string>{"b", "b-a", "b-c", "b0"}));
}

using warren::testing::StringReader;
using warren::testing::StringWriter;

TEST_F(TreeTest, SnapshotIsACheckpointThatRestoresElsewhere) {
  ASSERT_EQ(Create("/a", "1").error(), metastorepb::OK);
  ASSERT_EQ(Create("/a/b", "2").error(), metastorepb::OK);
  ASSERT_TRUE(tree_->Persist(index_, {{"r", "x"}}).ok());
  const uint64_t at = index_;
  StringWriter writer;
  ASSERT_TRUE(tree_->TakeSnapshot()(writer).ok());
  ASSERT_EQ(Create("/after").error(), metastorepb::OK);  // not in the snapshot

  WatchManager other_watches;
  auto other = ZNodeTree::Open(TreeOptions{(dir_ / "other").string(), Limits{}}, &other_watches);
  ASSERT_TRUE(other.ok());
  StringReader reader(writer.out);
  ASSERT_TRUE((*other)->RestoreSnapshot(at, reader).ok());
  EXPECT_EQ((*other)->LastApplied(), at);
  // /, /a, /a/b, and /zookeeper with its quota and config
  EXPECT_EQ((*other)->node_count(), 6u);
  // Restoring over an existing tree replaces it.
  StringReader again(writer.out);
  ASSERT_TRUE(tree_->RestoreSnapshot(at, again).ok());
  EXPECT_FALSE(Exists("/after"));
  EXPECT_EQ(Get("/a/b").data(), "2");

  StringReader corrupt(writer.out.substr(0, writer.out.size() / 2));
  EXPECT_FALSE((*other)->RestoreSnapshot(at, corrupt).ok());
}

// ---- Watches ----

TEST_F(TreeTest, OneShotWatchesFireOnceInZxidOrder) {
  uint64_t s = NewSession();
  Listen(s);
  ASSERT_EQ(Create("/a", "x").error(), metastorepb::OK);
  ASSERT_EQ(Get("/a", s, /*watch=*/true).error(), metastorepb::OK);
  metastorepb::Query ex;
  ex.set_session_id(s);
  ex.mutable_exists()->set_path("/a");
  ex.mutable_exists()->set_watch(true);
  Ask(ex);  // data and exists watches on the same path: still one event
  metastorepb::Query ch;
  ch.set_session_id(s);
  ch.mutable_get_children()->set_path("/a");
  ch.mutable_get_children()->set_watch(true);
  Ask(ch);
  ex.mutable_exists()->set_path("/new");
  Ask(ex);

  ASSERT_EQ(SetData("/a", "y").error(), metastorepb::OK);
  const uint64_t set_zxid = index_;
  ASSERT_EQ(SetData("/a", "z").error(), metastorepb::OK);  // the data watch is spent
  ASSERT_EQ(Create("/a/kid").error(), metastorepb::OK);
  ASSERT_EQ(Create("/new").error(), metastorepb::OK);
  ASSERT_EQ(Create("/a/kid2").error(), metastorepb::OK);  // children watch spent

  const auto& got = events_[s];
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].event().type(), metastorepb::NODE_DATA_CHANGED);
  EXPECT_EQ(got[0].event().zxid(), set_zxid);
  EXPECT_EQ(got[1].event().type(), metastorepb::NODE_CHILDREN_CHANGED);
  EXPECT_EQ(got[1].event().path(), "/a");
  EXPECT_EQ(got[2].event().type(), metastorepb::NODE_CREATED);
  EXPECT_EQ(got[2].event().path(), "/new");
  EXPECT_LT(got[0].event().zxid(), got[1].event().zxid());
  EXPECT_LT(got[1].event().zxid(), got[2].event().zxid());
  EXPECT_EQ(watches_.count(), 0u);
}

TEST_F(TreeTest, PersistentRecursiveWatchSeesTheSubtreeButNotChildrenEvents) {
  uint64_t s = NewSession();
  Listen(s);
  ASSERT_EQ(Create("/app").error(), metastorepb::OK);
  metastorepb::AddWatch w;
  w.set_path("/app");
  w.set_kind(metastorepb::WATCH_PERSISTENT_RECURSIVE);
  ASSERT_TRUE(tree_->AddWatch(s, w).ok());
  ASSERT_EQ(Create("/app/x").error(), metastorepb::OK);
  ASSERT_EQ(Create("/app/x/y", "1").error(), metastorepb::OK);
  ASSERT_EQ(SetData("/app/x/y", "2").error(), metastorepb::OK);
  ASSERT_EQ(Create("/elsewhere").error(), metastorepb::OK);
  ASSERT_EQ(Delete("/app/x/y").error(), metastorepb::OK);
  std::vector<std::string> seen;
  for (const auto& e : events_[s]) {
    seen.push_back(
        absl::StrCat(metastorepb::EventType_Name(e.event().type()), " ", e.event().path()));
  }
  EXPECT_THAT(seen, ElementsAre("NODE_CREATED /app/x", "NODE_CREATED /app/x/y",
                                "NODE_DATA_CHANGED /app/x/y", "NODE_DELETED /app/x/y"));
  EXPECT_EQ(watches_.count(), 1u);  // persistent: still there
}

TEST_F(TreeTest, ExpiredSessionsStreamIsClosedAndEphemeralDeletionIsSeenByOthers) {
  uint64_t owner = NewSession();
  uint64_t watcher = NewSession();
  Listen(owner);
  Listen(watcher);
  ASSERT_EQ(Create("/lock", "", owner, true).error(), metastorepb::OK);
  metastorepb::Query ex;
  ex.set_session_id(watcher);
  ex.mutable_exists()->set_path("/lock");
  ex.mutable_exists()->set_watch(true);
  ASSERT_TRUE(Ask(ex).exists());
  metastorepb::Command expire;
  expire.mutable_expire_sessions()->add_session_ids(owner);
  Run(expire);
  ASSERT_EQ(events_[watcher].size(), 1u);
  EXPECT_EQ(events_[watcher][0].event().type(), metastorepb::NODE_DELETED);
  ASSERT_EQ(events_[owner].size(), 1u);
  EXPECT_EQ(events_[owner][0].closed().error(), metastorepb::SESSION_EXPIRED);
}

TEST_F(TreeTest, ReRegisteredWatchFiresAtOnceForWhatChangedSince) {
  uint64_t s = NewSession();
  Listen(s);
  ASSERT_EQ(Create("/a", "1").error(), metastorepb::OK);
  const uint64_t seen = index_;
  ASSERT_EQ(SetData("/a", "2").error(), metastorepb::OK);
  metastorepb::AddWatch w;
  w.set_path("/a");
  w.set_kind(metastorepb::WATCH_DATA);
  w.set_since_zxid(seen);
  ASSERT_TRUE(tree_->AddWatch(s, w).ok());
  ASSERT_EQ(events_[s].size(), 1u);
  EXPECT_EQ(events_[s][0].event().type(), metastorepb::NODE_DATA_CHANGED);
  w.set_since_zxid(index_);  // nothing new: registered instead
  ASSERT_TRUE(tree_->AddWatch(s, w).ok());
  EXPECT_EQ(watches_.count(), 1u);
  EXPECT_EQ(ErrorOf(tree_->AddWatch(s + 1000, w)), metastorepb::SESSION_MOVED);
}

TEST_F(TreeTest, PersistentWatchSetAgainGetsWhatItMissedOnceInOrder) {
  // A stream moved: the client had seen up to `seen`, and this member applied more since.
  uint64_t s = NewSession();
  Listen(s);
  ASSERT_EQ(Create("/w", "").error(), metastorepb::OK);
  ASSERT_EQ(Create("/w/a", "1").error(), metastorepb::OK);
  const uint64_t seen = index_;
  ASSERT_EQ(SetData("/w/a", "2").error(), metastorepb::OK);
  ASSERT_EQ(Create("/other", "").error(), metastorepb::OK);
  ASSERT_EQ(Create("/w/b", "").error(), metastorepb::OK);
  metastorepb::AddWatch w;
  w.set_path("/w");
  w.set_kind(metastorepb::WATCH_PERSISTENT_RECURSIVE);
  w.set_since_zxid(seen);
  ASSERT_TRUE(tree_->AddWatch(s, w).ok());
  ASSERT_EQ(events_[s].size(), 2u);  // what it missed below /w, not /other or children changes
  EXPECT_EQ(events_[s][0].event().path(), "/w/a");
  EXPECT_EQ(events_[s][0].event().type(), metastorepb::NODE_DATA_CHANGED);
  EXPECT_EQ(events_[s][1].event().path(), "/w/b");
  EXPECT_EQ(events_[s][1].event().type(), metastorepb::NODE_CREATED);
  EXPECT_LT(events_[s][0].event().zxid(), events_[s][1].event().zxid());
  // Then live, with nothing repeated.
  ASSERT_EQ(SetData("/w/b", "x").error(), metastorepb::OK);
  ASSERT_EQ(events_[s].size(), 3u);
  EXPECT_EQ(events_[s][2].event().zxid(), index_);
}

// A member that restores a snapshot jumps over changes its watches never saw fire: it sends
// every stream attached to it away (to attach again) and forgets their watches. The snapshot
// carries the tree's recent events, so a persistent watch set again with a zxid before the
// jump is sent what it missed.
TEST_F(TreeTest, ASnapshotRestoreSendsStreamsAwayAndReplaysFromTheEventsItCarries) {
  uint64_t s = NewSession();
  ASSERT_EQ(Create("/w", "").error(), metastorepb::OK);
  Listen(s);
  metastorepb::AddWatch w;
  w.set_path("/w");
  w.set_kind(metastorepb::WATCH_PERSISTENT_RECURSIVE);
  ASSERT_TRUE(tree_->AddWatch(s, w).ok());
  ASSERT_EQ(Get("/w", s, /*watch=*/true).error(), metastorepb::OK);
  const uint64_t seen = index_;
  // The snapshot is of another tree that went further: two changes below /w.
  ASSERT_EQ(Create("/w/a").error(), metastorepb::OK);
  ASSERT_EQ(Create("/w/b").error(), metastorepb::OK);
  const uint64_t at = index_;
  StringWriter writer;
  ASSERT_TRUE(tree_->Persist(index_, {}).ok());
  ASSERT_TRUE(tree_->TakeSnapshot()(writer).ok());
  events_[s].clear();

  StringReader reader(writer.out);
  ASSERT_TRUE(tree_->RestoreSnapshot(at, reader).ok());
  ASSERT_EQ(events_[s].size(), 1u);
  ASSERT_TRUE(events_[s][0].has_closed());
  EXPECT_EQ(events_[s][0].closed().error(), metastorepb::MEMBER_BEHIND);
  EXPECT_EQ(watches_.count(), 0u);
  EXPECT_EQ(ErrorOf(tree_->AddWatch(s, w)), metastorepb::SESSION_MOVED) << "still attached";

  events_[s].clear();
  Listen(s);  // the client attaches again
  w.set_since_zxid(seen);
  ASSERT_TRUE(tree_->AddWatch(s, w).ok());
  std::vector<std::string> got;
  for (const auto& e : events_[s]) got.push_back(e.event().path());
  EXPECT_THAT(got, ElementsAre("/w/a", "/w/b"));
  EXPECT_EQ(watches_.count(), 1u);
}

TEST_F(TreeTest, AReopenedTreeReplaysWhatItAppliedBeforeItStarted) {
  uint64_t s = NewSession();
  ASSERT_EQ(Create("/w", "").error(), metastorepb::OK);
  const uint64_t seen = index_;
  ASSERT_EQ(Create("/w/a").error(), metastorepb::OK);
  ASSERT_EQ(SetData("/w/a", "1").error(), metastorepb::OK);
  ASSERT_TRUE(tree_->Persist(index_, {}).ok());
  Reopen();
  ASSERT_EQ(Create("/w/b").error(), metastorepb::OK);
  Listen(s);
  metastorepb::AddWatch w;
  w.set_path("/w");
  w.set_kind(metastorepb::WATCH_PERSISTENT_RECURSIVE);
  w.set_since_zxid(seen);
  ASSERT_TRUE(tree_->AddWatch(s, w).ok());
  std::vector<std::string> got;
  for (const auto& e : events_[s]) {
    got.push_back(absl::StrCat(metastorepb::EventType_Name(e.event().type()), " ", e.event().path(),
                               " ", e.event().zxid()));
  }
  EXPECT_THAT(got, ElementsAre(absl::StrCat("NODE_CREATED /w/a ", seen + 1),
                               absl::StrCat("NODE_DATA_CHANGED /w/a ", seen + 2),
                               absl::StrCat("NODE_CREATED /w/b ", seen + 3)));
}

// The tree keeps the last `event_history` zxids of events. A watch set again from before
// them is refused (its client tries a member that may hold them), or set after a HISTORY_GAP
// event that says up to where changes may be missing, or (ZooKeeper's door) set with a warning.
TEST_F(TreeTest, AWatchOlderThanTheKeptEventsIsRefusedOrToldOfTheGap) {
  event_history_ = 5;
  Reopen();
  ASSERT_EQ(Create("/w", "").error(), metastorepb::OK);
  const uint64_t seen = index_;
  for (int i = 0; i < 20; ++i) ASSERT_EQ(Create(absl::StrCat("/w/", i)).error(), metastorepb::OK);
  ASSERT_TRUE(tree_->Persist(index_, {}).ok());
  const uint64_t kept_from = index_ - 5;
  Reopen();

  uint64_t s = NewSession();
  Listen(s);
  metastorepb::AddWatch w;
  w.set_path("/w");
  w.set_kind(metastorepb::WATCH_PERSISTENT_RECURSIVE);
  w.set_since_zxid(seen);
  absl::Status refused = tree_->AddWatch(s, w);
  EXPECT_EQ(ErrorOf(refused), metastorepb::MEMBER_BEHIND) << refused;
  EXPECT_THAT(refused.message(),
              HasSubstr(absl::StrCat("from zxid ", seen + 1, " to ", kept_from)));
  EXPECT_EQ(watches_.count(), 0u);

  ASSERT_TRUE(tree_->AddWatch(s, w, WatchManager::OnGap::kReport).ok());
  ASSERT_EQ(events_[s].size(), 6u);
  EXPECT_EQ(events_[s][0].event().type(), metastorepb::HISTORY_GAP);
  EXPECT_EQ(events_[s][0].event().path(), "/w");
  EXPECT_EQ(events_[s][0].event().zxid(), kept_from);
  for (size_t i = 1; i < events_[s].size(); ++i) {
    EXPECT_EQ(events_[s][i].event().type(), metastorepb::NODE_CREATED);
    EXPECT_EQ(events_[s][i].event().zxid(), kept_from + i);
  }

  uint64_t zk = NewSession();
  Listen(zk);
  ASSERT_TRUE(tree_->AddWatch(zk, w, WatchManager::OnGap::kWarn).ok());
  ASSERT_EQ(events_[zk].size(), 5u) << "what is kept, and no HISTORY_GAP";
  EXPECT_EQ(events_[zk][0].event().zxid(), kept_from + 1);
}

// A reopened tree decodes only the newest event records that hold what its watch manager
// keeps: every event after the newest record it leaves out, and none before.
TEST_F(TreeTest, AReopenedTreeKeepsTheNewestEventsItsWatchManagerHolds) {
  const uint64_t s = NewSession();
  ASSERT_EQ(Create("/w", "").error(), metastorepb::OK);
  // Four records of three creates each; a create is two events (the node's and its parent's).
  for (int r = 0; r < 4; ++r) {
    for (int i = 0; i < 3; ++i) {
      ASSERT_EQ(Create(absl::StrCat("/w/", r, "-", i)).error(), metastorepb::OK);
    }
    ASSERT_TRUE(tree_->Persist(index_, {}).ok());
  }
  const uint64_t w_created = 2;  // after the session
  tree_.reset();
  // Keeping 4 events: the newest record is read, and its first create's two events dropped.
  // Keeping 6: that record whole. Keeping 7: two records, the older one's first two creates
  // and one event of its last dropped. Keeping 100: all, from the create of /w.
  const std::vector<std::pair<size_t, uint64_t>> first_replayed = {
      {4, index_ - 1}, {6, index_ - 2}, {7, index_ - 2}, {100, w_created}};
  for (const auto& [kept, first] : first_replayed) {
    SCOPED_TRACE(absl::StrCat(kept, " events kept"));
    WatchManager watches(WatchManager::kDefaultMaxPathsPerSession, kept);
    TreeOptions options;
    options.dir = (dir_ / "tree").string();
    auto tree = ZNodeTree::Open(options, &watches);
    ASSERT_TRUE(tree.ok()) << tree.status();
    std::vector<metastorepb::WatchEvent> got;
    watches.Attach(s, [&](const metastorepb::SessionEvent& e) { got.push_back(e.event()); });
    metastorepb::AddWatch w;
    w.set_path("/w");
    w.set_kind(metastorepb::WATCH_PERSISTENT_RECURSIVE);
    if (first > w_created) {
      w.set_since_zxid(first - 2);
      EXPECT_EQ(ErrorOf((*tree)->AddWatch(s, w)), metastorepb::MEMBER_BEHIND);
    }
    w.set_since_zxid(first - 1);
    ASSERT_TRUE((*tree)->AddWatch(s, w).ok());
    ASSERT_EQ(got.size(), index_ - first + 1);
    for (size_t i = 0; i < got.size(); ++i) {
      EXPECT_EQ(got[i].type(), metastorepb::NODE_CREATED);
      EXPECT_EQ(got[i].zxid(), first + i);
    }
  }
  Reopen();  // for TearDown
}

// A stream set up again on a member that has applied less than its client has seen (a new
// leader still applying its backlog): the member must not judge the client's watches by its
// older tree. Here the client saw /lock/p change and /lock/q made at `seen`; this tree is
// still before both.
TEST_F(TreeTest, AWatchSetAgainOnATreeBehindItsClientWaitsForTheTreeToCatchUp) {
  uint64_t s = NewSession();
  Listen(s);
  ASSERT_EQ(Create("/lock", "").error(), metastorepb::OK);
  ASSERT_EQ(Create("/lock/p", "0").error(), metastorepb::OK);
  const uint64_t seen = index_ + 2;
  auto watch = [&](const std::string& path, metastorepb::WatchKind kind) {
    metastorepb::AddWatch w;
    w.set_path(path);
    w.set_kind(kind);
    w.set_since_zxid(seen);
    return tree_->AddWatch(s, w);
  };
  // Refused, with nothing set and nothing fired: not NodeDeleted for /lock/q, which the
  // client has seen made.
  for (const auto& [path, kind] : std::vector<std::pair<std::string, metastorepb::WatchKind>>{
           {"/lock/p", metastorepb::WATCH_DATA},
           {"/lock/q", metastorepb::WATCH_DATA},
           {"/lock", metastorepb::WATCH_CHILDREN},
           {"/lock", metastorepb::WATCH_PERSISTENT_RECURSIVE}}) {
    absl::Status added = watch(path, kind);
    EXPECT_EQ(ErrorOf(added), metastorepb::MEMBER_BEHIND) << path << ": " << added;
    EXPECT_THAT(added.message(), HasSubstr(absl::StrCat("has seen ", seen))) << path;
  }
  EXPECT_EQ(watches_.count(), 0u);
  EXPECT_THAT(events_[s], IsEmpty());

  // The tree applies what the client had seen; then the same watches are admitted, and none
  // fires for those changes, which the client had.
  ASSERT_EQ(SetData("/lock/p", "1").error(), metastorepb::OK);
  ASSERT_EQ(Create("/lock/q", "").error(), metastorepb::OK);
  ASSERT_EQ(index_, seen);
  ASSERT_TRUE(watch("/lock/p", metastorepb::WATCH_DATA).ok());
  ASSERT_TRUE(watch("/lock/q", metastorepb::WATCH_DATA).ok());
  ASSERT_TRUE(watch("/lock", metastorepb::WATCH_PERSISTENT_RECURSIVE).ok());
  EXPECT_THAT(events_[s], IsEmpty());

  // The next change reaches every watch on it, once.
  ASSERT_EQ(Delete("/lock/p").error(), metastorepb::OK);
  ASSERT_EQ(SetData("/lock/q", "x").error(), metastorepb::OK);
  std::vector<std::string> got;
  for (const auto& e : events_[s]) {
    got.push_back(absl::StrCat(metastorepb::EventType_Name(e.event().type()), " ", e.event().path(),
                               " ", e.event().zxid()));
  }
  EXPECT_THAT(got, ElementsAre(absl::StrCat("NODE_DELETED /lock/p ", seen + 1),
                               absl::StrCat("NODE_DATA_CHANGED /lock/q ", seen + 2)));
}

// What spends a one-shot watch is an event its client has not had: one at or below the zxid
// the watch was set again from was seen already, and neither fires nor spends it.
TEST_F(TreeTest, AOneShotWatchIsNeverSpentOnAnEventItsClientHad) {
  const uint64_t s = 7;
  Listen(s);
  ASSERT_TRUE(watches_.Add(s, "/p", metastorepb::WATCH_DATA, /*since=*/10).ok());
  ASSERT_TRUE(watches_.Add(s, "/p", metastorepb::WATCH_CHILDREN, /*since=*/10).ok());
  auto event = [](metastorepb::EventType type, uint64_t zxid) {
    metastorepb::WatchEvent e;
    e.set_type(type);
    e.set_path("/p");
    e.set_zxid(zxid);
    return e;
  };
  watches_.Fire({event(metastorepb::NODE_DATA_CHANGED, 9)});
  watches_.Fire({event(metastorepb::NODE_CHILDREN_CHANGED, 10)});
  EXPECT_THAT(events_[s], IsEmpty());
  EXPECT_EQ(watches_.count(), 2u);
  watches_.Fire({event(metastorepb::NODE_DELETED, 11)});
  ASSERT_EQ(events_[s].size(), 1u);
  EXPECT_EQ(events_[s][0].event().zxid(), 11u);
  EXPECT_EQ(watches_.count(), 0u);
}

}  // namespace
}  // namespace warren::metastore
