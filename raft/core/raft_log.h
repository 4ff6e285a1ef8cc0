#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <vector>

#include "proto/raft.pb.h"
#include "raft/core/ready.h"

namespace warren::raft {

// Approximate bytes an entry costs in memory and on the wire; used for batching limits.
uint64_t EntrySize(const raftpb::Entry& e);

// The core's view of the log: a snapshot point followed by the entries after it, and the
// markers commit (known committed), applied (handed out to apply) and persisted (durable
// locally, as acknowledged by Advance). Invariant: snapshot.index <= applied <= commit and
// every index in (snapshot.index, last] is held in memory.
class RaftLog {
 public:
  RaftLog(const raftpb::SnapshotMetadata& snapshot, std::vector<raftpb::Entry> entries,
          uint64_t commit, uint64_t applied);

  uint64_t FirstIndex() const { return snapshot_.index() + 1; }
  uint64_t LastIndex() const { return snapshot_.index() + entries_.size(); }
  uint64_t LastTerm() const { return *Term(LastIndex()); }
  uint64_t committed() const { return committed_; }
  uint64_t applied() const { return applied_; }
  uint64_t persisted() const { return persisted_; }
  const raftpb::SnapshotMetadata& snapshot() const { return snapshot_; }

  // Term of the entry at `index`; the snapshot's term at its own index; nullopt when the
  // index is compacted away or beyond the end.
  std::optional<uint64_t> Term(uint64_t index) const;
  bool MatchTerm(uint64_t index, uint64_t term) const { return Term(index) == term; }
  const raftpb::Entry& At(uint64_t index) const;

  // Raft §5.4.1: is a log ending at (last_index, last_term) at least as up to date as ours?
  bool IsUpToDate(uint64_t last_index, uint64_t last_term) const;

  // Follower side of AppendEntries. Returns the index of the last new entry when the log
  // matched at (prev_index, prev_term); truncates a conflicting suffix first and advances
  // commit to min(commit, last new). Entries that contradict committed ones are refused
  // (nullopt, nothing changed).
  // The log takes the entries out of `es`.
  std::optional<uint64_t> MaybeAppend(uint64_t prev_index, uint64_t prev_term, uint64_t commit,
                                      google::protobuf::RepeatedPtrField<raftpb::Entry>&& es);
  // Leader side: appends after the last entry. Entries must be numbered to follow on.
  void Append(raftpb::Entry e);

  // Entries with index in [lo, hi), at most max_bytes of them but always at least one.
  std::vector<EntryPtr> Slice(uint64_t lo, uint64_t hi, uint64_t max_bytes) const;
  // The end of that slice: Slice(lo, hi, max_bytes) holds the entries in [lo, SliceEnd(...)).
  uint64_t SliceEnd(uint64_t lo, uint64_t hi, uint64_t max_bytes) const;

  // Advances commit to `index` if the entry there has `term` (the leader's current-term rule).
  bool MaybeCommit(uint64_t index, uint64_t term);
  void CommitTo(uint64_t index);

  // Entries not yet durable, in order.
  std::vector<EntryPtr> UnpersistedEntries() const;
  // The runtime made entries up to (index, term) durable. Ignored if the log changed since.
  void PersistedTo(uint64_t index, uint64_t term);

  // Committed entries not yet handed out to apply.
  bool HasNextCommitted() const;
  std::vector<EntryPtr> NextCommitted(uint64_t max_bytes) const;
  void AppliedTo(uint64_t index);

  // The index of the last membership change in the log (0 if none after the snapshot).
  uint64_t LastConfChange() const { return conf_changes_.empty() ? 0 : conf_changes_.back(); }
  // The index of the last membership change in the log but one (0 if fewer than two). A
  // leader proposes a change only once the one before it is committed, so this one is.
  uint64_t PenultimateConfChange() const {
    return conf_changes_.size() < 2 ? 0 : conf_changes_[conf_changes_.size() - 2];
  }

  // Drops entries up to `meta.index`, which must be applied and persisted.
  void Compact(const raftpb::SnapshotMetadata& meta);
  // Replaces the whole log by a snapshot received from the leader.
  void Restore(const raftpb::SnapshotMetadata& meta);

 private:
  void TruncateAfter(uint64_t index);
  void PushBack(EntryPtr e);

  raftpb::SnapshotMetadata snapshot_;
  std::deque<EntryPtr> entries_;       // entries_[k]->index() == snapshot_.index() + 1 + k
  std::deque<uint64_t> conf_changes_;  // indexes of the membership changes in entries_
  uint64_t committed_ = 0;
  uint64_t applied_ = 0;
  uint64_t persisted_ = 0;
};

}  // namespace warren::raft
