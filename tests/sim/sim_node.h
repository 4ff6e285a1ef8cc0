#pragma once

#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "proto/raft.pb.h"
#include "raft/core/raft.h"

namespace warren::sim {

// What survives a crash: only what a Ready asked to persist and the node did persist.
struct DurableState {
  raftpb::HardState hard_state;
  raftpb::Snapshot snapshot;           // metadata index 0: none
  std::vector<raftpb::Entry> entries;  // after the snapshot
};

// The simulated state machine: a hash chain over every applied entry (so two nodes agree
// exactly when they applied the same sequence) and the client proposal ids it has applied
// (so a retried proposal takes effect once).
struct SimStateMachine {
  uint64_t applied = 0;
  uint64_t chain = 0;
  std::set<uint64_t> proposals;

  void Apply(const raftpb::Entry& e);
  std::string Serialize() const;
  static SimStateMachine Parse(const std::string& data);
};

uint64_t ChainHash(uint64_t prev, const raftpb::Entry& e);
std::string ProposalData(uint64_t proposal_id);
uint64_t ProposalIdOf(const raftpb::Entry& e);  // 0 if not a client proposal

// One simulated peer: its disk, its state machine and, while it is up, its Raft core.
class SimNode {
 public:
  SimNode(uint64_t id, raft::Config config, DurableState disk)
      : id_(id), config_(config), disk_(std::move(disk)) {}

  absl::Status Start();
  // Loses the core and the state machine: everything not persisted is gone.
  void Crash();

  bool up() const { return core_ != nullptr; }
  uint64_t id() const { return id_; }
  raft::Raft& core() { return *core_; }
  DurableState& disk() { return disk_; }
  SimStateMachine& sm() { return sm_; }
  void set_seed(uint64_t seed) { config_.random_seed = seed; }

  // Persists what a Ready asks, exactly as a real log store would.
  void Persist(const raft::Ready& rd);
  // Takes a snapshot of the state machine and compacts the log behind it.
  absl::Status SnapshotAndCompact();

 private:
  uint64_t id_;
  raft::Config config_;
  DurableState disk_;
  SimStateMachine sm_;
  std::unique_ptr<raft::Raft> core_;
};

}  // namespace warren::sim
