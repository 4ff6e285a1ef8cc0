#pragma once

// A zookeeper::Member in one process, without Raft, for the request handler's tests and
// fuzzer.

#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "metastore/validate.h"
#include "metastore/watch_manager.h"
#include "metastore/znode_tree.h"
#include "metastore/zookeeper/member.h"

namespace warren::zookeeper::testing {

// A real ZNodeTree (in a fresh temporary directory, removed with the member) and
// WatchManager, led by nobody: a write applies at the next index as soon as it is asked for,
// and is answered with that index as its zxid; a read runs on the tree as it is. Answers come
// inline, before the call returns, so the handler's inline-completion path is what runs;
// set_deferred() queues them instead until RunDeferred(), as a member waiting on its group
// would. Single-threaded; deterministic but for the handler's own random passwords.
class LocalMember : public Member {
 public:
  // `max_watched_paths`: per session, as --max-watches-per-session.
  static absl::StatusOr<std::unique_ptr<LocalMember>> Open(
      metastore::Limits limits = {},
      size_t max_watched_paths = metastore::WatchManager::kDefaultMaxPathsPerSession);
  ~LocalMember() override;

  // Member.
  void Write(const metastorepb::RequestHeader& header, metastorepb::Command cmd,
             absl::Time deadline, WriteDone done) override;
  void Read(const metastorepb::RequestHeader& header, absl::Time deadline, metastorepb::Query query,
            ReadDone done) override;
  void AfterCatchUp(uint64_t zxid, absl::Duration bound, std::function<void(bool)> then) override;
  absl::Status CheckLeaderContact(int64_t timeout_ms) override { return leader_contact_; }
  void Touch(uint64_t session, bool attached) override { touches_.emplace_back(session, attached); }
  // A group of one changes no membership: answered SystemError.
  void ChangeMembership(const raftpb::MembershipRequest& req, absl::Time deadline,
                        std::function<void(const metastorepb::ResponseHeader&)> done) override;
  // Runs `fn` now (or queues it, when deferred): no time passes here.
  void RunAfter(absl::Duration, std::function<void()> fn) override { Answer(std::move(fn)); }
  void GroupStatus(std::function<void(raftpb::GroupStatus)> done) override;
  metastore::ZNodeTree& tree() override { return *tree_; }
  metastore::WatchManager& watches() override { return watches_; }

  // Applies `cmd` at the next index as the leader would its own housekeeping (expiring
  // sessions, deleting nodes), past the checks a client's write gets.
  metastorepb::CommandReply Apply(metastorepb::Command cmd);

  // Answers from now on wait in a queue until RunDeferred.
  void set_deferred(bool deferred) { deferred_ = deferred; }
  // Runs queued answers, and those they queue, oldest first; returns how many ran.
  size_t RunDeferred();
  // What CheckLeaderContact answers.
  void set_leader_contact(absl::Status s) { leader_contact_ = std::move(s); }
  // (session, attached) for every Touch, oldest first.
  const std::vector<std::pair<uint64_t, bool>>& touches() const { return touches_; }
  void ClearTouches() { touches_.clear(); }

 private:
  LocalMember(std::filesystem::path dir, size_t max_watched_paths)
      : dir_(std::move(dir)), watches_(max_watched_paths) {}
  // Runs `fn` now, or queues it when deferred.
  void Answer(std::function<void()> fn);

  const std::filesystem::path dir_;
  metastore::WatchManager watches_;
  std::unique_ptr<metastore::ZNodeTree> tree_;
  int64_t now_ms_ = 1700000000000;  // the leader's clock, one millisecond per write
  bool deferred_ = false;
  std::deque<std::function<void()>> queue_;
  absl::Status leader_contact_;
  std::vector<std::pair<uint64_t, bool>> touches_;
};

}  // namespace warren::zookeeper::testing
