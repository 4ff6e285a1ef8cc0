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
  // Append refuses a larger entry (serialized); at most kMaxEntryBytes. For tests.
  size_t max_entry_bytes = kMaxEntryBytes;
  // BROKEN ON PURPOSE, for fault tests only (warrend --unsafe-skip-checksums): records are
  // taken as they read, damaged or not.
  bool unsafe_skip_checksums = false;
};

// What opening the log found and repaired.
struct LogRecoveryReport {
  int segments = 0;
  uint64_t records = 0;
  // Set when the last segment ended in a torn write, which recovery cut off: the segment, the
  // byte the cut is at and what was wrong there.
  std::optional<std::string> truncated_at;
  // What the torn part held, up to its last nonzero byte (preallocated zeros do not count).
  uint64_t bytes_dropped = 0;
};

// The default LogStore: append-only segment files (seg-<seq>.log) of CRC32C-checksummed
// records, plus a two-slot hard-state file. Appends go to the page cache at once; Sync() is
// one fdatasync for everything since the last one (group commit). Truncations and purges are
// records too; whole segments are deleted once everything in them is purged.
//
// Opening replays the segments. A torn tail — a write a crash interrupted, at the end of the
// last segment, with no valid record after it — is cut off. Any other damage (a bad record or
// segment header followed by valid records or later segments, a whole record whose checksum
// fails, a record that contradicts the log) makes Open fail with DataLoss naming the segment
// and byte, changing nothing: cutting there could drop entries this member acknowledged.
// A segment is synced before the next one is started, so only the last can end torn.
class SegmentedLogStore : public LogStore {
 public:
  static absl::StatusOr<std::unique_ptr<SegmentedLogStore>> Open(
      const std::string& dir, const SegmentedLogOptions& options = {});
  // What Open would find, changing nothing on disk (warren check): the same replay and the
  // same verdicts, but a torn tail is only reported, in `recovery.truncated_at`.
  struct CheckResult {
    LogRecoveryReport recovery;
    uint64_t first_index = 0;
    uint64_t last_index = 0;
    raftpb::HardState hard_state;
  };
  static absl::StatusOr<CheckResult> Check(const std::string& dir,
                                           const SegmentedLogOptions& options = {});
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

  // Where replaying a segment stopped short of its end.
  struct Damage {
    uint64_t offset;     // of the bad record, or 0 for a bad segment header
    uint64_t end;        // where the bad record ends by its length field (maybe past the file)
    std::string what;    // what is wrong there
    bool whole = false;  // the record is intact (its checksum matches) yet cannot be replayed
  };

  SegmentedLogStore(std::string dir, SegmentedLogOptions options, HardStateFile hard_state,
                    bool check_only);
  absl::Status Recover();
  // Replays a segment's records; returns where it is damaged, if it is.
  std::optional<Damage> ReplaySegment(Segment& seg, std::string_view data);
  // Replays one record; false means it contradicts the log so far (treated as corruption).
  bool Replay(uint8_t type, std::string_view payload, Segment& seg, uint64_t offset);
  // OK if `damage` is a torn tail that may be cut; DataLoss saying why not otherwise.
  absl::Status CheckTornTail(const Segment& seg, std::string_view data, const Damage& damage,
                             size_t later_segments) const;
  // Records the torn tail of the last segment in recovery_.
  void NoteTornTail(std::string_view data, const Damage& damage);
  // Cuts the last segment at the torn tail and zeroes what follows.
  absl::Status CutTornTail(std::string_view data, const Damage& damage);
  absl::Status StartSegment();
  // Writes to the active segment (rolling over first if it is full); returns the offset.
  absl::StatusOr<uint64_t> WriteRecords(const std::string& bytes);
  // fdatasyncs every segment written since the last time, and the directory if it changed.
  absl::Status SyncSegments();
  const Segment* FindSegment(uint64_t seq) const;
  void DropIndexFrom(uint64_t index);
  void DeletePurgedSegments();

  const std::string dir_;
  const SegmentedLogOptions options_;
  const bool check_only_;  // Check(): files opened read-only, nothing written
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
