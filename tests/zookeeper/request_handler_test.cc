// RequestHandler driven frame by frame over a LocalMember, as a ZooKeeper client would drive it,
// with its replies read back the way ZooKeeper's own client reads them. Where the expected
// answer is ZooKeeper's, the test says so; the layouts are zookeeper.jute's.
#include "metastore/zookeeper/request_handler.h"

#include <atomic>
#include <deque>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "metastore/acl.h"
#include "prometheus/text_serializer.h"
#include "tests/metrics/exposition.h"
#include "tests/zookeeper/client_wire.h"
#include "tests/zookeeper/local_member.h"

namespace warren::zookeeper::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::MatchesRegex;
using ::testing::UnorderedElementsAre;

// Event types, as ZooKeeper's Watcher.Event.EventType numbers them.
constexpr int32_t kNodeCreated = 1;
constexpr int32_t kNodeDeleted = 2;
constexpr int32_t kNodeDataChanged = 3;
constexpr int32_t kNodeChildrenChanged = 4;

// A reply and its body as ZooKeeper's client decodes it.
struct Answer {
  Reply reply;
  Body body;
  std::string decode_error;  // empty: the body is exactly what the request type calls for
  bool missing = false;      // no reply came
};

// Each is a bare check so that a test can ASSERT on it.
::testing::AssertionResult Ok(const Answer& a) {
  if (a.missing) return ::testing::AssertionFailure() << "no reply";
  if (a.reply.err != err::kOk) return ::testing::AssertionFailure() << "error " << a.reply.err;
  if (!a.decode_error.empty()) return ::testing::AssertionFailure() << a.decode_error;
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult Fails(const Answer& a, int32_t code) {
  if (a.missing) return ::testing::AssertionFailure() << "no reply";
  if (a.reply.err != code) {
    return ::testing::AssertionFailure() << "error " << a.reply.err << ", want " << code;
  }
  if (!a.reply.body.empty()) {
    return ::testing::AssertionFailure()
           << "an error reply with a body of " << a.reply.body.size() << " bytes";
  }
  return ::testing::AssertionSuccess();
}

// The client end of one connection: frames go to a RequestHandler, and what it sends back is
// kept in order, as is when it asks for the connection to be closed.
class Client {
 public:
  Client(LocalMember* member, const HandlerOptions* options, std::string ip) {
    ConnectionHooks hooks;
    // A reply to a read still in flight may come after the client is gone, as to a socket.
    hooks.send = [this, alive = alive_](std::string frame) {
      if (!*alive) return;
      if (closed_) ++sent_after_close_;
      inbox_.push_back(std::move(frame));
    };
    hooks.close = [this] { closed_ = true; };
    hooks.attached = [this](uint64_t session) { attached_.push_back(session); };
    handler_ = std::make_shared<RequestHandler>(member, options, std::move(ip), std::move(hooks));
  }
  // As the connection does once its socket is gone.
  ~Client() {
    *alive_ = false;
    handler_->OnClosed();
  }

  RequestHandler& handler() { return *handler_; }
  bool closed() const { return closed_; }
  // Frames sent after the close hook: a real connection drops them.
  int sent_after_close() const { return sent_after_close_; }
  const std::vector<uint64_t>& attached() const { return attached_; }
  size_t pending_frames() const { return inbox_.size(); }

  void Send(std::string frame) { handler_->OnFrame(std::move(frame)); }

  // The handshake; nullopt (and a closed connection) if no ConnectResponse came.
  std::optional<ConnectReply> Connect(const ConnectArgs& args = {}) {
    Send(ConnectFrame(args));
    return TakeConnectReply();
  }
  // The ConnectResponse, if it is the next frame.
  std::optional<ConnectReply> TakeConnectReply() {
    if (inbox_.empty()) return std::nullopt;
    ConnectReply reply;
    EXPECT_TRUE(ParseConnectReply(inbox_.front(), &reply)) << "not a ConnectResponse";
    inbox_.pop_front();
    if (reply.session_id != 0) {
      session_ = reply.session_id;
      password_ = reply.password;
    }
    return reply;
  }
  int64_t session() const { return session_; }
  const std::string& password() const { return password_; }

  // Sends a request with the next xid (or `xid`) and returns its reply; the notifications that
  // came before it are kept for TakeEvents.
  Answer Call(int32_t type, std::string_view record = "", std::optional<int32_t> xid = {}) {
    const int32_t x = xid.value_or(next_xid_++);
    Send(RequestFrame(x, type, record));
    return Next(type, x);
  }
  // The next reply, which must carry `xid`; earlier notifications are kept for TakeEvents.
  Answer Next(int32_t type, int32_t xid) {
    Answer a;
    while (!inbox_.empty()) {
      const std::string frame = std::move(inbox_.front());
      inbox_.pop_front();
      Reply r;
      if (!ParseReply(frame, &r)) {
        ADD_FAILURE() << "a frame of " << frame.size() << " bytes, shorter than a reply header";
        continue;
      }
      if (r.xid == xid::kNotification && xid != xid::kNotification) {
        Event e;
        EXPECT_TRUE(ParseEvent(r, &e)) << "a notification that does not decode";
        events_.push_back(e);
        continue;
      }
      EXPECT_EQ(r.xid, xid) << "a reply to another request";
      a.reply = r;
      if (r.err == err::kOk) a.decode_error = DecodeBody(type, r.body, &a.body);
      return a;
    }
    a.missing = true;
    return a;
  }
  // Notifications received so far (and any still waiting in the inbox).
  std::vector<Event> TakeEvents() {
    while (!inbox_.empty()) {
      Reply r;
      if (!ParseReply(inbox_.front(), &r) || r.xid != xid::kNotification) break;
      Event e;
      EXPECT_TRUE(ParseEvent(r, &e));
      events_.push_back(e);
      inbox_.pop_front();
    }
    std::vector<Event> out;
    out.swap(events_);
    return out;
  }

  // Shorthands.
  Answer Create(std::string_view path, std::string_view data = "", int32_t flags = 0) {
    return Call(op::kCreate2, CreateRecord(path, data, flags));
  }
  Answer GetData(std::string_view path, bool watch = false) {
    return Call(op::kGetData, PathWatchRecord(path, watch));
  }
  Answer SetData(std::string_view path, std::string_view data, int32_t version = -1) {
    return Call(op::kSetData, SetDataRecord(path, data, version));
  }
  Answer Delete(std::string_view path, int32_t version = -1) {
    return Call(op::kDelete, PathVersionRecord(path, version));
  }
  Answer Exists(std::string_view path, bool watch = false) {
    return Call(op::kExists, PathWatchRecord(path, watch));
  }
  Answer Children(std::string_view path, bool watch = false) {
    return Call(op::kGetChildren, PathWatchRecord(path, watch));
  }

 private:
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  std::shared_ptr<RequestHandler> handler_;
  std::deque<std::string> inbox_;
  std::vector<Event> events_;
  std::vector<uint64_t> attached_;
  bool closed_ = false;
  int sent_after_close_ = 0;
  int32_t next_xid_ = 1;
  int64_t session_ = 0;
  std::string password_;
};

class RequestHandlerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto member = LocalMember::Open();
    ASSERT_TRUE(member.ok()) << member.status();
    member_ = std::move(*member);
    options_.latency = &latency_;
  }

  std::unique_ptr<Client> NewClient(std::string ip = "127.0.0.1") {
    return std::make_unique<Client>(member_.get(), &options_, std::move(ip));
  }
  // A client with a new session.
  std::unique_ptr<Client> Connected(std::string ip = "127.0.0.1") {
    auto c = NewClient(std::move(ip));
    auto reply = c->Connect();
    EXPECT_TRUE(reply.has_value() && reply->session_id != 0) << "no session";
    return c;
  }
  int64_t Applied() const { return static_cast<int64_t>(member_->tree().LastApplied()); }
  bool NodeExists(const std::string& path) {
    metastorepb::Query q;
    q.mutable_exists()->set_path(path);
    auto out = member_->tree().Query(q.SerializeAsString());
    metastorepb::QueryReply reply;
    return out.ok() && reply.ParseFromString(*out) && reply.exists();
  }

  Latency latency_;
  HandlerOptions options_;
  std::unique_ptr<LocalMember> member_;
};

// ---------------------------------------------------------------------------------------
// The handshake

TEST_F(RequestHandlerTest, NewSessionNegotiatesItsTimeoutIntoTheTreesBounds) {
  const metastore::Limits& limits = member_->tree().limits();
  std::set<int64_t> sessions;
  for (auto [asked, given] :
       std::vector<std::pair<int32_t, int64_t>>{{1, limits.min_session_timeout_ms},
                                                {5000, 5000},
                                                {100000000, limits.max_session_timeout_ms}}) {
    auto c = NewClient();
    ConnectArgs args;
    args.timeout_ms = asked;
    auto reply = c->Connect(args);
    ASSERT_TRUE(reply.has_value());
    EXPECT_EQ(reply->protocol_version, 0);
    EXPECT_EQ(reply->timeout_ms, given) << "asked " << asked;
    EXPECT_NE(reply->session_id, 0);
    EXPECT_EQ(reply->password.size(), 16u);
    EXPECT_EQ(reply->read_only, std::optional<bool>(false));
    EXPECT_FALSE(c->closed());
    EXPECT_THAT(c->attached(), ElementsAre(static_cast<uint64_t>(reply->session_id)));
    EXPECT_EQ(member_->tree().SessionTimeout(reply->session_id), given);
    EXPECT_EQ(c->handler().session(), static_cast<uint64_t>(reply->session_id));
    EXPECT_EQ(c->handler().timeout_ms(), given);
    sessions.insert(reply->session_id);
  }
  EXPECT_EQ(sessions.size(), 3u);
}

TEST_F(RequestHandlerTest, OldClientWithoutReadOnlyFlagGetsNoFlagBack) {
  auto c = NewClient();
  ConnectArgs args;
  args.read_only.reset();
  auto reply = c->Connect(args);
  ASSERT_TRUE(reply.has_value());
  EXPECT_NE(reply->session_id, 0);
  EXPECT_FALSE(reply->read_only.has_value());
}

TEST_F(RequestHandlerTest, ReconnectWithTheRightPasswordKeepsTheSession) {
  auto first = Connected();
  ASSERT_TRUE(Ok(first->Create("/a")));
  auto second = NewClient();
  ConnectArgs args;
  args.session_id = first->session();
  args.password = first->password();
  args.last_zxid_seen = Applied();
  args.timeout_ms = 60000;  // a reconnect keeps the session's own timeout
  auto reply = second->Connect(args);
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->session_id, first->session());
  EXPECT_EQ(reply->password, first->password());
  EXPECT_EQ(reply->timeout_ms, 5000);
  EXPECT_FALSE(second->closed());
  EXPECT_EQ(member_->tree().Sessions().size(), 1u);
  EXPECT_TRUE(Ok(second->GetData("/a")));
}

TEST_F(RequestHandlerTest, WrongPasswordIsRefusedAndTheConnectionClosed) {
  auto first = Connected();
  auto second = NewClient();
  ConnectArgs args;
  args.session_id = first->session();
  args.password = first->password();
  args.password[0] ^= 1;
  auto reply = second->Connect(args);
  ASSERT_TRUE(reply.has_value());
  // As ZooKeeper's finishSessionInit(valid=false): timeout 0, session 0, 16 zero bytes.
  EXPECT_EQ(reply->timeout_ms, 0);
  EXPECT_EQ(reply->session_id, 0);
  EXPECT_EQ(reply->password, std::string(16, '\0'));
  EXPECT_TRUE(second->closed());
  EXPECT_THAT(second->attached(), IsEmpty());
  second->Send(RequestFrame(1, op::kGetData, PathWatchRecord("/", false)));
  EXPECT_EQ(second->pending_frames(), 0u) << "a request after the refusal was served";
  EXPECT_TRUE(member_->tree().HasSession(first->session()));
}

TEST_F(RequestHandlerTest, UnknownOrClosedSessionIsRefused) {
  auto first = Connected();
  ASSERT_TRUE(Ok(first->Create("/a")));
  const int64_t not_a_session = Applied();  // the zxid of the create
  {
    auto c = NewClient();
    ConnectArgs args;
    args.session_id = not_a_session;
    auto reply = c->Connect(args);
    ASSERT_TRUE(reply.has_value());
    EXPECT_EQ(reply->session_id, 0);
    EXPECT_EQ(reply->timeout_ms, 0);
    EXPECT_TRUE(c->closed());
  }
  const int64_t closed = first->session();
  const std::string password = first->password();
  ASSERT_TRUE(Ok(first->Call(op::kCloseSession)));
  {
    auto c = NewClient();
    ConnectArgs args;
    args.session_id = closed;
    args.password = password;
    args.last_zxid_seen = Applied();
    auto reply = c->Connect(args);
    ASSERT_TRUE(reply.has_value());
    EXPECT_EQ(reply->session_id, 0);
    EXPECT_EQ(reply->timeout_ms, 0);
    EXPECT_TRUE(c->closed());
  }
}

TEST_F(RequestHandlerTest, ClientThatHasSeenMoreThanTheTreeIsClosedUnanswered) {
  auto c = NewClient();
  ConnectArgs args;
  args.last_zxid_seen = Applied() + 100;
  EXPECT_FALSE(c->Connect(args).has_value());
  EXPECT_TRUE(c->closed());
  EXPECT_TRUE(member_->tree().Sessions().empty()) << "a session was made for it";
}

TEST_F(RequestHandlerTest, MemberOutOfTouchWithTheLeaderTurnsClientsAway) {
  member_->set_leader_contact(absl::UnavailableError("no leader"));
  auto c = NewClient();
  EXPECT_FALSE(c->Connect().has_value());
  EXPECT_TRUE(c->closed());
  EXPECT_TRUE(member_->tree().Sessions().empty());
}

TEST_F(RequestHandlerTest, UnreadableConnectRequestClosesUnanswered) {
  auto c = NewClient();
  std::string frame = ConnectFrame({});
  c->Send(frame.substr(0, 20));
  EXPECT_EQ(c->pending_frames(), 0u);
  EXPECT_TRUE(c->closed());
  EXPECT_TRUE(member_->tree().Sessions().empty());
}

TEST_F(RequestHandlerTest, RequestsTouchTheSession) {
  auto c = Connected();
  const auto s = static_cast<uint64_t>(c->session());
  EXPECT_THAT(member_->touches(), ElementsAre(std::pair(s, true)));
  ASSERT_TRUE(Ok(c->Exists("/")));
  EXPECT_THAT(member_->touches(), ElementsAre(std::pair(s, true), std::pair(s, false)));
}

// ---------------------------------------------------------------------------------------
// Creates

TEST_F(RequestHandlerTest, CreateAnswersThePathAndCreate2ThePathAndStat) {
  auto c = Connected();
  Answer a = c->Call(op::kCreate, CreateRecord("/a", "xyz", mode::kPersistent));
  ASSERT_TRUE(Ok(a));
  EXPECT_EQ(a.body.path, "/a");
  EXPECT_FALSE(a.body.stat.has_value());

  Answer b = c->Create("/b", "hello");
  ASSERT_TRUE(Ok(b));
  EXPECT_EQ(b.body.path, "/b");
  ASSERT_TRUE(b.body.stat.has_value());
  EXPECT_EQ(b.reply.zxid, Applied());
  EXPECT_EQ(b.body.stat->czxid, b.reply.zxid);
  EXPECT_EQ(b.body.stat->mzxid, b.reply.zxid);
  EXPECT_EQ(b.body.stat->pzxid, b.reply.zxid);
  EXPECT_EQ(b.body.stat->version, 0);
  EXPECT_EQ(b.body.stat->data_length, 5);
  EXPECT_EQ(b.body.stat->ephemeral_owner, 0);
  EXPECT_GT(b.body.stat->ctime, 0);
  EXPECT_GT(b.reply.zxid, a.reply.zxid);
}

TEST_F(RequestHandlerTest, CreateModes) {
  auto c = Connected();
  Answer e = c->Create("/e", "", mode::kEphemeral);
  ASSERT_TRUE(Ok(e));
  EXPECT_EQ(e.body.stat->ephemeral_owner, c->session());

  Answer s = c->Create("/s-", "", mode::kPersistentSequential);
  ASSERT_TRUE(Ok(s));
  EXPECT_THAT(s.body.path, MatchesRegex("/s-[0-9]{10}"));
  EXPECT_EQ(s.body.stat->ephemeral_owner, 0);

  Answer es = c->Create("/es-", "", mode::kEphemeralSequential);
  ASSERT_TRUE(Ok(es));
  EXPECT_THAT(es.body.path, MatchesRegex("/es-[0-9]{10}"));
  EXPECT_NE(es.body.path, s.body.path);
  EXPECT_EQ(es.body.stat->ephemeral_owner, c->session());
}

TEST_F(RequestHandlerTest, CreateContainerTakesTheContainerFlagOnly) {
  auto c = Connected();
  Answer ok = c->Call(op::kCreateContainer, CreateRecord("/k", "", mode::kContainer));
  ASSERT_TRUE(Ok(ok));
  EXPECT_EQ(ok.body.path, "/k");
  EXPECT_TRUE(ok.body.stat.has_value());
  EXPECT_TRUE(Fails(c->Call(op::kCreateContainer, CreateRecord("/k2", "", mode::kPersistent)),
                    err::kBadArguments));
  EXPECT_FALSE(NodeExists("/k2"));
}

TEST_F(RequestHandlerTest, CreateTtlTakesAPositiveTtlAndATtlFlag) {
  auto c = Connected();
  Answer ok = c->Call(op::kCreateTtl,
                      CreateRecord("/t", "", mode::kPersistentWithTtl, OpenAcl(), int64_t{60000}));
  ASSERT_TRUE(Ok(ok));
  EXPECT_EQ(ok.body.path, "/t");
  Answer seq = c->Call(op::kCreateTtl, CreateRecord("/t-", "", mode::kPersistentSequentialWithTtl,
                                                    OpenAcl(), int64_t{60000}));
  ASSERT_TRUE(Ok(seq));
  EXPECT_THAT(seq.body.path, MatchesRegex("/t-[0-9]{10}"));
  // As EphemeralType.validateTTL: no TTL, or a TTL mode without one, is BadArguments.
  EXPECT_TRUE(Fails(c->Call(op::kCreateTtl, CreateRecord("/t0", "", mode::kPersistentWithTtl,
                                                         OpenAcl(), int64_t{0})),
                    err::kBadArguments));
  EXPECT_TRUE(Fails(
      c->Call(op::kCreateTtl, CreateRecord("/t1", "", mode::kPersistent, OpenAcl(), int64_t{1000})),
      err::kBadArguments));
  EXPECT_TRUE(Fails(c->Call(op::kCreate, CreateRecord("/t2", "", mode::kPersistentWithTtl)),
                    err::kBadArguments));
  EXPECT_FALSE(NodeExists("/t0"));
  EXPECT_FALSE(NodeExists("/t1"));
  EXPECT_FALSE(NodeExists("/t2"));
}

TEST_F(RequestHandlerTest, CreateWithUnknownFlagsIsBadArguments) {
  auto c = Connected();
  for (int32_t flags : {-1, 7, 1000}) {
    EXPECT_TRUE(Fails(c->Create("/f", "", flags), err::kBadArguments)) << flags;
  }
  EXPECT_FALSE(NodeExists("/f"));
}

TEST_F(RequestHandlerTest, CreateWithAnEmptyAclIsInvalidAcl) {
  auto c = Connected();
  EXPECT_TRUE(Fails(c->Call(op::kCreate2, CreateRecord("/a", "", mode::kPersistent, {})),
                    err::kInvalidAcl));
  EXPECT_FALSE(NodeExists("/a"));
  EXPECT_FALSE(c->closed());
}

TEST_F(RequestHandlerTest, CreateErrors) {
  auto c = Connected();
  ASSERT_TRUE(Ok(c->Create("/a")));
  ASSERT_TRUE(Ok(c->Create("/e", "", mode::kEphemeral)));
  EXPECT_TRUE(Fails(c->Create("/a"), err::kNodeExists));
  EXPECT_TRUE(Fails(c->Create("/missing/child"), err::kNoNode));
  EXPECT_TRUE(Fails(c->Create("/e/child"), err::kNoChildrenForEphemerals));
  EXPECT_TRUE(Fails(c->Create("relative"), err::kBadArguments));
  EXPECT_TRUE(Fails(c->Create("/a/"), err::kBadArguments));
  EXPECT_TRUE(Fails(c->Create("/a/../b"), err::kBadArguments));
  EXPECT_FALSE(c->closed());
}

// ---------------------------------------------------------------------------------------
// Deletes, setData, check

TEST_F(RequestHandlerTest, DeleteWithVersions) {
  auto c = Connected();
  ASSERT_TRUE(Ok(c->Create("/a")));
  ASSERT_TRUE(Ok(c->Create("/a/b")));
  ASSERT_TRUE(Ok(c->SetData("/a/b", "1")));
  EXPECT_TRUE(Fails(c->Delete("/a/b", 0), err::kBadVersion));
  EXPECT_TRUE(Fails(c->Delete("/a"), err::kNotEmpty));
  Answer ok = c->Delete("/a/b", 1);
  ASSERT_TRUE(Ok(ok));
  EXPECT_EQ(ok.reply.body, "");
  EXPECT_EQ(ok.reply.zxid, Applied());
  EXPECT_TRUE(Fails(c->Delete("/a/b"), err::kNoNode));
  EXPECT_TRUE(Ok(c->Delete("/a", -1)));
  EXPECT_FALSE(NodeExists("/a"));
}

TEST_F(RequestHandlerTest, SetDataWithVersions) {
  auto c = Connected();
  ASSERT_TRUE(Ok(c->Create("/a", "x")));
  Answer first = c->SetData("/a", "hello", 0);
  ASSERT_TRUE(Ok(first));
  EXPECT_EQ(first.body.stat->version, 1);
  EXPECT_EQ(first.body.stat->data_length, 5);
  EXPECT_EQ(first.body.stat->mzxid, first.reply.zxid);
  EXPECT_EQ(first.reply.zxid, Applied());
  EXPECT_TRUE(Fails(c->SetData("/a", "no", 0), err::kBadVersion));
  Answer any = c->SetData("/a", "", -1);
  ASSERT_TRUE(Ok(any));
  EXPECT_EQ(any.body.stat->version, 2);
  EXPECT_TRUE(Fails(c->SetData("/missing", "x"), err::kNoNode));
  Answer read = c->GetData("/a");
  ASSERT_TRUE(Ok(read));
  EXPECT_EQ(read.body.data, "");
  EXPECT_EQ(read.body.stat->version, 2);
}

TEST_F(RequestHandlerTest, CheckComparesTheVersion) {
  auto c = Connected();
  ASSERT_TRUE(Ok(c->Create("/a")));
  EXPECT_TRUE(Ok(c->Call(op::kCheck, PathVersionRecord("/a", 0))));
  EXPECT_TRUE(Ok(c->Call(op::kCheck, PathVersionRecord("/a", -1))));
  EXPECT_TRUE(Fails(c->Call(op::kCheck, PathVersionRecord("/a", 3)), err::kBadVersion));
  EXPECT_TRUE(Fails(c->Call(op::kCheck, PathVersionRecord("/b", 0)), err::kNoNode));
}

// ---------------------------------------------------------------------------------------
// Reads

TEST_F(RequestHandlerTest, ExistsAnswersTheStatOrNoNode) {
  auto c = Connected();
  ASSERT_TRUE(Ok(c->Create("/a", "12")));
  Answer yes = c->Exists("/a");
  ASSERT_TRUE(Ok(yes));
  EXPECT_EQ(yes.body.stat->data_length, 2);
  EXPECT_EQ(yes.reply.zxid, Applied());
  // ZooKeeper's statNode throws NoNode: an error reply without a body.
  EXPECT_TRUE(Fails(c->Exists("/b"), err::kNoNode));
}

TEST_F(RequestHandlerTest, GetDataAnswersTheDataAndStat) {
  auto c = Connected();
  const std::string data("bin\0ary", 7);
  ASSERT_TRUE(Ok(c->Create("/a", data)));
  Answer a = c->GetData("/a");
  ASSERT_TRUE(Ok(a));
  EXPECT_EQ(a.body.data, data);
  EXPECT_EQ(a.body.stat->data_length, 7);
  EXPECT_TRUE(Fails(c->GetData("/b"), err::kNoNode));
}

TEST_F(RequestHandlerTest, GetChildrenAndGetChildren2) {
  auto c = Connected();
  ASSERT_TRUE(Ok(c->Create("/p")));
  ASSERT_TRUE(Ok(c->Create("/p/b")));
  ASSERT_TRUE(Ok(c->Create("/p/a")));
  Answer one = c->Children("/p");
  ASSERT_TRUE(Ok(one));
  EXPECT_THAT(one.body.children, UnorderedElementsAre("a", "b"));
  EXPECT_FALSE(one.body.stat.has_value());
  Answer two = c->Call(op::kGetChildren2, PathWatchRecord("/p", false));
  ASSERT_TRUE(Ok(two));
  EXPECT_THAT(two.body.children, UnorderedElementsAre("a", "b"));
  EXPECT_EQ(two.body.stat->num_children, 2);
  EXPECT_EQ(two.body.stat->cversion, 2);
  Answer leaf = c->Children("/p/a");
  ASSERT_TRUE(Ok(leaf));
  EXPECT_THAT(leaf.body.children, IsEmpty());
  EXPECT_TRUE(Fails(c->Children("/q"), err::kNoNode));
  EXPECT_TRUE(Fails(c->Call(op::kGetChildren2, PathWatchRecord("/q", false)), err::kNoNode));
}

TEST_F(RequestHandlerTest, SyncEchoesThePath) {
  auto c = Connected();
  Answer a = c->Call(op::kSync, PathRecord("/some/path"));
  ASSERT_TRUE(Ok(a));
  EXPECT_EQ(a.body.path, "/some/path");
  EXPECT_EQ(a.reply.zxid, Applied());
}

TEST_F(RequestHandlerTest, PingIsAnsweredWithItsXidAndTheAppliedZxid) {
  auto c = Connected();
  ASSERT_TRUE(Ok(c->Create("/a")));
  Answer a = c->Call(op::kPing, "", xid::kPing);
  ASSERT_TRUE(Ok(a));
  EXPECT_EQ(a.reply.xid, xid::kPing);
  EXPECT_EQ(a.reply.zxid, Applied());
  EXPECT_EQ(a.reply.body, "");
}

TEST_F(RequestHandlerTest, PingWithoutLeaderContactClosesTheConnection) {
  auto c = Connected();
  member_->set_leader_contact(absl::UnavailableError("the leader is silent"));
  Answer a = c->Call(op::kPing, "", xid::kPing);
  EXPECT_TRUE(a.missing);
  EXPECT_TRUE(c->closed());
}

// ---------------------------------------------------------------------------------------
// Multi and multiRead

TEST_F(RequestHandlerTest, MultiAnswersEachOpInZooKeepersLayout) {
  auto c = Connected();
  ASSERT_TRUE(Ok(c->Create("/m")));
  Answer a =
      c->Call(op::kMulti, MultiRecord({{op::kCreate, CreateRecord("/m/c", "d", mode::kPersistent)},
                                       {op::kSetData, SetDataRecord("/m", "x", 0)},
                                       {op::kCheck, PathVersionRecord("/m", 1)},
                                       {op::kDelete, PathVersionRecord("/m/c", 0)}}));
  ASSERT_TRUE(Ok(a));
  EXPECT_EQ(a.reply.zxid, Applied());
  ASSERT_EQ(a.body.results.size(), 4u);
  EXPECT_EQ(a.body.results[0].type, op::kCreate);
  EXPECT_EQ(a.body.results[0].path, "/m/c");
  EXPECT_EQ(a.body.results[1].type, op::kSetData);
  EXPECT_EQ(a.body.results[1].stat->version, 1);
  EXPECT_EQ(a.body.results[1].stat->mzxid, a.reply.zxid);
  EXPECT_EQ(a.body.results[2].type, op::kCheck);
  EXPECT_EQ(a.body.results[3].type, op::kDelete);
  EXPECT_FALSE(NodeExists("/m/c"));
}

// ZooKeeper's FinalRequestProcessor answers a create2, createTTL or createContainer op of a
// multi with CreateResult(path, stat), whose type is create2; its client's
// MultiResponse.deserialize knows no other create type ("Invalid type 19 in MultiResponse").
TEST_F(RequestHandlerTest, MultiAnswersContainerAndTtlCreatesAsCreate2) {
  auto c = Connected();
  Answer a = c->Call(op::kMulti,
                     MultiRecord({{op::kCreateContainer, CreateRecord("/k", "", mode::kContainer)},
                                  {op::kCreateTtl, CreateRecord("/t", "", mode::kPersistentWithTtl,
                                                                OpenAcl(), int64_t{5000})},
                                  {op::kCreate2, CreateRecord("/c", "", mode::kPersistent)}}));
  ASSERT_TRUE(Ok(a));
  ASSERT_EQ(a.body.results.size(), 3u);
  for (const OpResult& r : a.body.results) {
    EXPECT_EQ(r.type, op::kCreate2) << r.path;
    EXPECT_TRUE(r.stat.has_value()) << r.path;
  }
  EXPECT_TRUE(NodeExists("/k"));
  EXPECT_TRUE(NodeExists("/t"));
}

TEST_F(RequestHandlerTest, FailedMultiChangesNothingAndSaysWhichOpFailed) {
  auto c = Connected();
  const int64_t before = Applied();
  Answer a =
      c->Call(op::kMulti, MultiRecord({{op::kCreate, CreateRecord("/f1", "", mode::kPersistent)},
                                       {op::kSetData, SetDataRecord("/missing", "x", -1)},
                                       {op::kCreate, CreateRecord("/f2", "", mode::kPersistent)}}));
  // As ZooKeeper: the header says OK; every result is an error result.
  ASSERT_TRUE(Ok(a));
  ASSERT_EQ(a.body.results.size(), 3u);
  for (const OpResult& r : a.body.results) EXPECT_EQ(r.type, op::kError);
  EXPECT_EQ(a.body.results[0].err, err::kOk);
  EXPECT_EQ(a.body.results[1].err, err::kNoNode);
  EXPECT_EQ(a.body.results[2].err, err::kRuntimeInconsistency);
  EXPECT_GE(a.reply.zxid, before);
  EXPECT_FALSE(NodeExists("/f1"));
  EXPECT_FALSE(NodeExists("/f2"));
}

// ZooKeeper's PrepRequestProcessor turns a create it refuses (InvalidACL, bad flags) into that
// op's error result like any other failing op: header OK, OK before it, RuntimeInconsistency
// after. Its client then throws with the results attached (KeeperException.getResults).
TEST_F(RequestHandlerTest, MultiWithARefusedCreateAnswersPerOp) {
  auto c = Connected();
  Answer a = c->Call(op::kMulti,
                     MultiRecord({{op::kCreate, CreateRecord("/g1", "", mode::kPersistent)},
                                  {op::kCreate, CreateRecord("/g2", "", mode::kPersistent, {})},
                                  {op::kCreate, CreateRecord("/g3", "", mode::kPersistent)}}));
  ASSERT_TRUE(Ok(a));
  ASSERT_EQ(a.body.results.size(), 3u);
  EXPECT_EQ(a.body.results[0].err, err::kOk);
  EXPECT_EQ(a.body.results[1].err, err::kInvalidAcl);
  EXPECT_EQ(a.body.results[2].err, err::kRuntimeInconsistency);
  EXPECT_FALSE(NodeExists("/g1"));
}

// A multi refused as a whole (here: more ops than the tree takes; under faults: no leader in
// reach) keeps its error in the header, for ZooKeeper's Java client, which reads no body then,
// and carries a result per op all the same: the C client reads a multi's results whatever the
// header says, and aborts on a reply without them ("deserialize_multi: Assertion `entry'
// failed"), as warren-jepsen's append workload found: a leader stepped down with the multi
// in flight.
TEST_F(RequestHandlerTest, MultiRefusedAsAWholeStillAnswersEachOp) {
  auto c = Connected();
  const std::vector<MultiOp> ops(1001, MultiOp{op::kCheck, PathVersionRecord("/", -1)});
  Answer a = c->Call(op::kMulti, MultiRecord(ops));
  ASSERT_FALSE(a.missing);
  EXPECT_EQ(a.reply.err, err::kBadArguments);
  Body body;
  ASSERT_EQ(DecodeBody(op::kMulti, a.reply.body, &body), "");
  ASSERT_EQ(body.results.size(), ops.size());
  EXPECT_EQ(body.results[0].type, op::kError);
  EXPECT_EQ(body.results[0].err, err::kBadArguments);
  EXPECT_EQ(body.results[1000].err, err::kRuntimeInconsistency);
  EXPECT_FALSE(c->closed());
}

TEST_F(RequestHandlerTest, EmptyMultiSucceedsWithNoResults) {
  auto c = Connected();
  Answer a = c->Call(op::kMulti, MultiRecord({}));
  ASSERT_TRUE(Ok(a));
  EXPECT_THAT(a.body.results, IsEmpty());
  EXPECT_FALSE(c->closed());
}

TEST_F(RequestHandlerTest, MultiWithAnOpItCannotCarryIsMarshallingError) {
  auto c = Connected();
  Answer a = c->Call(op::kMulti, MultiRecord({{op::kGetData, PathWatchRecord("/", false)}}));
  EXPECT_TRUE(Fails(a, err::kMarshallingError));
  EXPECT_TRUE(c->closed());
}

TEST_F(RequestHandlerTest, MultiReadAnswersEveryOpEvenAfterOneFails) {
  auto c = Connected();
  ASSERT_TRUE(Ok(c->Create("/a", "data")));
  Answer a =
      c->Call(op::kMultiRead, MultiRecord({{op::kGetData, PathWatchRecord("/a", false)},
                                           {op::kGetData, PathWatchRecord("/missing", false)},
                                           {op::kGetChildren, PathWatchRecord("/", false)}}));
  ASSERT_TRUE(Ok(a));
  ASSERT_EQ(a.body.results.size(), 3u);
  EXPECT_EQ(a.body.results[0].type, op::kGetData);
  EXPECT_EQ(a.body.results[0].data, "data");
  EXPECT_EQ(a.body.results[0].stat->data_length, 4);
  EXPECT_EQ(a.body.results[1].type, op::kError);
  EXPECT_EQ(a.body.results[1].err, err::kNoNode);
  EXPECT_EQ(a.body.results[2].type, op::kGetChildren);
  EXPECT_THAT(a.body.results[2].children, UnorderedElementsAre("a", "zookeeper"));
}

// ---------------------------------------------------------------------------------------
// Watches

TEST_F(RequestHandlerTest, DataWatchFiresOnceAndBeforeTheWriteIsAnswered) {
  auto c = Connected();
  ASSERT_TRUE(Ok(c->Create("/a", "1")));
  ASSERT_TRUE(Ok(c->GetData("/a", /*watch=*/true)));
  Answer set = c->SetData("/a", "2");
  ASSERT_TRUE(Ok(set));
  // The notification came before the reply (Next keeps what precedes the reply).
  std::vector<Event> events = c->TakeEvents();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type, kNodeDataChanged);
  EXPECT_EQ(events[0].state, kStateSyncConnected);
  EXPECT_EQ(events[0].path, "/a");
  EXPECT_EQ(events[0].zxid, set.reply.zxid);
  ASSERT_TRUE(Ok(c->SetData("/a", "3")));
  EXPECT_THAT(c->TakeEvents(), IsEmpty()) << "a one-shot watch fired twice";
}

TEST_F(RequestHandlerTest, ExistsAndChildWatchesSeeOtherClientsChanges) {
  auto watcher = Connected();
  auto writer = Connected();
  EXPECT_TRUE(Fails(watcher->Exists("/a", /*watch=*/true), err::kNoNode));
  ASSERT_TRUE(Ok(watcher->Children("/", /*watch=*/true)));
  Answer created = writer->Create("/a");
  ASSERT_TRUE(Ok(created));
  std::vector<Event> events = watcher->TakeEvents();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].type, kNodeCreated);
  EXPECT_EQ(events[0].path, "/a");
  EXPECT_EQ(events[0].zxid, created.reply.zxid);
  EXPECT_EQ(events[1].type, kNodeChildrenChanged);
  EXPECT_EQ(events[1].path, "/");
  EXPECT_THAT(writer->TakeEvents(), IsEmpty());
}

TEST_F(RequestHandlerTest, SetWatchesFiresForWhatChangedAfterRelativeZxid) {
  auto writer = Connected();
  ASSERT_TRUE(Ok(writer->Create("/w1")));
  ASSERT_TRUE(Ok(writer->Create("/w2")));
  ASSERT_TRUE(Ok(writer->Create("/gone")));
  const int64_t seen = Applied();
  ASSERT_TRUE(Ok(writer->SetData("/w1", "new")));
  ASSERT_TRUE(Ok(writer->Create("/w1/c")));
  ASSERT_TRUE(Ok(writer->Delete("/gone")));

  auto watcher = Connected();
  WatchLists lists;
  lists.data = {"/w1", "/w2", "/gone"};
  lists.exist = {"/w3"};
  lists.child = {"/w1", "/w2"};
  Answer a = watcher->Call(op::kSetWatches, SetWatchesRecord(seen, lists, false), xid::kSetWatches);
  ASSERT_TRUE(Ok(a));
  EXPECT_EQ(a.reply.xid, xid::kSetWatches);
  std::vector<std::pair<int32_t, std::string>> fired;
  for (const Event& e : watcher->TakeEvents()) fired.emplace_back(e.type, e.path);
  // As ZooKeeper's DataTree.setWatches: what changed since `seen` fires at once.
  EXPECT_THAT(fired, UnorderedElementsAre(std::pair(kNodeDataChanged, std::string("/w1")),
                                          std::pair(kNodeDeleted, std::string("/gone")),
                                          std::pair(kNodeChildrenChanged, std::string("/w1"))));

  // The rest were set, and fire for later changes.
  ASSERT_TRUE(Ok(writer->Create("/w3")));
  ASSERT_TRUE(Ok(writer->SetData("/w2", "x")));
  ASSERT_TRUE(Ok(writer->Create("/w2/c")));
  fired.clear();
  for (const Event& e : watcher->TakeEvents()) fired.emplace_back(e.type, e.path);
  EXPECT_THAT(fired, ElementsAre(std::pair(kNodeCreated, std::string("/w3")),
                                 std::pair(kNodeDataChanged, std::string("/w2")),
                                 std::pair(kNodeChildrenChanged, std::string("/w2"))));
}

// ZooKeeper's DataTree.setWatches: a data watch whose node's mzxid is past relativeZxid fires
// NodeDataChanged, whether or not the node was made again meanwhile; an exist watch whose node
// now exists fires NodeCreated.
TEST_F(RequestHandlerTest, SetWatchesOnARecreatedNodeFiresAsZooKeeperDoes) {
  auto writer = Connected();
  ASSERT_TRUE(Ok(writer->Create("/again")));
  const int64_t seen = Applied();
  ASSERT_TRUE(Ok(writer->Delete("/again")));
  ASSERT_TRUE(Ok(writer->Create("/again")));
  ASSERT_TRUE(Ok(writer->Create("/new")));
  auto watcher = Connected();
  WatchLists lists;
  lists.data = {"/again"};
  lists.exist = {"/new"};
  ASSERT_TRUE(
      Ok(watcher->Call(op::kSetWatches, SetWatchesRecord(seen, lists, false), xid::kSetWatches)));
  std::vector<std::pair<int32_t, std::string>> fired;
  for (const Event& e : watcher->TakeEvents()) fired.emplace_back(e.type, e.path);
  EXPECT_THAT(fired, UnorderedElementsAre(std::pair(kNodeDataChanged, std::string("/again")),
                                          std::pair(kNodeCreated, std::string("/new"))));
}

TEST_F(RequestHandlerTest, SetWatches2SetsPersistentWatches) {
  auto writer = Connected();
  auto watcher = Connected();
  WatchLists lists;
  lists.persistent = {"/p"};
  lists.recursive = {"/r"};
  ASSERT_TRUE(Ok(
      watcher->Call(op::kSetWatches2, SetWatchesRecord(Applied(), lists, true), xid::kSetWatches)));
  EXPECT_THAT(watcher->TakeEvents(), IsEmpty());
  ASSERT_TRUE(Ok(writer->Create("/p")));
  ASSERT_TRUE(Ok(writer->Create("/r")));
  ASSERT_TRUE(Ok(writer->Create("/r/x")));
  std::vector<std::pair<int32_t, std::string>> fired;
  for (const Event& e : watcher->TakeEvents()) fired.emplace_back(e.type, e.path);
  EXPECT_THAT(fired, ElementsAre(std::pair(kNodeCreated, std::string("/p")),
                                 std::pair(kNodeCreated, std::string("/r")),
                                 std::pair(kNodeCreated, std::string("/r/x"))));
}

TEST_F(RequestHandlerTest, SetWatchesFromAheadOfTheTreeClosesTheConnection) {
  auto c = Connected();
  WatchLists lists;
  lists.data = {"/"};
  Answer a =
      c->Call(op::kSetWatches, SetWatchesRecord(Applied() + 10, lists, false), xid::kSetWatches);
  EXPECT_TRUE(a.missing);
  EXPECT_TRUE(c->closed());
}

TEST_F(RequestHandlerTest, PersistentWatchSeesEveryEventOnItsPathInOrder) {
  auto watcher = Connected();
  auto writer = Connected();
  // The reply's body is checked in AddWatchAnswersAnErrorResponse.
  ASSERT_EQ(watcher->Call(op::kAddWatch, AddWatchRecord("/p", 0)).reply.err, err::kOk);
  ASSERT_TRUE(Ok(writer->Create("/p")));
  ASSERT_TRUE(Ok(writer->SetData("/p", "x")));
  ASSERT_TRUE(Ok(writer->Create("/p/c")));
  ASSERT_TRUE(Ok(writer->Delete("/p/c")));
  ASSERT_TRUE(Ok(writer->Delete("/p")));
  ASSERT_TRUE(Ok(writer->Create("/p")));
  ASSERT_TRUE(Ok(writer->Create("/other")));
  std::vector<Event> events = watcher->TakeEvents();
  std::vector<std::pair<int32_t, std::string>> fired;
  for (const Event& e : events) fired.emplace_back(e.type, e.path);
  EXPECT_THAT(fired, ElementsAre(std::pair(kNodeCreated, std::string("/p")),
                                 std::pair(kNodeDataChanged, std::string("/p")),
                                 std::pair(kNodeChildrenChanged, std::string("/p")),
                                 std::pair(kNodeChildrenChanged, std::string("/p")),
                                 std::pair(kNodeDeleted, std::string("/p")),
                                 std::pair(kNodeCreated, std::string("/p"))));
  for (size_t i = 1; i < events.size(); ++i) EXPECT_GT(events[i].zxid, events[i - 1].zxid);
}

TEST_F(RequestHandlerTest, RecursiveWatchSeesEverythingBelowButChildrenChanges) {
  auto watcher = Connected();
  auto writer = Connected();
  ASSERT_EQ(watcher->Call(op::kAddWatch, AddWatchRecord("/r", 1)).reply.err, err::kOk);
  ASSERT_TRUE(Ok(writer->Create("/r")));
  ASSERT_TRUE(Ok(writer->Create("/r/a")));
  ASSERT_TRUE(Ok(writer->Create("/r/a/b")));
  ASSERT_TRUE(Ok(writer->SetData("/r/a", "x")));
  ASSERT_TRUE(Ok(writer->Delete("/r/a/b")));
  ASSERT_TRUE(Ok(writer->Create("/rx")));  // a sibling with the same prefix
  std::vector<std::pair<int32_t, std::string>> fired;
  for (const Event& e : watcher->TakeEvents()) fired.emplace_back(e.type, e.path);
  EXPECT_THAT(fired, ElementsAre(std::pair(kNodeCreated, std::string("/r")),
                                 std::pair(kNodeCreated, std::string("/r/a")),
                                 std::pair(kNodeCreated, std::string("/r/a/b")),
                                 std::pair(kNodeDataChanged, std::string("/r/a")),
                                 std::pair(kNodeDeleted, std::string("/r/a/b"))));
}

// ZooKeeper answers addWatch with ErrorResponse(0) and its client reads that int
// (ZooKeeper.addWatch passes `new ErrorResponse()`); without it the client's read of the
// reply runs past its end and the connection is lost.
TEST_F(RequestHandlerTest, AddWatchAnswersAnErrorResponse) {
  auto c = Connected();
  Answer a = c->Call(op::kAddWatch, AddWatchRecord("/p", 0));
  ASSERT_TRUE(Ok(a));
  EXPECT_EQ(a.body.number, 0);
}

TEST_F(RequestHandlerTest, CheckAndRemoveWatches) {
  auto c = Connected();
  ASSERT_TRUE(Ok(c->Create("/a")));
  ASSERT_TRUE(Ok(c->GetData("/a", /*watch=*/true)));
  auto check = [&](std::string_view path, int32_t type) {
    return c->Call(op::kCheckWatches, WatcherRecord(path, type));
  };
  auto remove = [&](std::string_view path, int32_t type) {
    return c->Call(op::kRemoveWatches, WatcherRecord(path, type));
  };
  EXPECT_TRUE(Ok(check("/a", watcher_type::kData)));
  EXPECT_TRUE(Ok(check("/a", watcher_type::kAny)));
  EXPECT_TRUE(Fails(check("/a", watcher_type::kChildren), err::kNoWatcher));
  EXPECT_TRUE(Fails(check("/b", watcher_type::kData), err::kNoWatcher));
  EXPECT_TRUE(Ok(remove("/a", watcher_type::kData)));
  EXPECT_TRUE(Fails(check("/a", watcher_type::kData), err::kNoWatcher));
  EXPECT_TRUE(Fails(remove("/a", watcher_type::kData), err::kNoWatcher));
  ASSERT_TRUE(Ok(c->SetData("/a", "x")));
  EXPECT_THAT(c->TakeEvents(), IsEmpty()) << "a removed watch fired";

  ASSERT_EQ(c->Call(op::kAddWatch, AddWatchRecord("/p", 0)).reply.err, err::kOk);
  EXPECT_TRUE(Ok(check("/p", watcher_type::kPersistent)));
  EXPECT_TRUE(Fails(check("/p", watcher_type::kData), err::kNoWatcher));
  EXPECT_TRUE(Fails(check("/p", watcher_type::kPersistentRecursive), err::kNoWatcher));
  EXPECT_TRUE(Ok(remove("/p", watcher_type::kAny)));
  EXPECT_TRUE(Fails(check("/p", watcher_type::kPersistent), err::kNoWatcher));
  EXPECT_FALSE(c->closed());
}

TEST_F(RequestHandlerTest, ClosedConnectionDropsItsWatchesButNotItsSession) {
  auto writer = Connected();
  uint64_t session = 0;
  {
    auto watcher = Connected();
    session = static_cast<uint64_t>(watcher->session());
    ASSERT_TRUE(Ok(writer->Create("/a")));
    ASSERT_TRUE(Ok(watcher->Exists("/a", /*watch=*/true)));
    ASSERT_TRUE(Fails(watcher->Exists("/b", /*watch=*/true), err::kNoNode));
    EXPECT_GT(member_->watches().count(), 0u);
  }  // the socket is gone
  EXPECT_EQ(member_->watches().count(), 0u);
  EXPECT_TRUE(member_->tree().HasSession(session));
}

TEST_F(RequestHandlerTest, ExpiredSessionClosesItsConnection) {
  auto c = Connected();
  metastorepb::Command expire;
  expire.mutable_expire_sessions()->add_session_ids(static_cast<uint64_t>(c->session()));
  member_->Apply(expire);
  EXPECT_TRUE(c->closed());
}

// ---------------------------------------------------------------------------------------
// Sessions' nodes, counts, identity

TEST_F(RequestHandlerTest, GetEphemeralsListsTheSessionsOwnUnderAPrefix) {
  auto c = Connected();
  auto other = Connected();
  ASSERT_TRUE(Ok(c->Create("/e1", "", mode::kEphemeral)));
  ASSERT_TRUE(Ok(c->Create("/d")));
  ASSERT_TRUE(Ok(c->Create("/d/e2", "", mode::kEphemeral)));
  ASSERT_TRUE(Ok(other->Create("/d/theirs", "", mode::kEphemeral)));
  Answer all = c->Call(op::kGetEphemerals, PathRecord("/"));
  ASSERT_TRUE(Ok(all));
  EXPECT_THAT(all.body.children, UnorderedElementsAre("/e1", "/d/e2"));
  Answer under = c->Call(op::kGetEphemerals, PathRecord("/d"));
  ASSERT_TRUE(Ok(under));
  EXPECT_THAT(under.body.children, ElementsAre("/d/e2"));
  Answer empty_prefix = c->Call(op::kGetEphemerals, PathRecord(""));
  ASSERT_TRUE(Ok(empty_prefix));
  EXPECT_THAT(empty_prefix.body.children, UnorderedElementsAre("/e1", "/d/e2"));
}

TEST_F(RequestHandlerTest, GetAllChildrenNumberCountsEveryNodeBelow) {
  auto c = Connected();
  ASSERT_TRUE(Ok(c->Create("/a")));
  ASSERT_TRUE(Ok(c->Create("/a/b")));
  ASSERT_TRUE(Ok(c->Create("/a/b/c")));
  Answer a = c->Call(op::kGetAllChildrenNumber, PathRecord("/a"));
  ASSERT_TRUE(Ok(a));
  EXPECT_EQ(a.body.number, 2);
  // As ZooKeeper's DataTree.getAllChildrenNumber("/"): every node but the root, the system
  // nodes (/zookeeper, /zookeeper/quota, /zookeeper/config) among them.
  Answer root = c->Call(op::kGetAllChildrenNumber, PathRecord("/"));
  ASSERT_TRUE(Ok(root));
  EXPECT_EQ(root.body.number, 6);
  EXPECT_TRUE(Fails(c->Call(op::kGetAllChildrenNumber, PathRecord("/x")), err::kNoNode));
}

TEST_F(RequestHandlerTest, WhoAmIAnswersTheClientsAddress) {
  auto c = Connected("10.1.2.3");
  Answer a = c->Call(op::kWhoAmI);
  ASSERT_TRUE(Ok(a));
  EXPECT_THAT(a.body.who, ElementsAre(std::pair(std::string("ip"), std::string("10.1.2.3"))));
}

TEST_F(RequestHandlerTest, AuthWithAnUnknownSchemeFailsAndCloses) {
  auto c = Connected();
  Answer a = c->Call(op::kAuth, AuthRecord("kerberos-ish", "secret"), xid::kAuth);
  EXPECT_TRUE(Fails(a, err::kAuthFailed));
  EXPECT_EQ(a.reply.xid, xid::kAuth);
  EXPECT_TRUE(c->closed());
}

TEST_F(RequestHandlerTest, CloseSessionDeletesItsEphemeralsAndIsAnsweredBeforeTheClose) {
  auto owner = Connected();
  auto watcher = Connected();
  ASSERT_TRUE(Ok(owner->Create("/e", "", mode::kEphemeral)));
  ASSERT_TRUE(Ok(owner->Create("/kept")));
  ASSERT_TRUE(Ok(watcher->Exists("/e", /*watch=*/true)));
  const int64_t session = owner->session();
  Answer a = owner->Call(op::kCloseSession);
  ASSERT_TRUE(Ok(a));
  EXPECT_EQ(a.reply.zxid, Applied());
  EXPECT_TRUE(owner->closed());
  // ConnectionHooks::close ends the connection once what is queued is written: a reply sent
  // after it is lost (Connection::Send drops it), and the client never hears its close.
  EXPECT_EQ(owner->sent_after_close(), 0) << "the closeSession reply came after the close";
  EXPECT_FALSE(member_->tree().HasSession(session));
  EXPECT_FALSE(NodeExists("/e"));
  EXPECT_TRUE(NodeExists("/kept"));
  std::vector<Event> events = watcher->TakeEvents();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type, kNodeDeleted);
  EXPECT_EQ(events[0].path, "/e");
}

// ---------------------------------------------------------------------------------------
// ACLs and identities (ZooKeeper's checkACL, fixupACL and getACL answers)

TEST_F(RequestHandlerTest, DigestAuthAddsAnIdentity) {
  auto c = Connected();
  Answer a = c->Call(op::kAuth, AuthRecord("digest", "alice:secret"), xid::kAuth);
  ASSERT_TRUE(Ok(a));
  EXPECT_EQ(a.reply.xid, xid::kAuth);
  EXPECT_FALSE(c->closed());
  Answer who = c->Call(op::kWhoAmI);
  ASSERT_TRUE(Ok(who));
  EXPECT_THAT(who.body.who, ElementsAre(std::pair(std::string("ip"), std::string("127.0.0.1")),
                                        std::pair(std::string("digest"), std::string("alice"))));
}

TEST_F(RequestHandlerTest, AclKeepsOutWhomItDoesNotName) {
  auto alice = Connected();
  ASSERT_TRUE(Ok(alice->Call(op::kAuth, AuthRecord("digest", "alice:secret"), xid::kAuth)));
  // "auth" stands for the creator's authenticated identities: here alice's digest.
  ASSERT_TRUE(Ok(alice->Call(op::kCreate2,
                             CreateRecord("/secret", "s", mode::kPersistent, {{31, "auth", ""}}))));
  Answer acl = alice->Call(op::kGetAcl, PathRecord("/secret"));
  ASSERT_TRUE(Ok(acl));
  ASSERT_EQ(acl.body.acl.size(), 1u);
  EXPECT_EQ(acl.body.acl[0].perms, 31);
  EXPECT_EQ(acl.body.acl[0].scheme, "digest");
  EXPECT_THAT(acl.body.acl[0].id, MatchesRegex("alice:.+"));
  EXPECT_NE(acl.body.acl[0].id, "alice:x") << "an admin sees the digest";
  EXPECT_TRUE(Ok(alice->GetData("/secret")));

  auto stranger = Connected();
  EXPECT_TRUE(Fails(stranger->GetData("/secret"), err::kNoAuth));
  EXPECT_TRUE(Fails(stranger->SetData("/secret", "x"), err::kNoAuth));
  EXPECT_TRUE(Fails(stranger->Call(op::kGetAcl, PathRecord("/secret")), err::kNoAuth));
  ASSERT_TRUE(Ok(stranger->Call(op::kAuth, AuthRecord("digest", "alice:wrong"), xid::kAuth)));
  EXPECT_TRUE(Fails(stranger->Children("/secret"), err::kNoAuth));
  auto again = Connected();
  ASSERT_TRUE(Ok(again->Call(op::kAuth, AuthRecord("digest", "alice:secret"), xid::kAuth)));
  EXPECT_TRUE(Ok(again->GetData("/secret")));
}

TEST_F(RequestHandlerTest, GetAclHidesDigestsFromWhoIsNotAdmin) {
  auto alice = Connected();
  ASSERT_TRUE(Ok(alice->Call(op::kAuth, AuthRecord("digest", "alice:secret"), xid::kAuth)));
  ASSERT_TRUE(Ok(alice->Call(
      op::kCreate2, CreateRecord("/r", "", mode::kPersistent, {{1 /* READ */, "auth", ""}}))));
  Answer acl = alice->Call(op::kGetAcl, PathRecord("/r"));
  ASSERT_TRUE(Ok(acl));
  ASSERT_EQ(acl.body.acl.size(), 1u);
  EXPECT_EQ(acl.body.acl[0].id, "alice:x");
  Answer open = alice->Call(op::kGetAcl, PathRecord("/"));
  ASSERT_TRUE(Ok(open));
  ASSERT_EQ(open.body.acl.size(), 1u);
  EXPECT_EQ(open.body.acl[0].perms, 31);
  EXPECT_EQ(open.body.acl[0].scheme, "world");
  EXPECT_EQ(open.body.acl[0].id, "anyone");
  EXPECT_TRUE(Fails(alice->Call(op::kGetAcl, PathRecord("/missing")), err::kNoNode));
}

TEST_F(RequestHandlerTest, SetAclReplacesTheAclAndChecksItsVersion) {
  auto c = Connected();
  ASSERT_TRUE(Ok(c->Create("/a")));
  Answer set = c->Call(op::kSetAcl, SetAclRecord("/a", {{1 | 16, "world", "anyone"}}, 0));
  ASSERT_TRUE(Ok(set));
  EXPECT_EQ(set.body.stat->aversion, 1);
  EXPECT_EQ(set.reply.zxid, Applied());
  EXPECT_TRUE(Fails(c->Call(op::kSetAcl, SetAclRecord("/a", {{31, "world", "anyone"}}, 0)),
                    err::kBadVersion));
  EXPECT_TRUE(Fails(c->Call(op::kSetAcl, SetAclRecord("/a", {}, -1)), err::kInvalidAcl));
  EXPECT_TRUE(Fails(c->Call(op::kSetAcl, SetAclRecord("/a", {{31, "nonsense", "x"}}, -1)),
                    err::kInvalidAcl));
  Answer acl = c->Call(op::kGetAcl, PathRecord("/a"));
  ASSERT_TRUE(Ok(acl));
  ASSERT_EQ(acl.body.acl.size(), 1u);
  EXPECT_EQ(acl.body.acl[0].perms, 17);
  EXPECT_EQ(acl.body.stat->aversion, 1);
  EXPECT_TRUE(Fails(c->SetData("/a", "x"), err::kNoAuth));
  EXPECT_TRUE(Fails(c->Create("/a/child"), err::kNoAuth));
  EXPECT_TRUE(Ok(c->GetData("/a")));
}

// ---------------------------------------------------------------------------------------
// Requests the handler cannot serve

TEST_F(RequestHandlerTest, UnknownOpcodeIsUnimplementedAndCloses) {
  auto c = Connected();
  Answer a = c->Call(999, "whatever");
  EXPECT_TRUE(Fails(a, err::kUnimplemented));
  EXPECT_TRUE(c->closed());
  c->Send(RequestFrame(50, op::kExists, PathWatchRecord("/", false)));
  EXPECT_EQ(c->pending_frames(), 0u) << "served after the close";
  EXPECT_TRUE(member_->tree().HasSession(static_cast<uint64_t>(c->session())));
}

TEST_F(RequestHandlerTest, TruncatedRequestIsMarshallingErrorAndCloses) {
  auto c = Connected();
  JuteWriter w;
  w.Int(100);  // a path of 100 bytes, of which 3 follow
  std::string record = w.Take() + "/ab";
  Answer a = c->Call(op::kGetData, record);
  EXPECT_TRUE(Fails(a, err::kMarshallingError));
  EXPECT_TRUE(c->closed());
  c->Send(RequestFrame(50, op::kExists, PathWatchRecord("/", false)));
  EXPECT_EQ(c->pending_frames(), 0u) << "served after the close";
}

TEST_F(RequestHandlerTest, TruncatedWritesAreMarshallingErrors) {
  for (int32_t type : {op::kCreate, op::kCreate2, op::kDelete, op::kSetData, op::kCheck, op::kMulti,
                       op::kMultiRead, op::kExists, op::kGetChildren2, op::kSync, op::kSetWatches,
                       op::kSetWatches2, op::kAddWatch, op::kCheckWatches, op::kGetEphemerals,
                       op::kGetAllChildrenNumber}) {
    auto c = Connected();
    Answer a = c->Call(type, std::string("\0\0", 2));
    EXPECT_TRUE(Fails(a, err::kMarshallingError)) << "type " << type;
    EXPECT_TRUE(c->closed()) << "type " << type;
  }
  EXPECT_EQ(member_->tree().node_count(), 4u) << "a truncated write changed the tree";
}

// ZooKeeper cannot read a RequestHeader from such a frame and closes the connection
// (NIOServerCnxn.readRequest throws); there is no xid to answer.
TEST_F(RequestHandlerTest, FrameShorterThanARequestHeaderClosesUnanswered) {
  auto c = Connected();
  c->Send(std::string("\0\0\0", 3));
  EXPECT_TRUE(c->closed());
  EXPECT_EQ(c->pending_frames(), 0u) << "answered with an xid the client never sent";
}

// ReconfigRequest: joiningServers, leavingServers, newMembers, curConfigId.
std::string ReconfigRecord(std::string_view joining, std::string_view leaving,
                           std::string_view new_members = "", int64_t config_id = -1) {
  JuteWriter w;
  w.String(joining);
  w.String(leaving);
  w.String(new_members);
  w.Long(config_id);
  return w.Take();
}

TEST_F(RequestHandlerTest, ReconfigIsTheSuperusersAndChecksItsArguments) {
  options_.super_digest = metastore::DigestId("super", "test");
  auto c = Connected();
  EXPECT_TRUE(Fails(c->Call(op::kReconfig, ReconfigRecord("", "3")), err::kNoAuth));
  EXPECT_FALSE(c->closed());
  ASSERT_TRUE(Ok(c->Call(op::kAuth, AuthRecord("digest", "super:test"), xid::kAuth)));
  for (const std::string& bad :
       {ReconfigRecord("", ""), ReconfigRecord("", "3", "server.1=h:1"),
        ReconfigRecord("", "3", "", 7), ReconfigRecord("", "x"),
        ReconfigRecord("4=127.0.0.1:7004", ""), ReconfigRecord("server.4=127.0.0.1", ""),
        ReconfigRecord("server.4=127.0.0.1:7004:0:witness", "")}) {
    EXPECT_TRUE(Fails(c->Call(op::kReconfig, bad), err::kBadArguments));
  }
  // A well-formed change reaches the group, which a local member lacks.
  EXPECT_TRUE(
      Fails(c->Call(op::kReconfig, ReconfigRecord("server.4=127.0.0.1:7004:0:participant", "3")),
            err::kSystemError));
  EXPECT_FALSE(c->closed());
  // Cut short: MarshallingError, and the connection ends.
  EXPECT_TRUE(
      Fails(c->Call(op::kReconfig, ReconfigRecord("", "3").substr(0, 6)), err::kMarshallingError));
  EXPECT_TRUE(c->closed());
}

// ---------------------------------------------------------------------------------------
// Order

TEST_F(RequestHandlerTest, RequestsAreAnsweredInOrderWithTheirXids) {
  auto c = Connected();
  const std::vector<std::pair<int32_t, std::string>> requests = {
      {op::kCreate2, CreateRecord("/o", "", 0)},
      {op::kGetData, PathWatchRecord("/o", true)},
      {op::kSetData, SetDataRecord("/o", "x", -1)},
      {op::kExists, PathWatchRecord("/nope", false)},
      {op::kGetChildren, PathWatchRecord("/", false)},
      {op::kDelete, PathVersionRecord("/o", -1)}};
  const std::vector<int32_t> xids = {100, 7, -5, 42, 0, INT32_MAX};
  for (size_t i = 0; i < requests.size(); ++i) {
    c->Send(RequestFrame(xids[i], requests[i].first, requests[i].second));
  }
  for (size_t i = 0; i < requests.size(); ++i) {
    Answer a = c->Next(requests[i].first, xids[i]);
    ASSERT_FALSE(a.missing) << i;
    EXPECT_EQ(a.reply.xid, xids[i]);
    EXPECT_EQ(a.reply.err, i == 3 ? err::kNoNode : err::kOk) << i;
  }
  EXPECT_EQ(c->TakeEvents().size(), 1u);  // the data watch, between two replies
  EXPECT_EQ(latency_.count.load(), static_cast<int64_t>(requests.size()) + 1);
}

TEST_F(RequestHandlerTest, RequestsQueuedBehindAWaitingOneAreAnsweredInOrder) {
  member_->set_deferred(true);
  auto c = NewClient();
  c->Send(ConnectFrame({}));
  EXPECT_EQ(c->pending_frames(), 0u) << "connected before the member answered";
  member_->RunDeferred();
  auto connected = c->TakeConnectReply();
  ASSERT_TRUE(connected.has_value());
  ASSERT_NE(connected->session_id, 0);
  const std::vector<int32_t> xids = {3, 1, 2, 9, 4};
  c->Send(RequestFrame(xids[0], op::kCreate2, CreateRecord("/q", "", 0)));
  c->Send(RequestFrame(xids[1], op::kSetData, SetDataRecord("/q", "a", 0)));
  c->Send(RequestFrame(xids[2], op::kGetData, PathWatchRecord("/q", false)));
  c->Send(RequestFrame(xids[3], op::kSync, PathRecord("/q")));
  c->Send(RequestFrame(xids[4], op::kDelete, PathVersionRecord("/q", 1)));
  EXPECT_EQ(c->pending_frames(), 0u) << "answered before the member answered";
  EXPECT_GT(member_->RunDeferred(), 0u);
  const std::vector<int32_t> types = {op::kCreate2, op::kSetData, op::kGetData, op::kSync,
                                      op::kDelete};
  for (size_t i = 0; i < xids.size(); ++i) {
    Answer a = c->Next(types[i], xids[i]);
    ASSERT_TRUE(Ok(a)) << i;
  }
  EXPECT_FALSE(NodeExists("/q"));
}

// ---------------------------------------------------------------------------------------
// /zookeeper

TEST_F(RequestHandlerTest, WritesToZookeeperAreRefused) {
  auto c = Connected();
  EXPECT_TRUE(Fails(c->Create("/zookeeper/x"), err::kBadArguments));
  EXPECT_TRUE(Fails(c->SetData("/zookeeper", "x"), err::kBadArguments));
  EXPECT_TRUE(Fails(c->SetData("/zookeeper/config", "x"), err::kBadArguments));
  EXPECT_TRUE(Fails(c->Delete("/zookeeper/quota"), err::kBadArguments));
  Answer multi =
      c->Call(op::kMulti, MultiRecord({{op::kCreate, CreateRecord("/ok", "", 0)},
                                       {op::kDelete, PathVersionRecord("/zookeeper/config", -1)}}));
  ASSERT_TRUE(Ok(multi));
  ASSERT_EQ(multi.body.results.size(), 2u);
  EXPECT_EQ(multi.body.results[1].err, err::kBadArguments);
  EXPECT_FALSE(NodeExists("/ok"));
  EXPECT_TRUE(NodeExists("/zookeeper/quota"));
  EXPECT_FALSE(c->closed());
}

TEST_F(RequestHandlerTest, ZookeeperConfigIsReadable) {
  auto c = Connected();
  Answer a = c->GetData("/zookeeper/config");
  ASSERT_TRUE(Ok(a));
  // A line per member (server.<id>=<host>:<ports>:participant...), then the version.
  EXPECT_THAT(a.body.data,
              MatchesRegex(absl::StrCat("server\\.1=127\\.0\\.0\\.1:7001:[^\n]*",
                                        ":participant[^\n]*\nversion=", absl::Hex(Applied()))));
  EXPECT_EQ(a.body.stat->data_length, static_cast<int32_t>(a.body.data.size()));
  Answer children = c->Children("/zookeeper");
  ASSERT_TRUE(Ok(children));
  EXPECT_THAT(children.body.children, UnorderedElementsAre("config", "quota"));
}

// ---------------------------------------------------------------------------------------
// Metrics

TEST_F(RequestHandlerTest, EveryRequestIsCountedByOpAndOutcome) {
  prometheus::Registry registry;
  metrics::RequestMetrics requests(registry);
  options_.requests = &requests;
  auto c = Connected();
  ASSERT_TRUE(Ok(c->Create("/a", "x")));
  ASSERT_TRUE(Ok(c->Call(op::kCreate, CreateRecord("/b", "", 0))));
  EXPECT_TRUE(Fails(c->Create("/a"), err::kNodeExists));
  EXPECT_TRUE(Fails(c->GetData("/missing"), err::kNoNode));
  ASSERT_TRUE(Ok(c->SetData("/a", "y")));
  ASSERT_TRUE(Ok(c->Call(op::kPing, "", xid::kPing)));
  EXPECT_TRUE(Fails(c->Call(999, "whatever"), err::kUnimplemented));
  member_->set_leader_contact(absl::UnavailableError("no leader"));
  EXPECT_FALSE(NewClient()->Connect().has_value());

  const ::warren::testing::Exposition e(prometheus::TextSerializer().Serialize(registry.Collect()));
  auto count = [&](const char* op, const char* outcome) {
    return e
        .Value("warren_metastore_requests_total",
               {{"door", "zookeeper"}, {"op", op}, {"outcome", outcome}})
        .value_or(0);
  };
  EXPECT_EQ(count("connect", "OK"), 1);
  EXPECT_EQ(count("connect", "LeaderUnreachable"), 1);
  EXPECT_EQ(count("create", "OK"), 2);  // create2 and create alike
  EXPECT_EQ(count("create", "NodeExists"), 1);
  EXPECT_EQ(count("get", "NoNode"), 1);
  EXPECT_EQ(count("set", "OK"), 1);
  EXPECT_EQ(count("ping", "OK"), 1);
  EXPECT_EQ(count("other", "Unimplemented"), 1);
  EXPECT_EQ(e.Sum("warren_metastore_requests_total"), 9);
  EXPECT_EQ(e.Sum("warren_metastore_request_duration_seconds_count"), 9);
}

// ---------------------------------------------------------------------------------------
// Limits

TEST_F(RequestHandlerTest, RequestsTakenAndNotAnsweredAreCountedOutstanding) {
  std::atomic<int64_t> port_wide{0};
  options_.outstanding = &port_wide;
  member_->set_deferred(true);
  auto c = NewClient();
  c->Send(ConnectFrame({}));
  EXPECT_EQ(c->handler().outstanding(), 1u);
  member_->RunDeferred();
  ASSERT_TRUE(c->TakeConnectReply().has_value());
  EXPECT_EQ(c->handler().outstanding(), 0u);
  for (int32_t xid = 1; xid <= 5; ++xid) {
    c->Send(RequestFrame(xid, op::kGetData, PathWatchRecord("/", false)));
  }
  EXPECT_EQ(c->handler().outstanding(), 5u);
  EXPECT_EQ(port_wide.load(), 5);
  member_->RunDeferred();
  EXPECT_EQ(c->handler().outstanding(), 0u);
  EXPECT_EQ(port_wide.load(), 0);
  // Queued when the connection goes: no longer outstanding.
  for (int32_t xid = 6; xid <= 8; ++xid) {
    c->Send(RequestFrame(xid, op::kGetData, PathWatchRecord("/", false)));
  }
  EXPECT_EQ(port_wide.load(), 3);
  c.reset();
  member_->RunDeferred();
  EXPECT_EQ(port_wide.load(), 0);
}

TEST_F(RequestHandlerTest, PathsPastThePathLimitsAreBadArgumentsForReadsAndWrites) {
  metastore::Limits limits;
  limits.max_path_bytes = 32;
  limits.max_path_depth = 3;
  auto member = LocalMember::Open(limits);
  ASSERT_TRUE(member.ok()) << member.status();
  member_ = std::move(*member);
  auto c = Connected();
  EXPECT_TRUE(Fails(c->Create("/a/b/c/d"), err::kBadArguments));
  EXPECT_TRUE(Fails(c->Create("/" + std::string(32, 'x')), err::kBadArguments));
  // 22 bytes, and 32 with the sequential counter.
  EXPECT_TRUE(Ok(c->Create("/" + std::string(21, 's'), "", mode::kPersistentSequential)));
  EXPECT_TRUE(Fails(c->Create("/" + std::string(22, 's'), "", mode::kPersistentSequential),
                    err::kBadArguments));
  EXPECT_TRUE(Fails(c->GetData("/a/b/c/d"), err::kBadArguments));
  EXPECT_TRUE(Fails(c->Exists("/a/b/c/d", true), err::kBadArguments));
  EXPECT_TRUE(Fails(c->Children("/" + std::string(40, 'x')), err::kBadArguments));
  EXPECT_TRUE(Ok(c->Create("/a")));
  EXPECT_TRUE(Ok(c->GetData("/a")));
}

TEST_F(RequestHandlerTest, AWatchPastTheSessionsLimitRefusesTheReadAndSetsNothing) {
  auto member = LocalMember::Open({}, 2);
  ASSERT_TRUE(member.ok()) << member.status();
  member_ = std::move(*member);
  auto c = Connected();
  for (const char* path : {"/a", "/b", "/c"}) ASSERT_TRUE(Ok(c->Create(path)));
  ASSERT_TRUE(Ok(c->GetData("/a", true)));
  ASSERT_TRUE(Ok(c->Children("/b", true)));
  EXPECT_TRUE(Ok(c->Exists("/a", true))) << "a path watched already costs nothing";
  EXPECT_TRUE(Fails(c->GetData("/c", true), err::kBadArguments));
  EXPECT_TRUE(Fails(c->Exists("/nothing", true), err::kBadArguments));
  Answer added = c->Call(op::kAddWatch, AddWatchRecord("/c", 0));
  EXPECT_EQ(added.reply.err, err::kBadArguments);
  // Without a watch the read is served; the refused watches were not set.
  EXPECT_TRUE(Ok(c->GetData("/c")));
  ASSERT_TRUE(Ok(c->SetData("/c", "changed")));
  EXPECT_TRUE(c->TakeEvents().empty());
  // The watch on /a fires, which frees its path for another.
  ASSERT_TRUE(Ok(c->SetData("/a", "changed")));
  EXPECT_EQ(c->TakeEvents().size(), 1u);
  EXPECT_TRUE(Ok(c->GetData("/c", true)));
}

TEST_F(RequestHandlerTest, ACreatePastTheChildLimitIsBadArguments) {
  metastore::Limits limits;
  limits.max_children_per_node = 2;
  auto member = LocalMember::Open(limits);
  ASSERT_TRUE(member.ok()) << member.status();
  member_ = std::move(*member);
  auto c = Connected();
  ASSERT_TRUE(Ok(c->Create("/p")));
  ASSERT_TRUE(Ok(c->Create("/p/a")));
  ASSERT_TRUE(Ok(c->Create("/p/b")));
  EXPECT_TRUE(Fails(c->Create("/p/c"), err::kBadArguments));
  EXPECT_FALSE(NodeExists("/p/c"));
  ASSERT_TRUE(Ok(c->Delete("/p/a")));
  EXPECT_TRUE(Ok(c->Create("/p/c")));
}

}  // namespace
}  // namespace warren::zookeeper::testing
