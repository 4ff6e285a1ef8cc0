#pragma once

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "common/tls.h"
#include "metastore/zookeeper/member.h"
#include "metastore/zookeeper/request_handler.h"

namespace warren::zookeeper {

class Connection;
class EventLoop;
class TlsContext;

struct ZooKeeperOptions {
  std::string host = "127.0.0.1";  // the member's own host
  int port = 0;                    // 0: pick a free one (tests)
  bool plaintext = true;           // false: no plaintext port (`port` unused), only the secure one
  // ZooKeeper's secureClientPort: TLS with the member's certificate (`tls`), asking clients
  // for one signed by tls.ca and refusing those without if `require_client_cert`. -1: none;
  // 0: pick a free one (tests).
  int secure_port = -1;
  TlsFiles tls;
  bool require_client_cert = false;
  // jute.maxbuffer: the largest request body; frames may exceed it by 1 KiB of headers.
  size_t max_buffer_bytes = 0xfffff;
  // Four-letter words answered (4lw.commands.whitelist); "*" allows all.
  std::set<std::string> four_letter_words = {"srvr"};
  // Connections from one address at most (maxClientCnxns); 0: no bound.
  int max_connections_per_ip = 60;
  // Requests one connection may have taken and not yet answered; past it, its socket is not
  // read until one is answered (ZooKeeper's throttle). 0: no bound.
  size_t max_outstanding_per_connection = 1000;
  // The same, over all of the port's connections (zookeeper.globalOutstandingLimit). 0: no
  // bound.
  size_t max_outstanding = 10'000;
  HandlerOptions handler;
  // For `conf`, `envi` and `dirs`.
  uint64_t member_id = 0;
  std::string data_dir;
};

// ZooKeeper's client port on one member: accepts connections, serves each (Connection,
// RequestHandler) with the member's tree, sessions and watches, and answers the four-letter
// words. Started beside the gRPC API by MetastoreServer when --zk-port is set.
class ZooKeeperServer {
 public:
  static absl::StatusOr<std::unique_ptr<ZooKeeperServer>> Start(ZooKeeperOptions options,
                                                                Member* member);
  ~ZooKeeperServer();
  // Stops accepting, ends every connection (sessions live on; clients move to other
  // members) and waits until they are gone. Idempotent.
  void Shutdown();
  int port() const { return port_; }
  int secure_port() const { return secure_port_; }

  // For connections.
  Member* member() const { return member_; }
  const HandlerOptions& handler_options() const { return options_.handler; }
  size_t max_frame_bytes() const { return options_.max_buffer_bytes + 1024; }
  size_t max_outstanding_per_connection() const {
    return options_.max_outstanding_per_connection == 0 ? SIZE_MAX
                                                        : options_.max_outstanding_per_connection;
  }
  // The port's connections have max_outstanding requests taken and not answered.
  bool AtOutstandingCap() const {
    return options_.max_outstanding != 0 &&
           outstanding_.load() >= static_cast<int64_t>(options_.max_outstanding);
  }
  // A connection starts (+1) or stops (-1) waiting for outstanding requests to be answered.
  void WaitForOutstanding(int delta) { waiting_ += delta; }
  // A connection's request was answered: connections waiting read again if they may.
  void RequestDone();
  int64_t outstanding() const { return outstanding_.load(); }
  void Attached(uint64_t session, const std::shared_ptr<Connection>& connection);
  void ConnectionEnded(Connection* connection);
  // The answer to a four-letter word (refused if not allowed).
  std::string FourLetterWord(const std::string& word);

 private:
  ZooKeeperServer(ZooKeeperOptions options, Member* member);
  // Accepts on `listen_fd` until Shutdown; through `tls` if not null.
  void AcceptLoop(int listen_fd, TlsContext* tls);
  std::string Mode();
  std::string LatencyLine() const;

  ZooKeeperOptions options_;
  Latency latency_;
  Member* const member_;
  int listen_fd_ = -1;
  int port_ = 0;
  int secure_fd_ = -1;
  int secure_port_ = 0;
  std::unique_ptr<TlsContext> tls_;
  std::vector<std::thread> acceptors_;
  std::vector<std::unique_ptr<EventLoop>> loops_;
  size_t next_loop_ = 0;
  std::atomic<bool> stopping_{false};
  const absl::Time started_ = absl::Now();
  // Requests taken from every connection and not yet answered (RequestHandler counts them),
  // and connections not reading because of a bound on them.
  std::atomic<int64_t> outstanding_{0};
  std::atomic<int64_t> waiting_{0};

  std::mutex mu_;
  std::condition_variable all_ended_;
  std::map<Connection*, std::shared_ptr<Connection>> connections_;
  std::map<uint64_t, std::weak_ptr<Connection>> by_session_;
  std::map<std::string, int> per_ip_;
};

// Whether the four bytes are one of ZooKeeper's four-letter words.
bool IsFourLetterWord(const std::string& word);

}  // namespace warren::zookeeper
