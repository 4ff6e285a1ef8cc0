#include "metastore/import/zk_data_dir.h"

#include <algorithm>
#include <filesystem>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "metastore/import/zk_snapshot.h"
#include "metastore/import/zk_txn_log.h"
#include "raft/log/file_util.h"

namespace warren::metastore::import {
namespace {

namespace fs = std::filesystem;

// ZooKeeper keeps its files in dataDir/version-2.
absl::StatusOr<fs::path> VersionDir(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return absl::NotFoundError(absl::StrCat("no directory ", dir));
  if (fs::is_directory(fs::path(dir) / "version-2", ec)) return fs::path(dir) / "version-2";
  for (const auto& f : fs::directory_iterator(dir, ec)) {
    const std::string name = f.path().filename().string();
    if (name.starts_with("snapshot.") || name.starts_with("log.")) return fs::path(dir);
  }
  return absl::NotFoundError(absl::StrCat(
      dir, " is not a ZooKeeper data directory: no version-2 directory, no snapshot.* or log.*"));
}

struct ZkFile {
  int64_t zxid;
  fs::path path;
};

// PREFIX.<hex zxid> files, by zxid ascending; `others` gets the PREFIX.* names that are not
// (a compressed snapshot: snapshot.<zxid>.gz or .snappy).
std::vector<ZkFile> ListFiles(const fs::path& dir, const std::string& prefix,
                              std::vector<std::string>* others) {
  std::vector<ZkFile> files;
  std::error_code ec;
  for (const auto& f : fs::directory_iterator(dir, ec)) {
    const std::string name = f.path().filename().string();
    if (!name.starts_with(prefix)) continue;
    uint64_t zxid = 0;
    if (absl::SimpleHexAtoi(name.substr(prefix.size()), &zxid)) {
      files.push_back({static_cast<int64_t>(zxid), f.path()});
    } else if (others != nullptr) {
      others->push_back(f.path().string());
    }
  }
  std::sort(files.begin(), files.end(),
            [](const ZkFile& a, const ZkFile& b) { return a.zxid < b.zxid; });
  return files;
}

absl::Status InFile(const absl::Status& s, const fs::path& file) {
  return absl::Status(s.code(), absl::StrCat(file.string(), ": ", s.message()));
}

std::string Hex(int64_t zxid) { return absl::StrCat("0x", absl::Hex(zxid)); }

}  // namespace

bool ZxidFollows(int64_t prev, int64_t next) {
  return next == prev + 1 || ((next >> 32) > (prev >> 32) && (next & 0xffffffff) == 1);
}

absl::StatusOr<ZkDataDir> LoadZkDataDir(const std::string& data_dir, const std::string& log_dir) {
  auto snap_dir = VersionDir(data_dir);
  if (!snap_dir.ok()) return snap_dir.status();
  auto txn_dir = log_dir.empty() ? snap_dir : VersionDir(log_dir);
  if (!txn_dir.ok()) return txn_dir.status();

  ZkDataDir out;
  std::vector<std::string> compressed;
  const std::vector<ZkFile> snapshots = ListFiles(*snap_dir, "snapshot.", &compressed);
  if (snapshots.empty()) {
    return absl::NotFoundError(absl::StrCat(
        "no snapshot in ", snap_dir->string(),
        compressed.empty() ? ""
                           : " (compressed snapshots are not read: start ZooKeeper once "
                             "with zookeeper.snapshot.compression.method unset)"));
  }
  // As FileSnap.deserialize: the newest that reads whole, else the one before, and so on.
  for (auto it = snapshots.rbegin(); it != snapshots.rend() && !out.tree; ++it) {
    auto bytes = ReadFile(it->path.string());
    auto snap = bytes.ok() ? ParseSnapshot(*bytes) : absl::StatusOr<ZkSnapshot>(bytes.status());
    if (!snap.ok()) {
      out.bad_snapshots.push_back(absl::StrCat(it->path.string(), ": ", snap.status().message()));
      continue;
    }
    out.tree.emplace(*snap);
    out.snapshot = it->path.string();
    out.snapshot_zxid = it->zxid;
  }
  if (!out.tree) {
    std::string why;
    for (const auto& b : out.bad_snapshots) absl::StrAppend(&why, "; ", b);
    return absl::DataLossError(
        absl::StrCat("no snapshot in ", snap_dir->string(), " reads whole", why));
  }

  // FileTxnLog.getLogFiles: the log that starts at or before the snapshot's zxid (log.Z
  // holds the transactions from Z on), and every later one.
  const std::vector<ZkFile> all_logs = ListFiles(*txn_dir, "log.", nullptr);
  int64_t start = 0;
  for (const ZkFile& f : all_logs) {
    if (f.zxid <= out.snapshot_zxid) start = std::max(start, f.zxid);
  }
  int64_t last = out.snapshot_zxid;
  for (const ZkFile& f : all_logs) {
    if (f.zxid < start) continue;
    auto bytes = ReadFile(f.path.string());
    if (!bytes.ok()) return bytes.status();
    auto log = ParseTxnLog(*bytes);
    if (!log.ok()) return InFile(log.status(), f.path);
    out.logs.push_back(f.path.string());
    for (const ZkLoggedTxn& t : log->txns) {
      const int64_t zxid = t.header.zxid;
      if (zxid <= last) continue;  // in the snapshot already, or read before
      if (!ZxidFollows(last, zxid)) {
        return absl::DataLossError(
            absl::StrCat(f.path.string(), ": transaction ", Hex(zxid), " follows ", Hex(last),
                         last == out.snapshot_zxid ? " (the snapshot's zxid)" : "",
                         ": the transactions in between are missing"));
      }
      out.tree->Apply(t);
      ++out.txns;
      last = zxid;
    }
    if (log->torn_at.has_value()) {
      out.torn = absl::StrCat(f.path.string(), " at offset ", *log->torn_at);
    }
  }
  out.last_zxid = last;
  out.dead_sessions = out.tree->DropDeadSessions(last);
  return out;
}

}  // namespace warren::metastore::import
