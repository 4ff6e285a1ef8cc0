#pragma once

#include <deque>

#include "raft/log/log_store.h"

namespace warren::raft {

// A LogStore held in memory; for tests and for peers that may lose their log.
class MemoryLogStore : public LogStore {
 public:
  absl::Status Append(std::span<const raftpb::Entry> entries) override;
  absl::Status TruncateSuffix(uint64_t index) override;
  absl::Status PurgePrefix(uint64_t index) override;
  absl::StatusOr<std::vector<raftpb::Entry>> Read(uint64_t lo, uint64_t hi) const override;
  absl::StatusOr<uint64_t> Term(uint64_t index) const override;
  uint64_t FirstIndex() const override { return first_; }
  uint64_t LastIndex() const override { return first_ + entries_.size() - 1; }
  absl::Status SetHardState(const raftpb::HardState& hs) override;
  raftpb::HardState hard_state() const override { return hard_state_; }
  absl::Status Sync() override { return absl::OkStatus(); }

 private:
  uint64_t first_ = 1;
  std::deque<raftpb::Entry> entries_;
  raftpb::HardState hard_state_;
};

}  // namespace warren::raft
