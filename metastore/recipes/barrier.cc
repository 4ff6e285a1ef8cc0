#include "metastore/recipes/barrier.h"

#include "absl/time/clock.h"
#include "metastore/errors.h"
#include "metastore/path.h"
#include "metastore/recipes/paths.h"

namespace warren::metastore::recipes {
namespace {

constexpr char kReady[] = "ready";

bool IsOkOr(const absl::Status& s, metastorepb::Error also_fine) {
  return s.ok() || ErrorOf(s) == also_fine;
}

}  // namespace

Barrier::Barrier(MetastoreClient& client, std::string path)
    : client_(client), path_(std::move(path)), waiter_(client) {}

absl::Status Barrier::Set() {
  auto created = CreateWithParents(client_, path_, "", {}, /*container_parents=*/false);
  return IsOkOr(created.status(), metastorepb::NODE_EXISTS) ? absl::OkStatus() : created.status();
}

absl::Status Barrier::Remove() {
  absl::Status s = client_.Delete(path_);
  return IsOkOr(s, metastorepb::NO_NODE) ? absl::OkStatus() : s;
}

absl::Status Barrier::Wait(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    waiter_.Arm(path_);
    auto exists = client_.Exists(path_, /*watch=*/true);
    if (!exists.ok()) return exists.status();
    if (!exists->has_value()) return absl::OkStatus();
    if (auto s = waiter_.Wait(path_, deadline); !s.ok()) return s;
  }
}

DoubleBarrier::DoubleBarrier(MetastoreClient& client, std::string root, std::string member,
                             int count)
    : client_(client),
      root_(std::move(root)),
      member_(ChildPath(root_, member)),
      ready_(ChildPath(root_, kReady)),
      count_(count),
      waiter_(client) {}

absl::StatusOr<int> DoubleBarrier::Members(bool watch) {
  auto children = client_.GetChildren(root_, watch);
  if (!children.ok()) return children.status();
  int members = 0;
  for (const auto& c : children->children) members += c.name() != kReady ? 1 : 0;
  return members;
}

absl::Status DoubleBarrier::Enter(absl::Duration timeout) {
  if (count_ < 1)
    return MetaError(metastorepb::BAD_ARGUMENTS, root_ + ": count must be at least 1");
  if (BaseName(member_) == kReady) {
    return MetaError(metastorepb::BAD_ARGUMENTS, member_ + ": \"ready\" is reserved");
  }
  const absl::Time deadline = absl::Now() + timeout;
  // Watch for the ready flag before entering, so that it cannot be missed.
  waiter_.Arm(ready_);
  auto ready = client_.Exists(ready_, /*watch=*/true);
  if (!ready.ok()) return ready.status();
  CreateOptions opts;
  opts.ephemeral = true;
  auto created = CreateWithParents(client_, member_, "", opts, /*container_parents=*/false);
  if (!IsOkOr(created.status(), metastorepb::NODE_EXISTS)) return created.status();
  if (ready->has_value()) return absl::OkStatus();
  auto members = Members(/*watch=*/false);
  if (!members.ok()) return members.status();
  if (*members >= count_) {
    auto flag = client_.Create(ready_, "");
    return IsOkOr(flag.status(), metastorepb::NODE_EXISTS) ? absl::OkStatus() : flag.status();
  }
  return waiter_.Wait(ready_, deadline);
}

absl::Status DoubleBarrier::Leave(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  if (auto s = client_.Delete(member_); !IsOkOr(s, metastorepb::NO_NODE)) return s;
  while (true) {
    waiter_.Arm(root_);
    auto members = Members(/*watch=*/true);
    if (!members.ok()) return members.status();
    if (*members == 0) {
      // The last to see everyone gone lowers the flag for the next round.
      absl::Status s = client_.Delete(ready_);
      return IsOkOr(s, metastorepb::NO_NODE) ? absl::OkStatus() : s;
    }
    if (auto s = waiter_.Wait(root_, deadline); !s.ok()) return s;
  }
}

}  // namespace warren::metastore::recipes
