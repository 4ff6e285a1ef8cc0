#include "jepsen/lincheck/register_checker.h"

#include <algorithm>
#include <map>
#include <set>
#include <unordered_set>

#include "absl/hash/hash.h"
#include "absl/time/clock.h"

namespace warren::lincheck {
namespace {

// The register's sequential specification: the value after `op`, or nullopt if `op` cannot
// happen from `value`. An unknown cas may have failed: from another value it changes nothing.
std::optional<RegisterValue> Step(const Operation& op, const RegisterValue& value) {
  switch (op.kind) {
    case OpKind::kRead:
      if (value == op.value) return value;
      return std::nullopt;
    case OpKind::kWrite:
      return op.value;
    case OpKind::kCas:
      if (value == op.expected) return RegisterValue(op.replacement);
      if (op.unknown) return value;
      return std::nullopt;
  }
  return std::nullopt;
}

// The set of operations linearized so far, as a bitset, with the register value it left.
struct Configuration {
  std::vector<uint64_t> linearized;
  RegisterValue value;
  bool operator==(const Configuration&) const = default;
  template <typename H>
  friend H AbslHashValue(H h, const Configuration& c) {
    return H::combine(std::move(h), c.linearized, c.value);
  }
};

// Operations' calls and returns in time order, as a doubly linked list from which a call and
// its return are lifted when the operation is linearized, and put back when the search
// backtracks (Lowe's version of Wing & Gong's algorithm).
class Search {
 public:
  Search(const std::vector<Operation>& ops, RegisterValue initial)
      : ops_(ops), value_(std::move(initial)) {
    const size_t n = ops.size();
    struct Event {
      size_t time;
      size_t op;
      bool is_return;
    };
    std::vector<Event> events;
    for (size_t i = 0; i < n; ++i) {
      events.push_back({ops[i].invoke, i, false});
      events.push_back({ops[i].unknown ? Operation::kNever : ops[i].complete, i, true});
    }
    // Unknown operations return "never": after every known event, calls before returns.
    std::sort(events.begin(), events.end(), [](const Event& a, const Event& b) {
      if (a.time != b.time) return a.time < b.time;
      if (a.is_return != b.is_return) return !a.is_return;
      return a.op < b.op;
    });
    head_ = 2 * n;
    next_.assign(2 * n + 1, kEnd);
    prev_.assign(2 * n + 1, kEnd);
    op_of_.resize(2 * n);
    is_return_.resize(2 * n);
    return_of_.resize(n);
    size_t last = head_;
    for (size_t i = 0; i < events.size(); ++i) {
      op_of_[i] = events[i].op;
      is_return_[i] = events[i].is_return;
      if (events[i].is_return) return_of_[events[i].op] = i;
      next_[last] = i;
      prev_[i] = last;
      last = i;
    }
    linearized_.assign((n + 63) / 64, 0);
  }

  Verdict Run(absl::Time deadline) {
    std::unordered_set<Configuration, absl::Hash<Configuration>> seen;
    std::vector<std::pair<size_t, RegisterValue>> calls;  // linearized: (call entry, value before)
    size_t entry = next_[head_];
    for (uint64_t steps = 0; next_[head_] != kEnd; ++steps) {
      if ((steps & 4095) == 0 && absl::Now() > deadline) return Verdict::kUnknown;
      const size_t op = op_of_[entry];
      if (!is_return_[entry]) {
        if (auto after = Step(ops_[op], value_)) {
          Set(op, true);
          if (seen.insert(Configuration{linearized_, *after}).second) {
            calls.emplace_back(entry, value_);
            value_ = std::move(*after);
            Lift(entry);
            entry = next_[head_];
            continue;
          }
          Set(op, false);
        }
        entry = next_[entry];
      } else {
        // An operation returned before any order of those linearized let it take effect.
        if (calls.empty()) return Verdict::kNotLinearizable;
        auto [call, before] = std::move(calls.back());
        calls.pop_back();
        value_ = std::move(before);
        Set(op_of_[call], false);
        Unlift(call);
        entry = next_[call];
      }
    }
    return Verdict::kLinearizable;
  }

 private:
  static constexpr size_t kEnd = static_cast<size_t>(-1);

  void Set(size_t op, bool on) {
    if (on) {
      linearized_[op / 64] |= uint64_t{1} << (op % 64);
    } else {
      linearized_[op / 64] &= ~(uint64_t{1} << (op % 64));
    }
  }
  void Remove(size_t e) {
    next_[prev_[e]] = next_[e];
    if (next_[e] != kEnd) prev_[next_[e]] = prev_[e];
  }
  void Restore(size_t e) {
    next_[prev_[e]] = e;
    if (next_[e] != kEnd) prev_[next_[e]] = e;
  }
  void Lift(size_t call) {
    Remove(call);
    Remove(return_of_[op_of_[call]]);
  }
  void Unlift(size_t call) {
    Restore(return_of_[op_of_[call]]);
    Restore(call);
  }

  const std::vector<Operation>& ops_;
  RegisterValue value_;
  size_t head_ = 0;
  std::vector<size_t> next_, prev_, op_of_, return_of_;
  std::vector<bool> is_return_;
  std::vector<uint64_t> linearized_;
};

// The key's history cut after event `end`: later invocations did not happen yet, and
// operations still open then are unknown (an unknown read is dropped).
std::vector<Operation> Prefix(const std::vector<Operation>& ops, size_t end) {
  std::vector<Operation> cut;
  for (const Operation& op : ops) {
    if (op.invoke > end) continue;
    Operation o = op;
    if (o.complete != Operation::kNever && o.complete > end) {
      if (o.kind == OpKind::kRead) continue;
      o.unknown = true;
      o.complete = Operation::kNever;  // not reported: after the cut
    }
    cut.push_back(std::move(o));
  }
  return cut;
}

// The first operation of a stretch that begins with operation `i` (by invocation) and is closed
// under overlap: every operation before it completed before every operation in it began, so
// it comes first in any linearization, whatever the stretch does.
size_t StretchStart(const std::vector<Operation>& ops, size_t i) {
  size_t start = i;
  for (size_t j = i; j-- > 0;) {
    if (ops[j].unknown || ops[j].complete > ops[start].invoke) start = j;
  }
  return start;
}

// The shortest stretch of a non-linearizable key history that is still not linearizable:
// the shortest failing prefix (a prefix of a linearizable history is linearizable, so a
// binary search over its end finds it), then the latest stretch of it that cannot be
// linearized from any value the operations before it may have left.
std::vector<size_t> ShortestViolation(const std::vector<Operation>& ops, absl::Time deadline) {
  std::vector<size_t> ends;
  for (const Operation& op : ops) {
    if (!op.unknown) ends.push_back(op.complete);
  }
  std::sort(ends.begin(), ends.end());
  size_t lo = 0, hi = ends.size() - 1;  // ends[hi] fails (the whole history does)
  while (lo < hi) {
    const size_t mid = (lo + hi) / 2;
    if (CheckRegister(Prefix(ops, ends[mid]), std::nullopt, deadline) ==
        Verdict::kNotLinearizable) {
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  const size_t end = ends[hi];
  const std::vector<Operation> prefix = Prefix(ops, end);
  size_t start = 0;
  for (size_t i = prefix.size(); i-- > 0;) {
    const size_t first = StretchStart(prefix, i);
    std::set<RegisterValue> could_hold = {std::nullopt};
    for (size_t j = 0; j < first; ++j) {
      if (prefix[j].kind == OpKind::kWrite) could_hold.insert(prefix[j].value);
      if (prefix[j].kind == OpKind::kCas) could_hold.insert(prefix[j].replacement);
    }
    const std::vector<Operation> stretch(prefix.begin() + first, prefix.end());
    const bool fails_from_all =
        std::all_of(could_hold.begin(), could_hold.end(), [&](const RegisterValue& initial) {
          return CheckRegister(stretch, initial, deadline) == Verdict::kNotLinearizable;
        });
    if (fails_from_all) {
      start = first;
      break;
    }
  }
  std::vector<size_t> events;
  for (size_t i = start; i < prefix.size(); ++i) {
    events.push_back(prefix[i].invoke);
    if (prefix[i].complete != Operation::kNever) events.push_back(prefix[i].complete);
  }
  std::sort(events.begin(), events.end());
  return events;
}

}  // namespace

Verdict CheckRegister(const std::vector<Operation>& ops, RegisterValue initial,
                      absl::Time deadline) {
  return Search(ops, std::move(initial)).Run(deadline);
}

CheckResult CheckRegisters(const History& history, absl::Time deadline) {
  std::map<std::string, std::vector<Operation>> by_key;
  for (const Operation& op : history.ops) by_key[op.key].push_back(op);
  CheckResult result;
  for (const auto& [key, ops] : by_key) {
    const Verdict v = CheckRegister(ops, std::nullopt, deadline);
    if (v == Verdict::kLinearizable) continue;
    result.verdict = v;
    result.key = key;
    if (v == Verdict::kNotLinearizable) {
      result.events = ShortestViolation(ops, deadline);
      return result;
    }
  }
  return result;  // a key that ran out of time is reported only if no other key failed
}

}  // namespace warren::lincheck
