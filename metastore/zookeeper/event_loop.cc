#include "metastore/zookeeper/event_loop.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "glog/logging.h"
#include "metastore/zookeeper/connection.h"

namespace warren::zookeeper {

EventLoop::EventLoop() {
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  PCHECK(epoll_fd_ >= 0 && wake_fd_ >= 0) << "epoll or eventfd";
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.ptr = nullptr;  // the wake-up
  PCHECK(epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &ev) == 0);
}

EventLoop::~EventLoop() {
  Stop();
  close(wake_fd_);
  close(epoll_fd_);
}

void EventLoop::Start() {
  thread_ = std::thread([this] { Run(); });
}

void EventLoop::Stop() {
  if (stopping_.exchange(true)) return;
  const uint64_t one = 1;
  if (write(wake_fd_, &one, sizeof(one)) < 0) PLOG(WARNING) << "waking an event loop";
  if (thread_.joinable()) thread_.join();
}

void EventLoop::Add(Connection* c, int fd) {
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLRDHUP;
  ev.data.ptr = c;
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) PLOG(ERROR) << "epoll add";
}

void EventLoop::SetEvents(Connection* c, int fd, bool read, bool write) {
  epoll_event ev{};
  ev.events = (read ? uint32_t{EPOLLIN | EPOLLRDHUP} : 0u) | (write ? uint32_t{EPOLLOUT} : 0u);
  ev.data.ptr = c;
  // ENOENT: the connection is being torn down; nothing left to write to.
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &ev) != 0 && errno != ENOENT) {
    PLOG(ERROR) << "epoll mod";
  }
}

void EventLoop::Mute(Connection* c, int fd) {
  epoll_event ev{};
  ev.events = 0;
  ev.data.ptr = c;
  epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &ev);
}

void EventLoop::Kick(std::weak_ptr<Connection> c) {
  {
    std::lock_guard lock(kick_mu_);
    kicked_.push_back(std::move(c));
  }
  const uint64_t one = 1;
  if (write(wake_fd_, &one, sizeof(one)) < 0) PLOG(WARNING) << "waking an event loop";
}

void EventLoop::Remove(int fd) { epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr); }

void EventLoop::Run() {
  epoll_event events[64];
  while (!stopping_) {
    const int n = epoll_wait(epoll_fd_, events, 64, -1);
    if (n < 0) {
      if (errno != EINTR) PLOG(ERROR) << "epoll_wait";
      continue;
    }
    for (int i = 0; i < n; ++i) {
      if (events[i].data.ptr == nullptr) {  // Stop() (the loop condition says), or Kick()
        uint64_t count;
        if (read(wake_fd_, &count, sizeof(count)) < 0 && errno != EAGAIN)
          PLOG(WARNING) << "eventfd";
        std::vector<std::weak_ptr<Connection>> kicked;
        {
          std::lock_guard lock(kick_mu_);
          kicked.swap(kicked_);
        }
        for (auto& weak : kicked) {
          if (auto c = weak.lock()) {
            c->OnEvents(EPOLLIN);
            retired_.push_back(std::move(c));  // freed after the batch, as any other
          }
        }
        continue;
      }
      static_cast<Connection*>(events[i].data.ptr)->OnEvents(events[i].events);
    }
    // A connection torn down in this batch may still have had events in it: freed only now.
    retired_.clear();
  }
}

}  // namespace warren::zookeeper
