// ZooKeeper's quotas, kept by the tree as it applies (metastore/quota.h). Every member applies
// the same writes to the same stats nodes, so the counts and the hard-limit refusals are the
// same everywhere; they are nodes of the tree, so they are persisted, snapshotted and restored
// with it, and a restart rebuilds the set of quota'd subtrees as it indexes the nodes it loads.
#include <cstdint>

#include "absl/strings/str_cat.h"
#include "glog/logging.h"
#include "metastore/errors.h"
#include "metastore/path.h"
#include "metastore/quota.h"
#include "metastore/znode_tree.h"

namespace warren::metastore {
namespace {

// One limit of a quota against what a change would make of the usage: true if past it.
bool Past(int64_t limit, int64_t now) { return limit >= 0 && now > limit; }

// A stats node holds whatever a client last wrote there: adding to it must not overflow.
int64_t Plus(int64_t usage, int64_t change) {
  int64_t sum;
  if (!__builtin_add_overflow(usage, change, &sum)) return sum;
  return change > 0 ? INT64_MAX : INT64_MIN;
}

}  // namespace

std::optional<std::string_view> ZNodeTree::QuotaSubjectOf(std::string_view path) const {
  if (quota_subjects_.empty() || IsSystemPath(path)) return std::nullopt;
  for (std::string_view p = path; p.size() > 1; p = ParentOf(p)) {
    if (auto it = quota_subjects_.find(p); it != quota_subjects_.end()) return *it;
  }
  return std::nullopt;
}

absl::Status ZNodeTree::ChargeQuota(Txn& txn, std::string_view path, int64_t count, int64_t bytes) {
  auto subject = QuotaSubjectOf(path);
  if (!subject.has_value() || (count == 0 && bytes == 0)) return absl::OkStatus();
  const std::string stats_path = QuotaStatsPath(*subject);
  const Node* stats_node = Find(stats_path);
  if (stats_node == nullptr) return absl::OkStatus();  // counted once it is made (RecountQuota)
  const std::string limits_path = QuotaLimitsPath(*subject);
  const Node* limits_node = Find(limits_path);  // there: it made `subject` a quota's
  const QuotaFields limits = QuotaFields::Parse(limits_node != nullptr ? limits_node->data : "");
  QuotaFields stats = QuotaFields::Parse(stats_node->data);
  struct Dimension {
    const char* name;
    int64_t change, now, hard, soft;
  };
  const Dimension dimensions[] = {
      {"count", count, Plus(stats.count(), count), limits.count_hard_limit(), limits.count()},
      {"bytes", bytes, Plus(stats.bytes(), bytes), limits.byte_hard_limit(), limits.bytes()}};
  for (const Dimension& d : dimensions) {
    if (d.change <= 0) continue;  // shrinking is always allowed, even past a limit
    if (Past(d.hard, d.now)) {
      return MetaError(
          metastorepb::QUOTA_EXCEEDED,
          absl::StrCat(std::string(path), " (", d.name, " of ", std::string(*subject), " would be ",
                       d.now, "; its hard limit is ", d.hard, ", in ", limits_path, ")"));
    }
    if (Past(d.soft, d.now)) {
      LOG_EVERY_T(WARNING, 10.0) << "Quota exceeded: " << *subject << " [" << d.name << " " << d.now
                                 << ", soft limit " << d.soft << "] by a write of " << path;
    }
  }
  stats.set_count(dimensions[0].now);
  stats.set_bytes(dimensions[1].now);
  WriteQuotaStats(txn, stats_path, stats);
  return absl::OkStatus();
}

void ZNodeTree::RecountQuota(Txn& txn, std::string_view subject) {
  const std::string stats_path = QuotaStatsPath(subject);
  const Node* stats_node = Find(stats_path);
  if (Find(QuotaLimitsPath(subject)) == nullptr || stats_node == nullptr) return;
  int64_t count = 0;
  int64_t bytes = 0;
  if (Find(subject) != nullptr) {
    // Iterative, to stay off the stack however deep the subtree. Every node below counts, a
    // deeper quota's too, as ZooKeeper counts them here (later changes count in the deepest).
    std::vector<std::string> stack = {std::string(subject)};
    while (!stack.empty()) {
      std::string p = std::move(stack.back());
      stack.pop_back();
      const Node* node = Find(p);
      ++count;
      bytes += static_cast<int64_t>(node->data.size());
      for (const auto& child : node->children) stack.push_back(ChildPath(p, child));
    }
  }
  QuotaFields stats = QuotaFields::Parse(stats_node->data);
  stats.set_count(count);
  stats.set_bytes(bytes);
  WriteQuotaStats(txn, stats_path, stats);
}

// As ZooKeeper rewrites a stats node: its data (and so its length) alone, no version, zxid or
// watch event.
void ZNodeTree::WriteQuotaStats(Txn& txn, const std::string& stats_path, const QuotaFields& stats) {
  Node* node = Find(stats_path);
  SaveStat(txn, stats_path);
  txn.undo.push_back(Undo{Undo::kData, stats_path, {}});
  txn.undo.back().node.data = ReplaceData(*node, stats.Format());
  node->stat.set_data_length(static_cast<int32_t>(node->data.size()));
}

}  // namespace warren::metastore
