// The apply-side rules of sessions with secrets: a command that carries a password
// (Command.session_password, stamped by the member from its client's request) must carry the
// session's, one without it is not checked, and a random id a live session has is refused.
#include <optional>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "metastore/ops.h"
#include "metastore/session_secret.h"
#include "metastore/znode_tree.h"
#include "tests/metastore/tree_fixture.h"

namespace warren::metastore {
namespace {

using ::testing::HasSubstr;

constexpr uint64_t kId = 0x5eed5eed5eed;
const std::string kPassword = "0123456789abcdef";

class SessionSecretTree : public TreeTest {
 protected:
  metastorepb::CommandReply CreateSession(uint64_t id, const std::string& password) {
    metastorepb::Command cmd;
    cmd.mutable_create_session()->set_timeout_ms(5000);
    cmd.mutable_create_session()->set_id(id);
    cmd.mutable_create_session()->set_password(password);
    return Run(cmd);
  }

  // An ephemeral create in `session`, with `password` as the command's (none if nullopt).
  metastorepb::CommandReply Ephemeral(const std::string& path, uint64_t session,
                                      std::optional<std::string> password) {
    metastorepb::Command cmd;
    cmd.set_session_id(session);
    if (password.has_value()) cmd.set_session_password(*password);
    metastorepb::Op op = CreateOp(path, "");
    op.mutable_create()->set_ephemeral(true);
    *cmd.mutable_multi()->add_ops() = op;
    return Run(cmd);
  }

  metastorepb::CommandReply Close(uint64_t session, std::optional<std::string> password) {
    metastorepb::Command cmd;
    cmd.set_session_id(session);
    if (password.has_value()) cmd.set_session_password(*password);
    cmd.set_close_session(true);
    return Run(cmd);
  }
};

TEST_F(SessionSecretTree, ASessionTakesTheIdItsCommandCarriesAndAnsweredWithItsPassword) {
  auto r = CreateSession(kId, kPassword);
  ASSERT_EQ(r.error(), metastorepb::OK) << r.message();
  EXPECT_EQ(r.session_id(), kId);
  EXPECT_EQ(r.session_password(), kPassword);
  EXPECT_TRUE(tree_->HasSession(kId));
  EXPECT_EQ(tree_->SessionPassword(kId), kPassword);
  EXPECT_FALSE(tree_->HasSession(index_)) << "the index was taken as the id too";

  // An entry from before ids were random carries none: its index is the id, as before.
  metastorepb::Command old;
  old.mutable_create_session()->set_timeout_ms(5000);
  auto legacy = Run(old);
  ASSERT_EQ(legacy.error(), metastorepb::OK) << legacy.message();
  EXPECT_EQ(legacy.session_id(), index_);

  // Both come back from disk with their passwords.
  ASSERT_TRUE(tree_->Persist(index_, {}).ok());
  Reopen();
  EXPECT_EQ(tree_->SessionPassword(kId), kPassword);
  EXPECT_TRUE(tree_->HasSession(legacy.session_id()));
}

TEST_F(SessionSecretTree, AnIdALiveSessionHasIsRefusedAndChangesNothing) {
  ASSERT_EQ(CreateSession(kId, kPassword).error(), metastorepb::OK);
  auto again = CreateSession(kId, "another password");
  EXPECT_EQ(again.error(), metastorepb::NODE_EXISTS) << again.message();
  EXPECT_THAT(again.message(), HasSubstr("session 0x5eed5eed5eed"));
  EXPECT_EQ(tree_->session_count(), 1u);
  EXPECT_EQ(tree_->SessionPassword(kId), kPassword) << "the live session's password changed";

  // Once the first has ended, the id may be given again.
  ASSERT_EQ(Close(kId, kPassword).error(), metastorepb::OK);
  EXPECT_EQ(CreateSession(kId, "another password").error(), metastorepb::OK);
}

TEST_F(SessionSecretTree, AWriteOrCloseWithoutTheSessionsPasswordIsRefusedAndChangesNothing) {
  ASSERT_EQ(CreateSession(kId, kPassword).error(), metastorepb::OK);
  for (const std::string& wrong :
       {std::string(), std::string("0123456789abcdeF"), std::string("0123456789abcde")}) {
    auto write = Ephemeral("/e", kId, wrong);
    EXPECT_EQ(write.error(), metastorepb::AUTH_FAILED) << write.message();
    EXPECT_THAT(write.message(), HasSubstr("session 0x5eed5eed5eed"));
    EXPECT_FALSE(Exists("/e"));
    auto close = Close(kId, wrong);
    EXPECT_EQ(close.error(), metastorepb::AUTH_FAILED) << close.message();
    EXPECT_TRUE(tree_->HasSession(kId));
  }
  // An unknown session is still SessionExpired, whatever is presented.
  EXPECT_EQ(Close(kId + 1, kPassword).error(), metastorepb::SESSION_EXPIRED);

  auto owner = Ephemeral("/e", kId, kPassword);
  ASSERT_EQ(owner.error(), metastorepb::OK) << owner.message();
  EXPECT_TRUE(Exists("/e"));
  ASSERT_EQ(Close(kId, kPassword).error(), metastorepb::OK);
  EXPECT_FALSE(tree_->HasSession(kId));
  EXPECT_FALSE(Exists("/e"));
}

// The ZooKeeper port (its connection proved the password at the handshake), the leader's
// housekeeping and entries from before the field existed carry no password: not checked.
TEST_F(SessionSecretTree, ACommandWithoutAPasswordIsNotChecked) {
  ASSERT_EQ(CreateSession(kId, kPassword).error(), metastorepb::OK);
  auto write = Ephemeral("/e", kId, std::nullopt);
  ASSERT_EQ(write.error(), metastorepb::OK) << write.message();
  ASSERT_EQ(Close(kId, std::nullopt).error(), metastorepb::OK);
  EXPECT_FALSE(Exists("/e"));
}

TEST_F(SessionSecretTree, AWatchForASessionNeedsItsPasswordWhenOneIsPresented) {
  ASSERT_EQ(CreateSession(kId, kPassword).error(), metastorepb::OK);
  ASSERT_EQ(Create("/w").error(), metastorepb::OK);
  Listen(kId);
  metastorepb::Query q;
  q.set_session_id(kId);
  q.mutable_get_data()->set_path("/w");
  q.mutable_get_data()->set_watch(true);
  q.set_session_password("not it");
  auto refused = Ask(q);
  EXPECT_EQ(refused.error(), metastorepb::AUTH_FAILED) << refused.message();
  ASSERT_EQ(SetData("/w", "1").error(), metastorepb::OK);
  EXPECT_TRUE(events_[kId].empty()) << "a watch was set without the password";

  q.set_session_password(kPassword);
  ASSERT_EQ(Ask(q).error(), metastorepb::OK);
  ASSERT_EQ(SetData("/w", "2").error(), metastorepb::OK);
  EXPECT_EQ(events_[kId].size(), 1u);
}

TEST(SessionSecret, IdsArePositiveNonZeroAndDiffer) {
  const uint64_t a = NewSessionId();
  const uint64_t b = NewSessionId();
  EXPECT_NE(a, 0u);
  EXPECT_GT(static_cast<int64_t>(a), 0) << "ZooKeeper's clients read the id as a signed long";
  EXPECT_GT(static_cast<int64_t>(b), 0);
  EXPECT_NE(a, b);
  EXPECT_EQ(NewSessionPassword().size(), kSessionPasswordBytes);
  EXPECT_NE(NewSessionPassword(), NewSessionPassword());
  EXPECT_TRUE(SessionPasswordMatches(kPassword, kPassword));
  EXPECT_FALSE(SessionPasswordMatches(kPassword, kPassword.substr(1)));
  EXPECT_FALSE(SessionPasswordMatches(kPassword, ""));
}

}  // namespace
}  // namespace warren::metastore
