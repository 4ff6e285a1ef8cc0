#include "jepsen/harness/workload.h"

#include "absl/strings/str_cat.h"
#include "jepsen/harness/zookeeper_client.h"
#include "metastore/errors.h"

namespace warren::jepsen {

std::unique_ptr<Workload> MakeRegisterWorkload(WorkloadContext ctx);
std::unique_ptr<Workload> MakeCounterWorkload(WorkloadContext ctx);
std::unique_ptr<Workload> MakeSequentialWorkload(WorkloadContext ctx);
std::unique_ptr<Workload> MakeSessionWorkload(WorkloadContext ctx);
std::unique_ptr<Workload> MakeWatchWorkload(WorkloadContext ctx);
std::unique_ptr<Workload> MakeAppendWorkload(WorkloadContext ctx);

namespace {

// A ZooKeeper client without a session of its own still has one, of this timeout: the C
// client's only bound on a call, which fails once its connection has been silent for 2/3 of
// it.
constexpr absl::Duration kZooKeeperSessionTimeout = absl::Seconds(10);

ZooKeeperClientOptions ZooKeeperOptions(const WorkloadContext& ctx, int home) {
  ZooKeeperClientOptions o;
  o.hosts = ctx.cluster->ZooKeeperEndpointsFrom(home);
  o.hosts_now = [cluster = ctx.cluster, home] { return cluster->ZooKeeperEndpointsFrom(home); };
  o.session_timeout = kZooKeeperSessionTimeout;
  return o;
}

metastore::ClientOptions GrpcOptions(const WorkloadContext& ctx, int home) {
  metastore::ClientOptions o;
  o.endpoints = ctx.cluster->EndpointsFrom(home);
  o.request_timeout = ctx.request_timeout;
  o.leader_only = ctx.leader_only;
  o.shuffle = false;
  return o;
}

}  // namespace

std::unique_ptr<Client> WorkloadContext::Connect(int home) const {
  if (api == ClientApi::kZooKeeper) {
    // Without a session of its own it connects at its first call: never an error here.
    return std::move(*ConnectZooKeeper(ZooKeeperOptions(*this, home)));
  }
  return GrpcClient(std::move(*metastore::MetastoreClient::Connect(GrpcOptions(*this, home))));
}

absl::StatusOr<std::unique_ptr<Client>> WorkloadContext::ConnectWithSession(
    int home, absl::Duration timeout) const {
  if (api == ClientApi::kZooKeeper) {
    ZooKeeperClientOptions o = ZooKeeperOptions(*this, home);
    o.session_timeout = timeout;
    o.own_session = true;
    return ConnectZooKeeper(o);
  }
  auto client = metastore::MetastoreClient::Connect(GrpcOptions(*this, home));
  if (!client.ok()) return client.status();
  if (auto s = (*client)->StartSession(timeout); !s.ok()) return s;
  return GrpcClient(std::move(*client));
}

absl::Status CreateIfMissing(const WorkloadContext& ctx, const std::string& path,
                             const std::string& data) {
  auto s = ctx.cluster->admin()->Create(path, data);
  if (!s.ok() && metastore::ErrorOf(s.status()) != metastorepb::NODE_EXISTS) return s.status();
  return absl::OkStatus();
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
  if (name == "append") return MakeAppendWorkload(std::move(ctx));
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown --workload '", name, "' (register, sequential, session, counter, watch, append)"));
}

}  // namespace warren::jepsen
