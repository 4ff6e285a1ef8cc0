// Many Raft groups in one process: three RaftServers on loopback (real gRPC transport, fsync'd
// segmented logs) host the same G groups of three members each, one per server. For each G:
// writes/s under a closed-loop load (in total and per group), and what G idle groups cost
// (Raft messages per second and process CPU time per second, with no load at all), which shows
// whether heartbeats grow with the number of idle groups.
//   warren-bench-groups [--groups=1,8,64] [--duration=5s] [--clients-per-group=4] [--json]
#include <sys/resource.h>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <future>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "bench/load/histogram.h"
#include "common/dashed_flags.h"
#include "glog/logging.h"
#include "raft/server/raft_server.h"
#include "raft/transport/grpc_transport.h"
#include "statemachine/counter_state_machine.h"

ABSL_FLAG(std::vector<std::string>, groups, std::vector<std::string>({"1", "8", "64"}),
          "group counts to measure, one round each");
ABSL_FLAG(int, port_base, 7870, "the three servers listen on 127.0.0.1:PORT_BASE..PORT_BASE+2");
ABSL_FLAG(std::string, dir, "",
          "where the data directories go (a subdirectory per round, removed after it); "
          "default: a new directory in /tmp, removed at exit");
ABSL_FLAG(absl::Duration, duration, absl::Seconds(5), "how long writes are measured");
ABSL_FLAG(absl::Duration, warmup, absl::Seconds(1), "writes before measuring starts");
ABSL_FLAG(absl::Duration, idle, absl::Seconds(3), "how long the idle groups are measured");
ABSL_FLAG(int, clients_per_group, 4, "writes outstanding per group (closed loop)");
ABSL_FLAG(int, value_size, 128, "bytes per command");
ABSL_FLAG(int, segment_mib, 64,
          "log segment size (preallocated): warrend's 64 by default; a smoke test takes less disk");
ABSL_FLAG(bool, json, false, "print one JSON object per round instead of a Markdown table");

namespace {

namespace fs = std::filesystem;
using warren::bench::Histogram;
using warren::raft::Division;
using warren::raft::Result;

constexpr int kMembers = 3;
// Elections leave a little traffic behind them (the new leaders' first entries).
constexpr absl::Duration kSettle = absl::Milliseconds(500);

// Counts the Raft messages a server hands to its transport, then passes them on.
class CountingTransport : public warren::raft::Transport {
 public:
  CountingTransport(std::unique_ptr<Transport> inner, std::atomic<uint64_t>* messages,
                    std::atomic<uint64_t>* heartbeats)
      : inner_(std::move(inner)), messages_(messages), heartbeats_(heartbeats) {}

  void RegisterServices(grpc::ServerBuilder* builder) override {
    inner_->RegisterServices(builder);
  }
  absl::Status Start(warren::raft::MessageHandler* handler) override {
    return inner_->Start(handler);
  }
  void Stop() override { inner_->Stop(); }
  void SetPeer(uint64_t id, const std::string& address) override { inner_->SetPeer(id, address); }
  void Send(const std::string& group, std::vector<warren::raftpb::Message> msgs) override {
    messages_->fetch_add(msgs.size(), std::memory_order_relaxed);
    for (const auto& m : msgs) {
      if (m.type() == warren::raftpb::MSG_HEARTBEAT ||
          m.type() == warren::raftpb::MSG_HEARTBEAT_RESP) {
        heartbeats_->fetch_add(1, std::memory_order_relaxed);
      }
    }
    inner_->Send(group, std::move(msgs));
  }
  void SendSnapshot(const std::string& group, warren::raftpb::Message m, std::string path,
                    SnapshotDone done) override {
    messages_->fetch_add(1, std::memory_order_relaxed);
    inner_->SendSnapshot(group, std::move(m), std::move(path), std::move(done));
  }

 private:
  std::unique_ptr<Transport> inner_;
  std::atomic<uint64_t>* const messages_;
  std::atomic<uint64_t>* const heartbeats_;
};

// Three RaftServers on 127.0.0.1 hosting groups "g0".."g<n-1>", one member of each per server.
class Cluster {
 public:
  std::atomic<uint64_t> messages{0};
  std::atomic<uint64_t> heartbeats{0};

  absl::Status Start(int groups, const std::string& dir, int port_base) {
    std::map<uint64_t, std::string> members;
    for (uint64_t id = 1; id <= kMembers; ++id) {
      members[id] = absl::StrCat("127.0.0.1:", port_base + id - 1);
    }
    divisions_.resize(groups);
    for (const auto& [id, address] : members) {
      auto transport = std::make_unique<CountingTransport>(
          std::make_unique<warren::raft::GrpcTransport>(), &messages, &heartbeats);
      warren::raft::ServerOptions options;
      options.id = id;
      options.listen_address = address;
      auto server = warren::raft::RaftServer::Create(options, std::move(transport));
      if (!server.ok()) return server.status();
      for (int g = 0; g < groups; ++g) {
        warren::raft::GroupOptions o;  // the defaults: segmented log, fsync, 100 ms ticks
        o.group = absl::StrCat("g", g);
        o.members = members;
        o.data_dir = absl::StrCat(dir, "/member-", id, "/", o.group);
        o.log_segment_bytes = static_cast<uint64_t>(absl::GetFlag(FLAGS_segment_mib)) << 20;
        auto s = (*server)->AddGroup(o, std::make_unique<warren::CounterStateMachine>());
        if (!s.ok()) return s;
        divisions_[g].push_back((*server)->group(o.group));
      }
      if (auto s = (*server)->Start(); !s.ok()) return s;
      servers_.push_back(std::move(*server));
    }
    return absl::OkStatus();
  }

  void Shutdown() {
    for (auto& s : servers_) s->Shutdown();
  }

  int groups() const { return static_cast<int>(divisions_.size()); }

  // The member of `group` that believes it leads; nullptr if none does. Lock-free, so that
  // write callbacks on the groups' own threads may call it.
  Division* Leader(int group) const {
    for (int i = 0; i < kMembers; ++i) {
      if (divisions_[group][i]->leader() == static_cast<uint64_t>(i + 1)) {
        return divisions_[group][i];
      }
    }
    return nullptr;
  }

  // Until every group has a leader that its three members agree on.
  absl::Status WaitForLeaders(absl::Duration timeout) {
    const absl::Time deadline = absl::Now() + timeout;
    for (int g = 0; g < groups(); ++g) {
      while (!Agreed(g)) {
        if (absl::Now() > deadline) {
          return absl::DeadlineExceededError(absl::StrCat("group g", g, " elected no leader"));
        }
        absl::SleepFor(absl::Milliseconds(10));
      }
    }
    return absl::OkStatus();
  }

 private:
  bool Agreed(int g) const {
    Division* leader = Leader(g);
    if (leader == nullptr) return false;
    for (Division* d : divisions_[g]) {
      if (d->leader() != leader->leader()) return false;
    }
    return true;
  }

  std::vector<std::unique_ptr<warren::raft::RaftServer>> servers_;
  std::vector<std::vector<Division*>> divisions_;  // [group][member id - 1]
};

// A closed loop of writes: `per_group` writers per group, each with one write outstanding,
// submitted again the moment it is answered. Answers come on the groups' threads; failed
// writes (no leader yet, a leader change) go to a retry thread so that they never recurse.
class Load {
 public:
  Load(Cluster* cluster, int per_group, std::string command)
      : cluster_(cluster), command_(std::move(command)), acked_(cluster->groups()) {
    for (int g = 0; g < cluster->groups(); ++g) {
      for (int i = 0; i < per_group; ++i) {
        Writer& w = writers_.emplace_back();
        w.group = g;
        w.client_id = writers_.size();
      }
    }
  }

  void Start() {
    active_ = static_cast<int>(writers_.size());
    retry_thread_ = std::thread([this] { RetryLoop(); });
    for (Writer& w : writers_) {
      w.sent = absl::Now();
      Submit(&w);
    }
  }
  void set_measuring(bool on) { measuring_ = on; }
  uint64_t total_acked() const { return total_acked_; }
  uint64_t acked(int group) const { return acked_[group]; }
  uint64_t failed() const { return failed_; }
  const Histogram& latency() const { return latency_; }

  // Stops submitting and waits until no write is outstanding: every write is answered within
  // the group's request timeout, so this ends, and no answer comes after it.
  void Stop() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    retry_thread_.join();
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return active_ == 0; });
  }

 private:
  struct Writer {
    int group = 0;
    uint64_t client_id = 0;
    uint64_t seq = 1;
    absl::Time sent;  // when the current seq was first submitted
  };

  void Submit(Writer* w) {
    Division* leader = cluster_->Leader(w->group);
    if (leader == nullptr) return Retry(w);
    warren::raftpb::ClientCommand cmd;
    cmd.set_client_id(w->client_id);
    cmd.set_seq(w->seq);
    cmd.set_first_incomplete_seq(w->seq);
    cmd.set_payload(command_);
    leader->Write(std::move(cmd), [this, w](Result r) { Answered(w, r); });
  }

  void Answered(Writer* w, const Result& r) {
    if (!r.status.ok()) {
      const bool transient = r.not_leader || absl::IsUnavailable(r.status) ||
                             absl::IsDeadlineExceeded(r.status) ||
                             absl::IsResourceExhausted(r.status);
      if (transient) return Retry(w);
      LOG_EVERY_N(ERROR, 100) << "write to g" << w->group << " failed: " << r.status;
      ++failed_;
      return Finished();
    }
    if (measuring_) latency_.Record(absl::ToInt64Microseconds(absl::Now() - w->sent));
    ++acked_[w->group];
    ++total_acked_;
    ++w->seq;
    w->sent = absl::Now();
    if (stopping()) return Finished();
    Submit(w);
  }

  // Once stopping, a write that failed is not tried again: the writer is done.
  void Retry(Writer* w) {
    std::lock_guard lock(mu_);
    if (stopping_) {
      --active_;
    } else {
      retries_.push_back(w);
    }
    cv_.notify_all();
  }

  void RetryLoop() {
    std::unique_lock lock(mu_);
    while (true) {
      cv_.wait(lock, [&] { return stopping_ || !retries_.empty(); });
      if (stopping_) {
        active_ -= static_cast<int>(retries_.size());
        retries_.clear();
        cv_.notify_all();
        return;
      }
      std::deque<Writer*> batch;
      batch.swap(retries_);
      lock.unlock();
      absl::SleepFor(absl::Milliseconds(10));  // a leader may be on its way
      for (Writer* w : batch) Submit(w);
      lock.lock();
    }
  }

  bool stopping() {
    std::lock_guard lock(mu_);
    return stopping_;
  }
  void Finished() {
    std::lock_guard lock(mu_);
    --active_;
    cv_.notify_all();
  }

  Cluster* const cluster_;
  const std::string command_;
  std::vector<Writer> writers_;
  std::vector<std::atomic<uint64_t>> acked_;  // by group, warm-up included
  std::atomic<uint64_t> total_acked_{0};
  std::atomic<uint64_t> failed_{0};
  std::atomic<bool> measuring_{false};
  Histogram latency_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  int active_ = 0;
  std::deque<Writer*> retries_;
  std::thread retry_thread_;
};

// A counter command of exactly `size` bytes where possible: "incr 000...01".
std::string CounterCommand(int size) {
  const std::string min = "incr 1";
  if (size <= static_cast<int>(min.size())) return min;
  return "incr " + std::string(size - min.size(), '0') + "1";
}

// Every group's counter, read at its leader, counts at least the writes acknowledged to it.
absl::Status CheckCounters(const Cluster& cluster, const Load& load) {
  for (int g = 0; g < cluster.groups(); ++g) {
    Division* leader = cluster.Leader(g);
    if (leader == nullptr) return absl::UnavailableError(absl::StrCat("g", g, " has no leader"));
    std::promise<Result> answer;
    warren::raftpb::ReadRequest req;
    req.set_query("get");
    leader->Read(req, [&answer](Result r) { answer.set_value(std::move(r)); });
    Result r = answer.get_future().get();
    if (!r.status.ok()) return r.status;
    uint64_t value = 0;
    if (!absl::SimpleAtoi(r.payload, &value) || value < load.acked(g)) {
      return absl::InternalError(absl::StrCat("g", g, "'s counter is ", r.payload, " after ",
                                              load.acked(g), " acknowledged increments"));
    }
  }
  return absl::OkStatus();
}

double CpuSeconds() {
  rusage u;
  getrusage(RUSAGE_SELF, &u);
  auto secs = [](const timeval& t) { return t.tv_sec + t.tv_usec / 1e6; };
  return secs(u.ru_utime) + secs(u.ru_stime);
}

struct Round {
  int groups = 0;
  double writes_per_s = 0;
  double p50_ms = 0;
  double p99_ms = 0;
  double idle_messages_per_s = 0;
  double idle_heartbeats_per_s = 0;
  double idle_cpu_ms_per_s = 0;
};

// No load at all: what the groups cost just by existing.
void MeasureIdle(Cluster& cluster, Round* round) {
  const absl::Duration idle = absl::GetFlag(FLAGS_idle);
  const uint64_t m0 = cluster.messages, h0 = cluster.heartbeats;
  const double cpu0 = CpuSeconds();
  const absl::Time t0 = absl::Now();
  absl::SleepFor(idle);
  const double secs = absl::ToDoubleSeconds(absl::Now() - t0);
  round->idle_messages_per_s = (cluster.messages - m0) / secs;
  round->idle_heartbeats_per_s = (cluster.heartbeats - h0) / secs;
  round->idle_cpu_ms_per_s = (CpuSeconds() - cpu0) * 1000 / secs;
}

absl::Status MeasureWrites(Cluster& cluster, Round* round) {
  Load load(&cluster, absl::GetFlag(FLAGS_clients_per_group),
            CounterCommand(absl::GetFlag(FLAGS_value_size)));
  load.Start();
  absl::SleepFor(absl::GetFlag(FLAGS_warmup));
  load.set_measuring(true);
  const uint64_t acked0 = load.total_acked();
  const absl::Time t0 = absl::Now();
  absl::SleepFor(absl::GetFlag(FLAGS_duration));
  const uint64_t acked = load.total_acked() - acked0;
  const double secs = absl::ToDoubleSeconds(absl::Now() - t0);
  load.set_measuring(false);
  load.Stop();
  round->writes_per_s = acked / secs;
  round->p50_ms = load.latency().Percentile(0.50) / 1000.0;
  round->p99_ms = load.latency().Percentile(0.99) / 1000.0;
  if (load.failed() > 0) return absl::InternalError(absl::StrCat(load.failed(), " writes failed"));
  return CheckCounters(cluster, load);
}

absl::StatusOr<Round> RunRound(int groups, const std::string& dir) {
  Round round{.groups = groups};
  Cluster cluster;
  absl::Status s = cluster.Start(groups, dir, absl::GetFlag(FLAGS_port_base));
  if (s.ok()) s = cluster.WaitForLeaders(absl::Seconds(60));
  if (s.ok()) {
    absl::SleepFor(kSettle);
    MeasureIdle(cluster, &round);
    s = MeasureWrites(cluster, &round);
  }
  cluster.Shutdown();
  if (!s.ok()) return s;
  return round;
}

void Print(const Round& r, bool json) {
  if (json) {
    std::printf(
        "{\"groups\":%d,\"writes_per_s\":%.1f,\"writes_per_s_per_group\":%.1f,\"p50_ms\":%.2f,"
        "\"p99_ms\":%.2f,\"idle_messages_per_s\":%.1f,\"idle_heartbeats_per_s\":%.1f,"
        "\"idle_cpu_ms_per_s\":%.1f}\n",
        r.groups, r.writes_per_s, r.writes_per_s / r.groups, r.p50_ms, r.p99_ms,
        r.idle_messages_per_s, r.idle_heartbeats_per_s, r.idle_cpu_ms_per_s);
  } else {
    std::printf("| %d | %.0f | %.0f | %.1f | %.1f | %.0f | %.1f |\n", r.groups, r.writes_per_s,
                r.writes_per_s / r.groups, r.p50_ms, r.p99_ms, r.idle_messages_per_s,
                r.idle_cpu_ms_per_s);
  }
  std::fflush(stdout);
}

// The flags, checked; exits 2 on a bad one.
std::vector<int> GroupCounts() {
  std::vector<int> counts;
  for (const std::string& g : absl::GetFlag(FLAGS_groups)) {
    int n = 0;
    if (!absl::SimpleAtoi(g, &n) || n < 1) {
      std::fprintf(stderr, "warren-bench-groups: --groups wants counts >= 1, not '%s'\n",
                   g.c_str());
      std::exit(2);
    }
    counts.push_back(n);
  }
  auto bad = [](const char* what) {
    std::fprintf(stderr, "warren-bench-groups: %s\n", what);
    std::exit(2);
  };
  if (counts.empty()) bad("--groups is empty");
  if (absl::GetFlag(FLAGS_clients_per_group) < 1) bad("--clients-per-group must be >= 1");
  if (absl::GetFlag(FLAGS_segment_mib) < 1 || absl::GetFlag(FLAGS_segment_mib) > 1024) {
    bad("--segment-mib must be 1..1024");
  }
  if (absl::GetFlag(FLAGS_value_size) < 1 || absl::GetFlag(FLAGS_value_size) > (1 << 20)) {
    bad("--value-size must be 1..1048576");
  }
  if (absl::GetFlag(FLAGS_duration) <= absl::ZeroDuration()) bad("--duration must be > 0");
  if (absl::GetFlag(FLAGS_warmup) < absl::ZeroDuration()) bad("--warmup must be >= 0");
  if (absl::GetFlag(FLAGS_idle) <= absl::ZeroDuration()) bad("--idle must be > 0");
  int port = absl::GetFlag(FLAGS_port_base);
  if (port < 1 || port + kMembers - 1 > 65535) bad("--port-base must be 1..65533");
  return counts;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string command = absl::StrJoin(argv, argv + argc, " ");
  warren::DashedFlags flags(argc, argv);
  absl::ParseCommandLine(flags.argc(), flags.argv());
  FLAGS_logtostderr = true;
  FLAGS_minloglevel = google::GLOG_WARNING;  // 3 x G groups starting up say a lot
  google::InitGoogleLogging(argv[0]);
  const std::vector<int> counts = GroupCounts();

  std::string dir = absl::GetFlag(FLAGS_dir);
  const bool own_dir = dir.empty();
  if (own_dir) {
    char tmpl[] = "/tmp/warren-bench-groups-XXXXXX";
    PCHECK(::mkdtemp(tmpl) != nullptr);
    dir = tmpl;
  }
  const bool json = absl::GetFlag(FLAGS_json);
  if (!json) {
    std::printf(
        "# %d RaftServers in one process on 127.0.0.1:%d-%d, each group with a member on "
        "every one\n\ncommand: %s\n\n"
        "%d closed-loop writers per group, %d-byte counter commands, fsync'd segmented logs "
        "in %s; %s warm-up, %s measured; idle: %s with no load\n\n",
        kMembers, absl::GetFlag(FLAGS_port_base), absl::GetFlag(FLAGS_port_base) + kMembers - 1,
        command.c_str(), absl::GetFlag(FLAGS_clients_per_group),
        static_cast<int>(CounterCommand(absl::GetFlag(FLAGS_value_size)).size()), dir.c_str(),
        absl::FormatDuration(absl::GetFlag(FLAGS_warmup)).c_str(),
        absl::FormatDuration(absl::GetFlag(FLAGS_duration)).c_str(),
        absl::FormatDuration(absl::GetFlag(FLAGS_idle)).c_str());
    std::printf(
        "| groups | writes/s total | writes/s per group | p50 ms | p99 ms | idle messages/s | "
        "idle CPU ms/s |\n|---|---|---|---|---|---|---|\n");
  }
  int rc = 0;
  for (int groups : counts) {
    const std::string round_dir = absl::StrCat(dir, "/groups-", groups);
    fs::remove_all(round_dir);
    auto round = RunRound(groups, round_dir);
    fs::remove_all(round_dir);
    if (!round.ok()) {
      std::fprintf(stderr, "warren-bench-groups: %d groups: %s\n", groups,
                   round.status().ToString().c_str());
      rc = 1;
      break;
    }
    Print(*round, json);
  }
  if (own_dir) fs::remove_all(dir);
  return rc;
}
