#pragma once

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "jepsen/lincheck/history.h"

namespace warren::lincheck {

enum class Verdict { kLinearizable, kNotLinearizable, kUnknown };

struct CheckResult {
  Verdict verdict = Verdict::kLinearizable;
  // Not linearizable: the key, and the events (line numbers, ascending) of the shortest
  // stretch of its history found that cannot be linearized. Unknown: the key that ran out of
  // time.
  std::string key;
  std::vector<size_t> events;
};

// Whether a history of registers (one per key, initially absent) is linearizable. Keys are
// independent, so each is checked alone (P-compositionality). The search is Wing & Gong's
// with Lowe's memoisation of (operations linearized, register value), as in Porcupine.
// Gives up with kUnknown at `deadline`.
CheckResult CheckRegisters(const History& history, absl::Time deadline = absl::InfiniteFuture());

// One register's operations (all on one key), from `initial`.
Verdict CheckRegister(const std::vector<Operation>& ops, RegisterValue initial,
                      absl::Time deadline);

}  // namespace warren::lincheck
