#include "metrics/request_metrics.h"

#include "metastore/errors.h"

namespace warren::metrics {
namespace {

const char* DoorName(Door d) { return d == Door::kGrpc ? "grpc" : "zookeeper"; }

constexpr const char* kOpNames[kOps] = {
    "create",
    "delete",
    "set",
    "get",
    "exists",
    "children",
    "multi",
    "multi_read",
    "check",
    "sync",
    "create_session",
    "close_session",
    "connect",
    "ping",
    "auth",
    "get_acl",
    "set_acl",
    "set_watches",
    "add_watch",
    "remove_watches",
    "get_ephemerals",
    "count_descendants",
    "whoami",
    "reconfig",
    "forward",
    "status",
    "snapshot",
    "membership",
    "other",
};

constexpr const char* kZooKeeperAnswers[] = {"MarshallingError", "Unimplemented", "NoWatcher",
                                             "ReconfigDisabled", "ResourceExhausted"};

// From half a millisecond (a local read) to 10 s (a write the group could not commit).
const prometheus::Histogram::BucketBoundaries kRequestSeconds = {
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

}  // namespace

const char* Outcome::name() const {
  if (index_ < metastorepb::Error_ARRAYSIZE) {
    return metastore::ErrorName(static_cast<metastorepb::Error>(index_));
  }
  return kZooKeeperAnswers[index_ - metastorepb::Error_ARRAYSIZE];
}

RequestMetrics::RequestMetrics(prometheus::Registry& registry)
    : requests_(prometheus::BuildCounter()
                    .Name("warren_metastore_requests_total")
                    .Help("Client requests answered, by door (grpc, zookeeper), op and outcome "
                          "(OK or the error's name).")
                    .Register(registry)),
      durations_(prometheus::BuildHistogram()
                     .Name("warren_metastore_request_duration_seconds")
                     .Help("Time from a request's arrival to its answer, by door, op and outcome.")
                     .Register(registry)) {}

void RequestMetrics::Record(Door door, Op op, Outcome outcome, absl::Duration took) {
  const size_t i =
      (static_cast<size_t>(door) * kOps + static_cast<size_t>(op)) * kOutcomes + outcome.index();
  prometheus::Counter* counter = counters_[i].load(std::memory_order_acquire);
  prometheus::Histogram* histogram = histograms_[i].load(std::memory_order_acquire);
  if (counter == nullptr || histogram == nullptr) {
    // Two threads may both get here: the family hands both the same child.
    const prometheus::Labels labels = {{"door", DoorName(door)},
                                       {"op", kOpNames[static_cast<size_t>(op)]},
                                       {"outcome", outcome.name()}};
    counter = &requests_.Add(labels);
    histogram = &durations_.Add(labels, kRequestSeconds);
    counters_[i].store(counter, std::memory_order_release);
    histograms_[i].store(histogram, std::memory_order_release);
  }
  counter->Increment();
  histogram->Observe(absl::ToDoubleSeconds(took));
}

}  // namespace warren::metrics
