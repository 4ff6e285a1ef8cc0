#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "metastore/zookeeper/jute.h"
#include "metastore/zookeeper/member.h"
#include "metastore/zookeeper/protocol.h"
#include "metrics/request_metrics.h"

namespace warren::zookeeper {

// What the handler needs from the connection it serves, and what it tells the server.
struct ConnectionHooks {
  // Queues a frame's body (the length prefix is the connection's); never blocks.
  std::function<void(std::string)> send;
  // Ends the connection once what is queued is written.
  std::function<void()> close;
  // The session is now served here (the server ends any older connection of it here).
  std::function<void(uint64_t session)> attached;
  // A request taken by OnFrame was answered (or dropped with the connection).
  std::function<void()> request_done;
};

// How long requests took from arrival to answer, over all connections (for `srvr`, `mntr`).
struct Latency {
  std::atomic<int64_t> min_us{INT64_MAX};
  std::atomic<int64_t> max_us{0};
  std::atomic<int64_t> total_us{0};
  std::atomic<int64_t> count{0};
  void Add(absl::Duration d);
};

// Settings of ZooKeeper's port, the same for every connection.
struct HandlerOptions {
  Latency* latency = nullptr;
  // Requests by op and outcome (door "zookeeper"); none if null.
  metrics::RequestMetrics* requests = nullptr;
  // A superuser's digest id ("super:<base64 sha1>"), as ZooKeeper's
  // DigestAuthenticationProvider.superDigest; empty: none.
  std::string super_digest;
  // Requests taken and not yet answered over all connections of the port; none if null.
  std::atomic<int64_t>* outstanding = nullptr;
};

// One ZooKeeper client connection's requests, after the framing: the handshake (a new
// session, or one moving here with its id and password), then every request, served one at a
// time in the order sent (as ZooKeeper serves a session's requests), each answered with its
// xid and the zxid of the state it reflects; watch events go out as notifications. Knows
// nothing of sockets, so tests and the fuzzer drive it directly.
class RequestHandler : public std::enable_shared_from_this<RequestHandler> {
 public:
  RequestHandler(Member* member, const HandlerOptions* options, std::string peer_ip,
                 ConnectionHooks hooks);
  ~RequestHandler();

  // The next frame from the client (without its length prefix).
  void OnFrame(std::string frame);
  // The connection is gone: nothing more is sent, the session's watches here are dropped
  // (its client sets them again wherever it reconnects), the session itself lives on.
  void OnClosed();
  // Ends the connection (the member shuts down, or another connection took the session).
  void Close();
  // The client's verified certificate, on the secure port: the identity x509:<subject>, as
  // ZooKeeper's X509AuthenticationProvider gives it. Before the first frame.
  void AddCertificateIdentity(const std::string& subject) { AddIdentity("x509", subject); }

  uint64_t session() const { return session_.load(); }
  int64_t timeout_ms() const { return timeout_ms_.load(); }
  const std::string& peer_ip() const { return peer_ip_; }
  uint64_t received() const { return received_.load(); }
  uint64_t sent() const { return sent_.load(); }
  // Requests taken by OnFrame and not yet answered.
  size_t outstanding() const { return outstanding_.load(); }
  int64_t last_zxid() const { return last_zxid_.load(); }

 private:
  using Done = std::function<void()>;

  void Pump();
  void Finished();
  // `n` requests taken were answered or dropped.
  void Answered(size_t n);
  void Handle(std::string frame);
  void Connect(JuteReader& r);
  // The rest of the handshake, once a re-attaching session unknown here has been looked for.
  void ConnectAfterSync(const ConnectRequest& req, int64_t timeout);
  void Attach(uint64_t session, int64_t timeout_ms, const std::string& password,
              bool client_sends_read_only);
  void RefuseSession();
  void Dispatch(int32_t xid, int32_t type, JuteReader& r);

  // Requests.
  void Create(int32_t xid, int32_t type, JuteReader& r);
  void Delete(int32_t xid, JuteReader& r);
  void SetData(int32_t xid, JuteReader& r);
  void Check(int32_t xid, JuteReader& r);
  void Multi(int32_t xid, JuteReader& r);
  void MultiRead(int32_t xid, JuteReader& r);
  void Exists(int32_t xid, JuteReader& r);
  void GetData(int32_t xid, JuteReader& r);
  void GetChildren(int32_t xid, int32_t type, JuteReader& r);
  void Sync(int32_t xid, JuteReader& r);
  void SetWatches(int32_t xid, int32_t type, JuteReader& r);
  void AddWatch(int32_t xid, JuteReader& r);
  void CheckOrRemoveWatches(int32_t xid, int32_t type, JuteReader& r);
  void GetEphemerals(int32_t xid, JuteReader& r);
  void GetAllChildrenNumber(int32_t xid, JuteReader& r);
  void Auth(int32_t xid, JuteReader& r);
  // Adds an identity to the connection's, once.
  void AddIdentity(const std::string& scheme, const std::string& id);
  void GetAcl(int32_t xid, JuteReader& r);
  void SetAcl(int32_t xid, JuteReader& r);
  void WhoAmI(int32_t xid);
  void CloseSession(int32_t xid);
  void GetConfig(int32_t xid, bool watch);
  void ReplyConfig(int32_t xid, int64_t zxid, const raftpb::GroupStatus& gs,
                   metastorepb::Stat stat);
  void Reconfig(int32_t xid, JuteReader& r);
  struct ReconfigState {
    std::deque<raftpb::MembershipRequest> steps;  // those still to make, in order
    absl::Time deadline;
    uint64_t zxid = 0;  // of the last change made
  };
  void ReconfigNext(int32_t xid, std::shared_ptr<ReconfigState> state);

  struct MultiReadState {
    int32_t xid = 0;
    std::vector<std::pair<int32_t, metastorepb::Query>> ops;
    JuteWriter out;
    size_t next = 0;
    int64_t zxid = 0;
  };
  void MultiReadNext(std::shared_ptr<MultiReadState> state);

  // Reads a create request (create, create2, createContainer, createTTL) into `op`; returns
  // ZooKeeper's error for one that cannot be served (MarshallingError: undecodable).
  int32_t ReadCreate(int32_t type, JuteReader& r, metastorepb::Op* op);
  // The body of a write's answer from the op's result; null for none.
  using WriteBody = std::function<void(JuteWriter&, const metastorepb::OpResult&)>;
  // The body of a read's answer, and the error it answers (NoNode for exists).
  using ReadBody = std::function<int32_t(JuteWriter&, const metastorepb::QueryReply&)>;
  // One op written, then answered: its error, or OK with `body`.
  void WriteAndAnswer(int32_t xid, metastorepb::Op op, WriteBody body);
  // One read, then answered: its error, or what `body` says.
  void ReadAndAnswer(int32_t xid, metastorepb::Query query, ReadBody body,
                     bool linearizable = false);
  void Write(metastorepb::Command cmd, Member::WriteDone done);
  void WriteOne(metastorepb::Op op, Member::WriteDone done);
  void Read(metastorepb::Query query, Member::ReadDone done, bool linearizable = false);
  // Runs `fn` once this member has applied what the client has seen, else closes.
  void AfterCaughtUp(std::function<void()> fn);
  // Sends a reply: the header, then (if error is OK, or `body_with_error`) the body.
  void Reply(int32_t xid, int64_t zxid, int32_t error, const std::string& body = "",
             bool body_with_error = false);
  // Answers a metastore error: one that says "go to another member" (MemberBehind,
  // LeaderUnreachable) ends the connection, so the client moves on; any other is the reply,
  // with `body` after the header if given (a multi's results: see Multi).
  void ReplyError(int32_t xid, const metastorepb::ResponseHeader& h, const std::string& body = "");
  // The request could not be decoded: MarshallingError, then the connection ends.
  void Malformed(int32_t xid, std::string_view what);
  absl::Time Deadline() const;
  void SeenZxid(int64_t zxid);
  int64_t Applied() const;

  Member* const member_;
  const HandlerOptions* const options_;
  const std::string peer_ip_;
  ConnectionHooks hooks_;

  std::mutex mu_;
  std::deque<std::string> queue_;
  bool busy_ = false;       // a request is being served
  bool in_handle_ = false;  // Handle has not returned yet
  bool finished_inline_ = false;
  bool closed_ = false;
  absl::Time request_started_;  // of the request being served (MonotonicNow)
  // What the request being served is, and what it has been answered so far (for the
  // metrics): closing without an answer is a connection loss to its client.
  metrics::Op request_op_ = metrics::Op::kConnect;
  metrics::Outcome request_outcome_ = metastorepb::CONNECTION_LOSS;
  absl::Time last_touch_ =
      absl::InfinitePast();  // the session last told the tracker of (MonotonicNow)

  // Set once by the handshake, read by the server's four-letter words.
  std::atomic<uint64_t> session_{0};
  std::atomic<int64_t> timeout_ms_{0};
  std::atomic<bool> closing_session_{false};  // closeSession proposed: its reply ends it
  bool connected_ = false;                    // the handshake is done (request thread only)
  uint64_t sink_id_ = 0;                      // guarded by mu_
  // Exactly-once identity for this connection's writes (retried by forwarding members).
  const uint64_t client_id_;
  uint64_t seq_ = 0;
  // The newest zxid the client has seen: reads never come from an older state.
  std::atomic<int64_t> last_zxid_{0};
  // Who the client is: its ip, then the digests `auth` added (and super, for the superuser).
  // Every write and read carries them; the tree checks ACLs against them.
  google::protobuf::RepeatedPtrField<metastorepb::Id> auth_;
  std::atomic<uint64_t> received_{0};
  std::atomic<uint64_t> sent_{0};
  std::atomic<size_t> outstanding_{0};
};

}  // namespace warren::zookeeper
