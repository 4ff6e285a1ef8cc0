#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "proto/raft.pb.h"
#include "raft/core/raft.h"

namespace warren::sim {

// The simulator's oracle: watches everything the nodes persist, commit, apply and read, and
// records the first broken Raft invariant (Raft §5.2-5.4, thesis §6.4).
class Checker {
 public:
  // Election safety: at most one leader per term; leader completeness: a new leader holds
  // every entry known committed in a term before its own.
  void OnLeader(const raft::Raft& core);
  // Log matching: entries with the same index and term carry the same data and follow the
  // same previous term, on every node.
  void OnPersist(uint64_t node, const std::vector<raft::EntryPtr>& entries, uint64_t prev_term);
  // Commits agree on every node; and every current leader of a term after the committing
  // node's term holds them.
  void OnCommit(uint64_t node, const raft::Raft& core, uint64_t old_commit,
                const std::vector<const raft::Raft*>& leaders);
  // State machine safety: every node applies one common sequence, in order.
  void OnApply(uint64_t node, uint64_t prev_applied, const raftpb::Entry& e, uint64_t chain);
  void OnRestore(uint64_t node, uint64_t index, uint64_t chain);
  // Linearizable reads: a read point covers every commit known anywhere when it was asked.
  void OnReadRequest(const std::string& context, uint64_t floor);
  void OnReadState(uint64_t node, const raft::ReadState& rs);

  uint64_t max_committed() const {
    return committed_terms_.empty() ? 0 : committed_terms_.rbegin()->first;
  }
  uint64_t reads_served() const { return reads_served_; }
  const std::optional<std::string>& violation() const { return violation_; }
  void Fail(std::string what) {
    if (!violation_) violation_ = std::move(what);
  }

 private:
  struct EntryFacts {
    uint64_t data_hash;
    uint64_t prev_term;
  };
  std::map<uint64_t, uint64_t> leader_of_term_;
  std::map<std::pair<uint64_t, uint64_t>, EntryFacts> entries_;  // (index, term)
  std::map<uint64_t, uint64_t> committed_terms_;                 // index -> term
  std::map<uint64_t, uint64_t> committed_in_term_;  // index -> earliest term it was known committed
  std::map<uint64_t, uint64_t> chain_at_;           // index -> chain hash
  std::map<std::string, uint64_t> read_floor_;
  uint64_t reads_served_ = 0;
  std::optional<std::string> violation_;
};

}  // namespace warren::sim
