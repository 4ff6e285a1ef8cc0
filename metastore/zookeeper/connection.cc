#include "metastore/zookeeper/connection.h"

#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <thread>

#include "glog/logging.h"
#include "metastore/zookeeper/event_loop.h"
#include "metastore/zookeeper/server.h"

namespace warren::zookeeper {
namespace {

// Bytes queued for a client that does not read them; beyond this it is cut off.
constexpr size_t kMaxQueuedBytes = size_t{64} << 20;
// Read per wake-up at most, so that one busy client does not starve the others of a loop.
constexpr size_t kReadBudget = 256 << 10;

int32_t BigEndian32(const char* b) {
  const auto* p = reinterpret_cast<const unsigned char*>(b);
  return static_cast<int32_t>(uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 |
                              uint32_t{p[3]});
}

}  // namespace

Connection::Connection(int fd, std::string peer_ip, int peer_port, ZooKeeperServer* server,
                       EventLoop* loop, std::unique_ptr<TlsStream> tls)
    : fd_(fd),
      peer_ip_(std::move(peer_ip)),
      peer_port_(peer_port),
      server_(server),
      loop_(loop),
      started_(absl::Now()),
      tls_(std::move(tls)) {}

Connection::~Connection() { close(fd_); }

ssize_t Connection::ReadSome(char* buf, size_t n) {
  if (tls_ != nullptr) return tls_->Read(buf, n);
  return recv(fd_, buf, n, MSG_DONTWAIT);
}

ssize_t Connection::WriteSome(const char* buf, size_t n) {
  if (tls_ != nullptr) return tls_->Write(buf, n);
  return send(fd_, buf, n, MSG_NOSIGNAL | MSG_DONTWAIT);
}

void Connection::ShutSocket() {
  if (tls_ != nullptr) tls_->Close();
  shutdown(fd_, SHUT_RDWR);
}

void Connection::Start() {
  std::weak_ptr<Connection> weak = weak_from_this();
  ConnectionHooks hooks;
  hooks.send = [weak](std::string body) {
    if (auto c = weak.lock()) c->Send(std::move(body));
  };
  hooks.close = [weak] {
    if (auto c = weak.lock()) c->CloseAfterSend();
  };
  hooks.attached = [this, weak](uint64_t session) {
    if (auto c = weak.lock()) server_->Attached(session, c);
  };
  hooks.request_done = [this, weak] {
    if (auto c = weak.lock()) c->Resume();
    server_->RequestDone();
  };
  handler_ = std::make_shared<RequestHandler>(server_->member(), &server_->handler_options(),
                                              peer_ip_, std::move(hooks));
  loop_->Add(this, fd_);
}

void Connection::Send(std::string body) {
  const auto len = static_cast<uint32_t>(body.size());
  std::string frame = {static_cast<char>(len >> 24), static_cast<char>(len >> 16),
                       static_cast<char>(len >> 8), static_cast<char>(len)};
  frame += body;
  Write(std::move(frame));
}

void Connection::Write(std::string bytes) {
  std::unique_lock lock(mu_);
  if (closing_) return;
  queued_bytes_ += bytes.size();
  if (queued_bytes_ > kMaxQueuedBytes) {
    LOG(WARNING) << "ZooKeeper client " << peer_ip_ << ":" << peer_port_ << " reads too slowly ("
                 << queued_bytes_ << " bytes queued): closing";
    return DropAndShut(lock);
  }
  out_.push_back(std::move(bytes));
  if (writing_) return;  // the writing thread takes it too
  writing_ = true;
  const bool ok = Flush(lock);
  writing_ = false;
  if (!ok) {
    return DropAndShut(lock);  // the client is gone: the loop sees it and tears down
  }
  const bool drained = out_.empty();
  if (!drained && !want_write_) {
    want_write_ = true;
    loop_->SetEvents(this, fd_, !paused_, true);
  }
}

bool Connection::Flush(std::unique_lock<std::mutex>& lock) {
  while (!out_.empty()) {
    std::string bytes = std::move(out_.front());
    out_.pop_front();
    lock.unlock();
    ssize_t put;
    do {
      put = WriteSome(bytes.data(), bytes.size());
    } while (put < 0 && errno == EINTR);
    lock.lock();
    if (put < 0 && errno != EAGAIN && errno != EWOULDBLOCK) return false;
    const size_t sent = put > 0 ? static_cast<size_t>(put) : 0;
    queued_bytes_ -= sent;
    if (sent < bytes.size()) {
      bytes.erase(0, sent);
      out_.push_front(std::move(bytes));  // before what others queued meanwhile
      return true;                        // the socket is full: the loop says when it drains
    }
  }
  if (closing_) ShutSocket();  // all written: now the connection ends
  return true;
}

void Connection::CloseAfterSend() {
  std::unique_lock lock(mu_);
  if (closing_) return;
  closing_ = true;
  if (out_.empty() && !writing_) {
    lock.unlock();
    ShutSocket();
  }
}

void Connection::Abort() {
  std::unique_lock lock(mu_);
  DropAndShut(lock);
}

void Connection::DropAndShut(std::unique_lock<std::mutex>& lock) {
  closing_ = true;
  out_.clear();
  queued_bytes_ = 0;
  lock.unlock();
  shutdown(fd_, SHUT_RDWR);
}

void Connection::OnEvents(uint32_t events) {
  if (torn_down_) return;
  if (events & EPOLLOUT) OnWritable();
  // TLS wanted to write while reading (a handshake message the socket did not take).
  if ((events & EPOLLOUT) && tls_ != nullptr && tls_->read_waits_for_write()) {
    return OnReadable(/*throttled=*/true);
  }
  // A hang-up is read whatever the throttle says: what is left is read to its end and the
  // connection torn down.
  if (events & (EPOLLHUP | EPOLLERR)) return OnReadable(/*throttled=*/false);
  if (events & (EPOLLIN | EPOLLRDHUP)) OnReadable(/*throttled=*/true);
}

void Connection::OnWritable() {
  std::unique_lock lock(mu_);
  if (writing_) return;  // another thread is at it; the loop asks again
  writing_ = true;
  const bool ok = Flush(lock);
  writing_ = false;
  if (!ok) {
    return DropAndShut(lock);
  }
  if (out_.empty() && want_write_) {
    want_write_ = false;
    loop_->SetEvents(this, fd_, !paused_, false);
  }
}

void Connection::OnReadable(bool throttled) {
  if (reading_) TakeFrames(throttled);  // what was read before a pause
  char buf[64 << 10];
  size_t budget = kReadBudget;
  while (budget > 0) {
    // Past the bounds on outstanding requests the socket is left unread, as ZooKeeper
    // leaves it: the client's requests wait in the kernel's buffers and then its own, and
    // the member holds one read (64 KiB) of them at most. A new connection is read until
    // its first bytes say whether it asks a four-letter word, which is answered whatever
    // the load (monitoring asks them of a busy member).
    if (throttled && reading_ && !first_bytes_ && PauseIfBusy()) return;
    const ssize_t got = ReadSome(buf, sizeof(buf));
    if (got == 0) {  // the client closed (perhaps its side only: `echo ruok | nc`)
      if (reading_) TakeFrames(/*throttled=*/false);
      // A four-letter word's answer is still to go: wait for its thread to shut the socket
      // (the loop hears of that even with no events asked for).
      if (answering_) return loop_->Mute(this, fd_);
      return Teardown();
    }
    if (got < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        if (tls_ != nullptr && tls_->read_waits_for_write()) {
          std::lock_guard lock(mu_);
          want_write_ = true;
          loop_->SetEvents(this, fd_, !paused_, true);
        }
        break;
      }
      return Teardown();
    }
    if (tls_ != nullptr && !identified_) {  // the handshake is done: the certificate is known
      identified_ = true;
      if (std::string subject = tls_->PeerSubject(); !subject.empty()) {
        handler_->AddCertificateIdentity(subject);
      }
    }
    budget -= std::min(budget, static_cast<size_t>(got));
    if (reading_) in_.append(buf, static_cast<size_t>(got));
    if (reading_) TakeFrames(throttled);
  }
  // Out of budget: the socket says when it has more, but not what TLS already decrypted.
  if (tls_ != nullptr && tls_->has_pending()) loop_->Kick(weak_from_this());
}

void Connection::TakeFrames(bool throttled) {
  if (first_bytes_ && in_.size() - in_start_ >= 4) {
    first_bytes_ = false;
    std::string word = in_.substr(in_start_, 4);
    if (IsFourLetterWord(word)) return AnswerFourLetterWord(word);
  }
  const size_t max_frame = server_->max_frame_bytes();
  while (reading_ && in_.size() - in_start_ >= 4) {
    const int32_t len = BigEndian32(in_.data() + in_start_);
    if (len < 0 || static_cast<size_t>(len) > max_frame) {
      LOG(WARNING) << "ZooKeeper client " << peer_ip_ << ":" << peer_port_ << " sent a frame of "
                   << len << " bytes; the limit is " << max_frame << " (--zk-max-buffer-bytes)"
                   << ": closing";
      reading_ = false;
      Abort();
      break;
    }
    if (in_.size() - in_start_ < 4 + static_cast<size_t>(len)) break;  // the rest is to come
    // Paused rather than merely left: a request answered between here and the next read
    // would otherwise find nothing paused to resume, and these frames would wait for bytes
    // the client may never send.
    if (throttled && PauseIfBusy()) break;  // taken once Resume kicks the loop
    std::string frame = in_.substr(in_start_ + 4, static_cast<size_t>(len));
    in_start_ += 4 + static_cast<size_t>(len);
    handler_->OnFrame(std::move(frame));
    std::lock_guard lock(mu_);
    if (closing_) reading_ = false;  // the handler ended the connection: read no further
  }
  if (in_start_ == in_.size()) {
    in_.clear();
    in_start_ = 0;
  } else if (in_start_ > (1 << 20)) {
    in_.erase(0, in_start_);
    in_start_ = 0;
  }
}

// Answered on a thread of its own, which writes the answer and shuts the socket: working out
// `srvr` waits for the group's status, which must not hold up the loop's other connections.
void Connection::AnswerFourLetterWord(const std::string& word) {
  reading_ = false;
  answering_ = true;
  std::thread([self = shared_from_this(), word] {
    const std::string answer = self->server_->FourLetterWord(word);
    size_t done = 0;
    const absl::Time deadline = absl::Now() + absl::Seconds(10);
    while (done < answer.size() && absl::Now() < deadline) {
      const ssize_t put = self->WriteSome(answer.data() + done, answer.size() - done);
      if (put > 0) {
        done += static_cast<size_t>(put);
      } else if (put < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        break;
      } else {
        pollfd p{self->fd_, POLLOUT, 0};
        poll(&p, 1, 100);
      }
    }
    self->answering_ = false;
    self->ShutSocket();
  }).detach();
}

bool Connection::Busy() const {
  return handler_->outstanding() >= server_->max_outstanding_per_connection() ||
         server_->AtOutstandingCap();
}

bool Connection::PauseIfBusy() {
  std::lock_guard lock(mu_);
  if (paused_) return true;
  if (closing_) return false;
  // Counted as waiting for the member-wide bound before looking at it, so that a request
  // finishing meanwhile on another connection either is seen here or sees this one waiting.
  server_->WaitForOutstanding(+1);
  if (!Busy()) {
    server_->WaitForOutstanding(-1);
    return false;
  }
  paused_ = true;
  loop_->SetEvents(this, fd_, false, want_write_);
  return true;
}

void Connection::Resume() {
  std::lock_guard lock(mu_);
  if (!paused_ || Busy()) return;
  paused_ = false;
  server_->WaitForOutstanding(-1);
  if (closing_) return;
  loop_->SetEvents(this, fd_, true, want_write_);
  loop_->Kick(weak_from_this());  // for the requests already read and not yet taken
}

void Connection::Teardown() {
  {
    std::lock_guard lock(mu_);
    if (paused_) server_->WaitForOutstanding(-1);
    paused_ = false;
  }
  torn_down_ = true;
  auto self = shared_from_this();
  loop_->Remove(fd_);
  handler_->OnClosed();
  {
    std::lock_guard lock(mu_);
    closing_ = true;
    out_.clear();
    queued_bytes_ = 0;
  }
  server_->ConnectionEnded(this);
  loop_->Retire(std::move(self));  // freed after this batch of events, which may name it
}

}  // namespace warren::zookeeper
