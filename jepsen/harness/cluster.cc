#include "jepsen/harness/cluster.h"

#include <sched.h>
#include <signal.h>
#include <unistd.h>

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "glog/logging.h"
#include "metastore/errors.h"

namespace warren::jepsen {
namespace {

namespace fs = std::filesystem;

constexpr int kPort = 7000;           // every member's, in its own namespace
constexpr int kZooKeeperPort = 2181;  // every member's ZooKeeper port, likewise
constexpr const char* kBridge = "wjbr";
constexpr const char* kBridgeAddress = "10.88.0.254/24";

std::string MemberIp(int id) { return absl::StrCat("10.88.0.", id); }

// The full path of a system tool (they live in sbin, which is not always on PATH).
std::string Tool(const std::string& name) {
  for (const char* dir : {"/usr/sbin/", "/sbin/", "/usr/bin/", "/bin/"}) {
    const std::string path = dir + name;
    if (access(path.c_str(), X_OK) == 0) return path;
  }
  return name;
}

// Namespaces of runs that died without cleaning up ("wj<pid>-<id>" of a pid now gone).
void RemoveStaleNamespaces() {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/run/netns", ec)) {
    const std::string name = entry.path().filename();
    int pid = 0;
    if (sscanf(name.c_str(), "wj%d-", &pid) != 1 || pid <= 0) continue;
    if (kill(pid, 0) == 0 || errno != ESRCH) continue;
    LOG(INFO) << "removing namespace " << name << " of a run that is gone";
    (void)Run({"ip", "netns", "del", name});
  }
}

}  // namespace

absl::Status Run(std::vector<std::string> argv) {
  argv[0] = Tool(argv[0]);
  testing::RunResult r = testing::RunCommand(argv, absl::Seconds(30));
  if (r.exit_code == 0) return absl::OkStatus();
  return absl::InternalError(
      absl::StrCat(absl::StrJoin(argv, " "), " exited ", r.exit_code, ": ", r.err, r.out));
}

absl::StatusOr<std::unique_ptr<Cluster>> Cluster::Start(ClusterOptions options) {
  if (options.nodes < 1 || options.nodes > 9) {
    return absl::InvalidArgumentError("--nodes must be between 1 and 9");
  }
  std::unique_ptr<Cluster> c(new Cluster(std::move(options)));
  if (c->options_.netns) {
    if (auto s = c->SetUpNetwork(); !s.ok()) return s;
  } else {
    for (int id = 1; id <= c->options_.nodes; ++id) {
      c->loopback_ports_[id] = testing::FreeLoopbackPort();  // kept across restarts
      c->loopback_zk_ports_[id] = testing::FreeLoopbackPort();
    }
  }
  for (int id = 1; id <= c->options_.nodes; ++id) {
    if (auto s = c->Spawn(id, /*join=*/false); !s.ok()) return s;
  }
  metastore::ClientOptions co;
  co.endpoints = c->Endpoints();
  co.request_timeout = absl::Seconds(10);
  auto admin = metastore::MetastoreClient::Connect(co);
  if (!admin.ok()) return admin.status();
  c->admin_ = std::move(*admin);
  // Up when a write is acknowledged.
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  absl::Status last;
  while (absl::Now() < deadline) {
    last = c->admin_->Sync("/");
    if (last.ok()) return c;
    absl::SleepFor(absl::Milliseconds(200));
  }
  return absl::UnavailableError(absl::StrCat("the cluster did not come up: ", last.message()));
}

Cluster::~Cluster() {
  admin_.reset();
  for (int id : paused_) {
    if (members_.count(id)) members_[id]->Signal(SIGCONT);
  }
  members_.clear();  // each is killed
  TearDownNetwork();
}

absl::Status Cluster::SetUpNetwork() {
  if (unshare(CLONE_NEWNET) != 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot make a network namespace (", strerror(errno),
        "): partitions need root, or run with --net=loopback and no partition nemesis"));
  }
  RemoveStaleNamespaces();
  for (const auto& argv :
       std::vector<std::vector<std::string>>{{"ip", "link", "set", "lo", "up"},
                                             {"ip", "link", "add", kBridge, "type", "bridge"},
                                             {"ip", "addr", "add", kBridgeAddress, "dev", kBridge},
                                             {"ip", "link", "set", kBridge, "up"}}) {
    if (auto s = Run(argv); !s.ok()) return s;
  }
  for (int id = 1; id <= options_.nodes; ++id) {
    const std::string ns = Namespace(id);
    const std::string veth = absl::StrCat("wjv", id);
    if (auto s = Run({"ip", "netns", "add", ns}); !s.ok()) return s;
    namespaces_.insert(id);
    for (const auto& argv : std::vector<std::vector<std::string>>{
             {"ip", "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", ns},
             {"ip", "link", "set", veth, "master", kBridge, "up"},
             {"ip", "netns", "exec", ns, "ip", "addr", "add", MemberIp(id) + "/24", "dev", "eth0"},
             {"ip", "netns", "exec", ns, "ip", "link", "set", "eth0", "up"},
             {"ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up"}}) {
      if (auto s = Run(argv); !s.ok()) return s;
    }
  }
  // Partitions are iptables rules in these namespaces: make sure they can be set.
  if (auto s = Run({"ip", "netns", "exec", Namespace(1), "iptables", "-L", "INPUT"}); !s.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat("iptables does not work in a network namespace here: ", s.message()));
  }
  return absl::OkStatus();
}

void Cluster::TearDownNetwork() {
  for (int id : namespaces_) {
    if (auto s = Run({"ip", "netns", "del", Namespace(id)}); !s.ok()) LOG(WARNING) << s;
  }
  namespaces_.clear();
}

std::string Cluster::Namespace(int id) const { return absl::StrCat("wj", getpid(), "-", id); }

std::string Cluster::Endpoint(int id) const {
  if (options_.netns) return absl::StrCat(MemberIp(id), ":", kPort);
  return absl::StrCat("127.0.0.1:", loopback_ports_.at(id));
}

std::vector<std::string> Cluster::Endpoints() const { return EndpointsFrom(1); }

std::vector<std::string> Cluster::EndpointsFrom(int first) const {
  std::vector<std::string> out;
  for (int i = 0; i < options_.nodes; ++i)
    out.push_back(Endpoint((first - 1 + i) % options_.nodes + 1));
  return out;
}

std::string Cluster::ZooKeeperEndpoint(int id) const {
  if (options_.netns) return absl::StrCat(MemberIp(id), ":", kZooKeeperPort);
  return absl::StrCat("127.0.0.1:", loopback_zk_ports_.at(id));
}

std::vector<std::string> Cluster::ZooKeeperEndpointsFrom(int first) const {
  std::vector<std::string> out;
  for (int i = 0; i < options_.nodes; ++i)
    out.push_back(ZooKeeperEndpoint((first - 1 + i) % options_.nodes + 1));
  return out;
}

std::string Cluster::MembersFlag() const {
  std::vector<std::string> members;
  for (int id = 1; id <= options_.nodes; ++id)
    members.push_back(absl::StrCat(id, "=", Endpoint(id)));
  return absl::StrJoin(members, ",");
}

absl::Status Cluster::Spawn(int id, bool join) {
  const std::string data = absl::StrCat(options_.dir, "/m", id);
  fs::create_directories(data);
  std::vector<std::string> argv;
  if (options_.netns) argv = {Tool("ip"), "netns", "exec", Namespace(id)};
  for (std::string& w : FakeClockWords(id)) argv.push_back(std::move(w));
  // The ZooKeeper port binds the member's own host, the address in --members.
  const std::string zk_endpoint = ZooKeeperEndpoint(id);
  for (const std::string& a :
       {options_.warrend, absl::StrCat("--id=", id), "--members=" + MembersFlag(),
        "--data-dir=" + data, absl::StrCat("--tick-ms=", options_.tick_ms),
        "--zk-port=" + zk_endpoint.substr(zk_endpoint.rfind(':') + 1)}) {
    argv.push_back(a);
  }
  if (join) argv.push_back("--join");
  argv.insert(argv.end(), options_.extra_flags.begin(), options_.extra_flags.end());
  if (auto it = options_.member_flags.find(id); it != options_.member_flags.end()) {
    argv.insert(argv.end(), it->second.begin(), it->second.end());
  }
  auto p = testing::Process::Spawn(argv, absl::StrCat(options_.dir, "/m", id, ".log"));
  if (!p.ok()) return p.status();
  members_[id] = std::move(*p);
  return absl::OkStatus();
}

absl::StatusOr<int> Cluster::Leader() {
  auto st = admin_->LeaderStatus();
  if (!st.ok()) return st.status();
  if (st->raft().leader() == 0) return absl::UnavailableError("no leader known");
  return static_cast<int>(st->raft().leader());
}

std::vector<int> Cluster::Alive() const {
  std::vector<int> out;
  for (const auto& [id, p] : members_) out.push_back(id);
  return out;
}

absl::Status Cluster::Kill(int id) {
  auto it = members_.find(id);
  if (it == members_.end())
    return absl::FailedPreconditionError(absl::StrCat("member ", id, " is not running"));
  it->second->Signal(SIGKILL);
  if (!it->second->Wait(absl::Seconds(10)).has_value()) {
    return absl::InternalError(absl::StrCat("member ", id, " did not die"));
  }
  members_.erase(it);
  paused_.erase(id);
  return absl::OkStatus();
}

absl::Status Cluster::Restart(int id) {
  if (members_.count(id))
    return absl::FailedPreconditionError(absl::StrCat("member ", id, " is running"));
  // A replacement that may not have saved anything yet must join again, not found a group.
  return Spawn(id, /*join=*/replaced_.count(id) > 0);
}

absl::Status Cluster::Pause(int id) {
  if (!members_.count(id))
    return absl::FailedPreconditionError(absl::StrCat("member ", id, " is not running"));
  members_[id]->Signal(SIGSTOP);
  paused_.insert(id);
  return absl::OkStatus();
}

absl::Status Cluster::Resume(int id) {
  if (!members_.count(id) || !paused_.count(id)) return absl::OkStatus();
  members_[id]->Signal(SIGCONT);
  paused_.erase(id);
  return absl::OkStatus();
}

absl::Status Cluster::Drop(int from, int to) {
  if (!options_.netns) return absl::FailedPreconditionError("partitions need --net=netns");
  dropping_ = true;
  return Run({"ip", "netns", "exec", Namespace(to), "iptables", "-A", "INPUT", "-s", MemberIp(from),
              "-j", "DROP"});
}

absl::Status Cluster::HealNetwork() {
  if (!dropping_) return absl::OkStatus();
  for (int id : namespaces_) {
    if (auto s = Run({"ip", "netns", "exec", Namespace(id), "iptables", "-F", "INPUT"}); !s.ok()) {
      return s;
    }
  }
  dropping_ = false;
  return absl::OkStatus();
}

absl::Status Cluster::Replace(int id) {
  raftpb::MembershipRequest remove;
  remove.set_op(raftpb::MembershipRequest::REMOVE);
  remove.set_id(id);
  if (auto s = admin_->ChangeMembership(remove); !s.ok()) return s;
  if (auto s = Kill(id); !s.ok()) return s;
  fs::remove_all(absl::StrCat(options_.dir, "/m", id));
  replaced_.insert(id);
  if (auto s = Spawn(id, /*join=*/true); !s.ok()) return s;
  raftpb::MembershipRequest add;
  add.set_op(raftpb::MembershipRequest::ADD_LEARNER);
  add.set_id(id);
  add.set_address(Endpoint(id));
  if (auto s = admin_->ChangeMembership(add); !s.ok()) return s;
  raftpb::MembershipRequest promote;
  promote.set_op(raftpb::MembershipRequest::PROMOTE);
  promote.set_id(id);
  absl::Status s;
  for (const absl::Time deadline = absl::Now() + absl::Seconds(30); absl::Now() < deadline;) {
    s = admin_->ChangeMembership(promote);
    if (s.ok()) return s;
    absl::SleepFor(absl::Milliseconds(300));
  }
  return s;
}

absl::Status Cluster::HealAll() {
  absl::Status result = HealNetwork();
  result.Update(ResetWallClocks());
  for (int id : std::set<int>(paused_)) result.Update(Resume(id));
  for (int id = 1; id <= options_.nodes; ++id) {
    if (!members_.count(id)) result.Update(Restart(id));
  }
  return result;
}

}  // namespace warren::jepsen
