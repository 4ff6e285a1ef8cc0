#pragma once

#include <cstdint>
#include <istream>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace warren::elle {

// One micro-op of a list-append transaction: [r k L] or [append k v].
struct MicroOp {
  enum Kind { kRead, kAppend };
  Kind kind = kRead;
  std::string key;
  int64_t value = 0;                         // append
  std::optional<std::vector<int64_t>> read;  // read: the list seen (ok txns only)
};

// One transaction: its invocation matched with its completion.
struct Txn {
  enum Status { kOk, kInfo, kFail };
  int64_t process = 0;
  Status status = kInfo;
  std::vector<MicroOp> ops;  // the completion's (reads filled in) if ok, else the invocation's
  size_t invoke = 0;         // event (line) numbers, from 0
  size_t complete = kNever;  // kNever: never completed (in doubt)
  static constexpr size_t kNever = std::numeric_limits<size_t>::max();
};

struct TxnHistory {
  std::vector<Txn> txns;           // by invocation
  std::vector<std::string> lines;  // the events as read, for reports
};

// Reads JSON lines, one per invocation or completion (warren-jepsen's history.jsonl):
//   {"process":3,"type":"invoke","f":"txn","value":[["r","k1",null],["append","k2",7]]}
//   {"process":3,"type":"ok","f":"txn","value":[["r","k1",[1,4]],["append","k2",7]]}
// An invocation is matched to the next completion of the same process; one never completed is
// in doubt, like an info. Malformed lines, a completion whose appends differ from its
// invocation's, an ok read without its list, and a value appended twice to one key are errors
// naming the line.
absl::StatusOr<TxnHistory> ReadTxnHistory(std::istream& in);

}  // namespace warren::elle
