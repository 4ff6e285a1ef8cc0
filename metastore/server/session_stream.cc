#include "metastore/server/session_stream.h"

#include "absl/strings/str_cat.h"
#include "metastore/errors.h"
#include "metastore/server/metastore_service.h"

namespace warren::metastore {

SessionStream::SessionStream(MetastoreService* service) : service_(service) { StartRead(&in_); }

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
  if (!closing_ || finished_) return;
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
  std::unique_lock lock(mu_);
  if (finished_ || closing_) return;
  lock.unlock();
  StartRead(&in_);
}

void SessionStream::Handle(const metastorepb::SessionRequest& req) {
  if (!service_->leading()) return Close(service_->NotLeaderHeader());
  switch (req.msg_case()) {
    case metastorepb::SessionRequest::kAttach:
      return Attach(req.attach());
    case metastorepb::SessionRequest::kKeepAlive: {
      if (session_ == 0) {
        return Close(
            ErrorHeader(MetaError(metastorepb::BAD_ARGUMENTS, "keep-alive before attach")));
      }
      if (!service_->tree_->HasSession(session_)) {
        return Close(ErrorHeader(MetaError(metastorepb::SESSION_EXPIRED, SessionLabel(session_))));
      }
      service_->tracker_->Touch(session_);
      metastorepb::SessionEvent ack;
      ack.set_keep_alive_ack(service_->tree_->LastApplied());
      return Send(ack);
    }
    case metastorepb::SessionRequest::kAddWatch:
    case metastorepb::SessionRequest::kRemoveWatch: {
      if (session_ == 0) {
        return Close(ErrorHeader(MetaError(metastorepb::BAD_ARGUMENTS, "watch before attach")));
      }
      if (req.has_remove_watch()) {
        service_->watches_->Remove(session_, req.remove_watch().path(), req.remove_watch().kind());
        return;
      }
      absl::Status s = service_->tree_->AddWatch(session_, req.add_watch());
      metastorepb::SessionEvent e;
      e.mutable_watch_ack()->set_path(req.add_watch().path());
      e.mutable_watch_ack()->set_kind(req.add_watch().kind());
      SetError(s, e.mutable_watch_ack()->mutable_header());
      // Every change after this zxid reaches the watch.
      e.mutable_watch_ack()->mutable_header()->set_zxid(service_->tree_->LastApplied());
      return Send(e);
    }
    default:
      return Close(ErrorHeader(MetaError(metastorepb::BAD_ARGUMENTS, "empty session message")));
  }
}

void SessionStream::Attach(uint64_t session) {
  if (session_ != 0 && session != session_) {
    return Close(
        ErrorHeader(MetaError(metastorepb::BAD_ARGUMENTS, "a stream carries one session")));
  }
  int64_t timeout = service_->tree_->SessionTimeout(session);
  if (timeout == 0) {
    // A session's id is the index of the entry that created it: a new leader that has not
    // applied that far yet cannot tell, and the client should come back.
    const bool not_yet = service_->tree_->LastApplied() < session;
    return Close(ErrorHeader(
        MetaError(not_yet ? metastorepb::UNAVAILABLE : metastorepb::SESSION_EXPIRED,
                  absl::StrCat(SessionLabel(session), not_yet ? " is not applied here yet" : ""))));
  }
  session_ = session;
  service_->tracker_->Touch(session);
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
