// warren-jepsen: runs a workload against a cluster of real warrend processes while a nemesis
// injects faults, then checks what the clients saw. See docs/fault-testing.md.
//   warren-jepsen --workload=register --nemesis=kill,pause,partition,membership --nodes=3
//                 --time=30 --seed=1 [--client=zookeeper]
// Prints the run directory, then the verdict: "valid" (exit 0), "invalid: REASON" (exit 1)
// or "unknown: REASON" (exit 2). Bad flags exit 3.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/random/random.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/dashed_flags.h"
#include "common/signals.h"
#include "glog/logging.h"
#include "jepsen/harness/cluster.h"
#include "jepsen/harness/nemesis.h"
#include "jepsen/harness/recorder.h"
#include "jepsen/harness/workload.h"
#include "jepsen/harness/zookeeper_client.h"

ABSL_FLAG(std::string, workload, "register",
          "register, sequential, session, counter, watch or append");
ABSL_FLAG(std::string, nemesis, "all",
          "faults, comma-separated: kill, pause, partition, membership, lose-unsynced, corrupt, "
          "clock, drift; or all (all but lose-unsynced, corrupt, clock and drift), or none");
ABSL_FLAG(int, nodes, 3, "members of the cluster (3 or 5)");
ABSL_FLAG(int, time, 30, "seconds of load under faults");
ABSL_FLAG(int, overlap, 2,
          "faults that may be in force at once, on independent schedules from the seed (1: one "
          "after another)");
ABSL_FLAG(int, recovery, 5, "seconds of load after the faults are healed");
ABSL_FLAG(uint64_t, seed, 0, "random seed for the nemesis and the clients (0: pick one)");
ABSL_FLAG(int, processes, 5, "concurrent client processes");
ABSL_FLAG(bool, leader_only, false,
          "clients send everything to the leader, instead of each to its own member (gRPC)");
ABSL_FLAG(std::string, client, "grpc",
          "grpc: the clients use warrend's gRPC API; zookeeper: its ZooKeeper port, through "
          "ZooKeeper's own C client");
ABSL_FLAG(bool, zookeeper_client_debug, false,
          "with --client=zookeeper: the C client logs every request, reply and event to "
          "zookeeper-client.log in the run directory (large), not only its errors");
ABSL_FLAG(std::string, net, "netns",
          "netns: members in network namespaces of their own (needs root); loopback: 127.0.0.1");
ABSL_FLAG(std::string, warrend, "", "the warrend binary (default: next to this one)");
ABSL_FLAG(std::string, dir, "/tmp/warren-jepsen", "runs go in directories under this one");
ABSL_FLAG(std::string, warrend_flags, "",
          "extra flags for every member, comma-separated (e.g. --unsafe-stale-reads)");

namespace {

namespace fs = std::filesystem;
using namespace warren::jepsen;

constexpr int kBadFlags = 3;

// Set by Ctrl-C or SIGTERM: the run stops early and still heals and tears everything down.
std::atomic<bool> interrupted{false};

// Sleeps `d`, or less if interrupted.
void Wait(absl::Duration d) {
  for (const absl::Time until = absl::Now() + d; !interrupted && absl::Now() < until;) {
    absl::SleepFor(absl::Milliseconds(100));
  }
}

int Usage(const std::string& why) {
  std::cerr << "warren-jepsen: " << why << "\n";
  return kBadFlags;
}

std::string DefaultWarrend() {
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  return (self.parent_path() / "warrend").string();
}

int Verdict(const std::string& dir, const std::string& why, std::ostream& summary) {
  const std::string line = why.empty()                        ? "valid"
                           : absl::StartsWith(why, "unknown") ? why
                                                              : "invalid: " + why;
  summary << "verdict: " << line << "\n";
  std::cout << line << std::endl;
  if (why.empty()) return 0;
  return absl::StartsWith(why, "unknown") ? 2 : 1;
}

int Main() {
  const int nodes = absl::GetFlag(FLAGS_nodes);
  const int seconds = absl::GetFlag(FLAGS_time);
  const int processes = absl::GetFlag(FLAGS_processes);
  const std::string net = absl::GetFlag(FLAGS_net);
  if (nodes != 3 && nodes != 5) return Usage("--nodes must be 3 or 5");
  if (seconds < 1 || seconds > 24 * 3600) return Usage("--time must be 1 s to a day");
  if (processes < 1 || processes > 200) return Usage("--processes must be 1 to 200");
  if (absl::GetFlag(FLAGS_recovery) < 0) return Usage("--recovery must be >= 0");
  const int overlap = absl::GetFlag(FLAGS_overlap);
  if (overlap < 1 || overlap > 4) return Usage("--overlap must be 1 to 4");
  if (net != "netns" && net != "loopback") return Usage("--net must be netns or loopback");
  const std::string client = absl::GetFlag(FLAGS_client);
  if (client != "grpc" && client != "zookeeper") return Usage("--client must be grpc or zookeeper");
  const ClientApi api = client == "zookeeper" ? ClientApi::kZooKeeper : ClientApi::kGrpc;
  if (api == ClientApi::kZooKeeper && absl::GetFlag(FLAGS_leader_only)) {
    return Usage("--leader-only is for the gRPC client (ZooKeeper's finds no leader)");
  }
  auto kinds = Nemesis::ParseKinds(absl::GetFlag(FLAGS_nemesis), net == "netns");
  if (!kinds.ok()) return Usage(std::string(kinds.status().message()));
  auto member_flags = Nemesis::MemberFlags(*kinds, ClusterOptions().tick_ms);
  if (!member_flags.ok()) return Usage(std::string(member_flags.status().message()));
  uint64_t seed = absl::GetFlag(FLAGS_seed);
  if (seed == 0) seed = absl::Uniform<uint64_t>(absl::BitGen(), 1, 1u << 30);
  const std::string warrend =
      absl::GetFlag(FLAGS_warrend).empty() ? DefaultWarrend() : absl::GetFlag(FLAGS_warrend);
  if (access(warrend.c_str(), X_OK) != 0) return Usage("cannot run warrend at " + warrend);
  const std::string shim = kinds->count("lose-unsynced") ? LoseUnsyncedShim(warrend) : "";
  if (!shim.empty() && access(shim.c_str(), R_OK) != 0) {
    return Usage("the lose-unsynced nemesis needs " + shim);
  }

  const std::string workload_name = absl::GetFlag(FLAGS_workload);
  const std::string dir =
      absl::StrCat(absl::GetFlag(FLAGS_dir), "/", workload_name, "-",
                   absl::FormatTime("%Y%m%d-%H%M%S", absl::Now(), absl::LocalTimeZone()), "-seed",
                   seed, "-", getpid());
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Usage("cannot make " + dir + ": " + ec.message());
  std::cout << "run directory: " << dir << std::endl;
  std::ofstream summary(dir + "/summary.txt");
  summary << "workload: " << workload_name << "\nnemesis: " << absl::GetFlag(FLAGS_nemesis)
          << "\noverlap: " << overlap << "\nnodes: " << nodes << "\ntime: " << seconds
          << " s\nseed: " << seed << "\nnet: " << net << "\nclient: " << client << "\nclients: "
          << (absl::GetFlag(FLAGS_leader_only) ? "leader-only" : "spread over the members") << "\n";

  ClusterOptions co;
  co.nodes = nodes;
  co.warrend = warrend;
  co.dir = dir;
  co.netns = net == "netns";
  co.lose_unsynced_shim = shim;
  co.fake_clocks = kinds->count("clock") > 0;
  co.member_flags = *member_flags;
  for (absl::string_view f :
       absl::StrSplit(absl::GetFlag(FLAGS_warrend_flags), ',', absl::SkipEmpty())) {
    co.extra_flags.emplace_back(f);
  }
  auto cluster = Cluster::Start(co);
  if (!cluster.ok())
    return Verdict(dir, absl::StrCat("unknown: ", cluster.status().message()), summary);

  if (api == ClientApi::kZooKeeper) {
    SetUpZooKeeperClients(dir + "/zookeeper-client.log",
                          absl::GetFlag(FLAGS_zookeeper_client_debug));
  }
  Recorder history(dir + "/history.jsonl");
  WorkloadContext ctx;
  ctx.cluster = cluster->get();
  ctx.history = &history;
  ctx.dir = dir;
  ctx.processes = processes;
  ctx.seed = seed;
  ctx.leader_only = absl::GetFlag(FLAGS_leader_only);
  ctx.api = api;
  auto workload = MakeWorkload(workload_name, ctx);
  if (!workload.ok()) return Usage(std::string(workload.status().message()));
  if (auto s = (*workload)->Setup(); !s.ok()) {
    return Verdict(dir, absl::StrCat("unknown: setup: ", s.message()), summary);
  }

  std::atomic<bool> stop_clients{false}, stop_faults{false};
  std::vector<std::thread> clients;
  for (int i = 0; i < processes; ++i) {
    clients.emplace_back([&, i] { (*workload)->Process(i, stop_clients); });
  }
  Nemesis nemesis(cluster->get(), *kinds, overlap, seed, dir + "/nemesis.log");
  std::thread faults([&] { nemesis.Run(stop_faults); });
  Wait(absl::Seconds(seconds));
  stop_faults = true;
  faults.join();  // healed
  Wait(absl::Seconds(absl::GetFlag(FLAGS_recovery)));
  stop_clients = true;
  for (auto& t : clients) t.join();
  if (interrupted) return Verdict(dir, "unknown: interrupted", summary);
  summary << "faults: " << nemesis.faults() << "\noperations: " << history.Counts() << "\n";

  history.Flush();  // the checks read history.jsonl: all of it, not what the buffer let out
  // The final reads come from a client that has seen nothing, as Jepsen's do. The run's admin
  // may have seen state that the fault under test then lost: every member would refuse it as
  // MemberBehind, and the verdict would be "unknown" instead of naming the loss.
  if (auto s = (*cluster)->RenewAdmin(); !s.ok()) {
    return Verdict(dir, absl::StrCat("unknown: final reads' client: ", s.message()), summary);
  }
  std::string why = (*workload)->Check();
  if (!nemesis.violation().empty()) why = nemesis.violation() + (why.empty() ? "" : "; " + why);
  return Verdict(dir, why, summary);
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "warren-jepsen --workload=W --nemesis=kill,pause,partition,membership --nodes=N "
      "--time=S --seed=X");
  warren::BlockTerminationSignals();
  warren::DashedFlags flags(argc, argv);
  absl::ParseCommandLine(flags.argc(), flags.argv());
  std::thread([] {
    warren::WaitForTerminationSignal();
    interrupted = true;
  }).detach();
  google::InitGoogleLogging(argv[0]);
  FLAGS_logtostderr = false;
  return Main();
}
