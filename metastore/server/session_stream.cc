#include "metastore/server/session_stream.h"

#include "absl/strings/str_cat.h"
#include "glog/logging.h"
#include "metastore/errors.h"
#include "metastore/server/metastore_service.h"
#include "metastore/session_secret.h"

namespace warren::metastore {

SessionStream::SessionStream(MetastoreService* service, IdField auth)
    : service_(service), auth_(std::move(auth)) {
  StartRead(&in_);
}

// gRPC operations are started outside mu_: a reaction must never find its own lock taken.
void SessionStream::Send(const metastorepb::SessionEvent& event) {
  std::unique_lock lock(mu_);
  if (closing_ || finished_) return;
  out_.push_back(event);
  if (event.has_closed()) closing_ = true;
  if (writing_) return;  // OnWriteDone picks it up
  writing_ = true;
  const metastorepb::SessionEvent* next = &out_.front();  // deque: stays put until popped
  lock.unlock();
  StartWrite(next);
}

void SessionStream::Close(const metastorepb::ResponseHeader& why) {
  timeout_ms_ = 0;  // no longer counted as attached (CloseSilentStreams looks no more)
  metastorepb::SessionEvent e;
  *e.mutable_closed() = why;
  Send(e);
}

void SessionStream::OnWriteDone(bool ok) {
  std::unique_lock lock(mu_);
  out_.pop_front();
  if (!ok) {
    out_.clear();
    closing_ = true;
  }
  if (!out_.empty()) {
    const metastorepb::SessionEvent* next = &out_.front();
    lock.unlock();
    StartWrite(next);
    return;
  }
  writing_ = false;
  if (!closing_ || finished_ || waiting_) return;
  finished_ = true;
  lock.unlock();
  Finish(grpc::Status::OK);
}

void SessionStream::OnReadDone(bool ok) {
  if (!ok) {  // the client closed its side or went away
    std::unique_lock lock(mu_);
    if (!writing_ && !finished_) {
      // Nothing queued: end now (Close would queue an empty "closed" event first).
      finished_ = closing_ = true;
      lock.unlock();
      Finish(grpc::Status::OK);
      return;
    }
    closing_ = true;  // OnWriteDone finishes once the queue drains
    return;
  }
  Handle(in_);
}

void SessionStream::ReadNext() {
  std::unique_lock lock(mu_);
  waiting_ = false;
  if (finished_) return;
  if (closing_) {
    if (writing_) return;  // OnWriteDone finishes once the queue drains
    finished_ = true;
    lock.unlock();
    Finish(grpc::Status::OK);
    return;
  }
  lock.unlock();
  StartRead(&in_);
}

void SessionStream::Handle(const metastorepb::SessionRequest& req) {
  switch (req.msg_case()) {
    case metastorepb::SessionRequest::kAttach: {
      const uint64_t session = req.attach();
      if (session_ != 0 && session != session_) {
        Close(ErrorHeader(MetaError(metastorepb::BAD_ARGUMENTS, "a stream carries one session")));
        break;
      }
      if (auto s = service_->CheckLeaderContact(service_->tree_->SessionTimeout(session));
          !s.ok()) {
        Close(ErrorHeader(s));
        break;
      }
      // The client has seen the zxid that created its session (CreateSession's answer).
      const uint64_t seen = req.seen_zxid();
      return AfterCatchUp(seen, service_->tree_->SessionTimeout(session),
                          [this, session, seen, password = req.password()](bool caught_up) {
                            if (caught_up) return Attach(session, password);
                            LOG(WARNING) << SessionLabel(session) << " not attached: this member "
                                         << "has applied " << service_->tree_->LastApplied()
                                         << ", its client has seen " << seen;
                            Close(service_->MemberBehindHeader(seen));
                          });
    }
    case metastorepb::SessionRequest::kKeepAlive: {
      if (session_ == 0) {
        Close(ErrorHeader(MetaError(metastorepb::BAD_ARGUMENTS, "keep-alive before attach")));
        break;
      }
      if (!service_->tree_->HasSession(session_)) {
        Close(ErrorHeader(MetaError(metastorepb::SESSION_EXPIRED, SessionLabel(session_))));
        break;
      }
      service_->tracker_->Touch(session_);
      metastorepb::SessionEvent ack;
      ack.set_keep_alive_ack(service_->tree_->LastApplied());
      Send(ack);
      break;
    }
    case metastorepb::SessionRequest::kAddWatch:
    case metastorepb::SessionRequest::kRemoveWatch: {
      if (session_ == 0) {
        Close(ErrorHeader(MetaError(metastorepb::BAD_ARGUMENTS, "watch before attach")));
        break;
      }
      if (req.has_remove_watch()) {
        service_->watches_->Remove(session_, req.remove_watch().path(), req.remove_watch().kind());
        break;
      }
      // Still behind after the wait, the tree refuses it (MemberBehind).
      return AfterCatchUp(req.add_watch().since_zxid(), service_->tree_->SessionTimeout(session_),
                          [this, watch = req.add_watch()](bool) { AddWatch(watch); });
    }
    default:
      Close(ErrorHeader(MetaError(metastorepb::BAD_ARGUMENTS, "empty session message")));
      break;
  }
  ReadNext();
}

void SessionStream::AfterCatchUp(uint64_t zxid, int64_t timeout_ms,
                                 std::function<void(bool)> then) {
  ZNodeTree* tree = service_->tree_;
  if (tree->LastApplied() >= zxid) {
    then(true);
    return ReadNext();
  }
  {
    std::lock_guard lock(mu_);
    if (finished_) return;  // a write failed meanwhile: gRPC is done with the stream
    waiting_ = true;
  }
  if (timeout_ms <= 0) timeout_ms = tree->limits().min_session_timeout_ms;
  service_->AfterCatchUp(zxid, absl::Milliseconds(timeout_ms / 3),
                         [this, then = std::move(then)](bool caught_up) {
                           then(caught_up);
                           ReadNext();
                         });
}

void SessionStream::AddWatch(const metastorepb::AddWatch& watch) {
  // The leader sets a watch even if it cannot replay all it missed, as any member does for a
  // client that every member turned away: a gap its client is told of (HISTORY_GAP) rather
  // than no watch at all.
  const bool take_gap = service_->leading() || watch.accept_gap();
  absl::Status s = service_->tree_->AddWatch(
      session_, watch, take_gap ? WatchManager::OnGap::kReport : WatchManager::OnGap::kRefuse,
      auth_);
  metastorepb::SessionEvent e;
  e.mutable_watch_ack()->set_path(watch.path());
  e.mutable_watch_ack()->set_kind(watch.kind());
  SetError(s, e.mutable_watch_ack()->mutable_header());
  // Every change after this zxid reaches the watch.
  e.mutable_watch_ack()->mutable_header()->set_zxid(service_->tree_->LastApplied());
  Send(e);
}

void SessionStream::Attach(uint64_t session, const std::string& password) {
  int64_t timeout = service_->tree_->SessionTimeout(session);
  const auto stored = service_->tree_->SessionPassword(session);
  if (timeout == 0 || !stored.has_value()) {
    return Close(ErrorHeader(MetaError(metastorepb::SESSION_EXPIRED, SessionLabel(session))));
  }
  // As ZooKeeper answers a re-attach with a wrong password: to this client the session is
  // gone. Nothing of the session is touched.
  if (!SessionPasswordMatches(*stored, password)) {
    LOG_EVERY_T(WARNING, 1.0) << SessionLabel(session) << ": attach refused, "
                              << (password.empty() ? "no password" : "wrong password");
    return Close(ErrorHeader(
        MetaError(metastorepb::SESSION_EXPIRED,
                  absl::StrCat(SessionLabel(session), " (", password.empty() ? "no" : "wrong",
                               " password: not this client's)"))));
  }
  session_ = session;
  attached_session_ = session;
  timeout_ms_ = timeout;
  service_->tracker_->Touch(session, /*attached=*/true);
  sink_id_ =
      service_->watches_->Attach(session, [this](const metastorepb::SessionEvent& e) { Send(e); });
  metastorepb::SessionEvent e;
  auto* attached = e.mutable_attached();
  attached->set_session_id(session);
  attached->set_timeout_ms(timeout);
  attached->mutable_header()->set_zxid(service_->tree_->LastApplied());
  Send(e);
}

void SessionStream::OnDone() {
  if (session_ != 0) service_->watches_->Detach(session_, sink_id_);
  {
    std::lock_guard lock(service_->streams_mu_);
    service_->streams_.erase(this);
  }
  delete this;
}

}  // namespace warren::metastore
