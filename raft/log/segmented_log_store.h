#pragma once

#include <deque>
#include <memory>
#include <optional>
#include <string>

#include "raft/log/hard_state_file.h"
#include "raft/log/log_store.h"

namespace warren::raft {

struct SegmentedLogOptions {
  // A new segment file starts once the current one would grow past this.
  uint64_t segment_bytes = 64ull << 20;
  // Reserve each segment's blocks up front so that appends do not grow the file.
  bool preallocate = true;
};

// What opening the log found and repaired.
struct LogRecoveryReport {
  int segments = 0;
  uint64_t records = 0;
  // Set when recovery stopped at a torn or corrupt record and cut the log there.
  std::optional<std::string> truncated_at;
  uint64_t bytes_dropped = 0;
};

// The default LogStore: append-only segment files (seg-<seq>.log) of CRC32C-checksummed
// records, plus a two-slot hard-state file. Appends go to the page cache at once; Sync() is
// one fdatasync for everything since the last one (group commit). Opening replays the
// segments and stops at the first torn or corrupt record, cutting the log there, so it never
// returns a corrupt entry. Truncations and purges are records too; whole segments are
// deleted once everything in them is purged.
class SegmentedLogStore : public LogStore {
 public:
  static absl::StatusOr<std::unique_ptr<SegmentedLogStore>> Open(
      const std::string& dir, const SegmentedLogOptions& options = {});
  ~SegmentedLogStore() override;

  absl::Status Append(std::span<const raftpb::Entry> entries) override;
  absl::Status TruncateSuffix(uint64_t index) override;
  absl::Status PurgePrefix(uint64_t index) override;
  absl::StatusOr<std::vector<raftpb::Entry>> Read(uint64_t lo, uint64_t hi) const override;
  absl::StatusOr<uint64_t> Term(uint64_t index) const override;
  uint64_t FirstIndex() const override { return first_; }
  uint64_t LastIndex() const override { return first_ + index_.size() - 1; }
  absl::Status SetHardState(const raftpb::HardState& hs) override;
  raftpb::HardState hard_state() const override;
  absl::Status Sync() override;

  const LogRecoveryReport& recovery() const { return recovery_; }
  int segment_count() const { return static_cast<int>(segments_.size()); }

 private:
  enum RecordType : uint8_t {
    kEntry = 1,     // a serialized raftpb::Entry
    kTruncate = 2,  // u64: entries at this index and above are gone
    kPurge = 3,     // u64: entries below this index are gone
    kBase = 4,      // u64: the next entry of a segment's first record, if nothing precedes it
    kCommit = 5,    // u64: commit index
  };
  struct Segment {
    uint64_t seq = 0;
    std::string path;
    int fd = -1;
    uint64_t end = 0;        // bytes of valid records (header included)
    uint64_t max_index = 0;  // highest entry index written here
    bool dirty = false;      // written since the last fdatasync
  };
  struct Location {
    uint64_t term;
    size_t segment_seq;
    uint64_t offset;  // of the payload
    uint32_t length;
  };

  SegmentedLogStore(std::string dir, SegmentedLogOptions options, HardStateFile hard_state);
  absl::Status Recover();
  // Replays one record; false means it contradicts the log so far (treated as corruption).
  bool Replay(RecordType type, std::string_view payload, Segment& seg, uint64_t offset);
  absl::Status CutAt(size_t segment_pos, uint64_t offset, const std::string& why);
  absl::Status StartSegment();
  // Writes to the active segment (rolling over first if it is full); returns the offset.
  absl::StatusOr<uint64_t> WriteRecords(const std::string& bytes);
  static void EncodeRecord(std::string* out, RecordType type, std::string_view payload);
  static void EncodeU64Record(std::string* out, RecordType type, uint64_t value);
  const Segment* FindSegment(uint64_t seq) const;
  void DropIndexFrom(uint64_t index);
  void DeletePurgedSegments();

  const std::string dir_;
  const SegmentedLogOptions options_;
  HardStateFile hard_state_file_;
  TermVote term_vote_;  // as last set; hard_state_file_ holds what was last synced
  uint64_t commit_ = 0;

  std::deque<Segment> segments_;  // oldest first; the back one is appended to
  uint64_t first_ = 1;
  std::deque<Location> index_;  // index_[k] is the entry at first_ + k
  bool dir_dirty_ = false;
  LogRecoveryReport recovery_;
};

}  // namespace warren::raft
