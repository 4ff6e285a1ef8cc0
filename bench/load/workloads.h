#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "bench/load/driver.h"

namespace warren::bench {

struct LoadOptions {
  int clients = 16;
  int inflight = 1;  // per client
  int value_size = 256;
  int keys = 1000;  // set / get / mixed pick uniformly among this many
  int batch = 1;    // create: keys per request (one multi / transaction)
  int64_t ops = 0;  // > 0: stop after this many requests instead of after `duration`
  absl::Duration duration = absl::Seconds(10);
  absl::Duration warmup = absl::Seconds(1);
  std::string prefix = "wb";  // every key lives under it
  bool progress = true;       // a line on stderr every second
  std::string kill_cmd;       // failover: the shell command that kills the leader
};

// What one run measured. Latencies are per request (watch: per event delivered).
struct Report {
  std::string target, workload;
  LoadOptions options;
  uint64_t ok = 0, errors = 0;
  uint64_t completed = 0;  // every request, the warm-up's included (CPU per request)
  double seconds = 0;
  double p50_ms = 0, p90_ms = 0, p99_ms = 0, p999_ms = 0, max_ms = 0;
  // probe: from the start until the first acknowledged write; failover: from the kill until
  // the first acknowledged write issued after it.
  double ready_ms = -1, unavailable_ms = -1;

  double PerSecond() const { return seconds > 0 ? ok / seconds : 0; }
  std::string Text() const;
  std::string Json() const;
};

// create, set, get, mixed (90% get, 10% set): closed loop, clients x inflight requests
// always outstanding.
absl::StatusOr<Report> RunLoad(Driver& driver, const std::string& workload,
                               const LoadOptions& options);
// One writer sets a key that `clients` sessions watch; the latency of each delivery.
absl::StatusOr<Report> RunWatchFanout(Driver& driver, const LoadOptions& options);
// One write, retried with fresh connections until it is acknowledged or `duration` passes.
absl::StatusOr<Report> RunProbe(const std::string& target, const DriverOptions& driver_options,
                                const LoadOptions& options);
// One writer; after the warm-up runs `kill_cmd`, then writes until one is acknowledged.
absl::StatusOr<Report> RunFailover(Driver& driver, const LoadOptions& options);

}  // namespace warren::bench
