#include "tests/sim/checker.h"

#include "absl/strings/str_cat.h"
#include "tests/sim/sim_node.h"

namespace warren::sim {
namespace {

uint64_t DataHash(const raftpb::Entry& e) {
  raftpb::Entry copy = e;
  copy.set_index(0);
  copy.set_term(0);
  return ChainHash(0, copy);
}

}  // namespace

void Checker::OnLeader(const raft::Raft& core) {
  auto [it, inserted] = leader_of_term_.emplace(core.term(), core.id());
  if (!inserted && it->second != core.id()) {
    Fail(absl::StrCat("election safety: nodes ", it->second, " and ", core.id(),
                      " are both leader of term ", core.term()));
    return;
  }
  // Raft §5.4.3 binds leaders of terms after the one in which an entry was committed. A
  // leader of an older term may still be elected late (its votes were held up while it was
  // paused) and lack what newer terms committed; it cannot commit anything, since every
  // member it could reach has moved on.
  const auto& log = core.log();
  for (auto c = committed_terms_.lower_bound(log.FirstIndex()); c != committed_terms_.end(); ++c) {
    if (core.term() <= committed_in_term_.at(c->first)) continue;
    if (log.Term(c->first) != c->second) {
      Fail(absl::StrCat("leader completeness: leader ", core.id(), " of term ", core.term(),
                        " lacks committed entry ", c->first, " (term ", c->second, ")"));
      return;
    }
  }
}

void Checker::OnPersist(uint64_t node, const std::vector<raft::EntryPtr>& entries,
                        uint64_t prev_term) {
  for (const raft::EntryPtr& entry : entries) {
    const raftpb::Entry& e = *entry;
    EntryFacts facts{DataHash(e), prev_term};
    auto [it, inserted] = entries_.emplace(std::make_pair(e.index(), e.term()), facts);
    if (!inserted &&
        (it->second.data_hash != facts.data_hash || it->second.prev_term != facts.prev_term)) {
      Fail(absl::StrCat("log matching: node ", node, " holds entry ", e.index(), " of term ",
                        e.term(), " that differs from the same entry on another node"));
      return;
    }
    prev_term = e.term();
  }
}

void Checker::OnCommit(uint64_t node, const raft::Raft& core, uint64_t old_commit,
                       const std::vector<const raft::Raft*>& leaders) {
  const auto& log = core.log();
  for (uint64_t i = std::max(old_commit + 1, log.FirstIndex()); i <= log.committed(); ++i) {
    uint64_t term = *log.Term(i);
    auto [known, first] = committed_in_term_.emplace(i, core.term());
    if (!first) known->second = std::min(known->second, core.term());
    auto [it, inserted] = committed_terms_.emplace(i, term);
    if (!inserted && it->second != term) {
      Fail(absl::StrCat("state machine safety: node ", node, " committed index ", i, " with term ",
                        term, " but term ", it->second, " was committed there"));
      return;
    }
    // Raft §5.4.3 binds leaders of terms after the one in which the commit happened (at
    // least the committing node's term), not after the entry's own term: an older-term entry
    // can be committed late by a leader that a stale leader of an in-between term never saw.
    for (const raft::Raft* leader : leaders) {
      if (leader->term() > core.term() && i >= leader->log().FirstIndex() &&
          leader->log().Term(i) != term) {
        Fail(absl::StrCat("leader completeness: leader ", leader->id(), " of term ", leader->term(),
                          " lacks entry ", i, " of term ", term, " committed on node ", node));
        return;
      }
    }
  }
}

void Checker::OnApply(uint64_t node, uint64_t prev_applied, const raftpb::Entry& e,
                      uint64_t chain) {
  if (e.index() != prev_applied + 1) {
    Fail(absl::StrCat("apply order: node ", node, " applied ", e.index(), " after ", prev_applied));
    return;
  }
  auto [it, inserted] = chain_at_.emplace(e.index(), chain);
  if (!inserted && it->second != chain) {
    Fail(absl::StrCat("state machine safety: node ", node, " applied a different sequence ",
                      "up to index ", e.index(), " than another node"));
  }
}

void Checker::OnRestore(uint64_t node, uint64_t index, uint64_t chain) {
  auto [it, inserted] = chain_at_.emplace(index, chain);
  if (!inserted && it->second != chain) {
    Fail(absl::StrCat("snapshot: node ", node, " restored a state at index ", index,
                      " that no other node had there"));
  }
}

void Checker::OnReadRequest(const std::string& context, uint64_t floor) {
  read_floor_[context] = floor;
}

void Checker::OnReadState(uint64_t node, const raft::ReadState& rs) {
  auto it = read_floor_.find(rs.context);
  if (it == read_floor_.end()) return;  // answered twice (duplicated message): first one counts
  if (rs.index < it->second) {
    Fail(absl::StrCat("linearizable read: node ", node, " got read index ", rs.index, " for ",
                      rs.context, " but ", it->second,
                      " was already committed when the read was issued"));
  }
  ++reads_served_;
  read_floor_.erase(it);
}

}  // namespace warren::sim
