// warren-flink-jobmanager: a Flink JobManager's high availability on a Warren quorum (see
// README.md). Run several; one leads and completes checkpoints, the others stand by.
//   warren-flink-jobmanager --endpoints=H:P,... --name=jm-1 --address=127.0.0.1:8081
// Exit status: 0 the job's checkpoints are complete, 1 failed (the session ended, ...), 2 bad
// usage.
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <iostream>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_split.h"
#include "common/dashed_flags.h"
#include "common/signals.h"
#include "examples/flink-ha/job_manager.h"
#include "metastore/client/endpoints_flag.h"
#include "metastore/client/metastore_client.h"

ABSL_FLAG(std::string, cluster_id, "default", "the Flink cluster id");
ABSL_FLAG(std::string, job, "job-1", "the job whose checkpoints it keeps");
ABSL_FLAG(std::string, name, "", "this JobManager's name");
ABSL_FLAG(std::string, address, "127.0.0.1:8081", "the address it publishes as leader");
ABSL_FLAG(int64_t, checkpoints, 100, "the job is complete after this many checkpoints");
ABSL_FLAG(int64_t, interval_ms, 100, "time to take a checkpoint");
ABSL_FLAG(int64_t, session_timeout_ms, 6000, "the session timeout");

namespace warren::flink {
namespace {

int Usage(const std::string& why) {
  std::cerr << "warren-flink-jobmanager: " << why << "\n";
  return 2;
}

int Main(int argc, char** argv) {
  BlockTerminationSignals();
  absl::SetProgramUsageMessage("warren-flink-jobmanager --endpoints=H:P,... --name=NAME");
  DashedFlags flags(argc, argv);
  std::vector<char*> positional = absl::ParseCommandLine(flags.argc(), flags.argv());
  if (positional.size() != 1) return Usage("takes no arguments, only flags");
  auto endpoints = metastore::EndpointsFromFlag();
  if (!endpoints.ok()) return Usage(std::string(endpoints.status().message()));
  const std::string name = absl::GetFlag(FLAGS_name);
  if (name.empty()) return Usage("--name is required");
  const std::string cluster = absl::GetFlag(FLAGS_cluster_id);
  const std::string job = absl::GetFlag(FLAGS_job);
  for (const std::string& part : {cluster, job}) {
    if (part.empty() || part.find('/') != std::string::npos || part == "." || part == "..") {
      return Usage("--cluster-id and --job must be single path segments");
    }
  }
  if (absl::GetFlag(FLAGS_checkpoints) < 1 || absl::GetFlag(FLAGS_interval_ms) < 0) {
    return Usage("--checkpoints must be at least 1 and --interval-ms not negative");
  }
  auto tls = metastore::TlsFromFlags();
  if (!tls.ok()) return Usage(std::string(tls.status().message()));
  metastore::ClientOptions options;
  options.endpoints = *endpoints;
  options.tls = *tls;
  auto client = metastore::MetastoreClient::Connect(options);
  if (!client.ok()) return Usage(std::string(client.status().message()));
  if (auto s = (*client)->StartSession(absl::Milliseconds(absl::GetFlag(FLAGS_session_timeout_ms)));
      !s.ok()) {
    std::cerr << s.message() << "\n";
    return 1;
  }
  absl::Status result;
  {
    JobManager jm(**client, cluster, job, name, absl::GetFlag(FLAGS_address));
    std::atomic<bool> stop{false};
    std::atomic<bool> finished{false};
    std::thread runner([&] {
      result = jm.Run(stop, absl::GetFlag(FLAGS_checkpoints),
                      absl::Milliseconds(absl::GetFlag(FLAGS_interval_ms)));
      finished = true;
      kill(getpid(), SIGTERM);  // wake the main thread
    });
    WaitForTerminationSignal();
    stop = true;
    runner.join();
    if (finished && result.ok()) std::cout << name << ": the job's checkpoints are complete\n";
  }
  if (!result.ok()) {
    std::cerr << name << ": " << result.message() << "\n";
    return 1;
  }
  return (*client)->CloseSession().ok() ? 0 : 1;
}

}  // namespace
}  // namespace warren::flink

int main(int argc, char** argv) { return warren::flink::Main(argc, argv); }
