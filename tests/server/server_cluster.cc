#include "tests/server/server_cluster.h"

#include <future>

#include "glog/logging.h"
#include "statemachine/counter_state_machine.h"

namespace warren::raft::testing {

ServerCluster::ServerCluster(int n, GroupOptions base, StateMachineFactory make_sm)
    : base_(std::move(base)), make_sm_(std::move(make_sm)), root_("cluster") {
  if (!make_sm_) {
    make_sm_ = [](uint64_t, const std::string&) { return std::make_unique<CounterStateMachine>(); };
  }
  for (uint64_t id = 1; id <= static_cast<uint64_t>(n); ++id) founders_[id] = Address(id);
}

ServerCluster::~ServerCluster() {
  for (auto& s : Servers()) s->Shutdown();
}

std::string ServerCluster::DataDir(uint64_t id) const {
  return root_.path() + "/member-" + std::to_string(id);
}

absl::Status ServerCluster::Start(uint64_t id, bool join) {
  CHECK(!running(id)) << "member " << id << " already runs";
  uint64_t seed;
  {
    std::lock_guard lock(mu_);
    seed = next_seed_++;
  }
  auto faulty = std::make_unique<FaultyTransport>(
      std::make_unique<MemoryTransport>(&network_, Address(id)), seed);
  FaultyTransport* faulty_raw = faulty.get();
  auto server = RaftServer::Create(ServerOptions{id, ""}, std::move(faulty));
  if (!server.ok()) return server.status();
  GroupOptions g = base_;
  g.group = kGroup;
  g.members = founders_;
  g.join = join;
  g.data_dir = DataDir(id);
  auto sm = make_sm_(id, DataDir(id) + ".sm");
  if (sm == nullptr) return absl::InternalError("the state machine factory failed");
  if (auto s = (*server)->AddGroup(g, std::move(sm)); !s.ok()) return s;
  if (auto s = (*server)->Start(); !s.ok()) return s;
  std::lock_guard lock(mu_);
  servers_[id] = std::move(*server);
  faulty_[id] = faulty_raw;
  return absl::OkStatus();
}

void ServerCluster::Stop(uint64_t id) {
  std::shared_ptr<RaftServer> server;
  {
    std::lock_guard lock(mu_);
    auto it = servers_.find(id);
    if (it == servers_.end()) return;
    server = std::move(it->second);
    servers_.erase(it);
    faulty_.erase(id);
  }
  server->Shutdown();
}

bool ServerCluster::running(uint64_t id) { return Server(id) != nullptr; }

std::shared_ptr<RaftServer> ServerCluster::Server(uint64_t id) {
  std::lock_guard lock(mu_);
  auto it = servers_.find(id);
  return it == servers_.end() ? nullptr : it->second;
}

std::vector<std::shared_ptr<RaftServer>> ServerCluster::Servers() {
  std::lock_guard lock(mu_);
  std::vector<std::shared_ptr<RaftServer>> out;
  for (auto& [id, s] : servers_) out.push_back(s);
  return out;
}

Division* ServerCluster::division(uint64_t id) {
  auto s = Server(id);
  return s == nullptr ? nullptr : s->group(kGroup);
}

FaultyTransport* ServerCluster::faults(uint64_t id) {
  std::lock_guard lock(mu_);
  auto it = faulty_.find(id);
  return it == faulty_.end() ? nullptr : it->second;
}

uint64_t ServerCluster::WaitForLeader(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    auto servers = Servers();
    std::map<uint64_t, size_t> followers;  // leader -> members that follow it
    for (auto& s : servers) {
      uint64_t leader = s->group(kGroup)->Status().leader();
      if (leader != 0) ++followers[leader];
    }
    for (auto& [leader, n] : followers) {
      if (n * 2 <= servers.size()) continue;
      auto s = Server(leader);
      if (s != nullptr && s->group(kGroup)->Status().role() == "leader") return leader;
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
  return 0;
}

template <typename Call>
Result ServerCluster::Await(uint64_t id, Call call) {
  auto server = Server(id);
  if (server == nullptr) {
    return Result{absl::UnavailableError("member " + std::to_string(id) + " is down"), "", 0, false,
                  0};
  }
  auto promise = std::make_shared<std::promise<Result>>();
  auto future = promise->get_future();
  call(server->group(kGroup), [promise](Result r) { promise->set_value(std::move(r)); });
  return future.get();
}

Result ServerCluster::Write(uint64_t id, const raftpb::ClientCommand& cmd) {
  return Await(id, [&](Division* d, Done done) { d->Write(cmd, std::move(done)); });
}

Result ServerCluster::Read(uint64_t id, raftpb::ReadConsistency consistency, uint64_t min_index) {
  raftpb::ReadRequest req;
  req.set_query("get");
  req.set_consistency(consistency);
  req.set_min_index(min_index);
  return Await(id, [&](Division* d, Done done) { d->Read(req, std::move(done)); });
}

Result ServerCluster::Membership(uint64_t id, raftpb::MembershipRequest::Op op, uint64_t target) {
  raftpb::MembershipRequest req;
  req.set_op(op);
  req.set_id(target);
  req.set_address(Address(target));
  return Await(id, [&](Division* d, Done done) { d->ChangeMembership(req, std::move(done)); });
}

template <typename Fn>
Result ServerCluster::RetryAtLeader(Fn fn, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  Result last{absl::DeadlineExceededError("no leader"), "", 0, false, 0};
  while (absl::Now() < deadline) {
    uint64_t leader = WaitForLeader(deadline - absl::Now());
    if (leader == 0) break;
    last = fn(leader);
    bool retry = last.not_leader || absl::IsUnavailable(last.status) ||
                 absl::IsDeadlineExceeded(last.status);
    if (!retry) return last;
    absl::SleepFor(absl::Milliseconds(20));
  }
  return last;
}

Result ServerCluster::WriteUntilDone(const raftpb::ClientCommand& cmd, absl::Duration timeout) {
  return RetryAtLeader([&](uint64_t leader) { return Write(leader, cmd); }, timeout);
}

Result ServerCluster::ReadUntilDone(raftpb::ReadConsistency consistency, absl::Duration timeout) {
  return RetryAtLeader([&](uint64_t leader) { return Read(leader, consistency); }, timeout);
}

Result ServerCluster::MembershipUntilDone(raftpb::MembershipRequest::Op op, uint64_t target,
                                          absl::Duration timeout) {
  return RetryAtLeader([&](uint64_t leader) { return Membership(leader, op, target); }, timeout);
}

bool ServerCluster::WaitForApplied(uint64_t index, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    bool all = true;
    for (auto& s : Servers()) all = all && s->group(kGroup)->Status().applied() >= index;
    if (all) return true;
    absl::SleepFor(absl::Milliseconds(20));
  }
  return false;
}

raftpb::ClientCommand ServerCluster::Command(uint64_t client, uint64_t seq,
                                             const std::string& payload) {
  raftpb::ClientCommand cmd;
  cmd.set_client_id(client);
  cmd.set_seq(seq);
  cmd.set_first_incomplete_seq(seq);
  cmd.set_payload(payload);
  return cmd;
}

}  // namespace warren::raft::testing
