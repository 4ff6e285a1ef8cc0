#include "jepsen/harness/cluster.h"

#include <sched.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "absl/strings/match.h"
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
constexpr const char* kBridgeAddress = "10.88.255.254/16";
constexpr int kMaxId = 60000;  // addresses up to 10.88.240.0

// 10.88.0.<id> for the first 249 ids.
std::string MemberIp(int id) { return absl::StrCat("10.88.", id / 250, ".", id % 250); }

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
  }
  std::unique_lock lock(c->mu_);
  for (int id = 1; id <= c->options_.nodes; ++id) {
    c->group_.push_back(id);
    if (auto s = c->AddNamespace(id); !s.ok()) return s;
  }
  c->next_id_ = c->options_.nodes + 1;
  // Partitions are iptables rules in these namespaces: make sure they can be set.
  if (c->options_.netns) {
    if (auto s = Run({"ip", "netns", "exec", c->Namespace(1), "iptables", "-w", "-L", "INPUT"});
        !s.ok()) {
      return absl::FailedPreconditionError(
          absl::StrCat("iptables does not work in a network namespace here: ", s.message()));
    }
  }
  for (int id : c->group_) {
    if (auto s = c->Spawn(id, /*join=*/false); !s.ok()) return s;
  }
  if (auto s = c->ReconnectAdmin(); !s.ok()) return s;
  lock.unlock();
  // Up when a write is acknowledged.
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  absl::Status last;
  while (absl::Now() < deadline) {
    last = c->admin()->Sync("/");
    if (last.ok()) return c;
    absl::SleepFor(absl::Milliseconds(200));
  }
  return absl::UnavailableError(absl::StrCat("the cluster did not come up: ", last.message()));
}

Cluster::~Cluster() {
  std::lock_guard lock(mu_);
  admin_.reset();
  for (const auto& [id, pauses] : paused_) {
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
  return absl::OkStatus();
}

absl::Status Cluster::AddNamespace(int id) {
  if (id > kMaxId) return absl::ResourceExhaustedError("no address left for a new member");
  if (!options_.netns) {
    loopback_ports_[id] = testing::FreeLoopbackPort();  // kept across restarts
    loopback_zk_ports_[id] = testing::FreeLoopbackPort();
    return absl::OkStatus();
  }
  const std::string ns = Namespace(id);
  const std::string veth = absl::StrCat("wjv", id);
  if (auto s = Run({"ip", "netns", "add", ns}); !s.ok()) return s;
  namespaces_.insert(id);
  for (const auto& argv : std::vector<std::vector<std::string>>{
           {"ip", "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", ns},
           {"ip", "link", "set", veth, "master", kBridge, "up"},
           {"ip", "netns", "exec", ns, "ip", "addr", "add", MemberIp(id) + "/16", "dev", "eth0"},
           {"ip", "netns", "exec", ns, "ip", "link", "set", "eth0", "up"},
           {"ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up"}}) {
    if (auto s = Run(argv); !s.ok()) return s;
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

std::vector<int> Cluster::Group() const {
  std::lock_guard lock(mu_);
  return group_;
}

int Cluster::nodes() const {
  std::lock_guard lock(mu_);
  return static_cast<int>(group_.size());
}

std::string Cluster::Endpoint(int id) const {
  if (options_.netns) return absl::StrCat(MemberIp(id), ":", kPort);
  std::lock_guard lock(mu_);
  return absl::StrCat("127.0.0.1:", loopback_ports_.at(id));
}

std::string Cluster::ZooKeeperEndpoint(int id) const {
  if (options_.netns) return absl::StrCat(MemberIp(id), ":", kZooKeeperPort);
  std::lock_guard lock(mu_);
  return absl::StrCat("127.0.0.1:", loopback_zk_ports_.at(id));
}

std::vector<std::string> Cluster::EndpointsOf(const std::vector<int>& ids, bool zookeeper) const {
  std::vector<std::string> out;
  for (int id : ids) out.push_back(zookeeper ? ZooKeeperEndpoint(id) : Endpoint(id));
  return out;
}

std::vector<std::string> Cluster::Endpoints() const { return EndpointsFrom(0); }

std::vector<std::string> Cluster::EndpointsFrom(int home) const {
  std::vector<int> ids = Group();
  std::rotate(ids.begin(), ids.begin() + home % ids.size(), ids.end());
  return EndpointsOf(ids, /*zookeeper=*/false);
}

std::vector<std::string> Cluster::ZooKeeperEndpointsFrom(int home) const {
  std::vector<int> ids = Group();
  std::rotate(ids.begin(), ids.begin() + home % ids.size(), ids.end());
  return EndpointsOf(ids, /*zookeeper=*/true);
}

std::string Cluster::MembersFlag(int joiner) const {
  // A founding member names the founders; a joiner names the group it joins, and itself.
  std::vector<int> ids;
  if (replaced_.count(joiner)) {
    ids = group_;
    if (std::find(ids.begin(), ids.end(), joiner) == ids.end()) ids.push_back(joiner);
  } else {
    for (int id = 1; id <= options_.nodes; ++id) ids.push_back(id);
  }
  std::vector<std::string> members;
  for (int id : ids) {
    members.push_back(absl::StrCat(id, "=",
                                   options_.netns
                                       ? absl::StrCat(MemberIp(id), ":", kPort)
                                       : absl::StrCat("127.0.0.1:", loopback_ports_.at(id))));
  }
  return absl::StrJoin(members, ",");
}

absl::Status Cluster::Spawn(int id, bool join) {
  const std::string data = DataDir(id);
  fs::create_directories(data);
  std::vector<std::string> argv;
  if (options_.netns) argv = {Tool("ip"), "netns", "exec", Namespace(id)};
  std::vector<std::string> env = LoseUnsyncedEnv(id), preload;
  for (std::string& word : FakeClockEnv(id)) env.push_back(std::move(word));
  // One environment for both preloaded libraries (LD_PRELOAD takes a list).
  std::vector<std::string> words;
  for (std::string& word : env) {
    if (absl::StartsWith(word, "LD_PRELOAD=")) {
      preload.push_back(word.substr(word.find('=') + 1));
    } else {
      words.push_back(std::move(word));
    }
  }
  if (!preload.empty()) words.push_back("LD_PRELOAD=" + absl::StrJoin(preload, ":"));
  if (!words.empty()) argv.push_back("/usr/bin/env");
  argv.insert(argv.end(), words.begin(), words.end());
  // The ZooKeeper port binds the member's own host, the address in --members.
  const std::string zk_port =
      options_.netns ? std::to_string(kZooKeeperPort) : std::to_string(loopback_zk_ports_.at(id));
  for (const std::string& a :
       {options_.warrend, absl::StrCat("--id=", id), "--members=" + MembersFlag(id),
        "--data-dir=" + data, absl::StrCat("--tick-ms=", options_.tick_ms),
        "--zk-port=" + zk_port}) {
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

absl::Status Cluster::ReconnectAdmin() {
  metastore::ClientOptions co;
  for (int id : group_) {
    co.endpoints.push_back(options_.netns ? absl::StrCat(MemberIp(id), ":", kPort)
                                          : absl::StrCat("127.0.0.1:", loopback_ports_.at(id)));
  }
  co.request_timeout = absl::Seconds(10);
  auto admin = metastore::MetastoreClient::Connect(co);
  if (!admin.ok()) return admin.status();
  admin_ = std::move(*admin);
  return absl::OkStatus();
}

std::shared_ptr<metastore::MetastoreClient> Cluster::admin() const {
  std::lock_guard lock(mu_);
  return admin_;
}

absl::Status Cluster::RenewAdmin() {
  std::lock_guard lock(mu_);
  return ReconnectAdmin();
}

absl::StatusOr<int> Cluster::Leader() {
  auto st = admin()->LeaderStatus();
  if (!st.ok()) return st.status();
  if (st->raft().leader() == 0) return absl::UnavailableError("no leader known");
  return static_cast<int>(st->raft().leader());
}

std::vector<int> Cluster::Alive() const {
  std::lock_guard lock(mu_);
  std::vector<int> out;
  for (const auto& [id, p] : members_) out.push_back(id);
  return out;
}

absl::Status Cluster::KillLocked(int id) {
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

absl::Status Cluster::Kill(int id) {
  std::lock_guard lock(mu_);
  return KillLocked(id);
}

absl::Status Cluster::Restart(int id) {
  std::lock_guard lock(mu_);
  if (members_.count(id))
    return absl::FailedPreconditionError(absl::StrCat("member ", id, " is running"));
  if (std::find(group_.begin(), group_.end(), id) == group_.end())
    return absl::FailedPreconditionError(absl::StrCat("member ", id, " has left the group"));
  if (reseeding_.count(id))
    return absl::FailedPreconditionError(absl::StrCat("member ", id, " is being re-seeded"));
  // A replacement that may not have saved anything yet must join again, not found a group.
  return Spawn(id, /*join=*/replaced_.count(id) > 0);
}

absl::Status Cluster::Pause(int id) {
  std::lock_guard lock(mu_);
  if (!members_.count(id))
    return absl::FailedPreconditionError(absl::StrCat("member ", id, " is not running"));
  if (++paused_[id] == 1) members_[id]->Signal(SIGSTOP);
  return absl::OkStatus();
}

absl::Status Cluster::Resume(int id) {
  std::lock_guard lock(mu_);
  return ResumeLocked(id, /*every_pause=*/false);
}

absl::Status Cluster::ResumeLocked(int id, bool every_pause) {
  auto it = paused_.find(id);
  if (it == paused_.end()) return absl::OkStatus();
  if (--it->second > 0 && !every_pause) return absl::OkStatus();  // another pause holds it
  paused_.erase(it);
  if (members_.count(id)) members_[id]->Signal(SIGCONT);
  return absl::OkStatus();
}

absl::Status Cluster::Drop(int from, int to) {
  if (!options_.netns) return absl::FailedPreconditionError("partitions need --net=netns");
  std::lock_guard lock(mu_);
  if (!namespaces_.count(to)) return absl::OkStatus();  // gone: hears nothing anyway
  if (auto s = Run({"ip", "netns", "exec", Namespace(to), "iptables", "-w", "-A", "INPUT", "-s",
                    MemberIp(from), "-j", "DROP"});
      !s.ok()) {
    return s;
  }
  drops_.insert({from, to});
  return absl::OkStatus();
}

absl::Status Cluster::Undrop(int from, int to) {
  std::lock_guard lock(mu_);
  auto it = drops_.find({from, to});
  if (it == drops_.end()) return absl::OkStatus();  // healed already
  drops_.erase(it);
  if (!namespaces_.count(to)) return absl::OkStatus();
  return Run({"ip", "netns", "exec", Namespace(to), "iptables", "-w", "-D", "INPUT", "-s",
              MemberIp(from), "-j", "DROP"});
}

absl::Status Cluster::HealNetwork() {
  std::lock_guard lock(mu_);
  if (drops_.empty()) return absl::OkStatus();
  for (int id : namespaces_) {
    if (auto s = Run({"ip", "netns", "exec", Namespace(id), "iptables", "-w", "-F", "INPUT"});
        !s.ok()) {
      return s;
    }
  }
  drops_.clear();
  return absl::OkStatus();
}

absl::Status Cluster::ChangeMembership(const raftpb::MembershipRequest& req,
                                       absl::Duration patience) {
  // Whether the leader's configuration already has what `req` asks for: an attempt whose
  // answer was lost may have taken effect, and the next one is then refused.
  const auto done = [&] {
    auto st = admin()->LeaderStatus();
    if (!st.ok()) return false;
    for (const auto& m : st->raft().members()) {
      if (m.id() != req.id()) continue;
      if (req.op() == raftpb::MembershipRequest::REMOVE) return false;
      return req.op() == raftpb::MembershipRequest::ADD_LEARNER || m.role() == "voter";
    }
    return req.op() == raftpb::MembershipRequest::REMOVE;
  };
  absl::Status s;
  for (const absl::Time deadline = absl::Now() + patience;;) {
    s = admin()->ChangeMembership(req);
    if (s.ok() || done()) return absl::OkStatus();
    if (absl::Now() > deadline) return s;
    absl::SleepFor(absl::Milliseconds(300));
  }
}

absl::Status Cluster::Join(int id) {
  {
    std::lock_guard lock(mu_);
    fs::remove_all(DataDir(id));
    ForgetUnsynced(id);
    replaced_.insert(id);
    if (auto s = Spawn(id, /*join=*/true); !s.ok()) return s;
  }
  raftpb::MembershipRequest add;
  add.set_op(raftpb::MembershipRequest::ADD_LEARNER);
  add.set_id(id);
  add.set_address(Endpoint(id));
  if (auto s = ChangeMembership(add, absl::Seconds(30)); !s.ok()) return s;
  raftpb::MembershipRequest promote;
  promote.set_op(raftpb::MembershipRequest::PROMOTE);
  promote.set_id(id);
  return ChangeMembership(promote, absl::Seconds(30));
}

absl::Status Cluster::Replace(int id, bool new_id) {
  std::lock_guard one_at_a_time(membership_mu_);
  {
    // From now on the member is not restarted on its old data by another fault, and whatever
    // starts it again, even if this fails half-way, starts it to join, not to found a group.
    std::lock_guard lock(mu_);
    replaced_.insert(id);
    reseeding_.insert(id);
  }
  const absl::Status s = ReplaceReseeding(id, new_id);
  std::lock_guard lock(mu_);
  reseeding_.erase(id);
  return s;
}

absl::Status Cluster::ReplaceReseeding(int id, bool new_id) {
  raftpb::MembershipRequest remove;
  remove.set_op(raftpb::MembershipRequest::REMOVE);
  remove.set_id(id);
  if (auto s = ChangeMembership(remove, absl::Seconds(30)); !s.ok()) return s;
  int joiner = id;
  {
    std::lock_guard lock(mu_);
    if (members_.count(id)) {
      if (auto s = KillLocked(id); !s.ok()) return s;
    }
    if (new_id) {
      joiner = next_id_++;
      if (auto s = AddNamespace(joiner); !s.ok()) return s;
      if (namespaces_.erase(id)) (void)Run({"ip", "netns", "del", Namespace(id)});
    }
    *std::find(group_.begin(), group_.end(), id) = joiner;
    if (auto s = ReconnectAdmin(); !s.ok()) return s;
  }
  return Join(joiner);
}

absl::StatusOr<int> Cluster::Grow() {
  std::lock_guard one_at_a_time(membership_mu_);
  int id;
  {
    std::lock_guard lock(mu_);
    id = next_id_++;
    if (auto s = AddNamespace(id); !s.ok()) return s;
    group_.push_back(id);
    if (auto s = ReconnectAdmin(); !s.ok()) return s;
  }
  if (auto s = Join(id); !s.ok()) return s;
  return id;
}

absl::Status Cluster::Shrink(int id) {
  std::lock_guard one_at_a_time(membership_mu_);
  raftpb::MembershipRequest remove;
  remove.set_op(raftpb::MembershipRequest::REMOVE);
  remove.set_id(id);
  if (auto s = ChangeMembership(remove, absl::Seconds(30)); !s.ok()) return s;
  std::lock_guard lock(mu_);
  if (members_.count(id)) {
    if (auto s = KillLocked(id); !s.ok()) return s;
  }
  group_.erase(std::find(group_.begin(), group_.end(), id));
  if (namespaces_.erase(id)) (void)Run({"ip", "netns", "del", Namespace(id)});
  return ReconnectAdmin();
}

absl::Status Cluster::TransferLeadership(int to) {
  raftpb::MembershipRequest req;
  req.set_op(raftpb::MembershipRequest::TRANSFER_LEADER);
  req.set_id(to);
  return admin()->ChangeMembership(req);
}

absl::Status Cluster::HealAll() {
  absl::Status result = HealNetwork();
  result.Update(ResetWallClocks());
  for (int id : Group()) {
    std::lock_guard lock(mu_);
    result.Update(ResumeLocked(id, /*every_pause=*/true));
    if (!members_.count(id)) result.Update(Spawn(id, /*join=*/replaced_.count(id) > 0));
  }
  return result;
}

}  // namespace warren::jepsen
