#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "raft/core/config.h"
#include "raft/log/log_store.h"
#include "raft/server/group_metrics.h"
#include "raft/transport/message_limits.h"

namespace warren::raft {

// Every entry a member may propose or accept from a peer must also fit its log store, with
// room for the entry's own fields, and every log entry must fit a message.
static_assert(kMaxEntryDataBytes + 64 <= kMaxEntryBytes);
static_assert(kMaxEntryBytes + 1024 <= kMaxMessageBytes);

enum class LogKind { kSegmented, kRocksDb, kMemory };

// Everything that defines one Raft group hosted by a RaftServer.
struct GroupOptions {
  std::string group = "default";
  // This server's member id; the same in every group it hosts.
  uint64_t id = 0;
  // Founding voters and where to reach them. A member whose data directory is new starts the
  // group with them as its first configuration, unless `join` is set.
  std::map<uint64_t, std::string> members;
  // Start empty and wait to be added by the leader (add learner, then promote).
  bool join = false;
  // This group's own directory: IDENTITY, log/, snapshots/.
  std::string data_dir;
  LogKind log = LogKind::kSegmented;
  // A new log segment starts once the current one would grow past this (LogKind::kSegmented).
  uint64_t log_segment_bytes = 64ull << 20;
  // BROKEN ON PURPOSE, for fault tests only: log records and snapshot files are not checked
  // against their checksums, so that damage at rest goes unnoticed (kSegmented).
  bool unsafe_skip_checksums = false;
  // A log store of the caller's own, made for this group's data directory; when set, `log`
  // is ignored. (Tests use it to inject faults, such as a sync that stalls.)
  std::function<absl::StatusOr<std::unique_ptr<LogStore>>(const std::string& data_dir)> make_log;
  // Raft tunables in ticks; id and random_seed are filled in by the server.
  // (Config::campaign_early_at_start stays off here until the multi-process tests that
  // expect every member up by the first election wait for what they assert.)
  Config raft;
  // How long one tick is. Election timeout = raft.election_tick ticks.
  absl::Duration tick = absl::Milliseconds(100);

  // Take a snapshot after this many entries were applied since the last one.
  uint64_t snapshot_entries = 10000;
  // Entries kept in the log behind a snapshot, for followers that are only a little behind.
  uint64_t log_retention_entries = 1000;
  // The largest command (a write's payload) the group takes; a bigger one is refused with
  // InvalidArgument before anything is appended. A log entry is a command plus at most
  // kEntryOverheadBytes. At most kMaxCommandBytesCeiling (64 MiB): what every member's port
  // accepts, whatever its own options, since a Raft message carries at least one entry.
  size_t max_command_bytes = size_t{4} << 20;
  // How long the server waits for a write to commit or a read to be served.
  absl::Duration request_timeout = absl::Seconds(10);
  // A learner is promoted only when it is within this many entries of the commit index.
  uint64_t max_promote_lag = 1000;
  // Exactly-once bookkeeping: forget clients idle this long, and keep at most this many.
  absl::Duration dedup_ttl = absl::Minutes(10);
  size_t dedup_max_clients = 100000;
  // Where the group reports proposals, syncs, applies, snapshots and leader changes; none
  // if unset, and then nothing is measured.
  std::shared_ptr<GroupMetrics> metrics;
};

}  // namespace warren::raft
