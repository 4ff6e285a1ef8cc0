// The corrupt nemesis: damages the disk of one stopped member (a bit flipped in a log record,
// in the newest snapshot, in one of the tree's RocksDB files; its Raft directory lost, or its
// whole data directory), checks that the member then refuses to start with the error that
// names the damage, and re-seeds it by the documented procedure (Cluster::Replace under its
// id). One member at a time: the others' disks, a majority, stay intact.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "jepsen/harness/nemesis.h"
#include "raft/log/file_util.h"
#include "raft/log/segment_format.h"
#include "rocksdb/db.h"

namespace warren::jepsen {
namespace {

namespace fs = std::filesystem;

// What was done to a member's disk, and what its refusal to start must say.
struct Damage {
  std::string what;
  std::string expect;  // empty: no refusal is expected
};

absl::Status FlipBit(const std::string& path, uint64_t offset) {
  int fd = ::open(path.c_str(), O_RDWR);
  if (fd < 0) return ErrnoStatus("open", path);
  char c = 0;
  absl::Status s;
  if (::pread(fd, &c, 1, static_cast<off_t>(offset)) != 1) s = ErrnoStatus("read", path);
  c ^= 0x01;
  if (s.ok() && ::pwrite(fd, &c, 1, static_cast<off_t>(offset)) != 1)
    s = ErrnoStatus("write", path);
  if (s.ok() && ::fsync(fd) != 0) s = ErrnoStatus("fsync", path);
  ::close(fd);
  return s;
}

std::vector<std::string> Files(const fs::path& dir, const std::string& prefix,
                               const std::string& suffix) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (absl::StartsWith(name, prefix) && absl::EndsWith(name, suffix)) {
      out.push_back(e.path().string());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

// A bit of an entry's command (the last byte of the record: the command is the entry's last
// field) in a sealed log segment if there is one, else in the last segment with another record
// after it. Either is damage no crash makes: a segment is synced before the next one starts,
// and a torn write is only ever the last record.
absl::StatusOr<std::optional<Damage>> DamageLogRecord(const fs::path& raft_dir,
                                                      std::mt19937_64& rng) {
  std::vector<std::string> segments = Files(raft_dir / "log", "seg-", ".log");
  if (segments.empty()) return std::nullopt;
  const bool sealed = segments.size() > 1;
  if (sealed) segments.pop_back();
  const std::string path =
      segments[std::uniform_int_distribution<size_t>(0, segments.size() - 1)(rng)];
  auto data = ReadFile(path);
  if (!data.ok()) return data.status();
  std::vector<std::pair<uint64_t, uint64_t>> entries;  // a record's start and end
  for (uint64_t off = raft::segment::kHeaderBytes;;) {
    raft::segment::Frame f = raft::segment::ReadFrame(*data, off);
    if (f.kind != raft::segment::Frame::kRecord) break;
    // A command's bytes, not only the entry's term and index.
    if (f.type == raft::segment::kEntry && f.payload.size() > 24) entries.push_back({off, f.end});
    off = f.end;
  }
  if (!sealed && !entries.empty()) entries.pop_back();  // the last may look torn
  if (entries.empty()) return std::nullopt;
  const auto [begin, end] =
      entries[std::uniform_int_distribution<size_t>(0, entries.size() - 1)(rng)];
  if (auto s = FlipBit(path, end - 1); !s.ok()) return s;
  return Damage{
      absl::StrCat("a bit flipped in the log record at byte ", begin, " of ", path,
                   sealed ? " (a sealed segment)" : " (the last segment)"),
      absl::StrCat("log segment ", path, " is corrupt at byte ", begin, " (checksum mismatch)")};
}

absl::StatusOr<std::optional<Damage>> DamageSnapshot(const fs::path& raft_dir) {
  std::vector<std::string> snaps = Files(raft_dir / "snapshots", "snap-", ".snap");
  if (snaps.empty()) return std::nullopt;
  const std::string& newest = snaps.back();  // names hold the zero-padded index
  std::error_code ec;
  const uint64_t offset = fs::file_size(newest, ec) / 2;
  if (ec || offset < 16) return std::nullopt;
  if (auto s = FlipBit(newest, offset); !s.ok()) return s;
  return Damage{absl::StrCat("a bit flipped at byte ", offset, " of the newest snapshot ", newest),
                absl::StrCat("snapshot ", newest, " is corrupt: checksum mismatch")};
}

// The tree's live files, as its MANIFEST lists them (obsolete files may wait to be deleted).
absl::StatusOr<std::vector<std::string>> LiveSstFiles(const std::string& tree) {
  rocksdb::DB* raw = nullptr;
  auto s = rocksdb::DB::OpenForReadOnly(rocksdb::Options(), tree, &raw);
  if (!s.ok()) return absl::InternalError(absl::StrCat("open ", tree, ": ", s.ToString()));
  std::unique_ptr<rocksdb::DB> db(raw);
  std::vector<rocksdb::LiveFileMetaData> files;
  db->GetLiveFilesMetaData(&files);
  std::vector<std::string> out;
  for (const auto& f : files)
    out.push_back(tree + "/" + std::string(absl::StripPrefix(f.name, "/")));
  std::sort(out.begin(), out.end());
  return out;
}

// A bit in the first data block of one of the tree's SST files (every block is read as the
// tree loads), or in the middle of its MANIFEST.
absl::StatusOr<std::optional<Damage>> DamageTree(const std::string& tree, bool manifest,
                                                 std::mt19937_64& rng) {
  std::string path;
  uint64_t offset = 0;
  if (manifest) {
    auto current = ReadFile(tree + "/CURRENT");
    if (!current.ok()) return std::nullopt;
    path = tree + "/" + std::string(absl::StripSuffix(*current, "\n"));
    std::error_code ec;
    offset = fs::file_size(path, ec) / 2;
    if (ec || offset == 0) return std::nullopt;
  } else {
    auto ssts = LiveSstFiles(tree);
    if (!ssts.ok()) return ssts.status();
    if (ssts->empty()) return std::nullopt;
    path = (*ssts)[std::uniform_int_distribution<size_t>(0, ssts->size() - 1)(rng)];
    offset = 10;
  }
  if (auto s = FlipBit(path, offset); !s.ok()) return s;
  return Damage{absl::StrCat("a bit flipped at byte ", offset, " of the tree's ", path),
                absl::StrCat("the znode tree in ", tree, " is corrupt")};
}

}  // namespace

void Nemesis::Corrupt(std::mt19937_64& rng, const std::atomic<bool>& stop) {
  // One member's disk at a time, and no membership change meanwhile: the others, a majority,
  // keep theirs.
  std::lock_guard one_at_a_time(membership_mu_);
  if (stop) return;
  const std::vector<int> alive = cluster_->Alive();
  if (alive.empty()) return;
  const int id = alive[std::uniform_int_distribution<size_t>(0, alive.size() - 1)(rng)];
  const fs::path raft_dir = fs::path(cluster_->DataDir(id)) / "raft";
  const std::string tree = (fs::path(cluster_->DataDir(id)) / "tree").string();
  if (auto s = cluster_->Kill(id); !s.ok()) {
    Note(absl::StrCat("corrupt member ", id), s);
    return;
  }
  // The kind drawn from the seed; one whose files do not exist yet gives way to the next.
  constexpr int kKinds = 6;
  const int first = std::uniform_int_distribution<int>(0, kKinds - 1)(rng);
  absl::StatusOr<std::optional<Damage>> damage = std::nullopt;
  for (int k = 0; k < kKinds && damage.ok() && !damage->has_value(); ++k) {
    switch ((first + k) % kKinds) {
      case 0:
        damage = DamageLogRecord(raft_dir, rng);
        break;
      case 1:
        damage = DamageSnapshot(raft_dir);
        break;
      case 2:
        damage = DamageTree(tree, /*manifest=*/false, rng);
        break;
      case 3:
        damage = DamageTree(tree, /*manifest=*/true, rng);
        break;
      case 4: {
        // The Raft directory lost, the tree kept (a disk of its own that failed): the tree's
        // applied index still shows that this member took part.
        std::error_code ec;
        fs::remove_all(raft_dir, ec);
        damage = Damage{absl::StrCat("Raft directory ", raft_dir.string(), " lost (tree kept)"),
                        "the state machine has applied up to index"};
        break;
      }
      default: {
        std::error_code ec;
        fs::remove_all(cluster_->DataDir(id), ec);
        // Nothing is left to say that the member ever belonged to the group: it is re-seeded
        // without being started on the empty directory (docs/fault-testing.md, Disks).
        damage = Damage{absl::StrCat("data directory ", cluster_->DataDir(id), " lost"), ""};
      }
    }
  }
  if (!damage.ok()) {
    Note(absl::StrCat("corrupt member ", id), damage.status());
  } else {
    Note(absl::StrCat("corrupt member ", id, ": ", (*damage)->what));
    const std::string& expect = (*damage)->expect;
    if (!expect.empty()) {
      auto refusal = cluster_->StartExpectingRefusal(id, absl::Seconds(5));
      std::string wrong;
      if (!refusal.ok()) {
        wrong = absl::StrCat("member ", id, " did not refuse to start with ", (*damage)->what, ": ",
                             refusal.status().message());
      } else if (!absl::StrContains(*refusal, expect)) {
        wrong = absl::StrCat("member ", id, " refused to start with ", (*damage)->what,
                             " but not saying \"", expect, "\": ", *refusal);
      } else {
        Note(absl::StrCat("member ", id, " refused to start as expected: ", *refusal));
      }
      if (!wrong.empty()) {
        Note(absl::StrCat("INVALID: ", wrong));
        if (violation_.empty()) violation_ = wrong;
      }
    }
  }
  Note(absl::StrCat("re-seed member ", id, " (remove, wipe, join, add learner, promote)"),
       cluster_->Replace(id, /*new_id=*/false));
}

}  // namespace warren::jepsen
