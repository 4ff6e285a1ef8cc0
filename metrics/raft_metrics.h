#pragma once

#include <string>
#include <vector>

#include "prometheus/collectable.h"
#include "prometheus/counter.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"
#include "raft/server/division.h"
#include "raft/server/group_metrics.h"

namespace warren::metrics {

// One Raft group's events as Prometheus metrics labelled with the group's name: proposals,
// leader changes, log syncs, applies and snapshots (docs/operations.md lists them). Passed to
// the group as GroupOptions::metrics. Counters are atomic; a histogram takes prometheus-cpp's
// short lock of its own.
class RaftEventMetrics : public raft::GroupMetrics {
 public:
  RaftEventMetrics(prometheus::Registry& registry, const std::string& group);

  void Proposed() override { proposals_.Increment(); }
  void ProposalRefused(raft::ProposalRefusal why) override;
  void LeaderChanged() override { leader_changes_.Increment(); }
  void LogSynced(absl::Duration took, size_t entries) override;
  void EntryApplied(absl::Duration took) override;
  void SnapshotTaken(absl::Duration took) override;
  void SnapshotFailed() override { snapshots_failed_.Increment(); }
  void SnapshotInstalled() override { snapshots_installed_.Increment(); }
  void SnapshotSent(bool ok) override { (ok ? snapshots_sent_ : snapshots_not_sent_).Increment(); }

 private:
  prometheus::Counter& proposals_;
  prometheus::Counter& refused_not_leader_;
  prometheus::Counter& refused_too_large_;
  prometheus::Counter& refused_rejected_;
  prometheus::Counter& leader_changes_;
  prometheus::Histogram& sync_seconds_;
  prometheus::Histogram& sync_entries_;
  prometheus::Histogram& apply_seconds_;
  prometheus::Counter& snapshots_taken_;
  prometheus::Counter& snapshots_failed_;
  prometheus::Histogram& snapshot_seconds_;
  prometheus::Counter& snapshots_installed_;
  prometheus::Counter& snapshots_sent_;
  prometheus::Counter& snapshots_not_sent_;
};

// One Raft group's state, read when collected: term, role, leader, the indexes, on the
// leader each peer's match index and lag, how long ago its threads went round their loops,
// and its log and newest snapshot on disk. The state comes from Division::Status, answered by
// the raft thread, which owns it; if that thread does not answer within a second, the role
// says "unresponsive" and the figures it owns are left out.
class RaftStateCollector : public prometheus::Collectable {
 public:
  // `data_dir`: the group's own (GroupOptions::data_dir).
  RaftStateCollector(raft::Division* division, std::string data_dir);
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  raft::Division* const division_;
  const std::string data_dir_;
};

}  // namespace warren::metrics
