#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "proto/raft.pb.h"

namespace grpc {
class ServerBuilder;
}

namespace warren::raft {

// The receiving side of a transport: what a RaftServer does with what peers send. Calls come
// from transport threads and must not block.
class MessageHandler {
 public:
  virtual ~MessageHandler() = default;
  virtual void HandleMessages(const std::string& group, std::vector<raftpb::Message> msgs) = 0;
  // A transport dropped `m`, which broke the rules of the stream it came on.
  virtual void Refuse(const std::string& group, const raftpb::Message& m,
                      const absl::Status& why) = 0;
  // A fresh file path to receive the snapshot that `m` opens into; NotFound for unknown
  // groups, InvalidArgument if `m` is refused (before any byte of the file is written).
  virtual absl::StatusOr<std::string> IncomingSnapshotPath(const std::string& group,
                                                           const raftpb::Message& m) = 0;
  // A snapshot arrived whole at `path`; `m` is its MSG_SNAP.
  virtual void HandleSnapshot(const std::string& group, raftpb::Message m, std::string path) = 0;
  // Sending to `peer` failed; Raft should stop streaming to it until it answers.
  virtual void PeerUnreachable(uint64_t peer) = 0;
  // Every stream on which `peer` sent to us has ended: its process exited or stopped, or the
  // connection broke. A transport without streams never calls it.
  virtual void PeerStreamsEnded(uint64_t peer) = 0;
};

// Carries Raft messages between the members of a RaftServer's groups. Peers are member ids;
// ids name the same server in every group. Sending is best effort (Raft retries), and never
// blocks the caller on the network.
class Transport {
 public:
  using SnapshotDone = std::function<void(absl::Status)>;
  virtual ~Transport() = default;

  // A network transport adds its receiving service to the server's gRPC endpoint.
  virtual void RegisterServices(grpc::ServerBuilder* builder) {}
  virtual absl::Status Start(MessageHandler* handler) = 0;
  // Stops sending and receiving; pending snapshot sends complete with an error.
  virtual void Stop() = 0;
  // Where to reach member `id`.
  virtual void SetPeer(uint64_t id, const std::string& address) = 0;
  // Sends messages to their `to` members.
  virtual void Send(const std::string& group, std::vector<raftpb::Message> msgs) = 0;
  // Streams the snapshot file at `path` along with its MSG_SNAP; `done` is called once.
  virtual void SendSnapshot(const std::string& group, raftpb::Message m, std::string path,
                            SnapshotDone done) = 0;
};

}  // namespace warren::raft
