// How close the Raft log comes to the disk: appends per second with a sync, for small and
// 4 KiB entries, one entry per sync and group-committed batches, next to the raw fdatasync
// rate of the same disk measured in the same run.
//   build/bin/warren-bench-log --dir=DIR [--seconds=3]
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "common/dashed_flags.h"
#include "glog/logging.h"
#include "raft/log/rocksdb_log_store.h"
#include "raft/log/segmented_log_store.h"

ABSL_FLAG(std::string, dir, "", "directory on the disk to measure (default: a new one in /tmp)");
ABSL_FLAG(double, seconds, 3, "how long each case runs");

namespace {

namespace fs = std::filesystem;
using warren::raft::LogStore;

void CheckOk(const absl::Status& s) { CHECK(s.ok()) << s; }

struct Rate {
  double syncs_per_s;
  double entries_per_s;
};

// One thing to measure: `sync_once` writes `per_sync` entries and makes them durable.
struct Case {
  Case(int per_sync, std::function<void()> sync_once)
      : per_sync(per_sync), sync_once(std::move(sync_once)) {}
  int per_sync;
  std::function<void()> sync_once;
  uint64_t syncs = 0;
  absl::Duration spent;
  Rate rate() const {
    double s = absl::ToDoubleSeconds(spent);
    return {syncs / s, syncs * per_sync / s};
  }
};

// Runs the cases in turns of short slices for --seconds each in total, so that a disk whose
// speed drifts (virtual disks do) affects all of them alike.
void MeasureInterleaved(std::vector<Case*> cases) {
  constexpr int kRounds = 20;
  const absl::Duration slice = absl::Seconds(absl::GetFlag(FLAGS_seconds)) / kRounds;
  for (int round = 0; round < kRounds; ++round) {
    for (Case* c : cases) {
      const absl::Time start = absl::Now();
      while (absl::Now() - start < slice) {
        c->sync_once();
        ++c->syncs;
      }
      c->spent += absl::Now() - start;
    }
  }
}

// The disk's own rate: append `bytes` to a preallocated file and fdatasync, repeat. Like a
// log it always writes fresh preallocated space (never overwrites), starting a new
// preallocated file of the log's segment size when one is full.
class RawFile {
 public:
  RawFile(const std::string& path, size_t bytes) : path_(path), block_(bytes, 'r') {
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0644);
    PCHECK(fd_ >= 0) << path;
    Preallocate();
  }
  ~RawFile() {
    ::close(fd_);
    fs::remove(path_);
  }
  void SyncOnce() {
    if (off_ + static_cast<off_t>(block_.size()) > kSize) Preallocate();
    PCHECK(::pwrite(fd_, block_.data(), block_.size(), off_) ==
           static_cast<ssize_t>(block_.size()));
    PCHECK(::fdatasync(fd_) == 0);
    off_ += static_cast<off_t>(block_.size());
  }

 private:
  static constexpr off_t kSize = 64 << 20;  // SegmentedLogOptions::segment_bytes
  void Preallocate() {
    PCHECK(::ftruncate(fd_, 0) == 0);
    PCHECK(::posix_fallocate(fd_, 0, kSize) == 0);
    PCHECK(::fdatasync(fd_) == 0);
    off_ = 0;
  }
  std::string path_;
  std::string block_;
  int fd_;
  off_t off_ = 0;
};

class LogAppender {
 public:
  LogAppender(std::unique_ptr<LogStore> log, size_t bytes, int per_sync)
      : log_(std::move(log)), data_(bytes, 'e'), batch_(per_sync) {}
  void SyncOnce() {
    for (auto& e : batch_) {
      e.set_index(next_++);
      e.set_term(1);
      e.set_data(data_);
    }
    CheckOk(log_->Append(batch_));
    CheckOk(log_->Sync());
  }

 private:
  std::unique_ptr<LogStore> log_;
  std::string data_;
  std::vector<warren::raftpb::Entry> batch_;
  uint64_t next_ = 1;
};

}  // namespace

int main(int argc, char** argv) {
  warren::DashedFlags flags(argc, argv);
  absl::ParseCommandLine(flags.argc(), flags.argv());
  google::InitGoogleLogging(argv[0]);
  std::string dir = absl::GetFlag(FLAGS_dir);
  bool own_dir = dir.empty();
  if (own_dir) {
    char tmpl[] = "/tmp/warren-bench-log-XXXXXX";
    PCHECK(::mkdtemp(tmpl) != nullptr);
    dir = tmpl;
  }
  fs::create_directories(dir);

  std::printf("# Raft log appends with sync, %s, %.0f s per case\n\n", dir.c_str(),
              absl::GetFlag(FLAGS_seconds));
  std::printf(
      "Each row writes the same bytes per sync as its raw pwrite+fdatasync baseline, "
      "measured in turns with it;\nthe ratio is log syncs/s over raw syncs/s.\n\n");
  std::printf(
      "| entry | entries per sync | raw syncs/s | log | syncs/s | entries/s | MB/s | vs raw |\n");
  std::printf("|---|---|---|---|---|---|---|---|\n");
  for (size_t bytes : {size_t{128}, size_t{4096}}) {
    std::string size =
        bytes >= 1024 ? absl::StrCat(bytes / 1024, " KiB") : absl::StrCat(bytes, " B");
    for (int per_sync : {1, 64}) {
      std::string sub = absl::StrCat(dir, "/", bytes, "-", per_sync);
      auto segmented = warren::raft::SegmentedLogStore::Open(sub + "-segmented");
      CheckOk(segmented.status());
      auto rocksdb = warren::raft::RocksDbLogStore::Open(sub + "-rocksdb");
      CheckOk(rocksdb.status());
      {
        RawFile raw_file(sub + "-raw", bytes * per_sync);
        LogAppender seg(std::move(*segmented), bytes, per_sync);
        LogAppender rdb(std::move(*rocksdb), bytes, per_sync);
        Case raw{per_sync, [&] { raw_file.SyncOnce(); }};
        Case seg_case{per_sync, [&] { seg.SyncOnce(); }};
        Case rdb_case{per_sync, [&] { rdb.SyncOnce(); }};
        MeasureInterleaved({&raw, &seg_case, &rdb_case});
        for (auto [kind, c] :
             {std::pair{"segmented", &seg_case}, std::pair{"rocksdb", &rdb_case}}) {
          Rate r = c->rate();
          std::printf("| %s | %d | %.0f | %s | %.0f | %.0f | %.1f | %.2f |\n", size.c_str(),
                      per_sync, raw.rate().syncs_per_s, kind, r.syncs_per_s, r.entries_per_s,
                      r.entries_per_s * bytes / 1e6, r.syncs_per_s / raw.rate().syncs_per_s);
        }
      }
      fs::remove_all(sub + "-segmented");
      fs::remove_all(sub + "-rocksdb");
    }
  }
  if (own_dir) fs::remove_all(dir);
  return 0;
}
