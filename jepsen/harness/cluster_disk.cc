// The cluster's operations on members' disks: where a member keeps its data, starting a
// member that must refuse to, and re-seeding a member whose data is damaged or lost.
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

// Retries a membership change until it is accepted: a re-seed may overlap other faults, which
// leave the group without a leader for a while. An error saying `done` means that an earlier
// attempt, whose reply was lost, was applied.
absl::Status ChangeUntilAccepted(metastore::MetastoreClient& admin,
                                 const raftpb::MembershipRequest& change, const std::string& done,
                                 absl::Duration bound) {
  absl::Status s;
  for (const absl::Time deadline = absl::Now() + bound; absl::Now() < deadline;) {
    s = admin.ChangeMembership(change);
    if (s.ok() || absl::StrContains(s.message(), done)) return absl::OkStatus();
    absl::SleepFor(absl::Milliseconds(300));
  }
  return s;
}

}  // namespace

std::string Cluster::DataDir(int id) const { return absl::StrCat(options_.dir, "/m", id); }

absl::StatusOr<std::string> Cluster::StartExpectingRefusal(int id, absl::Duration bound) {
  if (members_.count(id))
    return absl::FailedPreconditionError(absl::StrCat("member ", id, " is running"));
  const std::string log = absl::StrCat(options_.dir, "/m", id, ".log");
  std::error_code ec;
  const uint64_t before = fs::exists(log) ? fs::file_size(log, ec) : 0;
  if (auto s = Spawn(id, /*join=*/replaced_.count(id) > 0); !s.ok()) return s;
  std::optional<int> code = members_[id]->Wait(bound);
  if (!code.has_value()) {
    (void)Kill(id);
    return absl::FailedPreconditionError(
        absl::StrCat("it was still running ", absl::FormatDuration(bound), " after it started"));
  }
  members_.erase(id);
  auto text = ReadFile(log);
  if (!text.ok()) return text.status();
  for (absl::string_view line :
       absl::StrSplit(text->substr(std::min<size_t>(before, text->size())), '\n')) {
    if (absl::StrContains(line, kRefusal)) return std::string(line);
  }
  return absl::FailedPreconditionError(
      absl::StrCat("it exited with code ", *code, " without saying why (see m", id, ".log)"));
}

absl::Status Cluster::Reseed(int id) {
  if (members_.count(id))
    return absl::FailedPreconditionError(absl::StrCat("member ", id, " is running"));
  const absl::Duration bound = absl::Seconds(30);
  raftpb::MembershipRequest remove;
  remove.set_op(raftpb::MembershipRequest::REMOVE);
  remove.set_id(id);
  if (auto s = ChangeUntilAccepted(*admin_, remove, "is not in the group", bound); !s.ok())
    return s;
  std::error_code ec;
  fs::remove_all(DataDir(id), ec);
  if (ec) return absl::InternalError(absl::StrCat("remove ", DataDir(id), ": ", ec.message()));
  replaced_.insert(id);
  if (auto s = Spawn(id, /*join=*/true); !s.ok()) return s;
  raftpb::MembershipRequest add;
  add.set_op(raftpb::MembershipRequest::ADD_LEARNER);
  add.set_id(id);
  add.set_address(Endpoint(id));
  if (auto s = ChangeUntilAccepted(*admin_, add, "is already in the group", bound); !s.ok())
    return s;
  raftpb::MembershipRequest promote;
  promote.set_op(raftpb::MembershipRequest::PROMOTE);
  promote.set_id(id);
  return ChangeUntilAccepted(*admin_, promote, "is not a learner", bound);
}

}  // namespace warren::jepsen
