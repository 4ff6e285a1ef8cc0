#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "proto/raft.pb.h"

namespace warren::raft::testing {

// A fresh directory under the test's temp dir, removed when the object goes away.
class TempDir {
 public:
  explicit TempDir(const std::string& name);
  ~TempDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

inline raftpb::Entry MakeEntry(uint64_t index, uint64_t term, size_t bytes = 16) {
  raftpb::Entry e;
  e.set_index(index);
  e.set_term(term);
  std::string data(bytes, '\0');
  for (size_t i = 0; i < bytes; ++i) data[i] = static_cast<char>('a' + (index * 7 + i) % 26);
  e.set_data(data);
  return e;
}

// An entry whose serialized size is exactly `bytes` (at least 8).
inline raftpb::Entry MakeEntryOfSize(uint64_t index, uint64_t term, size_t bytes) {
  raftpb::Entry e = MakeEntry(index, term, 0);
  size_t data = bytes - e.ByteSizeLong() - 2;  // the data field's tag and length take >= 2
  for (int i = 0; i < 8; ++i) {
    e.mutable_data()->resize(data, 'x');
    const size_t size = e.ByteSizeLong();
    if (size == bytes) break;
    data = data + bytes - size;  // the length's varint may have grown or shrunk by a byte
  }
  return e;
}

inline std::vector<raftpb::Entry> MakeEntries(uint64_t lo, uint64_t hi, uint64_t term,
                                              size_t bytes = 16) {
  std::vector<raftpb::Entry> out;
  for (uint64_t i = lo; i < hi; ++i) out.push_back(MakeEntry(i, term, bytes));
  return out;
}

}  // namespace warren::raft::testing
