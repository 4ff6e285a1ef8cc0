#include "metastore/zookeeper/connection.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "glog/logging.h"
#include "metastore/zookeeper/server.h"

namespace warren::zookeeper {
namespace {

// Frames queued for a client that does not read them; beyond this it is cut off.
constexpr size_t kMaxQueuedBytes = size_t{64} << 20;

int32_t BigEndian32(const char* b) {
  const auto* p = reinterpret_cast<const unsigned char*>(b);
  return static_cast<int32_t>(uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 |
                              uint32_t{p[3]});
}

}  // namespace

Connection::Connection(int fd, std::string peer_ip, int peer_port, ZooKeeperServer* server)
    : fd_(fd),
      peer_ip_(std::move(peer_ip)),
      peer_port_(peer_port),
      server_(server),
      started_(absl::Now()) {}

Connection::~Connection() { close(fd_); }

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
  handler_ = std::make_shared<RequestHandler>(server_->member(), &server_->handler_options(),
                                              peer_ip_, std::move(hooks));
  writer_ = std::thread([self = shared_from_this()] { self->WriteLoop(); });
  std::thread([self = shared_from_this()] {
    self->ReadLoop();
    self->handler_->OnClosed();
    self->CloseAfterSend();
    self->writer_.join();
    self->server_->ConnectionEnded(self.get());
  }).detach();
}

// A frame goes out at once from the thread that has it when nothing is queued before it,
// without waiting (most answers are small, and a hand-over to the writer thread per request
// cost more than serving it); what the socket does not take at once is left to the writer.
void Connection::Send(std::string body) {
  const auto len = static_cast<uint32_t>(body.size());
  std::string frame = {static_cast<char>(len >> 24), static_cast<char>(len >> 16),
                       static_cast<char>(len >> 8), static_cast<char>(len)};
  frame += body;
  std::unique_lock lock(mu_);
  if (closing_) return;
  if (out_.empty() && !writing_) {
    writing_ = true;
    lock.unlock();
    ssize_t put;
    do {
      put = send(fd_, frame.data(), frame.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    } while (put < 0 && errno == EINTR);
    lock.lock();
    writing_ = false;
    if (put < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
      closing_ = true;  // the client is gone: the reader sees it too
      out_.clear();
      queued_bytes_ = 0;
      cv_.notify_all();
      return;
    }
    const size_t sent = put > 0 ? static_cast<size_t>(put) : 0;
    if (sent == frame.size()) {
      if (!out_.empty() || closing_) cv_.notify_all();
      return;
    }
    frame.erase(0, sent);
    queued_bytes_ += frame.size();
    out_.push_front(std::move(frame));  // before what others queued meanwhile
    cv_.notify_all();
    return;
  }
  queued_bytes_ += frame.size();
  if (queued_bytes_ > kMaxQueuedBytes) {
    LOG(WARNING) << "ZooKeeper client " << peer_ip_ << ":" << peer_port_ << " reads too slowly ("
                 << queued_bytes_ << " bytes queued): closing";
    closing_ = true;
    out_.clear();
    queued_bytes_ = 0;
    shutdown(fd_, SHUT_RDWR);
    cv_.notify_all();
    return;
  }
  out_.push_back(std::move(frame));
  cv_.notify_all();
}

void Connection::CloseAfterSend() {
  std::lock_guard lock(mu_);
  closing_ = true;
  cv_.notify_all();
}

void Connection::Abort() {
  {
    std::lock_guard lock(mu_);
    closing_ = true;
    out_.clear();
    queued_bytes_ = 0;
    cv_.notify_all();
  }
  shutdown(fd_, SHUT_RDWR);
}

bool Connection::ReadFully(char* buf, size_t n) {
  while (n > 0) {
    const ssize_t got = recv(fd_, buf, n, 0);
    if (got == 0) return false;
    if (got < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    buf += got;
    n -= static_cast<size_t>(got);
  }
  return true;
}

bool Connection::WriteFully(const std::string& bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t put = send(fd_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
    if (put < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    done += static_cast<size_t>(put);
  }
  return true;
}

void Connection::ReadLoop() {
  const size_t max_frame = server_->max_frame_bytes();
  char prefix[4];
  bool first = true;
  for (;;) {
    if (!ReadFully(prefix, 4)) return;
    if (first) {
      first = false;
      std::string word(prefix, 4);
      if (IsFourLetterWord(word)) return AnswerFourLetterWord(word);
    }
    const int32_t len = BigEndian32(prefix);
    if (len < 0 || static_cast<size_t>(len) > max_frame) {
      LOG(WARNING) << "ZooKeeper client " << peer_ip_ << ":" << peer_port_ << " sent a frame of "
                   << len << " bytes; the limit is " << max_frame << " (--zk-max-buffer-bytes)"
                   << ": closing";
      return;
    }
    std::string frame(static_cast<size_t>(len), '\0');
    if (!ReadFully(frame.data(), frame.size())) return;
    handler_->OnFrame(std::move(frame));
    std::lock_guard lock(mu_);
    if (closing_) return;
  }
}

void Connection::WriteLoop() {
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [this] { return !writing_ && (closing_ || !out_.empty()); });
    if (out_.empty()) break;  // closing, and all written
    std::string frame = std::move(out_.front());
    out_.pop_front();
    queued_bytes_ -= frame.size();
    writing_ = true;
    lock.unlock();
    const bool ok = WriteFully(frame);
    lock.lock();
    writing_ = false;
    if (!ok) break;
  }
  lock.unlock();
  // Ends the reader too: the client sees the connection close and moves on.
  shutdown(fd_, SHUT_RDWR);
}

void Connection::AnswerFourLetterWord(const std::string& word) {
  std::string answer = server_->FourLetterWord(word);
  WriteFully(answer);
  shutdown(fd_, SHUT_WR);
}

}  // namespace warren::zookeeper
