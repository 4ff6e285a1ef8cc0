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
  static absl::StatusOr<HardStateFile> Open(const std::string& path);
  HardStateFile(HardStateFile&& other) noexcept;
  HardStateFile& operator=(HardStateFile&&) = delete;
  ~HardStateFile();

  const TermVote& value() const { return value_; }
  // Writes `v` to the older slot and fdatasyncs.
  absl::Status Store(const TermVote& v);

 private:
  HardStateFile(std::string path, int fd, uint64_t seq, TermVote value)
      : path_(std::move(path)), fd_(fd), seq_(seq), value_(value) {}

  std::string path_;
  int fd_ = -1;
  uint64_t seq_ = 0;  // sequence number of the newest slot; slot = seq % 2
  TermVote value_;
};

}  // namespace warren::raft
