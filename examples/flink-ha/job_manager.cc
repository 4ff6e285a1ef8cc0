#include "examples/flink-ha/job_manager.h"

#include <iostream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "glog/logging.h"
#include "metastore/errors.h"
#include "metastore/ops.h"
#include "metastore/recipes/paths.h"

namespace warren::flink {
namespace {

using metastore::CheckOp;
using metastore::CreateOp;
using metastore::ErrorOf;
using metastore::SetOp;

constexpr absl::Duration kStandbyPoll = absl::Milliseconds(500);

// Lost the latch (NoNode on its check), or raced by another writer (BadVersion, NodeExists):
// no longer the one to write.
bool LostLeadership(const absl::Status& s) {
  return ErrorOf(s) == metastorepb::NO_NODE || ErrorOf(s) == metastorepb::BAD_VERSION ||
         ErrorOf(s) == metastorepb::NODE_EXISTS;
}

}  // namespace

JobManager::JobManager(metastore::MetastoreClient& client, std::string cluster, std::string job,
                       std::string name, std::string address)
    : client_(client),
      root_(absl::StrCat("/flink/", cluster)),
      job_(std::move(job)),
      name_(std::move(name)),
      address_(std::move(address)),
      election_(client, root_ + "/leader/latch", name_) {}

std::string JobManager::CounterPath() const {
  return absl::StrCat(root_, "/checkpoint_id_counter/", job_);
}
std::string JobManager::LatestPath() const {
  return absl::StrCat(root_, "/checkpoints/", job_, "/latest");
}
std::string JobManager::CheckpointPath(int64_t id) const {
  return absl::StrFormat("%s/checkpoints/%s/%019d", root_, job_, id);
}

absl::StatusOr<std::pair<int64_t, int32_t>> JobManager::ReadNumber(const std::string& path) {
  auto node = client_.GetData(path);
  if (ErrorOf(node.status()) == metastorepb::NO_NODE) return std::make_pair(int64_t{0}, -1);
  if (!node.ok()) return node.status();
  int64_t value = 0;
  if (!absl::SimpleAtoi(node->data, &value)) {
    return absl::DataLossError(absl::StrCat(path, " holds \"", node->data, "\""));
  }
  return std::make_pair(value, node->stat.version());
}

std::vector<metastorepb::Op> JobManager::FencedSet(const std::string& path, int64_t value,
                                                   int32_t version) {
  return {CheckOp(election_.node(), -1), version < 0 ? CreateOp(path, absl::StrCat(value))
                                                     : SetOp(path, absl::StrCat(value), version)};
}

absl::Status JobManager::Run(const std::atomic<bool>& stop, int64_t last, absl::Duration interval) {
  for (const std::string& dir :
       {root_ + "/checkpoint_id_counter", absl::StrCat(root_, "/checkpoints/", job_)}) {
    if (auto s = metastore::recipes::EnsurePath(client_, dir, false); !s.ok()) return s;
  }
  std::string seen_leader;
  while (!stop) {
    absl::Status s = election_.AwaitLeadership(kStandbyPoll);
    if (ErrorOf(s) == metastorepb::OPERATION_TIMEOUT) {
      auto info = client_.GetData(root_ + "/leader/connection_info");
      if (info.ok() && info->data != seen_leader) {
        seen_leader = info->data;
        std::cout << name_ << ": standing by; the leader is at " << seen_leader << std::endl;
      }
      continue;
    }
    if (!s.ok()) return s;
    s = Lead(stop, last, interval);
    if (s.ok()) return election_.Resign();  // the job is complete
    if (!LostLeadership(s) && s.code() != absl::StatusCode::kAborted) return s;
    std::cout << name_ << ": lost leadership (" << s.message() << ")" << std::endl;
    if (auto resigned = election_.Resign(); !resigned.ok()) return resigned;
  }
  return absl::OkStatus();
}

absl::Status JobManager::Lead(const std::atomic<bool>& stop, int64_t last,
                              absl::Duration interval) {
  // Publish the address where the clients and TaskManagers find the leader.
  const std::string info = root_ + "/leader/connection_info";
  if (auto s = client_.Delete(info); !s.ok() && ErrorOf(s) != metastorepb::NO_NODE) return s;
  metastorepb::Op publish = CreateOp(info, address_);
  publish.mutable_create()->set_ephemeral(true);
  if (auto s = client_.Multi({CheckOp(election_.node(), -1), publish}); !s.ok()) return s;
  std::cout << name_ << ": leading at " << address_ << std::endl;

  // Resume from the last completed checkpoint.
  auto latest = ReadNumber(LatestPath());
  if (!latest.ok()) return latest.status();
  auto counter = ReadNumber(CounterPath());
  if (!counter.ok()) return counter.status();
  if (counter->first != latest->first || counter->second < 0) {
    if (auto s = client_.Multi(FencedSet(CounterPath(), latest->first, counter->second)); !s.ok()) {
      return s;
    }
  }
  std::cout << name_ << ": resuming after checkpoint " << latest->first << std::endl;

  while (!stop && election_.HasLeadership()) {
    latest = ReadNumber(LatestPath());
    if (!latest.ok()) return latest.status();
    if (latest->first >= last) return absl::OkStatus();
    // Trigger: the next id.
    counter = ReadNumber(CounterPath());
    if (!counter.ok()) return counter.status();
    const int64_t id = counter->first + 1;
    if (auto s = client_.Multi(FencedSet(CounterPath(), id, counter->second)); !s.ok()) return s;
    absl::SleepFor(interval);  // the checkpoint is taken
    // Complete: record it and move `latest`, at the version read before the trigger.
    std::vector<metastorepb::Op> ops = FencedSet(LatestPath(), id, latest->second);
    ops.push_back(CreateOp(CheckpointPath(id), name_));
    if (auto s = client_.Multi(ops); !s.ok()) return s;
    std::cout << name_ << ": completed checkpoint " << id << std::endl;
  }
  return absl::AbortedError("no longer the leader");
}

}  // namespace warren::flink
