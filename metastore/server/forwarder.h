#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/delayed_runner.h"
#include "common/tls.h"
#include "proto/metastore.grpc.pb.h"
#include "raft/server/division.h"

namespace warren::metastore {

// A member's line to the leader: it forwards the writes of the clients attached here and
// relays their sessions' keep-alives, over one gRPC connection per member it has led to.
//
// Writes go in batches (ForwardBatch): at most kBatchesInFlight calls are out on a connection
// at once, and the writes that come meanwhile wait for the next, so a busy member makes one
// call for many writes instead of one each. A leader too old to serve ForwardBatch gets them
// one call each (Forward).
//
// A forwarded write is the client's own, with its exactly-once id and sequence number, so a
// forward is retried as the client would retry it: while no leader is known, when the leader
// says it no longer leads (nothing was proposed), when it says Unavailable, and when the
// connection breaks. A write goes out only on a connection that is up; once an attempt may
// have reached the leader, the next one is marked a retry (see RequestHeader.retry).
class Forwarder {
 public:
  using WriteDone =
      std::function<void(const metastorepb::ResponseHeader&, const metastorepb::CommandReply&)>;
  // Proposes a write on this member, for when it leads by the time a forward is tried.
  using ProposeHere =
      std::function<void(const metastorepb::RequestHeader&, metastorepb::Command, WriteDone)>;

  // `tls`: this member's certificate, which the leader checks (nothing: plaintext).
  Forwarder(raft::Division* division, uint64_t self_id, const TlsFiles& tls,
            ProposeHere propose_here);
  ~Forwarder();

  // Has the leader propose `cmd` (or this member, if it leads), retrying until `deadline`;
  // then answers with the last error seen, as Unavailable if an attempt may have reached the
  // leader (or the client said its write may have), else LeaderUnreachable. `done` runs once.
  void Write(metastorepb::RequestHeader header, metastorepb::Command cmd, absl::Time deadline,
             WriteDone done);
  // Tells `leader` (another member) these sessions' clients were heard from. `done` gets
  // the leader's applied zxid once it took them, or why not (not reached, no longer leads).
  using RelayDone = std::function<void(absl::StatusOr<uint64_t>)>;
  void RelayKeepAlives(uint64_t leader, metastorepb::KeepAlivesRequest relay, RelayDone done);
  // Asks `leader` (another member) to make a membership change, once, by `deadline`. `done`
  // gets its answer (Unavailable if it could not be reached).
  void ChangeMembership(uint64_t leader, const raftpb::MembershipRequest& req, absl::Time deadline,
                        std::function<void(const metastorepb::ResponseHeader&)> done);
  // Cancels what is in flight and answers every write still here with Unavailable; waits for
  // their callbacks. Later calls are answered at once. Idempotent.
  void Shutdown();

 private:
  struct PendingWrite;
  struct Batch;
  struct Link {
    std::shared_ptr<grpc::Channel> channel;
    std::unique_ptr<metastorepb::Metastore::Stub> stub;
    // Under mu_:
    bool connecting = false;                           // a connect is under way (on connects_)
    std::deque<std::shared_ptr<PendingWrite>> queued;  // for the next batch
    int batches_in_flight = 0;
    bool batches_unsupported = false;  // the leader answered ForwardBatch with UNIMPLEMENTED
  };

  void Attempt(std::shared_ptr<PendingWrite> w);
  // Sends `w` in a call of its own (Forward).
  void SendAlone(Link& link, std::shared_ptr<PendingWrite> w);
  // Queues `w` for `link`'s next batch, and sends one if fewer than kBatchesInFlight are out.
  void Enqueue(Link& link, std::shared_ptr<PendingWrite> w);
  // Sends what is queued on `link` in one call; the caller counted it in batches_in_flight.
  void SendBatch(Link& link);
  // Answers (or retries) each write of a batch that came back with `gs`.
  void BatchAttempted(Link& link, Batch& batch, const grpc::Status& gs);
  // A batch call on `link` is over: sends the next if writes are waiting.
  void NextBatch(Link& link);
  void Attempted(std::shared_ptr<PendingWrite> w, const grpc::Status& gs);
  // Tries again after a backoff, or gives up if that would pass the deadline.
  void Later(std::shared_ptr<PendingWrite> w);
  // Answers with the last error; `counted`: the write is among alive_.
  void GiveUp(PendingWrite& w, bool counted = true);
  Link& LinkTo(const std::string& address);
  // Starts connecting `link` unless it already is; never blocks.
  void Connect(Link& link);
  // Registers a call's context so that Shutdown can cancel it; false if shutting down.
  bool Begin(grpc::ClientContext* ctx);
  void End(grpc::ClientContext* ctx);
  // A write or relay among alive_ is done with: Shutdown may be waiting for the last.
  void Ended();

  raft::Division* const division_;
  const uint64_t self_id_;
  const TlsFiles tls_;
  const ProposeHere propose_here_;

  std::mutex mu_;
  std::map<std::string, Link> links_;  // by address
  std::set<grpc::ClientContext*> in_flight_;
  int alive_ = 0;  // writes not yet answered, and relays not yet back
  std::condition_variable ended_;
  bool stopping_ = false;
  // Last: stopped first, before what they touch. Connecting blocks (a second at most), so it
  // has a thread of its own, and retries are not held up behind it.
  DelayedRunner connects_;
  DelayedRunner retries_;
};

}  // namespace warren::metastore
