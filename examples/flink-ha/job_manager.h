#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "metastore/client/metastore_client.h"
#include "metastore/recipes/leader_election.h"

namespace warren::flink {

// Flink's JobManager high availability on the metastore, in Flink's ZooKeeper layout:
//   /flink/<cluster>/leader/latch/...               the election (recipes::LeaderElection)
//   /flink/<cluster>/leader/connection_info         the leader's address (ephemeral)
//   /flink/<cluster>/checkpoint_id_counter/<job>    the last checkpoint id handed out
//   /flink/<cluster>/checkpoints/<job>/latest       the last completed checkpoint's id
//   /flink/<cluster>/checkpoints/<job>/<id>         each completed checkpoint (19 digits)
//
// The leader triggers checkpoints (counter + 1) and completes them (adds the checkpoint and
// moves `latest`). Each write is a Multi that checks the leader's latch node still exists and
// compares and sets on the version it read, so a leader that lost its session cannot write.
// A new leader resumes from `latest`: it sets the counter back to it, so the checkpoint that
// its predecessor triggered and never completed gets the same id again, and completed ids run
// on without a gap or a repeat.
class JobManager {
 public:
  JobManager(metastore::MetastoreClient& client, std::string cluster, std::string job,
             std::string name, std::string address);

  // Contends; as leader completes checkpoints every `interval` until `last` is complete, then
  // resigns. Returns when `stop`, when the job is complete (OK), or when the session ends.
  absl::Status Run(const std::atomic<bool>& stop, int64_t last, absl::Duration interval);

  std::string CounterPath() const;
  std::string LatestPath() const;
  std::string CheckpointPath(int64_t id) const;

 private:
  // While leading: publish, resume, then checkpoint until done or no longer leader.
  absl::Status Lead(const std::atomic<bool>& stop, int64_t last, absl::Duration interval);
  // A decimal node's value and version (0 and -1 if absent).
  absl::StatusOr<std::pair<int64_t, int32_t>> ReadNumber(const std::string& path);
  // Sets a decimal node at `version` (creates it at -1), fenced by the latch.
  std::vector<metastorepb::Op> FencedSet(const std::string& path, int64_t value, int32_t version);

  metastore::MetastoreClient& client_;
  const std::string root_;  // /flink/<cluster>
  const std::string job_;
  const std::string name_;
  const std::string address_;
  metastore::recipes::LeaderElection election_;
};

}  // namespace warren::flink
