#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "raft/log/segmented_log_store.h"

namespace warren::raft::testing {

std::string ReadBytes(const std::filesystem::path& p);
void WriteBytes(const std::filesystem::path& p, const std::string& bytes);

// The log's segment files, oldest first.
std::vector<std::filesystem::path> SegmentFiles(const std::string& dir);

// Every file in `dir` with its bytes, to check that something left them alone.
std::map<std::string, std::string> DirContents(const std::string& dir);

// Writes `batches` synced batches of `batch_size` entries (term 1, 100 bytes of data each) into
// `dir`, as the runtime does: the entries, then the commit index (their last), then one Sync.
void BuildSyncedLog(const std::string& dir, const SegmentedLogOptions& options, uint64_t batches,
                    uint64_t batch_size);

}  // namespace warren::raft::testing
