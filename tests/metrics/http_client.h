#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace warren::testing {

struct HttpReply {
  int status = 0;
  std::string head;  // status line and headers
  std::string body;
};

// One TCP connection to a port on 127.0.0.1, for speaking HTTP by hand: requests are sent as
// given, replies read one at a time (by their Content-Length).
class HttpConnection {
 public:
  static absl::StatusOr<HttpConnection> Open(int port);
  HttpConnection(HttpConnection&& other) noexcept;
  ~HttpConnection();

  absl::Status Send(const std::string& bytes);
  // Tells the server nothing more will be sent (a half close).
  void FinishSending();
  absl::StatusOr<HttpReply> Read(absl::Duration timeout = absl::Seconds(10));
  // Whether the server closes the connection within `timeout` (what it sends first is
  // dropped).
  bool ClosedByServer(absl::Duration timeout);

 private:
  explicit HttpConnection(int fd) : fd_(fd) {}
  // Reads more into buffer_; false at end of stream or after `deadline`.
  bool Fill(absl::Time deadline);

  int fd_;
  std::string buffer_;
};

// GET `path` from 127.0.0.1:`port` on a connection of its own.
absl::StatusOr<HttpReply> HttpGet(int port, const std::string& path);

}  // namespace warren::testing
