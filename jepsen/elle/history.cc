#include "jepsen/elle/history.h"

#include <cmath>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "jepsen/lincheck/history_events.h"
#include "proto/history.pb.h"

namespace warren::elle {
namespace {

using lincheck::ForEachHistoryEvent;

using google::protobuf::Value;

using lincheck::IntegerOf;

// [["r","k",null|[1,2]], ["append","k",3], ...]. `completed`: an ok completion, whose reads
// must carry their lists.
absl::StatusOr<std::vector<MicroOp>> MicroOpsOf(const Value& v, bool completed) {
  if (v.kind_case() != Value::kListValue || v.list_value().values_size() == 0) {
    return absl::InvalidArgumentError("a txn's value must be a non-empty list of micro-ops");
  }
  std::vector<MicroOp> ops;
  for (const Value& m : v.list_value().values()) {
    const auto& l = m.list_value();
    if (m.kind_case() != Value::kListValue || l.values_size() != 3 ||
        l.values(0).kind_case() != Value::kStringValue ||
        l.values(1).kind_case() != Value::kStringValue) {
      return absl::InvalidArgumentError(
          "a micro-op must be [\"r\", key, list] or [\"append\", key, v]");
    }
    MicroOp op;
    op.key = l.values(1).string_value();
    const std::string& f = l.values(0).string_value();
    if (f == "append") {
      op.kind = MicroOp::kAppend;
      auto value = IntegerOf(l.values(2));
      if (!value.ok())
        return absl::InvalidArgumentError(absl::StrCat("append: ", value.status().message()));
      op.value = *value;
    } else if (f == "r") {
      op.kind = MicroOp::kRead;
      if (l.values(2).kind_case() == Value::kListValue) {
        std::vector<int64_t> read;
        for (const Value& e : l.values(2).list_value().values()) {
          auto x = IntegerOf(e);
          if (!x.ok())
            return absl::InvalidArgumentError(absl::StrCat("read: ", x.status().message()));
          read.push_back(*x);
        }
        op.read = std::move(read);
      } else if (l.values(2).kind_case() != Value::kNullValue) {
        return absl::InvalidArgumentError("a read's list must be a list or null");
      }
      if (completed && !op.read) {
        return absl::InvalidArgumentError("an ok txn's read needs the list it saw ([] if none)");
      }
    } else {
      return absl::InvalidArgumentError(absl::StrCat("unknown micro-op '", f, "' (r or append)"));
    }
    ops.push_back(std::move(op));
  }
  return ops;
}

bool SameAppends(const std::vector<MicroOp>& a, const std::vector<MicroOp>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].kind != b[i].kind || a[i].key != b[i].key) return false;
    if (a[i].kind == MicroOp::kAppend && a[i].value != b[i].value) return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<TxnHistory> ReadTxnHistory(std::istream& in) {
  TxnHistory h;
  std::map<int64_t, size_t> open;                              // process -> its open txn
  std::map<std::pair<std::string, int64_t>, size_t> appended;  // (key, value) -> invoke line
  auto read = ForEachHistoryEvent(in, &h.lines, [&](size_t n, const historypb::HistoryEvent& e) {
    if (e.f() != "txn")
      return absl::InvalidArgumentError(absl::StrCat("unknown f '", e.f(), "' (txn)"));
    auto it = open.find(e.process());
    if (e.type() == "invoke") {
      if (it != open.end()) {
        return absl::InvalidArgumentError(
            absl::StrCat("process ", e.process(), " invoked again before its txn on line ",
                         h.txns[it->second].invoke + 1, " completed"));
      }
      auto ops = MicroOpsOf(e.value(), /*completed=*/false);
      if (!ops.ok()) return absl::InvalidArgumentError(ops.status().message());
      for (const MicroOp& op : *ops) {
        if (op.kind != MicroOp::kAppend) continue;
        auto [at, fresh] = appended.emplace(std::make_pair(op.key, op.value), n);
        if (!fresh) {
          return absl::InvalidArgumentError(absl::StrCat(op.value, " was appended to ", op.key,
                                                         " already, on line ", at->second + 1,
                                                         ": values must be unique per key"));
        }
      }
      Txn t;
      t.process = e.process();
      t.invoke = n;
      t.ops = std::move(*ops);
      open[e.process()] = h.txns.size();
      h.txns.push_back(std::move(t));
      return absl::OkStatus();
    }
    if (it == open.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("process ", e.process(), " completed a txn it had not invoked"));
    }
    Txn& t = h.txns[it->second];
    open.erase(it);
    t.complete = n;
    if (e.type() == "ok") {
      t.status = Txn::kOk;
      auto ops = MicroOpsOf(e.value(), /*completed=*/true);
      if (!ops.ok()) return absl::InvalidArgumentError(ops.status().message());
      if (!SameAppends(t.ops, *ops)) {
        return absl::InvalidArgumentError(absl::StrCat(
            "the completion's micro-ops differ from the invocation's on line ", t.invoke + 1));
      }
      t.ops = std::move(*ops);
    } else {
      t.status = e.type() == "fail" ? Txn::kFail : Txn::kInfo;
      for (MicroOp& op : t.ops) op.read.reset();  // what an unfinished txn read is unknown
    }
    return absl::OkStatus();
  });
  if (!read.ok()) return read;
  return h;
}

}  // namespace warren::elle
