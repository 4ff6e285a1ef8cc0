#pragma once

#include <string>
#include <vector>

#include "prometheus/metric_family.h"

namespace warren::metrics {

// Metric families built at collection time, by collectors that read a state someone else
// owns (the process, a Division's status, the tree) rather than keep counters of their own.
using Labels = std::vector<prometheus::ClientMetric::Label>;

prometheus::MetricFamily Family(std::string name, std::string help, prometheus::MetricType type);
// Adds one sample (a gauge's or a counter's value, as the family's type says).
void Add(prometheus::MetricFamily& family, double value, Labels labels = {});
// A family of one unlabelled sample.
prometheus::MetricFamily Single(std::string name, std::string help, prometheus::MetricType type,
                                double value);

}  // namespace warren::metrics
