// What a metastore quorum of real warrend processes lets in: a write larger than the command
// limit is refused before anything is appended while the group goes on, one under it commits
// on every member; the leader's housekeeping commands cannot come from a client, neither
// through the metastore API nor through the Raft runtime's generic client service, which
// warrend does not serve.
#include <chrono>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "metastore/errors.h"
#include "metastore/ops.h"
#include "proto/raft_service.grpc.pb.h"
#include "tests/integration/metastore_cluster.h"

namespace warren::testing {
namespace {

using metastore::CreateOp;
using metastore::ErrorOf;

// warrend's defaults.
constexpr size_t kCommandLimit = 4 << 20;
constexpr size_t kDataLimit = 1 << 20;

// The leader's last log index and commit, as it reports them.
std::pair<uint64_t, uint64_t> LogOf(MetastoreClient& client, const std::string& address) {
  auto st = client.MemberStatus(address, absl::Seconds(5));
  EXPECT_TRUE(st.ok()) << st.status();
  return {st->raft().last_index(), st->raft().commit()};
}

// The bytes of `ops` as the command the leader would propose (give or take a few bytes of
// clock).
size_t CommandBytes(const std::vector<metastorepb::Op>& ops) {
  metastorepb::Command cmd;
  for (const auto& op : ops) *cmd.mutable_multi()->add_ops() = op;
  cmd.set_time_ms(absl::ToUnixMillis(absl::Now()));
  return cmd.ByteSizeLong();
}

// A multi creating /big/<prefix>-0, -1, ...: nodes of the largest data, the last one with what
// makes the command `bytes` long.
std::vector<metastorepb::Op> MultiOf(const std::string& prefix, size_t bytes) {
  std::vector<metastorepb::Op> ops;
  while (ops.empty() || CommandBytes(ops) < bytes) {
    ops.push_back(
        CreateOp(absl::StrCat("/big/", prefix, "-", ops.size()), std::string(kDataLimit, 'd')));
  }
  auto* last = ops.back().mutable_create()->mutable_data();
  last->resize(last->size() - (CommandBytes(ops) - bytes));
  return ops;
}

TEST(MetastoreAdmission, AWriteOverTheCommandLimitIsRefusedAndOneUnderItCommitsEverywhere) {
  // No bound on paths, so that a create with a long name reaches the command limit.
  MetastoreCluster c({"--max-path-bytes=0"});
  c.StartAll();
  const uint64_t leader = c.WaitForLeader();
  ASSERT_NE(leader, 0u);
  auto client = c.Client();
  ASSERT_TRUE(client->Create("/big", "").ok());

  // Every op is fine, together they are a little too much.
  auto over = MultiOf("over", kCommandLimit + 100);
  ASSERT_GT(CommandBytes(over), kCommandLimit);
  ASSERT_LT(CommandBytes(over), kCommandLimit + 200);
  const auto before = LogOf(*client, c.Address(leader));
  absl::Status s = client->Multi(over);
  EXPECT_EQ(ErrorOf(s), metastorepb::BAD_ARGUMENTS) << s;
  EXPECT_NE(s.message().find(absl::StrCat("the limit is ", kCommandLimit)), std::string::npos) << s;
  // A single create too, with data under its limit and a long name.
  s = client
          ->Create("/big/" + std::string(kCommandLimit - kDataLimit, 'n'),
                   std::string(kDataLimit, 'd'))
          .status();
  EXPECT_EQ(ErrorOf(s), metastorepb::BAD_ARGUMENTS) << s;
  EXPECT_NE(s.message().find(absl::StrCat("the limit is ", kCommandLimit)), std::string::npos) << s;
  EXPECT_EQ(LogOf(*client, c.Address(leader)), before) << "a refused write was appended";
  auto children = client->GetChildren("/big");
  ASSERT_TRUE(children.ok());
  EXPECT_TRUE(children->children.empty());

  // Just under the limit: committed, and on every member.
  auto under = MultiOf("under", kCommandLimit - 100);
  ASSERT_LT(CommandBytes(under), kCommandLimit);
  ASSERT_GT(CommandBytes(under), kCommandLimit - 200);
  ASSERT_TRUE(client->Multi(under).ok());
  // And the group goes on.
  ASSERT_TRUE(client->Create("/after", "x").ok());
  const uint64_t zxid = client->last_zxid();
  for (uint64_t id = 1; id <= 3; ++id) {
    ClientOptions o;
    o.endpoints = {c.Address(id)};
    o.consistency = raftpb::SEQUENTIAL;  // served by that member, from its own state
    auto member = MetastoreClient::Connect(o);
    ASSERT_TRUE(member.ok());
    ASSERT_TRUE(Eventually(
        [&] {
          auto st = (*member)->MemberStatus(c.Address(id), absl::Seconds(1));
          return st.ok() && st->raft().applied() >= zxid;
        },
        absl::Seconds(30)))
        << "member " << id;
    auto node = (*member)->GetData("/big/under-1");
    ASSERT_TRUE(node.ok()) << "member " << id << ": " << node.status();
    EXPECT_EQ(node->data.size(), kDataLimit);
    auto after = (*member)->GetData("/after");
    ASSERT_TRUE(after.ok()) << "member " << id << ": " << after.status();
  }
}

TEST(MetastoreAdmission, AMemberRefusesLimitsThatLeaveNoRoomForAPath) {
  MetastoreCluster c({"--max-command-bytes=1000", "--max-data-bytes=1000"});
  auto r =
      RunCommand({WARREND, "--id=1", "--members=" + c.Members(), "--data-dir=" + c.dir() + "/1",
                  "--max-command-bytes=1000", "--max-data-bytes=1000"},
                 absl::Seconds(30));
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("no room"), std::string::npos) << r.err;
  r = RunCommand({WARREND, "--id=1", "--members=" + c.Members(), "--data-dir=" + c.dir() + "/1",
                  absl::StrCat("--max-command-bytes=", (64 << 20) + 1)},
                 absl::Seconds(30));
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("command limit"), std::string::npos) << r.err;
}

TEST(MetastoreAdmission, TheLeadersHousekeepingFitsTheCommandLimitToo) {
  // More idle TTL nodes than one command can name: the leader deletes them a batch at a time.
  MetastoreCluster c({"--max-command-bytes=4096", "--max-data-bytes=1024"});
  c.StartAll();
  ASSERT_NE(c.WaitForLeader(), 0u);
  auto client = c.Client();
  const std::string name(100, 't');
  for (int i = 0; i < 80; ++i) {
    ASSERT_TRUE(client->Create(absl::StrCat("/", name, "-", i), "", {.ttl_ms = 2000}).ok());
  }
  // Frozen past the TTL, the leader finds them all idle at once when it wakes.
  for (uint64_t id = 1; id <= 3; ++id) c.Pause(id);
  absl::SleepFor(absl::Milliseconds(2500));
  for (uint64_t id = 1; id <= 3; ++id) c.Resume(id);
  EXPECT_TRUE(Eventually(
      [&] {  // all gone but ZooKeeper's /zookeeper
        auto root = client->GetChildren("/");
        return root.ok() && root->children.size() == 1;
      },
      absl::Seconds(30)))
      << "idle TTL nodes were not deleted";
}

TEST(MetastoreAdmission, HousekeepingCommandsComeFromTheLeaderAlone) {
  MetastoreCluster c;
  c.StartAll();
  const uint64_t leader = c.WaitForLeader();
  ASSERT_NE(leader, 0u);
  auto owner = c.Client();
  ASSERT_TRUE(owner->StartSession(absl::Seconds(30)).ok());
  ASSERT_TRUE(owner->Create("/mine", "", {.ephemeral = true}).ok());
  const uint64_t session = owner->session_id();

  // Expire the session, the leader's clock chosen by the client, through the Raft runtime's
  // generic client service: warrend does not serve it.
  metastorepb::Command expire;
  expire.set_time_ms(absl::ToUnixMillis(absl::Now()) + 3600 * 1000);
  expire.mutable_expire_sessions()->add_session_ids(session);
  for (uint64_t id = 1; id <= 3; ++id) {
    auto stub = raftpb::RaftClientService::NewStub(
        grpc::CreateChannel(c.Address(id), grpc::InsecureChannelCredentials()));
    raftpb::ClientRequest req;
    req.set_group("metastore");
    req.set_client_id(77);
    req.set_seq(id);
    req.set_first_incomplete_seq(id);
    req.set_write(expire.SerializeAsString());
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    raftpb::ClientReply reply;
    grpc::Status gs = stub->Call(&ctx, req, &reply);
    EXPECT_EQ(gs.error_code(), grpc::StatusCode::UNIMPLEMENTED)
        << "member " << id << ": " << gs.error_message() << " " << reply.DebugString();
  }

  // Smuggled into a multi as an op this server does not know (an unknown field of Op, where
  // a later version might put something else): refused before it is proposed.
  const auto before = LogOf(*owner, c.Address(leader));
  for (uint64_t id = 1; id <= 3; ++id) {
    auto stub = metastorepb::Metastore::NewStub(
        grpc::CreateChannel(c.Address(id), grpc::InsecureChannelCredentials()));
    metastorepb::MultiRequest multi;
    auto* op = multi.add_ops();
    op->GetReflection()->MutableUnknownFields(op)->AddLengthDelimited(
        6, expire.expire_sessions().SerializeAsString());
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    metastorepb::MultiResponse resp;
    grpc::Status gs = stub->Multi(&ctx, multi, &resp);
    ASSERT_TRUE(gs.ok()) << gs.error_message();
    EXPECT_EQ(resp.header().error(), metastorepb::BAD_ARGUMENTS) << resp.DebugString();
    EXPECT_NE(resp.header().message().find("op 0"), std::string::npos) << resp.DebugString();
  }
  EXPECT_EQ(LogOf(*owner, c.Address(leader)), before) << "a refused multi was appended";

  // The session and its ephemeral are still there, and the quorum still writes.
  auto other = c.Client();
  auto mine = other->Exists("/mine");
  ASSERT_TRUE(mine.ok()) << mine.status();
  ASSERT_TRUE(mine->has_value()) << "the session was expired by a client";
  EXPECT_EQ((*mine)->ephemeral_owner(), static_cast<int64_t>(session));
  EXPECT_TRUE(other->Create("/still-writing", "").ok());
}

}  // namespace
}  // namespace warren::testing
