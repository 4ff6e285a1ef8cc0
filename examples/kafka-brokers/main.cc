// warren-kafka-broker: Kafka's broker registry and controller election on a Warren quorum
// (see README.md).
//   warren-kafka-broker --endpoints=H:P,... serve --id=1 --port=9092
//   warren-kafka-broker --endpoints=H:P,... create-topic NAME --partitions=6 --replication-factor=3
// Exit status: 0 done, 1 the operation failed or the session ended, 2 bad usage.
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <iostream>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/dashed_flags.h"
#include "common/signals.h"
#include "examples/kafka-brokers/broker.h"
#include "metastore/client/endpoints_flag.h"
#include "metastore/client/metastore_client.h"

ABSL_FLAG(int32_t, id, 0, "serve: the broker id (> 0)");
ABSL_FLAG(std::string, host, "127.0.0.1", "serve: the host it advertises");
ABSL_FLAG(int32_t, port, 9092, "serve: the port it advertises");
ABSL_FLAG(int64_t, session_timeout_ms, 6000, "serve: the session timeout");
ABSL_FLAG(int32_t, partitions, 1, "create-topic: partitions");
ABSL_FLAG(int32_t, replication_factor, 1, "create-topic: replicas per partition");

namespace warren::kafka {
namespace {

using metastore::MetastoreClient;

constexpr char kUsage[] = R"(usage: warren-kafka-broker [--endpoints=H:P,...] COMMAND
  serve --id=N [--host=H --port=P --session-timeout-ms=MS]
        registers /brokers/ids/N, contends for /controller and, as controller, keeps every
        partition led by a live replica; until SIGTERM or the session's end
  create-topic NAME [--partitions=P --replication-factor=R])";

int Usage(const std::string& why) {
  std::cerr << "warren-kafka-broker: " << why << "\n" << kUsage << "\n";
  return 2;
}

int Fail(const absl::Status& s) {
  std::cerr << s.message() << "\n";
  return 1;
}

int Serve(MetastoreClient& client) {
  const int32_t id = absl::GetFlag(FLAGS_id);
  if (id <= 0) return Usage("serve needs --id > 0");
  if (auto s = client.StartSession(absl::Milliseconds(absl::GetFlag(FLAGS_session_timeout_ms)));
      !s.ok()) {
    return Fail(s);
  }
  Broker broker(client, id, absl::GetFlag(FLAGS_host), absl::GetFlag(FLAGS_port));
  if (auto s = broker.Register(); !s.ok()) return Fail(s);
  std::cout << "broker " << id << " registered" << std::endl;
  std::atomic<bool> stop{false};
  absl::Status result;
  std::thread runner([&] {
    result = broker.Run(stop);
    // The session ended (or the quorum failed us): wake the main thread to exit.
    if (!stop) kill(getpid(), SIGTERM);
  });
  WaitForTerminationSignal();
  stop = true;
  runner.join();
  if (!result.ok()) return Fail(result);
  return client.CloseSession().ok() ? 0 : 1;
}

int Main(int argc, char** argv) {
  BlockTerminationSignals();
  absl::SetProgramUsageMessage(kUsage);
  DashedFlags flags(argc, argv);
  std::vector<char*> positional = absl::ParseCommandLine(flags.argc(), flags.argv());
  if (positional.size() < 2) return Usage("no command given");
  auto endpoints = metastore::EndpointsFromFlag();
  if (!endpoints.ok()) return Usage(std::string(endpoints.status().message()));
  const std::string command = positional[1];
  if (command != "serve" && command != "create-topic") {
    return Usage(absl::StrCat("unknown command '", command, "'"));
  }
  if (command == "create-topic" && positional.size() != 3) {
    return Usage("create-topic needs a topic name");
  }
  auto tls = metastore::TlsFromFlags();
  if (!tls.ok()) return Usage(std::string(tls.status().message()));
  metastore::ClientOptions options;
  options.endpoints = *endpoints;
  options.tls = *tls;
  auto client = MetastoreClient::Connect(options);
  if (!client.ok()) return Usage(std::string(client.status().message()));
  if (command == "serve") return Serve(**client);
  auto s = Broker::CreateTopic(**client, positional[2], absl::GetFlag(FLAGS_partitions),
                               absl::GetFlag(FLAGS_replication_factor));
  if (!s.ok()) return Fail(s);
  std::cout << "created " << positional[2] << "\n";
  return 0;
}

}  // namespace
}  // namespace warren::kafka

int main(int argc, char** argv) { return warren::kafka::Main(argc, argv); }
