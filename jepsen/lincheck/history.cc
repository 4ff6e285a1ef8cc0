#include "jepsen/lincheck/history.h"

#include <cmath>
#include <map>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"
#include "proto/history.pb.h"

namespace warren::lincheck {
namespace {

absl::Status LineError(size_t line, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("line ", line + 1, ": ", what));
}

absl::StatusOr<int64_t> IntegerOf(const google::protobuf::Value& v) {
  if (v.kind_case() != google::protobuf::Value::kNumberValue) {
    return absl::InvalidArgumentError("expected an integer");
  }
  const double d = v.number_value();
  if (d != std::floor(d) || std::abs(d) > 9.0e15) {
    return absl::InvalidArgumentError(absl::StrCat(d, " is not an integer register value"));
  }
  return static_cast<int64_t>(d);
}

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
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  std::string line;
  for (size_t n = 0; std::getline(in, line); ++n) {
    h.lines.push_back(line);
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    historypb::HistoryEvent e;
    if (auto s = google::protobuf::util::JsonStringToMessage(line, &e, options); !s.ok()) {
      return LineError(n, absl::StrCat("not a history event: ", s.message().ToString()));
    }
    auto kind = KindOf(e.f());
    if (!kind.ok()) return LineError(n, kind.status().message());
    auto it = open.find(e.process());
    if (e.type() == "invoke") {
      if (it != open.end()) {
        return LineError(
            n, absl::StrCat("process ", e.process(), " invoked again before its operation on line ",
                            h.ops[it->second].invoke + 1, " completed"));
      }
      Operation op;
      op.process = e.process();
      op.kind = *kind;
      op.key = e.key();
      op.invoke = n;
      if (auto s = ReadArguments(e, op); !s.ok()) return LineError(n, s.message());
      open[e.process()] = h.ops.size();
      h.ops.push_back(std::move(op));
      drop.push_back(false);
      continue;
    }
    if (e.type() != "ok" && e.type() != "fail" && e.type() != "info") {
      return LineError(n, absl::StrCat("unknown type '", e.type(), "' (invoke, ok, fail, info)"));
    }
    if (it == open.end()) {
      return LineError(
          n, absl::StrCat("process ", e.process(), " completed an operation it had not invoked"));
    }
    const size_t index = it->second;
    Operation& op = h.ops[index];
    if (op.kind != *kind || op.key != e.key()) {
      return LineError(
          n, absl::StrCat("the completion does not match the invocation on line ", op.invoke + 1));
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
        return LineError(n, "an ok read needs the value it saw (null: absent)");
      }
      if (e.value().kind_case() == google::protobuf::Value::kNullValue) {
        op.value.reset();
      } else {
        auto v = IntegerOf(e.value());
        if (!v.ok()) return LineError(n, absl::StrCat("read value: ", v.status().message()));
        op.value = *v;
      }
    }
  }
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
