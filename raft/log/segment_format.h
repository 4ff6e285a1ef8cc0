#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace warren::raft::segment {

// The on-disk format of a log segment (seg-<seq>.log): a 16-byte header (magic, then the
// sequence number), then records of [u32 payload length][u32 crc32c of type and payload]
// [u8 type][payload], then zeros (preallocated space) or the end of the file.

inline constexpr uint64_t kHeaderBytes = 16;
inline constexpr uint64_t kRecordHeaderBytes = 9;

enum RecordType : uint8_t {
  kEntry = 1,     // a serialized raftpb::Entry
  kTruncate = 2,  // u64: entries at this index and above are gone
  kPurge = 3,     // u64: entries below this index are gone
  kBase = 4,      // u64: the next entry of a segment's first record, if nothing precedes it
  kCommit = 5,    // u64: commit index
};

std::string EncodeHeader(uint64_t seq);
bool HeaderValid(std::string_view segment, uint64_t seq);
void EncodeRecord(std::string* out, RecordType type, std::string_view payload);
void EncodeU64Record(std::string* out, RecordType type, uint64_t value);

// What a segment holds at an offset.
struct Frame {
  enum Kind { kRecord, kEnd, kDamaged };
  Kind kind = kEnd;
  uint64_t end = 0;  // where the record ends, or would by its length field (maybe past the file)
  uint8_t type = 0;  // kRecord: the type and payload, checksum verified
  std::string_view payload;
  std::string damage;  // kDamaged: what is wrong
};
// Reads the frame at `offset` of a whole segment's bytes. Zeros from there to the end are kEnd.
// `verify_checksum` false is for fault tests only (warrend --unsafe-skip-checksums): a record
// whose checksum fails is taken as it reads.
Frame ReadFrame(std::string_view segment, uint64_t offset, bool verify_checksum = true);

// The offset of the first record whose checksum is valid starting at `from` or later, at any
// byte: evidence that a damaged area is not the tail of the log.
std::optional<uint64_t> FindRecord(std::string_view segment, uint64_t from);

// Whether the damaged bytes [begin, end) can be a write that a crash interrupted: part of them
// never reached the disk, which leaves them running past the end of the file, or zeros (appends
// go into preallocated or new space) in a whole disk sector or from some point to the end.
// A whole record that fails its checksum was damaged after it was written.
bool LooksTorn(std::string_view segment, uint64_t begin, uint64_t end);

// The length of `segment` without the zeros at its end.
uint64_t DataBytes(std::string_view segment);

}  // namespace warren::raft::segment
