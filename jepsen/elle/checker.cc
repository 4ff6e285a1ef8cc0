#include "jepsen/elle/checker.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <unordered_map>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "jepsen/elle/graph.h"

namespace warren::elle {
namespace {

// A read of a key as the rest of the history saw it: without the reader's own appends.
struct ExternalRead {
  int txn;
  int key;
  std::vector<int64_t> list;
};

// Any read of a key, own appends included: each must be a prefix of the key's order.
struct Observation {
  int txn;
  const std::vector<int64_t>* list;
};

std::string ListTail(const std::vector<int64_t>& l) {
  if (l.size() <= 6) return absl::StrCat("[", absl::StrJoin(l, " "), "]");
  return absl::StrCat("[(", l.size() - 3, " more) ", absl::StrJoin(l.end() - 3, l.end(), " "), "]");
}

class Checker {
 public:
  explicit Checker(const TxnHistory& h) : h_(h), graph_(static_cast<int>(h.txns.size())) {}

  CheckResult Run() {
    IndexAppends();
    ReadsOfOkTxns();
    for (const ExternalRead& r : external_) CheckElements(r);
    InferOrders();
    AddDataEdges();
    AddRealTimeEdges();
    FindCycles();
    CheckResult result;
    result.anomalies = std::move(anomalies_);
    for (const Txn& t : h_.txns) result.txns += t.status == Txn::kOk;
    result.txns += read_in_doubt_.size();
    result.edges = graph_.edges();
    return result;
  }

 private:
  int KeyIndex(const std::string& key) {
    auto [it, fresh] = key_index_.emplace(key, static_cast<int>(keys_.size()));
    if (fresh) keys_.push_back(key);
    return it->second;
  }

  // The txn that appended `value` to `key`, or -1.
  int Writer(int key, int64_t value) const {
    auto it = writer_.find({key, value});
    return it == writer_.end() ? -1 : it->second;
  }

  void Report(const std::string& name, const std::string& evidence) {
    if (!reported_.insert(name).second) return;  // one example of each
    anomalies_.push_back({name, evidence});
  }

  std::string Name(int txn) const { return absl::StrCat("T", h_.txns[txn].invoke + 1); }

  std::string Describe(int txn) const {
    const Txn& t = h_.txns[txn];
    std::string s =
        absl::StrCat("  ", Name(txn), ": lines ", t.invoke + 1, "-",
                     t.complete == Txn::kNever ? "never completed" : absl::StrCat(t.complete + 1),
                     t.status == Txn::kOk     ? " (ok)"
                     : t.status == Txn::kInfo ? " (in doubt)"
                                              : " (failed)");
    for (const MicroOp& op : t.ops) {
      if (op.kind == MicroOp::kAppend) {
        absl::StrAppend(&s, " [append ", op.key, " ", op.value, "]");
      } else {
        absl::StrAppend(&s, " [r ", op.key, " ", op.read ? ListTail(*op.read) : "?", "]");
      }
    }
    return s + "\n";
  }

  void IndexAppends() {
    for (int t = 0; t < static_cast<int>(h_.txns.size()); ++t) {
      for (const MicroOp& op : h_.txns[t].ops) {
        if (op.kind == MicroOp::kAppend) writer_[{KeyIndex(op.key), op.value}] = t;
      }
    }
  }

  // Each ok txn's reads: consistent with its own earlier reads and appends (else internal),
  // and, without its own appends, what it read of the others'.
  void ReadsOfOkTxns() {
    for (int t = 0; t < static_cast<int>(h_.txns.size()); ++t) {
      const Txn& txn = h_.txns[t];
      if (txn.status != Txn::kOk) continue;
      std::map<int, std::vector<int64_t>> state;  // a key's list as the txn knows it
      std::map<int, std::vector<int64_t>> own;    // its appends so far, by key
      for (const MicroOp& op : txn.ops) {
        const int k = KeyIndex(op.key);
        if (op.kind == MicroOp::kAppend) {
          own[k].push_back(op.value);
          if (auto it = state.find(k); it != state.end()) it->second.push_back(op.value);
          continue;
        }
        const std::vector<int64_t>& read = *op.read;
        observations_[k].push_back({t, &read});
        if (auto it = state.find(k); it != state.end()) {
          if (read != it->second) {
            Report("internal", absl::StrCat(Name(t), " read ", op.key, " = ", ListTail(read),
                                            " where its own reads and appends make it ",
                                            ListTail(it->second), "\n", Describe(t)));
          }
          continue;
        }
        const std::vector<int64_t>& mine = own[k];
        if (read.size() < mine.size() ||
            !std::equal(mine.begin(), mine.end(), read.end() - mine.size())) {
          Report("internal", absl::StrCat(Name(t), " read ", op.key, " = ", ListTail(read),
                                          " without its own appends at the end\n", Describe(t)));
          continue;
        }
        external_.push_back({t, k, std::vector<int64_t>(read.begin(), read.end() - mine.size())});
        state[k] = read;
      }
    }
  }

  // What a read's elements say without any order: each appended once, by a txn that did not
  // fail; a txn's intermediate state never seen.
  void CheckElements(const ExternalRead& r) {
    const std::string& key = keys_[r.key];
    std::set<int64_t> seen;
    for (int64_t x : r.list) {
      if (!seen.insert(x).second) {
        Report("duplicate-elements", absl::StrCat(Name(r.txn), " read ", x, " twice in ", key,
                                                  " = ", ListTail(r.list), "\n", Describe(r.txn)));
      }
      const int w = Writer(r.key, x);
      if (w == -1) {
        Report("unknown-element",
               absl::StrCat(Name(r.txn), " read ", x, " in ", key,
                            ", which no transaction appended\n", Describe(r.txn)));
      } else if (w == r.txn) {
        Report("internal", absl::StrCat(Name(r.txn), " read its own append of ", x, " to ", key,
                                        " before making it\n", Describe(r.txn)));
      } else if (h_.txns[w].status == Txn::kFail) {
        Report("G1a",
               absl::StrCat(Name(r.txn), " read ", x, " in ", key, ", appended by ", Name(w),
                            ", which failed (aborted read)\n", Describe(r.txn), Describe(w)));
      } else if (h_.txns[w].status == Txn::kInfo) {
        read_in_doubt_.insert(w);  // it committed
      }
    }
    if (r.list.empty()) return;
    const int w = Writer(r.key, r.list.back());
    if (w == -1 || w == r.txn) return;
    bool after = false;
    for (const MicroOp& op : h_.txns[w].ops) {
      if (op.kind != MicroOp::kAppend || op.key != key) continue;
      if (after) {
        Report("G1b",
               absl::StrCat(Name(r.txn), " read ", key, " = ", ListTail(r.list), ", ending with ",
                            r.list.back(), ", which ", Name(w), " appended before appending ",
                            op.value, " (intermediate read)\n", Describe(r.txn), Describe(w)));
        return;
      }
      after = op.value == r.list.back();
    }
  }

  // Each key's order of appends: its longest read, of which every other must be a prefix.
  void InferOrders() {
    order_.resize(keys_.size());
    for (auto& [k, obs] : observations_) {
      const Observation* longest = &obs[0];
      for (const Observation& o : obs) {
        if (o.list->size() > longest->list->size()) longest = &o;
      }
      bool compatible = true;
      for (const Observation& o : obs) {
        if (std::equal(o.list->begin(), o.list->end(), longest->list->begin())) continue;
        compatible = false;
        Report("incompatible-order",
               absl::StrCat("reads of ", keys_[k], " disagree on the order of its appends: ",
                            Name(o.txn), " read ", absl::StrJoin(*o.list, " "), " and ",
                            Name(longest->txn), " read ", absl::StrJoin(*longest->list, " "), "\n",
                            Describe(o.txn), Describe(longest->txn)));
        break;
      }
      if (!compatible) {
        incompatible_.insert(k);
        continue;
      }
      order_[k] = *longest->list;
      for (size_t i = 0; i < order_[k].size(); ++i) position_[{k, order_[k][i]}] = i;
    }
  }

  bool Committed(int txn) const { return txn != -1 && h_.txns[txn].status != Txn::kFail; }

  void AddDataEdges() {
    for (size_t k = 0; k < order_.size(); ++k) {
      const auto& o = order_[k];
      for (size_t i = 1; i < o.size(); ++i) {
        const int a = Writer(k, o[i - 1]), b = Writer(k, o[i]);
        if (Committed(a) && Committed(b) && a != b) {
          graph_.Add({a, b, kWW, static_cast<int>(k), o[i]});
        }
      }
    }
    for (const ExternalRead& r : external_) {
      if (incompatible_.contains(r.key)) continue;
      if (!r.list.empty()) {
        const int w = Writer(r.key, r.list.back());
        if (Committed(w) && w != r.txn) graph_.Add({w, r.txn, kWR, r.key, r.list.back()});
      }
      const auto& o = order_[r.key];
      if (r.list.size() < o.size()) {
        const int w = Writer(r.key, o[r.list.size()]);
        if (Committed(w) && w != r.txn) graph_.Add({r.txn, w, kRW, r.key, o[r.list.size()]});
      }
    }
  }

  // A completed before B was invoked. Only to the txns that could come next, as Elle does:
  // an ok txn stays on the frontier until one invoked after it completed, which then carries
  // the order on; so each txn gets edges from the few ok txns that completed last before it.
  // A txn in doubt never completed in this sense, and a failed one is in no order.
  void AddRealTimeEdges() {
    struct Event {
      size_t line;
      int txn;
      bool invoke;
    };
    std::vector<Event> events;
    for (int t = 0; t < static_cast<int>(h_.txns.size()); ++t) {
      const Txn& txn = h_.txns[t];
      if (txn.status == Txn::kFail) continue;
      if (txn.status == Txn::kInfo && !read_in_doubt_.contains(t)) continue;  // in no cycle
      events.push_back({txn.invoke, t, true});
      if (txn.status == Txn::kOk) events.push_back({txn.complete, t, false});
    }
    std::sort(events.begin(), events.end(), [](auto& a, auto& b) { return a.line < b.line; });
    std::vector<int> frontier;
    for (const Event& e : events) {
      if (e.invoke) {
        for (int f : frontier) graph_.Add({f, e.txn, kRT});
        continue;
      }
      const size_t invoked = h_.txns[e.txn].invoke;
      std::erase_if(frontier, [&](int f) { return h_.txns[f].complete < invoked; });
      frontier.push_back(e.txn);
    }
  }

  std::string Explain(const Edge& e) const {
    const std::string from = Name(e.from), to = Name(e.to);
    switch (e.type) {
      case kWW: {
        const auto& o = order_[e.key];
        const size_t i = position_.at({e.key, e.value});
        return absl::StrCat(from, " -ww-> ", to, ": ", from, " appended ", o[i - 1], " to ",
                            keys_[e.key], ", then ", to, " appended ", e.value);
      }
      case kWR:
        return absl::StrCat(from, " -wr-> ", to, ": ", to, " read ", keys_[e.key], " ending with ",
                            e.value, ", which ", from, " appended");
      case kRW: {
        const size_t i = position_.at({e.key, e.value});
        return absl::StrCat(from, " -rw-> ", to, ": ", from, " read ", keys_[e.key],
                            i == 0 ? " empty" : absl::StrCat(" up to ", order_[e.key][i - 1]),
                            ", and ", to, " appended ", e.value, ", the next element");
      }
      case kRT:
        return absl::StrCat(from, " -rt-> ", to, ": ", from, " completed (line ",
                            h_.txns[e.from].complete + 1, ") before ", to, " was invoked (line ",
                            h_.txns[e.to].invoke + 1, ")");
    }
    return "";
  }

  void ReportCycle(const Cycle& c) {
    int rw = 0;
    bool wr = false, rt = false;
    for (const Edge& e : c) {
      rw += e.type == kRW;
      wr |= e.type == kWR;
      rt |= e.type == kRT;
    }
    std::string name = rw == 0 ? (wr ? "G1c" : "G0") : rw == 1 ? "G-single" : "G2";
    if (rt) name += "-realtime";
    if (reported_.contains(name)) return;
    std::string evidence =
        absl::StrCat("a cycle of ", c.size(), " transactions (Tn: the one invoked on line n):\n");
    for (const Edge& e : c) evidence += Describe(e.from);
    for (const Edge& e : c) absl::StrAppend(&evidence, "  ", Explain(e), "\n");
    Report(name, evidence);
  }

  // The classes from the weakest: each search allows what the previous ones did and more.
  void FindCycles() {
    if (graph_.edges() == 0) return;
    const std::vector<int> any = CyclicComponents(graph_, kAllEdges);
    if (std::all_of(any.begin(), any.end(), [](int c) { return c == -1; })) return;
    for (uint8_t base : {uint8_t{0}, uint8_t{kRT}}) {
      if (auto c = FindCycle(graph_, kWW | base)) ReportCycle(*c);
      if (auto c = FindCycle(graph_, kWW | kWR | base)) ReportCycle(*c);
      if (auto c = FindSingleRwCycle(graph_, kWW | kWR | base)) ReportCycle(*c);
      if (auto c = FindCycle(graph_, kWW | kWR | kRW | base)) ReportCycle(*c);
    }
  }

  struct PairHash {
    size_t operator()(const std::pair<int, int64_t>& p) const {
      return std::hash<int64_t>()(p.second * 1000003 + p.first);
    }
  };

  const TxnHistory& h_;
  DepGraph graph_;
  std::vector<std::string> keys_;
  std::unordered_map<std::string, int> key_index_;
  std::unordered_map<std::pair<int, int64_t>, int, PairHash> writer_;  // (key, value) -> txn
  std::map<int, std::vector<Observation>> observations_;               // by key
  std::vector<ExternalRead> external_;
  std::set<int> read_in_doubt_;  // txns in doubt whose appends were read: they committed
  std::set<int> incompatible_;   // keys without an order
  std::vector<std::vector<int64_t>> order_;  // by key
  std::unordered_map<std::pair<int, int64_t>, size_t, PairHash> position_;
  std::set<std::string> reported_;
  std::vector<Anomaly> anomalies_;
};

}  // namespace

CheckResult CheckListAppend(const TxnHistory& history) { return Checker(history).Run(); }

std::string Describe(const CheckResult& result) {
  std::string s;
  for (const Anomaly& a : result.anomalies) absl::StrAppend(&s, a.name, ": ", a.evidence);
  return s;
}

}  // namespace warren::elle
