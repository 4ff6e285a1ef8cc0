#pragma once

#include <atomic>
#include <deque>
#include <functional>
#include <mutex>

#include "grpcpp/grpcpp.h"
#include "metastore/acl.h"
#include "proto/metastore.pb.h"

namespace warren::metastore {

class MetastoreService;

// One client's session stream on this member (any member): the client attaches its session,
// sends keep-alives (which the member relays to the leader, if it does not lead) and watch
// registrations; the member answers and pushes watch events in the order its tree applied
// them. Writes are queued, one in flight at a time, so pushing
// never blocks the apply thread. Deletes itself when gRPC is done with it.
//
// A member never serves a client from a state older than one the client has seen: an attach
// or a watch carrying a zxid this member has not applied yet waits for it, reading nothing
// more meanwhile, and is refused with MemberBehind if the member does not get there in time.
class SessionStream
    : public grpc::ServerBidiReactor<metastorepb::SessionRequest, metastorepb::SessionEvent> {
 public:
  // `auth`: the identities of the stream's caller (CallerIdentities), which AddWatch needs
  // READ with on a node that is there, as a read that sets a watch does.
  SessionStream(MetastoreService* service, IdField auth);

  // Queues an event; thread-safe. A `closed` event ends the stream once it is written.
  void Send(const metastorepb::SessionEvent& event);
  // Sends `why` as the last event and ends the stream.
  void Close(const metastorepb::ResponseHeader& why);

  // The attached session and its timeout (0 until attached, and once closing); thread-safe.
  uint64_t session() const { return attached_session_.load(); }
  int64_t timeout_ms() const { return timeout_ms_.load(); }

  void OnReadDone(bool ok) override;
  void OnWriteDone(bool ok) override;
  void OnDone() override;

 private:
  void Handle(const metastorepb::SessionRequest& req);
  // Attaches `session` if `password` is its own; SessionExpired if not.
  void Attach(uint64_t session, const std::string& password);
  void AddWatch(const metastorepb::AddWatch& watch);
  // Runs `then(true)` once the tree has applied `zxid`, or `then(false)` if it has not within
  // a third of `timeout_ms` (a session timeout: the client gives up on a silent stream after
  // two thirds of it), then reads the next message.
  void AfterCatchUp(uint64_t zxid, int64_t timeout_ms, std::function<void(bool)> then);
  void ReadNext();

  MetastoreService* const service_;
  const IdField auth_;
  metastorepb::SessionRequest in_;
  uint64_t session_ = 0;  // read side only
  uint64_t sink_id_ = 0;
  std::atomic<uint64_t> attached_session_{0};
  std::atomic<int64_t> timeout_ms_{0};

  std::mutex mu_;
  std::deque<metastorepb::SessionEvent> out_;
  bool writing_ = false;
  bool closing_ = false;   // a `closed` event is queued; no more after it
  bool finished_ = false;  // Finish was called
  bool waiting_ = false;   // for the tree to catch up; Finish waits for it too
};

}  // namespace warren::metastore
