#include "metastore/zookeeper/request_handler.h"

#include "absl/random/random.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/monotonic_clock.h"
#include "glog/logging.h"
#include "metastore/acl.h"
#include "metastore/errors.h"
#include "metastore/path.h"
#include "metastore/session_secret.h"

namespace warren::zookeeper {
namespace {

using metastore::SessionLabel;

constexpr size_t kPasswordBytes = metastore::kSessionPasswordBytes;
// How often a busy connection's requests count as its session's keep-alive.
constexpr absl::Duration kTouchEvery = absl::Milliseconds(50);
// The most ops one multi or multiRead may carry; the tree's own limit (max_ops_per_multi)
// applies after.
constexpr size_t kMaxMultiOps = 1 << 16;

// The watch kinds a checkWatches or removeWatches of `type` covers.
std::vector<metastorepb::WatchKind> KindsOf(int32_t type) {
  switch (type) {
    case watcher_type::kChildren:
      return {metastorepb::WATCH_CHILDREN};
    case watcher_type::kData:
      return {metastorepb::WATCH_DATA, metastorepb::WATCH_EXISTS};
    case watcher_type::kAny:
      return {metastorepb::WATCH_DATA, metastorepb::WATCH_EXISTS, metastorepb::WATCH_CHILDREN,
              metastorepb::WATCH_PERSISTENT, metastorepb::WATCH_PERSISTENT_RECURSIVE};
    case watcher_type::kPersistent:
      return {metastorepb::WATCH_PERSISTENT};
    case watcher_type::kPersistentRecursive:
      return {metastorepb::WATCH_PERSISTENT_RECURSIVE};
    default:
      return {};
  }
}

bool IsCreate(int32_t type) {
  return type == op::kCreate || type == op::kCreate2 || type == op::kCreateContainer ||
         type == op::kCreateTtl;
}

// The body of an answer that is the node's new stat (setData, setACL).
void AnswerStat(JuteWriter& w, const metastorepb::OpResult& result) { WriteStat(w, result.stat()); }

// The body of a create's answer: the path, and for all but the oldest create the stat.
void WriteCreated(JuteWriter& w, int32_t type, const metastorepb::OpResult& result) {
  w.String(result.path());
  if (type != op::kCreate) WriteStat(w, result.stat());
}

metrics::Op OpOf(int32_t type) {
  using metrics::Op;
  switch (type) {
    case op::kCreate:
    case op::kCreate2:
    case op::kCreateContainer:
    case op::kCreateTtl:
      return Op::kCreate;
    case op::kDelete:
      return Op::kDelete;
    case op::kSetData:
      return Op::kSetData;
    case op::kGetData:
      return Op::kGetData;
    case op::kExists:
      return Op::kExists;
    case op::kGetChildren:
    case op::kGetChildren2:
      return Op::kGetChildren;
    case op::kMulti:
      return Op::kMulti;
    case op::kMultiRead:
      return Op::kMultiRead;
    case op::kCheck:
      return Op::kCheck;
    case op::kSync:
      return Op::kSync;
    case op::kPing:
      return Op::kPing;
    case op::kAuth:
      return Op::kAuth;
    case op::kGetAcl:
      return Op::kGetAcl;
    case op::kSetAcl:
      return Op::kSetAcl;
    case op::kSetWatches:
    case op::kSetWatches2:
      return Op::kSetWatches;
    case op::kAddWatch:
      return Op::kAddWatch;
    case op::kCheckWatches:
    case op::kRemoveWatches:
      return Op::kRemoveWatches;
    case op::kGetEphemerals:
      return Op::kGetEphemerals;
    case op::kGetAllChildrenNumber:
      return Op::kCountDescendants;
    case op::kWhoAmI:
      return Op::kWhoAmI;
    case op::kCloseSession:
      return Op::kCloseSession;
    case op::kReconfig:
      return Op::kReconfig;
    default:
      return Op::kOther;
  }
}

// The outcome a reply's code tells (several metastore errors share a code: ReplyError
// records the error itself).
metrics::Outcome OutcomeOf(int32_t code) {
  switch (code) {
    case err::kOk:
      return metastorepb::OK;
    case err::kRuntimeInconsistency:
      return metastorepb::RUNTIME_INCONSISTENCY;
    case err::kConnectionLoss:
      return metastorepb::CONNECTION_LOSS;
    case err::kMarshallingError:
      return metrics::ZooKeeperAnswer::kMarshallingError;
    case err::kUnimplemented:
      return metrics::ZooKeeperAnswer::kUnimplemented;
    case err::kOperationTimeout:
      return metastorepb::OPERATION_TIMEOUT;
    case err::kBadArguments:
      return metastorepb::BAD_ARGUMENTS;
    case err::kReconfigDisabled:
      return metrics::ZooKeeperAnswer::kReconfigDisabled;
    case err::kNoNode:
      return metastorepb::NO_NODE;
    case err::kNoAuth:
      return metastorepb::NO_AUTH;
    case err::kBadVersion:
      return metastorepb::BAD_VERSION;
    case err::kNoChildrenForEphemerals:
      return metastorepb::NO_CHILDREN_FOR_EPHEMERALS;
    case err::kNodeExists:
      return metastorepb::NODE_EXISTS;
    case err::kNotEmpty:
      return metastorepb::NOT_EMPTY;
    case err::kSessionExpired:
      return metastorepb::SESSION_EXPIRED;
    case err::kInvalidAcl:
      return metastorepb::INVALID_ACL;
    case err::kAuthFailed:
      return metastorepb::AUTH_FAILED;
    case err::kQuotaExceeded:
      return metastorepb::QUOTA_EXCEEDED;
    case err::kSessionMoved:
      return metastorepb::SESSION_MOVED;
    case err::kNoWatcher:
      return metrics::ZooKeeperAnswer::kNoWatcher;
    default:
      return metastorepb::SYSTEM_ERROR;
  }
}

}  // namespace

void Latency::Add(absl::Duration d) {
  const int64_t us = absl::ToInt64Microseconds(d);
  int64_t seen = min_us.load();
  while (us < seen && !min_us.compare_exchange_weak(seen, us)) {
  }
  seen = max_us.load();
  while (us > seen && !max_us.compare_exchange_weak(seen, us)) {
  }
  total_us.fetch_add(us, std::memory_order_relaxed);
  count.fetch_add(1, std::memory_order_relaxed);
}

RequestHandler::RequestHandler(Member* member, const HandlerOptions* options, std::string peer_ip,
                               ConnectionHooks hooks)
    : member_(member),
      options_(options),
      peer_ip_(std::move(peer_ip)),
      hooks_(std::move(hooks)),
      client_id_(absl::Uniform<uint64_t>(absl::BitGen(), 1, UINT64_MAX)) {
  AddIdentity("ip", peer_ip_);
}

void RequestHandler::AddIdentity(const std::string& scheme, const std::string& id) {
  for (const auto& have : auth_) {
    if (have.scheme() == scheme && have.id() == id) return;
  }
  metastorepb::Id* added = auth_.Add();
  added->set_scheme(scheme);
  added->set_id(id);
}

// Whatever was taken and never answered (the member stopped first) stops counting.
RequestHandler::~RequestHandler() {
  const size_t left = outstanding_.load();
  if (left > 0 && options_->outstanding != nullptr) {
    options_->outstanding->fetch_sub(static_cast<int64_t>(left));
  }
}

// ---------------------------------------------------------------------------------------
// One request at a time

void RequestHandler::OnFrame(std::string frame) {
  received_.fetch_add(1, std::memory_order_relaxed);
  std::unique_lock lock(mu_);
  if (closed_) return;
  outstanding_.fetch_add(1);
  if (options_->outstanding != nullptr) options_->outstanding->fetch_add(1);
  queue_.push_back(std::move(frame));
  if (busy_) return;
  busy_ = true;
  lock.unlock();
  Pump();
}

// Serves queued requests until one is left waiting on the group (Finished picks up from
// there) or none are left. A request answered before Handle returns is looped over here
// rather than recursed into.
void RequestHandler::Pump() {
  std::unique_lock lock(mu_);
  while (!closed_ && !queue_.empty()) {
    std::string frame = std::move(queue_.front());
    queue_.pop_front();
    in_handle_ = true;
    finished_inline_ = false;
    lock.unlock();
    Handle(std::move(frame));
    lock.lock();
    in_handle_ = false;
    if (!finished_inline_) return;  // Finished() calls Pump when the answer comes
  }
  busy_ = false;
}

void RequestHandler::Finished() {
  const absl::Duration took = MonotonicNow() - request_started_;
  if (options_->latency != nullptr) options_->latency->Add(took);
  if (options_->requests != nullptr) {
    options_->requests->Record(metrics::Door::kZooKeeper, request_op_, request_outcome_, took);
  }
  Answered(1);
  std::unique_lock lock(mu_);
  if (in_handle_) {
    finished_inline_ = true;
    return;
  }
  lock.unlock();
  Pump();
}

void RequestHandler::Answered(size_t n) {
  if (n == 0) return;
  outstanding_.fetch_sub(n);
  if (options_->outstanding != nullptr) options_->outstanding->fetch_sub(static_cast<int64_t>(n));
  if (hooks_.request_done) hooks_.request_done();
}

void RequestHandler::OnClosed() {
  uint64_t sink_id;
  size_t dropped;
  {
    std::lock_guard lock(mu_);
    closed_ = true;
    dropped = queue_.size();
    queue_.clear();
    sink_id = sink_id_;
  }
  Answered(dropped);
  // Outside mu_: the watch manager calls sinks under its own lock, and a sink takes mu_.
  if (sink_id != 0) member_->watches().Detach(session_.load(), sink_id);
}

void RequestHandler::Close() {
  size_t dropped;
  {
    std::lock_guard lock(mu_);
    closed_ = true;
    dropped = queue_.size();
    queue_.clear();
  }
  Answered(dropped);
  hooks_.close();
}

void RequestHandler::Handle(std::string frame) {
  request_started_ = MonotonicNow();
  request_op_ = metrics::Op::kConnect;
  request_outcome_ = metastorepb::CONNECTION_LOSS;
  JuteReader r(frame);
  if (!connected_) return Connect(r);
  const int32_t xid = r.Int();
  const int32_t type = r.Int();
  request_op_ = OpOf(type);
  if (!r.ok()) {
    LOG(WARNING) << SessionLabel(session_) << " from " << peer_ip_
                 << ": a request shorter than its header: closing the connection";
    Close();
    return Finished();
  }
  // A request is a sign of life, as a ping is (a busy client sends no pings); told to the
  // tracker a few times per second at most (it relays every tenth of the shortest timeout
  // anyway), not once per request. Timed on the monotonic clock: on the wall clock, a step
  // back of the member's clock silenced a busy session for as long and expired it.
  if (type == op::kPing || request_started_ - last_touch_ >= kTouchEvery) {
    last_touch_ = request_started_;
    member_->Touch(session_.load(), false);
  }
  Dispatch(xid, type, r);
}

void RequestHandler::Dispatch(int32_t xid, int32_t type, JuteReader& r) {
  switch (type) {
    case op::kPing:
      if (auto s = member_->CheckLeaderContact(timeout_ms_); !s.ok()) {
        LOG(WARNING) << SessionLabel(session_) << " leaves: " << s.message();
        Close();
        return Finished();
      }
      Reply(xid, Applied(), err::kOk);
      return Finished();
    case op::kCreate:
    case op::kCreate2:
    case op::kCreateContainer:
    case op::kCreateTtl:
      return Create(xid, type, r);
    case op::kDelete:
      return Delete(xid, r);
    case op::kSetData:
      return SetData(xid, r);
    case op::kCheck:
      return Check(xid, r);
    case op::kMulti:
      return Multi(xid, r);
    case op::kMultiRead:
      return MultiRead(xid, r);
    case op::kExists:
      return Exists(xid, r);
    case op::kGetData:
      return GetData(xid, r);
    case op::kGetChildren:
    case op::kGetChildren2:
      return GetChildren(xid, type, r);
    case op::kSync:
      return Sync(xid, r);
    case op::kSetWatches:
    case op::kSetWatches2:
      return SetWatches(xid, type, r);
    case op::kAddWatch:
      return AddWatch(xid, r);
    case op::kCheckWatches:
    case op::kRemoveWatches:
      return CheckOrRemoveWatches(xid, type, r);
    case op::kGetEphemerals:
      return GetEphemerals(xid, r);
    case op::kGetAllChildrenNumber:
      return GetAllChildrenNumber(xid, r);
    case op::kAuth:
      return Auth(xid, r);
    case op::kGetAcl:
      return GetAcl(xid, r);
    case op::kSetAcl:
      return SetAcl(xid, r);
    case op::kWhoAmI:
      return WhoAmI(xid);
    case op::kCloseSession:
      return CloseSession(xid);
    case op::kReconfig:
      return Reconfig(xid, r);
    default:
      // As ZooKeeper answers a type it does not know (SASL among them): Unimplemented, then
      // the connection ends; the session lives on.
      LOG(WARNING) << SessionLabel(session_) << ": unsupported request type " << type << " from "
                   << peer_ip_;
      Reply(xid, Applied(), err::kUnimplemented);
      Close();
      return Finished();
  }
}

// ---------------------------------------------------------------------------------------
// The handshake

void RequestHandler::Connect(JuteReader& r) {
  ConnectRequest req;
  if (!zookeeper::Read(r, &req)) {
    LOG(WARNING) << "ZooKeeper client " << peer_ip_ << ": unreadable connect request";
    Close();
    return Finished();
  }
  const metastore::Limits& limits = member_->tree().limits();
  const int64_t timeout = std::clamp<int64_t>(req.timeout_ms, limits.min_session_timeout_ms,
                                              limits.max_session_timeout_ms);
  if (auto s = member_->CheckLeaderContact(timeout); !s.ok()) {
    LOG(WARNING) << "ZooKeeper client " << peer_ip_ << " turned away: " << s.message();
    request_outcome_ = metastorepb::LEADER_UNREACHABLE;
    Close();
    return Finished();
  }
  if (req.session_id != 0 && !member_->tree().HasSession(req.session_id)) {
    // A session id is random, and ZooKeeper's clients are not told the zxid that created
    // their session: one unknown here may have been created at another member a moment ago.
    // A linearizable sync brings this member up to everything committed before it; a session
    // still unknown after it is gone.
    metastorepb::RequestHeader h;
    h.set_consistency(raftpb::LINEARIZABLE);
    metastorepb::Query sync;
    sync.set_sync(true);
    return member_->Read(h, absl::Now() + absl::Milliseconds(timeout / 3), std::move(sync),
                         [this, self = shared_from_this(), req, timeout](
                             const metastorepb::ResponseHeader& h, const metastorepb::QueryReply&) {
                           if (h.error() != metastorepb::OK) {
                             LOG(INFO)
                                 << "ZooKeeper client " << peer_ip_ << " of "
                                 << SessionLabel(req.session_id) << ": this member could not sync ("
                                 << h.message() << "): closing, it "
                                 << "moves on";
                             request_outcome_ = h.error();
                             Close();
                             return Finished();
                           }
                           ConnectAfterSync(req, timeout);
                         });
  }
  ConnectAfterSync(req, timeout);
}

void RequestHandler::ConnectAfterSync(const ConnectRequest& req, int64_t timeout) {
  const int64_t seen = req.last_zxid_seen;
  last_zxid_ = seen;
  member_->AfterCatchUp(
      seen, absl::Milliseconds(timeout / 3),
      [this, self = shared_from_this(), req, timeout, seen](bool ok) {
        if (!ok) {
          // As ZooKeeper: a client never goes back in time; it tries another member.
          LOG(INFO) << "ZooKeeper client " << peer_ip_ << " has seen zxid " << seen
                    << ", this member has applied " << Applied() << ": closing, it moves on";
          request_outcome_ = metastorepb::MEMBER_BEHIND;
          Close();
          return Finished();
        }
        if (req.session_id != 0) {
          const auto password = member_->tree().SessionPassword(req.session_id);
          if (!password.has_value() || password->empty() || *password != req.password) {
            LOG(INFO) << SessionLabel(req.session_id) << " from " << peer_ip_
                      << (password.has_value() ? ": wrong password" : ": expired");
            return RefuseSession();
          }
          return Attach(req.session_id, member_->tree().SessionTimeout(req.session_id), *password,
                        req.has_read_only);
        }
        metastorepb::Command cmd;
        cmd.mutable_create_session()->set_timeout_ms(timeout);
        cmd.mutable_create_session()->set_password(metastore::NewSessionPassword());
        const std::string password = cmd.create_session().password();
        Write(std::move(cmd), [this, self, password, has_read_only = req.has_read_only](
                                  const metastorepb::ResponseHeader& h,
                                  const metastorepb::CommandReply& reply) {
          if (h.error() != metastorepb::OK) {
            LOG(WARNING) << "ZooKeeper client " << peer_ip_ << ": no session: " << h.message();
            request_outcome_ = h.error();
            Close();
            return Finished();
          }
          SeenZxid(static_cast<int64_t>(h.zxid()));
          Attach(reply.session_id(), reply.timeout_ms(), password, has_read_only);
        });
      });
}

void RequestHandler::Attach(uint64_t session, int64_t timeout_ms, const std::string& password,
                            bool client_sends_read_only) {
  if (timeout_ms <= 0) return RefuseSession();  // expired meanwhile
  session_ = session;
  timeout_ms_ = timeout_ms;
  connected_ = true;
  hooks_.attached(session);
  member_->Touch(session, /*attached=*/true);
  const uint64_t sink_id =
      member_->watches().Attach(session, [this](const metastorepb::SessionEvent& e) {
        if (e.has_event()) {
          sent_.fetch_add(1, std::memory_order_relaxed);
          hooks_.send(Notification(static_cast<int64_t>(e.event().zxid()), e.event().type(),
                                   e.event().path()));
        } else if (e.has_closed() && !closing_session_) {
          // Expired or closed elsewhere, or this member's tree jumped (a snapshot): the
          // client reconnects and learns which.
          LOG(INFO) << SessionLabel(session_) << ": connection ends: " << e.closed().message();
          Close();
        }
      });
  {
    // The connection may have gone meanwhile; then OnClosed found no sink to detach.
    std::unique_lock lock(mu_);
    if (closed_) {
      lock.unlock();
      member_->watches().Detach(session, sink_id);
      return Finished();
    }
    sink_id_ = sink_id;
  }
  ConnectResponse rsp;
  rsp.timeout_ms = static_cast<int32_t>(timeout_ms);
  rsp.session_id = static_cast<int64_t>(session);
  rsp.password = password;
  JuteWriter w;
  zookeeper::Write(w, rsp);
  std::string body = w.Take();
  if (!client_sends_read_only) body.pop_back();  // an old client reads no read-only flag
  sent_.fetch_add(1, std::memory_order_relaxed);
  hooks_.send(std::move(body));
  request_outcome_ = metastorepb::OK;
  Finished();
}

// As ZooKeeper answers an unknown or expired session, or a wrong password: timeout 0 and
// session 0 (the client reports the session expired), then the connection ends.
void RequestHandler::RefuseSession() {
  ConnectResponse rsp;
  rsp.password.assign(kPasswordBytes, '\0');
  JuteWriter w;
  zookeeper::Write(w, rsp);
  hooks_.send(w.Take());
  request_outcome_ = metastorepb::SESSION_EXPIRED;
  Close();
  Finished();
}

// ---------------------------------------------------------------------------------------
// Plumbing

absl::Time RequestHandler::Deadline() const {
  // Answered well before the client gives up on this member (2/3 of its timeout).
  return absl::Now() + absl::Milliseconds(std::max<int64_t>(timeout_ms_.load() / 2, 1000));
}

int64_t RequestHandler::Applied() const {
  return static_cast<int64_t>(member_->tree().LastApplied());
}

void RequestHandler::SeenZxid(int64_t zxid) {
  int64_t seen = last_zxid_.load();
  while (zxid > seen && !last_zxid_.compare_exchange_weak(seen, zxid)) {
  }
}

void RequestHandler::Reply(int32_t xid, int64_t zxid, int32_t error, const std::string& body,
                           bool body_with_error) {
  SeenZxid(zxid);
  JuteWriter w;
  WriteReplyHeader(w, xid, zxid, error);
  std::string frame = w.Take();
  if (error == err::kOk || body_with_error) frame += body;
  request_outcome_ = OutcomeOf(error);
  sent_.fetch_add(1, std::memory_order_relaxed);
  hooks_.send(std::move(frame));
}

void RequestHandler::ReplyError(int32_t xid, const metastorepb::ResponseHeader& h,
                                const std::string& body) {
  if (h.error() == metastorepb::MEMBER_BEHIND || h.error() == metastorepb::LEADER_UNREACHABLE) {
    LOG(INFO) << SessionLabel(session_) << " moves on: " << h.message();
    request_outcome_ = h.error();
    Close();
    return;
  }
  Reply(xid, std::max<int64_t>(static_cast<int64_t>(h.zxid()), Applied()), CodeOf(h.error()), body,
        /*body_with_error=*/true);
  request_outcome_ = h.error();
}

void RequestHandler::Malformed(int32_t xid, std::string_view what) {
  LOG(WARNING) << SessionLabel(session_) << " from " << peer_ip_ << ": malformed request (" << what
               << "): closing the connection";
  Reply(xid, Applied(), err::kMarshallingError);
  Close();
  Finished();
}

void RequestHandler::Write(metastorepb::Command cmd, Member::WriteDone done) {
  metastorepb::RequestHeader h;
  h.set_session_id(session_);
  h.set_client_id(client_id_);
  h.set_seq(++seq_);
  h.set_first_incomplete_seq(seq_);  // one request at a time: every earlier one is answered
  *cmd.mutable_auth() = auth_;
  member_->Write(h, std::move(cmd), Deadline(), std::move(done));
}

void RequestHandler::WriteOne(metastorepb::Op op, Member::WriteDone done) {
  metastorepb::Command cmd;
  *cmd.mutable_multi()->add_ops() = std::move(op);
  Write(std::move(cmd), std::move(done));
}

void RequestHandler::Read(metastorepb::Query query, Member::ReadDone done, bool linearizable) {
  metastorepb::RequestHeader h;
  h.set_session_id(session_);
  h.set_consistency(linearizable ? raftpb::LINEARIZABLE : raftpb::SEQUENTIAL);
  h.set_min_zxid(static_cast<uint64_t>(last_zxid_.load()));
  *query.mutable_auth() = auth_;
  member_->Read(h, Deadline(), std::move(query), std::move(done));
}

void RequestHandler::AfterCaughtUp(std::function<void()> fn) {
  const int64_t seen = last_zxid_.load();
  member_->AfterCatchUp(seen, absl::Milliseconds(timeout_ms_ / 3),
                        [this, self = shared_from_this(), fn = std::move(fn)](bool ok) {
                          if (ok) return fn();
                          LOG(INFO) << SessionLabel(session_) << " moves on: this member is "
                                    << "behind what its client has seen";
                          Close();
                          Finished();
                        });
}

// ---------------------------------------------------------------------------------------
// Writes

int32_t RequestHandler::ReadCreate(int32_t type, JuteReader& r, metastorepb::Op* op) {
  auto* c = op->mutable_create();
  c->set_path(r.String());
  c->set_data(r.Buffer());
  ReadAcls(r, c->mutable_acl());
  const int32_t flags = r.Int();
  const int64_t ttl = type == op::kCreateTtl ? r.Long() : -1;
  if (!r.ok()) return err::kMarshallingError;
  if (c->acl().empty()) return err::kInvalidAcl;  // to the tree, empty is the default
  const bool ttl_mode =
      flags == mode::kPersistentWithTtl || flags == mode::kPersistentSequentialWithTtl;
  if (flags < mode::kPersistent || flags > mode::kPersistentSequentialWithTtl ||
      (flags == mode::kContainer) != (type == op::kCreateContainer) ||
      ttl_mode != (type == op::kCreateTtl) || (ttl_mode && ttl <= 0)) {
    return err::kBadArguments;
  }
  c->set_ephemeral(flags == mode::kEphemeral || flags == mode::kEphemeralSequential);
  c->set_sequential(flags == mode::kPersistentSequential || flags == mode::kEphemeralSequential ||
                    flags == mode::kPersistentSequentialWithTtl);
  c->set_container(flags == mode::kContainer);
  if (ttl_mode) c->set_ttl_ms(ttl);
  return err::kOk;
}

void RequestHandler::Create(int32_t xid, int32_t type, JuteReader& r) {
  metastorepb::Op op;
  if (int32_t code = ReadCreate(type, r, &op); code != err::kOk) {
    if (code == err::kMarshallingError) return Malformed(xid, "a truncated create request");
    Reply(xid, Applied(), code);
    return Finished();
  }
  WriteAndAnswer(xid, std::move(op), [type](JuteWriter& w, const metastorepb::OpResult& result) {
    WriteCreated(w, type, result);
  });
}

void RequestHandler::Delete(int32_t xid, JuteReader& r) {
  metastorepb::Op op;
  op.mutable_delete_()->set_path(r.String());
  op.mutable_delete_()->set_version(r.Int());
  if (!r.ok()) return Malformed(xid, "a truncated delete request");
  WriteAndAnswer(xid, std::move(op), nullptr);
}

void RequestHandler::SetData(int32_t xid, JuteReader& r) {
  metastorepb::Op op;
  op.mutable_set_data()->set_path(r.String());
  op.mutable_set_data()->set_data(r.Buffer());
  op.mutable_set_data()->set_version(r.Int());
  if (!r.ok()) return Malformed(xid, "a truncated setData request");
  WriteAndAnswer(xid, std::move(op), AnswerStat);
}

void RequestHandler::Check(int32_t xid, JuteReader& r) {
  metastorepb::Op op;
  op.mutable_check()->set_path(r.String());
  op.mutable_check()->set_version(r.Int());
  if (!r.ok()) return Malformed(xid, "a truncated check request");
  WriteAndAnswer(xid, std::move(op), nullptr);
}

void RequestHandler::WriteAndAnswer(int32_t xid, metastorepb::Op op, WriteBody body) {
  WriteOne(std::move(op), [this, self = shared_from_this(), xid, body = std::move(body)](
                              const auto& h, const auto& reply) {
    if (h.error() != metastorepb::OK || reply.results_size() != 1) {
      ReplyError(xid, h);
      return Finished();
    }
    JuteWriter w;
    if (body) body(w, reply.results(0));
    Reply(xid, static_cast<int64_t>(h.zxid()), err::kOk, w.bytes());
    Finished();
  });
}

void RequestHandler::ReadAndAnswer(int32_t xid, metastorepb::Query query, ReadBody body,
                                   bool linearizable) {
  Read(
      std::move(query),
      [this, self = shared_from_this(), xid, body = std::move(body)](const auto& h,
                                                                     const auto& reply) {
        if (h.error() != metastorepb::OK) {
          ReplyError(xid, h);
          return Finished();
        }
        JuteWriter w;
        const int32_t code = body(w, reply);
        Reply(xid, static_cast<int64_t>(h.zxid()), code, w.bytes());
        Finished();
      },
      linearizable);
}

void RequestHandler::Multi(int32_t xid, JuteReader& r) {
  metastorepb::Command cmd;
  std::vector<int32_t> types;
  int refused_at = -1;
  int32_t refused_code = err::kOk;
  for (;;) {
    const int32_t type = r.Int();
    const bool done = r.Bool();
    r.Int();  // err, unused in requests
    if (!r.ok()) return Malformed(xid, "a truncated multi");
    if (done) break;
    if (types.size() >= kMaxMultiOps) return Malformed(xid, "a multi of too many ops");
    metastorepb::Op op;
    if (IsCreate(type)) {
      if (int32_t code = ReadCreate(type, r, &op); code != err::kOk) {
        if (code == err::kMarshallingError) return Malformed(xid, "a truncated multi create");
        if (refused_at < 0) {
          refused_at = static_cast<int>(types.size());
          refused_code = code;
        }
      }
    } else if (type == op::kDelete) {
      op.mutable_delete_()->set_path(r.String());
      op.mutable_delete_()->set_version(r.Int());
    } else if (type == op::kSetData) {
      op.mutable_set_data()->set_path(r.String());
      op.mutable_set_data()->set_data(r.Buffer());
      op.mutable_set_data()->set_version(r.Int());
    } else if (type == op::kCheck) {
      op.mutable_check()->set_path(r.String());
      op.mutable_check()->set_version(r.Int());
    } else {
      return Malformed(xid, absl::StrCat("a multi with an op of type ", type));
    }
    if (!r.ok()) return Malformed(xid, "a truncated multi op");
    types.push_back(type);
    *cmd.mutable_multi()->add_ops() = std::move(op);
  }
  if (refused_at >= 0) {
    // As ZooKeeper's PrepRequestProcessor: the refused op fails the multi like any other.
    JuteWriter w;
    for (int i = 0; i < static_cast<int>(types.size()); ++i) {
      const int32_t code = i < refused_at    ? err::kOk
                           : i == refused_at ? refused_code
                                             : err::kRuntimeInconsistency;
      WriteMultiError(w, code);
    }
    WriteMultiEnd(w);
    Reply(xid, Applied(), err::kOk, w.bytes());
    return Finished();
  }
  Write(std::move(cmd), [this, self = shared_from_this(), xid, types](const auto& h,
                                                                      const auto& reply) {
    const bool per_op = reply.results_size() == static_cast<int>(types.size());
    if (h.error() != metastorepb::OK && !per_op) {
      // Refused as a whole (unavailable, too large...): the error in the header, where
      // ZooKeeper's Java client reads it (and no body), and a result per op all the same,
      // which its C client reads whatever the header says: it aborts on a multi reply
      // without them (deserialize_multi: "Assertion `entry' failed").
      JuteWriter w;
      for (size_t i = 0; i < types.size(); ++i) {
        WriteMultiError(w, i == 0 ? CodeOf(h.error()) : err::kRuntimeInconsistency);
      }
      WriteMultiEnd(w);
      ReplyError(xid, h, w.bytes());
      return Finished();
    }
    // As ZooKeeper: the header says OK and each op has its result; when one failed, every
    // op's result is an error (OK before the failing one, RuntimeInconsistency after).
    const bool failed = h.error() != metastorepb::OK;
    JuteWriter w;
    for (size_t i = 0; i < types.size(); ++i) {
      const auto& result = reply.results(static_cast<int>(i));
      if (failed) {
        WriteMultiError(w, CodeOf(result.error()));
        continue;
      }
      // ZooKeeper's CreateResult is create (path) or create2 (path, stat): its client's
      // MultiResponse knows no other create type.
      const int32_t type = IsCreate(types[i]) && types[i] != op::kCreate ? op::kCreate2 : types[i];
      WriteMultiResult(w, type);
      if (IsCreate(type)) {
        WriteCreated(w, type, result);
      } else if (types[i] == op::kSetData) {
        WriteStat(w, result.stat());
      }
    }
    WriteMultiEnd(w);
    Reply(xid, static_cast<int64_t>(h.zxid()), err::kOk, w.bytes());
    Finished();
  });
}

void RequestHandler::CloseSession(int32_t xid) {
  metastorepb::Command cmd;
  cmd.set_close_session(true);
  closing_session_ = true;
  Write(std::move(cmd), [this, self = shared_from_this(), xid](const auto& h, const auto&) {
    // Closed already (expired) is as good as closed.
    const int32_t code = h.error() == metastorepb::SESSION_EXPIRED ? err::kOk : CodeOf(h.error());
    Reply(xid, static_cast<int64_t>(h.zxid()), code);
    Close();
    Finished();
  });
}

// ---------------------------------------------------------------------------------------
// Reads

void RequestHandler::Exists(int32_t xid, JuteReader& r) {
  metastorepb::Query q;
  q.mutable_exists()->set_path(r.String());
  q.mutable_exists()->set_watch(r.Bool());
  if (!r.ok()) return Malformed(xid, "a truncated exists request");
  ReadAndAnswer(xid, std::move(q), [](JuteWriter& w, const metastorepb::QueryReply& reply) {
    if (!reply.exists()) return err::kNoNode;
    WriteStat(w, reply.stat());
    return err::kOk;
  });
}

void RequestHandler::GetData(int32_t xid, JuteReader& r) {
  metastorepb::Query q;
  q.mutable_get_data()->set_path(r.String());
  q.mutable_get_data()->set_watch(r.Bool());
  if (!r.ok()) return Malformed(xid, "a truncated getData request");
  if (q.get_data().path() == metastore::kConfigNode) return GetConfig(xid, q.get_data().watch());
  ReadAndAnswer(xid, std::move(q), [](JuteWriter& w, const metastorepb::QueryReply& reply) {
    w.Buffer(reply.data());
    WriteStat(w, reply.stat());
    return err::kOk;
  });
}

// /zookeeper/config, as ZooKeeper shows its dynamic configuration: a line per member
// ("server.<id>=<host>:<quorum port>:<election port>:participant|observer") and the version.
// The quorum port is the member's one Raft and gRPC port; Warren has no election port of its
// own, shown as 0 (ZooKeeper's parser, which Curator runs on it, wants the two to differ).
// No client address follows: a member knows no other member's ZooKeeper port, and Curator
// keeps the connect string it was given when the configuration names none. Learners show as
// observers.
void RequestHandler::GetConfig(int32_t xid, bool watch) {
  metastorepb::Query q;  // read as any node: the watch and the stat are the tree's
  q.mutable_get_data()->set_path(std::string(metastore::kConfigNode));
  q.mutable_get_data()->set_watch(watch);
  Read(std::move(q), [this, self = shared_from_this(), xid](const auto& h, const auto& reply) {
    if (h.error() != metastorepb::OK) {
      ReplyError(xid, h);
      return Finished();
    }
    member_->GroupStatus([this, self, xid, h, stat = reply.stat()](raftpb::GroupStatus gs) {
      ReplyConfig(xid, static_cast<int64_t>(h.zxid()), gs, stat);
      Finished();
    });
  });
}

void RequestHandler::ReplyConfig(int32_t xid, int64_t zxid, const raftpb::GroupStatus& gs,
                                 metastorepb::Stat stat) {
  std::string config;
  for (const auto& m : gs.members()) {
    absl::StrAppend(&config, "server.", m.id(), "=", m.address(),
                    ":0:", m.role() == "learner" ? "observer" : "participant", "\n");
  }
  absl::StrAppend(&config, "version=", absl::Hex(gs.applied()));
  JuteWriter w;
  w.Buffer(config);
  stat.set_data_length(static_cast<int32_t>(config.size()));
  WriteStat(w, stat);
  Reply(xid, zxid, err::kOk, w.bytes());
}

// ZooKeeper's incremental reconfig, as Warren's membership changes: each leaving id is
// removed; each joining "server.<id>=<host>:<port>[:<port>][:participant|observer][;...]" is
// added as a learner at <host>:<port> (its Raft port; the member must be running with
// --join), then promoted if a participant once it has caught up. Only the superuser may
// (ZooKeeper asks the same of a client, or ADMIN on /zookeeper/config); a whole new member
// list, or a config version to check against, is BadArguments. Answers the new
// configuration, as getConfig shows it.
void RequestHandler::Reconfig(int32_t xid, JuteReader& r) {
  const std::string joining = r.String();
  const std::string leaving = r.String();
  const std::string new_members = r.String();
  const int64_t config_id = r.Long();
  if (!r.ok()) return Malformed(xid, "a truncated reconfig request");
  if (!metastore::IsSuperuser(auth_)) {
    Reply(xid, Applied(), err::kNoAuth);
    return Finished();
  }
  auto state = std::make_shared<ReconfigState>();
  std::deque<raftpb::MembershipRequest>* steps = &state->steps;
  bool ok = new_members.empty() && config_id == -1 && !(joining.empty() && leaving.empty());
  for (absl::string_view entry : absl::StrSplit(joining, ',', absl::SkipWhitespace())) {
    entry = absl::StripAsciiWhitespace(entry);
    if (!absl::ConsumePrefix(&entry, "server.")) ok = false;
    const std::vector<std::string> id_and_rest = absl::StrSplit(entry, absl::MaxSplits('=', 1));
    const std::vector<std::string> fields =
        absl::StrSplit(std::string(absl::StrSplit(id_and_rest.back(), ';').begin()->data(),
                                   id_and_rest.back().find(';') == std::string::npos
                                       ? id_and_rest.back().size()
                                       : id_and_rest.back().find(';')),
                       ':');
    uint64_t n = 0, port = 0;
    ok = ok && id_and_rest.size() == 2 && absl::SimpleAtoi(id_and_rest[0], &n) && n > 0 &&
         fields.size() >= 2 && !fields[0].empty() && absl::SimpleAtoi(fields[1], &port) &&
         port > 0 && port < 65536;
    const std::string role = fields.size() >= 4 ? fields[3] : "participant";
    ok = ok && (role == "participant" || role == "observer");
    if (!ok) break;
    steps->emplace_back().set_op(raftpb::MembershipRequest::ADD_LEARNER);
    steps->back().set_id(n);
    steps->back().set_address(absl::StrCat(fields[0], ":", port));
    if (role == "participant") {
      steps->emplace_back().set_op(raftpb::MembershipRequest::PROMOTE);
      steps->back().set_id(n);
    }
  }
  // Joining first, then leaving: the group does not shrink before it has grown.
  for (absl::string_view id : absl::StrSplit(leaving, ',', absl::SkipWhitespace())) {
    uint64_t n;
    ok = ok && absl::SimpleAtoi(absl::StripAsciiWhitespace(id), &n) && n > 0;
    steps->emplace_back().set_op(raftpb::MembershipRequest::REMOVE);
    steps->back().set_id(n);
  }
  if (!ok) {
    LOG(WARNING) << SessionLabel(session_) << ": reconfig refused: joining '" << joining
                 << "', leaving '" << leaving << "', new members '" << new_members
                 << "', config id " << config_id;
    Reply(xid, Applied(), err::kBadArguments);
    return Finished();
  }
  state->deadline = Deadline();
  ReconfigNext(xid, std::move(state));
}

void RequestHandler::ReconfigNext(int32_t xid, std::shared_ptr<ReconfigState> state) {
  if (state->steps.empty()) {
    // Answered with the configuration this member has once it has applied the last change.
    return member_->AfterCatchUp(state->zxid, state->deadline - absl::Now(),
                                 [this, self = shared_from_this(), xid](bool) {
                                   member_->GroupStatus([this, self, xid](raftpb::GroupStatus gs) {
                                     ReplyConfig(xid, Applied(), gs, metastorepb::Stat());
                                     Finished();
                                   });
                                 });
  }
  const raftpb::MembershipRequest step = state->steps.front();
  member_->ChangeMembership(
      step, state->deadline,
      [this, self = shared_from_this(), xid, state, step](const metastorepb::ResponseHeader& h) {
        // Tried again, while there is time: a learner just added, until it has caught up (the
        // leader refuses to promote it before); and any step while the group has no leader to
        // take it (one removed may have led).
        const bool promote_early = h.error() == metastorepb::BAD_ARGUMENTS &&
                                   step.op() == raftpb::MembershipRequest::PROMOTE;
        const bool no_leader =
            h.error() == metastorepb::UNAVAILABLE || h.error() == metastorepb::NOT_LEADER;
        if ((promote_early || no_leader) &&
            absl::Now() + absl::Milliseconds(100) < state->deadline) {
          return member_->RunAfter(absl::Milliseconds(100),
                                   [this, self, xid, state] { ReconfigNext(xid, state); });
        }
        if (h.error() != metastorepb::OK) {
          LOG(WARNING) << SessionLabel(session_) << ": reconfig stopped at member " << step.id()
                       << ": " << h.message();
          ReplyError(xid, h);
          return Finished();
        }
        state->zxid = std::max(state->zxid, h.zxid());
        state->steps.pop_front();
        ReconfigNext(xid, state);
      });
}

void RequestHandler::GetChildren(int32_t xid, int32_t type, JuteReader& r) {
  metastorepb::Query q;
  q.mutable_get_children()->set_path(r.String());
  q.mutable_get_children()->set_watch(r.Bool());
  if (!r.ok()) return Malformed(xid, "a truncated getChildren request");
  ReadAndAnswer(xid, std::move(q), [type](JuteWriter& w, const metastorepb::QueryReply& reply) {
    w.Int(reply.children_size());
    for (const auto& child : reply.children()) w.String(child.name());
    if (type == op::kGetChildren2) WriteStat(w, reply.stat());
    return err::kOk;
  });
}

// Every op is a read of its own, in order, each answered even if another fails (as
// ZooKeeper's multiRead). The reads are not one snapshot: a write may apply between two.
void RequestHandler::MultiRead(int32_t xid, JuteReader& r) {
  auto state = std::make_shared<MultiReadState>();
  state->xid = xid;
  for (;;) {
    const int32_t type = r.Int();
    const bool done = r.Bool();
    r.Int();
    if (!r.ok()) return Malformed(xid, "a truncated multiRead");
    if (done) break;
    if (state->ops.size() >= kMaxMultiOps) return Malformed(xid, "a multiRead of too many ops");
    metastorepb::Query q;
    if (type == op::kGetData) {
      q.mutable_get_data()->set_path(r.String());
      q.mutable_get_data()->set_watch(r.Bool());
    } else if (type == op::kGetChildren) {
      q.mutable_get_children()->set_path(r.String());
      q.mutable_get_children()->set_watch(r.Bool());
    } else {
      return Malformed(xid, absl::StrCat("a multiRead with an op of type ", type));
    }
    if (!r.ok()) return Malformed(xid, "a truncated multiRead op");
    state->ops.emplace_back(type, std::move(q));
  }
  MultiReadNext(std::move(state));
}

void RequestHandler::MultiReadNext(std::shared_ptr<MultiReadState> state) {
  JuteWriter& w = state->out;
  if (state->next == state->ops.size()) {
    WriteMultiEnd(w);
    Reply(state->xid, std::max(state->zxid, Applied()), err::kOk, w.bytes());
    return Finished();
  }
  auto& [type, q] = state->ops[state->next++];
  Read(std::move(q), [this, self = shared_from_this(), state, type = type](const auto& h,
                                                                           const auto& reply) {
    if (h.error() == metastorepb::MEMBER_BEHIND || h.error() == metastorepb::LEADER_UNREACHABLE) {
      ReplyError(state->xid, h);
      return Finished();
    }
    state->zxid = std::max(state->zxid, static_cast<int64_t>(h.zxid()));
    JuteWriter& w = state->out;
    if (h.error() != metastorepb::OK) {
      WriteMultiError(w, CodeOf(h.error()));
    } else if (type == op::kGetData) {
      WriteMultiResult(w, type);
      w.Buffer(reply.data());
      WriteStat(w, reply.stat());
    } else {
      WriteMultiResult(w, type);
      w.Int(reply.children_size());
      for (const auto& child : reply.children()) w.String(child.name());
    }
    MultiReadNext(state);
  });
}

void RequestHandler::Sync(int32_t xid, JuteReader& r) {
  std::string path = r.String();
  if (!r.ok()) return Malformed(xid, "a truncated sync request");
  metastorepb::Query q;
  q.set_sync(true);
  ReadAndAnswer(
      xid, std::move(q),
      [path](JuteWriter& w, const metastorepb::QueryReply&) {
        w.String(path);
        return err::kOk;
      },
      /*linearizable=*/true);
}

void RequestHandler::GetEphemerals(int32_t xid, JuteReader& r) {
  std::string prefix = r.String();
  if (!r.ok()) return Malformed(xid, "a truncated getEphemerals request");
  AfterCaughtUp([this, xid, prefix] {
    JuteWriter w;
    w.Strings(member_->tree().Ephemerals(session_, prefix));
    Reply(xid, Applied(), err::kOk, w.bytes());
    Finished();
  });
}

void RequestHandler::GetAllChildrenNumber(int32_t xid, JuteReader& r) {
  std::string path = r.String();
  if (!r.ok()) return Malformed(xid, "a truncated getAllChildrenNumber request");
  AfterCaughtUp([this, xid, path] {
    auto count = member_->tree().CountDescendants(path);
    if (!count.ok()) {
      Reply(xid, Applied(), CodeOf(metastore::ErrorOf(count.status())));
    } else {
      JuteWriter w;
      w.Int(static_cast<int32_t>(std::min<int64_t>(*count, INT32_MAX)));
      Reply(xid, Applied(), err::kOk, w.bytes());
    }
    Finished();
  });
}

// ---------------------------------------------------------------------------------------
// Watches

// A client that moved here sets its watches again, with the last zxid it saw: a watch whose
// node changed since then fires at once (the tree's AddWatch); persistent watches are sent
// what they missed if this member still has it, else set with a gap (logged), which is
// more than ZooKeeper does (it never replays them).
void RequestHandler::SetWatches(int32_t xid, int32_t type, JuteReader& r) {
  const int64_t since = r.Long();
  std::vector<std::pair<std::vector<std::string>, metastorepb::WatchKind>> lists;
  lists.emplace_back(r.Strings(), metastorepb::WATCH_DATA);
  lists.emplace_back(r.Strings(), metastorepb::WATCH_EXISTS);
  lists.emplace_back(r.Strings(), metastorepb::WATCH_CHILDREN);
  if (type == op::kSetWatches2) {
    lists.emplace_back(r.Strings(), metastorepb::WATCH_PERSISTENT);
    lists.emplace_back(r.Strings(), metastorepb::WATCH_PERSISTENT_RECURSIVE);
  }
  if (!r.ok()) return Malformed(xid, "a truncated setWatches request");
  SeenZxid(since);
  AfterCaughtUp([this, xid, since, lists = std::move(lists)] {
    for (const auto& [paths, kind] : lists) {
      for (const auto& path : paths) {
        metastorepb::AddWatch w;
        w.set_path(path);
        w.set_kind(kind);
        w.set_since_zxid(static_cast<uint64_t>(since));
        // As ZooKeeper, which replays nothing to a persistent watch set again: what this
        // member still holds is sent, and a gap before it is only logged.
        auto s =
            member_->tree().AddWatch(session_, w, metastore::WatchManager::OnGap::kWarn, auth_);
        if (!s.ok()) {
          LOG(WARNING) << SessionLabel(session_) << ": watch on " << path
                       << " not set again: " << s.message();
        }
      }
    }
    Reply(xid, Applied(), err::kOk);
    Finished();
  });
}

void RequestHandler::AddWatch(int32_t xid, JuteReader& r) {
  metastorepb::AddWatch w;
  w.set_path(r.String());
  const int32_t mode = r.Int();
  if (!r.ok()) return Malformed(xid, "a truncated addWatch request");
  if (mode != 0 && mode != 1) {
    Reply(xid, Applied(), err::kBadArguments);
    return Finished();
  }
  w.set_kind(mode == 0 ? metastorepb::WATCH_PERSISTENT : metastorepb::WATCH_PERSISTENT_RECURSIVE);
  AfterCaughtUp([this, xid, w] {
    const int32_t code = CodeOf(metastore::ErrorOf(
        member_->tree().AddWatch(session_, w, metastore::WatchManager::OnGap::kRefuse, auth_)));
    JuteWriter body;  // ZooKeeper answers addWatch with an ErrorResponse after the header
    body.Int(code);
    Reply(xid, Applied(), code, body.bytes());
    Finished();
  });
}

void RequestHandler::CheckOrRemoveWatches(int32_t xid, int32_t type, JuteReader& r) {
  const std::string path = r.String();
  const int32_t watcher = r.Int();
  if (!r.ok()) return Malformed(xid, "a truncated checkWatches/removeWatches request");
  const std::vector<metastorepb::WatchKind> kinds = KindsOf(watcher);
  if (kinds.empty()) {
    Reply(xid, Applied(), err::kBadArguments);
    return Finished();
  }
  bool found = false;
  for (auto kind : kinds) {
    found |= type == op::kRemoveWatches ? member_->watches().Remove(session_, path, kind)
                                        : member_->watches().Has(session_, path, kind);
  }
  Reply(xid, Applied(), found ? err::kOk : err::kNoWatcher);
  Finished();
}

// ---------------------------------------------------------------------------------------
// Identity

// ZooKeeper's `addauth`: the digest scheme ("user:password") adds the identity
// digest:user:<base64 sha1>, and the superuser's (--zk-super-digest) passes every ACL. Any
// other scheme, or a digest without a user, fails as in ZooKeeper: AuthFailed, and the
// connection ends.
void RequestHandler::Auth(int32_t xid, JuteReader& r) {
  r.Int();  // type, unused
  const std::string scheme = r.String();
  const std::string auth = r.Buffer();
  if (!r.ok()) return Malformed(xid, "a truncated auth request");
  const size_t colon = auth.find(':');
  if (scheme != "digest" || colon == std::string::npos || colon == 0) {
    LOG(WARNING) << SessionLabel(session_) << " from " << peer_ip_ << ": auth scheme '" << scheme
                 << "' refused" << (scheme == "digest" ? " (no user:password)" : "");
    Reply(xid, 0, err::kAuthFailed);
    Close();
    return Finished();
  }
  const std::string id = metastore::DigestId(auth.substr(0, colon), auth.substr(colon + 1));
  AddIdentity("digest", id);
  if (!options_->super_digest.empty() && id == options_->super_digest) AddIdentity("super", "");
  Reply(xid, 0, err::kOk);
  Finished();
}

void RequestHandler::GetAcl(int32_t xid, JuteReader& r) {
  metastorepb::Query q;
  q.mutable_get_acl()->set_path(r.String());
  if (!r.ok()) return Malformed(xid, "a truncated getACL request");
  ReadAndAnswer(xid, std::move(q), [](JuteWriter& w, const metastorepb::QueryReply& reply) {
    WriteAcls(w, reply.acl());
    WriteStat(w, reply.stat());
    return err::kOk;
  });
}

void RequestHandler::SetAcl(int32_t xid, JuteReader& r) {
  metastorepb::Op op;
  auto* set = op.mutable_set_acl();
  set->set_path(r.String());
  ReadAcls(r, set->mutable_acl());
  set->set_version(r.Int());
  if (!r.ok()) return Malformed(xid, "a truncated setACL request");
  WriteAndAnswer(xid, std::move(op), AnswerStat);
}

void RequestHandler::WhoAmI(int32_t xid) {
  JuteWriter w;
  w.Int(auth_.size());
  for (const metastorepb::Id& id : auth_) {
    w.String(id.scheme());
    // A digest id shows its user only, as ZooKeeper's does.
    w.String(id.scheme() == "digest" ? id.id().substr(0, id.id().find(':')) : id.id());
  }
  Reply(xid, Applied(), err::kOk, w.bytes());
  Finished();
}

}  // namespace warren::zookeeper
