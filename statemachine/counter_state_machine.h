#pragma once

#include "statemachine/state_machine.h"

namespace warren {

// A replicated 64-bit counter: the example state machine of the embedding guide and of the
// runtime's tests. Commands: "incr <n>" (reply: the value after), "set <n>". Query: "get".
class CounterStateMachine : public StateMachine {
 public:
  absl::StatusOr<std::string> Apply(uint64_t index, std::string_view command) override;
  absl::StatusOr<std::string> Query(std::string_view query) override;
  SnapshotFn TakeSnapshot() override;
  absl::Status RestoreSnapshot(uint64_t index, SnapshotReader& reader) override;
  uint64_t LastApplied() const override { return applied_; }

  int64_t value() const { return value_; }

 private:
  int64_t value_ = 0;
  uint64_t applied_ = 0;
};

}  // namespace warren
