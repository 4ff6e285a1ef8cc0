#include "tests/metastore/tree_fixture.h"

#include "absl/strings/str_cat.h"

namespace warren::metastore {
namespace fs = std::filesystem;

void TreeTest::SetUp() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  dir_ = fs::temp_directory_path() /
         absl::StrCat("warren-tree-", info->test_suite_name(), "-", info->name(), "-", getpid());
  fs::remove_all(dir_);
  fs::create_directories(dir_);
  Reopen();
}

void TreeTest::TearDown() {
  tree_.reset();
  fs::remove_all(dir_);
}

void TreeTest::Reopen() {
  tree_.reset();
  TreeOptions options;
  options.dir = (dir_ / "tree").string();
  options.event_history = event_history_;
  auto tree = ZNodeTree::Open(options, &watches_);
  ASSERT_TRUE(tree.ok()) << tree.status();
  tree_ = std::move(*tree);
  index_ = std::max(index_, tree_->LastApplied());
}

metastorepb::CommandReply TreeTest::Run(const metastorepb::Command& cmd) {
  metastorepb::Command c = cmd;
  if (c.time_ms() == 0) c.set_time_ms(now_ms_);
  auto out = tree_->Apply(++index_, c.SerializeAsString());
  EXPECT_TRUE(out.ok()) << out.status();
  metastorepb::CommandReply reply;
  EXPECT_TRUE(reply.ParseFromString(*out));
  return reply;
}

metastorepb::CommandReply TreeTest::Write(const metastorepb::Op& op, uint64_t session) {
  metastorepb::Command cmd;
  cmd.set_session_id(session);
  *cmd.mutable_multi()->add_ops() = op;
  return Run(cmd);
}

metastorepb::CommandReply TreeTest::Create(const std::string& path, const std::string& data,
                                           uint64_t session, bool ephemeral, bool sequential) {
  metastorepb::Op op = CreateOp(path, data);
  op.mutable_create()->set_ephemeral(ephemeral);
  op.mutable_create()->set_sequential(sequential);
  return Write(op, session);
}

metastorepb::CommandReply TreeTest::SetData(const std::string& path, const std::string& data,
                                            int version) {
  return Write(SetOp(path, data, version));
}

metastorepb::CommandReply TreeTest::Delete(const std::string& path, int version) {
  return Write(DeleteOp(path, version));
}

uint64_t TreeTest::NewSession(int64_t timeout_ms) {
  metastorepb::Command cmd;
  cmd.mutable_create_session()->set_timeout_ms(timeout_ms);
  return Run(cmd).session_id();
}

metastorepb::QueryReply TreeTest::Ask(const metastorepb::Query& q) {
  auto out = tree_->Query(q.SerializeAsString());
  EXPECT_TRUE(out.ok()) << out.status();
  metastorepb::QueryReply reply;
  EXPECT_TRUE(reply.ParseFromString(*out));
  return reply;
}

metastorepb::QueryReply TreeTest::Get(const std::string& path, uint64_t session, bool watch) {
  metastorepb::Query q;
  q.set_session_id(session);
  q.mutable_get_data()->set_path(path);
  q.mutable_get_data()->set_watch(watch);
  return Ask(q);
}

bool TreeTest::Exists(const std::string& path) {
  metastorepb::Query q;
  q.mutable_exists()->set_path(path);
  return Ask(q).exists();
}

std::vector<std::string> TreeTest::Children(const std::string& path) {
  metastorepb::Query q;
  q.mutable_get_children()->set_path(path);
  std::vector<std::string> out;
  auto reply = Ask(q);
  for (const auto& c : reply.children()) out.push_back(c.name());
  return out;
}

void TreeTest::Listen(uint64_t session) {
  watches_.Attach(session, [this, session](const metastorepb::SessionEvent& e) {
    events_[session].push_back(e);
  });
}

}  // namespace warren::metastore
