#include "metrics/raft_metrics.h"

#include <algorithm>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "metrics/families.h"

namespace warren::metrics {
namespace {

namespace fs = std::filesystem;
using prometheus::MetricType;

prometheus::Counter& CounterOf(prometheus::Registry& registry, const std::string& name,
                               const std::string& help, const prometheus::Labels& labels) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(registry).Add(labels);
}

prometheus::Histogram& HistogramOf(prometheus::Registry& registry, const std::string& name,
                                   const std::string& help, const prometheus::Labels& labels,
                                   prometheus::Histogram::BucketBoundaries buckets) {
  return prometheus::BuildHistogram().Name(name).Help(help).Register(registry).Add(labels, buckets);
}

// From 100 µs (a sync on a fast NVMe disk) to 10 s (a disk that is failing).
const prometheus::Histogram::BucketBoundaries kSyncSeconds = {
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
    0.05,   0.1,     0.25,   0.5,   1,      2.5,   5,    10};
// Group commit: one sync for every write posted since the last.
const prometheus::Histogram::BucketBoundaries kSyncEntries = {1,   2,   4,   8,    16,   32,  64,
                                                              128, 256, 512, 1024, 2048, 4096};
// A znode command applies in microseconds; a large multi in milliseconds.
const prometheus::Histogram::BucketBoundaries kApplySeconds = {
    0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1, 1};
const prometheus::Histogram::BucketBoundaries kSnapshotSeconds = {0.01, 0.05, 0.1, 0.5, 1,   2.5,
                                                                  5,    10,   30,  60,  120, 300};

// Bytes of the files below `dir` (none if it does not exist).
double BytesUnder(const fs::path& dir) {
  std::error_code ec;
  double bytes = 0;
  for (auto it = fs::recursive_directory_iterator(dir, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    std::error_code size_ec;
    if (it->is_regular_file(size_ec)) {
      const uintmax_t size = it->file_size(size_ec);
      if (!size_ec) bytes += static_cast<double>(size);
    }
  }
  return bytes;
}

// The newest snapshot file: names sort by index (snap-<index>-<term>.snap, zero-padded).
double NewestSnapshotBytes(const fs::path& dir) {
  std::error_code ec;
  fs::path newest;
  for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator();
       it.increment(ec)) {
    if (it->path().extension() == ".snap" && it->path().filename() > newest.filename()) {
      newest = it->path();
    }
  }
  if (newest.empty()) return 0;
  const uintmax_t size = fs::file_size(newest, ec);
  return ec ? 0 : static_cast<double>(size);
}

// "removed": a peer told this member it was removed from the group (removal_notice.h).
constexpr const char* kRoles[] = {"leader", "follower", "candidate", "pre-candidate", "removed"};

}  // namespace

RaftEventMetrics::RaftEventMetrics(prometheus::Registry& registry, const std::string& group)
    : proposals_(CounterOf(registry, "warren_raft_proposals_total",
                           "Client writes this member proposed as leader (appended to its log).",
                           {{"group", group}})),
      refused_not_leader_(CounterOf(registry, "warren_raft_proposals_refused_total",
                                    "Client writes answered without being proposed, by reason.",
                                    {{"group", group}, {"reason", "not_leader"}})),
      refused_too_large_(CounterOf(registry, "warren_raft_proposals_refused_total", "",
                                   {{"group", group}, {"reason", "too_large"}})),
      refused_rejected_(CounterOf(registry, "warren_raft_proposals_refused_total", "",
                                  {{"group", group}, {"reason", "rejected"}})),
      leader_changes_(CounterOf(
          registry, "warren_raft_leader_changes_total",
          "Times this member learned of a new leader (another than it knew, or one after none).",
          {{"group", group}})),
      sync_seconds_(HistogramOf(registry, "warren_raft_fsync_duration_seconds",
                                "Time of one sync (fdatasync) of the Raft log.", {{"group", group}},
                                kSyncSeconds)),
      sync_entries_(HistogramOf(registry, "warren_raft_fsync_entries",
                                "New log entries made durable by one sync (group commit).",
                                {{"group", group}}, kSyncEntries)),
      apply_seconds_(HistogramOf(registry, "warren_raft_apply_duration_seconds",
                                 "Time the state machine took to apply one entry.",
                                 {{"group", group}}, kApplySeconds)),
      snapshots_taken_(CounterOf(registry, "warren_raft_snapshots_taken_total",
                                 "Snapshots of this member's state written, by outcome.",
                                 {{"group", group}, {"outcome", "ok"}})),
      snapshots_failed_(CounterOf(registry, "warren_raft_snapshots_taken_total", "",
                                  {{"group", group}, {"outcome", "failed"}})),
      snapshot_seconds_(
          HistogramOf(registry, "warren_raft_snapshot_duration_seconds",
                      "Time to take a snapshot, from the state machine's checkpoint to the synced "
                      "file.",
                      {{"group", group}}, kSnapshotSeconds)),
      snapshots_installed_(CounterOf(registry, "warren_raft_snapshots_installed_total",
                                     "Snapshots received from the leader that replaced this "
                                     "member's log.",
                                     {{"group", group}})),
      snapshots_sent_(CounterOf(registry, "warren_raft_snapshots_sent_total",
                                "Snapshots sent to followers, by outcome.",
                                {{"group", group}, {"outcome", "ok"}})),
      snapshots_not_sent_(CounterOf(registry, "warren_raft_snapshots_sent_total", "",
                                    {{"group", group}, {"outcome", "failed"}})) {}

void RaftEventMetrics::ProposalRefused(raft::ProposalRefusal why) {
  switch (why) {
    case raft::ProposalRefusal::kNotLeader:
      return refused_not_leader_.Increment();
    case raft::ProposalRefusal::kTooLarge:
      return refused_too_large_.Increment();
    case raft::ProposalRefusal::kRejected:
      return refused_rejected_.Increment();
  }
}

void RaftEventMetrics::LogSynced(absl::Duration took, size_t entries) {
  sync_seconds_.Observe(absl::ToDoubleSeconds(took));
  sync_entries_.Observe(static_cast<double>(entries));
}

void RaftEventMetrics::EntryApplied(absl::Duration took) {
  apply_seconds_.Observe(absl::ToDoubleSeconds(took));
}

void RaftEventMetrics::SnapshotTaken(absl::Duration took) {
  snapshots_taken_.Increment();
  snapshot_seconds_.Observe(absl::ToDoubleSeconds(took));
}

RaftStateCollector::RaftStateCollector(raft::Division* division, std::string data_dir)
    : division_(division), data_dir_(std::move(data_dir)) {}

std::vector<prometheus::MetricFamily> RaftStateCollector::Collect() const {
  const Labels group = {{"group", division_->group()}};
  auto labelled = [&](std::string name, std::string value) {
    Labels l = group;
    l.push_back({std::move(name), std::move(value)});
    return l;
  };
  std::vector<prometheus::MetricFamily> out;
  auto gauge = [&](const char* name, const char* help, double value) {
    out.push_back(Family(name, help, MetricType::Gauge));
    Add(out.back(), value, group);
  };

  const raft::Division::LoopAges ages = division_->SinceLastLoop();
  out.push_back(Family("warren_raft_loop_age_seconds",
                       "How long ago the group's raft and apply threads last went round their "
                       "loops (idle, at least once a tick and once every 100 ms).",
                       MetricType::Gauge));
  Add(out.back(), absl::ToDoubleSeconds(ages.raft), labelled("thread", "raft"));
  Add(out.back(), absl::ToDoubleSeconds(ages.apply), labelled("thread", "apply"));
  gauge("warren_raft_log_bytes",
        "Bytes of the Raft log's files on disk (segments are "
        "preallocated).",
        BytesUnder(fs::path(data_dir_) / "log") + BytesUnder(fs::path(data_dir_) / "log-rocksdb"));
  gauge("warren_raft_snapshot_bytes", "Bytes of the newest snapshot file.",
        NewestSnapshotBytes(fs::path(data_dir_) / "snapshots"));

  const raftpb::GroupStatus st = division_->Status(absl::Seconds(1));
  out.push_back(Family("warren_raft_role",
                       "1 for the role this member has in the group, 0 for the others "
                       "(\"unresponsive\": its raft thread did not answer within a second).",
                       MetricType::Gauge));
  bool known_role = false;
  for (const char* role : kRoles) {
    known_role |= st.role() == role;
    Add(out.back(), st.role() == role ? 1 : 0, labelled("role", role));
  }
  if (!known_role) {
    Add(out.back(), 1, labelled("role", st.role()));
    return out;
  }
  gauge("warren_raft_term", "The member's current Raft term.", st.term());
  gauge("warren_raft_leader_id", "The leader this member knows (0: none).", st.leader());
  gauge("warren_raft_commit_index", "The highest log index this member knows is committed.",
        st.commit());
  gauge("warren_raft_applied_index", "The highest log index applied to the state machine.",
        st.applied());
  gauge("warren_raft_first_log_index",
        "The first index still in the log (older ones are in "
        "the snapshot).",
        st.first_index());
  gauge("warren_raft_last_log_index", "The last index in this member's log.", st.last_index());
  gauge("warren_raft_snapshot_index", "The log index of the newest snapshot.", st.snapshot_index());
  out.push_back(Family("warren_raft_refused_messages_total",
                       "Peer messages refused as malformed or forged since the member started.",
                       MetricType::Counter));
  Add(out.back(), st.refused_messages(), group);

  if (st.role() == "leader") {
    prometheus::MetricFamily match = Family(
        "warren_raft_peer_match_index",
        "On the leader: the highest log index known replicated to each peer.", MetricType::Gauge);
    prometheus::MetricFamily lag =
        Family("warren_raft_peer_lag_entries",
               "On the leader: how many entries each peer is behind the leader's last index.",
               MetricType::Gauge);
    for (const auto& m : st.members()) {
      if (m.id() == st.id()) continue;
      Add(match, m.match(), labelled("peer", absl::StrCat(m.id())));
      Add(lag, st.last_index() > m.match() ? st.last_index() - m.match() : 0,
          labelled("peer", absl::StrCat(m.id())));
    }
    out.push_back(std::move(match));
    out.push_back(std::move(lag));
  }
  return out;
}

}  // namespace warren::metrics
