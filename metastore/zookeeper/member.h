#pragma once

#include <functional>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "metastore/watch_manager.h"
#include "metastore/znode_tree.h"
#include "proto/metastore.pb.h"
#include "proto/raft_service.pb.h"

namespace warren::zookeeper {

// What ZooKeeper's port needs from the member it runs on: the same writes, reads, sessions
// and watches the member's gRPC API serves (metastore::MetastoreService implements it).
class Member {
 public:
  using WriteDone =
      std::function<void(const metastorepb::ResponseHeader&, const metastorepb::CommandReply&)>;
  using ReadDone =
      std::function<void(const metastorepb::ResponseHeader&, const metastorepb::QueryReply&)>;

  virtual ~Member() = default;

  // A client's write: proposed here if this member leads, else forwarded to the leader and
  // answered once applied here too. `done` gets the header (error, zxid) and the reply.
  virtual void Write(const metastorepb::RequestHeader& header, metastorepb::Command cmd,
                     absl::Time deadline, WriteDone done) = 0;
  // A read at header.consistency, never from a state older than header.min_zxid.
  virtual void Read(const metastorepb::RequestHeader& header, absl::Time deadline,
                    metastorepb::Query query, ReadDone done) = 0;
  // Calls `then(true)` once this member has applied `zxid`, `then(false)` if it has not
  // within `bound`.
  virtual void AfterCatchUp(uint64_t zxid, absl::Duration bound,
                            std::function<void(bool)> then) = 0;
  // LeaderUnreachable if this member has been out of touch with the leader for longer than a
  // session of `timeout_ms` can wait.
  virtual absl::Status CheckLeaderContact(int64_t timeout_ms) = 0;
  // A sign of life from a session whose client is connected here.
  virtual void Touch(uint64_t session, bool attached) = 0;
  // A membership change (add a learner, promote, remove), made by the leader: asked of it if
  // this member does not lead. `done` gets the header (error, zxid).
  virtual void ChangeMembership(const raftpb::MembershipRequest& req, absl::Time deadline,
                                std::function<void(const metastorepb::ResponseHeader&)> done) = 0;
  // Runs `fn` after `delay`, on a thread of the member's.
  virtual void RunAfter(absl::Duration delay, std::function<void()> fn) = 0;
  // The Raft group's status as this member sees it (role, leader, members).
  virtual void GroupStatus(std::function<void(raftpb::GroupStatus)> done) = 0;

  virtual metastore::ZNodeTree& tree() = 0;
  virtual metastore::WatchManager& watches() = 0;
};

}  // namespace warren::zookeeper
