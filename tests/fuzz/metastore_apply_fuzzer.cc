// libFuzzer target for the metastore's state machine: log entries as ZNodeTree::Apply takes
// them (serialized metastorepb::Command, or any bytes), applied in order to two fresh trees.
// Input: records (records.h); ctl & 3 == 3 persists both trees with the body as a runtime
// record, any other ctl applies the body as the next entry. Aborts if anything crashes, if
// the two trees answer or end differently (apply must be deterministic), if a command that
// failed changed the tree, if a runtime record does not read back, or if the tree's own
// invariants break (tests/metastore/tree_invariants.h).
#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "tests/fuzz/harness.h"
#include "tests/fuzz/records.h"
#include "tests/fuzz/temp_dir.h"
#include "tests/metastore/tree_invariants.h"

namespace warren::fuzz {
namespace {

constexpr size_t kMaxInputBytes = 1 << 16;
constexpr size_t kMaxRecords = 64;
constexpr uint8_t kPersist = 3;

[[noreturn]] void Violation(const std::string& what) {
  warren::fuzz::Violation("metastore_apply_fuzzer", what);
}

metastorepb::CommandReply ApplyNext(metastore::ZNodeTree& tree, const std::string& entry,
                                    std::string* raw) {
  const uint64_t index = tree.LastApplied() + 1;
  auto out = tree.Apply(index, entry);
  if (!out.ok()) Violation(absl::StrCat("Apply failed: ", out.status().ToString()));
  if (tree.LastApplied() != index) Violation("LastApplied is not the entry just applied");
  metastorepb::CommandReply reply;
  if (!reply.ParseFromString(*out)) Violation("an unreadable reply");
  *raw = std::move(*out);
  return reply;
}

void Persist(metastore::ZNodeTree& tree, const std::string& record) {
  if (auto s = tree.Persist(tree.LastApplied(), {{"fuzz", record}}); !s.ok()) {
    Violation(absl::StrCat("Persist failed: ", s.ToString()));
  }
  auto records = tree.LoadRuntimeRecords();
  if (!records.ok() || records->count("fuzz") == 0 || records->at("fuzz") != record) {
    Violation("a runtime record does not read back");
  }
}

void Run(const std::vector<Record>& records) {
  TempTree a, b;
  for (const Record& r : records) {
    if ((r.ctl & 3) == kPersist) {
      Persist(a.tree(), r.body);
      Persist(b.tree(), r.body);
      continue;
    }
    const std::string before = metastore::DumpTree(a.tree());
    std::string reply_a, reply_b;
    const metastorepb::CommandReply reply = ApplyNext(a.tree(), r.body, &reply_a);
    ApplyNext(b.tree(), r.body, &reply_b);
    if (reply_a != reply_b) Violation("two trees answered the same entry differently");
    if (reply.error() != metastorepb::OK && metastore::DumpTree(a.tree()) != before) {
      Violation(absl::StrCat("a command that failed changed the tree: ", reply.ShortDebugString()));
    }
  }
  if (auto s = metastore::CheckTreeInvariants(a.tree()); !s.ok()) Violation(s.ToString());
  if (metastore::DumpTree(a.tree()) != metastore::DumpTree(b.tree())) {
    Violation("two trees applied the same entries and differ");
  }
}

}  // namespace
}  // namespace warren::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace warren::fuzz;
  if (size > kMaxInputBytes) return 0;
  Run(ParseRecords(data, size, kMaxRecords));
  return 0;
}
