#include "raft/log/log_store.h"

#include "absl/strings/str_cat.h"

namespace warren::raft {

absl::Status ValidateAppend(std::span<const raftpb::Entry> entries, uint64_t first, uint64_t last,
                            size_t max_entry_bytes) {
  if (entries.empty()) return absl::OkStatus();
  uint64_t start = entries.front().index();
  if (start < first || start > last + 1) {
    return absl::OutOfRangeError(
        absl::StrCat("append at index ", start, " outside [", first, ", ", last + 1, "]"));
  }
  for (size_t i = 1; i < entries.size(); ++i) {
    if (entries[i].index() != start + i) {
      return absl::InvalidArgumentError(absl::StrCat("append: entry ", i, " has index ",
                                                     entries[i].index(), ", expected ", start + i));
    }
  }
  for (const auto& e : entries) {
    if (size_t bytes = e.ByteSizeLong(); bytes > max_entry_bytes) {
      return absl::InvalidArgumentError(absl::StrCat("append: entry ", e.index(), " is ", bytes,
                                                     " bytes, over the log's limit of ",
                                                     max_entry_bytes, " bytes per entry"));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateRange(uint64_t lo, uint64_t hi, uint64_t first, uint64_t last) {
  if (lo > hi || lo < first || hi > last + 1) {
    return absl::OutOfRangeError(
        absl::StrCat("range [", lo, ", ", hi, ") outside [", first, ", ", last + 1, ")"));
  }
  return absl::OkStatus();
}

}  // namespace warren::raft
