#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/tls.h"
#include "raft/server/division.h"
#include "raft/transport/transport.h"

namespace grpc {
class Server;
class Service;
}  // namespace grpc

namespace warren::raft {

class ClientServiceImpl;

struct ServerOptions {
  // This server's member id, the same in every group it hosts.
  uint64_t id = 0;
  // host:port where peers and clients reach this server (gRPC). Empty: no network endpoint
  // (in-process use with a MemoryTransport).
  std::string listen_address;
  // Serve RaftClientService (writes, reads, membership, status of every group) on the listen
  // address. It hands any client's bytes to the state machine as a command, so an
  // application that has a client API of its own (the metastore) leaves it off.
  bool client_service = false;
  // TLS on the listen address (nothing: plaintext): this member's certificate and key, and the
  // CA that its peers' and clients' certificates must be signed by. The transport should be
  // given the same files, so that this member presents its certificate to its peers.
  TlsFiles tls;
  // With tls: refuse a client that presents no certificate signed by tls.ca.
  bool require_client_certs = false;
};

// Hosts one or more Raft groups in a process (Ratis' RaftServer): routes peer messages to
// the right group, serves the peers and, if asked, RaftClientService on the listen address,
// and shuts everything down in order. Every gRPC message to or from that address is at most
// kMaxMessageBytes.
class RaftServer : public MessageHandler {
 public:
  static absl::StatusOr<std::unique_ptr<RaftServer>> Create(ServerOptions options,
                                                            std::unique_ptr<Transport> transport);
  ~RaftServer() override;

  // Opens a group (recovering it from its data directory) and starts it if the server runs.
  absl::Status AddGroup(GroupOptions options, std::unique_ptr<StateMachine> sm);
  // Serves another gRPC service on the same port (e.g. an application's client API). Before
  // Start only; the service must outlive the server.
  void RegisterService(grpc::Service* service);
  // Starts the network endpoint and every group.
  absl::Status Start();
  // Stops accepting requests, then stops the groups (waiting requests fail with
  // Unavailable), then the transport. Idempotent.
  void Shutdown();

  Division* group(const std::string& name);
  Transport* transport() { return transport_.get(); }
  const ServerOptions& options() const { return options_; }

  // MessageHandler.
  void HandleMessages(const std::string& group, std::vector<raftpb::Message> msgs) override;
  void Refuse(const std::string& group, const raftpb::Message& m, const absl::Status& why) override;
  absl::StatusOr<std::string> IncomingSnapshotPath(const std::string& group,
                                                   const raftpb::Message& m) override;
  void HandleSnapshot(const std::string& group, raftpb::Message m, std::string path) override;
  void PeerUnreachable(uint64_t peer) override;
  void PeerStreamsEnded(uint64_t peer) override;

 private:
  RaftServer(ServerOptions options, std::unique_ptr<Transport> transport);

  const ServerOptions options_;
  std::unique_ptr<Transport> transport_;
  std::unique_ptr<ClientServiceImpl> client_service_;
  std::unique_ptr<grpc::Server> grpc_server_;
  std::vector<grpc::Service*> extra_services_;
  std::mutex mu_;
  std::map<std::string, std::unique_ptr<Division>> groups_;
  bool started_ = false;
  bool shut_down_ = false;
};

}  // namespace warren::raft
