#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <shared_mutex>

#include "raft/transport/transport.h"

namespace warren::raft {

// Connects MemoryTransports in one process: an address is just a name here.
class MemoryNetwork {
 public:
  void Register(const std::string& address, MessageHandler* handler);
  void Unregister(const std::string& address);
  // Calls `fn` with the handler listening at `address`, if any, and returns whether there was
  // one. The handler cannot unregister (and go away) while `fn` runs.
  bool Deliver(const std::string& address, const std::function<void(MessageHandler*)>& fn);

 private:
  std::shared_mutex mu_;
  std::map<std::string, MessageHandler*> handlers_;
};

// A Transport that hands messages straight to the receiving server in the same process;
// for tests. Delivery is synchronous and in order; snapshots are copied file to file.
class MemoryTransport : public Transport {
 public:
  MemoryTransport(MemoryNetwork* network, std::string self_address)
      : network_(network), self_(std::move(self_address)) {}

  absl::Status Start(MessageHandler* handler) override;
  void Stop() override;
  void SetPeer(uint64_t id, const std::string& address) override;
  void Send(const std::string& group, std::vector<raftpb::Message> msgs) override;
  void SendSnapshot(const std::string& group, raftpb::Message m, std::string path,
                    SnapshotDone done) override;

 private:
  std::optional<std::string> PeerAddress(uint64_t id);

  MemoryNetwork* const network_;
  const std::string self_;
  std::mutex mu_;
  std::map<uint64_t, std::string> peers_;
  bool running_ = false;
};

}  // namespace warren::raft
