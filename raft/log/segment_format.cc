#include "raft/log/segment_format.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "raft/log/crc32c.h"
#include "raft/log/file_util.h"

namespace warren::raft::segment {
namespace {

constexpr char kMagic[8] = {'W', 'R', 'N', 'L', 'O', 'G', '0', '1'};
// Disks write whole sectors; a torn write loses some of them.
constexpr uint64_t kSectorBytes = 512;

bool AllZero(std::string_view s) { return s.find_first_not_of('\0') == std::string_view::npos; }

// The record at `offset` if it is whole and its checksum matches.
std::optional<Frame> ValidRecordAt(std::string_view segment, uint64_t offset,
                                   bool verify_checksum = true) {
  if (segment.size() - offset < kRecordHeaderBytes) return std::nullopt;
  const char* p = segment.data() + offset;
  const uint32_t length = GetFixed32(p);
  const uint64_t end = offset + kRecordHeaderBytes + length;
  if (end > segment.size()) return std::nullopt;
  std::string_view typed(p + 8, 1 + length);
  if (verify_checksum && Crc32c(typed) != GetFixed32(p + 4)) return std::nullopt;
  Frame frame;
  frame.kind = Frame::kRecord;
  frame.end = end;
  frame.type = static_cast<uint8_t>(typed[0]);
  frame.payload = typed.substr(1);
  return frame;
}

Frame Damaged(std::string what, uint64_t end) {
  Frame frame;
  frame.kind = Frame::kDamaged;
  frame.end = end;
  frame.damage = std::move(what);
  return frame;
}

}  // namespace

std::string EncodeHeader(uint64_t seq) {
  std::string head(kMagic, 8);
  PutFixed64(&head, seq);
  return head;
}

bool HeaderValid(std::string_view segment, uint64_t seq) {
  return segment.size() >= kHeaderBytes && segment.substr(0, 8) == std::string_view(kMagic, 8) &&
         GetFixed64(segment.data() + 8) == seq;
}

void EncodeRecord(std::string* out, RecordType type, std::string_view payload) {
  std::string typed(1, static_cast<char>(type));
  typed.append(payload);
  PutFixed32(out, static_cast<uint32_t>(payload.size()));
  PutFixed32(out, Crc32c(typed));
  out->append(typed);
}

void EncodeU64Record(std::string* out, RecordType type, uint64_t value) {
  std::string payload;
  PutFixed64(&payload, value);
  EncodeRecord(out, type, payload);
}

Frame ReadFrame(std::string_view segment, uint64_t offset, bool verify_checksum) {
  std::string_view rest = segment.substr(offset);
  if (rest.size() < kRecordHeaderBytes || AllZero(rest.substr(0, kRecordHeaderBytes))) {
    // The end of the records (preallocated zeros may follow), unless more data does.
    if (AllZero(rest)) return Frame{};
    return Damaged(rest.size() < kRecordHeaderBytes ? "torn record header"
                                                    : "zeroed record header before more data",
                   offset + kRecordHeaderBytes);
  }
  if (auto record = ValidRecordAt(segment, offset, verify_checksum)) return *record;
  const uint32_t length = GetFixed32(rest.data());
  const uint64_t end = offset + kRecordHeaderBytes + length;
  if (end > segment.size()) {
    return Damaged(absl::StrCat("record of ", length, " bytes runs past the end of the segment"),
                   end);
  }
  return Damaged("checksum mismatch", end);
}

std::optional<uint64_t> FindRecord(std::string_view segment, uint64_t from) {
  for (uint64_t at = from; at + kRecordHeaderBytes <= segment.size(); ++at) {
    const uint8_t type = static_cast<uint8_t>(segment[at + 8]);
    if (type < kEntry || type > kCommit) continue;  // cheap: most bytes are not a record's type
    if (ValidRecordAt(segment, at).has_value()) return at;
  }
  return std::nullopt;
}

bool LooksTorn(std::string_view segment, uint64_t begin, uint64_t end) {
  if (end > segment.size()) return true;
  // Zeros from the record's last byte to the end of the file: the write stopped there. A
  // whole record can end in a zero byte too (the u64 records always do) and be taken for a
  // torn one if damaged elsewhere; losing such a last commit, truncate or purge record is
  // harmless (Raft relearns the commit index; a log that skips a truncation or purge is one
  // that crashed before it), and entries written by the runtime end in a nonzero byte.
  if (AllZero(segment.substr(end - 1))) return true;
  // A whole sector of the record lost. Only whole sectors: a few zero bytes at a record's
  // edge are as likely its own data.
  for (uint64_t lo = (begin / kSectorBytes + 1) * kSectorBytes; lo + kSectorBytes <= end;
       lo += kSectorBytes) {
    if (AllZero(segment.substr(lo, kSectorBytes))) return true;
  }
  return false;
}

uint64_t DataBytes(std::string_view segment) {
  size_t last = segment.find_last_not_of('\0');
  return last == std::string_view::npos ? 0 : last + 1;
}

}  // namespace warren::raft::segment
