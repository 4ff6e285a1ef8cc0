#pragma once

#include <filesystem>
#include <string>

namespace warren::metastore {

// How a metastore member lays out its --data-dir: warrend, and the offline commands that make
// or check one (warren restore, import-zk, check), agree on it here.
inline constexpr char kMetastoreGroup[] = "metastore";  // the Raft group's name

// The Raft group's files: IDENTITY, the log, the vote, the snapshots.
inline std::string RaftDir(const std::string& data_dir) {
  return (std::filesystem::path(data_dir) / "raft").string();
}
// The znode tree's RocksDB.
inline std::string TreeDir(const std::string& data_dir) {
  return (std::filesystem::path(data_dir) / "tree").string();
}

}  // namespace warren::metastore
