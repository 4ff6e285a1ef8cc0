#include "raft/log/segmented_log_store.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "glog/logging.h"
#include "raft/log/file_util.h"
#include "raft/log/reseed.h"
#include "raft/log/segment_format.h"

namespace warren::raft {
namespace {

namespace fs = std::filesystem;
// The on-disk format.
using segment::DataBytes;
using segment::EncodeHeader;
using segment::EncodeRecord;
using segment::EncodeU64Record;
using segment::FindRecord;
using segment::Frame;
using segment::HeaderValid;
using segment::kBase;
using segment::kCommit;
using segment::kEntry;
using segment::kHeaderBytes;
using segment::kPurge;
using segment::kRecordHeaderBytes;
using segment::kTruncate;
using segment::LooksTorn;
using segment::ReadFrame;

std::string SegmentName(uint64_t seq) { return absl::StrFormat("seg-%020u.log", seq); }

std::optional<uint64_t> ParseSegmentName(const std::string& name) {
  uint64_t seq = 0;
  if (name.size() != 28 || name.rfind("seg-", 0) != 0 || name.substr(24) != ".log") {
    return std::nullopt;
  }
  for (char c : name.substr(4, 20)) {
    if (c < '0' || c > '9') return std::nullopt;
    seq = seq * 10 + (c - '0');
  }
  return seq;
}

}  // namespace

SegmentedLogStore::SegmentedLogStore(std::string dir, SegmentedLogOptions options,
                                     HardStateFile hard_state, bool check_only)
    : dir_(std::move(dir)),
      options_(options),
      check_only_(check_only),
      hard_state_file_(std::move(hard_state)),
      term_vote_(hard_state_file_.value()) {}

SegmentedLogStore::~SegmentedLogStore() {
  for (auto& seg : segments_) {
    if (seg.fd >= 0) ::close(seg.fd);
  }
}

absl::StatusOr<std::unique_ptr<SegmentedLogStore>> SegmentedLogStore::Open(
    const std::string& dir, const SegmentedLogOptions& options) {
  if (options.max_entry_bytes == 0 || options.max_entry_bytes > kMaxEntryBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "max_entry_bytes must be in [1, ", kMaxEntryBytes, "], not ", options.max_entry_bytes));
  }
  if (auto s = CreateDirDurably(dir); !s.ok()) return s;
  auto hs = HardStateFile::Open((fs::path(dir) / "hardstate").string());
  if (!hs.ok()) return hs.status();
  std::unique_ptr<SegmentedLogStore> store(
      new SegmentedLogStore(dir, options, std::move(*hs), /*check_only=*/false));
  if (auto s = store->Recover(); !s.ok()) return s;
  return store;
}

absl::StatusOr<SegmentedLogStore::CheckResult> SegmentedLogStore::Check(
    const std::string& dir, const SegmentedLogOptions& options) {
  if (!fs::is_directory(dir)) return absl::NotFoundError(absl::StrCat("no log directory ", dir));
  auto hs = HardStateFile::Open((fs::path(dir) / "hardstate").string(), /*read_only=*/true);
  if (!hs.ok()) return hs.status();
  SegmentedLogStore store(dir, options, std::move(*hs), /*check_only=*/true);
  if (auto s = store.Recover(); !s.ok()) return s;
  return CheckResult{store.recovery_, store.FirstIndex(), store.LastIndex(), store.hard_state()};
}

// ---------------------------------------------------------------------------------------
// Recovery

absl::Status SegmentedLogStore::Recover() {
  std::vector<uint64_t> seqs;
  for (const auto& f : fs::directory_iterator(dir_)) {
    if (auto seq = ParseSegmentName(f.path().filename().string())) seqs.push_back(*seq);
  }
  std::sort(seqs.begin(), seqs.end());
  for (uint64_t seq : seqs) {
    Segment seg;
    seg.seq = seq;
    seg.path = (fs::path(dir_) / SegmentName(seq)).string();
    seg.fd = ::open(seg.path.c_str(), check_only_ ? O_RDONLY : O_RDWR);
    if (seg.fd < 0) return ErrnoStatus("open", seg.path);
    segments_.push_back(std::move(seg));
  }

  // Nothing is changed on disk until every segment has been read and found sound, but for a
  // torn tail of the last one.
  for (size_t pos = 0; pos < segments_.size(); ++pos) {
    Segment& seg = segments_[pos];
    auto contents = ReadFile(seg.path);
    if (!contents.ok()) return contents.status();
    std::optional<Damage> damage = ReplaySegment(seg, *contents);
    if (!damage.has_value()) continue;
    if (auto s = CheckTornTail(seg, *contents, *damage, segments_.size() - pos - 1); !s.ok()) {
      return s;
    }
    NoteTornTail(*contents, *damage);
    return check_only_ ? absl::OkStatus() : CutTornTail(*contents, *damage);
  }
  recovery_.segments = static_cast<int>(segments_.size());
  if (segments_.empty() && !check_only_) return StartSegment();
  return absl::OkStatus();
}

std::optional<SegmentedLogStore::Damage> SegmentedLogStore::ReplaySegment(Segment& seg,
                                                                          std::string_view data) {
  if (!HeaderValid(data, seg.seq)) return Damage{0, kHeaderBytes, "bad segment header"};
  uint64_t off = kHeaderBytes;
  while (true) {
    Frame frame = ReadFrame(data, off, !options_.unsafe_skip_checksums);
    if (frame.kind == Frame::kEnd) break;
    if (frame.kind == Frame::kDamaged) return Damage{off, frame.end, std::move(frame.damage)};
    if (!Replay(frame.type, frame.payload, seg, off + kRecordHeaderBytes)) {
      return Damage{off, frame.end, "record contradicts the log before it", /*whole=*/true};
    }
    ++recovery_.records;
    off = frame.end;
  }
  seg.end = off;
  return std::nullopt;
}

bool SegmentedLogStore::Replay(uint8_t type, std::string_view payload, Segment& seg,
                               uint64_t offset) {
  if (type == kEntry) {
    raftpb::Entry e;
    if (!e.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) return false;
    if (e.index() > kMaxTermOrIndex) return false;
    if (e.index() < first_) return true;  // purged already
    if (e.index() > LastIndex() + 1) return false;
    DropIndexFrom(e.index());
    index_.push_back({e.term(), seg.seq, offset, static_cast<uint32_t>(payload.size())});
    seg.max_index = std::max(seg.max_index, e.index());
    return true;
  }
  if (payload.size() != 8) return false;
  uint64_t v = GetFixed64(payload.data());
  if (v > kMaxTermOrIndex) return false;  // every one of them is an index
  switch (type) {
    case kTruncate:
      DropIndexFrom(std::max(v, first_));
      return true;
    case kPurge:
      if (v > LastIndex() + 1) {
        index_.clear();
        first_ = v;
      } else if (v > first_) {
        index_.erase(index_.begin(), index_.begin() + (v - first_));
        first_ = v;
      }
      return true;
    case kBase:
      if (index_.empty() && v > first_) first_ = v;
      return true;
    case kCommit:
      commit_ = v;
      return true;
    default:
      return false;
  }
}

absl::Status SegmentedLogStore::CheckTornTail(const Segment& seg, std::string_view data,
                                              const Damage& damage, size_t later_segments) const {
  std::string why;
  if (damage.whole) {
    why = "although its checksum matches, so no crash tore it";
  } else if (later_segments > 0) {
    why = absl::StrCat("and ", later_segments, " later segment(s) follow it");
  } else if (auto next = FindRecord(data, damage.offset + 1); next.has_value()) {
    why = absl::StrCat("with a valid record at byte ", *next, " after it");
  } else if (!LooksTorn(data, damage.offset, damage.end)) {
    why = "although the record is all there, so it was damaged after it was written";
  } else {
    return absl::OkStatus();
  }
  return absl::DataLossError(absl::StrCat("log segment ", seg.path, " is corrupt at byte ",
                                          damage.offset, " (", damage.what, ") ", why, "; ",
                                          kReseedAdvice));
}

void SegmentedLogStore::NoteTornTail(std::string_view data, const Damage& damage) {
  const Segment& seg = segments_.back();
  const uint64_t held = DataBytes(data);
  recovery_.segments = static_cast<int>(segments_.size());
  recovery_.truncated_at =
      absl::StrCat(seg.path, " at byte ", damage.offset, " (", damage.what, ")");
  recovery_.bytes_dropped = held > damage.offset ? held - damage.offset : 0;
}

absl::Status SegmentedLogStore::CutTornTail(std::string_view data, const Damage& damage) {
  Segment& seg = segments_.back();
  LOG(WARNING) << "log recovery: the log ends in a write torn by a crash; cutting off "
               << recovery_.bytes_dropped << " bytes at " << *recovery_.truncated_at;
  dir_dirty_ = true;
  if (damage.offset < kHeaderBytes) {
    // Its header never reached the disk: the segment was being started when the crash came.
    ::close(seg.fd);
    if (::unlink(seg.path.c_str()) != 0) return ErrnoStatus("remove", seg.path);
    segments_.pop_back();
    recovery_.segments = static_cast<int>(segments_.size());
    return StartSegment();
  }
  // Zero everything after the cut so no stale record can ever be read back behind it.
  if (::ftruncate(seg.fd, static_cast<off_t>(damage.offset)) != 0) {
    return ErrnoStatus("truncate", seg.path);
  }
  if (options_.preallocate && damage.offset < options_.segment_bytes) {
    ::posix_fallocate(seg.fd, 0, static_cast<off_t>(options_.segment_bytes));
  }
  if (DataSync(seg.fd) != 0) return ErrnoStatus("fdatasync", seg.path);
  seg.end = damage.offset;
  recovery_.segments = static_cast<int>(segments_.size());
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------------------
// Writing

absl::Status SegmentedLogStore::StartSegment() {
  Segment seg;
  seg.seq = segments_.empty() ? 1 : segments_.back().seq + 1;
  seg.path = (fs::path(dir_) / SegmentName(seg.seq)).string();
  seg.fd = ::open(seg.path.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0644);
  if (seg.fd < 0) return ErrnoStatus("create", seg.path);
  if (options_.preallocate) {
    // Not every file system can preallocate; appends then simply grow the file.
    ::posix_fallocate(seg.fd, 0, static_cast<off_t>(options_.segment_bytes));
  }
  std::string head = EncodeHeader(seg.seq);
  EncodeU64Record(&head, kBase, LastIndex() + 1);
  EncodeU64Record(&head, kCommit, commit_);
  if (auto s = WriteAll(seg.fd, head, 0, seg.path); !s.ok()) {
    ::close(seg.fd);
    return s;
  }
  seg.end = head.size();
  seg.dirty = true;
  segments_.push_back(std::move(seg));
  dir_dirty_ = true;
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> SegmentedLogStore::WriteRecords(const std::string& bytes) {
  Segment* seg = &segments_.back();
  // A segment holds at least one batch, however large.
  bool has_records = seg->end > kHeaderBytes + 2 * (kRecordHeaderBytes + 8);
  if (seg->end + bytes.size() > options_.segment_bytes && has_records) {
    // Recovery cuts a torn write only at the end of the last segment, so this one must be
    // durable before a later one exists.
    if (auto s = SyncSegments(); !s.ok()) return s;
    if (auto s = StartSegment(); !s.ok()) return s;
    seg = &segments_.back();
  }
  uint64_t offset = seg->end;
  if (auto s = WriteAll(seg->fd, bytes, offset, seg->path); !s.ok()) return s;
  seg->end += bytes.size();
  seg->dirty = true;
  return offset;
}

absl::Status SegmentedLogStore::Append(std::span<const raftpb::Entry> entries) {
  if (auto s = ValidateAppend(entries, first_, LastIndex(), options_.max_entry_bytes); !s.ok()) {
    return s;
  }
  if (entries.empty()) return absl::OkStatus();
  std::string bytes;
  std::vector<std::pair<uint64_t, uint32_t>> payload_at;  // offset in `bytes`, length
  payload_at.reserve(entries.size());
  for (const auto& e : entries) {
    std::string payload = e.SerializeAsString();
    payload_at.emplace_back(bytes.size() + kRecordHeaderBytes, payload.size());
    EncodeRecord(&bytes, kEntry, payload);
  }
  auto base = WriteRecords(bytes);
  if (!base.ok()) return base.status();
  Segment* seg = &segments_.back();
  DropIndexFrom(entries.front().index());
  for (size_t i = 0; i < entries.size(); ++i) {
    index_.push_back(
        {entries[i].term(), seg->seq, *base + payload_at[i].first, payload_at[i].second});
  }
  seg->max_index = std::max(seg->max_index, entries.back().index());
  return absl::OkStatus();
}

absl::Status SegmentedLogStore::TruncateSuffix(uint64_t index) {
  index = std::max(index, first_);
  if (index > LastIndex()) return absl::OkStatus();
  std::string bytes;
  EncodeU64Record(&bytes, kTruncate, index);
  if (auto s = WriteRecords(bytes); !s.ok()) return s.status();
  DropIndexFrom(index);
  return absl::OkStatus();
}

absl::Status SegmentedLogStore::PurgePrefix(uint64_t index) {
  if (index < first_) return absl::OkStatus();
  std::string bytes;
  EncodeU64Record(&bytes, kPurge, index + 1);
  if (auto s = WriteRecords(bytes); !s.ok()) return s.status();
  if (index >= LastIndex()) {
    index_.clear();
  } else {
    index_.erase(index_.begin(), index_.begin() + (index + 1 - first_));
  }
  first_ = index + 1;
  DeletePurgedSegments();
  return absl::OkStatus();
}

void SegmentedLogStore::DeletePurgedSegments() {
  while (segments_.size() > 1 && segments_.front().max_index < first_) {
    Segment& seg = segments_.front();
    ::close(seg.fd);
    if (::unlink(seg.path.c_str()) != 0) {
      PLOG(WARNING) << "remove purged segment " << seg.path;
    }
    segments_.pop_front();
    dir_dirty_ = true;
  }
}

void SegmentedLogStore::DropIndexFrom(uint64_t index) {
  if (index <= LastIndex()) index_.resize(index - first_);
}

absl::Status SegmentedLogStore::SetHardState(const raftpb::HardState& hs) {
  term_vote_ = {hs.term(), hs.vote()};
  if (hs.commit() != commit_) {
    std::string bytes;
    EncodeU64Record(&bytes, kCommit, hs.commit());
    if (auto s = WriteRecords(bytes); !s.ok()) return s.status();
    commit_ = hs.commit();
  }
  return absl::OkStatus();
}

raftpb::HardState SegmentedLogStore::hard_state() const {
  raftpb::HardState hs;
  hs.set_term(term_vote_.term);
  hs.set_vote(term_vote_.vote);
  hs.set_commit(commit_);
  return hs;
}

absl::Status SegmentedLogStore::SyncSegments() {
  for (auto& seg : segments_) {
    if (!seg.dirty) continue;
    if (DataSync(seg.fd) != 0) return ErrnoStatus("fdatasync", seg.path);
    seg.dirty = false;
  }
  if (dir_dirty_) {
    if (auto s = SyncDir(dir_); !s.ok()) return s;
    dir_dirty_ = false;
  }
  return absl::OkStatus();
}

absl::Status SegmentedLogStore::Sync() {
  if (auto s = SyncSegments(); !s.ok()) return s;
  // Term and vote go last: a vote must never be durable for a log that is not.
  if (!(term_vote_ == hard_state_file_.value())) return hard_state_file_.Store(term_vote_);
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------------------
// Reading

const SegmentedLogStore::Segment* SegmentedLogStore::FindSegment(uint64_t seq) const {
  for (const auto& seg : segments_) {
    if (seg.seq == seq) return &seg;
  }
  return nullptr;
}

absl::StatusOr<std::vector<raftpb::Entry>> SegmentedLogStore::Read(uint64_t lo, uint64_t hi) const {
  if (auto s = ValidateRange(lo, hi, first_, LastIndex()); !s.ok()) return s;
  std::vector<raftpb::Entry> out;
  out.reserve(hi - lo);
  std::string buf;
  for (uint64_t i = lo; i < hi; ++i) {
    const Location& loc = index_[i - first_];
    const Segment* seg = FindSegment(loc.segment_seq);
    if (seg == nullptr)
      return absl::InternalError(absl::StrCat("segment of entry ", i, " is gone"));
    buf.resize(loc.length);
    if (auto s = ReadAll(seg->fd, buf.data(), loc.length, loc.offset, seg->path); !s.ok()) return s;
    raftpb::Entry e;
    if (!e.ParseFromString(buf) || e.index() != i) {
      return absl::DataLossError(absl::StrCat("entry ", i, " in ", seg->path, " is unreadable"));
    }
    out.push_back(std::move(e));
  }
  return out;
}

absl::StatusOr<uint64_t> SegmentedLogStore::Term(uint64_t index) const {
  if (index < first_ || index > LastIndex()) {
    return absl::OutOfRangeError(absl::StrCat("no entry at index ", index));
  }
  return index_[index - first_].term;
}

}  // namespace warren::raft
