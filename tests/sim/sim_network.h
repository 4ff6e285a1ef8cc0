#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <utility>
#include <vector>

#include "proto/raft.pb.h"
#include "raft/core/random.h"

namespace warren::sim {

// How unreliable the simulated network is. Times are in simulator time units.
struct NetworkFaults {
  int drop_percent = 0;
  int duplicate_percent = 0;
  uint64_t min_delay = 1;
  uint64_t max_delay = 3;
  // Occasionally a message is held much longer, which reorders it behind later ones.
  int long_delay_percent = 0;
  uint64_t long_delay_max = 0;
};

// Messages in flight between simulated nodes: delayed, dropped, duplicated, reordered and cut
// by partitions, all decided by the simulator's seeded generator.
class SimNetwork {
 public:
  explicit SimNetwork(raft::Random* rng) : rng_(rng) {}

  void set_faults(const NetworkFaults& f) { faults_ = f; }
  // Returns false if the message was lost on the way (dropped or blocked).
  bool Send(raftpb::Message m, uint64_t now);

  struct Delivery {
    std::vector<raftpb::Message> delivered;
    std::vector<raftpb::Message> lost;  // were in flight when a partition cut them
  };
  Delivery DeliverDue(uint64_t now);

  // One-way cut: nothing from `from` reaches `to`.
  void Block(uint64_t from, uint64_t to) { blocked_.insert({from, to}); }
  void HealAll() { blocked_.clear(); }
  bool Blocked(uint64_t from, uint64_t to) const { return blocked_.count({from, to}) > 0; }
  bool Partitioned() const { return !blocked_.empty(); }

 private:
  void Enqueue(raftpb::Message m, uint64_t now);

  raft::Random* rng_;
  NetworkFaults faults_;
  uint64_t seq_ = 0;
  std::map<std::pair<uint64_t, uint64_t>, raftpb::Message> queue_;  // (due, seq) -> message
  std::set<std::pair<uint64_t, uint64_t>> blocked_;
};

}  // namespace warren::sim
