// libFuzzer target for a member's recovery of its log and hard state: the input's bytes become
// segment files and the hard-state file of a log directory, which SegmentedLogStore::Check and
// Open then read, as a restarting member (or `warren check`) does. Input: records (records.h),
// by ctl:
//   bits 0-2   which segment (seg-1 .. seg-8);
//   bits 4-6   0: the body is appended to that segment as it is; 1..5: the body is appended as
//              a record of that type (segment_format.h) with its checksum right, after the
//              segment's header if it has none; 6: the body is the hard-state file; 7: the
//              same, with each 32-byte slot's checksum made right.
// Aborts if anything crashes, if Check and Open disagree, or if a log that opened cannot read
// every entry it reports, recovered an index or a term at 2^63 or above (which would wrap),
// does not open the same again, or cannot take an entry after its last and a new hard state
// and find them at the next start.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "raft/log/crc32c.h"
#include "raft/log/file_util.h"
#include "raft/log/segment_format.h"
#include "raft/log/segmented_log_store.h"
#include "tests/fuzz/harness.h"
#include "tests/fuzz/records.h"
#include "tests/fuzz/temp_dir.h"

namespace warren::raft::fuzz {
namespace {

using warren::fuzz::Record;

constexpr size_t kMaxInputBytes = 1 << 16;
constexpr size_t kMaxRecords = 256;
constexpr size_t kSlotBytes = 32;  // hard_state_file.cc: seq, term, vote, crc32c, padding
constexpr size_t kSlotPayloadBytes = 24;

// LOG_FUZZ_TRACE=1: what recovery made of an input, on stderr.
const bool kTrace = getenv("LOG_FUZZ_TRACE") != nullptr;

[[noreturn]] void Violation(const std::string& what) {
  warren::fuzz::Violation("log_recovery_fuzzer", what);
}

struct Files {
  std::map<uint64_t, std::string> segments;  // by sequence number
  std::optional<std::string> hard_state;
};

std::string WithSlotChecksums(std::string bytes) {
  for (size_t at = 0; at + kSlotBytes <= bytes.size(); at += kSlotBytes) {
    std::string crc;
    PutFixed32(&crc, Crc32c(std::string_view(bytes).substr(at, kSlotPayloadBytes)));
    bytes.replace(at + kSlotPayloadBytes, 4, crc);
  }
  return bytes;
}

Files Build(const std::vector<Record>& records) {
  Files files;
  for (const Record& r : records) {
    const uint64_t seq = (r.ctl & 7) + 1;
    const int kind = (r.ctl >> 4) & 7;
    if (kind == 6) {
      files.hard_state = r.body;
    } else if (kind == 7) {
      files.hard_state = WithSlotChecksums(r.body);
    } else if (kind == 0) {
      files.segments[seq] += r.body;
    } else {
      std::string& segment = files.segments[seq];
      if (segment.empty()) segment = segment::EncodeHeader(seq);
      segment::EncodeRecord(&segment, static_cast<segment::RecordType>(kind), r.body);
    }
  }
  return files;
}

void Write(const Files& files, const std::filesystem::path& dir) {
  auto write = [](const std::filesystem::path& path, const std::string& bytes) {
    FILE* f = fopen(path.c_str(), "wb");
    if (f == nullptr || fwrite(bytes.data(), 1, bytes.size(), f) != bytes.size()) {
      Violation(absl::StrCat("cannot write ", path.string()));
    }
    fclose(f);
  };
  for (const auto& [seq, bytes] : files.segments) {
    write(dir / absl::StrFormat("seg-%020u.log", seq), bytes);
  }
  if (files.hard_state.has_value()) write(dir / "hardstate", *files.hard_state);
}

std::string Describe(uint64_t first, uint64_t last, const raftpb::HardState& hs) {
  return absl::StrCat("[", first, ", ", last, "] ", hs.ShortDebugString());
}

// Every entry the log reports reads back, in order, with the term Term gives.
void ReadAll(const SegmentedLogStore& log) {
  auto entries = log.Read(log.FirstIndex(), log.LastIndex() + 1);
  if (!entries.ok())
    Violation(absl::StrCat("a recovered log cannot be read: ", entries.status().ToString()));
  if (entries->size() != log.LastIndex() + 1 - log.FirstIndex()) {
    Violation("a recovered log reads fewer entries than it reports");
  }
  uint64_t index = log.FirstIndex();
  for (const raftpb::Entry& e : *entries) {
    auto term = log.Term(index);
    if (e.index() != index || !term.ok() || *term != e.term()) {
      Violation(absl::StrCat("entry ", index, " reads wrong"));
    }
    ++index;
  }
}

void Run(const std::vector<Record>& records) {
  warren::fuzz::TempDir dir;
  Write(Build(records), dir.path());
  const std::string path = dir.path().string();
  SegmentedLogOptions options;
  options.segment_bytes = 1 << 16;
  options.preallocate = false;
  auto check = SegmentedLogStore::Check(path, options);
  if (kTrace) {
    fprintf(stderr, "check: %s\n",
            check.ok() ? Describe(check->first_index, check->last_index, check->hard_state).c_str()
                       : check.status().ToString().c_str());
  }
  std::string opened;
  {
    auto log = SegmentedLogStore::Open(path, options);
    if (log.ok() != check.ok()) {
      Violation(absl::StrCat("Check says ", check.status().ToString(), "; Open says ",
                             log.status().ToString()));
    }
    if (!log.ok()) return;
    opened = Describe((*log)->FirstIndex(), (*log)->LastIndex(), (*log)->hard_state());
    if (opened != Describe(check->first_index, check->last_index, check->hard_state)) {
      Violation(absl::StrCat("Check found ",
                             Describe(check->first_index, check->last_index, check->hard_state),
                             "; Open found ", opened));
    }
    const SegmentedLogStore& opened_log = **log;
    if (opened_log.FirstIndex() > kMaxTermOrIndex || opened_log.LastIndex() > kMaxTermOrIndex ||
        opened_log.hard_state().term() > kMaxTermOrIndex) {
      Violation(absl::StrCat("recovered an index or term that wraps: ", opened));
    }
    ReadAll(opened_log);
  }
  // Open cut what it had to: the same log opens again, clean, and takes the next entry.
  auto again = SegmentedLogStore::Open(path, options);
  if (!again.ok())
    Violation(absl::StrCat("a recovered log does not open again: ", again.status().ToString()));
  SegmentedLogStore& log = **again;  // reset below, before the third opening
  if (Describe(log.FirstIndex(), log.LastIndex(), log.hard_state()) != opened) {
    Violation("a recovered log opens differently the second time");
  }
  if (log.recovery().truncated_at.has_value()) Violation("a torn tail survived its cutting");
  raftpb::Entry next;
  next.set_index(log.LastIndex() + 1);
  next.set_term(std::max<uint64_t>(1, log.Term(log.LastIndex()).value_or(1)));
  next.set_data("next");
  if (auto s = log.Append({&next, 1}); !s.ok())
    Violation(absl::StrCat("no append: ", s.ToString()));
  raftpb::HardState next_state = log.hard_state();
  next_state.set_term(std::min(next_state.term() + 1, kMaxTermOrIndex));
  next_state.set_vote(2);
  if (auto s = log.SetHardState(next_state); !s.ok()) {
    Violation(absl::StrCat("no hard state: ", s.ToString()));
  }
  if (auto s = log.Sync(); !s.ok()) Violation(absl::StrCat("no sync: ", s.ToString()));
  ReadAll(log);
  again->reset();
  // What was synced is what the next start finds.
  auto third = SegmentedLogStore::Open(path, options);
  if (!third.ok())
    Violation(absl::StrCat("the log does not open a third time: ", third.status().ToString()));
  if ((*third)->LastIndex() != next.index() || (*third)->hard_state().term() != next_state.term() ||
      (*third)->hard_state().vote() != next_state.vote()) {
    Violation(absl::StrCat("synced ", next.index(), " and ", next_state.ShortDebugString(),
                           "; found ", (*third)->LastIndex(), " and ",
                           (*third)->hard_state().ShortDebugString()));
  }
}

}  // namespace
}  // namespace warren::raft::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace warren::raft::fuzz;
  if (size > kMaxInputBytes) return 0;
  Run(warren::fuzz::ParseRecords(data, size, kMaxRecords));
  return 0;
}
