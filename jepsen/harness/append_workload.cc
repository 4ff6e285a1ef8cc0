// append: Jepsen's list-append transactions, checked for strict serializability by
// warren-elle's checker. A key is a znode holding a list of integers ("3,7,12"; absent: the
// empty list). A txn is 1-4 micro-ops, reads and appends of unique values, over the few keys
// of the moment (retired every few seconds, which keeps the lists short). It runs
// optimistically: it reads each key it touches with its version, then commits with one multi
// that sets each key it appends to at the version read (creates it, if it was absent) and
// checks the version of each key it only reads (an absent one: created and deleted again). The
// multi applies only if no key changed since the reads, so the txn's reads are what held at
// its commit point; if one did, the txn fails.
#include <fstream>
#include <iostream>
#include <map>
#include <random>
#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "jepsen/elle/checker.h"
#include "jepsen/elle/history.h"
#include "jepsen/harness/workload.h"
#include "metastore/errors.h"
#include "metastore/ops.h"

namespace warren::jepsen {
namespace {

using metastore::CheckOp;
using metastore::CreateOp;
using metastore::DeleteOp;
using metastore::SetOp;

constexpr char kRoot[] = "/jepsen-append";
constexpr int kKeysAtOnce = 4;
constexpr int kMaxMicroOps = 4;
const absl::Duration kKeyLifetime = absl::Seconds(3);

struct MicroOp {
  bool append = false;
  std::string key;
  int64_t value = 0;          // append
  std::vector<int64_t> read;  // read, once done
};

// A key as the txn read it.
struct Current {
  bool exists = false;
  int32_t version = 0;
  std::vector<int64_t> list;
};

std::string Encode(const std::vector<int64_t>& list) { return absl::StrJoin(list, ","); }

std::optional<std::vector<int64_t>> Decode(const std::string& data) {
  std::vector<int64_t> list;
  for (absl::string_view e : absl::StrSplit(data, ',', absl::SkipEmpty())) {
    int64_t v;
    if (!absl::SimpleAtoi(e, &v)) return std::nullopt;
    list.push_back(v);
  }
  return list;
}

// The micro-ops as the history has them; `done`: with what the reads saw.
std::string Json(const std::vector<MicroOp>& ops, bool done) {
  std::vector<std::string> parts;
  for (const MicroOp& op : ops) {
    parts.push_back(op.append ? absl::StrCat("[\"append\",\"", op.key, "\",", op.value, "]")
                    : done    ? absl::StrCat("[\"r\",\"", op.key, "\",[", Encode(op.read), "]]")
                              : absl::StrCat("[\"r\",\"", op.key, "\",null]"));
  }
  return absl::StrCat("[", absl::StrJoin(parts, ","), "]");
}

class AppendWorkload : public Workload {
 public:
  explicit AppendWorkload(WorkloadContext ctx) : ctx_(std::move(ctx)) {}

  absl::Status Setup() override {
    if (auto s = CreateIfMissing(ctx_, kRoot); !s.ok()) return s;
    start_ = absl::Now();
    return absl::OkStatus();
  }

  void Process(int index, const std::atomic<bool>& stop) override {
    auto client = ctx_.Connect(index);
    std::mt19937_64 rng(ctx_.seed * 1000 + index);
    int64_t process = ctx_.history->NewProcess();
    while (!stop) {
      const int64_t epoch = (absl::Now() - start_) / kKeyLifetime;
      std::vector<MicroOp> ops(std::uniform_int_distribution<int>(1, kMaxMicroOps)(rng));
      for (MicroOp& op : ops) {
        op.key = absl::StrCat("k", epoch, "-",
                              std::uniform_int_distribution<int>(0, kKeysAtOnce - 1)(rng));
        op.append = std::uniform_int_distribution<int>(0, 1)(rng) == 1;
        if (op.append) op.value = ++next_value_;
      }
      if (RunTxn(*client, process, WithAppendersReads(ops))) {
        process = ctx_.history->NewProcess();
      }
      absl::SleepFor(absl::Milliseconds(std::uniform_int_distribution<int>(0, 4)(rng)));
    }
  }

  std::string Check() override {
    std::ifstream in(ctx_.dir + "/history.jsonl");
    auto history = elle::ReadTxnHistory(in);
    if (!history.ok()) return absl::StrCat("unknown: the history: ", history.status().message());
    if (auto why = LostAppends(*history); !why.empty()) return why;
    const elle::CheckResult r = elle::CheckListAppend(*history);
    std::cout << "elle: " << history->txns.size() << " txns, " << r.txns
              << " in the dependency graph, " << r.edges << " edges" << std::endl;
    if (r.valid()) return "";
    const std::string evidence = elle::Describe(r);
    std::ofstream(ctx_.dir + "/anomalies.txt") << evidence;
    std::cout << evidence;
    std::vector<std::string> names;
    for (const auto& a : r.anomalies) names.push_back(a.name);
    return absl::StrCat("not strict-serializable: ", absl::StrJoin(names, ", "),
                        " (evidence in anomalies.txt)");
  }

 private:
  static std::string PathOf(const std::string& key) { return absl::StrCat(kRoot, "/", key); }

  // The txn with a read of each key it appends to before its first append there: the multi
  // sets the key at the version read, so what it read is what the key held when the txn
  // committed, and the read puts the appender in the key's order of versions.
  static std::vector<MicroOp> WithAppendersReads(const std::vector<MicroOp>& ops) {
    std::vector<MicroOp> out;
    std::set<std::string> touched;
    for (const MicroOp& op : ops) {
      if (op.append && !touched.count(op.key)) {
        MicroOp read;
        read.key = op.key;
        out.push_back(read);
      }
      touched.insert(op.key);
      out.push_back(op);
    }
    return out;
  }

  // Elle orders only what some read saw: an acknowledged append that no later txn read would
  // be lost unseen. The final list of every key, read once the faults are healed, must hold
  // every acknowledged append to it.
  std::string LostAppends(const elle::TxnHistory& history) {
    std::map<std::string, std::vector<int64_t>> acknowledged;  // by key
    for (const elle::Txn& t : history.txns) {
      if (t.status != elle::Txn::kOk) continue;
      for (const elle::MicroOp& op : t.ops) {
        if (op.kind == elle::MicroOp::kAppend) acknowledged[op.key].push_back(op.value);
      }
    }
    for (const auto& [key, values] : acknowledged) {
      auto r = ctx_.cluster->admin()->GetData(PathOf(key));
      if (!r.ok()) return absl::StrCat("unknown: final read of ", key, ": ", r.status().message());
      auto list = Decode(r->data);
      if (!list) return absl::StrCat(key, " holds no list in the end: ", r->data);
      const std::set<int64_t> final_list(list->begin(), list->end());
      for (int64_t v : values) {
        if (!final_list.count(v)) {
          return absl::StrCat("acknowledged append lost: ", v, " to ", key,
                              ", whose final list is [", Encode(*list), "]");
        }
      }
    }
    return "";
  }

  // Returns whether the outcome is in doubt.
  bool RunTxn(Client& c, int64_t process, std::vector<MicroOp> ops) {
    ctx_.history->Invoke(process, "txn", "", Json(ops, false));
    auto fail = [&](const std::string& why) {
      ctx_.history->Complete(process, "fail", "txn", "", Json(ops, false), why);
      return false;
    };
    std::vector<std::string> keys;  // in the order first touched
    std::map<std::string, Current> current;
    std::map<std::string, bool> appended;
    for (const MicroOp& op : ops) {
      if (!current.contains(op.key)) keys.push_back(op.key);
      appended[op.key] |= op.append;
      current[op.key];
    }
    // A stale read only makes the multi fail, so a sequential one will do.
    for (const std::string& key : keys) {
      auto r = c.Get(PathOf(key), Client::Read::kSequential);
      if (metastore::ErrorOf(r.status()) == metastorepb::NO_NODE) continue;
      if (!r.ok()) return fail(std::string(r.status().message()));  // nothing written yet
      auto list = Decode(r->data);
      if (!list) return fail(absl::StrCat(key, " holds no list: ", r->data));
      current[key] = {true, r->stat.version(), std::move(*list)};
    }
    std::map<std::string, std::vector<int64_t>> state;
    for (const auto& [key, cur] : current) state[key] = cur.list;
    for (MicroOp& op : ops) {
      if (op.append) {
        state[op.key].push_back(op.value);
      } else {
        op.read = state[op.key];
      }
    }
    std::vector<metastorepb::Op> multi;  // the writes, then the checks
    for (const std::string& key : keys) {
      if (!appended[key]) continue;
      const Current& cur = current[key];
      multi.push_back(cur.exists ? SetOp(PathOf(key), Encode(state[key]), cur.version)
                                 : CreateOp(PathOf(key), Encode(state[key])));
    }
    for (const std::string& key : keys) {
      if (appended[key]) continue;
      const Current& cur = current[key];
      if (cur.exists) {
        multi.push_back(CheckOp(PathOf(key), cur.version));
      } else {  // still absent: it can be created
        multi.push_back(CreateOp(PathOf(key), ""));
        multi.push_back(DeleteOp(PathOf(key)));
      }
    }
    const absl::Status s = c.Multi(multi);
    if (s.ok()) {
      ctx_.history->Complete(process, "ok", "txn", "", Json(ops, true));
      return false;
    }
    const bool in_doubt = OutcomeUnknown(s);
    ctx_.history->Complete(process, in_doubt ? "info" : "fail", "txn", "", Json(ops, false),
                           std::string(s.message()));
    return in_doubt;
  }

  WorkloadContext ctx_;
  absl::Time start_;
  std::atomic<int64_t> next_value_{0};
};

}  // namespace

std::unique_ptr<Workload> MakeAppendWorkload(WorkloadContext ctx) {
  return std::make_unique<AppendWorkload>(std::move(ctx));
}

}  // namespace warren::jepsen
