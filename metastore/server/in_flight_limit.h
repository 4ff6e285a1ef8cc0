#pragma once

#include <atomic>
#include <cstddef>
#include <memory>

namespace warren::metastore {

// Bounds the client requests a member serves at once (--max-requests-in-flight), so that a
// flood of them is turned away at the door instead of queueing without bound in front of the
// Raft group: each request holds a slot from arrival until its answer, and one that finds
// none free is refused (gRPC RESOURCE_EXHAUSTED; the client backs off and retries).
class InFlightLimit {
 public:
  // 0: no bound.
  explicit InFlightLimit(size_t max) : max_(max) {}

  // A slot, held until the last copy is dropped; null if `max` are held already.
  std::shared_ptr<void> TryAcquire() {
    if (max_ != 0 && count_->fetch_add(1) >= max_) {
      count_->fetch_sub(1);
      return nullptr;
    }
    if (max_ == 0) count_->fetch_add(1);
    // The count is shared with the slots, which may outlive this object in a late callback.
    return std::shared_ptr<void>(count_.get(), [count = count_](void*) { count->fetch_sub(1); });
  }
  size_t in_flight() const { return count_->load(); }
  size_t max() const { return max_; }

 private:
  const size_t max_;
  const std::shared_ptr<std::atomic<size_t>> count_ = std::make_shared<std::atomic<size_t>>(0);
};

}  // namespace warren::metastore
