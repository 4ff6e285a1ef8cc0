// A one-process member: writes apply at once at the next index, reads run on the tree.
#include "tests/zookeeper/local_member.h"

#include <unistd.h>

#include <atomic>

#include "absl/strings/str_cat.h"
#include "glog/logging.h"
#include "metastore/errors.h"

namespace warren::zookeeper::testing {
namespace fs = std::filesystem;

absl::StatusOr<std::unique_ptr<LocalMember>> LocalMember::Open(metastore::Limits limits,
                                                               size_t max_watched_paths) {
  static std::atomic<int> opened{0};
  fs::path dir = fs::temp_directory_path() /
                 absl::StrCat("warren-zk-member-", getpid(), "-", opened.fetch_add(1));
  std::error_code ec;
  fs::remove_all(dir, ec);
  fs::create_directories(dir, ec);
  if (ec) return absl::InternalError(absl::StrCat("create ", dir.string(), ": ", ec.message()));
  std::unique_ptr<LocalMember> member(new LocalMember(dir, max_watched_paths));
  auto tree = metastore::ZNodeTree::Open(
      metastore::TreeOptions{(dir / "tree").string(), std::move(limits)}, &member->watches_);
  if (!tree.ok()) return tree.status();
  member->tree_ = std::move(*tree);
  return member;
}

LocalMember::~LocalMember() {
  tree_.reset();
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

void LocalMember::Answer(std::function<void()> fn) {
  if (deferred_) {
    queue_.push_back(std::move(fn));
  } else {
    fn();
  }
}

size_t LocalMember::RunDeferred() {
  size_t ran = 0;
  while (!queue_.empty()) {
    std::function<void()> fn = std::move(queue_.front());
    queue_.pop_front();
    fn();
    ++ran;
  }
  return ran;
}

metastorepb::CommandReply LocalMember::Apply(metastorepb::Command cmd) {
  const uint64_t index = tree_->LastApplied() + 1;
  if (cmd.time_ms() == 0) cmd.set_time_ms(++now_ms_);
  auto out = tree_->Apply(index, cmd.SerializeAsString());
  CHECK(out.ok()) << out.status();
  // Written out at once, so the tree's staged batch never grows past one command.
  auto persisted = tree_->Persist(index, {});
  CHECK(persisted.ok()) << persisted;
  metastorepb::CommandReply reply;
  CHECK(reply.ParseFromString(*out));
  return reply;
}

// As MetastoreService::Propose checks a client's write, then as its group applies it.
void LocalMember::Write(const metastorepb::RequestHeader& header, metastorepb::Command cmd,
                        absl::Time deadline, WriteDone done) {
  cmd.DiscardUnknownFields();
  absl::Status checked = metastore::ValidateClientCommand(cmd, tree_->limits());
  if (checked.ok()) checked = metastore::ValidateCommandPaths(cmd, tree_->limits());
  if (checked.ok() && header.client_id() != 0 &&
      (header.seq() == 0 || header.first_incomplete_seq() > header.seq())) {
    checked = metastore::MetaError(metastorepb::BAD_ARGUMENTS, "bad exactly-once sequence");
  }
  if (checked.ok() && cmd.ByteSizeLong() > tree_->limits().max_command_bytes) {
    checked = metastore::MetaError(metastorepb::BAD_ARGUMENTS, "the write is too large");
  }
  if (!checked.ok()) {
    return Answer([h = metastore::ErrorHeader(checked), done = std::move(done)] { done(h, {}); });
  }
  if (cmd.session_id() == 0) cmd.set_session_id(header.session_id());
  cmd.set_max_children(tree_->limits().max_children_per_node);
  Answer([this, cmd = std::move(cmd), done = std::move(done)] {
    metastorepb::CommandReply reply = Apply(cmd);
    metastorepb::ResponseHeader h;
    h.set_error(reply.error());
    h.set_message(reply.message());
    h.set_zxid(tree_->LastApplied());
    done(h, reply);
  });
}

// As a sequential read at a member that has applied everything: never older than min_zxid.
void LocalMember::Read(const metastorepb::RequestHeader& header, absl::Time deadline,
                       metastorepb::Query query, ReadDone done) {
  query.set_session_id(header.session_id());
  Answer([this, min_zxid = header.min_zxid(), query = std::move(query), done = std::move(done)] {
    metastorepb::ResponseHeader h;
    metastorepb::QueryReply reply;
    h.set_zxid(tree_->LastApplied());
    if (min_zxid > tree_->LastApplied()) {
      h.set_error(metastorepb::MEMBER_BEHIND);
      h.set_message(absl::StrCat("MemberBehind: the client has seen zxid ", min_zxid));
      return done(h, reply);
    }
    auto out = tree_->Query(query.SerializeAsString());
    CHECK(out.ok()) << out.status();
    CHECK(reply.ParseFromString(*out));
    h.set_error(reply.error());
    h.set_message(reply.message());
    done(h, reply);
  });
}

void LocalMember::AfterCatchUp(uint64_t zxid, absl::Duration bound,
                               std::function<void(bool)> then) {
  Answer([this, zxid, then = std::move(then)] { then(tree_->LastApplied() >= zxid); });
}

void LocalMember::ChangeMembership(const raftpb::MembershipRequest&, absl::Time,
                                   std::function<void(const metastorepb::ResponseHeader&)> done) {
  Answer([done = std::move(done)] {
    metastorepb::ResponseHeader h;
    h.set_error(metastorepb::SYSTEM_ERROR);  // not to be tried again
    h.set_message("SystemError: a local member has no group to change");
    done(h);
  });
}

void LocalMember::GroupStatus(std::function<void(raftpb::GroupStatus)> done) {
  Answer([this, done = std::move(done)] {
    raftpb::GroupStatus gs;
    gs.set_id(1);
    gs.set_role("leader");
    gs.set_leader(1);
    gs.set_term(1);
    gs.set_commit(tree_->LastApplied());
    gs.set_applied(tree_->LastApplied());
    auto* m = gs.add_members();
    m->set_id(1);
    m->set_address("127.0.0.1:7001");
    m->set_role("voter");
    done(std::move(gs));
  });
}

}  // namespace warren::zookeeper::testing
