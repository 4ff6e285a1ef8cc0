#include "metastore/server/backup_stream.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace warren::metastore {
namespace {

constexpr size_t kChunkBytes = 1 << 20;

}  // namespace

BackupStream::BackupStream(raft::Division* division) {
  division->TakeSnapshot([this, division](raft::Result r) { Opened(r, division); });
}

BackupStream::~BackupStream() {
  if (fd_ >= 0) ::close(fd_);
}

void BackupStream::Opened(const raft::Result& taken, raft::Division* division) {
  if (!taken.status.ok()) {
    return Finish(grpc::Status(static_cast<grpc::StatusCode>(taken.status.code()),
                               absl::StrCat("taking the snapshot: ", taken.status.message())));
  }
  std::optional<std::string> path = division->NewestSnapshotPath();
  if (!path.has_value()) {
    return Finish(grpc::Status(grpc::StatusCode::INTERNAL, "no snapshot after taking one"));
  }
  path_ = *path;
  fd_ = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) {
    return Finish(grpc::Status(grpc::StatusCode::UNAVAILABLE,
                               absl::StrCat("open ", path_, ": ", strerror(errno))));
  }
  SendNext();
}

void BackupStream::SendNext() {
  std::string* data = chunk_.mutable_data();
  data->resize(kChunkBytes);
  ssize_t n;
  do {
    n = ::read(fd_, data->data(), kChunkBytes);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    return Finish(grpc::Status(grpc::StatusCode::INTERNAL,
                               absl::StrCat("read ", path_, ": ", strerror(errno))));
  }
  if (n == 0) return Finish(grpc::Status::OK);
  data->resize(static_cast<size_t>(n));
  StartWrite(&chunk_);
}

void BackupStream::OnWriteDone(bool ok) {
  if (!ok) return Finish(grpc::Status(grpc::StatusCode::CANCELLED, "the client went away"));
  SendNext();
}

}  // namespace warren::metastore
