// The list-append checker on hand-written histories: each anomaly class, and valid histories
// (with transactions in doubt), then its speed on a generated one.
#include <random>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "jepsen/elle/checker.h"
#include "jepsen/elle/history.h"

namespace warren::elle {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// Builds a history line by line; ops are micro-ops in the history's JSON, e.g.
// R("x", {1, 2}), A("y", 3).
class History {
 public:
  History& Invoke(int process, const std::vector<std::string>& ops) {
    return Line(process, "invoke", ops);
  }
  History& Complete(int process, const std::string& type, const std::vector<std::string>& ops) {
    return Line(process, type, ops);
  }
  // Invoked and completed with nothing in between.
  History& Txn(int process, const std::string& type, const std::vector<std::string>& ops) {
    std::vector<std::string> invoked;
    for (const std::string& op : ops) {
      invoked.push_back(op.starts_with("[\"r\"") ? op.substr(0, op.find(",", 6)) + ",null]" : op);
    }
    Invoke(process, invoked);
    return Complete(process, type, ops);
  }
  std::string text() const { return text_; }

 private:
  History& Line(int process, const std::string& type, const std::vector<std::string>& ops) {
    absl::StrAppend(&text_, "{\"process\":", process, ",\"type\":\"", type,
                    "\",\"f\":\"txn\",\"value\":[", absl::StrJoin(ops, ","), "]}\n");
    return *this;
  }
  std::string text_;
};

std::string R(const std::string& key, const std::vector<int>& list) {
  return absl::StrCat("[\"r\",\"", key, "\",[", absl::StrJoin(list, ","), "]]");
}
std::string Rq(const std::string& key) { return absl::StrCat("[\"r\",\"", key, "\",null]"); }
std::string A(const std::string& key, int v) {
  return absl::StrCat("[\"append\",\"", key, "\",", v, "]");
}

CheckResult Check(const History& h) {
  std::istringstream in(h.text());
  auto history = ReadTxnHistory(in);
  EXPECT_TRUE(history.ok()) << history.status();
  if (!history.ok()) return {};
  return CheckListAppend(*history);
}

std::vector<std::string> Names(const CheckResult& r) {
  std::vector<std::string> names;
  for (const Anomaly& a : r.anomalies) names.push_back(a.name);
  return names;
}

TEST(ElleTest, SerialHistoryIsValid) {
  History h;
  h.Txn(0, "ok", {A("x", 1)})
      .Txn(1, "ok", {R("x", {1}), A("y", 1), A("x", 2)})
      .Txn(0, "ok", {R("x", {1, 2}), R("y", {1}), R("z", {})})
      .Txn(2, "fail", {R("x", {}), A("x", 3)});
  const CheckResult r = Check(h);
  EXPECT_THAT(Names(r), IsEmpty()) << Describe(r);
  EXPECT_EQ(r.txns, 3);
}

TEST(ElleTest, ReadsOfOwnAppendsAreValid) {
  History h;
  h.Txn(0, "ok", {A("x", 1), R("x", {1}), A("x", 2), R("x", {1, 2})})
      .Txn(1, "ok", {R("x", {1, 2}), A("x", 3), R("x", {1, 2, 3})});
  EXPECT_THAT(Names(Check(h)), IsEmpty());
}

TEST(ElleTest, ConcurrentTxnsMayCommitInEitherOrder) {
  History h;
  h.Invoke(0, {A("x", 1)}).Invoke(1, {Rq("x")}).Complete(1, "ok", {R("x", {})});
  h.Complete(0, "ok", {A("x", 1)}).Txn(2, "ok", {R("x", {1})});
  EXPECT_THAT(Names(Check(h)), IsEmpty());
}

TEST(ElleTest, InDoubtTxnWhoseAppendIsReadCommitted) {
  History h;
  h.Txn(0, "info", {A("x", 1), A("y", 1)})
      .Txn(1, "ok", {R("x", {1})})
      .Txn(2, "info", {A("x", 2)})  // never read: perhaps never committed
      .Txn(3, "ok", {R("x", {1}), R("y", {1})});
  h.Invoke(4, {A("y", 2)});  // never completed
  const CheckResult r = Check(h);
  EXPECT_THAT(Names(r), IsEmpty()) << Describe(r);
  EXPECT_EQ(r.txns, 3);  // the two ok ones and the in-doubt one that was read
}

TEST(ElleTest, InDoubtTxnIsNoRealTimePredecessor) {
  // T1's append may have committed after T2's read: no anomaly.
  History h;
  h.Txn(0, "info", {A("x", 1)}).Txn(1, "ok", {R("x", {})}).Txn(2, "ok", {R("x", {1})});
  EXPECT_THAT(Names(Check(h)), IsEmpty());
}

TEST(ElleTest, AbortedRead) {
  History h;
  h.Txn(0, "fail", {A("x", 1)}).Txn(1, "ok", {R("x", {1})});
  const CheckResult r = Check(h);
  EXPECT_THAT(Names(r), ElementsAre("G1a"));
  EXPECT_THAT(r.anomalies[0].evidence, HasSubstr("T3 read 1 in x, appended by T1, which failed"));
}

TEST(ElleTest, IntermediateRead) {
  History h;
  h.Txn(0, "ok", {A("x", 1), A("x", 2)}).Txn(1, "ok", {R("x", {1})});
  EXPECT_THAT(Names(Check(h)), testing::Contains("G1b"));
}

TEST(ElleTest, DuplicateElements) {
  History h;
  h.Txn(0, "ok", {A("x", 1)}).Txn(1, "ok", {R("x", {1, 1})});
  EXPECT_THAT(Names(Check(h)), testing::Contains("duplicate-elements"));
}

TEST(ElleTest, UnknownElement) {
  History h;
  h.Txn(0, "ok", {A("x", 1)}).Txn(1, "ok", {R("x", {1, 5})});
  EXPECT_THAT(Names(Check(h)), testing::Contains("unknown-element"));
}

TEST(ElleTest, IncompatibleOrder) {
  History h;
  h.Txn(0, "ok", {A("x", 1)}).Txn(1, "ok", {A("x", 2)});
  h.Txn(2, "ok", {R("x", {1, 2})}).Txn(3, "ok", {R("x", {2})});
  const CheckResult r = Check(h);
  EXPECT_THAT(Names(r), ElementsAre("incompatible-order"));
  EXPECT_THAT(r.anomalies[0].evidence, HasSubstr("T7 read 2 and T5 read 1 2"));
}

TEST(ElleTest, InternalInconsistency) {
  History h;
  h.Txn(0, "ok", {A("x", 1)}).Txn(1, "ok", {A("x", 2), R("x", {1})});
  EXPECT_THAT(Names(Check(h)), ElementsAre("internal"));
}

TEST(ElleTest, WriteCycleIsG0) {
  // T1 and T2 each append to x and y; the reads put T1 first on x, T2 first on y.
  History h;
  h.Invoke(0, {A("x", 1), A("y", 1)}).Invoke(1, {A("x", 2), A("y", 2)});
  h.Complete(0, "ok", {A("x", 1), A("y", 1)}).Complete(1, "ok", {A("x", 2), A("y", 2)});
  h.Txn(2, "ok", {R("x", {1, 2}), R("y", {2, 1})});
  const CheckResult r = Check(h);
  EXPECT_THAT(Names(r), ElementsAre("G0")) << Describe(r);
  EXPECT_THAT(r.anomalies[0].evidence,
              HasSubstr("T1 -ww-> T2: T1 appended 1 to x, then T2 appended 2"));
  EXPECT_THAT(r.anomalies[0].evidence,
              HasSubstr("T2 -ww-> T1: T2 appended 2 to y, then T1 appended 1"));
}

TEST(ElleTest, CircularInformationFlowIsG1c) {
  History h;
  h.Invoke(0, {A("x", 1), Rq("y")}).Invoke(1, {A("y", 1), Rq("x")});
  h.Complete(0, "ok", {A("x", 1), R("y", {1})}).Complete(1, "ok", {A("y", 1), R("x", {1})});
  const CheckResult r = Check(h);
  EXPECT_THAT(Names(r), ElementsAre("G1c")) << Describe(r);
}

TEST(ElleTest, ReadSkewIsGSingle) {
  // T2 saw T1's append to y but not its append to x.
  History h;
  h.Invoke(0, {A("x", 1), A("y", 1)}).Invoke(1, {Rq("x"), Rq("y")});
  h.Complete(0, "ok", {A("x", 1), A("y", 1)}).Complete(1, "ok", {R("x", {}), R("y", {1})});
  h.Txn(2, "ok", {R("x", {1})});
  const CheckResult r = Check(h);
  EXPECT_THAT(Names(r), ElementsAre("G-single")) << Describe(r);
  EXPECT_THAT(r.anomalies[0].evidence,
              HasSubstr("T2 -rw-> T1: T2 read x empty, and T1 appended 1, the next element"));
  EXPECT_THAT(r.anomalies[0].evidence,
              HasSubstr("T1 -wr-> T2: T2 read y ending with 1, which T1 appended"));
}

TEST(ElleTest, WriteSkewIsG2) {
  History h;
  h.Invoke(0, {Rq("x"), A("y", 1)}).Invoke(1, {Rq("y"), A("x", 1)});
  h.Complete(0, "ok", {R("x", {}), A("y", 1)}).Complete(1, "ok", {R("y", {}), A("x", 1)});
  h.Txn(2, "ok", {R("x", {1}), R("y", {1})});
  const CheckResult r = Check(h);
  EXPECT_THAT(Names(r), ElementsAre("G2")) << Describe(r);
}

TEST(ElleTest, StaleReadIsGSingleRealtime) {
  // Serializable (T2 before T1), but T1 completed before T2 began.
  History h;
  h.Txn(0, "ok", {A("x", 1)}).Txn(1, "ok", {R("x", {})}).Txn(2, "ok", {R("x", {1})});
  const CheckResult r = Check(h);
  EXPECT_THAT(Names(r), ElementsAre("G-single-realtime")) << Describe(r);
  EXPECT_THAT(r.anomalies[0].evidence,
              HasSubstr("T1 -rt-> T3: T1 completed (line 2) before T3 was invoked (line 3)"));
}

TEST(ElleTest, LostOrderIsG0Realtime) {
  History h;
  h.Txn(0, "ok", {A("x", 1)}).Txn(1, "ok", {A("x", 2)}).Txn(2, "ok", {R("x", {2, 1})});
  EXPECT_THAT(Names(Check(h)), ElementsAre("G0-realtime"));
}

TEST(ElleTest, RealTimeOrderIsTransitive) {
  // T1 < T2 < T3 in real time, with only T3's stale read against T1: the edge T1 -> T3 is
  // not kept, but the path through T2 is.
  History h;
  h.Txn(0, "ok", {A("x", 1)}).Txn(1, "ok", {A("y", 1)}).Txn(2, "ok", {R("x", {})});
  h.Txn(3, "ok", {R("x", {1})});
  EXPECT_THAT(Names(Check(h)), ElementsAre("G-single-realtime"));
}

TEST(ElleTest, MalformedHistories) {
  auto read = [](const std::string& text) {
    std::istringstream in(text);
    return ReadTxnHistory(in).status();
  };
  EXPECT_THAT(read("{\"process\":0,\"type\":\"invoke\",\"f\":\"read\",\"key\":\"x\"}\n").message(),
              HasSubstr("line 1: unknown f 'read'"));
  History dup;
  dup.Txn(0, "ok", {A("x", 1)}).Txn(1, "ok", {A("x", 1)});
  EXPECT_THAT(read(dup.text()).message(), HasSubstr("line 3: 1 was appended to x already"));
  EXPECT_THAT(
      read("{\"process\":0,\"type\":\"invoke\",\"f\":\"txn\",\"value\":[[\"r\",\"x\",null]]}\n"
           "{\"process\":0,\"type\":\"ok\",\"f\":\"txn\",\"value\":[[\"r\",\"x\",null]]}\n")
          .message(),
      HasSubstr("line 2: an ok txn's read needs the list it saw"));
  EXPECT_THAT(read("{\"process\":0,\"type\":\"ok\",\"f\":\"txn\",\"value\":[[\"r\",\"x\",[]]]}\n")
                  .message(),
              HasSubstr("line 1: process 0 completed a txn it had not invoked"));
}

// A history of `n` txns by 10 processes over a strictly serializable store: each txn takes
// effect at its completion. With `stale`, some reads see a key as it was a while before.
std::string Generated(int n, bool stale) {
  std::mt19937_64 rng(7);
  std::map<std::string, std::vector<int>> store, old;
  std::map<int, std::vector<std::pair<bool, std::string>>> open;  // process -> micro-ops
  std::string text;
  int next = 0, done = 0;
  auto json = [](const std::vector<std::string>& ops) { return absl::StrJoin(ops, ","); };
  while (done < n) {
    const int p = std::uniform_int_distribution<int>(0, 9)(rng);
    if (!open.contains(p)) {
      std::vector<std::string> ops;
      auto& mine = open[p];
      const int size = std::uniform_int_distribution<int>(1, 4)(rng);
      for (int i = 0; i < size; ++i) {
        const std::string key =
            absl::StrCat("k", next / 400, "-", std::uniform_int_distribution<int>(0, 4)(rng));
        const bool append = std::uniform_int_distribution<int>(0, 1)(rng) == 1;
        mine.emplace_back(append, key);
        ops.push_back(append ? A(key, ++next) : Rq(key));
        if (append) mine.back().second += absl::StrCat(" ", next);
      }
      absl::StrAppend(&text, "{\"process\":", p, ",\"type\":\"invoke\",\"f\":\"txn\",\"value\":[",
                      json(ops), "]}\n");
      continue;
    }
    std::vector<std::string> ops;
    for (auto& [append, what] : open[p]) {
      const std::string key = what.substr(0, what.find(' '));
      if (append) {
        const int v = std::stoi(what.substr(what.find(' ') + 1));
        store[key].push_back(v);
        ops.push_back(A(key, v));
      } else {
        const bool use_old =
            stale && old.contains(key) && std::uniform_int_distribution<int>(0, 50)(rng) == 0;
        ops.push_back(R(key, use_old ? old[key] : store[key]));
      }
    }
    if (done % 100 == 0) old = store;
    absl::StrAppend(&text, "{\"process\":", p, ",\"type\":\"ok\",\"f\":\"txn\",\"value\":[",
                    json(ops), "]}\n");
    open.erase(p);
    ++done;
  }
  return text;
}

TEST(ElleTest, GeneratedHistoryOf20kTxns) {
  for (bool stale : {false, true}) {
    std::istringstream in(Generated(20000, stale));
    const absl::Time read_start = absl::Now();
    auto history = ReadTxnHistory(in);
    const absl::Duration read_time = absl::Now() - read_start;
    ASSERT_TRUE(history.ok()) << history.status();
    const absl::Time start = absl::Now();
    const CheckResult r = CheckListAppend(*history);
    std::cout << (stale ? "with stale reads: " : "") << history->txns.size() << " txns, " << r.edges
              << " edges, read in " << absl::FormatDuration(read_time) << ", checked in "
              << absl::FormatDuration(absl::Now() - start) << "\n";
    if (stale) {
      EXPECT_FALSE(r.valid());
    } else {
      EXPECT_TRUE(r.valid()) << Describe(r);
    }
  }
}

}  // namespace
}  // namespace warren::elle
