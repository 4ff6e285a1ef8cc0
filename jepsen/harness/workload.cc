#include "jepsen/harness/workload.h"

#include "absl/strings/str_cat.h"
#include "metastore/errors.h"

namespace warren::jepsen {

std::unique_ptr<Workload> MakeRegisterWorkload(WorkloadContext ctx);
std::unique_ptr<Workload> MakeCounterWorkload(WorkloadContext ctx);
std::unique_ptr<Workload> MakeSequentialWorkload(WorkloadContext ctx);
std::unique_ptr<Workload> MakeSessionWorkload(WorkloadContext ctx);
std::unique_ptr<Workload> MakeWatchWorkload(WorkloadContext ctx);

std::unique_ptr<metastore::MetastoreClient> WorkloadContext::Connect(int home) const {
  metastore::ClientOptions o;
  o.endpoints = cluster->EndpointsFrom(home % cluster->nodes() + 1);
  o.request_timeout = request_timeout;
  o.leader_only = leader_only;
  o.shuffle = false;
  return std::move(*metastore::MetastoreClient::Connect(o));
}

bool OutcomeUnknown(const absl::Status& s) {
  switch (metastore::ErrorOf(s)) {
    case metastorepb::OK:
    case metastorepb::NO_NODE:
    case metastorepb::NODE_EXISTS:
    case metastorepb::BAD_VERSION:
    case metastorepb::NOT_EMPTY:
    case metastorepb::INVALID_PATH:
    case metastorepb::BAD_ARGUMENTS:
      return false;
    default:
      return true;  // unavailable, timeouts, lost connections: perhaps applied
  }
}

absl::StatusOr<std::unique_ptr<Workload>> MakeWorkload(const std::string& name,
                                                       WorkloadContext ctx) {
  if (name == "register") return MakeRegisterWorkload(std::move(ctx));
  if (name == "counter") return MakeCounterWorkload(std::move(ctx));
  if (name == "sequential") return MakeSequentialWorkload(std::move(ctx));
  if (name == "session") return MakeSessionWorkload(std::move(ctx));
  if (name == "watch") return MakeWatchWorkload(std::move(ctx));
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown --workload '", name, "' (register, sequential, session, counter, watch)"));
}

}  // namespace warren::jepsen
