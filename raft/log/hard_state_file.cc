#include "raft/log/hard_state_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "raft/log/crc32c.h"
#include "raft/log/file_util.h"
#include "raft/log/log_store.h"

namespace warren::raft {
namespace {

// Slot layout: seq, term, vote (u64 each), crc32c of those 24 bytes, 4 bytes of padding.
constexpr size_t kSlotBytes = 32;
constexpr size_t kPayloadBytes = 24;

std::string EncodeSlot(uint64_t seq, const TermVote& v) {
  std::string s;
  PutFixed64(&s, seq);
  PutFixed64(&s, v.term);
  PutFixed64(&s, v.vote);
  PutFixed32(&s, Crc32c(s));
  PutFixed32(&s, 0);
  return s;
}

struct Slot {
  bool valid = false;
  // Its checksum matches, yet its sequence number or term could only have been written by a
  // bug: the next Store would wrap the sequence (and the older slot win) or the next term.
  bool out_of_range = false;
  uint64_t seq = 0;
  TermVote value;
};

Slot DecodeSlot(const char* p) {
  Slot slot;
  if (std::string_view(p, kSlotBytes).find_first_not_of('\0') == std::string_view::npos) {
    slot.valid = true;  // never written: the empty state
    return slot;
  }
  if (Crc32c(std::string_view(p, kPayloadBytes)) != GetFixed32(p + kPayloadBytes)) return slot;
  slot.valid = true;
  slot.seq = GetFixed64(p);
  slot.value = {GetFixed64(p + 8), GetFixed64(p + 16)};
  slot.out_of_range = slot.seq > kMaxTermOrIndex || slot.value.term > kMaxTermOrIndex;
  return slot;
}

}  // namespace

absl::StatusOr<HardStateFile> HardStateFile::Open(const std::string& path, bool read_only) {
  bool existed = std::filesystem::exists(path);
  if (read_only && !existed) return HardStateFile(path, -1, 0, {}, true);
  int fd =
      read_only ? ::open(path.c_str(), O_RDONLY) : ::open(path.c_str(), O_RDWR | O_CREAT, 0644);
  if (fd < 0) return ErrnoStatus("open", path);
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    auto s = ErrnoStatus("stat", path);
    ::close(fd);
    return s;
  }
  if (read_only && st.st_size == 0) return HardStateFile(path, fd, 0, {}, true);
  if (!existed || st.st_size == 0) {
    std::string zeros(2 * kSlotBytes, '\0');
    absl::Status s = WriteAll(fd, zeros, 0, path);
    if (s.ok() && DataSync(fd) != 0) s = ErrnoStatus("fdatasync", path);
    if (s.ok()) s = SyncDir(std::filesystem::path(path).parent_path().string());
    if (!s.ok()) {
      ::close(fd);
      return s;
    }
    return HardStateFile(path, fd, 0, {}, false);
  }
  if (st.st_size != 2 * kSlotBytes) {
    ::close(fd);
    return absl::DataLossError(absl::StrCat("hard state file ", path, " has ", st.st_size,
                                            " bytes, expected ", 2 * kSlotBytes,
                                            "; refusing to start rather than guess"));
  }
  char buf[2 * kSlotBytes];
  if (auto s = ReadAll(fd, buf, sizeof(buf), 0, path); !s.ok()) {
    ::close(fd);
    return s;
  }
  Slot a = DecodeSlot(buf), b = DecodeSlot(buf + kSlotBytes);
  if (!a.valid && !b.valid) {
    ::close(fd);
    return absl::DataLossError(absl::StrCat("hard state file ", path,
                                            " is corrupt in both slots (term and vote "
                                            "unknown); refusing to start rather than guess"));
  }
  if (a.out_of_range || b.out_of_range) {
    ::close(fd);
    const Slot& bad = a.out_of_range ? a : b;
    return absl::DataLossError(absl::StrCat(
        "hard state file ", path, " holds sequence number ", bad.seq, " and term ", bad.value.term,
        ", out of the range any member reaches; refusing to start "
        "rather than guess"));
  }
  const Slot& newest = !a.valid ? b : !b.valid ? a : (a.seq >= b.seq ? a : b);
  return HardStateFile(path, fd, newest.seq, newest.value, read_only);
}

HardStateFile::HardStateFile(HardStateFile&& other) noexcept
    : path_(std::move(other.path_)),
      fd_(other.fd_),
      seq_(other.seq_),
      value_(other.value_),
      read_only_(other.read_only_) {
  other.fd_ = -1;
}

HardStateFile::~HardStateFile() {
  if (fd_ >= 0) ::close(fd_);
}

absl::Status HardStateFile::Store(const TermVote& v) {
  if (read_only_)
    return absl::FailedPreconditionError("hard state " + path_ + " is open read-only");
  uint64_t seq = seq_ + 1;
  if (auto s = WriteAll(fd_, EncodeSlot(seq, v), (seq % 2) * kSlotBytes, path_); !s.ok()) {
    return s;
  }
  if (DataSync(fd_) != 0) return ErrnoStatus("fdatasync", path_);
  seq_ = seq;
  value_ = v;
  return absl::OkStatus();
}

}  // namespace warren::raft
