#include "raft/transport/grpc_transport.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <set>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "glog/logging.h"
#include "grpcpp/grpcpp.h"
#include "proto/raft_service.grpc.pb.h"
#include "raft/log/file_util.h"
#include "raft/transport/envelope_packer.h"
#include "raft/transport/message_limits.h"
#include "raft/transport/snapshot_gate.h"

namespace warren::raft {
namespace {

constexpr size_t kMaxQueuedMessages = 16384;
constexpr size_t kSnapshotChunkBytes = 1 << 20;

std::shared_ptr<grpc::Channel> MakeChannel(const std::string& address,
                                           const std::shared_ptr<grpc::ChannelCredentials>& creds) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 2000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 2000);
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 50);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  args.SetMaxSendMessageSize(kMaxMessageBytes);
  args.SetMaxReceiveMessageSize(kMaxMessageBytes);
  // Peers are distinct servers; a channel per peer keeps their streams independent.
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return grpc::CreateCustomChannel(address, creds, args);
}

absl::Status FromGrpc(const grpc::Status& s) {
  if (s.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(s.error_code()), s.error_message());
}

grpc::Status ToGrpc(const absl::Status& s) {
  return grpc::Status(static_cast<grpc::StatusCode>(s.code()), std::string(s.message()));
}

// The member a call's certificate names, if peers must present one; 0 if they need not.
absl::StatusOr<uint64_t> CertifiedSender(grpc::ServerContext* ctx, bool members_only) {
  if (!members_only) return 0;
  auto member = MemberOf(*ctx->auth_context());
  if (!member.ok()) {
    LOG_EVERY_T(WARNING, 1.0) << "refused a peer call: " << member.status();
  }
  return member;
}

}  // namespace

// Receives streams of messages and snapshots from peers.
class RaftPeerServiceImpl : public raftpb::RaftPeer::Service {
 public:
  // `members_only`: every call must present a member's certificate (TLS).
  explicit RaftPeerServiceImpl(bool members_only) : members_only_(members_only) {}

  SnapshotGate& snapshot_gate() { return snapshot_gate_; }
  void SetHandler(MessageHandler* h) {
    std::lock_guard lock(mu_);
    handler_ = h;
    // Stopping: end the peers' streams now rather than have server shutdown wait for them.
    if (h == nullptr) {
      for (grpc::ServerContext* ctx : calls_) ctx->TryCancel();
    }
  }

  grpc::Status Stream(grpc::ServerContext* ctx, grpc::ServerReader<raftpb::Envelope>* reader,
                      raftpb::StreamAck*) override {
    CallScope scope(this, ctx);
    if (!scope.admitted()) return grpc::Status(grpc::StatusCode::UNAVAILABLE, "stopping");
    auto certified = CertifiedSender(ctx, members_only_);
    if (!certified.ok()) return ToGrpc(certified.status());
    raftpb::Envelope env;
    // Whom the stream is from: the member its certificate names, else its first message's sender.
    uint64_t peer = 0;
    absl::Cleanup ended = [this, &peer] { StreamEnded(peer); };
    if (*certified != 0) StreamStarted(peer = *certified);
    while (reader->Read(&env)) {
      MessageHandler* h = handler();
      if (h == nullptr) return grpc::Status(grpc::StatusCode::UNAVAILABLE, "stopping");
      std::vector<raftpb::Message> msgs;
      msgs.reserve(env.messages_size());
      for (auto& m : *env.mutable_messages()) {
        if (peer == 0 && m.from() != 0) StreamStarted(peer = m.from());
        if (m.from() == peer) {
          msgs.push_back(std::move(m));
          continue;
        }
        h->Refuse(env.group(), m,
                  absl::InvalidArgumentError(
                      absl::StrCat("it came on the stream of member ", peer, ", not on its own")));
      }
      if (!msgs.empty()) h->HandleMessages(env.group(), std::move(msgs));
    }
    return grpc::Status::OK;
  }

  grpc::Status InstallSnapshot(grpc::ServerContext* ctx,
                               grpc::ServerReader<raftpb::SnapshotChunk>* reader,
                               raftpb::SnapshotAck*) override {
    CallScope scope(this, ctx);
    if (!scope.admitted()) return grpc::Status(grpc::StatusCode::UNAVAILABLE, "stopping");
    auto certified = CertifiedSender(ctx, members_only_);
    if (!certified.ok()) return ToGrpc(certified.status());
    raftpb::SnapshotChunk chunk;
    if (!reader->Read(&chunk) || !chunk.has_message()) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "first chunk must carry MSG_SNAP");
    }
    MessageHandler* h = handler();
    if (h == nullptr) return grpc::Status(grpc::StatusCode::UNAVAILABLE, "stopping");
    std::string group = chunk.group();
    raftpb::Message m = chunk.message();
    if (*certified != 0 && m.from() != *certified) {
      auto s = absl::PermissionDeniedError(absl::StrCat(
          "a snapshot from member ", m.from(), " sent with member ", *certified, "'s certificate"));
      h->Refuse(group, m, s);
      return ToGrpc(s);
    }
    if (auto s = snapshot_gate_.Enter(group); !s.ok()) {
      LOG(WARNING) << "snapshot from " << m.from() << " turned away: " << s.message();
      return ToGrpc(s);
    }
    absl::Cleanup leave = [this, &group] { snapshot_gate_.Leave(group); };
    auto path = h->IncomingSnapshotPath(group, m);
    if (!path.ok()) return ToGrpc(path.status());
    int fd = ::open(path->c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return grpc::Status(grpc::StatusCode::INTERNAL, "cannot create " + *path);
    uint64_t offset = 0;
    bool last = false;
    absl::Status s;
    while (true) {
      s = snapshot_gate_.CheckSize(offset + chunk.data().size());
      if (!s.ok()) {
        h->Refuse(group, m, s);
        break;
      }
      s = WriteAll(fd, chunk.data(), offset, *path);
      offset += chunk.data().size();
      last = chunk.last();
      if (!s.ok() || last || !reader->Read(&chunk)) break;
      // Only the first chunk opens the upload; the others carry its bytes and nothing else.
      if (chunk.group() != group || chunk.has_message()) {
        s = absl::InvalidArgumentError("a later snapshot chunk names a group or carries a message");
        h->Refuse(group, m, s);
        break;
      }
    }
    if (s.ok() && last && DataSync(fd) != 0) s = ErrnoStatus("fdatasync", *path);
    ::close(fd);
    if (!s.ok() || !last) {
      ::unlink(path->c_str());
      if (absl::IsInvalidArgument(s) || absl::IsResourceExhausted(s)) return ToGrpc(s);
      return grpc::Status(grpc::StatusCode::ABORTED,
                          s.ok() ? "snapshot stream ended early" : std::string(s.message()));
    }
    h->HandleSnapshot(group, std::move(m), *path);
    return grpc::Status::OK;
  }

 private:
  // Registers a running call so that stopping can cancel it.
  class CallScope {
   public:
    CallScope(RaftPeerServiceImpl* s, grpc::ServerContext* ctx) : s_(s), ctx_(ctx) {
      std::lock_guard lock(s_->mu_);
      admitted_ = s_->handler_ != nullptr;
      if (admitted_) s_->calls_.insert(ctx_);
    }
    ~CallScope() {
      std::lock_guard lock(s_->mu_);
      s_->calls_.erase(ctx_);
    }
    bool admitted() const { return admitted_; }

   private:
    RaftPeerServiceImpl* s_;
    grpc::ServerContext* ctx_;
    bool admitted_ = false;
  };

  MessageHandler* handler() {
    std::lock_guard lock(mu_);
    return handler_;
  }

  void StreamStarted(uint64_t peer) {
    std::lock_guard lock(mu_);
    ++open_streams_[peer];
  }
  // Tells the handler when the last stream from `peer` ends: a peer reconnecting may open
  // its new stream before the old one is seen to close.
  void StreamEnded(uint64_t peer) {
    if (peer == 0) return;
    MessageHandler* h;
    {
      std::lock_guard lock(mu_);
      if (--open_streams_[peer] > 0) return;
      open_streams_.erase(peer);
      h = handler_;
    }
    if (h != nullptr) h->PeerStreamsEnded(peer);
  }

  const bool members_only_;
  std::mutex mu_;
  std::set<grpc::ServerContext*> calls_;
  std::map<uint64_t, int> open_streams_;
  SnapshotGate snapshot_gate_;
  MessageHandler* handler_ = nullptr;
};

// The sending half towards one peer: a queue and a thread that keeps a stream open.
class PeerSender {
 public:
  PeerSender(uint64_t id, MessageHandler* handler,
             std::shared_ptr<grpc::ChannelCredentials> credentials)
      : id_(id), handler_(handler), credentials_(std::move(credentials)) {
    thread_ = std::thread([this] {
      pthread_setname_np(pthread_self(), absl::StrCat("send-", id_).substr(0, 15).c_str());
      Loop();
    });
  }

  ~PeerSender() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
      if (ctx_ != nullptr) ctx_->TryCancel();
    }
    cv_.notify_all();
    thread_.join();
  }

  void SetAddress(const std::string& address) {
    std::lock_guard lock(mu_);
    if (address == address_) return;
    address_ = address;
    reconnect_ = true;
    if (ctx_ != nullptr) ctx_->TryCancel();
    cv_.notify_all();
  }

  void Enqueue(const std::string& group, std::vector<raftpb::Message> msgs) {
    {
      std::lock_guard lock(mu_);
      for (auto& m : msgs) queue_.emplace_back(group, std::move(m));
      while (queue_.size() > kMaxQueuedMessages) queue_.pop_front();
    }
    cv_.notify_one();
  }

 private:
  void Loop() {
    int backoff_ms = 50;
    std::shared_ptr<grpc::Channel> channel;
    std::unique_ptr<raftpb::RaftPeer::Stub> stub;
    std::unique_ptr<grpc::ClientContext> ctx;
    std::unique_ptr<grpc::ClientWriter<raftpb::Envelope>> writer;
    raftpb::StreamAck ack;
    while (true) {
      std::vector<raftpb::Envelope> batch;
      std::string address;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return stopping_ || (!queue_.empty() && !address_.empty()); });
        if (stopping_) break;
        if (reconnect_) {
          reconnect_ = false;
          writer.reset();
          stub.reset();
        }
        address = address_;
        // Everything queued goes out now: batching for free.
        size_t dropped = 0;
        batch = PackEnvelopes(&queue_, kMaxMessageBytes, &dropped);
        if (dropped > 0) {  // cannot happen with entries no larger than max_command_bytes
          LOG_EVERY_T(ERROR, 1.0) << "dropped " << dropped << " messages to peer " << id_
                                  << " that no member could receive (larger than "
                                  << kMaxMessageBytes << " bytes)";
        }
      }
      if (stub == nullptr) {
        channel = MakeChannel(address, credentials_);
        stub = raftpb::RaftPeer::NewStub(channel);
      }
      if (writer == nullptr) {
        ctx = std::make_unique<grpc::ClientContext>();
        {
          std::lock_guard lock(mu_);
          ctx_ = ctx.get();
        }
        writer = stub->Stream(ctx.get(), &ack);
      }
      bool ok = true;
      for (const auto& env : batch) {
        if (!(ok = writer->Write(env))) break;
      }
      if (ok) {
        backoff_ms = 50;
        continue;
      }
      VLOG(1) << "stream to peer " << id_ << " at " << address
              << " broke: " << writer->Finish().error_message();
      {
        std::lock_guard lock(mu_);
        ctx_ = nullptr;
      }
      writer.reset();
      handler_->PeerUnreachable(id_);
      std::unique_lock lock(mu_);
      queue_.clear();  // stale by the time we are back; Raft resends what matters
      cv_.wait_for(lock, std::chrono::milliseconds(backoff_ms), [&] { return stopping_; });
      backoff_ms = std::min(backoff_ms * 2, 1000);
    }
    if (writer != nullptr) {
      writer->WritesDone();
      writer->Finish();
    }
    std::lock_guard lock(mu_);
    ctx_ = nullptr;
  }

  const uint64_t id_;
  MessageHandler* const handler_;
  const std::shared_ptr<grpc::ChannelCredentials> credentials_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::string address_;
  bool reconnect_ = false;
  bool stopping_ = false;
  grpc::ClientContext* ctx_ = nullptr;
  MessageQueue queue_;
  std::thread thread_;
};

// One snapshot transfer: its thread, and its call so that Stop can cancel it.
struct GrpcTransport::SnapshotSend {
  grpc::ClientContext ctx;
  std::atomic<bool> finished{false};
  std::thread thread;
};

GrpcTransport::GrpcTransport(TlsFiles tls)
    : tls_(std::move(tls)),
      credentials_(ChannelCredentials(tls_)),
      service_(std::make_unique<RaftPeerServiceImpl>(tls_.enabled())) {}

GrpcTransport::~GrpcTransport() { Stop(); }

void GrpcTransport::set_max_snapshot_bytes(uint64_t max) {
  service_->snapshot_gate().set_max_bytes(max);
}

void GrpcTransport::RegisterServices(grpc::ServerBuilder* builder) {
  builder->RegisterService(service_.get());
}

absl::Status GrpcTransport::Start(MessageHandler* handler) {
  std::lock_guard lock(mu_);
  handler_ = handler;
  service_->SetHandler(handler);
  for (const auto& [id, address] : peer_addresses_) {
    senders_[id] = std::make_unique<PeerSender>(id, handler_, credentials_);
    senders_[id]->SetAddress(address);
  }
  return absl::OkStatus();
}

void GrpcTransport::Stop() {
  std::map<uint64_t, std::unique_ptr<PeerSender>> senders;
  std::list<std::unique_ptr<SnapshotSend>> sends;
  {
    std::lock_guard lock(mu_);
    stopped_ = true;
    senders.swap(senders_);
    sends.swap(snapshot_sends_);
  }
  service_->SetHandler(nullptr);
  senders.clear();
  for (auto& s : sends) {
    s->ctx.TryCancel();  // a transfer can take minutes; stopping must not
    s->thread.join();
  }
}

void GrpcTransport::SetPeer(uint64_t id, const std::string& address) {
  std::lock_guard lock(mu_);
  peer_addresses_[id] = address;
  if (stopped_ || handler_ == nullptr) return;
  auto& sender = senders_[id];
  if (sender == nullptr) sender = std::make_unique<PeerSender>(id, handler_, credentials_);
  sender->SetAddress(address);
}

void GrpcTransport::Send(const std::string& group, std::vector<raftpb::Message> msgs) {
  std::map<uint64_t, std::vector<raftpb::Message>> by_peer;
  for (auto& m : msgs) by_peer[m.to()].push_back(std::move(m));
  std::lock_guard lock(mu_);
  for (auto& [to, batch] : by_peer) {
    auto it = senders_.find(to);
    if (it != senders_.end()) it->second->Enqueue(group, std::move(batch));
  }
}

namespace {

// Streams the snapshot file at `path` to `address` in chunks; the first carries `m`.
absl::Status StreamSnapshot(grpc::ClientContext* ctx, const std::string& address,
                            const std::shared_ptr<grpc::ChannelCredentials>& credentials,
                            const std::string& group, raftpb::Message m, const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) return ErrnoStatus("open snapshot", path);
  auto stub = raftpb::RaftPeer::NewStub(MakeChannel(address, credentials));
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::minutes(10));
  raftpb::SnapshotAck ack;
  auto writer = stub->InstallSnapshot(ctx, &ack);
  raftpb::SnapshotChunk chunk;
  chunk.set_group(group);
  *chunk.mutable_message() = std::move(m);
  std::string buf(kSnapshotChunkBytes, '\0');
  absl::Status s;
  while (s.ok()) {
    ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0) {
      s = ErrnoStatus("read snapshot", path);
      break;
    }
    chunk.set_data(buf.data(), n);
    chunk.set_last(n == 0);
    if (!writer->Write(chunk)) s = absl::UnavailableError("snapshot stream broke");
    chunk.clear_message();
    if (n == 0) break;
  }
  ::close(fd);
  writer->WritesDone();
  grpc::Status status = writer->Finish();
  return s.ok() ? FromGrpc(status) : s;
}

}  // namespace

void GrpcTransport::SendSnapshot(const std::string& group, raftpb::Message m, std::string path,
                                 SnapshotDone done) {
  std::lock_guard lock(mu_);
  if (stopped_) return done(absl::UnavailableError("transport stopped"));
  auto it = peer_addresses_.find(m.to());
  if (it == peer_addresses_.end()) {
    return done(absl::UnavailableError(absl::StrCat("no address for peer ", m.to())));
  }
  for (auto s = snapshot_sends_.begin(); s != snapshot_sends_.end();) {
    if (!(*s)->finished) {
      ++s;
      continue;
    }
    (*s)->thread.join();
    s = snapshot_sends_.erase(s);
  }
  auto send = std::make_unique<SnapshotSend>();
  SnapshotSend* raw = send.get();
  raw->thread =
      std::thread([raw, group, m = std::move(m), path = std::move(path), done = std::move(done),
                   address = it->second, credentials = credentials_]() mutable {
        pthread_setname_np(pthread_self(), absl::StrCat("snapsend-", m.to()).substr(0, 15).c_str());
        done(StreamSnapshot(&raw->ctx, address, credentials, group, std::move(m), path));
        raw->finished = true;
      });
  snapshot_sends_.push_back(std::move(send));
}

}  // namespace warren::raft
