#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/delayed_runner.h"
#include "common/tls.h"
#include "proto/metastore.grpc.pb.h"

namespace warren::metastore {

struct ClientOptions {
  // host:port of the members (any subset).
  std::vector<std::string> endpoints;
  // By default a client picks one of the endpoints at random and stays with it until it
  // fails, as a ZooKeeper client does: that member serves its reads, keeps its session and
  // watches, and forwards its writes to the leader. With leader_only, everything goes to the
  // leader, found and followed (for comparison; admin calls always go there).
  bool leader_only = false;
  // The member to start with: one of the endpoints at random (as ZooKeeper's client shuffles
  // its connect string), or with shuffle off the first one listed.
  bool shuffle = true;
  // How long a call keeps retrying (leader changes, unavailability) before it gives up.
  absl::Duration request_timeout = absl::Seconds(15);
  // Reads default to linearizable; SEQUENTIAL is ZooKeeper's: never older than what this
  // client has seen.
  raftpb::ReadConsistency consistency = raftpb::LINEARIZABLE;
  // TLS to the members (nothing: plaintext): the CA that signs their certificates and, if
  // they ask for one, this client's certificate and key.
  TlsFiles tls;
  // Digest credentials, USER:PASSWORD (printable ASCII), sent with every call and the session
  // stream (the warren-auth metadata): the member gives the calls the identity
  // digest:USER:<base64 sha1> for the znode ACLs. Empty: none.
  std::string digest;
};

struct CreateOptions {
  bool ephemeral = false;
  bool sequential = false;
  bool container = false;
  int64_t ttl_ms = 0;
};

struct NodeData {
  std::string data;
  metastorepb::Stat stat;
};

struct Children {
  std::vector<metastorepb::Child> children;  // sorted by name; stats if asked for
  metastorepb::Stat stat;                    // the parent's
};

// A client of a metastore quorum. Talks to one member (see ClientOptions::leader_only) and
// moves to another when that one fails, is cut off from the leader, or is behind what the
// client has seen; retries with backoff until the request timeout; makes writes exactly-once
// (a retried write carries the same client id and sequence number), so "ConnectionLoss" is
// only returned when the deadline passed with the outcome unknown. With a session it keeps
// the session alive on a stream to its member, moves the stream when it must (within the
// session timeout, keeping the ephemerals), and re-registers its watches there.
// Thread-safe. Errors are metastore errors (see metastore/errors.h: ErrorOf).
class MetastoreClient {
 public:
  static absl::StatusOr<std::unique_ptr<MetastoreClient>> Connect(ClientOptions options);
  // Closes the session, if any, then cancels the calls still in flight and waits for them.
  ~MetastoreClient();

  // Returns the created path (with the sequence suffix, if sequential).
  absl::StatusOr<std::string> Create(const std::string& path, const std::string& data,
                                     const CreateOptions& opts = {},
                                     metastorepb::Stat* stat = nullptr);
  absl::Status Delete(const std::string& path, int32_t version = -1);
  absl::StatusOr<metastorepb::Stat> SetData(const std::string& path, const std::string& data,
                                            int32_t version = -1);
  // `watch` sets a one-shot watch (needs a session).
  absl::StatusOr<NodeData> GetData(const std::string& path, bool watch = false);
  // nullopt if the node does not exist.
  absl::StatusOr<std::optional<metastorepb::Stat>> Exists(const std::string& path,
                                                          bool watch = false);
  absl::StatusOr<Children> GetChildren(const std::string& path, bool watch = false,
                                       bool with_stats = false);
  // All or nothing; `results` (if given) gets one result per op either way.
  absl::Status Multi(const std::vector<metastorepb::Op>& ops,
                     std::vector<metastorepb::OpResult>* results = nullptr);
  absl::Status Sync(const std::string& path = "/");

  // The same calls without blocking, for callers that keep many in flight (as ZooKeeper's
  // async API serves BookKeeper): the same retries, leader following and exactly-once
  // writes, with the backoff on a timer instead of a sleeping thread. `done` runs once, on a
  // gRPC or timer thread: keep it short, do not wait in it for another call and do not
  // destroy the client from it. Destroying the client cancels the calls still in flight and
  // waits for their `done` (ConnectionLoss for a write that may have been applied, else
  // Unavailable).
  template <typename T>
  using Callback = std::function<void(absl::StatusOr<T>)>;
  void CreateAsync(const std::string& path, const std::string& data, const CreateOptions& opts,
                   Callback<std::string> done);
  void SetDataAsync(const std::string& path, const std::string& data, int32_t version,
                    Callback<metastorepb::Stat> done);
  void GetDataAsync(const std::string& path, Callback<NodeData> done);
  void MultiAsync(const std::vector<metastorepb::Op>& ops, std::function<void(absl::Status)> done);

  // Sessions and watches. A new session may be started once the last one has ended (not from
  // a listener: the call waits for the session thread, which runs them).
  absl::Status StartSession(absl::Duration timeout);
  absl::Status CloseSession();
  // Stops keeping the session alive without closing it, as a crashed client would; the
  // quorum expires it after its timeout. For fault tests.
  void AbandonSession();
  uint64_t session_id() const { return session_id_.load(); }
  int64_t session_timeout_ms() const { return session_timeout_ms_.load(); }
  // A persistent watch (recursive: the whole subtree). Returns once the member holding the
  // session's stream has registered it; from then on last_zxid() is at least the zxid after
  // which every change reaches the watch. When the session moves to another member, its
  // persistent watches are set again there and sent what they missed meanwhile, in order; if
  // no member still holds all of it, the watch gets a HISTORY_GAP event first (changes up to
  // its zxid may be missing; read the watched state again).
  absl::Status AddWatch(const std::string& path, bool recursive);
  // Listeners, so that several users of one client (recipes) each hear what they need.
  // Watch events go to every event listener, on the session's thread: keep them short and
  // do not make blocking calls from them. A session-end listener runs once when the session
  // ends (expired, or closed by the quorum), at once if it already has.
  using ListenerId = uint64_t;
  ListenerId OnEvent(std::function<void(const metastorepb::WatchEvent&)> callback);
  ListenerId OnSessionEnd(std::function<void(const absl::Status&)> callback);
  // After it returns the listener is not running and will not run again (unless called from
  // the listener itself).
  void RemoveListener(ListenerId id);

  // Admin.
  absl::StatusOr<metastorepb::StatusResponse> MemberStatus(const std::string& endpoint,
                                                           absl::Duration timeout);
  absl::StatusOr<metastorepb::StatusResponse> LeaderStatus();
  absl::Status ChangeMembership(const raftpb::MembershipRequest& req);
  absl::StatusOr<uint64_t> TakeSnapshot();

  uint64_t last_zxid() const { return last_zxid_.load(); }
  // The member this client talks to now (the leader as best known, with leader_only).
  std::string member() { return Target(Kind::kRead); }
  // How many times the session's stream has attached to a member: 1 for a session that
  // never had to move.
  uint64_t stream_attachments() const { return stream_attachments_.load(); }
  const std::vector<std::string>& endpoints() const { return options_.endpoints; }
  // How this client reaches members (plaintext or TLS), for a connection of its own.
  const TlsFiles& tls() const { return options_.tls; }
  // Adds this client's credentials (ClientOptions::digest) to a call of its own.
  void Authenticate(grpc::ClientContext* ctx) const;

 private:
  enum class Kind { kRead, kWrite, kAdmin };
  template <typename Req, typename Resp>
  using Method = void (metastorepb::Metastore::Stub::async::*)(grpc::ClientContext*, const Req*,
                                                               Resp*,
                                                               std::function<void(grpc::Status)>);
  class CallAlive;
  template <typename Req, typename Resp>
  struct PendingCall;

  explicit MetastoreClient(ClientOptions options);
  // Every call: finds the leader, retries until the request timeout, and calls `done` once
  // with the outcome and the response.
  template <typename Req, typename Resp>
  void CallAsync(Method<Req, Resp> method, Req req, Kind kind,
                 std::function<void(absl::Status, Resp&)> done);
  template <typename Req, typename Resp>
  void Attempt(std::shared_ptr<PendingCall<Req, Resp>> call);
  template <typename Req, typename Resp>
  void Attempted(std::shared_ptr<PendingCall<Req, Resp>> call, const grpc::Status& gs);
  // Attempts the call again after a backoff, or gives up if that would pass its deadline.
  template <typename Req, typename Resp>
  void Later(std::shared_ptr<PendingCall<Req, Resp>> call);
  // Ends the call with the last error it saw: the deadline passed or the client is closing.
  template <typename Req, typename Resp>
  void GiveUp(PendingCall<Req, Resp>& call);
  template <typename Req, typename Resp>
  void Finish(PendingCall<Req, Resp>& call, absl::Status result);
  // CallAsync, waited for.
  template <typename Req, typename Resp>
  absl::Status Call(Method<Req, Resp> method, Req req, Resp* resp, Kind kind);
  // One connection per member, made on first use.
  struct Connection {
    std::shared_ptr<grpc::Channel> channel;
    std::unique_ptr<metastorepb::Metastore::Stub> stub;
  };
  Connection& ConnectionTo(const std::string& endpoint);
  metastorepb::Metastore::Stub* StubFor(const std::string& endpoint);
  grpc::Channel* ChannelFor(const std::string& endpoint);
  // Whether calls of this kind go to the leader (admin calls, or leader_only) rather than to
  // the client's member.
  bool ToLeader(Kind kind) const { return options_.leader_only || kind == Kind::kAdmin; }
  // Where the next attempt of a call of this kind goes: the leader as best known, or the
  // member holding the session's stream, or the client's member.
  std::string Target(Kind kind);
  // Where a read that sets a watch goes: the member holding the session's stream, which is
  // the one that can register it.
  std::string StreamTarget();
  // `failed` did not serve a call of this kind (`h` says why, if it answered): follow the
  // leader hint, or move the client to another member.
  void Failed(const metastorepb::ResponseHeader& h, const std::string& failed, Kind kind);
  void FollowLeader(const metastorepb::ResponseHeader& h, const std::string& failed);
  void SawZxid(uint64_t zxid);
  void NoteWatch(const std::string& path, metastorepb::WatchKind kind, uint64_t zxid);

  // The session stream.
  void SessionLoop();
  void StopSessionThread();
  bool RunStream(const std::string& endpoint);
  void Dispatch(const metastorepb::WatchEvent& e);
  void EndSession(const absl::Status& why);

  const ClientOptions options_;
  const uint64_t client_id_;
  std::atomic<uint64_t> last_zxid_{0};

  std::mutex mu_;
  std::map<std::string, Connection> connections_;
  std::string leader_;           // best guess; empty: unknown
  std::string home_;             // the member this client talks to; empty: pick one
  std::string stream_endpoint_;  // the member the session's stream is attached to, if any
  size_t next_endpoint_ = 0;
  uint64_t next_seq_ = 1;
  std::set<uint64_t> in_flight_;
  // Calls not yet freed, attempts on the wire (to cancel them), and whether the destructor
  // has begun.
  int calls_alive_ = 0;
  std::condition_variable calls_ended_;
  std::set<grpc::ClientContext*> attempts_;
  bool closing_ = false;

  std::atomic<uint64_t> session_id_{0};
  std::atomic<int64_t> session_timeout_ms_{0};
  // What proves the session is this client's, sent with every request that names it.
  mutable std::mutex password_mu_;
  std::string session_password_;
  std::string SessionPassword() const;
  std::atomic<uint64_t> stream_attachments_{0};
  std::mutex session_mu_;
  std::condition_variable session_cv_;
  bool session_closing_ = false;
  std::thread session_thread_;
  grpc::ClientContext* stream_ctx_ = nullptr;  // the live stream, to cancel it
  std::function<bool(const metastorepb::SessionRequest&)> stream_write_;
  // Watches to re-register when the stream moves: (path, kind) -> the zxid the client had
  // seen of the node when it set the watch (the server fires at once if it changed since).
  std::map<std::pair<std::string, metastorepb::WatchKind>, uint64_t> watches_;
  // Watches the member holding the stream has acknowledged: each has had every event up to
  // the zxid of any keep-alive answer after that.
  std::set<std::pair<std::string, metastorepb::WatchKind>> registered_;
  // Attaches in a row at which a persistent watch was refused because the member could not
  // replay what it missed: after one per endpoint, the client accepts the gap.
  size_t gap_refusals_ = 0;
  // AddWatch calls waiting for the server's answer.
  std::map<std::pair<std::string, metastorepb::WatchKind>, std::optional<absl::Status>> acks_;
  // Held while listeners run, so that RemoveListener can wait for them.
  std::recursive_mutex listeners_running_;
  ListenerId next_listener_ = 1;
  std::map<ListenerId, std::function<void(const metastorepb::WatchEvent&)>> on_event_;
  std::map<ListenerId, std::function<void(const absl::Status&)>> on_session_end_;
  bool session_ended_ = false;
  absl::Status end_reason_;

  // Retries waiting out their backoff. Last: stopped first, before what retries touch.
  DelayedRunner retries_;
};

}  // namespace warren::metastore
