#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "metastore/zookeeper/request_handler.h"

namespace warren::zookeeper {

class ZooKeeperServer;

// One TCP connection on ZooKeeper's port: frames in (a 4-byte big-endian length, then the
// body), frames out. Its first four bytes may instead be a four-letter word, answered in
// text before the connection ends. A thread reads; answers and events go out at once from
// the thread that has them when the socket takes them without waiting, else a writer thread
// sends them, so that a client slow to read never holds up the member's apply thread and a
// request waiting on the group never holds up reading. A frame longer than the limit, or one cut
// short, ends the connection; nothing else is done for it.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(int fd, std::string peer_ip, int peer_port, ZooKeeperServer* server);
  ~Connection();

  // Starts the threads; the connection holds itself alive until both have ended, then tells
  // the server (ConnectionEnded).
  void Start();
  // Queues a frame body; never blocks. Past a bound of queued bytes the client is not
  // reading: the connection ends.
  void Send(std::string body);
  // Ends the connection once what is queued has been written.
  void CloseAfterSend();
  // Ends it now (the server shuts down).
  void Abort();

  RequestHandler* handler() const { return handler_.get(); }
  const std::string& peer_ip() const { return peer_ip_; }
  int peer_port() const { return peer_port_; }
  absl::Time started() const { return started_; }

 private:
  void ReadLoop();
  void WriteLoop();
  // Reads exactly `n` bytes; false at the end of the stream or an error.
  bool ReadFully(char* buf, size_t n);
  bool WriteFully(const std::string& bytes);
  void AnswerFourLetterWord(const std::string& word);

  const int fd_;
  const std::string peer_ip_;
  const int peer_port_;
  ZooKeeperServer* const server_;
  const absl::Time started_;
  std::shared_ptr<RequestHandler> handler_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> out_;  // whole frames, length prefix included
  size_t queued_bytes_ = 0;
  bool writing_ = false;  // a thread is writing to the socket: everyone else queues
  bool closing_ = false;  // no more frames; the writer ends once out_ is written
  std::thread writer_;
};

}  // namespace warren::zookeeper
