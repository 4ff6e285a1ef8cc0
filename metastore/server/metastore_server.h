#pragma once

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/tls.h"
#include "metastore/validate.h"
#include "metastore/watch_manager.h"
#include "metastore/zookeeper/server.h"
#include "metrics/request_metrics.h"

namespace grpc {
class Server;
}
namespace warren::raft {
class RaftServer;
}

namespace warren::metastore {

class DoorService;
class MetastoreService;
class MetricsEndpoint;
class SessionTracker;
class ZNodeTree;

struct MetastoreOptions {
  uint64_t id = 0;
  // Founding members: id -> host:port (peers and clients alike).
  std::map<uint64_t, std::string> members;
  // Where to listen; default: this member's address in `members`.
  std::string listen;
  // HOST:PORT where this member serves clients, apart from its own address, which then serves
  // only members and administrators (door_service.h). Empty: one address for all.
  std::string client_address;
  // Holds raft/ (IDENTITY, log, snapshots) and tree/ (the RocksDB tree).
  std::string data_dir;
  bool join = false;
  absl::Duration tick = absl::Milliseconds(50);
  uint64_t snapshot_entries = 10000;
  uint64_t log_retention_entries = 1000;
  bool lease_reads = false;
  bool unsafe_stale_reads = false;           // wrong on purpose: see MetastoreService
  bool unsafe_non_atomic_multi = false;      // wrong on purpose: see TreeOptions
  bool unsafe_lease_without_margin = false;  // wrong on purpose: see raft::Config
  bool unsafe_no_fsync = false;  // wrong on purpose: see SetUnsafeNoFsync (whole process)
  // Wrong on purpose, for fault tests: log records and snapshots are not checked against their
  // checksums (raft::GroupOptions::unsafe_skip_checksums).
  bool unsafe_skip_checksums = false;
  uint64_t log_segment_bytes = 64ull << 20;
  absl::Duration apply_delay;  // fault tests only: see DelayedApply
  Limits limits;
  // Client requests this member serves at once on its gRPC API (RESOURCE_EXHAUSTED beyond).
  size_t max_requests_in_flight = 10'000;
  // Sessions one client address may open through the gRPC API and hold open.
  size_t max_sessions_per_address = 1'000;
  // Paths one session may watch on this member, either door.
  size_t max_watches_per_session = WatchManager::kDefaultMaxPathsPerSession;
  // The largest snapshot this member accepts from a leader (raft::GrpcTransport); 0: any.
  uint64_t max_snapshot_bytes = uint64_t{64} << 30;
  // ZooKeeper's client port, on this member's host; none if unset (port 0: any free one).
  std::optional<zookeeper::ZooKeeperOptions> zookeeper;
  // TLS on the member's port (nothing: plaintext): its certificate (common name member-<id>),
  // its key, and the CA that signs its peers' and its clients' certificates. Peers are then
  // taken only with a member's certificate.
  TlsFiles tls;
  // With tls: refuse clients that present no certificate signed by the CA.
  bool require_client_certs = false;
  // With tls: the common names of the client certificates that may change the membership,
  // take snapshots and backups (members' own certificates may). Without tls anyone may.
  std::set<std::string> admin_names;
  // The superuser's digest id (USER:<base64 sha1>) on the gRPC API: passes every ACL and may
  // make admin calls (warrend --super-digest). Empty: no superuser.
  std::string super_digest;
  // HOST:PORT of /metrics, /healthz and /readyz (docs/operations.md); none if empty (port 0:
  // any free one).
  std::string metrics_address;
};

// One metastore member: the znode tree under a Raft group, the gRPC service on the member's
// one port (it serves clients whether it leads or not), and the session tracker. What
// warrend runs, and what tests start.
class MetastoreServer {
 public:
  static absl::StatusOr<std::unique_ptr<MetastoreServer>> Start(MetastoreOptions options);
  ~MetastoreServer();
  // Stops the tracker and forwarding, closes session streams, then stops the Raft server.
  // Idempotent.
  void Shutdown();
  const std::string& address() const { return address_; }
  // Where clients are served if apart from address() (empty if not).
  const std::string& client_address() const { return client_address_; }
  // ZooKeeper's client port (0 if not served).
  int zookeeper_port() const { return zookeeper_ ? zookeeper_->port() : 0; }
  int zookeeper_secure_port() const { return zookeeper_ ? zookeeper_->secure_port() : 0; }
  // The metrics endpoint's port (0 if not served).
  int metrics_port() const;

 private:
  MetastoreServer() = default;

  std::string address_;
  std::string client_address_;
  std::unique_ptr<MetricsEndpoint> metrics_;
  std::unique_ptr<metrics::RequestMetrics> requests_;
  std::unique_ptr<WatchManager> watches_;
  std::unique_ptr<MetastoreService> service_;
  std::unique_ptr<SessionTracker> tracker_;
  std::unique_ptr<raft::RaftServer> raft_;
  // With a client address: the doors to service_ on each listener, and the clients' listener.
  std::unique_ptr<DoorService> peer_door_;
  std::unique_ptr<DoorService> client_door_;
  std::unique_ptr<grpc::Server> client_server_;
  std::unique_ptr<zookeeper::ZooKeeperServer> zookeeper_;
  bool shut_down_ = false;
};

}  // namespace warren::metastore
