// The client's destructor ends the calls still in flight: every `done` has run, with an error
// saying the outcome, before it returns. Servers here are stand-ins on loopback that never
// answer, so every call is still retrying or waiting on the wire when the client goes.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "metastore/client/metastore_client.h"
#include "metastore/errors.h"
#include "tests/integration/loopback_socket.h"

namespace warren::metastore {
namespace {

using warren::testing::SilentListener;

// A loopback port nobody listens on: connections are refused, so calls sit in backoff.
std::string RefusingEndpoint() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), len);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);  // bound, never listened on, now free: nothing answers there
  return absl::StrCat("127.0.0.1:", ntohs(addr.sin_port));
}

struct Outcomes {
  std::atomic<int> done{0};
  std::atomic<int> ok{0};
  std::atomic<int> unexpected{0};  // an error other than Unavailable / ConnectionLoss
  void Record(const absl::Status& s) {
    if (s.ok()) {
      ++ok;
    } else if (ErrorOf(s) != metastorepb::UNAVAILABLE &&
               ErrorOf(s) != metastorepb::CONNECTION_LOSS) {
      ++unexpected;
    }
    ++done;
  }
};

void DestroyWithCallsInFlight(const std::string& endpoint) {
  constexpr int kEach = 40;
  Outcomes out;
  {
    ClientOptions options;
    options.endpoints = {endpoint};
    options.request_timeout = absl::Minutes(5);  // far past the test: only closing ends them
    auto client = MetastoreClient::Connect(options);
    ASSERT_TRUE(client.ok()) << client.status();
    for (int i = 0; i < kEach; ++i) {
      (*client)->CreateAsync(absl::StrCat("/n", i), "v", {},
                             [&](absl::StatusOr<std::string> r) { out.Record(r.status()); });
      (*client)->GetDataAsync("/n", [&](absl::StatusOr<NodeData> r) { out.Record(r.status()); });
      (*client)->MultiAsync({}, [&](absl::Status s) { out.Record(s); });
    }
    // Let the first attempts fail or reach the wire.
    absl::SleepFor(absl::Milliseconds(200));
    EXPECT_EQ(out.done.load(), 0) << "nothing answers, yet a call ended";
  }
  EXPECT_EQ(out.done.load(), 3 * kEach);
  EXPECT_EQ(out.ok.load(), 0);
  EXPECT_EQ(out.unexpected.load(), 0);
}

TEST(ClientLifetime, DestroyingTheClientEndsCallsWaitingOnTheWire) {
  SilentListener server;
  DestroyWithCallsInFlight(server.endpoint());
}

TEST(ClientLifetime, DestroyingTheClientEndsCallsWaitingToRetry) {
  DestroyWithCallsInFlight(RefusingEndpoint());
}

TEST(ClientLifetime, ClientsComeAndGoWhileOthersAreBusy) {
  // Each client here is the only gRPC channel in the process, and goes right after a call
  // returns, while gRPC's callback thread may still hold that call: the pattern that freed
  // gRPC's callback queue twice when the thread released the channel last.
  SilentListener server;
  for (int round = 0; round < 20; ++round) {
    Outcomes out;
    {
      ClientOptions options;
      options.endpoints = {server.endpoint()};
      options.request_timeout = absl::Milliseconds(50);
      auto client = MetastoreClient::Connect(options);
      ASSERT_TRUE(client.ok());
      (*client)->CreateAsync("/y", "", {},
                             [&](absl::StatusOr<std::string> r) { out.Record(r.status()); });
      EXPECT_FALSE((*client)->Exists("/x").ok());
    }
    EXPECT_EQ(out.done.load(), 1);
    EXPECT_EQ(out.unexpected.load(), 0);
  }
}

}  // namespace
}  // namespace warren::metastore
