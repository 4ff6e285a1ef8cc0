#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "proto/raft_service.pb.h"
#include "statemachine/state_machine.h"

namespace warren::raft {

// A snapshot file on disk and what its header says.
struct SnapshotInfo {
  std::string path;
  raftpb::SnapshotHeader header;
  uint64_t index() const { return header.metadata().index(); }
};

// The snapshot files of one group. A file is: magic, the length-prefixed SnapshotHeader, the
// state machine's bytes, and a CRC32C of all of it. Files are written to a temporary name,
// fsynced and renamed, so a visible snapshot is always whole; a received snapshot is the same
// bytes, verified before it is installed. Safe to use from several threads.
class SnapshotStore {
 public:
  // `unsafe_skip_checksums` is BROKEN ON PURPOSE, for fault tests only: Latest() takes the
  // newest file without checking its checksum.
  static absl::StatusOr<std::unique_ptr<SnapshotStore>> Open(const std::string& dir,
                                                             bool unsafe_skip_checksums = false);

  // The newest snapshot, if any, verified end to end. DataLoss if it is damaged: a file in
  // place was whole when it was renamed there (written or received, then verified), so the
  // damage came later, at rest, and an older snapshot may lack entries the log no longer has.
  absl::StatusOr<std::optional<SnapshotInfo>> Latest() const;
  // Writes a snapshot: the header, then whatever `write_data` writes. Durable on return.
  absl::StatusOr<SnapshotInfo> Write(const raftpb::SnapshotHeader& header,
                                     const StateMachine::SnapshotFn& write_data);
  // A fresh path to receive a snapshot from the leader into.
  std::string NewIncomingPath();
  // Verifies a received file and moves it into place.
  absl::StatusOr<SnapshotInfo> Install(const std::string& incoming_path);
  // Reads a snapshot's state-machine bytes (from any verified file, not only this store's).
  static absl::StatusOr<std::unique_ptr<SnapshotReader>> OpenData(const SnapshotInfo& info);
  // The newest snapshot file's path, unverified (a backup's reader verifies it); nullopt if
  // there is none.
  std::optional<std::string> NewestPath() const;
  // Deletes all but the newest `keep` snapshots.
  void Prune(int keep);

  // Checks a snapshot file end to end and returns its header.
  static absl::StatusOr<SnapshotInfo> Verify(const std::string& path, bool check_checksum = true);
  // Paths of the snapshot files in `dir`, newest first (none if there is no such directory);
  // reads only, for an offline check.
  static std::vector<std::string> ListNewestFirst(const std::string& dir);

 private:
  SnapshotStore(std::string dir, bool unsafe_skip_checksums)
      : dir_(std::move(dir)), unsafe_skip_checksums_(unsafe_skip_checksums) {}
  std::string FinalPath(const raftpb::SnapshotMetadata& meta) const;
  std::vector<std::string> ListNewestFirst() const { return ListNewestFirst(dir_); }

  const std::string dir_;
  const bool unsafe_skip_checksums_;
  std::atomic<uint64_t> next_temp_{0};
};

}  // namespace warren::raft
