#pragma once

#include <cstdint>
#include <istream>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace warren::lincheck {

// A register holds an integer or nothing (a key that was never written or was absent).
using RegisterValue = std::optional<int64_t>;

enum class OpKind { kRead, kWrite, kCas };

// One operation of a history: its invocation matched with its completion.
struct Operation {
  int64_t process = 0;
  OpKind kind = OpKind::kRead;
  std::string key;
  RegisterValue value;      // write: written; read: seen (only for completed reads)
  int64_t expected = 0;     // cas
  int64_t replacement = 0;  // cas
  // Outcome unknown (info, or never completed): it may take effect at any point after its
  // invocation, or never.
  bool unknown = false;
  size_t invoke = 0;         // event (line) numbers, from 0
  size_t complete = kNever;  // kNever: never completed
  static constexpr size_t kNever = std::numeric_limits<size_t>::max();
};

struct History {
  // Completed and unknown operations, by invocation. Failed operations (they did not take
  // effect) and unknown reads (they changed nothing and told nothing) are left out.
  std::vector<Operation> ops;
  std::vector<std::string> lines;  // the events as read, for reports
};

// Reads JSON lines: {"process":3,"type":"invoke","f":"write","key":"k1","value":5,...}.
// An invocation is matched to the next completion of the same process. Malformed lines and
// inconsistent histories (a completion without an invocation, a second invocation while one
// is open) are errors naming the line.
absl::StatusOr<History> ReadHistory(std::istream& in);

}  // namespace warren::lincheck
