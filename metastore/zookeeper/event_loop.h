#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace warren::zookeeper {

class Connection;

// One thread waiting on many non-blocking sockets (epoll, level-triggered), calling each
// connection's OnEvents when its socket is readable, writable (once asked for) or closed. A
// few loops serve every connection of the port, so a busy port wakes a thread per batch of
// ready sockets rather than a thread per request.
class EventLoop {
 public:
  EventLoop();
  ~EventLoop();  // Stop()s

  void Start();
  // Returns once the thread has ended. Connections must be gone first.
  void Stop();

  // From any thread.
  void Add(Connection* c, int fd);
  // Which events `fd` reports: readable (and the peer's half-close) if `read`, writable if
  // `write`; a hang-up or error always.
  void SetEvents(Connection* c, int fd, bool read, bool write);
  void Remove(int fd);
  // Asks for no more events on `fd` but its hang-up (which epoll always reports).
  void Mute(Connection* c, int fd);
  // Has the loop's thread call c->OnEvents(EPOLLIN) soon, if `c` still lives: a connection
  // that stopped taking the requests it has read may take them again.
  void Kick(std::weak_ptr<Connection> c);
  // Keeps `c` alive until the loop is done with the batch of events it is in.
  void Retire(std::shared_ptr<Connection> c) { retired_.push_back(std::move(c)); }

 private:
  void Run();

  int epoll_fd_ = -1;
  int wake_fd_ = -1;  // an eventfd: Stop() wakes the thread with it
  std::atomic<bool> stopping_{false};
  std::thread thread_;
  std::vector<std::shared_ptr<Connection>> retired_;  // loop thread only
  std::mutex kick_mu_;
  std::vector<std::weak_ptr<Connection>> kicked_;
};

}  // namespace warren::zookeeper
