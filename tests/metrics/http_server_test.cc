#include "metrics/http_server.h"

#include <atomic>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/metrics/http_client.h"

namespace warren::metrics {
namespace {

using testing::HttpConnection;
using testing::HttpGet;

constexpr char kGet[] = "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n";

class HttpServerTest : public ::testing::Test {
 protected:
  void Serve(HttpServerOptions options = {}) {
    auto server = HttpServer::Listen("127.0.0.1:0", options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    server_->Handle("/hello", [this] {
      ++calls_;
      return HttpResponse{200, "text/plain", "hello\n"};
    });
    server_->Handle("/big", [] {
      return HttpResponse{200, "text/plain", std::string(8 << 20, 'b')};
    });
    server_->Start();
  }
  HttpConnection Connect() {
    auto c = HttpConnection::Open(server_->port());
    EXPECT_TRUE(c.ok()) << c.status();
    return std::move(*c);
  }
  // Sends `request` on `c`; the answer's status, or 0 if none came.
  static int StatusOf(HttpConnection& c, const std::string& request) {
    if (!c.Send(request).ok()) return 0;
    auto r = c.Read();
    return r.ok() ? r->status : 0;
  }
  // The same on a connection of its own, and whether the server then closed it.
  int StatusAndClose(const std::string& request, bool* closed) {
    HttpConnection c = Connect();
    const int status = StatusOf(c, request);
    *closed = c.ClosedByServer(absl::Seconds(5));
    return status;
  }

  std::unique_ptr<HttpServer> server_;
  std::atomic<int> calls_{0};
};

TEST_F(HttpServerTest, ServesItsPathsAnd404sTheRest) {
  Serve();
  auto r = HttpGet(server_->port(), "/hello");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "hello\n");
  EXPECT_TRUE(absl::StrContains(r->head, "Content-Type: text/plain"));
  r = HttpGet(server_->port(), "/hello?verbose=1");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 200);
  for (const char* path : {"/", "/hello/", "/hellox", "/nope"}) {
    r = HttpGet(server_->port(), path);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->status, 404) << path;
  }
}

TEST_F(HttpServerTest, OnlyGetIsServedAndABodyEndsTheConnection) {
  Serve();
  HttpConnection c = Connect();
  for (const char* method : {"POST", "HEAD", "PUT", "DELETE"}) {
    ASSERT_TRUE(c.Send(absl::StrCat(method, " /hello HTTP/1.1\r\nHost: x\r\n\r\n")).ok());
    auto r = c.Read();
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->status, 405) << method;
    EXPECT_TRUE(absl::StrContains(r->head, "Allow: GET")) << r->head;
  }
  // Without a body the connection goes on.
  EXPECT_EQ(StatusOf(c, kGet), 200);

  // A body is never read, so the connection ends after the answer.
  bool closed = false;
  EXPECT_EQ(
      StatusAndClose("POST /hello HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nGET /", &closed),
      405);
  EXPECT_TRUE(closed);
  EXPECT_EQ(StatusAndClose("GET /hello HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", &closed),
            400);
  EXPECT_TRUE(closed);
  EXPECT_EQ(calls_, 1);
}

TEST_F(HttpServerTest, MalformedRequestsAre400AndEndTheConnection) {
  Serve();
  for (const char* bad :
       {"garbage\r\n\r\n", "GET\r\n\r\n", "GET /hello\r\n\r\n", "GET /hello HTTP/1.1 extra\r\n\r\n",
        "GET  HTTP/1.1\r\n\r\n", "GET /hello HTTP/1.1\r\nno colon here\r\n\r\n",
        "GET /hello FTP/1.1\r\n\r\n"}) {
    bool closed = false;
    EXPECT_EQ(StatusAndClose(bad, &closed), 400) << bad;
    EXPECT_TRUE(closed) << bad;
  }
  bool closed = false;
  EXPECT_EQ(StatusAndClose("GET /hello HTTP/2.0\r\n\r\n", &closed), 505);
  EXPECT_TRUE(closed);
  EXPECT_EQ(calls_, 0);
}

TEST_F(HttpServerTest, AHeadOverTheLimitIs431AndEndsTheConnection) {
  Serve(HttpServerOptions{.max_request_bytes = 1024});
  bool closed = false;
  EXPECT_EQ(StatusAndClose(
                absl::StrCat("GET /hello HTTP/1.1\r\nX-Big: ", std::string(2000, 'x'), "\r\n\r\n"),
                &closed),
            431);
  EXPECT_TRUE(closed);

  // A head that never ends is cut off at the limit, not buffered without end.
  HttpConnection endless = Connect();
  ASSERT_TRUE(endless.Send(absl::StrCat("GET /hello HTTP/1.1\r\n")).ok());
  for (int i = 0; i < 100; ++i) {
    if (!endless.Send(absl::StrCat("X-", i, ": ", std::string(100, 'y'), "\r\n")).ok()) break;
  }
  auto r = endless.Read();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 431);
  EXPECT_EQ(calls_, 0);

  // Just under the limit is served.
  HttpConnection fits = Connect();
  EXPECT_EQ(StatusOf(fits, absl::StrCat("GET /hello HTTP/1.1\r\nX-Pad: ", std::string(900, 'z'),
                                        "\r\n\r\n")),
            200);
}

TEST_F(HttpServerTest, ConnectionsPersistAndPipelinedRequestsAreAnsweredInOrder) {
  Serve();
  HttpConnection c = Connect();
  ASSERT_TRUE(c.Send(absl::StrCat(kGet, "GET /nope HTTP/1.1\r\n\r\n", kGet)).ok());
  for (int want : {200, 404, 200}) {
    auto r = c.Read();
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->status, want);
  }
  EXPECT_EQ(StatusOf(c, kGet), 200);
  EXPECT_FALSE(c.ClosedByServer(absl::Milliseconds(200)));

  bool closed = false;
  EXPECT_EQ(StatusAndClose("GET /hello HTTP/1.0\r\n\r\n", &closed), 200);
  EXPECT_TRUE(closed);

  HttpConnection closing = Connect();
  ASSERT_TRUE(closing.Send("GET /hello HTTP/1.1\r\nConnection: Close\r\n\r\n").ok());
  auto r = closing.Read();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(absl::StrContains(r->head, "Connection: close"));
  EXPECT_TRUE(closing.ClosedByServer(absl::Seconds(5)));
}

TEST_F(HttpServerTest, AClientThatStopsSendingStillGetsItsAnswers) {
  Serve();
  HttpConnection c = Connect();
  ASSERT_TRUE(c.Send(absl::StrCat(kGet, kGet)).ok());
  c.FinishSending();
  for (int i = 0; i < 2; ++i) {
    auto r = c.Read();
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->status, 200);
  }
  EXPECT_TRUE(c.ClosedByServer(absl::Seconds(5)));
}

TEST_F(HttpServerTest, IdleConnectionsAreClosed) {
  Serve(HttpServerOptions{.idle_timeout = absl::Milliseconds(200)});
  HttpConnection silent = Connect();
  HttpConnection partial = Connect();
  ASSERT_TRUE(partial.Send("GET /hel").ok());
  EXPECT_TRUE(silent.ClosedByServer(absl::Seconds(5)));
  EXPECT_TRUE(partial.ClosedByServer(absl::Seconds(5)));
  // A connection in use is not idle.
  HttpConnection busy = Connect();
  for (int i = 0; i < 5; ++i) {
    ASSERT_EQ(StatusOf(busy, kGet), 200);
    absl::SleepFor(absl::Milliseconds(100));
  }
}

TEST_F(HttpServerTest, ConnectionsBeyondTheLimitAreClosedAndTheOthersServed) {
  Serve(HttpServerOptions{.max_connections = 2});
  HttpConnection first = Connect();
  HttpConnection second = Connect();
  ASSERT_EQ(StatusOf(first, kGet), 200);  // both are accepted by now
  ASSERT_EQ(StatusOf(second, kGet), 200);
  HttpConnection third = Connect();
  EXPECT_TRUE(third.ClosedByServer(absl::Seconds(5)));
  { HttpConnection gone = std::move(first); }
  // Once one of the two is gone, a new one gets in.
  bool served = false;
  for (int i = 0; i < 50 && !served; ++i) {
    auto r = HttpGet(server_->port(), "/hello");
    served = r.ok() && r->status == 200;
    if (!served) absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_TRUE(served);
}

TEST_F(HttpServerTest, ManyClientsAtOnceAreAllAnswered) {
  Serve();
  constexpr int kClients = 8;
  constexpr int kRequests = 50;
  std::atomic<int> ok{0};
  std::vector<std::thread> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.emplace_back([&, i] {
      auto c = HttpConnection::Open(server_->port());
      if (!c.ok()) return;
      for (int j = 0; j < kRequests; ++j) {
        // Half the clients keep their connection, half open one per request.
        if (i % 2 == 0) {
          auto r = HttpGet(server_->port(), "/hello");
          if (r.ok() && r->status == 200 && r->body == "hello\n") ++ok;
          continue;
        }
        if (!c->Send(kGet).ok()) return;
        auto r = c->Read();
        if (r.ok() && r->status == 200 && r->body == "hello\n") ++ok;
      }
    });
  }
  for (auto& t : clients) t.join();
  EXPECT_EQ(ok, kClients * kRequests);
  EXPECT_EQ(calls_, kClients * kRequests);
}

TEST_F(HttpServerTest, AClientThatDoesNotReadHoldsNoOneElseUp) {
  Serve();
  HttpConnection stuck = Connect();
  ASSERT_TRUE(stuck.Send("GET /big HTTP/1.1\r\n\r\n").ok());  // 8 MiB it never reads
  absl::SleepFor(absl::Milliseconds(100));
  const absl::Time start = absl::Now();
  auto r = HttpGet(server_->port(), "/hello");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 200);
  EXPECT_LT(absl::Now() - start, absl::Seconds(2));
  auto big = stuck.Read(absl::Seconds(30));
  ASSERT_TRUE(big.ok()) << big.status();
  EXPECT_EQ(big->body.size(), size_t{8} << 20);
}

TEST_F(HttpServerTest, ShutdownEndsEveryConnection) {
  Serve();
  HttpConnection c = Connect();
  ASSERT_TRUE(c.Send(kGet).ok());
  ASSERT_TRUE(c.Read().ok());
  server_->Shutdown();
  EXPECT_TRUE(c.ClosedByServer(absl::Seconds(5)));
  server_->Shutdown();  // idempotent
}

TEST(HttpServerListen, AddressesThatCannotBeServedAreRefused) {
  auto taken = HttpServer::Listen("127.0.0.1:0");
  ASSERT_TRUE(taken.ok()) << taken.status();
  auto again = HttpServer::Listen(absl::StrCat("127.0.0.1:", (*taken)->port()));
  EXPECT_EQ(again.status().code(), absl::StatusCode::kUnavailable) << again.status();
  EXPECT_TRUE(absl::StrContains(again.status().message(), "in use")) << again.status();
  for (const char* bad : {"nonsense", "127.0.0.1:", "127.0.0.1:99999", "127.0.0.1:http"}) {
    EXPECT_EQ(HttpServer::Listen(bad).status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_FALSE(HttpServer::Listen("192.0.2.1:0").ok());  // not this machine's (TEST-NET-1)
  auto any = HttpServer::Listen(":0");
  ASSERT_TRUE(any.ok()) << any.status();
  EXPECT_GT((*any)->port(), 0);
}

}  // namespace
}  // namespace warren::metrics
