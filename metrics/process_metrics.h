#pragma once

#include <vector>

#include "prometheus/collectable.h"

namespace warren::metrics {

// The process's own figures under Prometheus' standard names (process_cpu_seconds_total,
// process_resident_memory_bytes, ...), read from /proc/self when collected.
class ProcessMetrics : public prometheus::Collectable {
 public:
  std::vector<prometheus::MetricFamily> Collect() const override;
};

}  // namespace warren::metrics
