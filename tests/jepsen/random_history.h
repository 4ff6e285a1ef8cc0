#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace warren::lincheck {

// One event of a generated history, before it is written as a JSON line.
struct GeneratedEvent {
  int64_t process = 0;
  std::string type;  // invoke, ok, fail, info
  std::string f;     // read, write, cas
  std::string key;
  std::string value;  // JSON: 5, null, [1,2]; empty: none
};

struct GeneratorOptions {
  int processes = 5;
  int keys = 1;
  int ops = 1000;
  double info_rate = 0.02;  // operations whose outcome is reported unknown
  uint64_t seed = 1;
};

// A history of concurrent clients on registers that is linearizable by construction: each
// operation takes effect at one moment between its invocation and its completion, as a
// sequential register says; some end "info" (taken effect or not, perhaps later). Every write
// and cas writes a value never written before, so mutations can make definite violations.
std::vector<GeneratedEvent> LinearizableHistory(const GeneratorOptions& options);

// Mutations that make a history non-linearizable. Each returns the event it changed, or
// nullopt if the history had no place for it.
// An ok read returns a value that was never written.
std::optional<size_t> ReadNeverWrittenValue(std::vector<GeneratedEvent>& events, uint64_t seed);
// An ok read returns the value of a write that a later write, completed before the read began,
// had overwritten.
std::optional<size_t> ReadStaleValue(std::vector<GeneratedEvent>& events, uint64_t seed);

std::string ToJsonLines(const std::vector<GeneratedEvent>& events);

}  // namespace warren::lincheck
