#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "proto/raft_service.pb.h"

namespace warren::raft {

struct ClientOptions {
  std::string group = "default";
  // Member id -> host:port. Any member will do; followers point at the leader.
  std::map<uint64_t, std::string> members;
  // A request gives up after this long, retries included.
  absl::Duration deadline = absl::Seconds(30);
  // One attempt against one member gives up after this long.
  absl::Duration attempt_timeout = absl::Seconds(5);
  absl::Duration initial_backoff = absl::Milliseconds(20);
  absl::Duration max_backoff = absl::Seconds(1);
  // Threads that carry asynchronous requests: how many may be in flight at once.
  int async_threads = 16;
};

// What a group answered.
struct ClientReply {
  std::string payload;
  uint64_t index = 0;
};

// A client of one Raft group over gRPC. Finds the leader (followers answer with a hint),
// retries with exponential backoff until the deadline, and makes writes exactly-once: every
// write gets a sequence number that stays the same across its retries, so the group applies
// it once however often it is sent. Thread-safe.
class RaftClient {
 public:
  static absl::StatusOr<std::unique_ptr<RaftClient>> Create(ClientOptions options);
  ~RaftClient();

  absl::StatusOr<ClientReply> Write(std::string command);
  // LINEARIZABLE reads see every write acknowledged before they started; SEQUENTIAL reads
  // may be served by any member but never see older state than this client already saw.
  absl::StatusOr<ClientReply> Read(std::string query,
                                   raftpb::ReadConsistency consistency = raftpb::LINEARIZABLE);
  absl::StatusOr<ClientReply> ChangeMembership(const raftpb::MembershipRequest& req);
  // The status as seen by one member (0: whichever answers first).
  absl::StatusOr<raftpb::GroupStatus> Status(uint64_t member = 0);

  // Run on the client's pool (async_threads at once); writes in flight together are not
  // ordered among themselves. Wait for a future before a write that must come after it.
  std::future<absl::StatusOr<ClientReply>> WriteAsync(std::string command);
  std::future<absl::StatusOr<ClientReply>> ReadAsync(std::string query,
                                                     raftpb::ReadConsistency consistency);

  uint64_t client_id() const { return client_id_; }
  uint64_t last_seen_index() const { return last_seen_index_.load(); }

 private:
  struct Member;
  explicit RaftClient(ClientOptions options);
  // Sends `req` until it succeeds, fails for good, or the deadline passes.
  absl::StatusOr<raftpb::ClientReply> Call(raftpb::ClientRequest req, uint64_t only_member);
  static std::unique_ptr<Member> NewMember(uint64_t id, const std::string& address);
  Member* FindMember(uint64_t id);
  // The member after `after` in id order, wrapping around.
  Member* NextMember(uint64_t after);
  // Leaders we were not told about (added since the client started) are learned from hints.
  void LearnMember(uint64_t id, const std::string& address);
  void Submit(std::function<void()> job);
  void WorkerLoop();

  const ClientOptions options_;
  const uint64_t client_id_;
  std::mutex members_mu_;
  // Members are never destroyed before the client, so a Member* stays valid while in use;
  // one whose address changed moves to retired_.
  std::map<uint64_t, std::unique_ptr<Member>> members_;
  std::vector<std::unique_ptr<Member>> retired_;
  std::atomic<uint64_t> leader_hint_{0};
  std::atomic<uint64_t> last_seen_index_{0};

  std::mutex seq_mu_;
  uint64_t next_seq_ = 1;
  std::set<uint64_t> in_flight_;

  std::mutex pool_mu_;
  std::condition_variable pool_cv_;
  std::deque<std::function<void()>> jobs_;
  bool stopping_ = false;
  std::vector<std::thread> workers_;
};

// Parses "1=127.0.0.1:7001,2=127.0.0.1:7002" into member id -> address.
absl::StatusOr<std::map<uint64_t, std::string>> ParseMembers(const std::string& spec);

}  // namespace warren::raft
