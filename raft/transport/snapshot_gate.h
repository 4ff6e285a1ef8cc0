#pragma once

#include <cstdint>
#include <mutex>
#include <set>
#include <string>

#include "absl/status/status.h"

namespace warren::raft {

// What a member takes in of snapshots from peers: one at a time per group (a second upload
// while one is received, as when a new leader starts while the old one's is still coming, is
// refused and sent again later), of at most max_bytes each (--max-snapshot-bytes).
class SnapshotGate {
 public:
  // 0: any size.
  void set_max_bytes(uint64_t max) { max_bytes_ = max; }
  // ResourceExhausted if a snapshot for `group` is being received already; else `group` is
  // receiving until Leave.
  absl::Status Enter(const std::string& group);
  void Leave(const std::string& group);
  // ResourceExhausted if `bytes` received so far pass the maximum.
  absl::Status CheckSize(uint64_t bytes) const;

 private:
  uint64_t max_bytes_ = 0;
  std::mutex mu_;
  std::set<std::string> receiving_;
};

}  // namespace warren::raft
