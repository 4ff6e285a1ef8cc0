#include "metastore/server/forwarder.h"

#include "absl/strings/str_cat.h"
#include "common/grpc_connect.h"
#include "glog/logging.h"
#include "grpcpp/grpcpp.h"
#include "metastore/errors.h"
#include "raft/transport/message_limits.h"

namespace warren::metastore {
namespace {

// Answers from the leader after which the write is worth sending again: nothing was decided.
bool WorthRetrying(metastorepb::Error e) {
  return e == metastorepb::NOT_LEADER || e == metastorepb::UNAVAILABLE ||
         e == metastorepb::OPERATION_TIMEOUT;
}

}  // namespace

struct Forwarder::PendingWrite {
  metastorepb::ForwardRequest req;
  metastorepb::ForwardResponse resp;
  absl::Time deadline;
  WriteDone done;
  int attempt = 0;
  std::string address;
  std::string last_error = "no leader is known";
  std::unique_ptr<grpc::ClientContext> ctx;
};

Forwarder::Forwarder(raft::Division* division, uint64_t self_id, const TlsFiles& tls,
                     ProposeHere propose_here)
    : division_(division), self_id_(self_id), tls_(tls), propose_here_(std::move(propose_here)) {}

Forwarder::~Forwarder() { Shutdown(); }

void Forwarder::Shutdown() {
  std::unique_lock lock(mu_);
  stopping_ = true;
  for (grpc::ClientContext* ctx : in_flight_) ctx->TryCancel();
  // Retries waiting out a backoff find stopping_ set and give up, within 250 ms.
  ended_.wait(lock, [this] { return alive_ == 0; });
}

Forwarder::Link& Forwarder::LinkTo(const std::string& address) {
  std::lock_guard lock(mu_);
  Link& link = links_[address];
  if (link.stub == nullptr) {
    link.channel = MemberChannel(address, raft::kMaxMessageBytes, tls_);
    link.stub = metastorepb::Metastore::NewStub(link.channel);
  }
  return link;
}

void Forwarder::Connect(Link& link) {
  {
    std::lock_guard lock(mu_);
    if (link.connecting || stopping_) return;
    link.connecting = true;
  }
  connects_.After(absl::ZeroDuration(), [this, &link] {
    ConnectChannel(*link.channel, absl::Now() + absl::Seconds(1));
    std::lock_guard lock(mu_);
    link.connecting = false;
  });
}

bool Forwarder::Begin(grpc::ClientContext* ctx) {
  std::lock_guard lock(mu_);
  if (stopping_) return false;
  in_flight_.insert(ctx);
  return true;
}

void Forwarder::Ended() {
  std::lock_guard lock(mu_);
  if (--alive_ == 0) ended_.notify_all();
}

void Forwarder::End(grpc::ClientContext* ctx) {
  std::lock_guard lock(mu_);
  in_flight_.erase(ctx);
}

void Forwarder::Write(metastorepb::RequestHeader header, metastorepb::Command cmd,
                      absl::Time deadline, WriteDone done) {
  auto w = std::make_shared<PendingWrite>();
  *w->req.mutable_header() = std::move(header);
  *w->req.mutable_command() = std::move(cmd);
  w->deadline = deadline;
  w->done = std::move(done);
  {
    std::lock_guard lock(mu_);
    if (stopping_) {
      w->last_error = "the member is shutting down";
      return GiveUp(*w, /*counted=*/false);
    }
    ++alive_;
  }
  Attempt(std::move(w));
}

void Forwarder::Attempt(std::shared_ptr<PendingWrite> w) {
  {
    std::lock_guard lock(mu_);
    if (stopping_) {
      w->last_error = "the member is shutting down";
      return GiveUp(*w);
    }
  }
  const uint64_t leader = division_->leader();
  if (leader == self_id_) {
    // It leads now: propose here, once, as any write it receives.
    WriteDone done = std::move(w->done);
    propose_here_(w->req.header(), std::move(*w->req.mutable_command()), std::move(done));
    return Ended();
  }
  if (leader == 0) {
    w->last_error = "no leader is known";
    return Later(std::move(w));
  }
  w->address = division_->AddressOf(leader);
  Link& link = LinkTo(w->address);
  if (link.channel->GetState(/*try_to_connect=*/false) != GRPC_CHANNEL_READY) {
    // Out only on a connection that is up, so that an attempt that could not connect is
    // known not to have reached the leader (and the next is not a retry).
    Connect(link);
    w->last_error =
        absl::StrCat("not connected to the leader, member ", leader, " at ", w->address);
    return Later(std::move(w));
  }
  w->ctx = std::make_unique<grpc::ClientContext>();
  w->ctx->set_deadline(absl::ToChronoTime(w->deadline));
  w->resp.Clear();
  if (!Begin(w->ctx.get())) {
    w->last_error = "the member is shutting down";
    return GiveUp(*w);
  }
  PendingWrite& ref = *w;
  link.stub->async()->Forward(ref.ctx.get(), &ref.req, &ref.resp,
                              [this, w = std::move(w)](grpc::Status gs) { Attempted(w, gs); });
}

void Forwarder::Attempted(std::shared_ptr<PendingWrite> w, const grpc::Status& gs) {
  End(w->ctx.get());
  if (gs.ok() && !WorthRetrying(w->resp.header().error())) {
    WriteDone done = std::move(w->done);
    done(w->resp.header(), w->resp.reply());
    return Ended();
  }
  if (!gs.ok()) {
    w->last_error = absl::StrCat("the leader at ", w->address, ": ", gs.error_message());
    w->req.mutable_header()->set_retry(true);  // it may have gone out before the break
  } else {
    w->last_error = w->resp.header().message();
    if (w->resp.header().error() != metastorepb::NOT_LEADER) {
      w->req.mutable_header()->set_retry(true);  // proposed, perhaps
    }
  }
  Later(std::move(w));
}

void Forwarder::Later(std::shared_ptr<PendingWrite> w) {
  const absl::Duration backoff = RetryBackoff(w->attempt++);
  if (absl::Now() + backoff >= w->deadline) return GiveUp(*w);
  retries_.After(backoff, [this, w = std::move(w)]() mutable { Attempt(std::move(w)); });
}

void Forwarder::GiveUp(PendingWrite& w, bool counted) {
  WriteDone done = std::move(w.done);
  if (!done) return;
  // Unavailable if an attempt may have reached a leader (its outcome is unknown), else
  // LeaderUnreachable: nothing was done.
  metastorepb::ResponseHeader h = ErrorHeader(
      MetaError(w.req.header().retry() ? metastorepb::UNAVAILABLE : metastorepb::LEADER_UNREACHABLE,
                absl::StrCat("member ", self_id_, " could not forward the write: ", w.last_error)));
  done(h, {});
  if (counted) Ended();
}

void Forwarder::RelayKeepAlives(uint64_t leader, metastorepb::KeepAlivesRequest relay_req,
                                RelayDone done) {
  struct Relay {
    metastorepb::KeepAlivesRequest req;
    metastorepb::KeepAlivesResponse resp;
    grpc::ClientContext ctx;
  };
  auto relay = std::make_shared<Relay>();
  relay->req = std::move(relay_req);
  relay->req.set_from(self_id_);
  relay->ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(1)));
  {
    std::lock_guard lock(mu_);
    if (stopping_) return done(absl::UnavailableError("shutting down"));
    in_flight_.insert(&relay->ctx);
    ++alive_;
  }
  Link& link = LinkTo(division_->AddressOf(leader));
  Relay& ref = *relay;
  link.stub->async()->RelayKeepAlives(
      &ref.ctx, &ref.req, &ref.resp, [this, relay, done = std::move(done)](grpc::Status gs) {
        if (!gs.ok()) {
          done(absl::UnavailableError(gs.error_message()));
        } else if (relay->resp.header().error() != metastorepb::OK) {
          done(absl::UnavailableError(relay->resp.header().message()));
        } else {
          done(relay->resp.header().zxid());
        }
        End(&relay->ctx);
        Ended();
      });
}

void Forwarder::ChangeMembership(uint64_t leader, const raftpb::MembershipRequest& req,
                                 absl::Time deadline,
                                 std::function<void(const metastorepb::ResponseHeader&)> done) {
  struct Call {
    raftpb::MembershipRequest req;
    metastorepb::MembershipResponse resp;
    grpc::ClientContext ctx;
  };
  auto call = std::make_shared<Call>();
  call->req = req;
  call->ctx.set_deadline(absl::ToChronoTime(deadline));
  auto unavailable = [](const std::string& why) {
    metastorepb::ResponseHeader h;
    h.set_error(metastorepb::UNAVAILABLE);
    h.set_message(absl::StrCat("Unavailable: the leader was not reached: ", why));
    return h;
  };
  {
    std::lock_guard lock(mu_);
    if (stopping_) return done(unavailable("shutting down"));
    in_flight_.insert(&call->ctx);
    ++alive_;
  }
  Link& link = LinkTo(division_->AddressOf(leader));
  Call& ref = *call;
  link.stub->async()->ChangeMembership(
      &ref.ctx, &ref.req, &ref.resp,
      [this, call, done = std::move(done), unavailable](grpc::Status gs) {
        done(gs.ok() ? call->resp.header() : unavailable(gs.error_message()));
        End(&call->ctx);
        Ended();
      });
}

}  // namespace warren::metastore
