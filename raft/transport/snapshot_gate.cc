#include "raft/transport/snapshot_gate.h"

#include "absl/strings/str_cat.h"

namespace warren::raft {

absl::Status SnapshotGate::Enter(const std::string& group) {
  std::lock_guard lock(mu_);
  if (receiving_.insert(group).second) return absl::OkStatus();
  return absl::ResourceExhaustedError(
      "a snapshot for this group is being received already; one at a time (send it later)");
}

void SnapshotGate::Leave(const std::string& group) {
  std::lock_guard lock(mu_);
  receiving_.erase(group);
}

absl::Status SnapshotGate::CheckSize(uint64_t bytes) const {
  if (max_bytes_ == 0 || bytes <= max_bytes_) return absl::OkStatus();
  return absl::ResourceExhaustedError(absl::StrCat("the snapshot is past ", bytes,
                                                   " bytes; the limit is ", max_bytes_,
                                                   " (--max-snapshot-bytes)"));
}

}  // namespace warren::raft
