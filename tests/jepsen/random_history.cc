#include "tests/jepsen/random_history.h"

#include <map>
#include <random>

#include "absl/strings/str_cat.h"

namespace warren::lincheck {
namespace {

struct Pending {
  size_t invoke;
  std::string f;
  std::string key;
  int64_t arg = 0, arg2 = 0;
  bool applied = false;
  std::string result;  // the completion's value, once applied
  bool failed = false;
};

std::string ValueJson(const std::optional<int64_t>& v) { return v ? absl::StrCat(*v) : "null"; }

}  // namespace

std::vector<GeneratedEvent> LinearizableHistory(const GeneratorOptions& options) {
  std::mt19937_64 rng(options.seed);
  auto chance = [&](double p) { return std::uniform_real_distribution<>(0, 1)(rng) < p; };
  std::map<std::string, std::optional<int64_t>> registers;
  int64_t next_value = 1;
  std::vector<GeneratedEvent> events;
  std::map<int64_t, Pending> pending;  // by process
  std::vector<Pending> zombies;        // reported unknown, not yet applied: may apply later
  int64_t next_process = options.processes;
  std::vector<int64_t> processes;
  for (int i = 0; i < options.processes; ++i) processes.push_back(i);
  int issued = 0;

  auto apply = [&](Pending& op) {
    auto& reg = registers[op.key];
    if (op.f == "read") {
      op.result = ValueJson(reg);
    } else if (op.f == "write") {
      reg = op.arg;
    } else if (reg == op.arg) {
      reg = op.arg2;
    } else {
      op.failed = true;
    }
    op.applied = true;
  };

  while (issued < options.ops || !pending.empty()) {
    if (!zombies.empty() && chance(0.05)) {
      std::uniform_int_distribution<size_t> pick(0, zombies.size() - 1);
      const size_t z = pick(rng);
      apply(zombies[z]);
      zombies.erase(zombies.begin() + z);
    }
    const size_t slot = std::uniform_int_distribution<size_t>(0, processes.size() - 1)(rng);
    const int64_t process = processes[slot];
    auto it = pending.find(process);
    if (it == pending.end()) {
      if (issued >= options.ops) continue;
      ++issued;
      Pending op;
      op.invoke = events.size();
      op.key = absl::StrCat("k", std::uniform_int_distribution<int>(0, options.keys - 1)(rng));
      const double r = std::uniform_real_distribution<>(0, 1)(rng);
      GeneratedEvent e{process, "invoke", "", op.key, ""};
      if (r < 0.5) {
        op.f = "read";
      } else if (r < 0.8) {
        op.f = "write";
        op.arg = next_value++;
        e.value = absl::StrCat(op.arg);
      } else {
        op.f = "cas";
        const auto& current = registers[op.key];
        op.arg = current && chance(0.7) ? *current : next_value - 1;
        op.arg2 = next_value++;
        e.value = absl::StrCat("[", op.arg, ",", op.arg2, "]");
      }
      e.f = op.f;
      events.push_back(e);
      pending[process] = op;
      continue;
    }
    Pending& op = it->second;
    if (!op.applied && !chance(options.info_rate)) {
      apply(op);
      continue;
    }
    GeneratedEvent e{process, "ok", op.f, op.key, ""};
    if (chance(options.info_rate)) {
      e.type = "info";
      if (!op.applied && op.f != "read" && chance(0.5)) zombies.push_back(op);
      // A process whose operation is in doubt is retired, as Jepsen does.
      processes[slot] = next_process++;
    } else if (!op.applied) {
      continue;
    } else if (op.failed) {
      e.type = "fail";
    } else if (op.f == "read") {
      e.value = op.result;
    }
    events.push_back(e);
    pending.erase(it);
  }
  return events;
}

std::optional<size_t> ReadNeverWrittenValue(std::vector<GeneratedEvent>& events, uint64_t seed) {
  std::vector<size_t> reads;
  for (size_t i = 0; i < events.size(); ++i) {
    if (events[i].type == "ok" && events[i].f == "read") reads.push_back(i);
  }
  if (reads.empty()) return std::nullopt;
  std::mt19937_64 rng(seed);
  const size_t i = reads[std::uniform_int_distribution<size_t>(0, reads.size() - 1)(rng)];
  events[i].value = "-7";
  return i;
}

std::optional<size_t> ReadStaleValue(std::vector<GeneratedEvent>& events, uint64_t seed) {
  // Every operation with its invocation and completion, to find: writes w1, w2 and a read r
  // of one key with w1 completed before w2 began and w2 completed before r began.
  struct Op {
    size_t invoke, complete;
    const GeneratedEvent* e;
  };
  std::map<int64_t, size_t> open;
  std::vector<Op> writes, reads;
  for (size_t i = 0; i < events.size(); ++i) {
    const GeneratedEvent& e = events[i];
    if (e.type == "invoke") {
      open[e.process] = i;
      continue;
    }
    const size_t invoke = open[e.process];
    if (e.type != "ok") continue;
    if (e.f == "write") writes.push_back({invoke, i, &events[invoke]});
    if (e.f == "read") reads.push_back({invoke, i, &e});
  }
  std::mt19937_64 rng(seed);
  std::shuffle(reads.begin(), reads.end(), rng);
  for (const Op& r : reads) {
    for (const Op& w2 : writes) {
      if (w2.e->key != r.e->key || w2.complete >= r.invoke) continue;
      for (const Op& w1 : writes) {
        if (w1.e->key == r.e->key && w1.complete < w2.invoke) {
          events[r.complete].value = w1.e->value;
          return r.complete;
        }
      }
    }
  }
  return std::nullopt;
}

std::string ToJsonLines(const std::vector<GeneratedEvent>& events) {
  std::string out;
  for (size_t i = 0; i < events.size(); ++i) {
    const GeneratedEvent& e = events[i];
    absl::StrAppend(&out, "{\"process\":", e.process, ",\"type\":\"", e.type, "\",\"f\":\"", e.f,
                    "\",\"key\":\"", e.key, "\"");
    if (!e.value.empty()) absl::StrAppend(&out, ",\"value\":", e.value);
    absl::StrAppend(&out, ",\"time\":", i, "}\n");
  }
  return out;
}

}  // namespace warren::lincheck
