// The log recovery fuzzer's seeds: clean logs of one and two segments, truncations and purges,
// a torn tail, damage in the middle, and hard-state files good and bad.
#include <string>

#include "proto/raft.pb.h"
#include "raft/log/segment_format.h"
#include "tests/fuzz/records.h"
#include "tests/fuzz/seeds.h"

namespace warren::fuzz {
namespace {

using raft::segment::RecordType;

Record Framed(uint64_t seq, RecordType type, std::string payload) {
  return {static_cast<uint8_t>((seq - 1) | type << 4), std::move(payload)};
}

Record Entry(uint64_t seq, uint64_t index, uint64_t term) {
  raftpb::Entry e;
  e.set_index(index);
  e.set_term(term);
  e.set_data("command " + std::to_string(index));
  return Framed(seq, raft::segment::kEntry, e.SerializeAsString());
}

Record U64(uint64_t seq, RecordType type, uint64_t value) {
  return Framed(seq, type, FieldWriter().U64(value).str());
}

Record Raw(uint64_t seq, std::string bytes) { return {static_cast<uint8_t>(seq - 1), bytes}; }

// Slot 0 holds (seq 1, term, vote); slot 1 was never written. The checksums are the harness's.
Record HardState(uint64_t term, uint64_t vote) {
  std::string slots = FieldWriter().U64(1).U64(term).U64(vote).U64(0).str();
  return {7 << 4, slots + std::string(32, '\0')};
}

}  // namespace

std::vector<std::pair<std::string, std::string>> Seeds() {
  using raft::segment::kBase;
  using raft::segment::kCommit;
  using raft::segment::kPurge;
  using raft::segment::kTruncate;
  return {
      Seed("clean",
           {Entry(1, 1, 1), Entry(1, 2, 1), Entry(1, 3, 1), U64(1, kCommit, 3), HardState(1, 1)}),
      Seed("two-segments", {Entry(1, 1, 1), Entry(1, 2, 1), U64(2, kBase, 3), Entry(2, 3, 2),
                            Entry(2, 4, 2), U64(2, kCommit, 4), HardState(2, 2)}),
      Seed("truncate-purge", {Entry(1, 1, 1), Entry(1, 2, 1), Entry(1, 3, 1), U64(1, kTruncate, 2),
                              Entry(1, 2, 2), U64(1, kPurge, 2), HardState(2, 3)}),
      Seed("torn-tail",
           {Entry(1, 1, 1), Entry(1, 2, 1), Raw(1, std::string("\x40\0\0\0\x12\x34", 6))}),
      Seed("damaged-middle", {Entry(1, 1, 1), Raw(1, "not a record at all"), Entry(1, 2, 1)}),
      Seed("zeros-then-record", {Entry(1, 1, 1), Raw(1, std::string(600, '\0')), Entry(1, 2, 1)}),
      Seed("bad-hard-state", {Entry(1, 1, 1), {6 << 4, "short"}}),
      Seed("hard-state-unchecked", {{6 << 4, std::string(64, '\x01')}}),
  };
}

}  // namespace warren::fuzz
