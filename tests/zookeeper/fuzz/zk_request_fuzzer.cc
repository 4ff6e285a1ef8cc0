// libFuzzer target for ZooKeeper's port: frames from the input go to RequestHandlers over one
// LocalMember (its tree reused across inputs, emptied after each), and every record's bytes
// to the jute decoders. Aborts if anything crashes, if a reply is not one ZooKeeper's client
// could read (an xid it did not send or out of order, a body of the wrong layout, a reply sent
// after the close, a zxid going back), or if the tree's invariants break.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "metastore/zookeeper/jute.h"
#include "metastore/zookeeper/protocol.h"
#include "metastore/zookeeper/request_handler.h"
#include "tests/metastore/tree_invariants.h"
#include "tests/zookeeper/client_wire.h"
#include "tests/zookeeper/fuzz/fuzz_input.h"
#include "tests/zookeeper/local_member.h"

namespace warren::zookeeper::fuzz {
namespace {

using testing::LocalMember;

constexpr size_t kMaxInputBytes = 1 << 16;
constexpr size_t kMaxRecords = 256;
constexpr int kMaxConnections = 16;  // per input, reconnects included
constexpr int32_t kClientTimeoutMs = 5000;

// ZK_FUZZ_TRACE=1: every request and reply on stderr, to read what an input does.
const bool kTrace = getenv("ZK_FUZZ_TRACE") != nullptr;

[[noreturn]] void Violation(const std::string& what) {
  fprintf(stderr, "zk_request_fuzzer: %s\n", what.c_str());
  fflush(stderr);
  abort();
}

bool KnownCode(int32_t code) {
  switch (code) {
    case err::kSystemError:
    case err::kRuntimeInconsistency:
    case err::kConnectionLoss:
    case err::kMarshallingError:
    case err::kUnimplemented:
    case err::kOperationTimeout:
    case err::kBadArguments:
    case err::kReconfigDisabled:
    case err::kNoNode:
    case err::kNoAuth:
    case err::kBadVersion:
    case err::kNoChildrenForEphemerals:
    case err::kNodeExists:
    case err::kNotEmpty:
    case err::kSessionExpired:
    case err::kInvalidAcl:
    case err::kAuthFailed:
    case err::kSessionMoved:
    case err::kNoWatcher:
      return true;
    default:
      return false;
  }
}

// ---------------------------------------------------------------------------------------
// The raw decoders

// Whatever the bytes, the reader never reads past them, and once failed it stays failed.
void DecodePrimitives(const std::string& bytes) {
  JuteReader r(bytes);
  size_t remaining = r.remaining();
  for (size_t step = 0; r.ok() && !r.done() && step < 4096; ++step) {
    switch (step % 6) {
      case 0:
        r.Int();
        break;
      case 1:
        r.Long();
        break;
      case 2:
        r.Bool();
        break;
      case 3:
        r.Buffer();
        break;
      case 4:
        r.Strings(64);
        break;
      default:
        r.Count(64);
        break;
    }
    if (r.remaining() > remaining) Violation("the jute reader went backwards");
    remaining = r.remaining();
  }
  if (!r.ok()) {
    if (r.Int() != 0 || r.Long() != 0 || r.Bool() || !r.Buffer().empty() || !r.Strings().empty() ||
        r.Count() != 0 || r.ok()) {
      Violation("a failed jute reader read something");
    }
  }
}

void DecodeRaw(const std::string& bytes) {
  DecodePrimitives(bytes);
  {
    JuteReader r(bytes);
    ConnectRequest c;
    Read(r, &c);
  }
  {
    JuteReader r(bytes);
    google::protobuf::RepeatedPtrField<metastorepb::Acl> acls;
    ReadAcls(r, &acls);
    if (r.ok()) {
      JuteWriter w;
      WriteAcls(w, acls);
      JuteReader again(w.bytes());
      google::protobuf::RepeatedPtrField<metastorepb::Acl> back;
      ReadAcls(again, &back);
      if (!again.ok() || !again.done() || back.size() != acls.size()) {
        Violation("ACLs do not survive a round trip");
      }
      for (int i = 0; i < acls.size(); ++i) {
        if (back[i].perms() != acls[i].perms() || back[i].id().scheme() != acls[i].id().scheme() ||
            back[i].id().id() != acls[i].id().id()) {
          Violation("an ACL changed in a round trip");
        }
      }
    }
  }
  {
    JuteReader r(bytes);
    const std::vector<std::string> strings = r.Strings(64);
    if (r.ok()) {
      JuteWriter w;
      w.Strings(strings);
      JuteReader again(w.bytes());
      if (again.Strings(64) != strings || !again.ok() || !again.done()) {
        Violation("strings do not survive a round trip");
      }
    }
  }
  // The test client's own decoders take the same bytes without harm.
  for (int32_t type : {op::kCreate, op::kCreate2, op::kGetData, op::kGetChildren2, op::kMulti,
                       op::kWhoAmI, op::kGetAllChildrenNumber}) {
    testing::Body body;
    testing::DecodeBody(type, bytes, &body);
  }
  testing::ConnectReply connect;
  testing::ParseConnectReply(bytes, &connect);
}

// ---------------------------------------------------------------------------------------
// Connections

const HandlerOptions& Options() {
  static const HandlerOptions options;
  return options;
}

// One client connection, and what its client knows of the exchange so far.
struct Connection {
  std::shared_ptr<RequestHandler> handler;
  struct Sent {
    std::string frame;
    bool after_close;
  };
  std::deque<Sent> sent;                  // by the handler, not yet checked
  bool close_asked = false;               // the handler called the close hook
  bool socket_closed = false;             // OnClosed was called
  bool handshake_sent = false;            // the ConnectRequest went out
  bool handshake_done = false;            // its answer came
  std::optional<int64_t> expect_session;  // a reconnect: the session it must get, or 0
  int64_t session = 0;
  std::string password;
  int64_t last_zxid = 0;                               // the newest zxid a reply carried
  std::deque<std::pair<int32_t, int32_t>> unanswered;  // (xid, type), oldest first

  bool open() const { return handler != nullptr && !close_asked && !socket_closed; }
};

class Run {
 public:
  Run(LocalMember* member, bool auto_handshake)
      : member_(member), auto_handshake_(auto_handshake) {}

  ~Run() {
    for (auto& c : all_) EndSocket(*c);
  }

  void Feed(const Record& record) {
    DecodeRaw(record.body);
    const int index = record.connection();
    if (record.is_action()) return Act(record.action(), index);
    Connection* c = Ensure(index);
    if (c == nullptr) return;
    if (!c->handshake_sent) {
      c->handshake_sent = true;
      c->handler->OnFrame(record.body);
      return CheckAll();
    }
    std::string frame = record.body;
    if (frame.size() >= 8) {
      JuteReader r(frame);
      int32_t xid = r.Int();
      const int32_t type = r.Int();
      if (xid == xid::kNotification) {
        // -1 is what notifications carry; a request's reply must be told apart from them.
        xid = INT32_MIN;
        JuteWriter w;
        w.Int(xid);
        frame.replace(0, 4, w.bytes());
      }
      c->unanswered.emplace_back(xid, type);
      if (kTrace) fprintf(stderr, "-> conn %p xid %d type %d\n", static_cast<void*>(c), xid, type);
    } else if (kTrace) {
      fprintf(stderr, "-> conn %p a frame of %zu bytes\n", static_cast<void*>(c), frame.size());
    }
    c->handler->OnFrame(std::move(frame));
    CheckAll();
  }

 private:
  // The connection for `index`, opened (with a handshake, if the harness makes them) if it is
  // not; null past the bound of connections.
  Connection* Ensure(int index) {
    Connection* c = current_[index];
    if (c != nullptr && c->open()) return c;
    c = Open(index);
    if (c != nullptr && auto_handshake_) {
      testing::ConnectArgs args;
      args.timeout_ms = kClientTimeoutMs;
      Handshake(*c, args);
    }
    return c;
  }

  Connection* Open(int index) {
    if (opened_ >= kMaxConnections) return nullptr;
    ++opened_;
    auto c = std::make_unique<Connection>();
    Connection* raw = c.get();
    ConnectionHooks hooks;
    hooks.send = [raw](std::string frame) {
      raw->sent.push_back({std::move(frame), raw->close_asked});
    };
    hooks.close = [raw] { raw->close_asked = true; };
    // As ZooKeeperServer::Attached: an older connection of the session here ends.
    hooks.attached = [this, raw](uint64_t session) {
      for (auto& other : all_) {
        if (other.get() != raw && other->open() &&
            other->session == static_cast<int64_t>(session)) {
          other->handler->Close();
        }
      }
    };
    c->handler =
        std::make_shared<RequestHandler>(member_, &Options(), "127.0.0.1", std::move(hooks));
    all_.push_back(std::move(c));
    current_[index] = raw;
    return raw;
  }

  void Handshake(Connection& c, const testing::ConnectArgs& args) {
    c.handshake_sent = true;
    c.handler->OnFrame(testing::ConnectFrame(args));
    CheckAll();
  }

  void Act(Action action, int index) {
    Connection* old = current_[index];
    switch (action) {
      case Action::kReconnect:
      case Action::kReconnectWrongPassword: {
        if (old == nullptr || old->session == 0) return;
        testing::ConnectArgs args;
        args.session_id = old->session;
        args.password = old->password;
        if (action == Action::kReconnectWrongPassword) args.password[0] ^= 1;
        args.last_zxid_seen = old->last_zxid;
        const bool lives = member_->tree().HasSession(static_cast<uint64_t>(old->session));
        Connection* c = Open(index);
        if (c == nullptr) return;
        c->expect_session = lives && action == Action::kReconnect ? old->session : 0;
        return Handshake(*c, args);
      }
      case Action::kDisconnect:
        if (old != nullptr) EndSocket(*old);
        return;
      case Action::kDecodeOnly:
        return;
    }
  }

  // As the connection does once its socket is gone.
  void EndSocket(Connection& c) {
    if (c.handler == nullptr || c.socket_closed) return;
    c.socket_closed = true;
    c.handler->OnClosed();
  }

  // Checks what every connection was sent (a write here may notify a watch there).
  void CheckAll() {
    for (auto& c : all_) Check(*c);
  }

  void Check(Connection& c) {
    const int64_t applied = static_cast<int64_t>(member_->tree().LastApplied());
    while (!c.sent.empty()) {
      Connection::Sent s = std::move(c.sent.front());
      c.sent.pop_front();
      if (!c.handshake_done) {
        CheckConnectReply(c, s.frame);
        continue;
      }
      testing::Reply r;
      if (!testing::ParseReply(s.frame, &r)) {
        Violation(absl::StrCat("a frame of ", s.frame.size(), " bytes: not a reply"));
      }
      if (kTrace) {
        fprintf(stderr, "<- conn %p xid %d zxid %lld err %d, %zu bytes\n", static_cast<void*>(&c),
                r.xid, static_cast<long long>(r.zxid), r.err, r.body.size());
      }
      if (r.xid == xid::kNotification) {
        testing::Event e;
        if (!testing::ParseEvent(r, &e)) Violation("a notification that does not decode");
        if (e.type < 1 || e.type > 4 || e.state != kStateSyncConnected) {
          Violation(absl::StrCat("a notification of type ", e.type, ", state ", e.state));
        }
        if (e.zxid <= 0 || e.zxid > applied) {
          Violation(absl::StrCat("a notification at zxid ", e.zxid, "; applied ", applied));
        }
        continue;
      }
      if (c.unanswered.empty() || c.unanswered.front().first != r.xid) {
        Violation(absl::StrCat("a reply with xid ", r.xid, " (error ", r.err, "); the oldest ",
                               "unanswered request has ",
                               c.unanswered.empty()
                                   ? std::string("none")
                                   : absl::StrCat("xid ", c.unanswered.front().first)));
      }
      const int32_t type = c.unanswered.front().second;
      c.unanswered.pop_front();
      if (s.after_close) {
        Violation(absl::StrCat("the reply to xid ", r.xid, " (type ", type,
                               ") was sent after the close, and is lost"));
      }
      if (r.err == err::kOk) {
        testing::Body body;
        if (std::string why = testing::DecodeBody(type, r.body, &body); !why.empty()) {
          Violation(absl::StrCat("xid ", r.xid, ": ", why));
        }
      } else if (type == op::kMulti && KnownCode(r.err) && !r.body.empty()) {
        // A multi refused as a whole still answers each op: ZooKeeper's C client reads them.
        testing::Body body;
        if (std::string why = testing::DecodeBody(type, r.body, &body); !why.empty()) {
          Violation(absl::StrCat("xid ", r.xid, " (a multi refused with ", r.err, "): ", why));
        }
      } else if (!KnownCode(r.err) || !r.body.empty()) {
        Violation(absl::StrCat("xid ", r.xid, " (type ", type, "): error ", r.err, " with ",
                               r.body.size(), " bytes of body"));
      }
      if (r.zxid > applied || r.zxid < 0) {
        Violation(absl::StrCat("a reply at zxid ", r.zxid, "; applied ", applied));
      }
      if (r.zxid > 0 && r.zxid < c.last_zxid) {
        Violation(absl::StrCat("a reply at zxid ", r.zxid, " after one at ", c.last_zxid));
      }
      c.last_zxid = std::max(c.last_zxid, r.zxid);
    }
    if (c.close_asked) EndSocket(c);
  }

  void CheckConnectReply(Connection& c, const std::string& frame) {
    testing::ConnectReply reply;
    if (!testing::ParseConnectReply(frame, &reply)) Violation("not a ConnectResponse");
    if (kTrace) {
      fprintf(stderr, "<- conn %p session %lld timeout %d\n", static_cast<void*>(&c),
              static_cast<long long>(reply.session_id), reply.timeout_ms);
    }
    c.handshake_done = true;
    if (reply.session_id == 0) {
      if (reply.timeout_ms != 0 || reply.password != std::string(16, '\0') || !c.close_asked) {
        Violation("a refused session's answer is not ZooKeeper's, or the connection stays");
      }
    } else {
      const metastore::Limits& limits = member_->tree().limits();
      if (reply.timeout_ms < limits.min_session_timeout_ms ||
          reply.timeout_ms > limits.max_session_timeout_ms || reply.password.size() != 16) {
        Violation("a session with a timeout out of bounds or a password not of 16 bytes");
      }
      c.session = reply.session_id;
      c.password = reply.password;
    }
    if (c.expect_session.has_value() && *c.expect_session != reply.session_id) {
      Violation(
          absl::StrCat("a reconnect got session ", reply.session_id, ", not ", *c.expect_session));
    }
  }

  LocalMember* const member_;
  const bool auto_handshake_;
  std::vector<std::unique_ptr<Connection>> all_;
  Connection* current_[2] = {nullptr, nullptr};
  int opened_ = 0;
};

// ---------------------------------------------------------------------------------------
// The tree

// The harness reads and deletes as the superuser, whom no node's ACL keeps out.
void AsSuper(google::protobuf::RepeatedPtrField<metastorepb::Id>* auth) {
  auth->Add()->set_scheme("super");
}

void CheckTree(LocalMember& m) {
  if (auto s = metastore::CheckTreeInvariants(m.tree()); !s.ok()) Violation(s.ToString());
}

// Ends every session and deletes every node a client made, so that each input starts from
// the same tree (but for its zxids).
void EmptyTree(LocalMember& m) {
  metastorepb::Command expire;
  for (const auto& s : m.tree().Sessions()) {
    expire.mutable_expire_sessions()->add_session_ids(s.id);
  }
  if (expire.has_expire_sessions()) m.Apply(expire);
  std::vector<std::string> nodes = metastore::WalkTree(m.tree());
  metastorepb::Command del;
  AsSuper(del.mutable_auth());
  for (auto it = nodes.rbegin(); it != nodes.rend(); ++it) {
    if (*it == "/" || *it == "/zookeeper" || it->starts_with("/zookeeper/")) continue;
    metastorepb::Op* op = del.mutable_multi()->add_ops();
    op->mutable_delete_()->set_path(*it);
    if (static_cast<size_t>(del.multi().ops_size()) == m.tree().limits().max_ops_per_multi) {
      if (m.Apply(del).error() != metastorepb::OK) Violation("the tree cannot be emptied");
      del.Clear();
      AsSuper(del.mutable_auth());
    }
  }
  if (del.has_multi() && m.Apply(del).error() != metastorepb::OK) {
    Violation("the tree cannot be emptied");
  }
  if (m.tree().node_count() != 4) Violation("the emptied tree is not empty");
  m.ClearTouches();
}

LocalMember& Member() {
  static std::unique_ptr<LocalMember> member = [] {
    auto m = LocalMember::Open();
    if (!m.ok()) Violation(absl::StrCat("no tree: ", m.status().ToString()));
    return std::move(*m);
  }();
  return *member;
}

}  // namespace
}  // namespace warren::zookeeper::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace warren::zookeeper::fuzz;
  if (size > kMaxInputBytes) return 0;
  const Input input = ParseInput(data, size, kMaxRecords);
  LocalMember& member = Member();
  {
    Run run(&member, (input.flags & kAutoHandshake) != 0);
    for (const Record& r : input.records) run.Feed(r);
  }  // every connection's socket ends
  CheckTree(member);
  EmptyTree(member);
  return 0;
}
