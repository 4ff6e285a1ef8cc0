#pragma once

#include <memory>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "statemachine/state_machine.h"

namespace warren::metastore {

// For fault tests: a state machine that sleeps before each command it applies, so that its
// member falls behind the others while keeping its log up to date, as a member with a slow
// disk or a long backlog does (warrend --apply-delay-ms). Everything else is passed through.
class DelayedApply : public StateMachine {
 public:
  DelayedApply(std::unique_ptr<StateMachine> inner, absl::Duration delay)
      : inner_(std::move(inner)), delay_(delay) {}

  absl::StatusOr<std::string> Apply(uint64_t index, std::string_view command) override {
    absl::SleepFor(delay_);
    return inner_->Apply(index, command);
  }
  absl::StatusOr<std::string> Query(std::string_view query) override {
    return inner_->Query(query);
  }
  SnapshotFn TakeSnapshot() override { return inner_->TakeSnapshot(); }
  absl::Status RestoreSnapshot(uint64_t index, SnapshotReader& reader) override {
    return inner_->RestoreSnapshot(index, reader);
  }
  uint64_t LastApplied() const override { return inner_->LastApplied(); }
  bool durable() const override { return inner_->durable(); }
  absl::Status Persist(uint64_t index, const RuntimeRecords& records) override {
    return inner_->Persist(index, records);
  }
  absl::StatusOr<std::map<std::string, std::string>> LoadRuntimeRecords() override {
    return inner_->LoadRuntimeRecords();
  }

 private:
  const std::unique_ptr<StateMachine> inner_;
  const absl::Duration delay_;
};

}  // namespace warren::metastore
