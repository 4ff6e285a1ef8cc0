// How a group treats the requests it is sent: retries, read contexts, forgotten clients and
// a stalled leader's lease.
#include <condition_variable>
#include <future>
#include <mutex>
#include <set>

#include "gtest/gtest.h"
#include "raft/log/memory_log_store.h"
#include "raft/server/raft_server.h"
#include "raft/server/read_context.h"
#include "tests/server/server_cluster.h"

namespace warren::raft {
namespace {

using testing::FastGroupOptions;
using testing::Incr;
using testing::ServerCluster;

std::future<Result> WriteAsync(Division* d, const raftpb::ClientCommand& cmd) {
  auto p = std::make_shared<std::promise<Result>>();
  d->Write(cmd, [p](Result r) { p->set_value(std::move(r)); });
  return p->get_future();
}

TEST(DivisionRequestsTest, ARetryOfAPendingWriteJoinsItInsteadOfBeingAppendedAgain) {
  // Found by warren-sim (seed 81000370 at 20,000 steps): a leader that appends every retry
  // of a request it has not committed yet grows its log faster than slow followers can
  // take it, and never catches up.
  GroupOptions o = FastGroupOptions();
  o.raft.check_quorum = false;  // stay leader while cut off
  o.raft.election_tick = 100;   // and give the followers no reason to elect another soon
  ServerCluster c(3, o);
  for (uint64_t id = 1; id <= 3; ++id) ASSERT_TRUE(c.Start(id).ok());
  ASSERT_TRUE(c.WriteUntilDone(ServerCluster::Command(1, 1, Incr())).status.ok());
  uint64_t leader = c.WaitForLeader();
  for (uint64_t id = 1; id <= 3; ++id) {
    if (id != leader) c.faults(leader)->Block(id);
  }
  const uint64_t last_before = c.division(leader)->Status().last_index();
  auto cmd = ServerCluster::Command(1, 2, Incr(5));
  auto first = WriteAsync(c.division(leader), cmd);
  auto retry = WriteAsync(c.division(leader), cmd);
  auto another_retry = WriteAsync(c.division(leader), cmd);
  EXPECT_EQ(c.division(leader)->Status().last_index(), last_before + 1);
  c.faults(leader)->UnblockAll();
  Result r1 = first.get(), r2 = retry.get(), r3 = another_retry.get();
  for (const Result& r : {r1, r2, r3}) {
    ASSERT_TRUE(r.status.ok()) << r.status;
    EXPECT_EQ(r.payload, "6");
    EXPECT_EQ(r.index, last_before + 1);
  }
}

TEST(DivisionRequestsTest, AForgottenClientsRetryIsNotAppliedTwice) {
  GroupOptions o = FastGroupOptions();
  o.dedup_max_clients = 1;  // every new client pushes the last one out
  ServerCluster c(3, o);
  for (uint64_t id = 1; id <= 3; ++id) ASSERT_TRUE(c.Start(id).ok());
  ASSERT_TRUE(c.WriteUntilDone(ServerCluster::Command(1, 1, Incr())).status.ok());
  auto second = ServerCluster::Command(1, 2, Incr(10));
  second.set_first_incomplete_seq(2);
  ASSERT_EQ(c.WriteUntilDone(second).payload, "11");
  ASSERT_TRUE(c.WriteUntilDone(ServerCluster::Command(2, 1, Incr())).status.ok());  // 1 out
  // Client 1 never heard its answer and retries: refused, the counter stays where it is.
  second.set_retry(true);
  Result again = c.WriteUntilDone(second);
  EXPECT_EQ(again.status.code(), absl::StatusCode::kAborted) << again.status;
  auto third = ServerCluster::Command(1, 3, Incr(100));
  third.set_first_incomplete_seq(3);
  Result next = c.WriteUntilDone(third);
  ASSERT_TRUE(next.status.ok()) << next.status;
  EXPECT_EQ(next.payload, "112");
}

TEST(DivisionRequestsTest, ARestartedMemberNeverReusesAReadContext) {
  // A late answer to a read of the previous incarnation must not match a new read: its
  // read point may be older than writes acknowledged since. Names used to be "<id>:<n>"
  // with n from 0 at every start.
  std::set<std::string> before;
  ReadContextNamer first_life(2);
  for (int i = 0; i < 1000; ++i) before.insert(first_life.Next());
  ReadContextNamer second_life(2);
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(before.count(second_life.Next()), 0u);
  EXPECT_EQ(before.size(), 1000u);
}

// A log held in memory whose Sync, once armed for one member's directory, blocks until
// released: that member's raft thread stops as a paused process's would.
struct SyncStall {
  std::mutex mu;
  std::condition_variable cv;
  std::string armed_dir;
  bool stalled = false;
  bool released = false;
};

class StallingLogStore : public MemoryLogStore {
 public:
  StallingLogStore(std::shared_ptr<SyncStall> stall, std::string dir)
      : stall_(std::move(stall)), dir_(std::move(dir)) {}
  absl::Status Sync() override {
    std::unique_lock lock(stall_->mu);
    if (stall_->armed_dir == dir_) {
      stall_->armed_dir.clear();
      stall_->stalled = true;
      stall_->cv.notify_all();
      stall_->cv.wait_for(lock, std::chrono::seconds(20), [&] { return stall_->released; });
    }
    return absl::OkStatus();
  }

 private:
  std::shared_ptr<SyncStall> stall_;
  std::string dir_;
};

TEST(DivisionRequestsTest, AStalledLeaderServesNoLeaseReadAfterANewLeaderCommitted) {
  auto stall = std::make_shared<SyncStall>();
  GroupOptions o = FastGroupOptions();
  o.raft.read_only = ReadOnlyOption::kLeaseBased;
  o.request_timeout = absl::Seconds(2);
  o.make_log = [stall](const std::string& dir) -> absl::StatusOr<std::unique_ptr<LogStore>> {
    return std::make_unique<StallingLogStore>(stall, dir);
  };
  ServerCluster c(3, o);
  for (uint64_t id = 1; id <= 3; ++id) ASSERT_TRUE(c.Start(id).ok());
  ASSERT_TRUE(c.WriteUntilDone(ServerCluster::Command(1, 1, Incr())).status.ok());
  const uint64_t old_leader = c.WaitForLeader();
  ASSERT_TRUE(c.Read(old_leader, raftpb::LINEARIZABLE).status.ok());

  // The leader's next sync stalls (longer than an election timeout, until released), and a
  // read reaches it meanwhile. The others stop hearing from it and elect a new leader,
  // whose messages do not reach the old one, and commit a write there.
  {
    std::lock_guard lock(stall->mu);
    stall->armed_dir = c.DataDir(old_leader);
  }
  Division* stalled = c.division(old_leader);
  stalled->Write(ServerCluster::Command(1, 2, Incr()), [](Result) {});
  {
    std::unique_lock lock(stall->mu);
    ASSERT_TRUE(stall->cv.wait_for(lock, std::chrono::seconds(10), [&] { return stall->stalled; }));
  }
  auto read = std::make_shared<std::promise<Result>>();
  raftpb::ReadRequest req;
  req.set_query("get");
  req.set_consistency(raftpb::LINEARIZABLE);
  stalled->Read(req, [read](Result r) { read->set_value(std::move(r)); });
  std::vector<uint64_t> others;
  for (uint64_t id = 1; id <= 3; ++id) {
    if (id == old_leader) continue;
    others.push_back(id);
    c.faults(id)->Block(old_leader);
  }
  Result committed{absl::UnknownError("not yet written"), "", 0, false, 0};
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (absl::Now() < deadline && !committed.status.ok()) {
    for (uint64_t id : others) {
      committed = c.Write(id, ServerCluster::Command(2, 1, Incr(100)));
      if (committed.status.ok()) break;
    }
    if (!committed.status.ok()) absl::SleepFor(absl::Milliseconds(20));
  }
  ASSERT_TRUE(committed.status.ok()) << committed.status;
  {
    std::lock_guard lock(stall->mu);
    stall->released = true;
  }
  stall->cv.notify_all();
  // The old leader's lease ran out while it was stalled, whatever its ticks say: it must
  // not answer from its own state, which lacks the new leader's write.
  Result r = read->get_future().get();
  if (r.status.ok()) {
    EXPECT_GE(std::stoi(r.payload), 101) << "a stale read served at index " << r.index;
  }
}

TEST(DivisionRequestsTest, ALearnerThatHasReceivedNothingIsNotPromoted) {
  // The log is far shorter than max_promote_lag, so lag alone let an empty learner become a
  // voter; it knows no membership and grants no vote, and with another member down the
  // group could elect no one.
  ServerCluster c(3, FastGroupOptions());
  for (uint64_t id = 1; id <= 3; ++id) ASSERT_TRUE(c.Start(id).ok());
  ASSERT_TRUE(c.WriteUntilDone(ServerCluster::Command(1, 1, Incr())).status.ok());
  ASSERT_TRUE(c.Start(4, /*join=*/true).ok());
  const uint64_t leader = c.WaitForLeader();
  c.faults(leader)->Block(4);
  Result add = c.MembershipUntilDone(raftpb::MembershipRequest::ADD_LEARNER, 4);
  ASSERT_TRUE(add.status.ok()) << add.status;
  Result early = c.Membership(leader, raftpb::MembershipRequest::PROMOTE, 4);
  EXPECT_EQ(early.status.code(), absl::StatusCode::kFailedPrecondition) << early.status;
  c.faults(leader)->UnblockAll();
  ASSERT_TRUE(c.WaitForApplied(add.index));
  Result promote = c.MembershipUntilDone(raftpb::MembershipRequest::PROMOTE, 4);
  EXPECT_TRUE(promote.status.ok()) << promote.status;
}

}  // namespace
}  // namespace warren::raft
