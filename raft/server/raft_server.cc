#include "raft/server/raft_server.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/grpc_connect.h"
#include "glog/logging.h"
#include "grpcpp/grpcpp.h"
#include "raft/server/client_service.h"
#include "raft/server/peer_message_check.h"
#include "raft/transport/message_limits.h"

namespace warren::raft {
namespace {

// A group name from the network, fit for a log line.
std::string Printable(const std::string& group) {
  return absl::CHexEscape(group.substr(0, 64)) + (group.size() > 64 ? "..." : "");
}

}  // namespace

RaftServer::RaftServer(ServerOptions options, std::unique_ptr<Transport> transport)
    : options_(std::move(options)), transport_(std::move(transport)) {
  client_service_ =
      std::make_unique<ClientServiceImpl>([this](const std::string& name) { return group(name); });
}

RaftServer::~RaftServer() { Shutdown(); }

absl::StatusOr<std::unique_ptr<RaftServer>> RaftServer::Create(
    ServerOptions options, std::unique_ptr<Transport> transport) {
  if (options.id == 0) return absl::InvalidArgumentError("server id must be > 0");
  if (transport == nullptr) return absl::InvalidArgumentError("a transport is required");
  if (options.tls.enabled()) {
    if (auto s = options.tls.CheckForMember(); !s.ok()) return s;
  }
  return std::unique_ptr<RaftServer>(new RaftServer(std::move(options), std::move(transport)));
}

absl::Status RaftServer::AddGroup(GroupOptions options, std::unique_ptr<StateMachine> sm) {
  options.id = options_.id;
  std::string name = options.group;
  {
    std::lock_guard lock(mu_);
    if (groups_.count(name) > 0) {
      return absl::AlreadyExistsError(absl::StrCat("group '", name, "' is already hosted"));
    }
  }
  auto d = Division::Open(std::move(options), std::move(sm), transport_.get());
  if (!d.ok()) return d.status();
  std::lock_guard lock(mu_);
  if (shut_down_) return absl::FailedPreconditionError("the server is shut down");
  if (started_) (*d)->Start();
  groups_[name] = std::move(*d);
  return absl::OkStatus();
}

void RaftServer::RegisterService(grpc::Service* service) {
  std::lock_guard lock(mu_);
  CHECK(!started_) << "RegisterService after Start";
  extra_services_.push_back(service);
}

absl::Status RaftServer::Start() {
  {
    std::lock_guard lock(mu_);
    if (started_ || shut_down_)
      return absl::FailedPreconditionError("the server was already started");
  }
  if (auto s = transport_->Start(this); !s.ok()) return s;
  if (!options_.listen_address.empty()) {
    auto server = ServeGrpc(options_.listen_address, options_.tls, options_.require_client_certs,
                            kMaxMessageBytes, [this](grpc::ServerBuilder& builder) {
                              if (options_.client_service) {
                                builder.RegisterService(client_service_.get());
                              }
                              for (grpc::Service* service : extra_services_) {
                                builder.RegisterService(service);
                              }
                              transport_->RegisterServices(&builder);
                            });
    if (!server.ok()) return server.status();
    grpc_server_ = std::move(*server);
  }
  std::lock_guard lock(mu_);
  started_ = true;
  for (auto& [name, d] : groups_) d->Start();
  LOG(INFO) << "server " << options_.id << " started"
            << (options_.listen_address.empty() ? "" : " on " + options_.listen_address);
  return absl::OkStatus();
}

void RaftServer::Shutdown() {
  std::vector<Division*> divisions;
  {
    std::lock_guard lock(mu_);
    if (shut_down_) return;
    shut_down_ = true;
    for (auto& [name, d] : groups_) divisions.push_back(d.get());
  }
  // Groups first, so that waiting requests are answered before the endpoint closes. Not
  // under mu_: a stopping group may still be handing messages to a transport that calls back.
  for (Division* d : divisions) d->Stop();
  transport_->Stop();
  if (grpc_server_ != nullptr) {
    grpc_server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  }
}

Division* RaftServer::group(const std::string& name) {
  std::lock_guard lock(mu_);
  auto it = groups_.find(name);
  return it == groups_.end() ? nullptr : it->second.get();
}

void RaftServer::HandleMessages(const std::string& group_name, std::vector<raftpb::Message> msgs) {
  if (msgs.empty()) return;
  Division* d = group(group_name);
  if (d == nullptr) {
    LOG_EVERY_T(WARNING, 1.0) << "no group '" << Printable(group_name) << "' here; dropped "
                              << msgs.size() << " messages, the first "
                              << DescribeMessage(msgs.front());
    return;
  }
  d->Deliver(std::move(msgs));
}

void RaftServer::Refuse(const std::string& group_name, const raftpb::Message& m,
                        const absl::Status& why) {
  Division* d = group(group_name);
  if (d == nullptr) {
    LOG_EVERY_T(WARNING, 1.0) << "refused " << DescribeMessage(m) << " for unknown group '"
                              << Printable(group_name) << "': " << why.message();
    return;
  }
  d->Refuse(m, why);
}

absl::StatusOr<std::string> RaftServer::IncomingSnapshotPath(const std::string& group_name,
                                                             const raftpb::Message& m) {
  Division* d = group(group_name);
  if (d == nullptr) {
    return absl::NotFoundError(absl::StrCat("no group '", Printable(group_name), "' here"));
  }
  return d->AcceptSnapshot(m);
}

void RaftServer::HandleSnapshot(const std::string& group_name, raftpb::Message m,
                                std::string path) {
  if (Division* d = group(group_name)) d->DeliverSnapshot(std::move(m), std::move(path));
}

void RaftServer::PeerUnreachable(uint64_t peer) {
  std::lock_guard lock(mu_);
  for (auto& [name, d] : groups_) d->PeerUnreachable(peer);  // only posts; never blocks
}

void RaftServer::PeerStreamsEnded(uint64_t peer) {
  std::lock_guard lock(mu_);
  for (auto& [name, d] : groups_) d->PeerStreamsEnded(peer);  // only posts; never blocks
}

}  // namespace warren::raft
