#pragma once

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <queue>
#include <random>
#include <set>
#include <thread>

#include "absl/time/time.h"
#include "raft/transport/transport.h"

namespace warren::raft {

// Faults a FaultyTransport injects into outgoing messages.
struct Faults {
  double drop = 0;       // probability a message is lost
  double duplicate = 0;  // probability it is delivered twice
  // Each delivery is delayed by a uniform time in [min_delay, max_delay]; different delays
  // reorder messages.
  absl::Duration min_delay = absl::ZeroDuration();
  absl::Duration max_delay = absl::ZeroDuration();
};

// Wraps a Transport and loses, duplicates, delays and reorders what it sends, and cuts this
// server off from chosen peers (a partition is each side blocking the other). Tests steer it
// while the cluster runs.
class FaultyTransport : public Transport {
 public:
  FaultyTransport(std::unique_ptr<Transport> inner, uint64_t seed);
  ~FaultyTransport() override;

  void SetFaults(const Faults& faults);
  void Block(uint64_t peer);
  void Unblock(uint64_t peer);
  void UnblockAll();
  // How many messages of `type` this server has handed to Send, delivered or not.
  uint64_t sent(raftpb::MessageType type);

  void RegisterServices(grpc::ServerBuilder* builder) override {
    inner_->RegisterServices(builder);
  }
  absl::Status Start(MessageHandler* handler) override;
  void Stop() override;
  void SetPeer(uint64_t id, const std::string& address) override { inner_->SetPeer(id, address); }
  void Send(const std::string& group, std::vector<raftpb::Message> msgs) override;
  void SendSnapshot(const std::string& group, raftpb::Message m, std::string path,
                    SnapshotDone done) override;

 private:
  struct Delayed {
    absl::Time at;
    uint64_t order;
    std::string group;
    raftpb::Message message;
    bool operator>(const Delayed& o) const { return at != o.at ? at > o.at : order > o.order; }
  };
  void DeliverLoop();

  std::unique_ptr<Transport> inner_;
  std::mutex mu_;
  std::condition_variable cv_;
  Faults faults_;
  std::set<uint64_t> blocked_;
  std::map<raftpb::MessageType, uint64_t> sent_;
  std::mt19937_64 rng_;
  std::priority_queue<Delayed, std::vector<Delayed>, std::greater<>> delayed_;
  uint64_t order_ = 0;
  bool stopping_ = false;
  std::thread deliverer_;
};

}  // namespace warren::raft
