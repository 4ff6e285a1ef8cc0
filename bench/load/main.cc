// warren-bench: one load generator for Warren, etcd and ZooKeeper, each driven through the
// client its users use (bench/load/*_driver.cc), so their figures can stand side by side.
//   warren-bench --target=etcd --endpoints=127.0.0.1:2379,... --workload=set --clients=16
// Workloads: create, set, get, mixed (90% get / 10% set), watch (one write seen by --clients
// watchers: delivery latency), probe (time until a write is acknowledged), failover (time from
// --kill_cmd to the next acknowledged write). Exit 0 if every request succeeded.
#include <cstdio>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_split.h"
#include "bench/load/workloads.h"
#include "common/dashed_flags.h"
#include "glog/logging.h"

ABSL_FLAG(std::string, target, "warren", "warren, etcd or zookeeper");
ABSL_FLAG(std::string, endpoints, "", "HOST:PORT,... of the target's members (client ports)");
ABSL_FLAG(std::string, workload, "set", "create, set, get, mixed, watch, probe or failover");
ABSL_FLAG(int, clients, 16, "connections (sessions); watch: watchers");
ABSL_FLAG(int, inflight, 1, "requests outstanding per client");
ABSL_FLAG(int, value_size, 256, "bytes per value");
ABSL_FLAG(int, keys, 1000, "set / get / mixed: distinct keys, created first if missing");
ABSL_FLAG(int, batch, 1, "create: keys per request (a multi / transaction)");
ABSL_FLAG(absl::Duration, duration, absl::Seconds(10), "how long to measure (after warm-up)");
ABSL_FLAG(int64_t, ops, 0, "> 0: measure this many requests instead of --duration");
ABSL_FLAG(absl::Duration, warmup, absl::Seconds(1), "load before measuring starts");
ABSL_FLAG(std::string, read, "linearizable",
          "linearizable, or serializable: the target's local read (etcd serializable, "
          "ZooKeeper without sync, Warren sequential)");
ABSL_FLAG(absl::Duration, timeout, absl::Seconds(10), "per request, with the client's retries");
ABSL_FLAG(std::string, prefix, "wb", "the parent of every key");
ABSL_FLAG(std::string, kill_cmd, "", "failover: shell command that kills the leader");
ABSL_FLAG(bool, json, false, "print the report as one JSON object");
ABSL_FLAG(bool, leader_only, false,
          "warren: every client talks to the leader, instead of each to a member picked at "
          "random");
ABSL_FLAG(std::string, tls_ca, "",
          "warren: TLS to the members, trusting this CA (PEM); empty: plaintext");
ABSL_FLAG(std::string, tls_cert, "", "warren, with --tls-ca: this client's certificate (PEM)");
ABSL_FLAG(std::string, tls_key, "", "warren, with --tls-ca: its key (PEM)");
ABSL_FLAG(bool, progress, true, "a progress line on stderr every second");

namespace {

int Usage(const std::string& why) {
  std::fprintf(stderr, "warren-bench: %s\n", why.c_str());
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  warren::DashedFlags flags(argc, argv);
  absl::SetProgramUsageMessage("load generator for Warren, etcd and ZooKeeper");
  absl::ParseCommandLine(flags.argc(), flags.argv());
  google::InitGoogleLogging(argv[0]);
  using namespace warren::bench;

  LoadOptions o;
  o.clients = absl::GetFlag(FLAGS_clients);
  o.inflight = absl::GetFlag(FLAGS_inflight);
  o.value_size = absl::GetFlag(FLAGS_value_size);
  o.keys = absl::GetFlag(FLAGS_keys);
  o.batch = absl::GetFlag(FLAGS_batch);
  o.ops = absl::GetFlag(FLAGS_ops);
  o.duration = absl::GetFlag(FLAGS_duration);
  o.warmup = absl::GetFlag(FLAGS_warmup);
  o.prefix = absl::GetFlag(FLAGS_prefix);
  o.kill_cmd = absl::GetFlag(FLAGS_kill_cmd);
  o.progress = absl::GetFlag(FLAGS_progress) && !absl::GetFlag(FLAGS_json);
  if (o.clients < 1 || o.inflight < 1 || o.keys < 1 || o.batch < 1 || o.ops < 0) {
    return Usage("--clients, --inflight, --keys and --batch must be >= 1, --ops >= 0");
  }
  if (o.value_size < 0 || o.value_size > (1 << 20)) {
    return Usage("--value_size must be within 0..1048576");
  }
  if (o.duration <= absl::ZeroDuration() || o.warmup < absl::ZeroDuration()) {
    return Usage("--duration must be > 0 and --warmup >= 0");
  }
  if (o.prefix.empty() || o.prefix.find('/') != std::string::npos) {
    return Usage("--prefix must be one non-empty name without '/'");
  }

  DriverOptions d;
  d.endpoints = absl::StrSplit(absl::GetFlag(FLAGS_endpoints), ',', absl::SkipEmpty());
  d.op_timeout = absl::GetFlag(FLAGS_timeout);
  const std::string read = absl::GetFlag(FLAGS_read);
  if (read != "linearizable" && read != "serializable") {
    return Usage("--read must be linearizable or serializable");
  }
  d.linearizable_reads = read == "linearizable";
  d.leader_only = absl::GetFlag(FLAGS_leader_only);
  const std::string target = absl::GetFlag(FLAGS_target);
  if (d.leader_only && target != "warren") return Usage("--leader-only is for --target=warren");
  d.tls.ca = absl::GetFlag(FLAGS_tls_ca);
  d.tls.cert = absl::GetFlag(FLAGS_tls_cert);
  d.tls.key = absl::GetFlag(FLAGS_tls_key);
  if (!d.tls.ca.empty() || !d.tls.cert.empty() || !d.tls.key.empty()) {
    if (target != "warren")
      return Usage("--tls-ca, --tls-cert and --tls-key are for --target=warren");
    if (absl::Status s = d.tls.CheckForClient(); !s.ok()) return Usage(std::string(s.message()));
  }
  const std::string workload = absl::GetFlag(FLAGS_workload);

  absl::StatusOr<Report> report;
  // Outlives the report's printing: whatever happens as its connections close, the figures
  // are out first.
  std::unique_ptr<Driver> driver;
  if (workload == "probe") {
    report = RunProbe(target, d, o);
  } else {
    auto made = MakeDriver(target, d);
    if (!made.ok()) return Usage(std::string(made.status().message()));
    driver = std::move(*made);
    // watch: one more connection, the writer's.
    absl::Status connected = driver->Connect(o.clients + (workload == "watch" ? 1 : 0));
    if (!connected.ok()) {
      std::fprintf(stderr, "warren-bench: %s\n", connected.ToString().c_str());
      return 1;
    }
    if (workload == "watch") {
      report = RunWatchFanout(*driver, o);
    } else if (workload == "failover") {
      report = RunFailover(*driver, o);
    } else {
      report = RunLoad(*driver, workload, o);
    }
  }
  if (!report.ok()) {
    std::fprintf(stderr, "warren-bench: %s\n", report.status().ToString().c_str());
    return absl::IsInvalidArgument(report.status()) ? 2 : 1;
  }
  report->target = target;
  std::fputs((absl::GetFlag(FLAGS_json) ? report->Json() : report->Text()).c_str(), stdout);
  std::fflush(stdout);
  // probe and failover retry through errors by design: they succeed if they got through.
  bool complete = report->ok > 0 && report->errors == 0;
  if (workload == "probe") complete = report->ready_ms >= 0;
  if (workload == "failover") complete = report->unavailable_ms >= 0;
  return complete ? 0 : 1;
}
