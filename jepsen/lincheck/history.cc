#include "jepsen/lincheck/history.h"

#include <cmath>
#include <map>

#include "absl/strings/str_cat.h"
#include "jepsen/lincheck/history_events.h"
#include "proto/history.pb.h"

namespace warren::lincheck {
namespace {

absl::StatusOr<OpKind> KindOf(const std::string& f) {
  if (f == "read") return OpKind::kRead;
  if (f == "write") return OpKind::kWrite;
  if (f == "cas") return OpKind::kCas;
  return absl::InvalidArgumentError(absl::StrCat("unknown f '", f, "' (read, write or cas)"));
}

// The invocation's arguments: a write's value, a cas's [expected, new].
absl::Status ReadArguments(const historypb::HistoryEvent& e, Operation& op) {
  if (op.kind == OpKind::kWrite) {
    auto v = IntegerOf(e.value());
    if (!v.ok())
      return absl::InvalidArgumentError(absl::StrCat("write value: ", v.status().message()));
    op.value = *v;
  } else if (op.kind == OpKind::kCas) {
    const auto& list = e.value().list_value();
    if (e.value().kind_case() != google::protobuf::Value::kListValue || list.values_size() != 2) {
      return absl::InvalidArgumentError("cas value must be [expected, new]");
    }
    auto expected = IntegerOf(list.values(0));
    auto replacement = IntegerOf(list.values(1));
    if (!expected.ok() || !replacement.ok()) {
      return absl::InvalidArgumentError("cas value must be two integers");
    }
    op.expected = *expected;
    op.replacement = *replacement;
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<History> ReadHistory(std::istream& in) {
  History h;
  std::map<int64_t, size_t> open;  // process -> index in h.ops of its open invocation
  std::vector<bool> drop;          // per op: failed, or an unknown read
  auto read = ForEachHistoryEvent(in, &h.lines, [&](size_t n, const historypb::HistoryEvent& e) {
    auto kind = KindOf(e.f());
    if (!kind.ok()) return absl::InvalidArgumentError(kind.status().message());
    auto it = open.find(e.process());
    if (e.type() == "invoke") {
      if (it != open.end()) {
        return absl::InvalidArgumentError(
            absl::StrCat("process ", e.process(), " invoked again before its operation on line ",
                         h.ops[it->second].invoke + 1, " completed"));
      }
      Operation op;
      op.process = e.process();
      op.kind = *kind;
      op.key = e.key();
      op.invoke = n;
      if (auto s = ReadArguments(e, op); !s.ok()) return absl::InvalidArgumentError(s.message());
      open[e.process()] = h.ops.size();
      h.ops.push_back(std::move(op));
      drop.push_back(false);
      return absl::OkStatus();
    }
    if (it == open.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("process ", e.process(), " completed an operation it had not invoked"));
    }
    const size_t index = it->second;
    Operation& op = h.ops[index];
    if (op.kind != *kind || op.key != e.key()) {
      return absl::InvalidArgumentError(
          absl::StrCat("the completion does not match the invocation on line ", op.invoke + 1));
    }
    open.erase(it);
    op.complete = n;
    if (e.type() == "fail") {
      drop[index] = true;
    } else if (e.type() == "info") {
      op.unknown = true;
      drop[index] = op.kind == OpKind::kRead;
    } else if (op.kind == OpKind::kRead) {
      if (e.value().kind_case() == google::protobuf::Value::KIND_NOT_SET) {
        return absl::InvalidArgumentError("an ok read needs the value it saw (null: absent)");
      }
      if (e.value().kind_case() == google::protobuf::Value::kNullValue) {
        op.value.reset();
      } else {
        auto v = IntegerOf(e.value());
        if (!v.ok())
          return absl::InvalidArgumentError(absl::StrCat("read value: ", v.status().message()));
        op.value = *v;
      }
    }
    return absl::OkStatus();
  });
  if (!read.ok()) return read;
  for (const auto& [process, index] : open) {  // never completed: unknown
    h.ops[index].unknown = true;
    drop[index] = h.ops[index].kind == OpKind::kRead;
  }
  std::vector<Operation> kept;
  for (size_t i = 0; i < h.ops.size(); ++i) {
    if (!drop[i]) kept.push_back(std::move(h.ops[i]));
  }
  h.ops = std::move(kept);
  return h;
}

}  // namespace warren::lincheck
