#include "statemachine/counter_state_machine.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace warren {
namespace {

absl::StatusOr<int64_t> ParseNumber(absl::string_view text, absl::string_view command) {
  int64_t n = 0;
  if (!absl::SimpleAtoi(text, &n)) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad number in counter command '", command, "'"));
  }
  return n;
}

}  // namespace

absl::StatusOr<std::string> CounterStateMachine::Apply(uint64_t index, std::string_view command) {
  applied_ = index;
  absl::string_view cmd(command.data(), command.size());
  absl::string_view arg = cmd;
  if (absl::ConsumePrefix(&arg, "incr ")) {
    auto n = ParseNumber(arg, cmd);
    if (!n.ok()) return n.status();
    int64_t sum = 0;
    if (__builtin_add_overflow(value_, *n, &sum)) {
      return absl::OutOfRangeError(
          absl::StrCat("'", cmd, "' would overflow the counter (", value_, ")"));
    }
    value_ = sum;
  } else if (absl::ConsumePrefix(&arg, "set ")) {
    auto n = ParseNumber(arg, cmd);
    if (!n.ok()) return n.status();
    value_ = *n;
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown counter command '", cmd, "' (want 'incr N' or 'set N')"));
  }
  return absl::StrCat(value_);
}

absl::StatusOr<std::string> CounterStateMachine::Query(std::string_view query) {
  if (query != "get") {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown counter query '", std::string(query), "' (want 'get')"));
  }
  return absl::StrCat(value_);
}

StateMachine::SnapshotFn CounterStateMachine::TakeSnapshot() {
  std::string frozen = absl::StrCat(value_);
  return [frozen](SnapshotWriter& w) { return w.Write(frozen); };
}

absl::Status CounterStateMachine::RestoreSnapshot(uint64_t index, SnapshotReader& reader) {
  auto bytes = reader.ReadAll();
  if (!bytes.ok()) return bytes.status();
  int64_t v = 0;
  if (!absl::SimpleAtoi(*bytes, &v)) {
    return absl::DataLossError("counter snapshot does not hold a number");
  }
  value_ = v;
  applied_ = index;
  return absl::OkStatus();
}

}  // namespace warren
