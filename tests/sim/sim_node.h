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
  std::vector<raftpb::Entry> entries;  // the log: contiguous, usually just after the snapshot
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

// How much of one Ready's persist reached the disk before a crash. The runtime installs a
// snapshot, writes entries, then the commit index and last the term and vote; a crash keeps
// some prefix of that. A store that wrote the hard state first would keep a prefix of the
// other order, so the simulator tries both.
struct PersistCut {
  bool snapshot = true;
  size_t entries = SIZE_MAX;  // how many of the Ready's entries, from the first
  bool commit = true;
  bool term_vote = true;
};

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

  // Persists what a Ready asks, exactly as a real log store would, or only part of it.
  void Persist(const raft::Ready& rd, const PersistCut& cut = {});
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
