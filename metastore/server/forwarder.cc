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

// Calls of ForwardBatch out at once per leader connection. With one, a member's writes would
// wait a whole round trip behind the batch before; with more, batches get smaller.
constexpr int kBatchesInFlight = 2;
// A batch stays well inside gRPC's message limit whatever its writes.
constexpr size_t kMaxBatchBytes = raft::kMaxMessageBytes / 2;

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

struct Forwarder::Batch {
  std::vector<std::shared_ptr<PendingWrite>> writes;
  metastorepb::ForwardBatchRequest req;
  metastorepb::ForwardBatchResponse resp;
  grpc::ClientContext ctx;
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
  bool alone;
  {
    std::lock_guard lock(mu_);
    alone = link.batches_unsupported;
  }
  if (alone) return SendAlone(link, std::move(w));
  Enqueue(link, std::move(w));
}

void Forwarder::SendAlone(Link& link, std::shared_ptr<PendingWrite> w) {
  w->ctx = std::make_unique<grpc::ClientContext>();
  w->ctx->set_deadline(absl::ToChronoTime(w->deadline));
  w->resp.Clear();
  if (!Begin(w->ctx.get())) {
    w->last_error = "the member is shutting down";
    return GiveUp(*w);
  }
  PendingWrite& ref = *w;
  link.stub->async()->Forward(ref.ctx.get(), &ref.req, &ref.resp,
                              [this, w = std::move(w)](grpc::Status gs) {
                                End(w->ctx.get());
                                Attempted(w, gs);
                              });
}

void Forwarder::Enqueue(Link& link, std::shared_ptr<PendingWrite> w) {
  {
    std::lock_guard lock(mu_);
    link.queued.push_back(std::move(w));
    if (link.batches_in_flight >= kBatchesInFlight) return;  // goes when one comes back
    ++link.batches_in_flight;
  }
  SendBatch(link);
}

void Forwarder::SendBatch(Link& link) {
  auto batch = std::make_shared<Batch>();
  {
    std::lock_guard lock(mu_);
    size_t bytes = 0;
    while (!link.queued.empty()) {
      const size_t size = link.queued.front()->req.ByteSizeLong();
      if (!batch->writes.empty() && bytes + size > kMaxBatchBytes) break;
      bytes += size;
      batch->writes.push_back(std::move(link.queued.front()));
      link.queued.pop_front();
    }
    if (batch->writes.empty()) {
      --link.batches_in_flight;
      return;
    }
  }
  if (link.channel->GetState(/*try_to_connect=*/false) != GRPC_CHANNEL_READY) {
    // As for a single write: out only on a connection that is up.
    Connect(link);
    for (auto& w : batch->writes) {
      w->last_error = absl::StrCat("not connected to the leader at ", w->address);
      Later(std::move(w));
    }
    return NextBatch(link);
  }
  absl::Time deadline = absl::InfinitePast();
  for (const auto& w : batch->writes) {
    deadline = std::max(deadline, w->deadline);
    *batch->req.add_writes() = w->req;
  }
  batch->ctx.set_deadline(absl::ToChronoTime(deadline));
  if (!Begin(&batch->ctx)) {
    for (auto& w : batch->writes) {
      w->last_error = "the member is shutting down";
      GiveUp(*w);
    }
    return NextBatch(link);
  }
  Batch& ref = *batch;
  link.stub->async()->ForwardBatch(&ref.ctx, &ref.req, &ref.resp,
                                   [this, &link, batch = std::move(batch)](grpc::Status gs) {
                                     End(&batch->ctx);
                                     BatchAttempted(link, *batch, gs);
                                     NextBatch(link);
                                   });
}

void Forwarder::BatchAttempted(Link& link, Batch& batch, const grpc::Status& gs) {
  if (gs.error_code() == grpc::StatusCode::UNIMPLEMENTED) {
    // A leader of an older version: nothing was done; from now on a call per write.
    LOG(WARNING) << "the leader at " << batch.writes.front()->address
                 << " does not serve ForwardBatch; forwarding a write per call";
    {
      std::lock_guard lock(mu_);
      link.batches_unsupported = true;
    }
    for (auto& w : batch.writes) Attempt(std::move(w));
    return;
  }
  const int answered = gs.ok() ? batch.resp.results_size() : 0;
  for (size_t i = 0; i < batch.writes.size(); ++i) {
    std::shared_ptr<PendingWrite>& w = batch.writes[i];
    if (static_cast<int>(i) < answered) {
      w->resp = std::move(*batch.resp.mutable_results(static_cast<int>(i)));
      Attempted(std::move(w), grpc::Status::OK);
    } else {
      Attempted(std::move(w), gs.ok() ? grpc::Status(grpc::StatusCode::INTERNAL,
                                                     "the leader left a write unanswered")
                                      : gs);
    }
  }
}

void Forwarder::NextBatch(Link& link) {
  bool more;
  {
    std::lock_guard lock(mu_);
    more = !link.queued.empty();
    if (!more) --link.batches_in_flight;
  }
  if (more) SendBatch(link);
}

void Forwarder::Attempted(std::shared_ptr<PendingWrite> w, const grpc::Status& gs) {
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
