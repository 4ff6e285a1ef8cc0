#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>

#include "absl/time/time.h"
#include "metastore/zookeeper/request_handler.h"
#include "metastore/zookeeper/tls_stream.h"

namespace warren::zookeeper {

class EventLoop;
class ZooKeeperServer;

// One TCP connection on ZooKeeper's port, a non-blocking socket served by an EventLoop:
// frames in (a 4-byte big-endian length, then the body), frames out. Its first four bytes may
// instead be a four-letter word, answered in text before the connection ends. Answers and
// watch events go out at once from the thread that has them when the socket takes them
// without waiting, else they queue and the loop writes them as the socket drains, so a
// client slow to read never holds up the member's apply thread. A frame longer than the limit
// ends the connection; nothing else is done for it. While the connection has
// --zk-max-outstanding-per-connection requests taken and not answered, or the port
// --zk-max-outstanding, its socket is not read. On the secure port the bytes go through a
// TlsStream, and a client's verified certificate is its x509 identity.
//
// Any thread may send or close; the loop's thread alone reads and tears the connection down
// (a close from elsewhere shuts the socket, which the loop then sees).
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  // `tls`: the secure port's session over `fd`; null on the plaintext port.
  Connection(int fd, std::string peer_ip, int peer_port, ZooKeeperServer* server, EventLoop* loop,
             std::unique_ptr<TlsStream> tls = nullptr);
  ~Connection();

  // Registers with the loop; the server holds the connection until ConnectionEnded.
  void Start();
  // Queues a frame body; never blocks. Past a bound of queued bytes the client is not
  // reading: the connection ends.
  void Send(std::string body);
  // Ends the connection once what is queued has been written.
  void CloseAfterSend();
  // Ends it now (the server shuts down).
  void Abort();
  // The loop's thread: the socket is readable, writable or closed.
  void OnEvents(uint32_t events);
  // Reads again if it stopped for the bounds on outstanding requests and they now allow it.
  // Any thread.
  void Resume();

  RequestHandler* handler() const { return handler_.get(); }
  const std::string& peer_ip() const { return peer_ip_; }
  int peer_port() const { return peer_port_; }
  absl::Time started() const { return started_; }

 private:
  // Queues bytes as they are (a frame, or a four-letter word's text) and writes what the
  // socket takes now.
  void Write(std::string bytes);
  // `throttled`: stops reading (until Resume) while the bounds on outstanding requests are
  // reached.
  void OnReadable(bool throttled);
  // This connection's outstanding requests, or all of the port's, are at their bound.
  bool Busy() const;
  // The loop's thread: stops asking for input if Busy (true), else false.
  bool PauseIfBusy();
  void OnWritable();
  // Takes the frames complete in in_ and hands them to the handler; with `throttled`, no
  // more once Busy, and then paused until Resume.
  void TakeFrames(bool throttled);
  void AnswerFourLetterWord(const std::string& word);
  // Sends what it can of out_ without waiting; under mu_, with writing_ set by the caller.
  // False if the socket failed.
  bool Flush(std::unique_lock<std::mutex>& lock);
  // Drops what is queued and shuts the socket (the loop then tears down); unlocks `lock`.
  void DropAndShut(std::unique_lock<std::mutex>& lock);
  void Teardown();
  // recv and send on the socket, through TLS on the secure port.
  ssize_t ReadSome(char* buf, size_t n);
  ssize_t WriteSome(const char* buf, size_t n);
  // Shuts the socket, telling a TLS client first.
  void ShutSocket();

  const int fd_;
  const std::string peer_ip_;
  const int peer_port_;
  ZooKeeperServer* const server_;
  EventLoop* const loop_;
  const absl::Time started_;
  const std::unique_ptr<TlsStream> tls_;
  std::shared_ptr<RequestHandler> handler_;

  // The loop's thread only.
  std::string in_;
  size_t in_start_ = 0;  // in_ before this is consumed
  bool first_bytes_ = true;
  bool identified_ = false;  // the secure port: the certificate's identity is taken
  bool reading_ = true;      // false once the handler or a four-letter word ended the input
  bool torn_down_ = false;
  std::atomic<bool> answering_{false};  // a four-letter word's answer is being written

  std::mutex mu_;
  std::deque<std::string> out_;  // bytes not yet written, in order
  size_t queued_bytes_ = 0;
  bool writing_ = false;     // a thread is writing out_ to the socket
  bool want_write_ = false;  // the loop is asked to tell when the socket drains
  bool closing_ = false;     // no more output; the socket shuts once out_ is written
  bool paused_ = false;      // input is not read: too many requests outstanding (Resume)
};

}  // namespace warren::zookeeper
