// Checks a list-append history for strict serializability, as Elle does (Kingsbury & Alvaro,
// "Elle: Inferring Isolation Anomalies from Experimental Observations"): every read of a key
// is a prefix of the key's one order of appends, from which dependencies between
// transactions follow (ww, wr, rw) that, with real-time order, must form no cycle.
#pragma once

#include <string>
#include <vector>

#include "jepsen/elle/history.h"

namespace warren::elle {

struct Anomaly {
  // G0, G1c, G-single, G2 and their -realtime variants (cycles); G1a (aborted read), G1b
  // (intermediate read), duplicate-elements, unknown-element (read, never appended),
  // incompatible-order (two reads of a key, neither a prefix of the other), internal (a txn
  // whose reads disagree with its own earlier reads and appends).
  std::string name;
  std::string evidence;  // lines naming the transactions by history line
};

struct CheckResult {
  std::vector<Anomaly> anomalies;  // one example of each class found; empty: valid
  size_t txns = 0;                 // in the dependency graph: ok, and in doubt but read
  size_t edges = 0;
  bool valid() const { return anomalies.empty(); }
};

CheckResult CheckListAppend(const TxnHistory& history);

// The anomalies as a report: each one's name and evidence.
std::string Describe(const CheckResult& result);

}  // namespace warren::elle
