#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace warren::raft {

// Term and vote, the part of the hard state Raft's safety rests on.
struct TermVote {
  uint64_t term = 0;
  uint64_t vote = 0;
  bool operator==(const TermVote&) const = default;
};

// A small file with two checksummed slots written alternately, so that a write torn by a
// crash always leaves the previous value intact in the other slot. If neither slot is valid
// the file is corrupt and Open refuses to guess.
class HardStateFile {
 public:
  // `read_only` (for an offline check) creates and writes nothing: a missing or empty file
  // reads as the empty state, and Store fails.
  static absl::StatusOr<HardStateFile> Open(const std::string& path, bool read_only = false);
  HardStateFile(HardStateFile&& other) noexcept;
  HardStateFile& operator=(HardStateFile&&) = delete;
  ~HardStateFile();

  const TermVote& value() const { return value_; }
  // Writes `v` to the older slot and fdatasyncs.
  absl::Status Store(const TermVote& v);

 private:
  HardStateFile(std::string path, int fd, uint64_t seq, TermVote value, bool read_only)
      : path_(std::move(path)), fd_(fd), seq_(seq), value_(value), read_only_(read_only) {}

  std::string path_;
  int fd_ = -1;
  uint64_t seq_ = 0;  // sequence number of the newest slot; slot = seq % 2
  TermVote value_;
  bool read_only_ = false;
};

}  // namespace warren::raft
