#include "raft/log/memory_log_store.h"

#include "absl/strings/str_cat.h"

namespace warren::raft {

absl::Status MemoryLogStore::Append(std::span<const raftpb::Entry> entries) {
  if (auto s = ValidateAppend(entries, first_, LastIndex()); !s.ok()) return s;
  if (entries.empty()) return absl::OkStatus();
  entries_.resize(entries.front().index() - first_);
  entries_.insert(entries_.end(), entries.begin(), entries.end());
  return absl::OkStatus();
}

absl::Status MemoryLogStore::TruncateSuffix(uint64_t index) {
  if (index < first_) index = first_;
  if (index <= LastIndex()) entries_.resize(index - first_);
  return absl::OkStatus();
}

absl::Status MemoryLogStore::PurgePrefix(uint64_t index) {
  if (index < first_) return absl::OkStatus();
  if (index >= LastIndex()) {
    entries_.clear();
  } else {
    entries_.erase(entries_.begin(), entries_.begin() + (index + 1 - first_));
  }
  first_ = index + 1;
  return absl::OkStatus();
}

absl::StatusOr<std::vector<raftpb::Entry>> MemoryLogStore::Read(uint64_t lo, uint64_t hi) const {
  if (auto s = ValidateRange(lo, hi, first_, LastIndex()); !s.ok()) return s;
  return std::vector<raftpb::Entry>(entries_.begin() + (lo - first_),
                                    entries_.begin() + (hi - first_));
}

absl::StatusOr<uint64_t> MemoryLogStore::Term(uint64_t index) const {
  if (index < first_ || index > LastIndex()) {
    return absl::OutOfRangeError(absl::StrCat("no entry at index ", index));
  }
  return entries_[index - first_].term();
}

absl::Status MemoryLogStore::SetHardState(const raftpb::HardState& hs) {
  hard_state_ = hs;
  return absl::OkStatus();
}

}  // namespace warren::raft
