#include "metastore/client/metastore_client.h"

#include <future>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "common/grpc_connect.h"
#include "glog/logging.h"
#include "grpcpp/grpcpp.h"
#include "metastore/errors.h"
#include "metastore/watch_manager.h"
#include "raft/transport/message_limits.h"

namespace warren::metastore {
namespace {

using Stub = metastorepb::Metastore::Stub;

// Errors after which the same request is worth sending again (to the same or another
// member): nothing was decided.
bool Retryable(metastorepb::Error e) {
  return e == metastorepb::NOT_LEADER || e == metastorepb::UNAVAILABLE ||
         e == metastorepb::OPERATION_TIMEOUT || e == metastorepb::SESSION_MOVED ||
         e == metastorepb::MEMBER_BEHIND || e == metastorepb::LEADER_UNREACHABLE;
}

metastorepb::CreateRequest CreateRequestOf(const std::string& path, const std::string& data,
                                           const CreateOptions& opts) {
  metastorepb::CreateRequest req;
  req.set_path(path);
  req.set_data(data);
  req.set_ephemeral(opts.ephemeral);
  req.set_sequential(opts.sequential);
  req.set_container(opts.container);
  req.set_ttl_ms(opts.ttl_ms);
  return req;
}

}  // namespace

MetastoreClient::MetastoreClient(ClientOptions options)
    : options_(std::move(options)),
      client_id_(absl::Uniform<uint64_t>(absl::BitGen(), 1, UINT64_MAX)) {}

absl::StatusOr<std::unique_ptr<MetastoreClient>> MetastoreClient::Connect(ClientOptions options) {
  if (options.endpoints.empty()) {
    return MetaError(metastorepb::BAD_ARGUMENTS, "no endpoints given");
  }
  for (const auto& e : options.endpoints) {
    if (e.empty() || e.find(':') == std::string::npos) {
      return MetaError(metastorepb::BAD_ARGUMENTS,
                       absl::StrCat("endpoint '", e, "' is not HOST:PORT"));
    }
  }
  if (options.tls.enabled()) {
    if (auto s = options.tls.CheckForClient(); !s.ok()) {
      return MetaError(metastorepb::BAD_ARGUMENTS, std::string(s.message()));
    }
  }
  if (!options.digest.empty()) {
    const size_t colon = options.digest.find(':');
    if (colon == std::string::npos || colon == 0) {
      return MetaError(metastorepb::BAD_ARGUMENTS, "digest credentials must be USER:PASSWORD");
    }
    for (char c : options.digest) {
      if (c < 0x20 || c > 0x7e) {
        return MetaError(metastorepb::BAD_ARGUMENTS,
                         "digest credentials must be printable ASCII (gRPC metadata)");
      }
    }
  }
  return std::unique_ptr<MetastoreClient>(new MetastoreClient(std::move(options)));
}

void MetastoreClient::Authenticate(grpc::ClientContext* ctx) const {
  if (!options_.digest.empty()) ctx->AddMetadata("warren-auth", "digest " + options_.digest);
}

MetastoreClient::~MetastoreClient() {
  if (session_id_ != 0) {
    absl::Status s = CloseSession();
    if (!s.ok()) VLOG(1) << "closing the session: " << s;
  }
  std::unique_lock lock(mu_);
  closing_ = true;
  for (grpc::ClientContext* ctx : attempts_) ctx->TryCancel();
  calls_ended_.wait(lock, [this] { return calls_alive_ == 0; });
}

// ---------------------------------------------------------------------------------------
// Calls

Stub* MetastoreClient::StubFor(const std::string& endpoint) {
  return ConnectionTo(endpoint).stub.get();
}

grpc::Channel* MetastoreClient::ChannelFor(const std::string& endpoint) {
  return ConnectionTo(endpoint).channel.get();
}

MetastoreClient::Connection& MetastoreClient::ConnectionTo(const std::string& endpoint) {
  std::lock_guard lock(mu_);
  Connection& conn = connections_[endpoint];
  if (conn.stub == nullptr) {
    // Connections of its own, not shared with other clients in the process: each client is
    // one connection to a member, as a ZooKeeper session is.
    conn.channel = MemberChannel(endpoint, raft::kMaxMessageBytes, options_.tls);
    conn.stub = metastorepb::Metastore::NewStub(conn.channel);
  }
  return conn;
}

std::string MetastoreClient::Target(Kind kind) {
  std::lock_guard lock(mu_);
  const auto& endpoints = options_.endpoints;
  if (ToLeader(kind)) {
    if (!leader_.empty()) return leader_;
    return endpoints[next_endpoint_ % endpoints.size()];
  }
  if (home_.empty()) {
    home_ = endpoints[options_.shuffle ? absl::Uniform<size_t>(absl::BitGen(), 0, endpoints.size())
                                       : 0];
  }
  return home_;
}

std::string MetastoreClient::StreamTarget() {
  {
    std::lock_guard lock(mu_);
    if (!stream_endpoint_.empty()) return stream_endpoint_;
  }
  return Target(Kind::kRead);  // not attached yet: SessionMoved, and again once it is
}

void MetastoreClient::Failed(const metastorepb::ResponseHeader& h, const std::string& failed,
                             Kind kind) {
  if (ToLeader(kind)) return FollowLeader(h, failed);
  std::lock_guard lock(mu_);
  const auto& endpoints = options_.endpoints;
  if (home_ != failed || endpoints.size() < 2) return;
  // Another member, at random, so that the clients of a member that failed spread out.
  std::string next = failed;
  while (next == failed) {
    next = endpoints[absl::Uniform<size_t>(absl::BitGen(), 0, endpoints.size())];
  }
  VLOG(1) << "moving from " << failed << " to " << next << ": " << h.message();
  home_ = next;
}

void MetastoreClient::FollowLeader(const metastorepb::ResponseHeader& h,
                                   const std::string& failed) {
  std::lock_guard lock(mu_);
  if (!h.leader_address().empty() && h.leader_address() != failed) {
    leader_ = h.leader_address();
    return;
  }
  leader_.clear();
  if (options_.endpoints[next_endpoint_ % options_.endpoints.size()] == failed) ++next_endpoint_;
}

void MetastoreClient::SawZxid(uint64_t zxid) {
  uint64_t seen = last_zxid_.load();
  while (zxid > seen && !last_zxid_.compare_exchange_weak(seen, zxid)) {
  }
}

// Counts a call from its start until its gRPC context is gone: the context holds the
// channel, and the channel must not be released last on a gRPC callback thread (gRPC 1.51
// would then join that thread from itself and free its completion queue twice).
class MetastoreClient::CallAlive {
 public:
  explicit CallAlive(MetastoreClient* client) : client_(client) {
    std::lock_guard lock(client_->mu_);
    ++client_->calls_alive_;
  }
  ~CallAlive() {
    std::lock_guard lock(client_->mu_);
    if (--client_->calls_alive_ == 0) client_->calls_ended_.notify_all();
  }
  CallAlive(const CallAlive&) = delete;
  CallAlive& operator=(const CallAlive&) = delete;

 private:
  MetastoreClient* const client_;
};

template <typename Req, typename Resp>
struct MetastoreClient::PendingCall {
  explicit PendingCall(MetastoreClient* client) : alive(client) {}
  CallAlive alive;  // first: destroyed after everything else
  Method<Req, Resp> method;
  Req req;
  Resp resp;
  Kind kind;
  uint64_t seq = 0;  // writes: the exactly-once sequence number
  absl::Time deadline;
  int attempt = 0;
  bool connecting = false;  // a write waited for its connection once already
  bool sets_watch = false;  // must go where the session's stream is
  bool maybe_sent = false;
  std::string last_error = "no member answered";
  std::string endpoint;
  std::unique_ptr<grpc::ClientContext> ctx;
  std::function<void(absl::Status, Resp&)> done;
};

template <typename Req, typename Resp>
void MetastoreClient::CallAsync(Method<Req, Resp> method, Req req, Kind kind,
                                std::function<void(absl::Status, Resp&)> done) {
  auto call = std::make_shared<PendingCall<Req, Resp>>(this);
  call->method = method;
  call->kind = kind;
  call->done = std::move(done);
  if constexpr (requires { req.mutable_header(); }) {
    auto* h = req.mutable_header();
    h->set_session_id(session_id_.load());
    if (h->session_id() != 0) h->set_session_password(SessionPassword());
    if (kind == Kind::kWrite) {
      std::lock_guard lock(mu_);
      call->seq = next_seq_++;
      in_flight_.insert(call->seq);
      h->set_client_id(client_id_);
      h->set_seq(call->seq);
      h->set_first_incomplete_seq(*in_flight_.begin());
    } else if (kind == Kind::kRead) {
      if (h->consistency() == raftpb::LINEARIZABLE) h->set_consistency(options_.consistency);
      h->set_min_zxid(last_zxid_.load());
    }
  }
  if constexpr (requires { req.watch(); }) call->sets_watch = req.watch();
  call->req = std::move(req);
  call->deadline = absl::Now() + options_.request_timeout;
  if (const size_t bytes = call->req.ByteSizeLong(); bytes > raft::kMaxMessageBytes) {
    // No member takes it (gRPC refuses it on the way): say so, rather than retry it.
    return Finish(*call,
                  MetaError(metastorepb::BAD_ARGUMENTS, absl::StrCat("the request is ", bytes,
                                                                     " bytes; a member "
                                                                     "accepts at most ",
                                                                     raft::kMaxMessageBytes)));
  }
  Attempt(std::move(call));
}

template <typename Req, typename Resp>
void MetastoreClient::Attempt(std::shared_ptr<PendingCall<Req, Resp>> call) {
  call->endpoint = call->sets_watch ? StreamTarget() : Target(call->kind);
  bool closing;
  {
    std::lock_guard lock(mu_);
    closing = closing_;
  }
  if (closing) {
    call->last_error = "the client is closing";
    return GiveUp(*call);
  }
  grpc::Channel* channel = ChannelFor(call->endpoint);
  if (call->kind == Kind::kWrite &&
      channel->GetState(/*try_to_connect=*/false) != GRPC_CHANNEL_READY) {
    // A write goes out only on a connection that is up (ConnectChannel says why). Connecting
    // blocks, so it happens on the retry thread, bounded; then the attempt starts again.
    if (call->connecting) {
      call->connecting = false;
      call->last_error = absl::StrCat(call->endpoint, ": cannot connect");
      Failed({}, call->endpoint, call->kind);
      return Later(std::move(call));
    }
    call->connecting = true;
    const absl::Time until = std::min(call->deadline, absl::Now() + absl::Seconds(1));
    retries_.After(absl::ZeroDuration(), [this, channel, until, call = std::move(call)]() mutable {
      ConnectChannel(*channel, until);
      Attempt(std::move(call));
    });
    return;
  }
  call->connecting = false;
  call->ctx = std::make_unique<grpc::ClientContext>();
  Authenticate(call->ctx.get());
  call->ctx->set_deadline(
      absl::ToChronoTime(std::min(call->deadline, absl::Now() + absl::Seconds(5))));
  call->resp.Clear();
  {
    std::lock_guard lock(mu_);
    closing = closing_;
    if (!closing) attempts_.insert(call->ctx.get());
  }
  if (closing) {
    call->last_error = "the client is closing";
    return GiveUp(*call);
  }
  if constexpr (requires { call->req.mutable_header(); }) {
    if (call->kind == Kind::kWrite) call->req.mutable_header()->set_retry(call->maybe_sent);
  }
  auto* async = StubFor(call->endpoint)->async();
  PendingCall<Req, Resp>& c = *call;
  (async->*c.method)(c.ctx.get(), &c.req, &c.resp,
                     [this, call = std::move(call)](grpc::Status gs) { Attempted(call, gs); });
}

template <typename Req, typename Resp>
void MetastoreClient::Attempted(std::shared_ptr<PendingCall<Req, Resp>> call,
                                const grpc::Status& gs) {
  PendingCall<Req, Resp>& c = *call;
  bool closing;
  {
    std::lock_guard lock(mu_);
    attempts_.erase(c.ctx.get());
    closing = closing_;
  }
  if (!gs.ok()) {
    // The connection may have broken after the request went out; but RESOURCE_EXHAUSTED is
    // a member that turned it away unread (--max-requests-in-flight): retried, with backoff,
    // as one never sent.
    if (gs.error_code() != grpc::StatusCode::RESOURCE_EXHAUSTED) c.maybe_sent = true;
    c.last_error = absl::StrCat(c.endpoint, ": ", gs.error_message());
    Failed({}, c.endpoint, c.kind);
  } else {
    const auto& h = c.resp.header();
    SawZxid(h.zxid());
    if (!Retryable(h.error())) {
      if (h.error() == metastorepb::OK && options_.leader_only && c.kind != Kind::kAdmin) {
        // Any member answers; each names the leader, which is followed if it is one of the
        // endpoints (a name this client can reach).
        std::lock_guard lock(mu_);
        const auto& endpoints = options_.endpoints;
        const bool known =
            std::find(endpoints.begin(), endpoints.end(), h.leader_address()) != endpoints.end();
        leader_ = known ? h.leader_address() : c.endpoint;
      }
      return Finish(c, FromWire(h.error(), h.message()));
    }
    c.last_error = h.message();
    // NOT_LEADER (and SESSION_MOVED, MEMBER_BEHIND, LEADER_UNREACHABLE) say the write was
    // not proposed; a timeout or UNAVAILABLE may come after it was.
    c.maybe_sent = c.maybe_sent || h.error() == metastorepb::OPERATION_TIMEOUT ||
                   h.error() == metastorepb::UNAVAILABLE;
    if (h.error() == metastorepb::NOT_LEADER || h.error() == metastorepb::UNAVAILABLE ||
        h.error() == metastorepb::MEMBER_BEHIND || h.error() == metastorepb::LEADER_UNREACHABLE) {
      Failed(h, c.endpoint, c.kind);
    }
  }
  if (closing) return GiveUp(c);
  Later(std::move(call));
}

template <typename Req, typename Resp>
void MetastoreClient::Later(std::shared_ptr<PendingCall<Req, Resp>> call) {
  const absl::Duration backoff = RetryBackoff(call->attempt++);
  if (absl::Now() + backoff >= call->deadline) return GiveUp(*call);
  retries_.After(backoff, [this, call = std::move(call)]() mutable { Attempt(std::move(call)); });
}

template <typename Req, typename Resp>
void MetastoreClient::GiveUp(PendingCall<Req, Resp>& call) {
  Finish(call, call.kind == Kind::kWrite && call.maybe_sent
                   ? MetaError(metastorepb::CONNECTION_LOSS,
                               absl::StrCat("the outcome is unknown (", call.last_error, ")"))
                   : MetaError(metastorepb::UNAVAILABLE, call.last_error));
}

template <typename Req, typename Resp>
void MetastoreClient::Finish(PendingCall<Req, Resp>& call, absl::Status result) {
  if (call.seq != 0) {
    std::lock_guard lock(mu_);
    in_flight_.erase(call.seq);
  }
  call.done(std::move(result), call.resp);
}

template <typename Req, typename Resp>
absl::Status MetastoreClient::Call(Method<Req, Resp> method, Req req, Resp* resp, Kind kind) {
  std::promise<absl::Status> outcome;
  CallAsync<Req, Resp>(method, std::move(req), kind, [&](absl::Status s, Resp& r) {
    *resp = std::move(r);
    outcome.set_value(std::move(s));
  });
  return outcome.get_future().get();
}

// ---------------------------------------------------------------------------------------
// Operations

absl::StatusOr<std::string> MetastoreClient::Create(const std::string& path,
                                                    const std::string& data,
                                                    const CreateOptions& opts,
                                                    metastorepb::Stat* stat) {
  metastorepb::CreateResponse resp;
  if (auto s = Call(&Stub::async::Create, CreateRequestOf(path, data, opts), &resp, Kind::kWrite);
      !s.ok())
    return s;
  if (stat != nullptr) *stat = resp.stat();
  return resp.path();
}

absl::Status MetastoreClient::Delete(const std::string& path, int32_t version) {
  metastorepb::DeleteRequest req;
  req.set_path(path);
  req.set_version(version);
  metastorepb::DeleteResponse resp;
  return Call(&Stub::async::Delete, req, &resp, Kind::kWrite);
}

absl::StatusOr<metastorepb::Stat> MetastoreClient::SetData(const std::string& path,
                                                           const std::string& data,
                                                           int32_t version) {
  metastorepb::SetDataRequest req;
  req.set_path(path);
  req.set_data(data);
  req.set_version(version);
  metastorepb::SetDataResponse resp;
  if (auto s = Call(&Stub::async::SetData, req, &resp, Kind::kWrite); !s.ok()) return s;
  return resp.stat();
}

absl::StatusOr<NodeData> MetastoreClient::GetData(const std::string& path, bool watch) {
  metastorepb::GetDataRequest req;
  req.set_path(path);
  req.set_watch(watch);
  metastorepb::GetDataResponse resp;
  if (auto s = Call(&Stub::async::GetData, req, &resp, Kind::kRead); !s.ok()) return s;
  if (watch) NoteWatch(path, metastorepb::WATCH_DATA, resp.header().zxid());
  return NodeData{resp.data(), resp.stat()};
}

absl::StatusOr<std::optional<metastorepb::Stat>> MetastoreClient::Exists(const std::string& path,
                                                                         bool watch) {
  metastorepb::ExistsRequest req;
  req.set_path(path);
  req.set_watch(watch);
  metastorepb::ExistsResponse resp;
  if (auto s = Call(&Stub::async::Exists, req, &resp, Kind::kRead); !s.ok()) return s;
  if (watch) NoteWatch(path, metastorepb::WATCH_EXISTS, resp.header().zxid());
  if (!resp.exists()) return std::optional<metastorepb::Stat>();
  return std::optional<metastorepb::Stat>(resp.stat());
}

absl::StatusOr<Children> MetastoreClient::GetChildren(const std::string& path, bool watch,
                                                      bool with_stats) {
  metastorepb::GetChildrenRequest req;
  req.set_path(path);
  req.set_watch(watch);
  req.set_with_stats(with_stats);
  metastorepb::GetChildrenResponse resp;
  if (auto s = Call(&Stub::async::GetChildren, req, &resp, Kind::kRead); !s.ok()) return s;
  if (watch) NoteWatch(path, metastorepb::WATCH_CHILDREN, resp.header().zxid());
  return Children{{resp.children().begin(), resp.children().end()}, resp.stat()};
}

absl::Status MetastoreClient::Multi(const std::vector<metastorepb::Op>& ops,
                                    std::vector<metastorepb::OpResult>* results) {
  metastorepb::MultiRequest req;
  for (const auto& op : ops) *req.add_ops() = op;
  metastorepb::MultiResponse resp;
  absl::Status s = Call(&Stub::async::Multi, req, &resp, Kind::kWrite);
  if (results != nullptr) results->assign(resp.results().begin(), resp.results().end());
  return s;
}

absl::Status MetastoreClient::Sync(const std::string& path) {
  metastorepb::SyncRequest req;
  req.set_path(path);
  metastorepb::SyncResponse resp;
  return Call(&Stub::async::Sync, req, &resp, Kind::kRead);
}

// ---------------------------------------------------------------------------------------
// Asynchronous calls

void MetastoreClient::CreateAsync(const std::string& path, const std::string& data,
                                  const CreateOptions& opts, Callback<std::string> done) {
  CallAsync<metastorepb::CreateRequest, metastorepb::CreateResponse>(
      &Stub::async::Create, CreateRequestOf(path, data, opts), Kind::kWrite,
      [done = std::move(done)](absl::Status s, metastorepb::CreateResponse& resp) {
        if (!s.ok()) return done(std::move(s));
        done(std::move(*resp.mutable_path()));
      });
}

void MetastoreClient::SetDataAsync(const std::string& path, const std::string& data,
                                   int32_t version, Callback<metastorepb::Stat> done) {
  metastorepb::SetDataRequest req;
  req.set_path(path);
  req.set_data(data);
  req.set_version(version);
  CallAsync<metastorepb::SetDataRequest, metastorepb::SetDataResponse>(
      &Stub::async::SetData, std::move(req), Kind::kWrite,
      [done = std::move(done)](absl::Status s, metastorepb::SetDataResponse& resp) {
        if (!s.ok()) return done(std::move(s));
        done(std::move(*resp.mutable_stat()));
      });
}

void MetastoreClient::GetDataAsync(const std::string& path, Callback<NodeData> done) {
  metastorepb::GetDataRequest req;
  req.set_path(path);
  CallAsync<metastorepb::GetDataRequest, metastorepb::GetDataResponse>(
      &Stub::async::GetData, std::move(req), Kind::kRead,
      [done = std::move(done)](absl::Status s, metastorepb::GetDataResponse& resp) {
        if (!s.ok()) return done(std::move(s));
        done(NodeData{std::move(*resp.mutable_data()), std::move(*resp.mutable_stat())});
      });
}

void MetastoreClient::MultiAsync(const std::vector<metastorepb::Op>& ops,
                                 std::function<void(absl::Status)> done) {
  metastorepb::MultiRequest req;
  for (const auto& op : ops) *req.add_ops() = op;
  CallAsync<metastorepb::MultiRequest, metastorepb::MultiResponse>(
      &Stub::async::Multi, std::move(req), Kind::kWrite,
      [done = std::move(done)](absl::Status s, metastorepb::MultiResponse&) { done(s); });
}

// ---------------------------------------------------------------------------------------
// Admin

absl::StatusOr<metastorepb::StatusResponse> MetastoreClient::MemberStatus(
    const std::string& endpoint, absl::Duration timeout) {
  grpc::ClientContext ctx;
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  metastorepb::StatusResponse resp;
  // On the callback API, as every call of this client: its threads keep a connection being
  // made moving (a TLS handshake takes several round trips) between calls that fail fast.
  const metastorepb::StatusRequest req;
  std::promise<grpc::Status> answered;
  StubFor(endpoint)->async()->Status(&ctx, &req, &resp,
                                     [&answered](grpc::Status s) { answered.set_value(s); });
  grpc::Status gs = answered.get_future().get();
  if (!gs.ok()) {
    return MetaError(metastorepb::UNAVAILABLE, absl::StrCat(endpoint, ": ", gs.error_message()));
  }
  return resp;
}

absl::StatusOr<metastorepb::StatusResponse> MetastoreClient::LeaderStatus() {
  const absl::Time deadline = absl::Now() + options_.request_timeout;
  std::string last_error = "no member answered";
  for (int attempt = 0; absl::Now() < deadline; ++attempt) {
    const std::string endpoint = Target(Kind::kAdmin);
    auto st = MemberStatus(endpoint, absl::Seconds(2));
    if (!st.ok()) {
      last_error = std::string(st.status().message());
      FollowLeader({}, endpoint);
    } else if (st->raft().leader() != 0 && st->raft().leader() == st->raft().id()) {
      std::lock_guard lock(mu_);
      leader_ = endpoint;
      return st;
    } else {
      metastorepb::ResponseHeader hint;
      for (const auto& m : st->raft().members()) {
        if (m.id() == st->raft().leader()) hint.set_leader_address(m.address());
      }
      last_error = absl::StrCat(endpoint, " knows no leader");
      FollowLeader(hint, endpoint);
    }
    absl::SleepFor(RetryBackoff(attempt));
  }
  return MetaError(metastorepb::UNAVAILABLE, last_error);
}

absl::Status MetastoreClient::ChangeMembership(const raftpb::MembershipRequest& req) {
  metastorepb::MembershipResponse resp;
  return Call(&Stub::async::ChangeMembership, req, &resp, Kind::kAdmin);
}

absl::StatusOr<uint64_t> MetastoreClient::TakeSnapshot() {
  if (auto st = LeaderStatus(); !st.ok()) return st.status();
  metastorepb::SnapshotResponse resp;
  if (auto s =
          Call(&Stub::async::TakeSnapshot, metastorepb::SnapshotRequest(), &resp, Kind::kAdmin);
      !s.ok()) {
    return s;
  }
  return resp.index();
}

// ---------------------------------------------------------------------------------------
// Sessions and watches

absl::Status MetastoreClient::StartSession(absl::Duration timeout) {
  if (session_id_ != 0) {
    {
      std::lock_guard lock(session_mu_);
      if (!session_ended_) return MetaError(metastorepb::BAD_ARGUMENTS, "a session is open");
    }
    // The last one expired: its stream has ended, and its watches went with it.
    StopSessionThread();
    std::lock_guard lock(session_mu_);
    watches_.clear();
    registered_.clear();
    gap_refusals_ = 0;
    session_id_ = 0;
  }
  metastorepb::CreateSessionRequest req;
  req.set_timeout_ms(absl::ToInt64Milliseconds(timeout));
  metastorepb::CreateSessionResponse resp;
  absl::Status created;
  // A random id that a live session has already is refused (NodeExists): asked again, the
  // member picks another.
  for (int attempt = 0; attempt < 3; ++attempt) {
    created = Call(&Stub::async::CreateSession, req, &resp, Kind::kWrite);
    if (!absl::IsAlreadyExists(created)) break;
  }
  if (!created.ok()) return created;
  session_timeout_ms_ = resp.timeout_ms();
  {
    std::lock_guard lock(password_mu_);
    session_password_ = resp.password();
  }
  session_id_ = resp.session_id();
  {
    std::lock_guard lock(session_mu_);
    session_closing_ = false;
    session_ended_ = false;
    end_reason_ = absl::OkStatus();
  }
  session_thread_ = std::thread([this] { SessionLoop(); });
  return absl::OkStatus();
}

std::string MetastoreClient::SessionPassword() const {
  std::lock_guard lock(password_mu_);
  return session_password_;
}

void MetastoreClient::StopSessionThread() {
  {
    std::lock_guard lock(session_mu_);
    session_closing_ = true;
    if (stream_ctx_ != nullptr) stream_ctx_->TryCancel();
  }
  session_cv_.notify_all();
  if (session_thread_.joinable()) session_thread_.join();
}

void MetastoreClient::AbandonSession() {
  StopSessionThread();
  session_id_ = 0;
}

absl::Status MetastoreClient::CloseSession() {
  const uint64_t id = session_id_.load();
  if (id == 0) return absl::OkStatus();
  StopSessionThread();
  metastorepb::CloseSessionRequest req;
  metastorepb::CloseSessionResponse resp;
  absl::Status s = Call(&Stub::async::CloseSession, req, &resp, Kind::kWrite);
  session_id_ = 0;
  return s;
}

absl::Status MetastoreClient::AddWatch(const std::string& path, bool recursive) {
  if (session_id_ == 0) return MetaError(metastorepb::BAD_ARGUMENTS, "watches need a session");
  const auto kind =
      recursive ? metastorepb::WATCH_PERSISTENT_RECURSIVE : metastorepb::WATCH_PERSISTENT;
  const auto key = std::make_pair(path, kind);
  NoteWatch(path, kind, last_zxid_.load());
  metastorepb::SessionRequest r;
  r.mutable_add_watch()->set_path(path);
  r.mutable_add_watch()->set_kind(kind);
  std::unique_lock lock(session_mu_);
  acks_[key] = std::nullopt;
  // Without a live stream it is registered when the stream (re)attaches.
  if (stream_write_) stream_write_(r);
  bool answered = session_cv_.wait_for(lock, absl::ToChronoMilliseconds(options_.request_timeout),
                                       [&] { return acks_[key].has_value() || session_ended_; });
  absl::Status result = !answered
                            ? MetaError(metastorepb::OPERATION_TIMEOUT,
                                        absl::StrCat("no member registered the watch on ", path))
                        : acks_[key].has_value() ? *acks_[key]
                                                 : MetaError(metastorepb::SESSION_EXPIRED, path);
  acks_.erase(key);
  if (!result.ok()) watches_.erase(key);
  return result;
}

void MetastoreClient::NoteWatch(const std::string& path, metastorepb::WatchKind kind,
                                uint64_t zxid) {
  std::lock_guard lock(session_mu_);
  watches_.try_emplace({path, kind}, zxid);
  // A one-shot watch is set by the read that returned it, at the member holding the stream.
  if (kind != metastorepb::WATCH_PERSISTENT && kind != metastorepb::WATCH_PERSISTENT_RECURSIVE) {
    registered_.insert({path, kind});
  }
}

MetastoreClient::ListenerId MetastoreClient::OnEvent(
    std::function<void(const metastorepb::WatchEvent&)> callback) {
  std::lock_guard lock(session_mu_);
  on_event_[next_listener_] = std::move(callback);
  return next_listener_++;
}

MetastoreClient::ListenerId MetastoreClient::OnSessionEnd(
    std::function<void(const absl::Status&)> callback) {
  std::lock_guard running(listeners_running_);
  absl::Status ended;
  {
    std::lock_guard lock(session_mu_);
    if (!session_ended_) {
      on_session_end_[next_listener_] = std::move(callback);
      return next_listener_++;
    }
    ended = end_reason_;
  }
  callback(ended);
  return 0;
}

void MetastoreClient::RemoveListener(ListenerId id) {
  std::lock_guard running(listeners_running_);
  std::lock_guard lock(session_mu_);
  on_event_.erase(id);
  on_session_end_.erase(id);
}

void MetastoreClient::SessionLoop() {
  for (int attempt = 0;; ++attempt) {
    const uint64_t attached = stream_attachments_.load();
    if (!RunStream(Target(Kind::kRead))) return;
    if (stream_attachments_.load() != attached) attempt = 0;  // it got somewhere: move quickly
    std::unique_lock lock(session_mu_);
    if (session_cv_.wait_for(lock, absl::ToChronoMilliseconds(RetryBackoff(attempt)),
                             [this] { return session_closing_; })) {
      return;
    }
  }
}

bool MetastoreClient::RunStream(const std::string& endpoint) {
  const uint64_t attachments_before = stream_attachments_.load();
  grpc::ClientContext ctx;
  Authenticate(&ctx);
  auto stream = StubFor(endpoint)->Session(&ctx);
  std::mutex write_mu;
  auto write = [&](const metastorepb::SessionRequest& r) {
    std::lock_guard lock(write_mu);
    return stream->Write(r);
  };
  bool done = false;
  {
    std::lock_guard lock(session_mu_);
    if (session_closing_) return false;
    stream_ctx_ = &ctx;
  }
  metastorepb::SessionRequest attach;
  attach.set_attach(session_id_.load());
  attach.set_seen_zxid(last_zxid_.load());  // the member waits until it has applied this
  attach.set_password(SessionPassword());
  write(attach);
  // A keep-alive every third of the session timeout. A member that hangs (paused, or its
  // network black-holed) keeps the stream open and says nothing. After two thirds of the
  // timeout without a word (each keep-alive is answered), the stream gives up on it and tries
  // another member, as ZooKeeper's client does, so that the session outlives a hung member.
  // The silence is looked at every twelfth of the timeout, so that the client moves soon
  // after two thirds: a session on a member that hung is timed by the leader from the last
  // keep-alive that member relayed.
  const int64_t timeout_ns = session_timeout_ms_ * 1'000'000;
  const int64_t silence_limit_ns = timeout_ns * 2 / 3;
  const auto look_every =
      std::chrono::milliseconds(std::max<int64_t>(session_timeout_ms_ / 12, 20));
  std::atomic<int64_t> heard_ns{absl::GetCurrentTimeNanos()};
  std::thread keeper([&] {
    metastorepb::SessionRequest ka;
    ka.set_keep_alive(true);
    int64_t sent_ns = absl::GetCurrentTimeNanos();
    std::unique_lock lock(session_mu_);
    while (!session_cv_.wait_for(lock, look_every, [&] { return session_closing_ || done; })) {
      lock.unlock();
      const int64_t now_ns = absl::GetCurrentTimeNanos();
      if (now_ns - heard_ns > silence_limit_ns) {
        LOG(WARNING) << endpoint << " said nothing for " << session_timeout_ms_ * 2 / 3
                     << " ms: moving the session's stream";
        ctx.TryCancel();
        return;
      }
      bool ok = true;
      if (now_ns - sent_ns >= timeout_ns / 3) {
        ok = write(ka);
        sent_ns = now_ns;
      }
      lock.lock();
      if (!ok) return;
    }
  });

  metastorepb::SessionEvent ev;
  std::optional<metastorepb::ResponseHeader> closed;
  while (stream->Read(&ev)) {
    heard_ns = absl::GetCurrentTimeNanos();
    if (ev.has_attached()) {
      ++stream_attachments_;
      LOG(INFO) << "session " << absl::StrCat("0x", absl::Hex(session_id_.load()))
                << " attached at " << endpoint;
      std::vector<metastorepb::SessionRequest> again;
      {
        std::lock_guard lock(mu_);
        stream_endpoint_ = endpoint;
      }
      {
        std::lock_guard lock(session_mu_);
        stream_write_ = write;
        registered_.clear();
        // Turned away by as many members as it knows for want of events they no longer had:
        // take the gap (logged by the member) rather than no watch.
        const bool accept_gap = gap_refusals_ >= options_.endpoints.size();
        for (const auto& [key, since] : watches_) {
          metastorepb::SessionRequest r;
          r.mutable_add_watch()->set_path(key.first);
          r.mutable_add_watch()->set_kind(key.second);
          r.mutable_add_watch()->set_since_zxid(since);
          r.mutable_add_watch()->set_accept_gap(accept_gap);
          again.push_back(std::move(r));
        }
      }
      for (const auto& r : again) write(r);
    } else if (ev.has_keep_alive_ack()) {
      SawZxid(ev.keep_alive_ack());
      // The member sent every event up to the acknowledged zxid before the answer.
      std::lock_guard lock(session_mu_);
      for (const auto& key : registered_) {
        auto it = watches_.find(key);
        if (it != watches_.end()) it->second = std::max<uint64_t>(it->second, ev.keep_alive_ack());
      }
    } else if (ev.has_event()) {
      Dispatch(ev.event());
    } else if (ev.has_watch_ack()) {
      const auto& ack = ev.watch_ack();
      SawZxid(ack.header().zxid());
      if (ack.header().error() == metastorepb::MEMBER_BEHIND) {
        // Not set: the member had not caught up with this client, or cannot replay what the
        // watch missed. Attaching again (elsewhere) sets every watch again, this one included.
        LOG(WARNING) << ack.header().message() << ": attaching the session again";
        std::lock_guard lock(session_mu_);
        ++gap_refusals_;
        break;
      }
      std::lock_guard lock(session_mu_);
      if (ack.header().error() == metastorepb::OK) {
        registered_.insert({ack.path(), ack.kind()});
        gap_refusals_ = 0;
      }
      auto it = acks_.find({ack.path(), ack.kind()});
      if (it != acks_.end()) {
        it->second = FromWire(ack.header().error(), ack.header().message());
        session_cv_.notify_all();
      } else if (ack.header().error() != metastorepb::OK) {
        LOG(WARNING) << "watch not set again: " << ack.header().message();
      }
    } else if (ev.has_closed()) {
      closed = ev.closed();
      break;
    }
  }
  {
    std::lock_guard lock(mu_);
    stream_endpoint_.clear();
  }
  {
    std::lock_guard lock(session_mu_);
    done = true;
    stream_ctx_ = nullptr;
    stream_write_ = nullptr;
  }
  session_cv_.notify_all();
  ctx.TryCancel();
  keeper.join();
  const grpc::Status finished = stream->Finish();

  {
    // As ZooKeeper's client logs each move: where the session was, and why it left (an
    // attempt that never attached, as while no member is up, only at verbosity 1).
    std::lock_guard lock(session_mu_);
    if (!session_closing_) {
      const std::string session = absl::StrCat("session 0x", absl::Hex(session_id_.load()));
      const std::string why = closed.has_value() ? closed->message() : finished.error_message();
      if (stream_attachments_.load() != attachments_before) {
        LOG(INFO) << session << ": stream to " << endpoint << " ended: " << why;
      } else {
        VLOG(1) << session << " not attached at " << endpoint << ": " << why;
      }
    }
  }
  if (closed.has_value() && closed->error() == metastorepb::SESSION_EXPIRED) {
    EndSession(FromWire(closed->error(), closed->message()));
    return false;
  }
  Failed(closed.value_or(metastorepb::ResponseHeader()), endpoint, Kind::kRead);
  return true;
}

void MetastoreClient::Dispatch(const metastorepb::WatchEvent& e) {
  SawZxid(e.zxid());  // no member may serve this client an older state from now on
  std::lock_guard running(listeners_running_);
  std::vector<std::function<void(const metastorepb::WatchEvent&)>> listeners;
  {
    std::lock_guard lock(session_mu_);
    // The one-shot watches this event spends (as the server does); a HISTORY_GAP spends none.
    const bool children =
        e.type() == metastorepb::NODE_CHILDREN_CHANGED || e.type() == metastorepb::NODE_DELETED;
    const bool data = e.type() == metastorepb::NODE_CREATED ||
                      e.type() == metastorepb::NODE_DATA_CHANGED ||
                      e.type() == metastorepb::NODE_DELETED;
    for (const auto kind :
         {metastorepb::WATCH_DATA, metastorepb::WATCH_EXISTS, metastorepb::WATCH_CHILDREN}) {
      if (kind == metastorepb::WATCH_CHILDREN ? !children : !data) continue;
      watches_.erase({e.path(), kind});
      registered_.erase({e.path(), kind});
    }
    // The stream sends events in zxid order: every watch it has registered has seen
    // everything up to this one, and is set again from here if the stream moves.
    for (const auto& key : registered_) {
      auto it = watches_.find(key);
      if (it != watches_.end()) it->second = std::max<uint64_t>(it->second, e.zxid());
    }
    // A persistent watch being set is sent what it missed, in order, before its
    // acknowledgement: if the stream moves before that, the watch is set again from its
    // newest event, not from before those it was sent (which would come again, out of order).
    // (A HISTORY_GAP is for one watch, and may be of a member another has its history on.)
    for (auto& [key, since] : watches_) {
      if (e.type() != metastorepb::HISTORY_GAP && PersistentSees(key.second, key.first, e)) {
        since = std::max<uint64_t>(since, e.zxid());
      }
    }
    for (const auto& [id, listener] : on_event_) listeners.push_back(listener);
  }
  for (const auto& listener : listeners) listener(e);
}

void MetastoreClient::EndSession(const absl::Status& why) {
  std::lock_guard running(listeners_running_);
  std::vector<std::function<void(const absl::Status&)>> listeners;
  {
    std::lock_guard lock(session_mu_);
    if (session_ended_) return;
    session_ended_ = true;
    end_reason_ = why;
    for (auto& [id, listener] : on_session_end_) listeners.push_back(std::move(listener));
    on_session_end_.clear();
  }
  session_cv_.notify_all();
  LOG(WARNING) << "session " << absl::StrCat("0x", absl::Hex(session_id_.load()))
               << " ended: " << why;
  for (const auto& listener : listeners) listener(why);
}

}  // namespace warren::metastore
