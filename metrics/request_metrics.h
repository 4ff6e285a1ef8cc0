#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>

#include "absl/time/time.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"
#include "proto/metastore.pb.h"

namespace warren::metrics {

// Which of a member's two client APIs a request came through.
enum class Door { kGrpc, kZooKeeper };
inline constexpr size_t kDoors = 2;

// What a client asked, named alike for both doors (a ZooKeeper create2 is a create).
enum class Op {
  kCreate,
  kDelete,
  kSetData,
  kGetData,
  kExists,
  kGetChildren,
  kMulti,
  kMultiRead,
  kCheck,
  kSync,
  kCreateSession,
  kCloseSession,
  kConnect,
  kPing,
  kAuth,
  kGetAcl,
  kSetAcl,
  kSetWatches,
  kAddWatch,
  kRemoveWatches,
  kGetEphemerals,
  kCountDescendants,
  kWhoAmI,
  kReconfig,
  kForward,
  kStatus,
  kSnapshot,
  kMembership,
  kOther,
};
inline constexpr size_t kOps = static_cast<size_t>(Op::kOther) + 1;

// Answers only the ZooKeeper port gives, beside the metastore's errors; and
// kResourceExhausted, a gRPC request turned away because the member serves
// --max-requests-in-flight already.
enum class ZooKeeperAnswer {
  kMarshallingError,
  kUnimplemented,
  kNoWatcher,
  kReconfigDisabled,
  kResourceExhausted,
};

// What a request ended with: a metastore error (OK among them) or a ZooKeeper-only answer.
class Outcome {
 public:
  Outcome(metastorepb::Error e)  // NOLINT: every error is an outcome
      : index_(metastorepb::Error_IsValid(e) ? static_cast<size_t>(e)
                                             : static_cast<size_t>(metastorepb::SYSTEM_ERROR)) {}
  Outcome(ZooKeeperAnswer a)  // NOLINT
      : index_(metastorepb::Error_ARRAYSIZE + static_cast<size_t>(a)) {}
  size_t index() const { return index_; }
  const char* name() const;

 private:
  size_t index_;
};
inline constexpr size_t kOutcomes =
    metastorepb::Error_ARRAYSIZE + static_cast<size_t>(ZooKeeperAnswer::kResourceExhausted) + 1;

// Client requests by door, op and outcome: warren_metastore_requests_total and
// warren_metastore_request_duration_seconds. A combination's counter and histogram are made
// the first time it occurs (a label lookup allocates) and then found by index, so a request
// costs an atomic increment and a histogram observation.
class RequestMetrics {
 public:
  explicit RequestMetrics(prometheus::Registry& registry);
  void Record(Door door, Op op, Outcome outcome, absl::Duration took);

 private:
  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Family<prometheus::Histogram>& durations_;
  static constexpr size_t kCombinations = kDoors * kOps * kOutcomes;
  std::array<std::atomic<prometheus::Counter*>, kCombinations> counters_{};
  std::array<std::atomic<prometheus::Histogram*>, kCombinations> histograms_{};
};

// Times one request from its arrival until Finish; records nothing without metrics.
class RequestTimer {
 public:
  RequestTimer(RequestMetrics* metrics, Door door, Op op)
      : metrics_(metrics),
        door_(door),
        op_(op),
        start_(metrics != nullptr ? std::chrono::steady_clock::now()
                                  : std::chrono::steady_clock::time_point()) {}
  void Finish(Outcome outcome) const {
    if (metrics_ == nullptr) return;
    metrics_->Record(door_, op_, outcome,
                     absl::FromChrono(std::chrono::steady_clock::now() - start_));
  }

 private:
  RequestMetrics* metrics_;
  Door door_;
  Op op_;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace warren::metrics
