#include "metastore/server/metastore_service.h"

#include <atomic>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "glog/logging.h"
#include "grpcpp/security/auth_context.h"
#include "metastore/errors.h"
#include "metastore/server/backup_stream.h"
#include "metastore/server/caller_identity.h"
#include "metastore/server/keep_alive_batch.h"
#include "metastore/server/refused_stream.h"
#include "metastore/server/session_stream.h"
#include "metastore/server/sessions_by_address.h"
#include "metastore/session_secret.h"
#include "metastore/validate.h"

namespace warren::metastore {
namespace {

metastorepb::Error ErrorForRaftStatus(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kCancelled:
    case absl::StatusCode::kResourceExhausted:  // the leader's uncommitted bound: retry
      return metastorepb::UNAVAILABLE;
    case absl::StatusCode::kDeadlineExceeded:
      return metastorepb::OPERATION_TIMEOUT;
    case absl::StatusCode::kAborted:  // a retry the exactly-once table could not vouch for
      return metastorepb::CONNECTION_LOSS;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kOutOfRange:
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kNotFound:
      return metastorepb::BAD_ARGUMENTS;
    default:
      return metastorepb::SYSTEM_ERROR;
  }
}

// Reads the tree's reply (CommandReply or QueryReply) out of a successful result, and makes
// its metastore error the header's.
template <typename Reply>
void DecodeReply(const std::string& payload, metastorepb::ResponseHeader* h, Reply* reply) {
  if (h->error() != metastorepb::OK) return;
  if (!reply->ParseFromString(payload)) {
    h->set_error(metastorepb::SYSTEM_ERROR);
    h->set_message("SystemError: unreadable reply from the state machine");
    return;
  }
  h->set_error(reply->error());
  h->set_message(reply->message());
}

bool SetsWatch(const metastorepb::Query& q) {
  return (q.has_get_data() && q.get_data().watch()) || (q.has_exists() && q.exists().watch()) ||
         (q.has_get_children() && q.get_children().watch());
}

// A callback that runs once, for the first of several that may answer; the answer is
// worked out only for it.
class AnswerOnce {
 public:
  explicit AnswerOnce(std::function<void(bool)> fn) : fn_(std::move(fn)) {}
  void Give(const std::function<bool()>& answer) {
    std::function<void(bool)> fn;
    {
      std::lock_guard lock(mu_);
      fn.swap(fn_);
    }
    if (fn) fn(answer());
  }

 private:
  std::mutex mu_;
  std::function<void(bool)> fn_;
};

// Ends a unary call, counted by its outcome (the header's error).
void Answer(grpc::ServerUnaryReactor* reactor, const metrics::RequestTimer& timer,
            const metastorepb::ResponseHeader& header) {
  timer.Finish(header.error());
  reactor->Finish(grpc::Status::OK);
}

// Answers a call whose credentials were refused (AUTH_FAILED) and says so; false for one
// whose identities were worked out.
template <typename Resp>
bool AuthFailed(const absl::StatusOr<IdField>& auth, grpc::ServerUnaryReactor* reactor,
                const metrics::RequestTimer& timer, Resp* resp) {
  if (auth.ok()) return false;
  SetError(auth.status(), resp->mutable_header());
  Answer(reactor, timer, resp->header());
  return true;
}

}  // namespace

MetastoreService::MetastoreService(raft::Division* division, ZNodeTree* tree, WatchManager* watches,
                                   uint64_t self_id, const TlsFiles& tls)
    : division_(division),
      tree_(tree),
      watches_(watches),
      members_only_calls_(tls.enabled()),
      forwarder_(division, self_id, tls,
                 [this](const metastorepb::RequestHeader& header, metastorepb::Command cmd,
                        WriteDone done) { ProposeHere(header, std::move(cmd), std::move(done)); }),
      self_id_(self_id),
      anonymous_client_(absl::Uniform<uint64_t>(absl::BitGen(), 1, UINT64_MAX)) {}

MetastoreService::~MetastoreService() = default;

void MetastoreService::set_request_limits(size_t max_in_flight, size_t max_sessions_per_address) {
  in_flight_ = std::make_unique<InFlightLimit>(max_in_flight);
  sessions_by_address_ = std::make_unique<SessionsByAddress>(max_sessions_per_address);
}

grpc::ServerUnaryReactor* MetastoreService::Refuse(grpc::ServerUnaryReactor* reactor,
                                                   const metrics::RequestTimer& timer) {
  timer.Finish(metrics::ZooKeeperAnswer::kResourceExhausted);
  reactor->Finish(
      grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                   absl::StrCat("member ", self_id_, " is serving ", in_flight_->in_flight(),
                                " requests; the limit is ", in_flight_->max(),
                                " (--max-requests-in-flight): retry after a pause")));
  return reactor;
}

// ---------------------------------------------------------------------------------------
// Plumbing

metastorepb::ResponseHeader MetastoreService::NotLeaderHeader() const {
  metastorepb::ResponseHeader h;
  uint64_t leader = division_->leader();
  h.set_error(metastorepb::NOT_LEADER);
  h.set_leader_id(leader);
  if (leader != 0) h.set_leader_address(division_->AddressOf(leader));
  h.set_message(absl::StrCat(
      "NotLeader: member ", self_id_, " is not the leader; ",
      leader == 0 ? "no leader is known"
                  : absl::StrCat("member ", leader, " at ", h.leader_address(), " is")));
  return h;
}

metastorepb::ResponseHeader MetastoreService::HeaderOf(const raft::Result& r) const {
  metastorepb::ResponseHeader h;
  // NOT_LEADER promises the write was not proposed here; a leader that lost office with the
  // write in its log says UNAVAILABLE (outcome unknown), with the same hint.
  if (r.not_leader && r.status.code() != absl::StatusCode::kUnavailable) {
    h = NotLeaderHeader();
    if (r.leader != 0 && r.leader != h.leader_id()) {
      h.set_leader_id(r.leader);
      h.set_leader_address(division_->AddressOf(r.leader));
    }
  } else if (!r.status.ok()) {
    h.set_error(ErrorForRaftStatus(r.status.code()));
    h.set_message(absl::StrCat(ErrorName(h.error()), ": ", std::string(r.status.message())));
    if (r.not_leader && r.leader != 0) {
      h.set_leader_id(r.leader);
      h.set_leader_address(division_->AddressOf(r.leader));
    }
  }
  h.set_zxid(r.index);
  // Every answer names the leader, for clients that talk to it alone (leader_only).
  if (h.leader_id() == 0) {
    if (const uint64_t leader = division_->leader(); leader != 0) {
      h.set_leader_id(leader);
      h.set_leader_address(division_->AddressOf(leader));
    }
  }
  return h;
}

absl::Status MetastoreService::CheckWrite(const metastorepb::RequestHeader& header,
                                          metastorepb::Command* cmd) const {
  // Nothing a client sent unknown to this server reaches the log, where a later version might
  // read it as something the client may not ask for.
  cmd->DiscardUnknownFields();
  if (auto s = ValidateClientCommand(*cmd, tree_->limits()); !s.ok()) return s;
  if (auto s = ValidateCommandPaths(*cmd, tree_->limits()); !s.ok()) return s;
  if (header.client_id() != 0 &&
      (header.seq() == 0 || header.first_incomplete_seq() > header.seq())) {
    return MetaError(
        metastorepb::BAD_ARGUMENTS,
        absl::StrCat("exactly-once needs seq > 0 and first_incomplete_seq <= seq; "
                     "got seq ",
                     header.seq(), ", first_incomplete_seq ", header.first_incomplete_seq()));
  }
  return absl::OkStatus();
}

void MetastoreService::Propose(const metastorepb::RequestHeader& header, const metastorepb::Op& op,
                               const IdField& auth, absl::Time deadline, WriteDone done) {
  if (auto s = ValidateOp(op, tree_->limits()); !s.ok()) return done(ErrorHeader(s), {});
  metastorepb::Command cmd;
  *cmd.mutable_multi()->add_ops() = op;
  *cmd.mutable_auth() = auth;
  Propose(header, std::move(cmd), deadline, std::move(done));
}

void MetastoreService::Propose(const metastorepb::RequestHeader& header, metastorepb::Command cmd,
                               absl::Time deadline, WriteDone done, bool session_proven) {
  if (auto s = CheckWrite(header, &cmd); !s.ok()) return done(ErrorHeader(s), {});
  if (!session_proven && header.session_id() != 0) {
    cmd.set_session_password(header.session_password());
  }
  if (cmd.has_create_session()) cmd.mutable_create_session()->set_id(NewSessionId());
  if (leading()) return ProposeHere(header, std::move(cmd), std::move(done));
  if (auto s = CheckLeaderContact(tree_->SessionTimeout(header.session_id())); !s.ok()) {
    return done(ErrorHeader(s), {});
  }
  // The forward leaves a fifth of the time (a second at most): half of it to apply the
  // write here, half for the answer to reach the client before it gives up on this member.
  const absl::Time now = absl::Now();
  const absl::Time answer_by = std::min(deadline, now + absl::Seconds(30));
  const absl::Time forward_by = answer_by - std::min((answer_by - now) / 5, absl::Seconds(1));
  const absl::Time apply_by = forward_by + (answer_by - forward_by) / 2;
  forwarder_.Write(
      header, std::move(cmd), forward_by,
      [this, apply_by, done = std::move(done)](const metastorepb::ResponseHeader& h,
                                               const metastorepb::CommandReply& reply) {
        // Answered once applied here, so that the client's next read here sees it. Applied
        // or not by `apply_by`, the write's outcome is the leader's: a read that finds this
        // member behind waits or refuses (MemberBehind).
        WhenApplied(h.zxid(), apply_by, [h, reply, done] { done(h, reply); });
      });
}

void MetastoreService::ProposeHere(const metastorepb::RequestHeader& header,
                                   metastorepb::Command cmd, WriteDone done) {
  raftpb::ClientCommand cc;
  if (header.client_id() != 0) {
    cc.set_client_id(header.client_id());
    cc.set_seq(header.seq());
    cc.set_first_incomplete_seq(header.first_incomplete_seq());
    cc.set_retry(header.retry());
  } else {
    cc.set_client_id(anonymous_client_);
    cc.set_seq(++anonymous_seq_);
    cc.set_first_incomplete_seq(cc.seq());
  }
  if (cmd.session_id() == 0) cmd.set_session_id(header.session_id());
  cmd.set_time_ms(absl::ToUnixMillis(absl::Now()));
  cmd.set_max_children(tree_->limits().max_children_per_node);
  cc.set_payload(cmd.SerializeAsString());
  if (auto s = ValidateCommandSize(cc.payload().size(), tree_->limits()); !s.ok()) {
    return done(ErrorHeader(s), {});
  }
  division_->Write(std::move(cc), [this, done = std::move(done)](raft::Result r) {
    metastorepb::ResponseHeader h = HeaderOf(r);
    metastorepb::CommandReply reply;
    DecodeReply(r.payload, &h, &reply);
    done(h, reply);
  });
}

void MetastoreService::WhenApplied(uint64_t zxid, absl::Time until, std::function<void()> fn) {
  if (tree_->LastApplied() >= zxid) return fn();
  metastorepb::Query nothing;
  nothing.set_sync(true);
  raftpb::ReadRequest wake;  // a sequential read is served once min_index is applied
  wake.set_query(nothing.SerializeAsString());
  wake.set_consistency(raftpb::SEQUENTIAL);
  wake.set_min_index(zxid);
  division_->Read(
      std::move(wake), [fn = std::move(fn)](raft::Result) { fn(); }, until);
}

void MetastoreService::AfterCatchUp(uint64_t zxid, absl::Duration bound,
                                    std::function<void(bool)> then) {
  if (tree_->LastApplied() >= zxid) return then(true);
  LOG(INFO) << "a client has seen zxid " << zxid << ", this member has applied "
            << tree_->LastApplied() << ": waiting up to " << bound << " for it to catch up";
  // Answered by the group once it has applied `zxid`, or by the timer at the bound if that
  // comes first: the group looks at its waiting reads only between batches it applies, and a
  // member catching up may spend longer on one. Whichever comes second finds the answer given.
  auto answer = std::make_shared<AnswerOnce>(std::move(then));
  // Looks at the tree for the first answer only: a group that has stopped has answered every
  // wait, so a timer that goes off later, when the tree may be gone, touches nothing.
  auto caught_up = [tree = tree_, zxid] { return tree->LastApplied() >= zxid; };
  catch_up_timer_.After(bound, [answer, caught_up] { answer->Give(caught_up); });
  WhenApplied(zxid, absl::Now() + bound, [answer, caught_up] { answer->Give(caught_up); });
}

void MetastoreService::ChangeMembership(
    const raftpb::MembershipRequest& req, absl::Time deadline,
    std::function<void(const metastorepb::ResponseHeader&)> done) {
  if (leading()) {
    return division_->ChangeMembership(
        req, [this, done = std::move(done)](raft::Result r) { done(HeaderOf(r)); });
  }
  const uint64_t leader = division_->leader();
  if (leader == 0) return done(NotLeaderHeader());
  forwarder_.ChangeMembership(leader, req, deadline, std::move(done));
}

void MetastoreService::Touch(uint64_t session, bool attached) {
  if (tracker_ != nullptr) tracker_->Touch(session, attached);
}

absl::Status MetastoreService::CheckLeaderContact(int64_t timeout_ms) {
  if (tracker_ == nullptr || leading()) return absl::OkStatus();
  if (timeout_ms <= 0) timeout_ms = tree_->limits().min_session_timeout_ms;
  const absl::Duration silence = tracker_->LeaderSilence();
  if (silence <= absl::Milliseconds(timeout_ms * 2 / 3)) return absl::OkStatus();
  return MetaError(
      metastorepb::LEADER_UNREACHABLE,
      absl::StrCat("member ", self_id_, " has not reached a leader ",
                   silence == absl::InfiniteDuration()
                       ? std::string("since it started")
                       : absl::StrCat("for ", absl::ToInt64Milliseconds(silence), " ms"),
                   "; try another member"));
}

metastorepb::ResponseHeader MetastoreService::MemberBehindHeader(uint64_t seen) const {
  metastorepb::ResponseHeader h = ErrorHeader(
      MetaError(metastorepb::MEMBER_BEHIND,
                absl::StrCat("member ", self_id_, " has applied zxid ", tree_->LastApplied(),
                             "; the client has seen ", seen, ", so it must wait or go elsewhere")));
  h.set_zxid(tree_->LastApplied());
  return h;
}

void MetastoreService::Ask(const metastorepb::RequestHeader& header, absl::Time deadline,
                           metastorepb::Query query, ReadDone done, bool session_proven) {
  if (!raftpb::ReadConsistency_IsValid(header.consistency())) {
    return done(ErrorHeader(MetaError(metastorepb::BAD_ARGUMENTS, "unknown read consistency")), {});
  }
  if (!unsafe_stale_reads_) {
    if (auto s = CheckLeaderContact(tree_->SessionTimeout(header.session_id())); !s.ok()) {
      return done(ErrorHeader(s), {});
    }
  }
  query.set_session_id(header.session_id());
  if (!session_proven && header.session_id() != 0) {
    query.set_session_password(header.session_password());
  }
  // A sequential read this member can already serve is answered here, on the caller's
  // thread, rather than queued for the apply thread: the tree answers under the same lock
  // its applies hold, so the answer is exactly as the apply thread would give it, and no
  // event the answer reflects can still be on its way. Not a read that sets a watch: on the
  // apply thread its answer goes out before the next change is applied, and so before that
  // change's event; here the event could overtake it, and ZooKeeper's clients drop an event
  // for a watch whose answer they have not had yet.
  if (header.consistency() == raftpb::SEQUENTIAL && !unsafe_stale_reads_ && !SetsWatch(query) &&
      tree_->LastApplied() >= header.min_zxid()) {
    raft::Result r;
    r.payload = tree_->Query(query.SerializeAsString(), &r.index);
    metastorepb::ResponseHeader h = HeaderOf(r);
    metastorepb::QueryReply reply;
    DecodeReply(r.payload, &h, &reply);
    return done(h, reply);
  }
  raftpb::ReadRequest rr;
  rr.set_query(query.SerializeAsString());
  rr.set_consistency(header.consistency());
  rr.set_min_index(header.min_zxid());
  if (unsafe_stale_reads_) rr.set_consistency(raftpb::SEQUENTIAL);
  // A client that has seen more than this member has applied waits for it to catch up, but
  // for half of what is left of its deadline at most, so that it can still go elsewhere.
  const uint64_t seen = header.min_zxid();
  const absl::Time now = absl::Now();
  const absl::Time wait_until =
      seen > tree_->LastApplied() ? now + (deadline - now) / 2 : absl::InfiniteFuture();
  division_->Read(
      std::move(rr),
      [this, seen, done = std::move(done)](raft::Result r) {
        metastorepb::ResponseHeader h = HeaderOf(r);
        if (!r.status.ok() && !r.not_leader && tree_->LastApplied() < seen) {
          h = MemberBehindHeader(seen);
        }
        metastorepb::QueryReply reply;
        DecodeReply(r.payload, &h, &reply);
        done(h, reply);
      },
      wait_until);
}

// ---------------------------------------------------------------------------------------
// Writes

grpc::ServerUnaryReactor* MetastoreService::Create(grpc::CallbackServerContext* ctx,
                                                   const metastorepb::CreateRequest* req,
                                                   metastorepb::CreateResponse* resp) {
  auto* reactor = ctx->DefaultReactor();
  const metrics::RequestTimer timer = Timer(metrics::Op::kCreate);
  auto slot = in_flight_->TryAcquire();
  if (slot == nullptr) return Refuse(reactor, timer);
  const auto auth = CallerIdentities(*ctx, super_digest_);
  if (AuthFailed(auth, reactor, timer, resp)) return reactor;
  metastorepb::Op op;
  *op.mutable_create() = *req;
  op.mutable_create()->clear_header();
  Propose(req->header(), op, *auth, absl::FromChrono(ctx->deadline()),
          [reactor, resp, timer, slot](const auto& h, const auto& reply) {
            *resp->mutable_header() = h;
            if (h.error() == metastorepb::OK && reply.results_size() == 1) {
              resp->set_path(reply.results(0).path());
              *resp->mutable_stat() = reply.results(0).stat();
            }
            Answer(reactor, timer, resp->header());
          });
  return reactor;
}

grpc::ServerUnaryReactor* MetastoreService::Delete(grpc::CallbackServerContext* ctx,
                                                   const metastorepb::DeleteRequest* req,
                                                   metastorepb::DeleteResponse* resp) {
  auto* reactor = ctx->DefaultReactor();
  const metrics::RequestTimer timer = Timer(metrics::Op::kDelete);
  auto slot = in_flight_->TryAcquire();
  if (slot == nullptr) return Refuse(reactor, timer);
  const auto auth = CallerIdentities(*ctx, super_digest_);
  if (AuthFailed(auth, reactor, timer, resp)) return reactor;
  metastorepb::Op op;
  *op.mutable_delete_() = *req;
  op.mutable_delete_()->clear_header();
  Propose(req->header(), op, *auth, absl::FromChrono(ctx->deadline()),
          [reactor, resp, timer, slot](const auto& h, const auto&) {
            *resp->mutable_header() = h;
            Answer(reactor, timer, resp->header());
          });
  return reactor;
}

grpc::ServerUnaryReactor* MetastoreService::SetData(grpc::CallbackServerContext* ctx,
                                                    const metastorepb::SetDataRequest* req,
                                                    metastorepb::SetDataResponse* resp) {
  auto* reactor = ctx->DefaultReactor();
  const metrics::RequestTimer timer = Timer(metrics::Op::kSetData);
  auto slot = in_flight_->TryAcquire();
  if (slot == nullptr) return Refuse(reactor, timer);
  const auto auth = CallerIdentities(*ctx, super_digest_);
  if (AuthFailed(auth, reactor, timer, resp)) return reactor;
  metastorepb::Op op;
  *op.mutable_set_data() = *req;
  op.mutable_set_data()->clear_header();
  Propose(req->header(), op, *auth, absl::FromChrono(ctx->deadline()),
          [reactor, resp, timer, slot](const auto& h, const auto& reply) {
            *resp->mutable_header() = h;
            if (h.error() == metastorepb::OK && reply.results_size() == 1) {
              *resp->mutable_stat() = reply.results(0).stat();
            }
            Answer(reactor, timer, resp->header());
          });
  return reactor;
}

grpc::ServerUnaryReactor* MetastoreService::Multi(grpc::CallbackServerContext* ctx,
                                                  const metastorepb::MultiRequest* req,
                                                  metastorepb::MultiResponse* resp) {
  auto* reactor = ctx->DefaultReactor();
  const metrics::RequestTimer timer = Timer(metrics::Op::kMulti);
  auto slot = in_flight_->TryAcquire();
  if (slot == nullptr) return Refuse(reactor, timer);
  const auto auth = CallerIdentities(*ctx, super_digest_);
  if (AuthFailed(auth, reactor, timer, resp)) return reactor;
  metastorepb::Command cmd;
  *cmd.mutable_multi() = *req;
  cmd.mutable_multi()->clear_header();
  *cmd.mutable_auth() = *auth;
  for (auto& op : *cmd.mutable_multi()->mutable_ops()) {
    switch (op.op_case()) {
      case metastorepb::Op::kCreate:
        op.mutable_create()->clear_header();
        break;
      case metastorepb::Op::kDelete:
        op.mutable_delete_()->clear_header();
        break;
      case metastorepb::Op::kSetData:
        op.mutable_set_data()->clear_header();
        break;
      default:
        break;
    }
  }
  Propose(req->header(), std::move(cmd), absl::FromChrono(ctx->deadline()),
          [reactor, resp, timer, slot](const auto& h, const auto& reply) {
            *resp->mutable_header() = h;
            *resp->mutable_results() = reply.results();
            Answer(reactor, timer, resp->header());
          });
  return reactor;
}

// ---------------------------------------------------------------------------------------
// Reads

grpc::ServerUnaryReactor* MetastoreService::GetData(grpc::CallbackServerContext* ctx,
                                                    const metastorepb::GetDataRequest* req,
                                                    metastorepb::GetDataResponse* resp) {
  auto* reactor = ctx->DefaultReactor();
  const metrics::RequestTimer timer = Timer(metrics::Op::kGetData);
  auto slot = in_flight_->TryAcquire();
  if (slot == nullptr) return Refuse(reactor, timer);
  const auto auth = CallerIdentities(*ctx, super_digest_);
  if (AuthFailed(auth, reactor, timer, resp)) return reactor;
  metastorepb::Query q;
  *q.mutable_get_data() = *req;
  q.mutable_get_data()->clear_header();
  *q.mutable_auth() = *auth;
  Ask(req->header(), absl::FromChrono(ctx->deadline()), std::move(q),
      [reactor, resp, timer, slot](const auto& h, const auto& reply) {
        *resp->mutable_header() = h;
        if (h.error() == metastorepb::OK) {
          resp->set_data(reply.data());
          *resp->mutable_stat() = reply.stat();
        }
        Answer(reactor, timer, resp->header());
      });
  return reactor;
}

grpc::ServerUnaryReactor* MetastoreService::Exists(grpc::CallbackServerContext* ctx,
                                                   const metastorepb::ExistsRequest* req,
                                                   metastorepb::ExistsResponse* resp) {
  auto* reactor = ctx->DefaultReactor();
  const metrics::RequestTimer timer = Timer(metrics::Op::kExists);
  auto slot = in_flight_->TryAcquire();
  if (slot == nullptr) return Refuse(reactor, timer);
  const auto auth = CallerIdentities(*ctx, super_digest_);
  if (AuthFailed(auth, reactor, timer, resp)) return reactor;
  metastorepb::Query q;
  *q.mutable_exists() = *req;
  q.mutable_exists()->clear_header();
  *q.mutable_auth() = *auth;
  Ask(req->header(), absl::FromChrono(ctx->deadline()), std::move(q),
      [reactor, resp, timer, slot](const auto& h, const auto& reply) {
        *resp->mutable_header() = h;
        resp->set_exists(reply.exists());
        if (reply.exists()) *resp->mutable_stat() = reply.stat();
        Answer(reactor, timer, resp->header());
      });
  return reactor;
}

grpc::ServerUnaryReactor* MetastoreService::GetChildren(grpc::CallbackServerContext* ctx,
                                                        const metastorepb::GetChildrenRequest* req,
                                                        metastorepb::GetChildrenResponse* resp) {
  auto* reactor = ctx->DefaultReactor();
  const metrics::RequestTimer timer = Timer(metrics::Op::kGetChildren);
  auto slot = in_flight_->TryAcquire();
  if (slot == nullptr) return Refuse(reactor, timer);
  const auto auth = CallerIdentities(*ctx, super_digest_);
  if (AuthFailed(auth, reactor, timer, resp)) return reactor;
  metastorepb::Query q;
  *q.mutable_get_children() = *req;
  q.mutable_get_children()->clear_header();
  *q.mutable_auth() = *auth;
  Ask(req->header(), absl::FromChrono(ctx->deadline()), std::move(q),
      [reactor, resp, timer, slot](const auto& h, const auto& reply) {
        *resp->mutable_header() = h;
        if (h.error() == metastorepb::OK) {
          *resp->mutable_children() = reply.children();
          *resp->mutable_stat() = reply.stat();
        }
        Answer(reactor, timer, resp->header());
      });
  return reactor;
}

grpc::ServerUnaryReactor* MetastoreService::Sync(grpc::CallbackServerContext* ctx,
                                                 const metastorepb::SyncRequest* req,
                                                 metastorepb::SyncResponse* resp) {
  auto* reactor = ctx->DefaultReactor();
  const metrics::RequestTimer timer = Timer(metrics::Op::kSync);
  auto slot = in_flight_->TryAcquire();
  if (slot == nullptr) return Refuse(reactor, timer);
  // No ACL applies, but credentials that are wrong are refused here too, never ignored.
  if (AuthFailed(CallerIdentities(*ctx, super_digest_), reactor, timer, resp)) return reactor;
  metastorepb::Query q;
  q.set_sync(true);
  metastorepb::RequestHeader header = req->header();
  header.set_consistency(raftpb::LINEARIZABLE);  // that is what sync is for
  Ask(header, absl::FromChrono(ctx->deadline()), std::move(q),
      [reactor, resp, timer, slot](const auto& h, const auto&) {
        *resp->mutable_header() = h;
        Answer(reactor, timer, resp->header());
      });
  return reactor;
}

// ---------------------------------------------------------------------------------------
// Sessions

grpc::ServerUnaryReactor* MetastoreService::CreateSession(
    grpc::CallbackServerContext* ctx, const metastorepb::CreateSessionRequest* req,
    metastorepb::CreateSessionResponse* resp) {
  auto* reactor = ctx->DefaultReactor();
  const metrics::RequestTimer timer = Timer(metrics::Op::kCreateSession);
  auto slot = in_flight_->TryAcquire();
  if (slot == nullptr) return Refuse(reactor, timer);
  // No ACL applies, but credentials that are wrong are refused here too, never ignored.
  if (AuthFailed(CallerIdentities(*ctx, super_digest_), reactor, timer, resp)) return reactor;
  std::string address = SessionsByAddress::AddressOf(ctx->peer());
  if (auto s = sessions_by_address_->Admit(
          address, [tree = tree_](uint64_t id) { return tree->HasSession(id); });
      !s.ok()) {
    SetError(s, resp->mutable_header());
    Answer(reactor, timer, resp->header());
    return reactor;
  }
  metastorepb::Command cmd;
  cmd.mutable_create_session()->set_timeout_ms(req->timeout_ms());
  cmd.mutable_create_session()->set_password(NewSessionPassword());
  metastorepb::RequestHeader header = req->header();
  header.set_session_id(0);
  Propose(header, std::move(cmd), absl::FromChrono(ctx->deadline()),
          [this, reactor, resp, timer, slot, address](const auto& h, const auto& reply) {
            *resp->mutable_header() = h;
            resp->set_session_id(reply.session_id());
            resp->set_timeout_ms(reply.timeout_ms());
            const bool opened = h.error() == metastorepb::OK;
            // The reply's, not this request's: an exactly-once retry is answered with the
            // session its first attempt created.
            if (opened) resp->set_password(reply.session_password());
            sessions_by_address_->Opened(address, opened ? reply.session_id() : 0);
            if (opened && tracker_ != nullptr) tracker_->Touch(reply.session_id());
            Answer(reactor, timer, resp->header());
          });
  return reactor;
}

grpc::ServerUnaryReactor* MetastoreService::CloseSession(
    grpc::CallbackServerContext* ctx, const metastorepb::CloseSessionRequest* req,
    metastorepb::CloseSessionResponse* resp) {
  auto* reactor = ctx->DefaultReactor();
  const metrics::RequestTimer timer = Timer(metrics::Op::kCloseSession);
  auto slot = in_flight_->TryAcquire();
  if (slot == nullptr) return Refuse(reactor, timer);
  // No ACL applies, but credentials that are wrong are refused here too, never ignored.
  if (AuthFailed(CallerIdentities(*ctx, super_digest_), reactor, timer, resp)) return reactor;
  if (req->header().session_id() == 0) {
    SetError(MetaError(metastorepb::BAD_ARGUMENTS, "no session to close"), resp->mutable_header());
    Answer(reactor, timer, resp->header());
    return reactor;
  }
  metastorepb::Command cmd;
  cmd.set_close_session(true);
  Propose(req->header(), std::move(cmd), absl::FromChrono(ctx->deadline()),
          [reactor, resp, timer, slot](const auto& h, const auto&) {
            *resp->mutable_header() = h;
            Answer(reactor, timer, resp->header());
          });
  return reactor;
}

grpc::ServerBidiReactor<metastorepb::SessionRequest, metastorepb::SessionEvent>*
MetastoreService::Session(grpc::CallbackServerContext* ctx) {
  auto auth = CallerIdentities(*ctx, super_digest_);
  if (!auth.ok()) {
    return new RefusedStream<
        grpc::ServerBidiReactor<metastorepb::SessionRequest, metastorepb::SessionEvent>>(
        grpc::Status(grpc::StatusCode::UNAUTHENTICATED, std::string(auth.status().message())));
  }
  auto* stream = new SessionStream(this, *std::move(auth));
  std::lock_guard lock(streams_mu_);
  streams_.insert(stream);
  return stream;
}

size_t MetastoreService::stream_count() {
  std::lock_guard lock(streams_mu_);
  return streams_.size();
}

void MetastoreService::CloseStreams(metastorepb::Error why, const std::string& message) {
  metastorepb::ResponseHeader h;
  h.set_error(why);
  h.set_message(message);
  std::lock_guard lock(streams_mu_);
  for (SessionStream* s : streams_) s->Close(h);
}

void MetastoreService::CloseSilentStreams(absl::Duration silence) {
  std::lock_guard lock(streams_mu_);
  for (SessionStream* s : streams_) {
    const int64_t timeout_ms = s->timeout_ms();
    if (timeout_ms == 0) continue;  // not attached
    if (auto st = CheckLeaderContact(timeout_ms); !st.ok()) {
      LOG(WARNING) << SessionLabel(s->session()) << " leaves: " << st.message();
      s->Close(ErrorHeader(st));
    }
  }
}

// ---------------------------------------------------------------------------------------
// Admin

grpc::ServerUnaryReactor* MetastoreService::Status(grpc::CallbackServerContext* ctx,
                                                   const metastorepb::StatusRequest*,
                                                   metastorepb::StatusResponse* resp) {
  auto* reactor = ctx->DefaultReactor();
  const metrics::RequestTimer timer = Timer(metrics::Op::kStatus);
  resp->set_znodes(tree_->node_count());
  resp->set_sessions(tree_->session_count());
  resp->set_watches(watches_->count());
  resp->set_streams(stream_count());
  if (tracker_ != nullptr) {
    const absl::Duration silence = tracker_->LeaderSilence();
    resp->set_leader_silence_ms(
        silence == absl::InfiniteDuration() ? -1 : absl::ToInt64Milliseconds(silence));
  }
  division_->Status([reactor, resp, timer](raftpb::GroupStatus gs) {
    // A member told it was removed knows no leader; it is not ready whatever else it says.
    resp->set_ready(gs.role() != "removed" && gs.leader() != 0 && gs.applied() >= gs.commit());
    *resp->mutable_raft() = std::move(gs);
    resp->mutable_header()->set_zxid(resp->raft().applied());
    Answer(reactor, timer, resp->header());
  });
  return reactor;
}

grpc::ServerUnaryReactor* MetastoreService::TakeSnapshot(grpc::CallbackServerContext* ctx,
                                                         const metastorepb::SnapshotRequest*,
                                                         metastorepb::SnapshotResponse* resp) {
  auto* reactor = ctx->DefaultReactor();
  if (auto s = CheckAdmin(*ctx, "TakeSnapshot"); !s.ok()) {
    reactor->Finish(s);
    return reactor;
  }
  const metrics::RequestTimer timer = Timer(metrics::Op::kSnapshot);
  division_->TakeSnapshot([this, reactor, resp, timer](raft::Result r) {
    *resp->mutable_header() = HeaderOf(r);
    resp->set_index(r.index);
    Answer(reactor, timer, resp->header());
  });
  return reactor;
}

grpc::ServerWriteReactor<metastorepb::BackupChunk>* MetastoreService::Backup(
    grpc::CallbackServerContext* ctx, const metastorepb::BackupRequest*) {
  if (auto s = CheckAdmin(*ctx, "Backup"); !s.ok())
    return new RefusedStream<grpc::ServerWriteReactor<metastorepb::BackupChunk>>(s);
  return new BackupStream(division_);
}

grpc::ServerUnaryReactor* MetastoreService::ChangeMembership(
    grpc::CallbackServerContext* ctx, const raftpb::MembershipRequest* req,
    metastorepb::MembershipResponse* resp) {
  auto* reactor = ctx->DefaultReactor();
  if (auto s = CheckAdmin(*ctx, "ChangeMembership"); !s.ok()) {
    reactor->Finish(s);
    return reactor;
  }
  const metrics::RequestTimer timer = Timer(metrics::Op::kMembership);
  division_->ChangeMembership(*req, [this, reactor, resp, timer](raft::Result r) {
    *resp->mutable_header() = HeaderOf(r);
    Answer(reactor, timer, resp->header());
  });
  return reactor;
}

grpc::Status MetastoreService::CheckAdmin(const grpc::CallbackServerContext& ctx,
                                          const char* what) const {
  if (!members_only_calls_) return grpc::Status::OK;
  const grpc::AuthContext& auth = *ctx.auth_context();
  if (MemberOf(auth).ok()) return grpc::Status::OK;
  const std::string name = CommonName(auth);
  if (!name.empty() && admin_names_.count(name) > 0) return grpc::Status::OK;
  auto ids = CallerIdentities(ctx, super_digest_);
  if (!ids.ok()) {
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, std::string(ids.status().message()));
  }
  if (IsSuperuser(*ids)) return grpc::Status::OK;
  LOG_EVERY_T(WARNING, 1.0) << "refused " << what << " to "
                            << (name.empty() ? "a client without a certificate" : "CN " + name);
  return grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                      absl::StrCat(what, " needs an admin's certificate (warrend --tls-admin-cn), ",
                                   "a member's, or the superuser's digest (--super-digest); ",
                                   name.empty() ? "none was presented" : "not CN " + name));
}

// ---------------------------------------------------------------------------------------
// Between members

grpc::Status MetastoreService::CheckMember(const grpc::CallbackServerContext& ctx,
                                           std::optional<uint64_t> claimed) const {
  if (!members_only_calls_) return grpc::Status::OK;
  auto member = MemberOf(*ctx.auth_context());
  if (!member.ok()) {
    LOG_EVERY_T(WARNING, 1.0) << "refused a call between members: " << member.status();
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, std::string(member.status().message()));
  }
  if (claimed.has_value() && *claimed != *member) {
    LOG_EVERY_T(WARNING, 1.0) << "refused a relay from member " << *claimed << " made with member "
                              << *member << "'s certificate";
    return grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                        absl::StrCat("member ", *member, " cannot speak for member ", *claimed));
  }
  return grpc::Status::OK;
}

grpc::ServerUnaryReactor* MetastoreService::Forward(grpc::CallbackServerContext* ctx,
                                                    const metastorepb::ForwardRequest* req,
                                                    metastorepb::ForwardResponse* resp) {
  auto* reactor = ctx->DefaultReactor();
  if (auto s = CheckMember(*ctx, std::nullopt); !s.ok()) {
    reactor->Finish(s);
    return reactor;
  }
  const metrics::RequestTimer timer = Timer(metrics::Op::kForward);
  ServeForward(*req, resp, [reactor, resp, timer] { Answer(reactor, timer, resp->header()); });
  return reactor;
}

grpc::ServerUnaryReactor* MetastoreService::ForwardBatch(
    grpc::CallbackServerContext* ctx, const metastorepb::ForwardBatchRequest* req,
    metastorepb::ForwardBatchResponse* resp) {
  auto* reactor = ctx->DefaultReactor();
  if (auto s = CheckMember(*ctx, std::nullopt); !s.ok()) {
    reactor->Finish(s);
    return reactor;
  }
  const int n = req->writes_size();
  if (n == 0) {
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
  for (int i = 0; i < n; ++i) resp->add_results();
  // Each write is answered into its own result, perhaps on another thread; the last answer
  // ends the call.
  auto unanswered = std::make_shared<std::atomic<int>>(n);
  for (int i = 0; i < n; ++i) {
    const metrics::RequestTimer timer = Timer(metrics::Op::kForward);
    metastorepb::ForwardResponse* result = resp->mutable_results(i);
    ServeForward(req->writes(i), result, [reactor, result, timer, unanswered] {
      timer.Finish(result->header().error());
      if (unanswered->fetch_sub(1) == 1) reactor->Finish(grpc::Status::OK);
    });
  }
  return reactor;
}

void MetastoreService::ServeForward(const metastorepb::ForwardRequest& req,
                                    metastorepb::ForwardResponse* resp,
                                    std::function<void()> answered) {
  if (!leading()) {  // never forwarded twice: the sender asks again where the leader is
    *resp->mutable_header() = NotLeaderHeader();
    return answered();
  }
  // Checked as any client's write: the forward is no wider a door than the client API. Not
  // forwarded again if this member lost office meanwhile: the group says NotLeader.
  metastorepb::Command cmd = req.command();
  if (auto s = CheckWrite(req.header(), &cmd); !s.ok()) {
    *resp->mutable_header() = ErrorHeader(s);
    return answered();
  }
  ProposeHere(req.header(), std::move(cmd),
              [resp, answered = std::move(answered)](const auto& h, const auto& reply) {
                *resp->mutable_header() = h;
                *resp->mutable_reply() = reply;
                answered();
              });
}

grpc::ServerUnaryReactor* MetastoreService::RelayKeepAlives(
    grpc::CallbackServerContext* ctx, const metastorepb::KeepAlivesRequest* req,
    metastorepb::KeepAlivesResponse* resp) {
  auto* reactor = ctx->DefaultReactor();
  if (auto s = CheckMember(*ctx, req->from()); !s.ok()) {
    reactor->Finish(s);
    return reactor;
  }
  if (!leading()) {
    *resp->mutable_header() = NotLeaderHeader();
  } else {
    for (int i = 0; i < req->session_ids_size(); ++i) {
      tracker_->Relayed(req->session_ids(i), HeardAgo(*req, i));
    }
    resp->mutable_header()->set_zxid(tree_->LastApplied());
  }
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

}  // namespace warren::metastore
