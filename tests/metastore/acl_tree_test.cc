// ZooKeeper's ACLs on the tree: each op's permission, checked when the write applies with the
// identities its command carries, and when a read is answered with the query's.
#include <optional>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "metastore/acl.h"
#include "metastore/errors.h"
#include "metastore/tree_storage.h"
#include "rocksdb/db.h"
#include "tests/metastore/acl_test_util.h"
#include "tests/metastore/tree_fixture.h"
#include "tests/server/string_snapshot.h"

namespace warren::metastore {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using Who = std::vector<metastorepb::Id>;

using ::warren::metastore::testing::MakeAcl;
using ::warren::metastore::testing::MakeId;

const metastorepb::Id kAlice = MakeId("digest", DigestId("alice", "alice-secret"));
const metastorepb::Id kBob = MakeId("digest", DigestId("bob", "bob-secret"));
const metastorepb::Id kSuper = MakeId("super", "");
const Who kNobody = {};

metastorepb::Acl For(int32_t perms, const metastorepb::Id& id) {
  return MakeAcl(perms, id.scheme(), id.id());
}
metastorepb::Acl Anyone(int32_t perms) { return MakeAcl(perms, "world", "anyone"); }

metastorepb::Op CreateWith(const std::string& path, const std::vector<metastorepb::Acl>& acl,
                           const std::string& data = "") {
  metastorepb::Op op = CreateOp(path, data);
  for (const auto& a : acl) *op.mutable_create()->add_acl() = a;
  return op;
}

metastorepb::Op SetAclOp(const std::string& path, const std::vector<metastorepb::Acl>& acl,
                         std::optional<int32_t> version = std::nullopt) {
  metastorepb::Op op;
  op.mutable_set_acl()->set_path(path);
  for (const auto& a : acl) *op.mutable_set_acl()->add_acl() = a;
  if (version.has_value()) op.mutable_set_acl()->set_version(*version);
  return op;
}

std::vector<std::string> Show(const google::protobuf::RepeatedPtrField<metastorepb::Acl>& acl) {
  std::vector<std::string> out;
  for (const auto& a : acl)
    out.push_back(absl::StrCat(a.perms(), " ", a.id().scheme(), ":", a.id().id()));
  return out;
}

class AclTreeTest : public TreeTest {
 protected:
  metastorepb::CommandReply As(const Who& who, const std::vector<metastorepb::Op>& ops,
                               uint64_t session = 0) {
    metastorepb::Command cmd;
    cmd.set_session_id(session);
    for (const auto& id : who) *cmd.add_auth() = id;
    for (const auto& op : ops) *cmd.mutable_multi()->add_ops() = op;
    return Run(cmd);
  }
  metastorepb::QueryReply AskAs(const Who& who, metastorepb::Query q) {
    for (const auto& id : who) *q.add_auth() = id;
    return Ask(q);
  }
  metastorepb::QueryReply GetAs(const Who& who, const std::string& path, uint64_t session = 0,
                                bool watch = false) {
    metastorepb::Query q;
    q.set_session_id(session);
    q.mutable_get_data()->set_path(path);
    q.mutable_get_data()->set_watch(watch);
    return AskAs(who, q);
  }
  metastorepb::QueryReply ChildrenAs(const Who& who, const std::string& path) {
    metastorepb::Query q;
    q.mutable_get_children()->set_path(path);
    return AskAs(who, q);
  }
  metastorepb::QueryReply ExistsAs(const Who& who, const std::string& path) {
    metastorepb::Query q;
    q.mutable_exists()->set_path(path);
    return AskAs(who, q);
  }
  metastorepb::QueryReply AclOf(const Who& who, const std::string& path) {
    metastorepb::Query q;
    q.mutable_get_acl()->set_path(path);
    return AskAs(who, q);
  }
  // What RocksDB holds for `path`, read with the tree closed (and opened again after).
  metastorepb::StoredNode Stored(const std::string& path) {
    EXPECT_TRUE(tree_->Persist(index_, {}).ok());
    tree_.reset();
    rocksdb::DB* raw = nullptr;
    auto s = rocksdb::DB::OpenForReadOnly(rocksdb::Options(), (dir_ / "tree").string(), &raw);
    EXPECT_TRUE(s.ok()) << s.ToString();
    std::unique_ptr<rocksdb::DB> db(raw);
    std::string value;
    EXPECT_TRUE(db->Get(rocksdb::ReadOptions(), NodeKey(path), &value).ok()) << path;
    metastorepb::StoredNode stored;
    EXPECT_TRUE(stored.ParseFromString(value));
    db.reset();
    Reopen();
    return stored;
  }
};

TEST_F(AclTreeTest, ANodesAclDecidesWhoReadsIt) {
  ASSERT_EQ(As({kAlice}, {CreateWith("/secret", {For(kPermAll, kAlice)}, "s")}).error(),
            metastorepb::OK);
  ASSERT_EQ(As({kAlice}, {CreateWith("/secret/kid", {})}).error(), metastorepb::OK);
  auto refused = GetAs(kNobody, "/secret");
  EXPECT_EQ(refused.error(), metastorepb::NO_AUTH);
  EXPECT_EQ(refused.message(), "NoAuth: /secret (needs READ on /secret)");
  EXPECT_EQ(refused.data(), "");
  EXPECT_EQ(GetAs({kBob}, "/secret").error(), metastorepb::NO_AUTH);
  EXPECT_EQ(ChildrenAs({kBob}, "/secret").error(), metastorepb::NO_AUTH);
  EXPECT_EQ(ChildrenAs({kBob}, "/secret").children_size(), 0);
  EXPECT_EQ(AclOf({kBob}, "/secret").error(), metastorepb::NO_AUTH);

  auto got = GetAs({kBob, kAlice}, "/secret");
  ASSERT_EQ(got.error(), metastorepb::OK) << got.message();
  EXPECT_EQ(got.data(), "s");
  EXPECT_THAT(ChildrenAs({kAlice}, "/secret").children(), ::testing::SizeIs(1));
  // exists asks nothing (ZooKeeper 3.8), and a missing node is NoNode before anything else.
  EXPECT_TRUE(ExistsAs(kNobody, "/secret").exists());
  EXPECT_EQ(GetAs(kNobody, "/secret/missing").error(), metastorepb::NO_NODE);
  // The node's own ACL, not its parent's: the child has the default.
  EXPECT_EQ(GetAs(kNobody, "/secret/kid").error(), metastorepb::OK);

  // A refused read sets no watch.
  uint64_t s = NewSession();
  Listen(s);
  EXPECT_EQ(GetAs(kNobody, "/secret", s, /*watch=*/true).error(), metastorepb::NO_AUTH);
  EXPECT_EQ(watches_.count(), 0u);
  EXPECT_EQ(GetAs({kAlice}, "/secret", s, /*watch=*/true).error(), metastorepb::OK);
  EXPECT_EQ(watches_.count(), 1u);
}

TEST_F(AclTreeTest, AWatchAddedOnItsOwnNeedsReadOnANodeThatIsThere) {
  ASSERT_EQ(As({kAlice}, {CreateWith("/secret", {For(kPermAll, kAlice)})}).error(),
            metastorepb::OK);
  uint64_t s = NewSession();
  Listen(s);
  metastorepb::AddWatch w;
  w.set_path("/secret");
  w.set_kind(metastorepb::WATCH_PERSISTENT_RECURSIVE);
  IdField bob, alice;
  *bob.Add() = kBob;
  *alice.Add() = kAlice;
  absl::Status refused = tree_->AddWatch(s, w, WatchManager::OnGap::kRefuse, bob);
  EXPECT_EQ(ErrorOf(refused), metastorepb::NO_AUTH) << refused;
  EXPECT_EQ(ErrorOf(tree_->AddWatch(s, w)), metastorepb::NO_AUTH) << "no identity at all";
  EXPECT_EQ(watches_.count(), 0u);
  EXPECT_TRUE(tree_->AddWatch(s, w, WatchManager::OnGap::kRefuse, alice).ok());
  EXPECT_EQ(watches_.count(), 1u);
  // A node that is not there has no ACL to ask (as exists).
  w.set_path("/not-yet");
  EXPECT_TRUE(tree_->AddWatch(s, w, WatchManager::OnGap::kRefuse, bob).ok());
}

TEST_F(AclTreeTest, GetAclShowsTheAclAndStatAndHidesDigestsFromNonAdmins) {
  ASSERT_EQ(Create("/open").error(), metastorepb::OK);
  auto open = AclOf(kNobody, "/open");
  ASSERT_EQ(open.error(), metastorepb::OK);
  EXPECT_THAT(Show(open.acl()), ElementsAre("31 world:anyone"));
  EXPECT_EQ(open.stat().czxid(), index_);

  ASSERT_EQ(As({kAlice}, {CreateWith("/a", {For(kPermAll, kAlice), For(kPermRead, kBob)})}).error(),
            metastorepb::OK);
  auto admin = AclOf({kAlice}, "/a");
  ASSERT_EQ(admin.error(), metastorepb::OK);
  EXPECT_THAT(Show(admin.acl()), ElementsAre(absl::StrCat("31 digest:", kAlice.id()),
                                             absl::StrCat("1 digest:", kBob.id())));
  auto reader = AclOf({kBob}, "/a");
  ASSERT_EQ(reader.error(), metastorepb::OK);
  EXPECT_THAT(Show(reader.acl()), ElementsAre("31 digest:alice:x", "1 digest:bob:x"));
  // ADMIN alone is enough to read the ACL, not the data.
  ASSERT_EQ(
      As({kAlice}, {CreateWith("/adm", {For(kPermAdmin, kBob), For(kPermAll, kAlice)})}).error(),
      metastorepb::OK);
  EXPECT_EQ(AclOf({kBob}, "/adm").error(), metastorepb::OK);
  EXPECT_EQ(GetAs({kBob}, "/adm").error(), metastorepb::NO_AUTH);
}

TEST_F(AclTreeTest, CreateNeedsCreateOnTheParent) {
  ASSERT_EQ(
      As(kNobody, {CreateWith("/p", {Anyone(kPermAll & ~kPermCreate), For(kPermCreate, kAlice)})})
          .error(),
      metastorepb::OK);
  const auto before = Get("/p").stat();
  auto refused = As({kBob}, {CreateOp("/p/c")});
  EXPECT_EQ(refused.error(), metastorepb::NO_AUTH);
  EXPECT_EQ(refused.message(), "NoAuth: /p/c (needs CREATE on /p)");
  EXPECT_EQ(As(kNobody, {CreateOp("/p/s-")}).error(), metastorepb::NO_AUTH);
  EXPECT_FALSE(Exists("/p/c"));
  EXPECT_EQ(Get("/p").stat().SerializeAsString(), before.SerializeAsString());
  // NoAuth comes before NodeExists: a caller who may not create learns nothing of the names.
  ASSERT_EQ(As({kAlice}, {CreateOp("/p/c")}).error(), metastorepb::OK);
  EXPECT_EQ(As({kBob}, {CreateOp("/p/c")}).error(), metastorepb::NO_AUTH);
  EXPECT_EQ(As({kAlice}, {CreateOp("/p/c")}).error(), metastorepb::NODE_EXISTS);
  EXPECT_EQ(As({kBob}, {CreateOp("/missing/c")}).error(), metastorepb::NO_NODE);
}

TEST_F(AclTreeTest, DeleteNeedsDeleteOnTheParentNotOnTheNode) {
  ASSERT_EQ(
      As(kNobody, {CreateWith("/p", {Anyone(kPermAll & ~kPermDelete), For(kPermDelete, kAlice)}),
                   CreateWith("/p/c", {Anyone(kPermRead)})})
          .error(),
      metastorepb::OK);
  auto refused = As({kBob}, {DeleteOp("/p/c")});
  EXPECT_EQ(refused.error(), metastorepb::NO_AUTH);
  EXPECT_EQ(refused.message(), "NoAuth: /p/c (needs DELETE on /p)");
  EXPECT_TRUE(Exists("/p/c"));
  EXPECT_EQ(Get("/p").stat().num_children(), 1);
  // Asked before the node is looked at: NoAuth, not NoNode or BadVersion.
  EXPECT_EQ(As({kBob}, {DeleteOp("/p/missing")}).error(), metastorepb::NO_AUTH);
  EXPECT_EQ(As({kBob}, {DeleteOp("/p/c", 5)}).error(), metastorepb::NO_AUTH);
  EXPECT_EQ(As({kAlice}, {DeleteOp("/p/c", 5)}).error(), metastorepb::BAD_VERSION);
  // The node's own ACL (READ only) does not matter.
  ASSERT_EQ(As({kAlice}, {DeleteOp("/p/c")}).error(), metastorepb::OK);
  EXPECT_FALSE(Exists("/p/c"));
}

TEST_F(AclTreeTest, SetDataNeedsWriteAndCheckNeedsRead) {
  ASSERT_EQ(As(kNobody, {CreateWith("/n", {Anyone(kPermRead), For(kPermWrite, kAlice)}, "v0"),
                         CreateWith("/hidden", {For(kPermAll, kAlice)})})
                .error(),
            metastorepb::OK);
  auto refused = As({kBob}, {SetOp("/n", "bob")});
  EXPECT_EQ(refused.error(), metastorepb::NO_AUTH);
  EXPECT_EQ(refused.message(), "NoAuth: /n (needs WRITE on /n)");
  EXPECT_EQ(As({kBob}, {SetOp("/n", "bob", 7)}).error(), metastorepb::NO_AUTH);  // before version
  auto n = Get("/n");
  EXPECT_EQ(n.data(), "v0");
  EXPECT_EQ(n.stat().version(), 0);
  auto ok = As({kAlice}, {SetOp("/n", "alice", 0)});
  ASSERT_EQ(ok.error(), metastorepb::OK) << ok.message();
  EXPECT_EQ(ok.results(0).stat().version(), 1);

  EXPECT_EQ(As({kBob}, {CheckOp("/hidden", 0)}).error(), metastorepb::NO_AUTH);
  EXPECT_EQ(As({kAlice}, {CheckOp("/hidden", 0)}).error(), metastorepb::OK);
  EXPECT_EQ(As({kAlice}, {CheckOp("/hidden", 1)}).error(), metastorepb::BAD_VERSION);
}

TEST_F(AclTreeTest, SetAclNeedsAdminAndChecksAndCountsTheAversion) {
  uint64_t s = NewSession();
  Listen(s);
  ASSERT_EQ(Create("/a", "x").error(), metastorepb::OK);
  const auto before = Get("/a").stat();
  ASSERT_EQ(Get("/a", s, /*watch=*/true).error(), metastorepb::OK);

  auto set = As(kNobody, {SetAclOp("/a", {For(kPermAll, kAlice), Anyone(kPermRead)}, 0)});
  ASSERT_EQ(set.error(), metastorepb::OK) << set.message();
  ASSERT_EQ(set.results_size(), 1);
  EXPECT_EQ(set.results(0).stat().aversion(), 1);
  auto after = Get("/a").stat();
  EXPECT_EQ(after.aversion(), 1);
  // Only the aversion moves; no data watch fires.
  after.set_aversion(0);
  EXPECT_EQ(after.SerializeAsString(), before.SerializeAsString());
  EXPECT_THAT(events_[s], IsEmpty());

  auto stale = As({kAlice}, {SetAclOp("/a", {For(kPermAll, kAlice)}, 0)});
  EXPECT_EQ(stale.error(), metastorepb::BAD_VERSION);
  EXPECT_EQ(stale.message(), "BadVersion: /a (expected ACL version 0, is 1)");
  // The data version is not the ACL's.
  EXPECT_EQ(As({kAlice}, {SetOp("/a", "y", 0)}).error(), metastorepb::OK);
  EXPECT_EQ(As({kAlice}, {SetAclOp("/a", {For(kPermAll, kAlice)}, 1)}).results(0).stat().aversion(),
            2);
  EXPECT_EQ(As({kAlice}, {SetAclOp("/a", {For(kPermAll, kAlice)})}).results(0).stat().aversion(),
            3);
  EXPECT_EQ(
      As({kAlice}, {SetAclOp("/a", {For(kPermAll, kAlice)}, -1)}).results(0).stat().aversion(), 4);

  // Without ADMIN: refused before the version is looked at.
  auto refused = As({kBob}, {SetAclOp("/a", {Anyone(kPermAll)}, 4)});
  EXPECT_EQ(refused.error(), metastorepb::NO_AUTH);
  EXPECT_EQ(refused.message(), "NoAuth: /a (needs ADMIN on /a)");
  EXPECT_EQ(GetAs({kAlice}, "/a").stat().aversion(), 4);
  EXPECT_EQ(As({kAlice}, {SetAclOp("/missing", {Anyone(kPermAll)})}).error(), metastorepb::NO_NODE);
  EXPECT_EQ(As({kAlice}, {SetAclOp("/a", {}, 4)}).error(), metastorepb::INVALID_ACL);
  EXPECT_EQ(As({kAlice}, {SetAclOp("/a", {Anyone(kPermAll)}, -2)}).error(),
            metastorepb::BAD_ARGUMENTS);
  // Back to the default: stored as nothing again.
  EXPECT_EQ(tree_->acl_count(), 1u);
  ASSERT_EQ(As({kAlice}, {SetAclOp("/a", {Anyone(kPermAll)}, 4)}).error(), metastorepb::OK);
  EXPECT_EQ(tree_->acl_count(), 0u);
  EXPECT_EQ(GetAs({kBob}, "/a").data(), "y");
}

TEST_F(AclTreeTest, IpIdsMatchByAddressAndPrefix) {
  ASSERT_EQ(As(kNobody, {CreateWith("/net", {MakeAcl(kPermRead, "ip", "10.0.0.0/8"),
                                             MakeAcl(kPermRead, "ip", "2001:db8::/32"),
                                             MakeAcl(kPermAll, "ip", "192.168.1.7")})})
                .error(),
            metastorepb::OK);
  EXPECT_EQ(GetAs({MakeId("ip", "10.200.3.4")}, "/net").error(), metastorepb::OK);
  EXPECT_EQ(GetAs({MakeId("ip", "11.0.0.1")}, "/net").error(), metastorepb::NO_AUTH);
  EXPECT_EQ(GetAs({MakeId("ip", "2001:db8:ffff::1")}, "/net").error(), metastorepb::OK);
  EXPECT_EQ(GetAs({MakeId("ip", "2001:db9::1")}, "/net").error(), metastorepb::NO_AUTH);
  EXPECT_EQ(GetAs({MakeId("ip", "192.168.1.8")}, "/net").error(), metastorepb::NO_AUTH);
  EXPECT_EQ(GetAs({MakeId("digest", "10.0.0.1")}, "/net").error(), metastorepb::NO_AUTH);
  EXPECT_EQ(As({MakeId("ip", "10.0.0.1")}, {SetOp("/net", "x")}).error(), metastorepb::NO_AUTH);
  EXPECT_EQ(As({MakeId("ip", "192.168.1.7")}, {SetOp("/net", "x")}).error(), metastorepb::OK);
}

TEST_F(AclTreeTest, AuthStandsForTheCallersAuthenticatedIdentities) {
  const Who caller = {MakeId("ip", "127.0.0.1"), kAlice, kBob};
  auto made = As(caller, {CreateWith("/mine", {MakeAcl(kPermAll, "auth", ""), Anyone(kPermRead)})});
  ASSERT_EQ(made.error(), metastorepb::OK) << made.message();
  EXPECT_THAT(Show(AclOf({kAlice}, "/mine").acl()),
              ElementsAre(absl::StrCat("31 digest:", kAlice.id()),
                          absl::StrCat("31 digest:", kBob.id()), "1 world:anyone"));
  EXPECT_EQ(As({kBob}, {SetOp("/mine", "b")}).error(), metastorepb::OK);
  EXPECT_EQ(As({MakeId("ip", "127.0.0.1")}, {SetOp("/mine", "ip")}).error(), metastorepb::NO_AUTH);

  // Nothing proven (an address, the superuser): InvalidACL, and nothing made.
  for (const Who& unproven : {kNobody, Who{MakeId("ip", "127.0.0.1")}, Who{kSuper}}) {
    auto refused = As(unproven, {CreateWith("/theirs", {MakeAcl(kPermAll, "auth", "")})});
    EXPECT_EQ(refused.error(), metastorepb::INVALID_ACL);
    EXPECT_THAT(refused.message(), HasSubstr("no authenticated identity"));
    EXPECT_EQ(As(unproven, {SetAclOp("/mine", {MakeAcl(kPermAll, "auth", "")})}).error(),
              metastorepb::INVALID_ACL);
  }
  EXPECT_FALSE(Exists("/theirs"));
  EXPECT_EQ(Get("/mine").stat().aversion(), 0);
}

TEST_F(AclTreeTest, InvalidAclsChangeNothing) {
  ASSERT_EQ(Create("/a").error(), metastorepb::OK);
  const auto root = Get("/").stat();
  const auto a = Get("/a").stat();
  const std::vector<std::vector<metastorepb::Acl>> bad = {
      {MakeAcl(kPermAll, "sasl", "bob")},       {MakeAcl(kPermAll, "super", "")},
      {MakeAcl(kPermAll, "world", "everyone")}, {MakeAcl(kPermAll, "digest", "no-colon")},
      {MakeAcl(kPermAll, "ip", "10.0.0.0/33")}, {MakeAcl(kPermAll, "ip", "fe80::1::2")},
      {Anyone(kPermRead), Anyone(32)},          {Anyone(-1)},
  };
  for (const auto& acl : bad) {
    const std::string what = acl.back().ShortDebugString();
    auto create = As({kAlice}, {CreateWith("/b", acl)});
    EXPECT_EQ(create.error(), metastorepb::INVALID_ACL) << what;
    EXPECT_THAT(create.message(), HasSubstr("InvalidACL: /b (")) << what;
    EXPECT_EQ(As({kAlice}, {SetAclOp("/a", acl)}).error(), metastorepb::INVALID_ACL) << what;
    // InvalidACL comes first, even where the parent is missing (ZooKeeper's order).
    EXPECT_EQ(As({kAlice}, {CreateWith("/missing/b", acl)}).error(), metastorepb::INVALID_ACL)
        << what;
  }
  EXPECT_FALSE(Exists("/b"));
  EXPECT_EQ(Get("/").stat().SerializeAsString(), root.SerializeAsString());
  EXPECT_EQ(Get("/a").stat().SerializeAsString(), a.SerializeAsString());
  EXPECT_EQ(tree_->acl_count(), 0u);
}

TEST_F(AclTreeTest, AMultiWhoseThirdOpLacksPermissionChangesNothing) {
  ASSERT_EQ(Create("/open", "orig").error(), metastorepb::OK);
  ASSERT_EQ(As(kNobody, {CreateWith("/locked", {Anyone(kPermRead)})}).error(), metastorepb::OK);
  const auto root = Get("/").stat();
  auto r = As({kBob}, {CreateWith("/x", {For(kPermAll, kBob)}), SetOp("/open", "changed"),
                       CreateOp("/locked/c"), CreateOp("/y")});
  EXPECT_EQ(r.error(), metastorepb::NO_AUTH);
  EXPECT_EQ(r.message(), "NoAuth: /locked/c (needs CREATE on /locked)");
  ASSERT_EQ(r.results_size(), 4);
  EXPECT_EQ(r.results(0).error(), metastorepb::OK);
  EXPECT_EQ(r.results(1).error(), metastorepb::OK);
  EXPECT_EQ(r.results(2).error(), metastorepb::NO_AUTH);
  EXPECT_EQ(r.results(3).error(), metastorepb::RUNTIME_INCONSISTENCY);
  EXPECT_FALSE(Exists("/x"));
  EXPECT_FALSE(Exists("/y"));
  EXPECT_EQ(Get("/open").data(), "orig");
  EXPECT_EQ(Get("/").stat().SerializeAsString(), root.SerializeAsString());
  EXPECT_EQ(tree_->acl_count(), 1u);  // /locked's; /x's went with it
}

TEST_F(AclTreeTest, EachOpOfAMultiIsCheckedAgainstTheTreeTheEarlierOpsLeft) {
  ASSERT_EQ(Create("/n", "orig").error(), metastorepb::OK);
  // Bob takes ADMIN away from everyone else, then writes as anyone may no longer: refused, and
  // the ACL change is undone with the rest.
  auto r = As({kBob}, {SetAclOp("/n", {For(kPermAll, kAlice)}), SetOp("/n", "bob")});
  EXPECT_EQ(r.error(), metastorepb::NO_AUTH);
  EXPECT_EQ(r.results(0).error(), metastorepb::OK);
  EXPECT_EQ(r.results(1).error(), metastorepb::NO_AUTH);
  EXPECT_EQ(Get("/n").stat().aversion(), 0);
  EXPECT_THAT(Show(AclOf(kNobody, "/n").acl()), ElementsAre("31 world:anyone"));
  EXPECT_EQ(tree_->acl_count(), 0u);
  // A node made earlier in the multi lets its owner in at once.
  auto nested = As({kAlice}, {CreateWith("/d", {For(kPermAll, kAlice)}), CreateOp("/d/e"),
                              SetAclOp("/d/e", {For(kPermRead, kAlice)}), SetOp("/d", "x")});
  ASSERT_EQ(nested.error(), metastorepb::OK) << nested.message();
  EXPECT_EQ(nested.results(2).stat().aversion(), 1);
  EXPECT_EQ(tree_->acl_count(), 2u);
  // And a node deleted and made again in one multi has the ACL it was made with.
  auto again = As({kAlice}, {DeleteOp("/d/e"), CreateWith("/d/e", {For(kPermAll, kBob)})});
  ASSERT_EQ(again.error(), metastorepb::OK) << again.message();
  EXPECT_EQ(GetAs({kAlice}, "/d/e").error(), metastorepb::NO_AUTH);
  EXPECT_EQ(GetAs({kBob}, "/d/e").error(), metastorepb::OK);
  EXPECT_EQ(tree_->acl_count(), 2u);  // alice ALL (on /d), bob ALL; alice READ went
}

TEST_F(AclTreeTest, SuperPassesEveryCheck) {
  ASSERT_EQ(As(kNobody, {CreateOp("/s", "v"), CreateWith("/s/c", {Anyone(0)}),
                         SetAclOp("/s", {For(kPermRead, kAlice)})})
                .error(),
            metastorepb::OK);
  EXPECT_EQ(GetAs({kSuper}, "/s/c").error(), metastorepb::OK);
  EXPECT_EQ(ChildrenAs({kSuper}, "/s").error(), metastorepb::OK);
  EXPECT_EQ(As({kSuper}, {SetOp("/s/c", "w")}).error(), metastorepb::OK);
  EXPECT_EQ(As({kSuper}, {CreateOp("/s/d")}).error(), metastorepb::OK);
  EXPECT_EQ(As({kSuper}, {DeleteOp("/s/d")}).error(), metastorepb::OK);
  EXPECT_EQ(As({kSuper}, {CheckOp("/s/c", 1)}).error(), metastorepb::OK);
  EXPECT_EQ(As({kSuper}, {SetAclOp("/s", {For(kPermAll, kBob)}, 1)}).error(), metastorepb::OK);
  auto acl = AclOf({kSuper}, "/s");
  ASSERT_EQ(acl.error(), metastorepb::OK);
  EXPECT_THAT(Show(acl.acl()), ElementsAre(absl::StrCat("31 digest:", kBob.id())));  // not hidden
  EXPECT_EQ(GetAs({kAlice}, "/s").error(), metastorepb::NO_AUTH);
}

TEST_F(AclTreeTest, HousekeepingIsNotChecked) {
  uint64_t s = NewSession();
  ASSERT_EQ(As(kNobody, {CreateWith("/p", {Anyone(kPermCreate | kPermRead)})}).error(),
            metastorepb::OK);
  ASSERT_EQ(As(kNobody, {CreateOp("/p/e1")}, s).error(), metastorepb::OK);
  metastorepb::Op eph = CreateOp("/p/e2");
  eph.mutable_create()->set_ephemeral(true);
  ASSERT_EQ(As(kNobody, {eph}, s).error(), metastorepb::OK);
  EXPECT_EQ(As(kNobody, {DeleteOp("/p/e2")}, s).error(), metastorepb::NO_AUTH);
  metastorepb::Command close;  // carries no identity at all
  close.set_session_id(s);
  close.set_close_session(true);
  ASSERT_EQ(Run(close).error(), metastorepb::OK);
  EXPECT_FALSE(Exists("/p/e2"));
  EXPECT_TRUE(Exists("/p/e1"));
}

TEST_F(AclTreeTest, DefaultNodesStoreNoAcl) {
  ASSERT_EQ(Create("/d").error(), metastorepb::OK);
  ASSERT_EQ(As(kNobody, {CreateWith("/o", {Anyone(kPermAll)})}).error(), metastorepb::OK);
  for (int i = 0; i < 50; ++i) {
    ASSERT_EQ(As(kNobody, {CreateWith(absl::StrCat("/c", i), {For(kPermAll, kAlice)})}).error(),
              metastorepb::OK);
  }
  EXPECT_EQ(tree_->acl_count(), 1u);  // fifty nodes, one list
  for (int i = 0; i < 50; i += 2) {
    ASSERT_EQ(Delete(absl::StrCat("/c", i)).error(), metastorepb::OK);
  }
  EXPECT_EQ(tree_->acl_count(), 1u);
  for (int i = 1; i < 50; i += 2) {
    ASSERT_EQ(Delete(absl::StrCat("/c", i)).error(), metastorepb::OK);
  }
  EXPECT_EQ(tree_->acl_count(), 0u);
  ASSERT_EQ(As(kNobody, {CreateWith("/c", {For(kPermAll, kAlice)})}).error(), metastorepb::OK);

  EXPECT_EQ(Stored("/d").acl_size(), 0);
  EXPECT_EQ(Stored("/o").acl_size(), 0);  // world:anyone ALL is the default
  EXPECT_EQ(Stored("/").acl_size(), 0);
  auto custom = Stored("/c");
  ASSERT_EQ(custom.acl_size(), 1);
  EXPECT_EQ(custom.acl(0).id().id(), kAlice.id());
}

TEST_F(AclTreeTest, AclsSurviveRestartAndSnapshotRestore) {
  ASSERT_EQ(As({kAlice}, {CreateWith("/a", {For(kPermAll, kAlice)}, "1"),
                          CreateWith("/a/b", {For(kPermRead, kBob), For(kPermAll, kAlice)}, "2"),
                          CreateOp("/open")})
                .error(),
            metastorepb::OK);
  ASSERT_EQ(As({kAlice}, {SetAclOp("/a/b", {For(kPermAll, kBob)}, 0)}).error(), metastorepb::OK);
  ASSERT_TRUE(tree_->Persist(index_, {}).ok());
  const uint64_t at = index_;
  warren::testing::StringWriter writer;
  ASSERT_TRUE(tree_->TakeSnapshot()(writer).ok());

  auto expect_acls = [&](const char* where) {
    SCOPED_TRACE(where);
    EXPECT_EQ(GetAs({kBob}, "/a").error(), metastorepb::NO_AUTH);
    EXPECT_EQ(GetAs({kAlice}, "/a").data(), "1");
    EXPECT_EQ(GetAs({kAlice}, "/a/b").error(), metastorepb::NO_AUTH);
    auto b = AclOf({kBob}, "/a/b");
    ASSERT_EQ(b.error(), metastorepb::OK);
    EXPECT_THAT(Show(b.acl()), ElementsAre(absl::StrCat("31 digest:", kBob.id())));
    EXPECT_EQ(b.stat().aversion(), 1);
    EXPECT_THAT(Show(AclOf(kNobody, "/open").acl()), ElementsAre("31 world:anyone"));
    EXPECT_EQ(tree_->acl_count(), 2u);
    // And they go on working: a write checked against a reloaded ACL.
    EXPECT_EQ(As({kAlice}, {SetOp("/a/b", "x")}).error(), metastorepb::NO_AUTH);
  };
  Reopen();
  expect_acls("reopened");

  // Changed after the snapshot, then restored to it.
  ASSERT_EQ(As({kBob}, {SetAclOp("/a/b", {Anyone(kPermAll)})}).error(), metastorepb::OK);
  warren::testing::StringReader reader(writer.out);
  ASSERT_TRUE(tree_->RestoreSnapshot(at, reader).ok());
  index_ = at;
  expect_acls("restored");
}

// /zookeeper/quota is open, as in ZooKeeper; an ACL on it keeps quotas to its owner, restarts
// included.
TEST_F(AclTreeTest, AnAclOnZooKeepersQuotaNodeKeepsQuotasToItsOwner) {
  ASSERT_EQ(As({kBob}, {CreateOp("/zookeeper/quota/bobs")}).error(), metastorepb::OK);
  ASSERT_EQ(As(kNobody, {SetAclOp("/zookeeper/quota", {For(kPermAll, kAlice), Anyone(kPermRead)})})
                .error(),
            metastorepb::OK);
  auto expect_only_alice = [&](const char* when) {
    EXPECT_EQ(As({kBob}, {CreateOp("/zookeeper/quota/app")}).error(), metastorepb::NO_AUTH) << when;
    EXPECT_EQ(As({kBob}, {DeleteOp("/zookeeper/quota/bobs")}).error(), metastorepb::NO_AUTH)
        << when;
    EXPECT_EQ(GetAs({kBob}, "/zookeeper/quota").error(), metastorepb::OK) << when;
  };
  expect_only_alice("set");
  ASSERT_TRUE(tree_->Persist(index_, {}).ok());
  Reopen();
  expect_only_alice("after a restart");
  EXPECT_EQ(As({kAlice}, {CreateOp("/zookeeper/quota/app")}).error(), metastorepb::OK);
}

}  // namespace
}  // namespace warren::metastore
