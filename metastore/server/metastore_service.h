#pragma once

#include <atomic>
#include <functional>
#include <mutex>
#include <optional>
#include <set>

#include "common/delayed_runner.h"
#include "metastore/server/forwarder.h"
#include "metastore/server/in_flight_limit.h"
#include "metastore/server/session_tracker.h"
#include "metastore/server/sessions_by_address.h"
#include "metastore/watch_manager.h"
#include "metastore/znode_tree.h"
#include "metastore/zookeeper/member.h"
#include "metrics/request_metrics.h"
#include "proto/metastore.grpc.pb.h"
#include "raft/server/division.h"

namespace warren::metastore {

class SessionStream;

// The metastore's gRPC API on one member, leader or not. Writes become commands proposed to
// the Raft group (stamped with the leader's clock): the leader proposes them, another member
// forwards them to it and answers once it has applied them itself, so that its client's next
// read there sees them. Reads become queries served here at the consistency asked for, and
// session streams carry keep-alives (relayed to the leader) and watch events. A member that
// has not reached the leader for longer than a client can wait stops serving it (see
// CheckLeaderContact). Metastore errors travel in each response's header; the gRPC status is
// OK unless the call itself broke.
class MetastoreService final : public metastorepb::Metastore::CallbackService,
                               public zookeeper::Member {
 public:
  // `tls`: this member's certificate. With it, the calls between members (Forward,
  // RelayKeepAlives) are taken only from a member's certificate, and made with this one.
  MetastoreService(raft::Division* division, ZNodeTree* tree, WatchManager* watches,
                   uint64_t self_id, const TlsFiles& tls);
  ~MetastoreService() override;

  // Must be set before the service is served.
  void set_tracker(SessionTracker* tracker) { tracker_ = tracker; }
  // Deliberately wrong, to show that the fault tests catch it: every member answers
  // linearizable reads from its own state, as sequential ones, without asking the leader.
  void set_unsafe_stale_reads(bool on) { unsafe_stale_reads_ = on; }
  // With TLS: the common names of the client certificates that may change the membership,
  // take snapshots and backups, besides the members' own. Before the service is served.
  void set_admin_names(std::set<std::string> names) { admin_names_ = std::move(names); }
  // The superuser's digest id (USER:<base64 sha1>): a gRPC caller whose warren-auth digest
  // matches it passes every ACL and may make admin calls. Before the service is served.
  void set_super_digest(std::string digest) { super_digest_ = std::move(digest); }
  // Counts and times every request (door "grpc"). Before the service is served.
  void set_request_metrics(metrics::RequestMetrics* requests) { requests_ = requests; }
  // Client requests served at once, and sessions one client address may have opened here
  // and not closed (0: no bound for either). Before the service is served.
  void set_request_limits(size_t max_in_flight, size_t max_sessions_per_address);
  // Session streams open on this member.
  size_t stream_count();
  // Ends every session stream with `why` (shutting down); clients move on.
  void CloseStreams(metastorepb::Error why, const std::string& message);
  // Ends the streams whose sessions cannot wait out `silence` without a leader: those with a
  // timeout shorter than 3/2 of it. Their clients move to another member while the leader
  // still counts their sessions alive.
  void CloseSilentStreams(absl::Duration silence);
  // Stops forwarding: what is in flight is answered Unavailable. Before the group stops.
  void StopForwarding() { forwarder_.Shutdown(); }
  Forwarder* forwarder() { return &forwarder_; }

  // zookeeper::Member: what ZooKeeper's port serves its clients with.
  void Write(const metastorepb::RequestHeader& header, metastorepb::Command cmd,
             absl::Time deadline, WriteDone done) override {
    Propose(header, std::move(cmd), deadline, std::move(done), /*session_proven=*/true);
  }
  void Read(const metastorepb::RequestHeader& header, absl::Time deadline, metastorepb::Query query,
            ReadDone done) override {
    Ask(header, deadline, std::move(query), std::move(done), /*session_proven=*/true);
  }
  void AfterCatchUp(uint64_t zxid, absl::Duration bound, std::function<void(bool)> then) override;
  absl::Status CheckLeaderContact(int64_t timeout_ms) override;
  void Touch(uint64_t session, bool attached) override;
  void ChangeMembership(const raftpb::MembershipRequest& req, absl::Time deadline,
                        std::function<void(const metastorepb::ResponseHeader&)> done) override;
  void RunAfter(absl::Duration delay, std::function<void()> fn) override {
    catch_up_timer_.After(delay, std::move(fn));
  }
  void GroupStatus(std::function<void(raftpb::GroupStatus)> done) override {
    division_->Status(std::move(done));
  }
  ZNodeTree& tree() override { return *tree_; }
  WatchManager& watches() override { return *watches_; }

  grpc::ServerUnaryReactor* Create(grpc::CallbackServerContext* ctx,
                                   const metastorepb::CreateRequest* req,
                                   metastorepb::CreateResponse* resp) override;
  grpc::ServerUnaryReactor* Delete(grpc::CallbackServerContext* ctx,
                                   const metastorepb::DeleteRequest* req,
                                   metastorepb::DeleteResponse* resp) override;
  grpc::ServerUnaryReactor* SetData(grpc::CallbackServerContext* ctx,
                                    const metastorepb::SetDataRequest* req,
                                    metastorepb::SetDataResponse* resp) override;
  grpc::ServerUnaryReactor* Multi(grpc::CallbackServerContext* ctx,
                                  const metastorepb::MultiRequest* req,
                                  metastorepb::MultiResponse* resp) override;
  grpc::ServerUnaryReactor* GetData(grpc::CallbackServerContext* ctx,
                                    const metastorepb::GetDataRequest* req,
                                    metastorepb::GetDataResponse* resp) override;
  grpc::ServerUnaryReactor* Exists(grpc::CallbackServerContext* ctx,
                                   const metastorepb::ExistsRequest* req,
                                   metastorepb::ExistsResponse* resp) override;
  grpc::ServerUnaryReactor* GetChildren(grpc::CallbackServerContext* ctx,
                                        const metastorepb::GetChildrenRequest* req,
                                        metastorepb::GetChildrenResponse* resp) override;
  grpc::ServerUnaryReactor* Sync(grpc::CallbackServerContext* ctx,
                                 const metastorepb::SyncRequest* req,
                                 metastorepb::SyncResponse* resp) override;
  grpc::ServerUnaryReactor* CreateSession(grpc::CallbackServerContext* ctx,
                                          const metastorepb::CreateSessionRequest* req,
                                          metastorepb::CreateSessionResponse* resp) override;
  grpc::ServerUnaryReactor* CloseSession(grpc::CallbackServerContext* ctx,
                                         const metastorepb::CloseSessionRequest* req,
                                         metastorepb::CloseSessionResponse* resp) override;
  grpc::ServerBidiReactor<metastorepb::SessionRequest, metastorepb::SessionEvent>* Session(
      grpc::CallbackServerContext* ctx) override;
  grpc::ServerUnaryReactor* Status(grpc::CallbackServerContext* ctx,
                                   const metastorepb::StatusRequest* req,
                                   metastorepb::StatusResponse* resp) override;
  grpc::ServerUnaryReactor* TakeSnapshot(grpc::CallbackServerContext* ctx,
                                         const metastorepb::SnapshotRequest* req,
                                         metastorepb::SnapshotResponse* resp) override;
  grpc::ServerWriteReactor<metastorepb::BackupChunk>* Backup(
      grpc::CallbackServerContext* ctx, const metastorepb::BackupRequest* req) override;
  grpc::ServerUnaryReactor* ChangeMembership(grpc::CallbackServerContext* ctx,
                                             const raftpb::MembershipRequest* req,
                                             metastorepb::MembershipResponse* resp) override;
  grpc::ServerUnaryReactor* Forward(grpc::CallbackServerContext* ctx,
                                    const metastorepb::ForwardRequest* req,
                                    metastorepb::ForwardResponse* resp) override;
  grpc::ServerUnaryReactor* ForwardBatch(grpc::CallbackServerContext* ctx,
                                         const metastorepb::ForwardBatchRequest* req,
                                         metastorepb::ForwardBatchResponse* resp) override;
  grpc::ServerUnaryReactor* RelayKeepAlives(grpc::CallbackServerContext* ctx,
                                            const metastorepb::KeepAlivesRequest* req,
                                            metastorepb::KeepAlivesResponse* resp) override;

 private:
  friend class SessionStream;
  // A client's write, checked first (ValidateClientCommand, the exactly-once header) so that
  // nothing is appended or forwarded for one that is refused. The leader proposes it; another
  // member forwards it and calls `done` once it has applied it too (or at `deadline`, the
  // request's). `done` gets the header (error, zxid, leader hint) and the reply. Unless
  // `session_proven` (the ZooKeeper port's connection proved it at its handshake), the
  // command carries header.session_password, checked at apply.
  void Propose(const metastorepb::RequestHeader& header, metastorepb::Command cmd,
               absl::Time deadline, WriteDone done, bool session_proven = false);
  // One op of a gRPC caller with identities `auth` (CallerIdentities).
  void Propose(const metastorepb::RequestHeader& header, const metastorepb::Op& op,
               const IdField& auth, absl::Time deadline, WriteDone done);
  // Checks a client's write (ValidateClientCommand, the exactly-once header), dropping
  // fields unknown to this server.
  absl::Status CheckWrite(const metastorepb::RequestHeader& header,
                          metastorepb::Command* cmd) const;
  // Proposes a checked write to the group here (the size limit is checked last, on the
  // command as stamped).
  void ProposeHere(const metastorepb::RequestHeader& header, metastorepb::Command cmd,
                   WriteDone done);
  // A write another member forwarded (Forward, ForwardBatch): checked as its client's write
  // and proposed here; `answered` runs once `resp` holds the answer. `req` must outlive it.
  void ServeForward(const metastorepb::ForwardRequest& req, metastorepb::ForwardResponse* resp,
                    std::function<void()> answered);
  // Runs `fn` once this member has applied `zxid`, or at `until` if it has not by then.
  void WhenApplied(uint64_t zxid, absl::Time until, std::function<void()> fn);
  // Reads once this member has applied what the client has seen (header.min_zxid), or
  // refuses with MemberBehind before `deadline`, the request's. `session_proven` as for
  // Propose: otherwise a watch the query sets needs header.session_password.
  void Ask(const metastorepb::RequestHeader& header, absl::Time deadline, metastorepb::Query query,
           ReadDone done, bool session_proven = false);
  // Answers a client request that found --max-requests-in-flight held: RESOURCE_EXHAUSTED.
  grpc::ServerUnaryReactor* Refuse(grpc::ServerUnaryReactor* reactor,
                                   const metrics::RequestTimer& timer);
  // The header for a result of the Raft group (not leader, unavailable, timed out...).
  metastorepb::ResponseHeader HeaderOf(const raft::Result& r) const;
  metastorepb::ResponseHeader NotLeaderHeader() const;
  // This member has not applied `seen`, the newest zxid its client has seen.
  metastorepb::ResponseHeader MemberBehindHeader(uint64_t seen) const;
  bool leading() const { return division_->leader() == self_id_; }
  // With members_only_calls_, a call between members must present a member's certificate,
  // naming the member it `claimed` to be, if it claims one.
  grpc::Status CheckMember(const grpc::CallbackServerContext& ctx,
                           std::optional<uint64_t> claimed) const;
  // With TLS, an admin call (`what`) must present a member's certificate or one whose common
  // name is in admin_names_.
  grpc::Status CheckAdmin(const grpc::CallbackServerContext& ctx, const char* what) const;
  metrics::RequestTimer Timer(metrics::Op op) const {
    return metrics::RequestTimer(requests_, metrics::Door::kGrpc, op);
  }

  raft::Division* const division_;
  ZNodeTree* const tree_;
  WatchManager* const watches_;
  SessionTracker* tracker_ = nullptr;
  const bool members_only_calls_;
  std::set<std::string> admin_names_;
  std::string super_digest_;
  Forwarder forwarder_;
  bool unsafe_stale_reads_ = false;
  metrics::RequestMetrics* requests_ = nullptr;
  std::unique_ptr<InFlightLimit> in_flight_ = std::make_unique<InFlightLimit>(0);
  std::unique_ptr<SessionsByAddress> sessions_by_address_ = std::make_unique<SessionsByAddress>(0);
  const uint64_t self_id_;
  // For writes whose client did not ask for exactly-once (client_id 0).
  const uint64_t anonymous_client_;
  std::atomic<uint64_t> anonymous_seq_{0};

  std::mutex streams_mu_;
  std::set<SessionStream*> streams_;
  // Ends waits for this member to catch up with a client (streams) or a forwarded write.
  DelayedRunner catch_up_timer_;
};

}  // namespace warren::metastore
