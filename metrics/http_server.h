#pragma once

// A small HTTP/1.1 server for what a member shows its operators: /metrics, /healthz, /readyz.
//
// Why not prometheus-cpp's pull Exposer (civetweb): it serves collectables only, always with
// 200, so health checks that must answer 503 would need a second server on a second port, and
// it starts civetweb's pool of worker threads and links civetweb and zlib into every member.
// What a member needs is a handful of GETs a minute from Prometheus and the probes: one
// thread with poll(), GET only (405 otherwise), a request head of at most
// `max_request_bytes` and no body (431, 400), 404 for other paths, persistent connections as
// Prometheus keeps them, each closed after `idle_timeout` without progress, and at most
// `max_connections` at once. It is tested on loopback (tests/metrics/http_server_test.cc).

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace warren::metrics {

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

struct HttpServerOptions {
  // The request line and headers together; a request has no body.
  size_t max_request_bytes = 8192;
  // A connection that neither sends nor takes a byte for this long is closed.
  absl::Duration idle_timeout = absl::Seconds(30);
  // Connections beyond it are closed as they are accepted.
  size_t max_connections = 64;
};

class HttpServer {
 public:
  // Handlers run on the server's one thread, one at a time: a slow one delays every other
  // request.
  using Handler = std::function<HttpResponse()>;

  // Listens on HOST:PORT (an IPv6 host in brackets; port 0: any free one); serves once
  // started. InvalidArgument for an address that is not one, Unavailable if it cannot be
  // bound (in use, not this machine's).
  static absl::StatusOr<std::unique_ptr<HttpServer>> Listen(const std::string& address,
                                                            HttpServerOptions options = {});
  ~HttpServer();

  // Answers GET `path` (the query string aside) with `handler`. Before Start only.
  void Handle(const std::string& path, Handler handler);
  void Start();
  // Stops serving and closes every connection. Idempotent.
  void Shutdown();
  int port() const { return port_; }

 private:
  struct Connection;

  HttpServer(int listen_fd, int wake_fd, int port, HttpServerOptions options);
  void Loop();
  void Accept();
  // Reads what is there; false once the connection is to be dropped.
  bool Read(Connection& c);
  // Answers the first complete request read (or an oversized one), if there is one.
  void Answer(Connection& c);
  // Writes what is pending; false once the connection is to be dropped.
  bool Write(Connection& c);
  HttpResponse Respond(const std::string& head, bool* close);

  const HttpServerOptions options_;
  const int listen_fd_;
  const int wake_fd_;  // an eventfd: Shutdown wakes the loop
  const int port_;
  std::map<std::string, Handler> handlers_;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  bool shut_down_ = false;
};

}  // namespace warren::metrics
