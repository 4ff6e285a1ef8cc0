// Forged and malformed traffic on a real warrend's peer port, from a raw RaftPeer client:
// whatever arrives there, the member does not crash and keeps serving.
#include <chrono>
#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "glog/logging.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/impl/rpc_method.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/sync_stream.h"
#include "gtest/gtest.h"
#include "metastore/data_layout.h"
#include "proto/raft_service.grpc.pb.h"
#include "raft/log/file_util.h"
#include "raft/server/snapshot_store.h"
#include "raft/transport/message_limits.h"
#include "tests/integration/metastore_cluster.h"

namespace warren::testing {
namespace {

using raftpb::Envelope;
using raftpb::Message;
using raftpb::SnapshotChunk;

constexpr const char* kGroup = metastore::kMetastoreGroup;
// Fits a uint64 field, but reads as negative wherever it is taken for an int64 (zxids are).
constexpr uint64_t kNegative = uint64_t{1} << 63;

// A peer that says whatever the test makes it say.
class RawPeer {
 public:
  explicit RawPeer(const std::string& address)
      : channel_(grpc::CreateChannel(address, grpc::InsecureChannelCredentials())),
        stub_(raftpb::RaftPeer::NewStub(channel_)) {}

  // One RaftPeer.Stream call carrying `envelopes`; its final status.
  grpc::Status Stream(const std::vector<Envelope>& envelopes) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    raftpb::StreamAck ack;
    auto writer = stub_->Stream(&ctx, &ack);
    for (const auto& e : envelopes) {
      if (!writer->Write(e)) break;
    }
    writer->WritesDone();
    return writer->Finish();
  }

  // One RaftPeer.Stream call carrying `bytes` as its one message, whatever they are.
  grpc::Status RawStream(const std::string& bytes) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    grpc::internal::RpcMethod method("/warren.raftpb.RaftPeer/Stream",
                                     grpc::internal::RpcMethod::CLIENT_STREAMING, channel_);
    grpc::ByteBuffer ack;
    std::unique_ptr<grpc::ClientWriter<grpc::ByteBuffer>> writer(
        grpc::internal::ClientWriterFactory<grpc::ByteBuffer>::Create(channel_.get(), method, &ctx,
                                                                      &ack));
    grpc::Slice slice(bytes);
    grpc::ByteBuffer buffer(&slice, 1);
    writer->Write(buffer);
    writer->WritesDone();
    return writer->Finish();
  }

  // One RaftPeer.InstallSnapshot call carrying `chunks`; its final status.
  grpc::Status Snapshot(const std::vector<SnapshotChunk>& chunks) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    raftpb::SnapshotAck ack;
    auto writer = stub_->InstallSnapshot(&ctx, &ack);
    for (const auto& chunk : chunks) {
      if (!writer->Write(chunk)) break;
    }
    writer->WritesDone();
    return writer->Finish();
  }

 private:
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<raftpb::RaftPeer::Stub> stub_;
};

Message Msg(raftpb::MessageType type, uint64_t to, uint64_t from, uint64_t term) {
  Message m;
  m.set_type(type);
  m.set_to(to);
  m.set_from(from);
  m.set_term(term);
  return m;
}

Envelope Env(const std::string& group, std::vector<Message> msgs) {
  Envelope e;
  e.set_group(group);
  for (auto& m : msgs) *e.add_messages() = std::move(m);
  return e;
}

raftpb::SnapshotMetadata Meta(uint64_t index, uint64_t term) {
  raftpb::SnapshotMetadata meta;
  meta.set_index(index);
  meta.set_term(term);
  for (uint64_t id = 1; id <= 3; ++id) meta.mutable_conf_state()->add_voters(id);
  return meta;
}

Message SnapMsg(uint64_t to, uint64_t from, uint64_t term, const raftpb::SnapshotMetadata& meta) {
  Message m = Msg(raftpb::MSG_SNAP, to, from, term);
  *m.mutable_snapshot()->mutable_metadata() = meta;
  return m;
}

SnapshotChunk Chunk(const std::string& group, std::string data, bool last) {
  SnapshotChunk c;
  c.set_group(group);
  c.set_data(std::move(data));
  c.set_last(last);
  return c;
}

// A well-formed snapshot file (it verifies) at `meta`, with junk for state.
std::string SnapshotFile(const std::string& dir, const raftpb::SnapshotMetadata& meta) {
  auto store = raft::SnapshotStore::Open(dir);
  CHECK(store.ok()) << store.status();
  raftpb::SnapshotHeader header;
  *header.mutable_metadata() = meta;
  auto info = (*store)->Write(header, [](SnapshotWriter& w) { return w.Write("not a tree"); });
  CHECK(info.ok()) << info.status();
  auto bytes = ReadFile(info->path);
  CHECK(bytes.ok()) << bytes.status();
  return *bytes;
}

std::string Tail(const std::string& s) { return s.size() > 3000 ? s.substr(s.size() - 3000) : s; }

struct Case {
  std::string name;
  std::function<void()> send;
  // Reaches the member's group and is counted there as refused.
  bool counted;
};

TEST(HostilePeer, ForgedAndMalformedPeerTrafficNeitherCrashesNorStopsAMember) {
  MetastoreCluster c;
  c.StartAll();
  const uint64_t leader = c.WaitForLeader();
  ASSERT_NE(leader, 0u);
  auto client = c.Client();
  int writes = 0;

  auto status_of = [&](uint64_t id) {
    auto st = client->MemberStatus(c.Address(id), absl::Seconds(5));
    return st.ok() ? st->raft() : raftpb::GroupStatus();
  };
  // The member still runs, the group still commits and reads, and the member applies.
  auto expect_serving = [&](uint64_t target, const std::string& what) {
    const std::string path = absl::StrCat("/alive-", ++writes);
    auto created = client->Create(path, what);
    ASSERT_TRUE(created.ok()) << what << ": " << created.status();
    auto read = client->GetData(path);
    ASSERT_TRUE(read.ok()) << what << ": " << read.status();
    EXPECT_EQ(read->data, what);
    const uint64_t zxid = read->stat.mzxid();
    const bool applied =
        Eventually([&] { return !c.Running(target) || status_of(target).applied() >= zxid; },
                   absl::Seconds(30));
    ASSERT_TRUE(c.Running(target)) << "member " << target << " exited after: " << what << "\n"
                                   << Tail(ReadFile(c.LogPath(target)).value_or(""));
    ASSERT_TRUE(applied) << "member " << target << " no longer applies, after: " << what;
  };

  for (uint64_t target : {leader, leader % 3 + 1}) {
    const uint64_t other = target % 3 + 1;  // a real member the forger pretends to be
    RawPeer peer(c.Address(target));
    const raftpb::GroupStatus st = status_of(target);
    const uint64_t term = st.term();
    const uint64_t commit = st.commit();
    const std::string snap_dir = absl::StrCat(c.dir(), "/forged-", target);
    const std::string good_file = SnapshotFile(snap_dir, Meta(commit + 1000, term + 1));

    std::vector<Case> cases = {
        {"a snapshot message on the stream, without its file",
         [&] {
           peer.Stream(
               {Env(kGroup, {SnapMsg(target, other, term + 1, Meta(commit + 1000, term + 1))})});
         },
         true},
        {"a message addressed to another member",
         [&] { peer.Stream({Env(kGroup, {Msg(raftpb::MSG_HEARTBEAT, 99, other, term)})}); }, true},
        {"a message from nobody",
         [&] { peer.Stream({Env(kGroup, {Msg(raftpb::MSG_HEARTBEAT, target, 0, term)})}); }, true},
        {"a message from the member itself",
         [&] { peer.Stream({Env(kGroup, {Msg(raftpb::MSG_HEARTBEAT, target, target, term)})}); },
         true},
        {"a stream whose sender changes its name",
         [&] {
           peer.Stream({Env(kGroup, {Msg(raftpb::MSG_HEARTBEAT_RESP, target, other, 1)}),
                        Env(kGroup, {Msg(raftpb::MSG_HEARTBEAT, target, 42, term + 1)})});
         },
         true},
        {"a group this member does not have",
         [&] { peer.Stream({Env("nope", {Msg(raftpb::MSG_HEARTBEAT, target, other, term)})}); },
         false},
        {"a message of no known type",
         [&] {
           peer.Stream(
               {Env(kGroup, {Msg(static_cast<raftpb::MessageType>(99), target, other, term + 1)})});
         },
         true},
        {"a term that reads as negative",
         [&] {
           peer.Stream({Env(kGroup, {Msg(raftpb::MSG_HEARTBEAT, target, other, kNegative)})});
         },
         true},
        {"the largest term there is",
         [&] {
           peer.Stream({Env(kGroup, {Msg(raftpb::MSG_HEARTBEAT, target, other,
                                         std::numeric_limits<uint64_t>::max())})});
         },
         true},
        {"an append whose index and commit read as negative",
         [&] {
           Message m = Msg(raftpb::MSG_APP, target, other, term);
           m.set_index(kNegative);
           m.set_log_term(term);
           m.set_commit(std::numeric_limits<uint64_t>::max());
           peer.Stream({Env(kGroup, {m})});
         },
         true},
        {"an append that conflicts with committed entries",
         [&] {
           Message m = Msg(raftpb::MSG_APP, target, other, term + 1);
           m.set_index(0);
           m.set_log_term(0);
           m.set_commit(commit);
           auto* e = m.add_entries();
           e->set_index(1);
           e->set_term(term + 1);
           e->set_data("forged");
           peer.Stream({Env(kGroup, {m})});
         },
         false},
        {"an append response claiming more log than there is",
         [&] {
           Message m = Msg(raftpb::MSG_APP_RESP, target, other, term);
           m.set_index(kNegative - 1);
           peer.Stream({Env(kGroup, {m})});
         },
         false},
        {"a read index request with a large context",
         [&] {
           Message m = Msg(raftpb::MSG_READ_INDEX, target, other, term);
           m.set_context(std::string(1 << 20, 'c'));
           peer.Stream({Env(kGroup, {m})});
         },
         false},
        {"an append whose entries are not contiguous",
         [&] {
           Message m = Msg(raftpb::MSG_APP, target, other, term);
           m.set_index(commit);
           m.set_log_term(term);
           m.add_entries()->set_index(commit + 1);
           m.add_entries()->set_index(commit + 3);
           peer.Stream({Env(kGroup, {m})});
         },
         true},
        {"an entry of no known type",
         [&] {
           Message m = Msg(raftpb::MSG_APP, target, other, term);
           m.set_index(commit);
           m.set_log_term(term);
           auto* e = m.add_entries();
           e->set_index(commit + 1);
           e->set_term(term);
           e->set_type(static_cast<raftpb::EntryType>(9));
           peer.Stream({Env(kGroup, {m})});
         },
         true},
        {"an append carrying a snapshot",
         [&] {
           Message m = Msg(raftpb::MSG_APP, target, other, 1);
           m.mutable_snapshot()->set_data(std::string(1000, 's'));
           peer.Stream({Env(kGroup, {m})});
         },
         true},
        {"an entry larger than any member may propose",
         [&] {
           Message m = Msg(raftpb::MSG_APP, target, other, 1);
           m.set_index(commit);
           auto* e = m.add_entries();
           e->set_index(commit + 1);
           e->set_term(1);
           e->set_data(std::string(raft::kMaxEntryDataBytes + 1, 'x'));
           peer.Stream({Env(kGroup, {m})});
         },
         true},
        {"a message larger than a member accepts",
         [&] {
           Message m = Msg(raftpb::MSG_HEARTBEAT, target, other, 1);
           m.set_context(std::string(raft::kMaxMessageBytes, 'x'));
           grpc::Status s = peer.Stream({Env(kGroup, {m})});
           EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << s.error_message();
         },
         false},
        {"bytes that are no envelope",
         [&] { peer.RawStream(std::string("\xff\xff\xff\xff\x0f", 5)); }, false},

        // The snapshot service.
        {"a snapshot upload without its message",
         [&] {
           grpc::Status s = peer.Snapshot({Chunk(kGroup, "data", true)});
           EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
         },
         false},
        {"a snapshot for a group this member does not have",
         [&] {
           SnapshotChunk first = Chunk("nope", good_file, true);
           *first.mutable_message() =
               SnapMsg(target, other, term + 1, Meta(commit + 1000, term + 1));
           EXPECT_FALSE(peer.Snapshot({first}).ok());
         },
         false},
        {"a snapshot addressed to another member",
         [&] {
           SnapshotChunk first = Chunk(kGroup, good_file, true);
           *first.mutable_message() = SnapMsg(77, other, term + 1, Meta(commit + 1000, term + 1));
           EXPECT_FALSE(peer.Snapshot({first}).ok());
         },
         true},
        {"a snapshot message with an empty snapshot",
         [&] {
           SnapshotChunk first = Chunk(kGroup, good_file, true);
           *first.mutable_message() = SnapMsg(target, other, term + 1, Meta(0, 0));
           EXPECT_FALSE(peer.Snapshot({first}).ok());
         },
         true},
        {"a snapshot whose index reads as negative",
         [&] {
           SnapshotChunk first = Chunk(kGroup, good_file, true);
           *first.mutable_message() = SnapMsg(target, other, term + 1, Meta(kNegative, term + 1));
           EXPECT_FALSE(peer.Snapshot({first}).ok());
         },
         true},
        {"a snapshot file that is not a snapshot",
         [&] {
           SnapshotChunk first = Chunk(kGroup, std::string(5000, 'j'), true);
           *first.mutable_message() =
               SnapMsg(target, other, term + 1, Meta(commit + 1000, term + 1));
           peer.Snapshot({first});
         },
         true},
        {"a snapshot file with a flipped byte",
         [&] {
           std::string bytes = good_file;
           bytes[bytes.size() / 2] ^= 0x40;
           SnapshotChunk first = Chunk(kGroup, bytes, true);
           *first.mutable_message() =
               SnapMsg(target, other, term + 1, Meta(commit + 1000, term + 1));
           peer.Snapshot({first});
         },
         true},
        {"a snapshot file that does not match its message",
         [&] {
           SnapshotChunk first = Chunk(kGroup, good_file, true);
           *first.mutable_message() =
               SnapMsg(target, other, term + 1, Meta(commit + 5000, term + 1));
           peer.Snapshot({first});
         },
         true},
        {"a snapshot upload that stops before its last chunk",
         [&] {
           SnapshotChunk first = Chunk(kGroup, good_file.substr(0, good_file.size() / 2), false);
           *first.mutable_message() =
               SnapMsg(target, other, term + 1, Meta(commit + 1000, term + 1));
           EXPECT_FALSE(peer.Snapshot({first}).ok());
         },
         false},
        {"a snapshot upload whose later chunk names another group",
         [&] {
           const size_t half = good_file.size() / 2;
           SnapshotChunk first = Chunk(kGroup, good_file.substr(0, half), false);
           *first.mutable_message() =
               SnapMsg(target, other, term + 1, Meta(commit + 1000, term + 1));
           SnapshotChunk second = Chunk("other", good_file.substr(half), true);
           *second.mutable_message() =
               SnapMsg(target, other, term + 1, Meta(commit + 1000, term + 1));
           EXPECT_FALSE(peer.Snapshot({first, second}).ok());
         },
         true},
    };
    for (const Case& k : cases) {
      SCOPED_TRACE(absl::StrCat("member ", target, ": ", k.name));
      const uint64_t refused_before = status_of(target).refused_messages();
      k.send();
      ASSERT_NO_FATAL_FAILURE(expect_serving(target, k.name));
      if (k.counted) {
        EXPECT_GT(status_of(target).refused_messages(), refused_before);
      }
    }
  }
}

}  // namespace
}  // namespace warren::testing
