#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace warren {

// Thin wrappers over POSIX file calls that report errors as absl::Status naming the file.
absl::Status ErrnoStatus(std::string_view what, const std::string& path);
absl::Status WriteAll(int fd, std::string_view data, uint64_t offset, const std::string& path);
absl::Status ReadAll(int fd, char* buf, size_t n, uint64_t offset, const std::string& path);
// fdatasync and fsync, or nothing at all after SetUnsafeNoFsync(true). Every sync of the
// log, the hard state, snapshots and snapshots unpacked into the tree goes through these.
int DataSync(int fd);
int FullSync(int fd);
// BROKEN ON PURPOSE, for fault tests only (warrend --unsafe-no-fsync): every sync above
// returns at once, so a power loss loses acknowledged writes. Set before any file is written;
// it holds for the whole process (every member a process hosts) until set off again.
void SetUnsafeNoFsync(bool on);
bool UnsafeNoFsync();
// fsyncs a directory so that files created, renamed or removed in it stay so after a crash.
absl::Status SyncDir(const std::string& dir);
// Creates `dir` and any missing parents, and fsyncs the parent of every directory on its path,
// so that they, and the files later made durable in them, are still there after a crash.
absl::Status CreateDirDurably(const std::string& dir);
// Writes a whole file durably: temp file, fsync, rename, fsync of the directory.
absl::Status WriteFileAtomically(const std::string& path, std::string_view contents);
absl::StatusOr<std::string> ReadFile(const std::string& path);

// Little-endian fixed-width integers, the byte order of every on-disk format here.
void PutFixed32(std::string* out, uint32_t v);
void PutFixed64(std::string* out, uint64_t v);
uint32_t GetFixed32(const char* p);
uint64_t GetFixed64(const char* p);

}  // namespace warren
