#include "metastore/cli/check_command.h"

#include <filesystem>
#include <iostream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "metastore/cli/output.h"
#include "metastore/data_layout.h"
#include "metastore/errors.h"
#include "metastore/znode_tree.h"
#include "raft/core/raft.h"
#include "raft/log/file_util.h"
#include "raft/log/segmented_log_store.h"
#include "raft/server/snapshot_store.h"

namespace warren::metastore::cli {
namespace {

namespace fs = std::filesystem;

// One finding, as text or a JSON object, as it is found.
struct Report {
  std::vector<std::string> json_fields;
  void Line(const std::string& key, const std::string& text) {
    if (Json()) {
      json_fields.push_back(absl::StrCat(JsonString(key), ":", JsonString(text)));
    } else {
      std::cout << key << ": " << text << "\n";
    }
  }
  int Finish(const absl::Status& verdict) {
    if (Json()) {
      std::cout << "{" << absl::StrJoin(json_fields, ",") << (json_fields.empty() ? "" : ",")
                << "\"ok\":" << (verdict.ok() ? "true" : "false")
                << (verdict.ok() ? "" : ",\"error\":" + JsonString(std::string(verdict.message())))
                << "}\n";
      return verdict.ok() ? 0 : 1;
    }
    if (verdict.ok()) {
      std::cout << "ok: the member would start\n";
      return 0;
    }
    return Fail(verdict);
  }
};

// The snapshots, newest first, each verified. As on starting, a damaged newest snapshot is
// fatal (older ones are not used); returns the newest's metadata, if any.
absl::StatusOr<std::optional<raftpb::SnapshotMetadata>> CheckSnapshots(const std::string& dir,
                                                                       Report& report) {
  const std::vector<std::string> paths = raft::SnapshotStore::ListNewestFirst(dir);
  if (paths.empty()) {
    report.Line("snapshots", "none");
    return std::nullopt;
  }
  auto newest = raft::SnapshotStore::Verify(paths.front());
  if (!newest.ok()) return newest.status();
  report.Line("snapshots", absl::StrCat(paths.size(), ", the newest at index ", newest->index(),
                                        " term ", newest->header.metadata().term(), " (verified)"));
  return newest->header.metadata();
}

absl::Status CheckDataDir(const std::string& data_dir, Report& report) {
  if (!fs::is_directory(data_dir)) return absl::NotFoundError("no directory " + data_dir);
  const fs::path raft_dir = RaftDir(data_dir);
  auto identity = ReadFile((raft_dir / "IDENTITY").string());
  report.Line("identity", identity.ok()
                              ? absl::StrReplaceAll(absl::StripTrailingAsciiWhitespace(*identity),
                                                    {{"\n", ", "}})
                              : "none (a member that never started)");

  auto log = raft::SegmentedLogStore::Check((raft_dir / "log").string());
  if (!log.ok() && log.status().code() != absl::StatusCode::kNotFound) return log.status();
  raft::SegmentedLogStore::CheckResult empty_log;
  empty_log.first_index = 1;  // as a new log: no entries
  const auto& l = log.ok() ? *log : empty_log;
  report.Line("hard state", absl::StrCat("term ", l.hard_state.term(), ", vote ",
                                         l.hard_state.vote(), ", commit ", l.hard_state.commit()));
  report.Line("log", absl::StrCat(l.recovery.segments, " segment(s), ", l.recovery.records,
                                  " records, entries ", l.first_index, " to ", l.last_index,
                                  " (every record verified)"));
  if (l.recovery.truncated_at.has_value()) {
    report.Line("torn tail",
                absl::StrCat("the last write was torn by a crash: warrend will cut ",
                             l.recovery.bytes_dropped, " bytes at ", *l.recovery.truncated_at));
  }

  auto snapshot = CheckSnapshots((raft_dir / "snapshots").string(), report);
  if (!snapshot.ok()) return snapshot.status();

  TreeOptions tree_options;
  tree_options.dir = TreeDir(data_dir);
  tree_options.read_only = true;
  auto tree = ZNodeTree::Open(tree_options, nullptr);
  uint64_t applied = 0;
  if (tree.ok()) {
    applied = (*tree)->LastApplied();
    report.Line("tree", absl::StrCat("applied index ", applied, ", ", (*tree)->node_count(),
                                     " znodes, ", (*tree)->Sessions().size(),
                                     " sessions (every record read and checksummed)"));
  } else if (tree.status().code() == absl::StatusCode::kNotFound) {
    report.Line("tree", "none");
  } else {
    return tree.status();
  }

  // What the runtime checks between them on starting (Division::LoadRaftState).
  const bool raft_fresh =
      l.last_index < l.first_index && l.hard_state.term() == 0 && !snapshot->has_value();
  if (raft_fresh && applied > 0) {
    return absl::DataLossError(absl::StrCat(
        "the tree has applied up to index ", applied,
        " but the Raft log, vote and snapshots are gone: re-seed this member (docs/embedding.md)"));
  }
  if (snapshot->has_value()) {
    const raftpb::SnapshotMetadata& meta = **snapshot;
    const bool in_log = l.first_index <= meta.index() && meta.index() <= l.last_index;
    if (raft::CompareLogWithSnapshot(meta, in_log ? std::optional(meta.term()) : std::nullopt,
                                     l.first_index,
                                     l.last_index) == raft::LogBesideSnapshot::kGap) {
      return absl::DataLossError(absl::StrCat("the log starts at index ", l.first_index,
                                              " but the newest snapshot ends at ", meta.index(),
                                              "; entries in between are missing"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

int Check(const Args& args) {
  if (args.size() != 1) return Usage("check DATA_DIR (a stopped member's --data-dir)");
  Report report;
  return report.Finish(CheckDataDir(args[0], report));
}

}  // namespace warren::metastore::cli
