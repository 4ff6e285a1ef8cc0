#include "raft/server/data_dir.h"

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "raft/log/file_util.h"

namespace warren::raft {

absl::Status ClaimDataDir(const std::string& dir, const std::string& group, uint64_t id) {
  namespace fs = std::filesystem;
  if (auto s = CreateDirDurably(dir); !s.ok()) {
    return absl::PermissionDeniedError(absl::StrCat("create data directory: ", s.message()));
  }
  std::string path = (fs::path(dir) / "IDENTITY").string();
  std::string want = absl::StrCat("group ", group, "\nmember ", id, "\n");
  if (!fs::exists(path)) {
    if (!fs::is_empty(dir)) {
      return absl::FailedPreconditionError(absl::StrCat(
          "data directory ", dir, " is not empty but has no IDENTITY file; refusing to use it"));
    }
    return WriteFileAtomically(path, want);
  }
  auto have = ReadFile(path);
  if (!have.ok()) return have.status();
  if (*have != want) {
    std::string h = *have;
    for (char& c : h) c = c == '\n' ? ' ' : c;
    return absl::FailedPreconditionError(absl::StrCat("data directory ", dir, " belongs to ", h,
                                                      "not to group ", group, " member ", id));
  }
  return absl::OkStatus();
}

}  // namespace warren::raft
