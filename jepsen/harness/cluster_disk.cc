// The Cluster's disk faults: members run under lose_unsynced.c, and a killed member's
// unsynced writes can be rolled back (docs/fault-testing.md, "Losing unsynced writes").
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "jepsen/harness/cluster.h"

namespace warren::jepsen {

std::string LoseUnsyncedShim(const std::string& warrend) {
  const std::filesystem::path bin = std::filesystem::absolute(warrend).parent_path();
  return (bin.parent_path() / "lib" / "libwarren_lose_unsynced.so").string();
}

UnsyncedFiles Cluster::UnsyncedFilesOf(int id) const {
  const std::string m = DataDir(id);
  return {m, m + ".unsynced", m + ".stash"};
}

std::vector<std::string> Cluster::LoseUnsyncedEnv(int id) const {
  if (options_.lose_unsynced_shim.empty()) return {};
  return UnsyncedEnvironment(options_.lose_unsynced_shim, UnsyncedFilesOf(id));
}

void Cluster::ForgetUnsynced(int id) {
  const UnsyncedFiles f = UnsyncedFilesOf(id);
  std::error_code ec;
  std::filesystem::remove(f.journal, ec);
  std::filesystem::remove_all(f.stash, ec);
}

absl::StatusOr<RollbackResult> Cluster::LoseUnsynced(int id, bool torn, uint64_t seed) {
  if (options_.lose_unsynced_shim.empty()) {
    return absl::FailedPreconditionError("the members do not run under lose_unsynced");
  }
  std::lock_guard lock(mu_);  // no restart meanwhile
  if (members_.count(id)) {
    return absl::FailedPreconditionError(absl::StrCat("member ", id, " is running"));
  }
  return RollBackUnsynced(UnsyncedFilesOf(id), torn, seed);
}

}  // namespace warren::jepsen
