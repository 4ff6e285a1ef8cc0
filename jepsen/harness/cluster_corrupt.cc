// The cluster's operations for the corrupt nemesis: where a member keeps its data, and
// starting a member that must refuse to (re-seeding it is Replace).
#include <filesystem>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "glog/logging.h"
#include "jepsen/harness/cluster.h"
#include "raft/log/file_util.h"

namespace warren::jepsen {
namespace {

namespace fs = std::filesystem;

// The line with which warrend says why it cannot start (metastore/server/warrend.cc).
constexpr char kRefusal[] = "cannot start: ";

}  // namespace

std::string Cluster::DataDir(int id) const { return absl::StrCat(options_.dir, "/m", id); }

absl::StatusOr<std::string> Cluster::StartExpectingRefusal(int id, absl::Duration bound) {
  const std::string log = absl::StrCat(options_.dir, "/m", id, ".log");
  uint64_t before = 0;
  std::unique_ptr<testing::Process> member;
  {
    std::lock_guard lock(mu_);
    if (members_.count(id))
      return absl::FailedPreconditionError(absl::StrCat("member ", id, " is running"));
    std::error_code ec;
    before = fs::exists(log) ? fs::file_size(log, ec) : 0;
    if (auto s = Spawn(id, /*join=*/replaced_.count(id) > 0); !s.ok()) return s;
    // Out of members_: no other fault may kill, pause or count it meanwhile.
    member = std::move(members_[id]);
    members_.erase(id);
  }
  std::optional<int> code = member->Wait(bound);
  if (!code.has_value()) {
    member.reset();  // killed
    return absl::FailedPreconditionError(
        absl::StrCat("it was still running ", absl::FormatDuration(bound), " after it started"));
  }
  auto text = ReadFile(log);
  if (!text.ok()) return text.status();
  for (absl::string_view line :
       absl::StrSplit(text->substr(std::min<size_t>(before, text->size())), '\n')) {
    if (absl::StrContains(line, kRefusal)) return std::string(line);
  }
  return absl::FailedPreconditionError(
      absl::StrCat("it exited with code ", *code, " without saying why (see m", id, ".log)"));
}

}  // namespace warren::jepsen
