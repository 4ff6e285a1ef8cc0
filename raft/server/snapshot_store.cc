#include "raft/server/snapshot_store.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "glog/logging.h"
#include "raft/log/crc32c.h"
#include "raft/log/file_util.h"
#include "raft/log/reseed.h"

namespace warren::raft {
namespace {

namespace fs = std::filesystem;
constexpr char kMagic[8] = {'W', 'R', 'N', 'S', 'N', 'A', 'P', '1'};
constexpr size_t kPrefixBytes = 12;  // magic + header length
constexpr size_t kTrailerBytes = 4;  // crc32c

// Appends to a file while keeping the running checksum.
class ChecksummedFileWriter : public SnapshotWriter {
 public:
  ChecksummedFileWriter(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  absl::Status Write(std::string_view bytes) override {
    crc_ = Crc32c(bytes, crc_);
    auto s = WriteAll(fd_, bytes, offset_, path_);
    offset_ += bytes.size();
    return s;
  }
  uint32_t crc() const { return crc_; }

 private:
  int fd_;
  std::string path_;
  uint64_t offset_ = 0;
  uint32_t crc_ = 0;
};

// Reads the state-machine section [begin, end) of a snapshot file.
class FileRangeReader : public SnapshotReader {
 public:
  FileRangeReader(int fd, std::string path, uint64_t begin, uint64_t end)
      : fd_(fd), path_(std::move(path)), pos_(begin), end_(end) {}
  ~FileRangeReader() override { ::close(fd_); }
  absl::StatusOr<size_t> Read(char* buf, size_t n) override {
    n = std::min<uint64_t>(n, end_ - pos_);
    if (n == 0) return 0;
    if (auto s = warren::ReadAll(fd_, buf, n, pos_, path_); !s.ok()) return s;
    pos_ += n;
    return n;
  }

 private:
  int fd_;
  std::string path_;
  uint64_t pos_, end_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<SnapshotStore>> SnapshotStore::Open(const std::string& dir,
                                                                   bool unsafe_skip_checksums) {
  if (auto s = CreateDirDurably(dir); !s.ok()) return s;
  std::error_code ec;
  // Leftovers of writes and receptions a crash interrupted.
  for (const auto& f : fs::directory_iterator(dir)) {
    if (f.path().extension() == ".tmp") fs::remove(f.path(), ec);
  }
  return std::unique_ptr<SnapshotStore>(new SnapshotStore(dir, unsafe_skip_checksums));
}

std::string SnapshotStore::FinalPath(const raftpb::SnapshotMetadata& meta) const {
  return (fs::path(dir_) / absl::StrFormat("snap-%020u-%020u.snap", meta.index(), meta.term()))
      .string();
}

std::string SnapshotStore::NewIncomingPath() {
  return (fs::path(dir_) / absl::StrCat("incoming-", ::getpid(), "-", next_temp_++, ".tmp"))
      .string();
}

absl::StatusOr<SnapshotInfo> SnapshotStore::Write(const raftpb::SnapshotHeader& header,
                                                  const StateMachine::SnapshotFn& write_data) {
  std::string tmp = (fs::path(dir_) / absl::StrCat("write-", next_temp_++, ".tmp")).string();
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return ErrnoStatus("create", tmp);
  ChecksummedFileWriter writer(fd, tmp);
  std::string prefix(kMagic, 8);
  std::string header_bytes = header.SerializeAsString();
  PutFixed32(&prefix, static_cast<uint32_t>(header_bytes.size()));
  absl::Status s = writer.Write(prefix);
  if (s.ok()) s = writer.Write(header_bytes);
  if (s.ok()) s = write_data(writer);
  if (s.ok()) {
    std::string trailer;
    PutFixed32(&trailer, writer.crc());
    s = writer.Write(trailer);
  }
  if (s.ok() && DataSync(fd) != 0) s = ErrnoStatus("fdatasync", tmp);
  ::close(fd);
  std::string final_path = FinalPath(header.metadata());
  if (s.ok() && ::rename(tmp.c_str(), final_path.c_str()) != 0) {
    s = ErrnoStatus("rename to", final_path);
  }
  if (s.ok()) s = SyncDir(dir_);
  if (!s.ok()) {
    ::unlink(tmp.c_str());
    return s;
  }
  return SnapshotInfo{final_path, header};
}

absl::StatusOr<SnapshotInfo> SnapshotStore::Verify(const std::string& path, bool check_checksum) {
  auto corrupt = [&](std::string_view why) {
    return absl::DataLossError(absl::StrCat("snapshot ", path, " is corrupt: ", std::string(why)));
  };
  std::error_code ec;
  uint64_t size = fs::file_size(path, ec);
  if (ec) return absl::NotFoundError(absl::StrCat("snapshot ", path, ": ", ec.message()));
  if (size < kPrefixBytes + kTrailerBytes) return corrupt("too short");
  int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) return ErrnoStatus("open", path);
  auto check = [&]() -> absl::StatusOr<SnapshotInfo> {
    const uint64_t body_end = size - kTrailerBytes;
    char prefix[kPrefixBytes];
    if (auto s = ReadAll(fd, prefix, kPrefixBytes, 0, path); !s.ok()) return s;
    if (std::string_view(prefix, 8) != std::string_view(kMagic, 8)) return corrupt("bad magic");
    uint32_t header_len = GetFixed32(prefix + 8);
    if (kPrefixBytes + header_len > body_end) return corrupt("header too long");
    // Stream the checksum: snapshots of large state machines need not fit in memory.
    std::string buf(1 << 20, '\0');
    uint32_t crc = 0;
    for (uint64_t pos = 0; pos < body_end;) {
      size_t n = std::min<uint64_t>(buf.size(), body_end - pos);
      if (auto s = ReadAll(fd, buf.data(), n, pos, path); !s.ok()) return s;
      crc = Crc32c(std::string_view(buf.data(), n), crc);
      pos += n;
    }
    char trailer[kTrailerBytes];
    if (auto s = ReadAll(fd, trailer, kTrailerBytes, body_end, path); !s.ok()) return s;
    if (check_checksum && crc != GetFixed32(trailer)) return corrupt("checksum mismatch");
    std::string header(header_len, '\0');
    if (auto s = ReadAll(fd, header.data(), header_len, kPrefixBytes, path); !s.ok()) return s;
    SnapshotInfo info{path, {}};
    if (!info.header.ParseFromString(header)) return corrupt("unreadable header");
    return info;
  };
  auto info = check();
  ::close(fd);
  return info;
}

std::vector<std::string> SnapshotStore::ListNewestFirst(const std::string& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& f : fs::directory_iterator(dir, ec)) {
    if (f.path().extension() == ".snap") names.push_back(f.path().string());
  }
  std::sort(names.rbegin(), names.rend());  // zero-padded index first: newest first
  return names;
}

absl::StatusOr<std::optional<SnapshotInfo>> SnapshotStore::Latest() const {
  const std::vector<std::string> paths = ListNewestFirst();
  if (paths.empty()) return std::nullopt;
  auto info = Verify(paths.front(), !unsafe_skip_checksums_);
  if (info.ok()) return std::optional<SnapshotInfo>(std::move(*info));
  if (info.status().code() != absl::StatusCode::kDataLoss) return info.status();
  return absl::DataLossError(absl::StrCat(info.status().message(), "; ", kReseedAdvice));
}

absl::StatusOr<SnapshotInfo> SnapshotStore::Install(const std::string& incoming_path) {
  auto info = Verify(incoming_path);
  if (!info.ok()) return info.status();
  std::string final_path = FinalPath(info->header.metadata());
  if (::rename(incoming_path.c_str(), final_path.c_str()) != 0) {
    return ErrnoStatus("rename to", final_path);
  }
  if (auto s = SyncDir(dir_); !s.ok()) return s;
  info->path = final_path;
  return info;
}

std::optional<std::string> SnapshotStore::NewestPath() const {
  std::vector<std::string> paths = ListNewestFirst();
  if (paths.empty()) return std::nullopt;
  return paths.front();
}

absl::StatusOr<std::unique_ptr<SnapshotReader>> SnapshotStore::OpenData(const SnapshotInfo& info) {
  int fd = ::open(info.path.c_str(), O_RDONLY);
  if (fd < 0) return ErrnoStatus("open", info.path);
  char prefix[kPrefixBytes];
  if (auto s = ReadAll(fd, prefix, kPrefixBytes, 0, info.path); !s.ok()) {
    ::close(fd);
    return s;
  }
  uint64_t size = fs::file_size(info.path);
  uint64_t begin = kPrefixBytes + GetFixed32(prefix + 8);
  return std::make_unique<FileRangeReader>(fd, info.path, begin, size - kTrailerBytes);
}

void SnapshotStore::Prune(int keep) {
  std::vector<std::string> names = ListNewestFirst();
  std::error_code ec;
  for (size_t i = keep; i < names.size(); ++i) fs::remove(names[i], ec);
}

}  // namespace warren::raft
