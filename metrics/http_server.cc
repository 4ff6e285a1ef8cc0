#include "metrics/http_server.h"

#include <netdb.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "glog/logging.h"

namespace warren::metrics {
namespace {

using Clock = std::chrono::steady_clock;

const char* Reason(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 431:
      return "Request Header Fields Too Large";
    case 503:
      return "Service Unavailable";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "Error";
  }
}

HttpResponse Error(int status, std::string message) {
  return HttpResponse{status, "text/plain; charset=utf-8", std::move(message) + "\n"};
}

std::string Render(const HttpResponse& r, bool close, bool allow_get) {
  std::string out = absl::StrCat("HTTP/1.1 ", r.status, " ", Reason(r.status),
                                 "\r\nContent-Type: ", r.content_type,
                                 "\r\nContent-Length: ", r.body.size(), "\r\n");
  if (allow_get) out += "Allow: GET\r\n";
  if (close) out += "Connection: close\r\n";
  out += "\r\n";
  out += r.body;
  return out;
}

absl::Status Unbound(const std::string& address, const std::string& why) {
  return absl::UnavailableError(absl::StrCat("cannot listen on ", address, ": ", why));
}

}  // namespace

struct HttpServer::Connection {
  int fd;
  std::string in;   // received, not yet answered
  std::string out;  // an answer, written up to out_written
  size_t out_written = 0;
  bool close_after_write = false;
  bool peer_done = false;  // the client sent all it will (it may still read)
  Clock::time_point last_progress;
};

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Listen(const std::string& address,
                                                               HttpServerOptions options) {
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat("'", address, "' is not HOST:PORT"));
  }
  std::string host = address.substr(0, colon);
  const std::string port_text = address.substr(colon + 1);
  int port = 0;
  if (!absl::SimpleAtoi(port_text, &port) || port < 0 || port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("'", address, "': no port number"));
  }
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  if (int rc =
          getaddrinfo(host.empty() ? nullptr : host.c_str(), port_text.c_str(), &hints, &found);
      rc != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot listen on ", address, ": ", gai_strerror(rc)));
  }
  std::string why = "no address";
  int fd = -1;
  for (addrinfo* a = found; a != nullptr && fd < 0; a = a->ai_next) {
    fd = ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) {
      why = std::strerror(errno);
      continue;
    }
    const int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (::bind(fd, a->ai_addr, a->ai_addrlen) != 0 || ::listen(fd, 64) != 0) {
      why = std::strerror(errno);
      ::close(fd);
      fd = -1;
    }
  }
  freeaddrinfo(found);
  if (fd < 0) return Unbound(address, why);
  sockaddr_storage bound{};
  socklen_t len = sizeof(bound);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &len);
  const int bound_port =
      ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                        : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  const int wake = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake < 0) {
    ::close(fd);
    return Unbound(address, std::strerror(errno));
  }
  return std::unique_ptr<HttpServer>(new HttpServer(fd, wake, bound_port, options));
}

HttpServer::HttpServer(int listen_fd, int wake_fd, int port, HttpServerOptions options)
    : options_(options), listen_fd_(listen_fd), wake_fd_(wake_fd), port_(port) {}

HttpServer::~HttpServer() {
  Shutdown();
  ::close(listen_fd_);
  ::close(wake_fd_);
}

void HttpServer::Handle(const std::string& path, Handler handler) {
  CHECK(!thread_.joinable()) << "HttpServer::Handle after Start";
  handlers_[path] = std::move(handler);
}

void HttpServer::Start() {
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "metrics-http");
    Loop();
  });
}

void HttpServer::Shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  stopping_ = true;
  const uint64_t one = 1;
  (void)!::write(wake_fd_, &one, sizeof(one));
  if (thread_.joinable()) thread_.join();
}

void HttpServer::Loop() {
  std::map<int, Connection> connections;
  std::vector<pollfd> fds;
  while (!stopping_) {
    fds.clear();
    fds.push_back({wake_fd_, POLLIN, 0});
    fds.push_back({listen_fd_, POLLIN, 0});
    Clock::time_point next_expiry = Clock::time_point::max();
    const auto idle = absl::ToChronoNanoseconds(options_.idle_timeout);
    for (auto& [fd, c] : connections) {
      // Nothing more is read while an answer is still going out: a client that pipelines
      // requests faster than it reads answers waits for itself.
      fds.push_back({fd, static_cast<short>(c.out.empty() ? POLLIN : POLLOUT), 0});
      next_expiry = std::min(next_expiry, c.last_progress + idle);
    }
    int timeout_ms = -1;
    if (next_expiry != Clock::time_point::max()) {
      const auto left = next_expiry - Clock::now();
      timeout_ms = static_cast<int>(std::clamp<int64_t>(
          std::chrono::ceil<std::chrono::milliseconds>(left).count(), 0, 60000));
    }
    if (::poll(fds.data(), fds.size(), timeout_ms) < 0 && errno != EINTR) {
      PLOG(ERROR) << "metrics server: poll";
      break;
    }
    if (fds[0].revents != 0 || stopping_) break;
    if (fds[1].revents & POLLIN) {
      while (true) {
        const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) break;
        if (connections.size() >= options_.max_connections) {
          ::close(fd);
          continue;
        }
        connections.emplace(fd, Connection{fd, "", "", 0, false, false, Clock::now()});
      }
    }
    const Clock::time_point now = Clock::now();
    for (size_t i = 2; i < fds.size(); ++i) {
      auto it = connections.find(fds[i].fd);
      Connection& c = it->second;
      bool keep = true;
      if (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) {
        keep = c.out.empty() ? Read(c) : Write(c);
      }
      if (keep && (fds[i].revents & POLLOUT)) keep = Write(c);
      // Pipelined requests are answered in turn while each answer fits the socket at once.
      while (keep && c.out.empty() && !c.close_after_write) {
        Answer(c);
        if (c.out.empty()) break;  // no complete request left
        keep = Write(c);
      }
      // A client that stopped sending has had all its complete requests answered once
      // nothing is left to write (Answer stops only at an answer to write or at no request).
      if (keep && c.out.empty() && (c.close_after_write || c.peer_done)) keep = false;
      if (keep && now - c.last_progress >= idle) keep = false;
      if (!keep) {
        ::close(c.fd);
        connections.erase(it);
      }
    }
  }
  for (auto& [fd, c] : connections) ::close(fd);
}

bool HttpServer::Read(Connection& c) {
  char buf[4096];
  // At most 64 KiB a round, so that a client that never stops sending holds no one else up.
  for (int reads = 0; reads < 16; ++reads) {
    const ssize_t n = ::read(c.fd, buf, sizeof(buf));
    if (n > 0) {
      // Enough to tell an oversized head is kept; the rest is read and dropped, so that
      // closing does not reset the connection before the client has read the answer.
      if (c.in.size() <= options_.max_request_bytes * 2) c.in.append(buf, static_cast<size_t>(n));
      c.last_progress = Clock::now();
      continue;
    }
    if (n == 0) {
      c.peer_done = true;
      return true;
    }
    return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
  }
  return true;  // more next round
}

void HttpServer::Answer(Connection& c) {
  const size_t end = c.in.find("\r\n\r\n");
  if (end == std::string::npos || end + 4 > options_.max_request_bytes) {
    if (c.in.size() <= options_.max_request_bytes) return;  // the rest is on its way
    c.close_after_write = true;
    c.out = Render(Error(431, absl::StrCat("a request head is at most ", options_.max_request_bytes,
                                           " bytes")),
                   true, false);
    c.in.clear();
    return;
  }
  const std::string head = c.in.substr(0, end);
  c.in.erase(0, end + 4);
  bool close = false;
  const HttpResponse r = Respond(head, &close);
  c.close_after_write = close;
  c.out = Render(r, close, r.status == 405);
}

HttpResponse HttpServer::Respond(const std::string& head, bool* close) {
  // Debian's Abseil has a string_view of its own.
  std::vector<absl::string_view> lines = absl::StrSplit(head, "\r\n");
  std::vector<absl::string_view> parts = absl::StrSplit(lines[0], ' ');
  if (parts.size() != 3 || parts[1].empty() || !absl::StartsWith(parts[2], "HTTP/")) {
    *close = true;
    return Error(400, "not an HTTP request line");
  }
  const absl::string_view method = parts[0];
  const absl::string_view target = parts[1];
  const absl::string_view version = parts[2];
  if (version != "HTTP/1.1" && version != "HTTP/1.0") {
    *close = true;
    return Error(505, "HTTP/1.1 only");
  }
  *close = version == "HTTP/1.0";
  bool has_body = false;
  for (size_t i = 1; i < lines.size(); ++i) {
    const size_t colon = lines[i].find(':');
    if (colon == absl::string_view::npos) {
      *close = true;
      return Error(400, "a header line without a colon");
    }
    const std::string name = absl::AsciiStrToLower(lines[i].substr(0, colon));
    const std::string value =
        absl::AsciiStrToLower(absl::StripAsciiWhitespace(lines[i].substr(colon + 1)));
    if (name == "connection" && value == "close") *close = true;
    if (name == "connection" && value == "keep-alive" && version == "HTTP/1.0") *close = false;
    if ((name == "content-length" && value != "0") || name == "transfer-encoding") has_body = true;
  }
  // A body is never read: what follows the head could not be told from the next request.
  if (has_body) *close = true;
  if (method != "GET") return Error(405, "GET only");
  if (has_body) return Error(400, "a GET has no body");
  const std::string path(target.substr(0, target.find('?')));
  auto it = handlers_.find(path);
  if (it == handlers_.end()) return Error(404, absl::StrCat("no ", path, " here"));
  return it->second();
}

bool HttpServer::Write(Connection& c) {
  while (c.out_written < c.out.size()) {
    const ssize_t n =
        ::send(c.fd, c.out.data() + c.out_written, c.out.size() - c.out_written, MSG_NOSIGNAL);
    if (n <= 0) return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR);
    c.out_written += static_cast<size_t>(n);
    c.last_progress = Clock::now();
  }
  c.out.clear();
  c.out_written = 0;
  return true;
}

}  // namespace warren::metrics
