#include <sstream>

#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "jepsen/lincheck/history.h"
#include "jepsen/lincheck/register_checker.h"
#include "tests/jepsen/random_history.h"

namespace warren::lincheck {
namespace {

absl::StatusOr<History> Parse(const std::string& text) {
  std::istringstream in(text);
  return ReadHistory(in);
}

CheckResult Check(const std::string& text) {
  auto h = Parse(text);
  EXPECT_TRUE(h.ok()) << h.status();
  if (!h.ok()) return {};
  return CheckRegisters(*h, absl::Now() + absl::Seconds(60));
}

// Events written compactly: "P type f value" per line, all on key x.
std::string Compact(const std::vector<std::string>& lines) {
  std::string out;
  for (const std::string& l : lines) {
    std::istringstream in(l);
    std::string process, type, f, value;
    in >> process >> type >> f >> value;
    out += "{\"process\":" + process + ",\"type\":\"" + type + "\",\"f\":\"" + f +
           "\",\"key\":\"x\"" + (value.empty() ? "" : ",\"value\":" + value) + "}\n";
  }
  return out;
}

struct Case {
  const char* name;
  std::vector<std::string> events;
  Verdict verdict;
};

// Small histories from the literature (Herlihy & Wing; Jepsen's and Porcupine's register
// examples), each with its verdict.
const Case kCases[] = {
    {"sequential write then read",
     {"0 invoke write 1", "0 ok write 1", "1 invoke read", "1 ok read 1"},
     Verdict::kLinearizable},
    {"read of a never-written register sees nothing",
     {"0 invoke read", "0 ok read null"},
     Verdict::kLinearizable},
    {"read overlapping a write may see the old value",
     {"0 invoke write 1", "0 ok write 1", "0 invoke write 2", "1 invoke read", "1 ok read 1",
      "0 ok write 2"},
     Verdict::kLinearizable},
    {"read overlapping a write may see the new value",
     {"0 invoke write 1", "0 ok write 1", "0 invoke write 2", "1 invoke read", "1 ok read 2",
      "0 ok write 2"},
     Verdict::kLinearizable},
    {"new-old inversion: a read after a read that saw the write must see it too",
     {"0 invoke write 1", "1 invoke read", "1 ok read 1", "2 invoke read", "2 ok read null",
      "0 ok write 1"},
     Verdict::kNotLinearizable},
    {"stale read after a completed write",
     {"0 invoke write 1", "0 ok write 1", "0 invoke write 2", "0 ok write 2", "1 invoke read",
      "1 ok read 1"},
     Verdict::kNotLinearizable},
    {"a read of a value never written",
     {"0 invoke write 1", "0 ok write 1", "1 invoke read", "1 ok read 3"},
     Verdict::kNotLinearizable},
    {"two concurrent writes may land in either order",
     {"0 invoke write 1", "1 invoke write 2", "0 ok write 1", "1 ok write 2", "2 invoke read",
      "2 ok read 1"},
     Verdict::kLinearizable},
    {"two reads after concurrent writes cannot disagree",
     {"0 invoke write 1", "1 invoke write 2", "0 ok write 1", "1 ok write 2", "2 invoke read",
      "2 ok read 1", "3 invoke read", "3 ok read 2"},
     Verdict::kNotLinearizable},
    {"two cas from the same value cannot both succeed",
     {"0 invoke write 0", "0 ok write 0", "1 invoke cas [0,1]", "2 invoke cas [0,2]",
      "1 ok cas [0,1]", "2 ok cas [0,2]"},
     Verdict::kNotLinearizable},
    {"cas then cas from its result",
     {"0 invoke write 0", "0 ok write 0", "1 invoke cas [0,1]", "2 invoke cas [1,2]",
      "1 ok cas [0,1]", "2 ok cas [1,2]", "3 invoke read", "3 ok read 2"},
     Verdict::kLinearizable},
    {"a failed cas did not happen",
     {"0 invoke write 0", "0 ok write 0", "1 invoke cas [5,1]", "1 fail cas [5,1]", "2 invoke read",
      "2 ok read 0"},
     Verdict::kLinearizable},
    {"an unknown write may take effect long after it was reported",
     {"0 invoke write 1", "0 info write 1", "1 invoke read", "1 ok read null", "1 invoke read",
      "1 ok read 1"},
     Verdict::kLinearizable},
    {"an unknown write may never take effect",
     {"0 invoke write 1", "0 info write 1", "1 invoke read", "1 ok read null"},
     Verdict::kLinearizable},
    {"an unknown write takes effect once: it cannot be undone",
     {"0 invoke write 1", "0 info write 1", "1 invoke read", "1 ok read 1", "1 invoke read",
      "1 ok read null"},
     Verdict::kNotLinearizable},
    {"an unknown write cannot take effect before it was invoked",
     {"1 invoke read", "1 ok read 1", "0 invoke write 1", "0 info write 1"},
     Verdict::kNotLinearizable},
    {"an operation never completed is unknown",
     {"0 invoke write 1", "1 invoke read", "1 ok read 1"},
     Verdict::kLinearizable},
};

TEST(Lincheck, HistoriesFromTheLiterature) {
  for (const Case& c : kCases) {
    EXPECT_EQ(Check(Compact(c.events)).verdict, c.verdict) << c.name;
  }
}

TEST(Lincheck, KeysAreIndependent) {
  // Each key alone is fine; only per-key order matters.
  const std::string h =
      R"({"process":0,"type":"invoke","f":"write","key":"a","value":1}
{"process":0,"type":"ok","f":"write","key":"a","value":1}
{"process":1,"type":"invoke","f":"read","key":"b"}
{"process":1,"type":"ok","f":"read","key":"b","value":null}
{"process":1,"type":"invoke","f":"read","key":"a"}
{"process":1,"type":"ok","f":"read","key":"a","value":1}
)";
  EXPECT_EQ(Check(h).verdict, Verdict::kLinearizable);
}

TEST(Lincheck, MalformedHistoriesAreRejectedNamingTheLine) {
  struct Bad {
    std::string text;
    std::string message;
  };
  const Bad bad[] = {
      {"{\"process\":0,\"type\":\"invoke\",\"f\":\"read\"\n", "line 1: not a history event"},
      {"{\"process\":0,\"type\":\"invoke\",\"f\":\"delete\",\"key\":\"x\"}\n",
       "unknown f 'delete'"},
      {"{\"process\":0,\"type\":\"begin\",\"f\":\"read\",\"key\":\"x\"}\n", "unknown type 'begin'"},
      {"{\"process\":0,\"type\":\"ok\",\"f\":\"read\",\"key\":\"x\",\"value\":1}\n",
       "line 1: process 0 completed an operation it had not invoked"},
      {Compact({"0 invoke read", "0 invoke read"}), "line 2: process 0 invoked again"},
      {Compact({"0 invoke write 1", "0 ok read 1"}), "line 2: the completion does not match"},
      {Compact({"0 invoke write 1.5"}), "1.5 is not an integer"},
      {Compact({"0 invoke cas [1]"}), "cas value must be [expected, new]"},
      {Compact({"0 invoke read", "0 ok read"}), "an ok read needs the value it saw"},
  };
  for (const Bad& b : bad) {
    auto h = Parse(b.text);
    ASSERT_FALSE(h.ok()) << b.text;
    EXPECT_NE(h.status().message().find(b.message), std::string::npos) << h.status();
  }
}

TEST(Lincheck, GeneratedHistoriesAreLinearizable) {
  for (uint64_t seed = 1; seed <= 60; ++seed) {
    GeneratorOptions o;
    o.seed = seed;
    o.keys = 3;
    o.ops = 400;
    o.info_rate = seed % 2 == 0 ? 0.05 : 0;
    const auto events = LinearizableHistory(o);
    EXPECT_EQ(Check(ToJsonLines(events)).verdict, Verdict::kLinearizable) << "seed " << seed;
  }
}

TEST(Lincheck, MutatedHistoriesAreRejectedAtTheMutation) {
  int stale = 0;
  for (uint64_t seed = 1; seed <= 60; ++seed) {
    GeneratorOptions o;
    o.seed = seed;
    o.keys = 3;
    o.ops = 400;
    o.info_rate = 0.03;
    for (int mutation = 0; mutation < 2; ++mutation) {
      auto events = LinearizableHistory(o);
      const auto changed =
          mutation == 0 ? ReadNeverWrittenValue(events, seed) : ReadStaleValue(events, seed);
      if (!changed.has_value()) continue;
      stale += mutation;
      const CheckResult r = Check(ToJsonLines(events));
      ASSERT_EQ(r.verdict, Verdict::kNotLinearizable)
          << "seed " << seed << " mutation " << mutation << " at line " << *changed + 1;
      EXPECT_EQ(r.key, events[*changed].key);
      EXPECT_NE(std::find(r.events.begin(), r.events.end(), *changed), r.events.end())
          << "seed " << seed << ": the stretch reported, lines " << absl::StrJoin(r.events, ",")
          << ", misses the mutated line " << *changed;
    }
  }
  EXPECT_GT(stale, 50) << "too few histories had a place for a stale read";
}

TEST(Lincheck, TheStretchReportedIsShort) {
  // A long sequential run of writes and reads, then a new-old inversion: the report shows the
  // few events of the inversion, not the whole history.
  std::vector<std::string> lines;
  for (int i = 1; i <= 500; ++i) {
    lines.push_back("0 invoke write " + std::to_string(i));
    lines.push_back("0 ok write " + std::to_string(i));
    lines.push_back("1 invoke read");
    lines.push_back("1 ok read " + std::to_string(i));
  }
  for (const char* l : {"0 invoke write 1000", "1 invoke read", "1 ok read 1000", "2 invoke read",
                        "2 ok read 500", "0 ok write 1000"}) {
    lines.push_back(l);
  }
  const CheckResult r = Check(Compact(lines));
  ASSERT_EQ(r.verdict, Verdict::kNotLinearizable);
  EXPECT_LE(r.events.size(), 7u) << absl::StrJoin(r.events, ",");
  EXPECT_NE(std::find(r.events.begin(), r.events.end(), 2004u), r.events.end());  // read 500
}

TEST(Lincheck, OneHundredThousandOperationsOverOneHundredKeys) {
  GeneratorOptions o;
  o.seed = 7;
  o.processes = 20;
  o.keys = 100;
  o.ops = 100000;
  o.info_rate = 0.01;
  auto events = LinearizableHistory(o);
  EXPECT_EQ(Check(ToJsonLines(events)).verdict, Verdict::kLinearizable);
  ASSERT_TRUE(ReadStaleValue(events, 7).has_value());
  EXPECT_EQ(Check(ToJsonLines(events)).verdict, Verdict::kNotLinearizable);
}

TEST(Lincheck, GivesUpAtTheDeadline) {
  GeneratorOptions o;
  o.ops = 20000;
  o.processes = 30;
  o.info_rate = 0.2;
  auto h = Parse(ToJsonLines(LinearizableHistory(o)));
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(CheckRegisters(*h, absl::Now() - absl::Seconds(1)).verdict, Verdict::kUnknown);
}

}  // namespace
}  // namespace warren::lincheck
