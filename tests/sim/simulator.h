#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "raft/core/random.h"
#include "tests/sim/checker.h"
#include "tests/sim/sim_network.h"
#include "tests/sim/sim_node.h"

namespace warren::sim {

struct SimOptions {
  uint64_t seed = 1;
  int nodes = 3;          // founding voters: 3 or 5
  uint64_t steps = 3000;  // time units of the faulty phase (10 units = 1 tick)
  bool faults = true;     // false: a calm network, no crashes or changes (the demo)
  std::ostream* trace = nullptr;
};

struct SimStats {
  uint64_t ticks = 0;
  uint64_t elections = 0;
  uint64_t committed = 0;
  uint64_t proposals_acked = 0;
  uint64_t reads = 0;
  uint64_t crashes = 0;
  uint64_t pauses = 0;
  uint64_t partitions = 0;
  uint64_t conf_changes = 0;
  uint64_t transfers = 0;
  uint64_t snapshots_sent = 0;
};

struct SimResult {
  bool ok = true;
  std::string violation;  // the first broken invariant
  SimStats stats;
};

// One seeded run: K nodes, a faulty phase of random proposals, reads, crashes, partitions,
// membership changes and leader transfers, then a healed phase in which the cluster must
// settle (liveness). The same options give the same run, byte for byte.
class Simulator {
 public:
  explicit Simulator(const SimOptions& options);
  SimResult Run();

 private:
  static constexpr uint64_t kUnitsPerTick = 10;

  raft::Config NodeConfig(uint64_t id) const;
  void StartNode(uint64_t id, DurableState disk);
  void Step(bool faulty);
  void Deliver();
  void ProcessReady(SimNode& node);
  // Takes the node's next Ready, persists only part of it and crashes the node.
  void CrashMidPersist(SimNode& node);
  void SendAll(SimNode& node, std::vector<raftpb::Message> msgs);
  void ReportSnapshot(uint64_t from, uint64_t to, bool ok);

  void InjectFaults();
  void Crash();
  void BreakLeaderStream();
  void Pause();
  // Resumes nodes whose pause is over (or all of them).
  void ResumePaused(bool all);
  void Restart();
  void Partition();
  void ChangeMembership();
  void TransferLeadership();
  void ClientPropose();
  void ClientRetry(bool all);
  // Proposes client proposal `pid` and remembers where it landed, for acknowledgement.
  void ProposeAt(SimNode& leader, uint64_t pid);
  void ClientRead();

  bool Settled(std::string* why);
  void CheckDurability();
  // Nodes that are up and, unless `with_paused`, not paused.
  std::vector<SimNode*> UpNodes(bool with_paused = false);
  SimNode* AnyLeader();
  std::vector<const raft::Raft*> Leaders();
  void Trace(const std::string& line);

  SimOptions opt_;
  raft::Random rng_;
  SimNetwork net_;
  Checker checker_;
  SimStats stats_;
  uint64_t now_ = 0;  // time units
  std::map<uint64_t, std::unique_ptr<SimNode>> nodes_;
  std::vector<uint64_t> spares_;               // ids never used yet, to add as new members
  std::map<uint64_t, uint64_t> paused_until_;  // node -> time units
  std::map<uint64_t, std::vector<raftpb::Message>> backlog_;  // delivered while paused

  // Per-seed knobs.
  raft::ReadOnlyOption read_only_;
  bool pre_vote_;
  bool early_start_;
  uint64_t max_size_per_msg_;
  int max_inflight_;
  uint64_t compact_every_;
  uint64_t max_uncommitted_bytes_;

  // The client's view: proposals made, where each landed, which were acknowledged.
  struct Pending {
    uint64_t last_try_tick;
  };
  uint64_t next_proposal_ = 1;
  uint64_t next_read_ = 1;
  std::map<uint64_t, Pending> pending_;
  std::map<std::pair<uint64_t, uint64_t>, std::pair<uint64_t, uint64_t>>
      landed_;                          // (i,t)->(node,pid)
  std::map<uint64_t, uint64_t> acked_;  // pid -> index it was acknowledged at
  std::map<uint64_t, std::pair<uint64_t, raft::EntryId>> last_landing_;  // pid -> (node, entry)
};

}  // namespace warren::sim
