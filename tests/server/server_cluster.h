#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "raft/server/raft_server.h"
#include "raft/transport/faulty_transport.h"
#include "raft/transport/memory_transport.h"
#include "tests/log/log_test_util.h"

namespace warren::raft::testing {

// Real RaftServers hosting one counter group each, wired by a MemoryTransport behind a
// FaultyTransport, with data directories under one temp dir. Members can be stopped and
// restarted on the same directory, cut off, or have their messages delayed and lost.
class ServerCluster {
 public:
  static constexpr const char* kGroup = "counter";

  // Makes member `id`'s state machine; `dir` is the member's own directory for it.
  using StateMachineFactory =
      std::function<std::unique_ptr<StateMachine>(uint64_t id, const std::string& dir)>;

  // Members 1..n found the group; `base` supplies the tunables. The state machine is a
  // CounterStateMachine unless `make_sm` says otherwise.
  ServerCluster(int n, GroupOptions base, StateMachineFactory make_sm = nullptr);
  ~ServerCluster();

  // Starts member `id` (again) on its data directory. A member not among the founders must
  // be started with join = true.
  absl::Status Start(uint64_t id, bool join = false);
  void Stop(uint64_t id);
  bool running(uint64_t id);

  // The member's group. Only while no other thread stops that member.
  Division* division(uint64_t id);
  // The member's transport, to inject faults into; nullptr if it is not running.
  FaultyTransport* faults(uint64_t id);
  std::string DataDir(uint64_t id) const;
  static std::string Address(uint64_t id) { return "m" + std::to_string(id); }

  // The leader that the running members agree on, waiting up to `timeout`; 0 if none.
  uint64_t WaitForLeader(absl::Duration timeout = absl::Seconds(20));

  // One request to one member, waiting for its answer.
  Result Write(uint64_t id, const raftpb::ClientCommand& cmd);
  Result Read(uint64_t id, raftpb::ReadConsistency consistency, uint64_t min_index = 0);
  Result Membership(uint64_t id, raftpb::MembershipRequest::Op op, uint64_t target);
  // Retries `cmd` unchanged (same client id and seq) at whoever leads until it succeeds or
  // `timeout` passes, as RaftClient does.
  Result WriteUntilDone(const raftpb::ClientCommand& cmd,
                        absl::Duration timeout = absl::Seconds(30));
  Result ReadUntilDone(raftpb::ReadConsistency consistency,
                       absl::Duration timeout = absl::Seconds(30));
  Result MembershipUntilDone(raftpb::MembershipRequest::Op op, uint64_t target,
                             absl::Duration timeout = absl::Seconds(30));

  // Waits until every running member has applied at least `index`.
  bool WaitForApplied(uint64_t index, absl::Duration timeout = absl::Seconds(20));

  static raftpb::ClientCommand Command(uint64_t client, uint64_t seq, const std::string& payload);

 private:
  template <typename Fn>
  Result RetryAtLeader(Fn fn, absl::Duration timeout);
  // Calls `call(division, done)` on a running member and waits for `done`; the member is
  // kept alive meanwhile even if another thread stops it.
  template <typename Call>
  Result Await(uint64_t id, Call call);
  std::shared_ptr<RaftServer> Server(uint64_t id);
  std::vector<std::shared_ptr<RaftServer>> Servers();

  GroupOptions base_;
  StateMachineFactory make_sm_;
  std::map<uint64_t, std::string> founders_;
  TempDir root_;
  MemoryNetwork network_;
  std::mutex mu_;  // tests may stop and start members from another thread
  std::map<uint64_t, std::shared_ptr<RaftServer>> servers_;
  std::map<uint64_t, FaultyTransport*> faulty_;
  uint64_t next_seed_ = 1;
};

// Options for a group in a hurry: 20 ms ticks (elections in 200-400 ms), 5 s requests.
inline GroupOptions FastGroupOptions() {
  GroupOptions o;
  o.tick = absl::Milliseconds(20);
  o.request_timeout = absl::Seconds(5);
  return o;
}

// A command for the counter state machine.
inline std::string Incr(int n = 1) { return "incr " + std::to_string(n); }

}  // namespace warren::raft::testing
