// Run under lose_unsynced.c by durable_log_test: a member's first start as far as its log
// goes (claim the data directory, open the log, append an entry, set the hard state, sync),
// then exit. Everything it synced must survive the rollback that follows.
#include <cstdio>
#include <filesystem>

#include "raft/log/segmented_log_store.h"
#include "raft/server/data_dir.h"

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  const std::filesystem::path root = argv[1];
  auto fail = [](const absl::Status& s) {
    fprintf(stderr, "%s\n", s.ToString().c_str());
    return 1;
  };
  if (auto s = warren::raft::ClaimDataDir((root / "raft").string(), "g", 1); !s.ok()) {
    return fail(s);
  }
  warren::raft::SegmentedLogOptions options;
  options.segment_bytes = 1 << 20;
  auto log = warren::raft::SegmentedLogStore::Open((root / "raft" / "log").string(), options);
  if (!log.ok()) return fail(log.status());
  warren::raftpb::Entry e;
  e.set_index(1);
  e.set_term(1);
  e.set_data("acknowledged");
  if (auto s = (*log)->Append(std::span<const warren::raftpb::Entry>(&e, 1)); !s.ok())
    return fail(s);
  warren::raftpb::HardState hs;
  hs.set_term(1);
  hs.set_commit(1);
  if (auto s = (*log)->SetHardState(hs); !s.ok()) return fail(s);
  if (auto s = (*log)->Sync(); !s.ok()) return fail(s);
  return 0;
}
