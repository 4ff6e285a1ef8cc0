#pragma once

#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "common/tls.h"
#include "raft/transport/transport.h"

namespace warren::raft {

class PeerSender;
class RaftPeerServiceImpl;

// Raft over gRPC. Each peer gets one long-lived client stream (RaftPeer.Stream) fed by its
// own sender thread, which batches whatever queued up while the previous write was in flight
// and reconnects with exponential backoff when the stream breaks; messages that cannot be
// sent are dropped (Raft resends) and the peer is reported unreachable. Snapshots go over a
// separate chunked stream (RaftPeer.InstallSnapshot), one thread per transfer. No gRPC message
// is larger than kMaxMessageBytes. On the receiving side a stream belongs to the member that
// sent its first message: a message claiming another sender is refused.
//
// With TLS (`tls` enabled), peers connect with their member certificates, and a stream or
// snapshot is accepted only from a certificate naming a member (common name member-<id>): the
// stream belongs to that member, and a message claiming another sender is refused.
class GrpcTransport : public Transport {
 public:
  struct SnapshotSend;

  explicit GrpcTransport(TlsFiles tls = {});
  ~GrpcTransport() override;
  // The largest snapshot received from a peer (0: any); a larger one is refused. Before
  // Start.
  void set_max_snapshot_bytes(uint64_t max);

  void RegisterServices(grpc::ServerBuilder* builder) override;
  absl::Status Start(MessageHandler* handler) override;
  void Stop() override;
  void SetPeer(uint64_t id, const std::string& address) override;
  void Send(const std::string& group, std::vector<raftpb::Message> msgs) override;
  void SendSnapshot(const std::string& group, raftpb::Message m, std::string path,
                    SnapshotDone done) override;

 private:
  const TlsFiles tls_;
  const std::shared_ptr<grpc::ChannelCredentials> credentials_;
  std::unique_ptr<RaftPeerServiceImpl> service_;
  std::mutex mu_;
  MessageHandler* handler_ = nullptr;
  bool stopped_ = false;
  std::map<uint64_t, std::unique_ptr<PeerSender>> senders_;
  std::map<uint64_t, std::string> peer_addresses_;
  // Transfers in progress or finished but not yet joined (reaped when the next starts).
  std::list<std::unique_ptr<SnapshotSend>> snapshot_sends_;
};

}  // namespace warren::raft
