#pragma once

#include <memory>
#include <string>

#include "raft/log/log_store.h"

namespace rocksdb {
class DB;
}

namespace warren::raft {

// A LogStore on RocksDB: one key per entry (big-endian index, so the log is one ordered
// range), plus keys for the first index and the hard state. Writes go to RocksDB's WAL
// without sync; Sync() is one SyncWAL for all of them. For users who already run RocksDB
// and want one storage engine to tune. Opening tolerates only a torn record at the end of
// the WAL; other corruption makes Open fail with DataLoss.
class RocksDbLogStore : public LogStore {
 public:
  static absl::StatusOr<std::unique_ptr<RocksDbLogStore>> Open(const std::string& dir);
  ~RocksDbLogStore() override;

  absl::Status Append(std::span<const raftpb::Entry> entries) override;
  absl::Status TruncateSuffix(uint64_t index) override;
  absl::Status PurgePrefix(uint64_t index) override;
  absl::StatusOr<std::vector<raftpb::Entry>> Read(uint64_t lo, uint64_t hi) const override;
  absl::StatusOr<uint64_t> Term(uint64_t index) const override;
  uint64_t FirstIndex() const override { return first_; }
  uint64_t LastIndex() const override { return last_; }
  absl::Status SetHardState(const raftpb::HardState& hs) override;
  raftpb::HardState hard_state() const override { return hard_state_; }
  absl::Status Sync() override;

 private:
  explicit RocksDbLogStore(std::unique_ptr<rocksdb::DB> db);
  absl::Status Load();

  std::unique_ptr<rocksdb::DB> db_;
  uint64_t first_ = 1;
  uint64_t last_ = 0;
  raftpb::HardState hard_state_;
};

}  // namespace warren::raft
