#include "tests/metrics/http_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"

namespace warren::testing {

absl::StatusOr<HttpConnection> HttpConnection::Open(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::InternalError(std::strerror(errno));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    const std::string why = std::strerror(errno);
    ::close(fd);
    return absl::UnavailableError(absl::StrCat("connect to port ", port, ": ", why));
  }
  return HttpConnection(fd);
}

HttpConnection::HttpConnection(HttpConnection&& other) noexcept
    : fd_(other.fd_), buffer_(std::move(other.buffer_)) {
  other.fd_ = -1;
}

HttpConnection::~HttpConnection() {
  if (fd_ >= 0) ::close(fd_);
}

absl::Status HttpConnection::Send(const std::string& bytes) {
  size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return absl::UnavailableError(absl::StrCat("send: ", std::strerror(errno)));
    sent += static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

void HttpConnection::FinishSending() { ::shutdown(fd_, SHUT_WR); }

bool HttpConnection::Fill(absl::Time deadline) {
  const absl::Duration left = deadline - absl::Now();
  if (left <= absl::ZeroDuration()) return false;
  pollfd p{fd_, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(absl::ToInt64Milliseconds(left)) + 1) <= 0) return false;
  char buf[65536];
  const ssize_t n = ::read(fd_, buf, sizeof(buf));
  if (n <= 0) return false;
  buffer_.append(buf, static_cast<size_t>(n));
  return true;
}

absl::StatusOr<HttpReply> HttpConnection::Read(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  size_t end;
  while ((end = buffer_.find("\r\n\r\n")) == std::string::npos) {
    if (!Fill(deadline)) return absl::UnavailableError("no reply head: " + buffer_);
  }
  HttpReply reply;
  reply.head = buffer_.substr(0, end);
  std::vector<std::string> lines = absl::StrSplit(reply.head, "\r\n");
  std::vector<std::string> status_line = absl::StrSplit(lines[0], absl::MaxSplits(' ', 2));
  if (status_line.size() < 2 || !absl::SimpleAtoi(status_line[1], &reply.status)) {
    return absl::DataLossError("bad status line: " + lines[0]);
  }
  size_t length = 0;
  bool has_length = false;
  for (size_t i = 1; i < lines.size(); ++i) {
    std::vector<std::string> kv = absl::StrSplit(lines[i], absl::MaxSplits(':', 1));
    if (kv.size() == 2 && absl::AsciiStrToLower(kv[0]) == "content-length") {
      has_length = absl::SimpleAtoi(absl::StripAsciiWhitespace(kv[1]), &length);
    }
  }
  if (!has_length) return absl::DataLossError("no Content-Length: " + reply.head);
  while (buffer_.size() < end + 4 + length) {
    if (!Fill(deadline)) return absl::UnavailableError("reply body cut short");
  }
  reply.body = buffer_.substr(end + 4, length);
  buffer_.erase(0, end + 4 + length);
  return reply;
}

bool HttpConnection::ClosedByServer(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    pollfd p{fd_, POLLIN, 0};
    const int left = static_cast<int>(absl::ToInt64Milliseconds(deadline - absl::Now())) + 1;
    if (::poll(&p, 1, left) <= 0) return false;
    char buf[4096];
    const ssize_t n = ::read(fd_, buf, sizeof(buf));
    if (n == 0) return true;
    if (n < 0) return errno == ECONNRESET;
  }
  return false;
}

absl::StatusOr<HttpReply> HttpGet(int port, const std::string& path) {
  auto c = HttpConnection::Open(port);
  if (!c.ok()) return c.status();
  if (auto s = c->Send(
          absl::StrCat("GET ", path, " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"));
      !s.ok()) {
    return s;
  }
  return c->Read();
}

}  // namespace warren::testing
