#include "metastore/server/metastore_server.h"

#include "absl/strings/str_cat.h"
#include "common/grpc_connect.h"
#include "glog/logging.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"
#include "metastore/data_layout.h"
#include "metastore/server/delayed_apply.h"
#include "metastore/server/door_service.h"
#include "metastore/server/metastore_service.h"
#include "metastore/server/metrics_endpoint.h"
#include "metastore/server/session_tracker.h"
#include "metastore/watch_manager.h"
#include "metastore/znode_tree.h"
#include "metastore/zookeeper/server.h"
#include "metrics/raft_metrics.h"
#include "raft/log/file_util.h"
#include "raft/server/raft_server.h"
#include "raft/transport/grpc_transport.h"
#include "raft/transport/message_limits.h"

namespace warren::metastore {

absl::StatusOr<std::unique_ptr<MetastoreServer>> MetastoreServer::Start(MetastoreOptions options) {
  if (options.id == 0) return absl::InvalidArgumentError("member id must be > 0");
  if (options.data_dir.empty()) return absl::InvalidArgumentError("a data directory is required");
  if (!options.join && options.members.count(options.id) == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("member ", options.id, " is not among the members"));
  }
  std::string listen = options.listen;
  if (listen.empty() && options.members.count(options.id) > 0) listen = options.members[options.id];
  if (listen.empty()) return absl::InvalidArgumentError("no address to listen on");
  const Limits& limits = options.limits;
  if (options.unsafe_no_fsync) SetUnsafeNoFsync(true);
  // Checked here as well as by the group, before anything is made on disk.
  if (auto s = raft::CheckCommandLimit("the command limit", limits.max_command_bytes); !s.ok())
    return s;
  if (limits.max_data_bytes + kCommandRoomBytes > limits.max_command_bytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the data limit (", limits.max_data_bytes, " bytes) leaves no room for a node's path in ",
        "a command of at most ", limits.max_command_bytes, " bytes; the command limit must be ",
        kCommandRoomBytes, " bytes above it"));
  }

  std::unique_ptr<MetastoreServer> server(new MetastoreServer);
  server->address_ = listen;
  if (!options.metrics_address.empty()) {
    auto endpoint = MetricsEndpoint::Listen(options.metrics_address);
    if (!endpoint.ok()) return endpoint.status();
    server->metrics_ = std::move(*endpoint);
    server->requests_ = std::make_unique<metrics::RequestMetrics>(server->metrics_->registry());
  }
  server->watches_ = std::make_unique<WatchManager>(options.max_watches_per_session);
  // RocksDB syncs what it makes inside the tree's directory, not the directory's own name.
  if (auto s = CreateDirDurably(TreeDir(options.data_dir)); !s.ok()) {
    return s;
  }
  TreeOptions tree_options{TreeDir(options.data_dir), options.limits};
  tree_options.unsafe_non_atomic_multi = options.unsafe_non_atomic_multi;
  auto tree = ZNodeTree::Open(tree_options, server->watches_.get());
  if (!tree.ok()) return tree.status();
  ZNodeTree* tree_ptr = tree->get();

  raft::ServerOptions so;
  so.id = options.id;
  so.listen_address = listen;
  so.tls = options.tls;
  so.require_client_certs = options.require_client_certs;
  auto transport = std::make_unique<raft::GrpcTransport>(options.tls);
  transport->set_max_snapshot_bytes(options.max_snapshot_bytes);
  auto raft = raft::RaftServer::Create(so, std::move(transport));
  if (!raft.ok()) return raft.status();
  server->raft_ = std::move(*raft);

  raft::GroupOptions group;
  group.group = kMetastoreGroup;
  group.members = options.members;
  group.join = options.join;
  group.data_dir = RaftDir(options.data_dir);
  group.tick = options.tick;
  group.snapshot_entries = options.snapshot_entries;
  group.log_retention_entries = options.log_retention_entries;
  group.log_segment_bytes = options.log_segment_bytes;
  group.unsafe_skip_checksums = options.unsafe_skip_checksums;
  group.max_command_bytes = limits.max_command_bytes;
  if (options.lease_reads) group.raft.read_only = raft::ReadOnlyOption::kLeaseBased;
  group.raft.unsafe_lease_without_margin = options.unsafe_lease_without_margin;
  if (server->metrics_ != nullptr) {
    group.metrics =
        std::make_shared<metrics::RaftEventMetrics>(server->metrics_->registry(), kMetastoreGroup);
  }
  std::unique_ptr<StateMachine> sm = std::move(*tree);
  if (options.apply_delay > absl::ZeroDuration()) {
    sm = std::make_unique<DelayedApply>(std::move(sm), options.apply_delay);
  }
  if (auto s = server->raft_->AddGroup(group, std::move(sm)); !s.ok()) return s;
  raft::Division* division = server->raft_->group(kMetastoreGroup);

  server->service_ = std::make_unique<MetastoreService>(division, tree_ptr, server->watches_.get(),
                                                        options.id, options.tls);
  MetastoreService* service = server->service_.get();
  // Keep-alives reach the leader ten times per shortest session timeout: a session's client
  // sends one every third of its timeout, so the leader hears of each well within it, and a
  // member knows within a tenth of it that it is still in touch with the leader.
  const absl::Duration relay_interval =
      std::max(options.tick, absl::Milliseconds(limits.min_session_timeout_ms) / 10);
  server->tracker_ = std::make_unique<SessionTracker>(
      division, tree_ptr, options.id, options.tick, relay_interval, service->forwarder(),
      [service](absl::Duration silence) { service->CloseSilentStreams(silence); });
  server->service_->set_tracker(server->tracker_.get());
  server->service_->set_unsafe_stale_reads(options.unsafe_stale_reads);
  server->service_->set_request_metrics(server->requests_.get());
  server->service_->set_admin_names(options.admin_names);
  server->service_->set_super_digest(options.super_digest);
  server->service_->set_request_limits(options.max_requests_in_flight,
                                       options.max_sessions_per_address);
  if (options.client_address.empty()) {
    server->raft_->RegisterService(server->service_.get());
  } else {
    server->peer_door_ = std::make_unique<DoorService>(service, Door::kPeers);
    server->raft_->RegisterService(server->peer_door_.get());
  }
  if (auto s = server->raft_->Start(); !s.ok()) return s;
  server->tracker_->Start();
  LOG(INFO) << "metastore member " << options.id << " serving on " << listen;
  if (!options.client_address.empty()) {
    server->client_door_ = std::make_unique<DoorService>(service, Door::kClients);
    auto clients = ServeGrpc(
        options.client_address, options.tls, options.require_client_certs, raft::kMaxMessageBytes,
        [&](grpc::ServerBuilder& builder) { builder.RegisterService(server->client_door_.get()); });
    if (!clients.ok()) return clients.status();
    server->client_server_ = std::move(*clients);
    server->client_address_ = options.client_address;
    LOG(INFO) << "clients served on " << options.client_address << "; members and "
              << "administrators on " << listen;
  }
  if (options.zookeeper.has_value()) {
    zookeeper::ZooKeeperOptions zk = *options.zookeeper;
    // Where clients are served, on the client address's host if there is one.
    const std::string& clients_at =
        options.client_address.empty() ? listen : options.client_address;
    zk.host = clients_at.substr(0, clients_at.rfind(':'));
    zk.member_id = options.id;
    zk.data_dir = options.data_dir;
    zk.handler.requests = server->requests_.get();
    auto port = zookeeper::ZooKeeperServer::Start(std::move(zk), service);
    if (!port.ok()) return port.status();
    server->zookeeper_ = std::move(*port);
  }
  if (server->metrics_ != nullptr) {
    server->metrics_->Serve(division, group.data_dir, tree_ptr, server->watches_.get(), service);
  }
  return server;
}

MetastoreServer::~MetastoreServer() { Shutdown(); }

int MetastoreServer::metrics_port() const { return metrics_ ? metrics_->port() : 0; }

void MetastoreServer::Shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  if (metrics_ != nullptr) metrics_->Shutdown();  // it reads what the rest is
  if (tracker_ != nullptr) tracker_->Stop();
  // Its clients move to other members, their sessions alive.
  if (zookeeper_ != nullptr) zookeeper_->Shutdown();
  if (service_ != nullptr) {
    service_->StopForwarding();
    service_->CloseStreams(metastorepb::UNAVAILABLE, "Unavailable: the member is shutting down");
  }
  if (client_server_ != nullptr) {
    client_server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  }
  if (raft_ != nullptr) raft_->Shutdown();
}

}  // namespace warren::metastore
