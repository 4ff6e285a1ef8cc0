#include "metastore/zookeeper/server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <future>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "glog/logging.h"
#include "metastore/errors.h"
#include "metastore/zookeeper/connection.h"
#include "metastore/zookeeper/event_loop.h"

namespace warren::zookeeper {
namespace {

// The version ZooKeeper's clients and scripts see: the protocol of 3.8, served by Warren.
constexpr char kVersion[] = "3.8.0-warren";

constexpr const char* kFourLetterWords[] = {"ruok", "srvr", "stat", "mntr", "conf",
                                            "cons", "envi", "wchs", "dirs", "isro"};

uint64_t DirBytes(const std::string& dir) {
  std::error_code ec;
  uint64_t total = 0;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    std::error_code size_ec;
    if (it->is_regular_file(size_ec)) total += it->file_size(size_ec);
  }
  return total;
}

}  // namespace

bool IsFourLetterWord(const std::string& word) {
  for (const char* w : kFourLetterWords) {
    if (word == w) return true;
  }
  return false;
}

ZooKeeperServer::ZooKeeperServer(ZooKeeperOptions options, Member* member)
    : options_(std::move(options)), member_(member) {
  options_.handler.latency = &latency_;
  options_.handler.outstanding = &outstanding_;
}

void ZooKeeperServer::RequestDone() {
  if (waiting_.load() <= 0) return;
  std::vector<std::shared_ptr<Connection>> all;
  {
    std::lock_guard lock(mu_);
    all.reserve(connections_.size());
    for (const auto& [ptr, c] : connections_) all.push_back(c);
  }
  for (const auto& c : all) c->Resume();
}

namespace {

// A listening socket on host:port (port 0: any free one) and the port it got.
absl::StatusOr<std::pair<int, int>> Listen(const std::string& host, int port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("ZooKeeper port: '", host, "' is not an IPv4 address"));
  }
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::InternalError(absl::StrCat("socket: ", strerror(errno)));
  const int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 || listen(fd, 128) != 0) {
    const std::string why = strerror(errno);
    close(fd);
    return absl::UnavailableError(
        absl::StrCat("ZooKeeper port: cannot listen on ", host, ":", port, ": ", why));
  }
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  return std::make_pair(fd, static_cast<int>(ntohs(addr.sin_port)));
}

}  // namespace

absl::StatusOr<std::unique_ptr<ZooKeeperServer>> ZooKeeperServer::Start(ZooKeeperOptions options,
                                                                        Member* member) {
  std::unique_ptr<ZooKeeperServer> server(new ZooKeeperServer(std::move(options), member));
  const ZooKeeperOptions& o = server->options_;
  if (!o.plaintext && o.secure_port < 0) {
    return absl::InvalidArgumentError("ZooKeeper port: neither a plaintext nor a secure port");
  }
  if (o.secure_port >= 0) {
    auto tls = TlsContext::ForServer(o.tls, o.require_client_cert);
    if (!tls.ok()) return tls.status();
    server->tls_ = std::move(*tls);
  }
  // The destructor closes what was opened if a later step fails.
  if (o.plaintext) {
    auto listening = Listen(o.host, o.port);
    if (!listening.ok()) return listening.status();
    std::tie(server->listen_fd_, server->port_) = *listening;
  }
  if (o.secure_port >= 0) {
    auto listening = Listen(o.host, o.secure_port);
    if (!listening.ok()) return listening.status();
    std::tie(server->secure_fd_, server->secure_port_) = *listening;
  }
  // As many loops as cores: each wakes for a batch of ready sockets at a time.
  const unsigned loops = std::max(2u, std::thread::hardware_concurrency());
  for (unsigned i = 0; i < loops; ++i) {
    server->loops_.push_back(std::make_unique<EventLoop>());
    server->loops_.back()->Start();
  }
  if (server->listen_fd_ >= 0) {
    server->acceptors_.emplace_back(
        [s = server.get()] { s->AcceptLoop(s->listen_fd_, /*tls=*/nullptr); });
    LOG(INFO) << "ZooKeeper clients served on " << o.host << ":" << server->port_;
  }
  if (server->secure_fd_ >= 0) {
    server->acceptors_.emplace_back(
        [s = server.get()] { s->AcceptLoop(s->secure_fd_, s->tls_.get()); });
    LOG(INFO) << "ZooKeeper clients served over TLS on " << o.host << ":" << server->secure_port_;
  }
  return server;
}

ZooKeeperServer::~ZooKeeperServer() { Shutdown(); }

void ZooKeeperServer::Shutdown() {
  if (stopping_.exchange(true)) return;
  for (int fd : {listen_fd_, secure_fd_}) {
    if (fd >= 0) shutdown(fd, SHUT_RDWR);
  }
  for (auto& acceptor : acceptors_) acceptor.join();
  for (int fd : {listen_fd_, secure_fd_}) {
    if (fd >= 0) close(fd);
  }
  {
    std::unique_lock lock(mu_);
    for (auto& [ptr, connection] : connections_) connection->Abort();
    all_ended_.wait(lock, [this] { return connections_.empty(); });
  }
  for (auto& loop : loops_) loop->Stop();
}

void ZooKeeperServer::AcceptLoop(int listen_fd, TlsContext* tls) {
  while (!stopping_) {
    sockaddr_in peer{};
    socklen_t len = sizeof(peer);
    const int fd =
        accept4(listen_fd, reinterpret_cast<sockaddr*>(&peer), &len, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) {
      if (stopping_) return;
      if (errno == EINTR || errno == ECONNABORTED) continue;
      LOG(WARNING) << "ZooKeeper port: accept: " << strerror(errno);
      absl::SleepFor(absl::Milliseconds(100));  // out of descriptors: let some close
      continue;
    }
    const int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    char ip[INET_ADDRSTRLEN] = {};
    inet_ntop(AF_INET, &peer.sin_addr, ip, sizeof(ip));
    std::unique_ptr<TlsStream> stream;
    if (tls != nullptr) {
      stream = tls->Accept(fd, absl::StrCat(ip, ":", ntohs(peer.sin_port)));
      if (stream == nullptr) {
        close(fd);
        continue;
      }
    }
    auto connection =
        std::make_shared<Connection>(fd, ip, ntohs(peer.sin_port), this,
                                     loops_[next_loop_++ % loops_.size()].get(), std::move(stream));
    {
      std::lock_guard lock(mu_);
      if (options_.max_connections_per_ip > 0 && per_ip_[ip] >= options_.max_connections_per_ip) {
        LOG(WARNING) << "ZooKeeper port: too many connections from " << ip << " (at most "
                     << options_.max_connections_per_ip << ", --zk-max-client-connections)";
        continue;  // the connection's destructor closes it
      }
      ++per_ip_[ip];
      connections_[connection.get()] = connection;
    }
    connection->Start();
  }
}

void ZooKeeperServer::Attached(uint64_t session, const std::shared_ptr<Connection>& connection) {
  std::shared_ptr<Connection> older;
  {
    std::lock_guard lock(mu_);
    auto& slot = by_session_[session];
    older = slot.lock();
    slot = connection;
  }
  // As ZooKeeper: a session reconnecting here ends its older connection here.
  if (older && older != connection) older->handler()->Close();
}

void ZooKeeperServer::ConnectionEnded(Connection* connection) {
  std::lock_guard lock(mu_);
  auto it = connections_.find(connection);
  if (it == connections_.end()) return;
  if (auto ip = per_ip_.find(connection->peer_ip()); ip != per_ip_.end() && --ip->second <= 0) {
    per_ip_.erase(ip);
  }
  const uint64_t session = connection->handler()->session();
  if (auto s = by_session_.find(session); s != by_session_.end()) {
    auto current = s->second.lock();
    if (!current || current.get() == connection) by_session_.erase(s);
  }
  connections_.erase(it);
  if (connections_.empty()) all_ended_.notify_all();
}

// ---------------------------------------------------------------------------------------
// Four-letter words, in ZooKeeper's formats

std::string ZooKeeperServer::Mode() {
  auto status = std::make_shared<std::promise<raftpb::GroupStatus>>();
  auto future = status->get_future();
  member_->GroupStatus([status](raftpb::GroupStatus gs) { status->set_value(std::move(gs)); });
  if (future.wait_for(std::chrono::seconds(2)) != std::future_status::ready) return "unknown";
  const raftpb::GroupStatus gs = future.get();
  if (gs.members_size() == 1) return "standalone";
  if (gs.leader() == gs.id()) return "leader";
  for (const auto& m : gs.members()) {
    if (m.id() == gs.id() && m.role() == "learner") return "observer";
  }
  return gs.leader() == 0 ? "candidate" : "follower";
}

// Milliseconds, as ZooKeeper prints them: min/avg/max.
std::string ZooKeeperServer::LatencyLine() const {
  const int64_t count = latency_.count.load();
  if (count == 0) return "0/0.0/0";
  return absl::StrFormat("%d/%.1f/%d", latency_.min_us.load() / 1000,
                         latency_.total_us.load() / 1000.0 / count, latency_.max_us.load() / 1000);
}

std::string ZooKeeperServer::FourLetterWord(const std::string& word) {
  if (options_.four_letter_words.count("*") == 0 && options_.four_letter_words.count(word) == 0) {
    return absl::StrCat(word, " is not executed because it is not in the whitelist.\n");
  }
  if (word == "ruok") return "imok";
  if (word == "isro") return "rw";
  metastore::ZNodeTree& tree = member_->tree();
  struct Client {
    std::string ip;
    int port;
    uint64_t session, received, sent, queued;
    int64_t timeout_ms, last_zxid;
    absl::Time started;
  };
  std::vector<Client> clients;
  {
    std::lock_guard lock(mu_);
    for (const auto& [ptr, c] : connections_) {
      const RequestHandler* h = c->handler();
      clients.push_back({c->peer_ip(), c->peer_port(), h->session(), h->received(), h->sent(),
                         h->outstanding(), h->timeout_ms(), h->last_zxid(), c->started()});
    }
  }
  uint64_t received = 0, sent = 0;
  for (const Client& c : clients) {
    received += c.received;
    sent += c.sent;
  }
  auto client_line = [](const Client& c, bool detail) {
    std::string line = absl::StrCat(" /", c.ip, ":", c.port, "[1](queued=", c.queued,
                                    ",recved=", c.received, ",sent=", c.sent);
    if (detail) {
      absl::StrAppend(&line, ",sid=0x", absl::Hex(c.session),
                      ",est=", absl::ToUnixMillis(c.started), ",to=", c.timeout_ms, ",lzxid=0x",
                      absl::Hex(c.last_zxid));
    }
    return line + ")\n";
  };
  if (word == "cons") {
    std::string out;
    for (const Client& c : clients) out += client_line(c, true);
    return out + "\n";
  }
  if (word == "srvr" || word == "stat") {
    std::string out = absl::StrCat("Zookeeper version: ", kVersion, "\n");
    if (word == "stat") {
      out += "Clients:\n";
      for (const Client& c : clients) out += client_line(c, false);
      out += "\n";
    }
    absl::StrAppend(&out, "Latency min/avg/max: ", LatencyLine(), "\n", "Received: ", received,
                    "\n", "Sent: ", sent, "\n", "Connections: ", clients.size(), "\n",
                    "Outstanding: ", outstanding_.load(), "\n", "Zxid: 0x",
                    absl::Hex(tree.LastApplied()), "\n", "Mode: ", Mode(), "\n",
                    "Node count: ", tree.node_count(), "\n");
    return out;
  }
  if (word == "mntr") {
    size_t ephemerals = 0;
    for (const auto& s : tree.Sessions()) ephemerals += tree.Ephemerals(s.id, "/").size();
    const std::string mode = Mode();
    std::string out;
    auto line = [&out](const char* key, const auto& value) {
      absl::StrAppend(&out, key, "\t", value, "\n");
    };
    line("zk_version", kVersion);
    line("zk_server_state", mode);
    line("zk_znode_count", tree.node_count());
    line("zk_watch_count", member_->watches().count());
    line("zk_ephemerals_count", ephemerals);
    line("zk_approximate_data_size", tree.data_bytes());
    line("zk_num_alive_connections", clients.size());
    line("zk_outstanding_requests", outstanding_.load());
    const int64_t count = latency_.count.load();
    line("zk_avg_latency", count == 0 ? 0.0 : latency_.total_us.load() / 1000.0 / count);
    line("zk_max_latency", latency_.max_us.load() / 1000);
    line("zk_min_latency", count == 0 ? 0 : latency_.min_us.load() / 1000);
    line("zk_packets_received", received);
    line("zk_packets_sent", sent);
    line("zk_global_sessions", tree.session_count());
    line("zk_uptime", absl::ToInt64Milliseconds(absl::Now() - started_));
    line("zk_last_zxid", absl::StrCat("0x", absl::Hex(tree.LastApplied())));
    return out;
  }
  if (word == "wchs") {
    size_t watching = 0;
    for (const Client& c : clients) watching += c.session != 0 ? 1 : 0;
    return absl::StrCat(watching, " connections watching ", member_->watches().count(),
                        " paths\nTotal watches:", member_->watches().count(), "\n");
  }
  if (word == "conf") {
    const metastore::Limits& limits = tree.limits();
    return absl::StrCat("clientPort=", port_, "\n", "dataDir=", options_.data_dir, "\n",
                        "maxClientCnxns=", options_.max_connections_per_ip, "\n",
                        "minSessionTimeout=", limits.min_session_timeout_ms, "\n",
                        "maxSessionTimeout=", limits.max_session_timeout_ms, "\n",
                        "serverId=", options_.member_id, "\n",
                        "jute.maxbuffer=", options_.max_buffer_bytes, "\n");
  }
  if (word == "envi") {
    char host[256] = {};
    gethostname(host, sizeof(host) - 1);
    return absl::StrCat("Environment:\n", "zookeeper.version=", kVersion, "\n", "host.name=", host,
                        "\n", "server.implementation=Warren\n",
                        "user.dir=", std::filesystem::current_path().string(), "\n");
  }
  if (word == "dirs") {
    const uint64_t bytes = DirBytes(options_.data_dir);
    return absl::StrCat("datadir_size: ", bytes, "\nlogdir_size: ", bytes, "\n");
  }
  return absl::StrCat(word, " is not executed because it is not in the whitelist.\n");
}

}  // namespace warren::zookeeper
