#include "raft/core/raft_log.h"

#include <algorithm>

#include "glog/logging.h"

namespace warren::raft {

uint64_t EntrySize(const raftpb::Entry& e) { return e.data().size() + 24; }

RaftLog::RaftLog(const raftpb::SnapshotMetadata& snapshot, std::vector<raftpb::Entry> entries,
                 uint64_t commit, uint64_t applied)
    : snapshot_(snapshot) {
  for (auto& e : entries) {
    CHECK_EQ(e.index(), LastIndex() + 1) << "restored log is not contiguous";
    PushBack(std::make_shared<const raftpb::Entry>(std::move(e)));
  }
  committed_ = std::clamp(commit, snapshot_.index(), LastIndex());
  applied_ = std::clamp(applied, snapshot_.index(), committed_);
  persisted_ = LastIndex();  // what we were restored from is durable by definition
}

std::optional<uint64_t> RaftLog::Term(uint64_t index) const {
  if (index == snapshot_.index()) return snapshot_.term();
  if (index < snapshot_.index() || index > LastIndex()) return std::nullopt;
  return entries_[index - snapshot_.index() - 1]->term();
}

const raftpb::Entry& RaftLog::At(uint64_t index) const {
  CHECK(index > snapshot_.index() && index <= LastIndex()) << "index " << index;
  return *entries_[index - snapshot_.index() - 1];
}

bool RaftLog::IsUpToDate(uint64_t last_index, uint64_t last_term) const {
  return last_term > LastTerm() || (last_term == LastTerm() && last_index >= LastIndex());
}

std::optional<uint64_t> RaftLog::MaybeAppend(
    uint64_t prev_index, uint64_t prev_term, uint64_t commit,
    google::protobuf::RepeatedPtrField<raftpb::Entry>&& es) {
  if (!MatchTerm(prev_index, prev_term)) return std::nullopt;
  for (const auto& e : es) {
    // Committed entries never change: a leader that says otherwise is not one.
    if (e.index() <= committed_ && e.index() > snapshot_.index() && Term(e.index()) != e.term()) {
      LOG(ERROR) << "refusing entries that conflict with committed entry " << e.index();
      return std::nullopt;
    }
  }
  uint64_t last_new = prev_index + es.size();
  for (auto& e : es) {
    if (e.index() <= snapshot_.index()) continue;  // already covered by our snapshot
    auto term = Term(e.index());
    if (term == e.term()) continue;
    if (term.has_value()) TruncateAfter(e.index() - 1);
    PushBack(std::make_shared<const raftpb::Entry>(std::move(e)));
  }
  CommitTo(std::min(commit, last_new));
  return last_new;
}

void RaftLog::Append(raftpb::Entry e) {
  CHECK_EQ(e.index(), LastIndex() + 1);
  PushBack(std::make_shared<const raftpb::Entry>(std::move(e)));
}

void RaftLog::PushBack(EntryPtr e) {
  if (e->type() == raftpb::ENTRY_CONF_CHANGE) conf_changes_.push_back(e->index());
  entries_.push_back(std::move(e));
}

void RaftLog::TruncateAfter(uint64_t index) {
  CHECK_GE(index, snapshot_.index());
  entries_.resize(index - snapshot_.index());
  while (!conf_changes_.empty() && conf_changes_.back() > index) conf_changes_.pop_back();
  persisted_ = std::min(persisted_, index);
}

uint64_t RaftLog::SliceEnd(uint64_t lo, uint64_t hi, uint64_t max_bytes) const {
  hi = std::min(hi, LastIndex() + 1);
  uint64_t bytes = 0;
  for (uint64_t i = lo; i < hi; ++i) {
    bytes += EntrySize(At(i));
    if (i > lo && bytes > max_bytes) return i;
  }
  return std::max(lo, hi);
}

std::vector<EntryPtr> RaftLog::Slice(uint64_t lo, uint64_t hi, uint64_t max_bytes) const {
  hi = SliceEnd(lo, hi, max_bytes);
  if (hi <= lo) return {};
  auto first = entries_.begin() + static_cast<std::ptrdiff_t>(lo - snapshot_.index() - 1);
  return std::vector<EntryPtr>(first, first + static_cast<std::ptrdiff_t>(hi - lo));
}

bool RaftLog::MaybeCommit(uint64_t index, uint64_t term) {
  if (index > committed_ && Term(index) == term) {
    CommitTo(index);
    return true;
  }
  return false;
}

void RaftLog::CommitTo(uint64_t index) {
  if (index <= committed_) return;
  CHECK_LE(index, LastIndex()) << "commit beyond the end of the log";
  committed_ = index;
}

std::vector<EntryPtr> RaftLog::UnpersistedEntries() const {
  size_t skip = std::max(persisted_, snapshot_.index()) - snapshot_.index();
  return std::vector<EntryPtr>(entries_.begin() + std::min(skip, entries_.size()), entries_.end());
}

void RaftLog::PersistedTo(uint64_t index, uint64_t term) {
  if (index > persisted_ && Term(index) == term) persisted_ = index;
}

bool RaftLog::HasNextCommitted() const { return committed_ > applied_; }

std::vector<EntryPtr> RaftLog::NextCommitted(uint64_t max_bytes) const {
  if (!HasNextCommitted()) return {};
  return Slice(applied_ + 1, committed_ + 1, max_bytes);
}

void RaftLog::AppliedTo(uint64_t index) {
  CHECK_LE(index, committed_);
  applied_ = std::max(applied_, index);
}

void RaftLog::Compact(const raftpb::SnapshotMetadata& meta) {
  CHECK_LE(meta.index(), applied_) << "compacting past what was applied";
  CHECK_LE(meta.index(), persisted_) << "compacting past what is durable";
  if (meta.index() <= snapshot_.index()) return;
  size_t drop = meta.index() - snapshot_.index();
  entries_.erase(entries_.begin(), entries_.begin() + drop);
  while (!conf_changes_.empty() && conf_changes_.front() <= meta.index()) conf_changes_.pop_front();
  snapshot_ = meta;
}

void RaftLog::Restore(const raftpb::SnapshotMetadata& meta) {
  entries_.clear();
  conf_changes_.clear();
  snapshot_ = meta;
  committed_ = meta.index();
  applied_ = meta.index();
  persisted_ = meta.index();
}

}  // namespace warren::raft
