// The seed inputs of the request fuzzer: one session (or two) per opcode family, the
// handshake's variants, and malformed frames.
#include "tests/zookeeper/fuzz/seeds.h"

#include <cstdint>

#include "metastore/zookeeper/protocol.h"
#include "tests/fuzz/seeds.h"
#include "tests/zookeeper/client_wire.h"
#include "tests/zookeeper/fuzz/fuzz_input.h"

namespace warren::zookeeper::fuzz {
namespace {

using namespace warren::zookeeper::testing;  // the request encoders

// An input under construction.
class Seed {
 public:
  explicit Seed(bool auto_handshake) { in_.flags = auto_handshake ? kAutoHandshake : 0; }

  Seed& Frame(std::string body, int conn = 0) {
    in_.records.push_back({FrameCtl(conn), std::move(body)});
    return *this;
  }
  Seed& Req(int32_t type, std::string record = "", int conn = 0) {
    return Frame(RequestFrame(xid_[conn & 1]++, type, record), conn);
  }
  Seed& ReqXid(int32_t xid, int32_t type, std::string record = "", int conn = 0) {
    return Frame(RequestFrame(xid, type, record), conn);
  }
  Seed& Act(Action a, int conn = 0, std::string body = "") {
    in_.records.push_back({ActionCtl(a, conn), std::move(body)});
    return *this;
  }
  // Shorthands.
  Seed& Create(std::string path, int32_t flags = 0, int conn = 0, std::string data = "") {
    return Req(op::kCreate2, CreateRecord(path, data, flags), conn);
  }
  std::string Bytes() const { return EncodeInput(in_); }

 private:
  Input in_;
  int32_t xid_[2] = {1, 1};
};

std::string Multi(const std::vector<MultiOp>& ops) { return MultiRecord(ops); }

}  // namespace

std::vector<std::pair<std::string, std::string>> Seeds() {
  std::vector<std::pair<std::string, std::string>> seeds;
  auto add = [&seeds](std::string name, const Seed& s) {
    seeds.emplace_back(std::move(name), s.Bytes());
  };

  // The handshake, as the input has it.
  add("connect-new-session", Seed(false)
                                 .Frame(ConnectFrame({}))
                                 .Req(op::kExists, PathWatchRecord("/", false))
                                 .Create("/a"));
  ConnectArgs old_client;
  old_client.read_only.reset();
  add("connect-old-client",
      Seed(false).Frame(ConnectFrame(old_client)).Req(op::kGetData, PathWatchRecord("/", false)));
  add("connect-truncated", Seed(false).Frame(ConnectFrame({}).substr(0, 10)));
  ConnectArgs ahead;
  ahead.last_zxid_seen = int64_t{1} << 40;
  add("connect-ahead", Seed(false).Frame(ConnectFrame(ahead)));
  ConnectArgs unknown;
  unknown.session_id = 3;
  unknown.password = std::string(16, 'x');
  add("connect-unknown-session", Seed(false).Frame(ConnectFrame(unknown)));
  ConnectArgs timeouts;
  timeouts.timeout_ms = 1;
  add("connect-tiny-timeout", Seed(false).Frame(ConnectFrame(timeouts)).Req(op::kPing));

  // Writes.
  add("create-modes",
      Seed(true)
          .Req(op::kCreate, CreateRecord("/a", "data", mode::kPersistent))
          .Create("/b", mode::kPersistent, 0, "bee")
          .Create("/e", mode::kEphemeral)
          .Create("/s-", mode::kPersistentSequential)
          .Create("/es-", mode::kEphemeralSequential)
          .Req(op::kCreateContainer, CreateRecord("/k", "", mode::kContainer))
          .Req(op::kCreateTtl, CreateRecord("/t", "", mode::kPersistentWithTtl, OpenAcl(), 5000))
          .Req(op::kCreateTtl,
               CreateRecord("/t-", "", mode::kPersistentSequentialWithTtl, OpenAcl(), 5000)));
  add("create-refused",
      Seed(true)
          .Req(op::kCreateTtl, CreateRecord("/t0", "", mode::kPersistentWithTtl, OpenAcl(), 0))
          .Req(op::kCreateContainer, CreateRecord("/k0", "", mode::kPersistent))
          .Create("/f", 9)
          .Req(op::kCreate2, CreateRecord("/acl", "", 0, {}))
          .Create("/missing/child")
          .Create("/e", mode::kEphemeral)
          .Create("/e/child")
          .Create("/zookeeper/x")
          .Create("a//b")
          .Create("/"));
  add("delete-versions", Seed(true)
                             .Create("/d")
                             .Create("/d/c")
                             .Req(op::kDelete, PathVersionRecord("/d", -1))
                             .Req(op::kDelete, PathVersionRecord("/d/c", 3))
                             .Req(op::kDelete, PathVersionRecord("/d/c", 0))
                             .Req(op::kDelete, PathVersionRecord("/d", -1))
                             .Req(op::kDelete, PathVersionRecord("/zookeeper/quota", -1))
                             .Req(op::kDelete, PathVersionRecord("/", -1)));
  add("setdata-versions", Seed(true)
                              .Create("/s", 0, 0, "one")
                              .Req(op::kSetData, SetDataRecord("/s", "two", 0))
                              .Req(op::kSetData, SetDataRecord("/s", "three", 0))
                              .Req(op::kSetData, SetDataRecord("/s", "", -1))
                              .Req(op::kSetData, SetDataRecord("/nope", "x", -1))
                              .Req(op::kSetData, SetDataRecord("/zookeeper/config", "x", -1))
                              .Req(op::kCheck, PathVersionRecord("/s", 2))
                              .Req(op::kCheck, PathVersionRecord("/s", 7))
                              .Req(op::kGetData, PathWatchRecord("/s", false)));

  // Reads.
  add("reads", Seed(true)
                   .Create("/r", 0, 0, "data")
                   .Create("/r/a")
                   .Create("/r/a/b")
                   .Req(op::kExists, PathWatchRecord("/r", false))
                   .Req(op::kExists, PathWatchRecord("/missing", false))
                   .Req(op::kGetData, PathWatchRecord("/r", false))
                   .Req(op::kGetChildren, PathWatchRecord("/r", false))
                   .Req(op::kGetChildren2, PathWatchRecord("/r", false))
                   .Req(op::kGetChildren, PathWatchRecord("/missing", false))
                   .Req(op::kSync, PathRecord("/r"))
                   .Req(op::kGetAllChildrenNumber, PathRecord("/"))
                   .Req(op::kGetAllChildrenNumber, PathRecord("/r"))
                   .Req(op::kGetAllChildrenNumber, PathRecord("/missing"))
                   .Req(op::kWhoAmI));
  add("zookeeper-config", Seed(true)
                              .Req(op::kGetData, PathWatchRecord("/zookeeper/config", true))
                              .Req(op::kGetChildren2, PathWatchRecord("/zookeeper", false))
                              .Req(op::kExists, PathWatchRecord("/zookeeper/quota", true)));
  add("ephemerals", Seed(true)
                        .Create("/e1", mode::kEphemeral)
                        .Create("/d")
                        .Create("/d/e2", mode::kEphemeral)
                        .Create("/d/theirs", mode::kEphemeral, 1)
                        .Req(op::kGetEphemerals, PathRecord("/"))
                        .Req(op::kGetEphemerals, PathRecord("/d"))
                        .Req(op::kGetEphemerals, PathRecord("")));

  // Multi and multiRead.
  add("multi-success",
      Seed(true).Create("/m").Req(op::kMulti,
                                  Multi({{op::kCreate, CreateRecord("/m/a", "x", 0)},
                                         {op::kCreate2, CreateRecord("/m/b", "", mode::kEphemeral)},
                                         {op::kSetData, SetDataRecord("/m", "y", 0)},
                                         {op::kCheck, PathVersionRecord("/m", 1)},
                                         {op::kDelete, PathVersionRecord("/m/a", 0)}})));
  add("multi-failure",
      Seed(true).Req(op::kMulti, Multi({{op::kCreate, CreateRecord("/f", "", 0)},
                                        {op::kSetData, SetDataRecord("/nope", "", -1)},
                                        {op::kCreate, CreateRecord("/g", "", 0)}})));
  add("multi-refused-create",
      Seed(true).Req(op::kMulti, Multi({{op::kCreate, CreateRecord("/h", "", 0)},
                                        {op::kCreate, CreateRecord("/i", "", 0, {})}})));
  add("multi-empty", Seed(true).Req(op::kMulti, Multi({})).Req(op::kMultiRead, Multi({})));
  add("multi-container-ttl",
      Seed(true).Req(op::kMulti,
                     Multi({{op::kCreateContainer, CreateRecord("/k", "", mode::kContainer)},
                            {op::kCreateTtl,
                             CreateRecord("/t", "", mode::kPersistentWithTtl, OpenAcl(), 1000)}})));
  add("multi-bad-op",
      Seed(true).Req(op::kMulti, Multi({{op::kGetData, PathWatchRecord("/", false)}})));
  add("multi-truncated",
      Seed(true).Req(op::kMulti, Multi({{op::kCreate, CreateRecord("/x", "", 0)}}).substr(0, 20)));
  add("multi-zookeeper-write",
      Seed(true).Req(op::kMulti,
                     Multi({{op::kCreate, CreateRecord("/ok", "", 0)},
                            {op::kDelete, PathVersionRecord("/zookeeper/config", -1)}})));
  add("multiread",
      Seed(true)
          .Create("/mr", 0, 0, "v")
          .Req(op::kMultiRead, Multi({{op::kGetData, PathWatchRecord("/mr", true)},
                                      {op::kGetChildren, PathWatchRecord("/", false)},
                                      {op::kGetData, PathWatchRecord("/nope", false)}})));

  // Watches.
  add("watches-one-shot", Seed(true)
                              .Create("/w")
                              .Req(op::kGetData, PathWatchRecord("/w", true), 1)
                              .Req(op::kExists, PathWatchRecord("/x", true), 1)
                              .Req(op::kGetChildren, PathWatchRecord("/", true), 1)
                              .Req(op::kSetData, SetDataRecord("/w", "1", -1))
                              .Create("/x")
                              .Req(op::kDelete, PathVersionRecord("/x", -1))
                              .Req(op::kDelete, PathVersionRecord("/w", -1)));
  WatchLists lists;
  lists.data = {"/a", "/gone"};
  lists.exist = {"/c"};
  lists.child = {"/", "/a"};
  add("setwatches",
      Seed(true)
          .Create("/a")
          .Create("/b")
          .ReqXid(xid::kSetWatches, op::kSetWatches, SetWatchesRecord(1, lists, false), 1)
          .Create("/c")
          .Req(op::kSetData, SetDataRecord("/a", "x", -1))
          .Create("/a/child"));
  WatchLists persistent;
  persistent.persistent = {"/p"};
  persistent.recursive = {"/r"};
  add("setwatches2",
      Seed(true)
          .ReqXid(xid::kSetWatches, op::kSetWatches2, SetWatchesRecord(1, persistent, true), 1)
          .Create("/p")
          .Create("/r")
          .Create("/r/x"));
  add("setwatches-ahead", Seed(true).ReqXid(xid::kSetWatches, op::kSetWatches,
                                            SetWatchesRecord(int64_t{1} << 50, lists, false)));
  add("addwatch",
      Seed(true)
          .Req(op::kAddWatch, AddWatchRecord("/p", 0), 1)
          .Req(op::kAddWatch, AddWatchRecord("/r", 1), 1)
          .Req(op::kAddWatch, AddWatchRecord("/bad", 7), 1)
          .Create("/p")
          .Req(op::kSetData, SetDataRecord("/p", "x", -1))
          .Create("/r")
          .Create("/r/x")
          .Req(op::kDelete, PathVersionRecord("/r/x", -1))
          .Req(op::kCheckWatches, WatcherRecord("/p", watcher_type::kPersistent), 1)
          .Req(op::kRemoveWatches, WatcherRecord("/r", watcher_type::kPersistentRecursive), 1)
          .Req(op::kRemoveWatches, WatcherRecord("/r", watcher_type::kPersistentRecursive), 1));
  add("check-remove-watches",
      Seed(true)
          .Create("/a")
          .Req(op::kGetData, PathWatchRecord("/a", true))
          .Req(op::kCheckWatches, WatcherRecord("/a", watcher_type::kData))
          .Req(op::kCheckWatches, WatcherRecord("/a", watcher_type::kChildren))
          .Req(op::kCheckWatches, WatcherRecord("/a", watcher_type::kAny))
          .Req(op::kRemoveWatches, WatcherRecord("/a", watcher_type::kData))
          .Req(op::kRemoveWatches, WatcherRecord("/a", watcher_type::kData))
          .Req(op::kCheckWatches, WatcherRecord("/a", 99)));

  // Sessions.
  add("close-session", Seed(true)
                           .Create("/e", mode::kEphemeral)
                           .Req(op::kExists, PathWatchRecord("/e", true), 1)
                           .Req(op::kCloseSession)
                           .Req(op::kExists, PathWatchRecord("/e", false)));
  add("reconnect", Seed(true)
                       .Create("/e", mode::kEphemeral)
                       .Act(Action::kReconnect)
                       .Req(op::kGetData, PathWatchRecord("/e", true))
                       .Act(Action::kReconnectWrongPassword)
                       .Act(Action::kDisconnect)
                       .Req(op::kGetEphemerals, PathRecord("/")));
  add("reconnect-after-close", Seed(true)
                                   .Req(op::kCloseSession)
                                   .Act(Action::kReconnect)
                                   .Req(op::kExists, PathWatchRecord("/", false)));

  // Other requests, and malformed ones.
  add("ping-reconfig-auth", Seed(true)
                                .ReqXid(xid::kPing, op::kPing)
                                .Req(op::kReconfig, std::string(24, '\0'))
                                .ReqXid(xid::kAuth, op::kAuth, AuthRecord("digest", "u:p")));
  add("unknown-opcode", Seed(true).Req(999, "whatever").Req(op::kExists, PathWatchRecord("/", 0)));
  add("sasl", Seed(true).Req(op::kSasl, std::string("\0\0\0\0", 4)));
  add("acl-digest",
      Seed(true)
          .ReqXid(xid::kAuth, op::kAuth, AuthRecord("digest", "alice:secret"))
          .Req(op::kCreate2, CreateRecord("/secret", "s", mode::kPersistent, {{31, "auth", ""}}))
          .Req(op::kCreate2, CreateRecord("/r", "", mode::kPersistent, {{1, "auth", ""}}))
          .Req(op::kCreate2, CreateRecord("/ip", "", mode::kPersistent, {{31, "ip", "10.0.0.0/8"}}))
          .Req(op::kGetAcl, PathRecord("/secret"))
          .Req(op::kGetAcl, PathRecord("/r"))
          .Req(op::kSetAcl, SetAclRecord("/secret", {{17, "world", "anyone"}}, 0))
          .Req(op::kSetAcl, SetAclRecord("/secret", {}, -1))
          .Req(op::kGetData, PathWatchRecord("/r", false), 1)
          .Req(op::kSetData, SetDataRecord("/secret", "x", -1), 1)
          .Req(op::kWhoAmI));
  add("acl-requests",
      Seed(true).Req(op::kGetAcl, PathRecord("/")).Req(op::kSetAcl, PathRecord("/")));
  {
    JuteWriter w;
    w.Int(100);
    add("truncated-request", Seed(true).Req(op::kGetData, w.Take() + "/ab"));
  }
  add("short-frame", Seed(true).Frame(std::string("\0\0\0", 3)));
  add("odd-xids", Seed(true)
                      .ReqXid(-1, op::kExists, PathWatchRecord("/", false))
                      .ReqXid(0, op::kExists, PathWatchRecord("/", false))
                      .ReqXid(INT32_MAX, op::kSync, PathRecord("/"))
                      .ReqXid(INT32_MIN, op::kPing));
  add("deep-tree", Seed(true)
                       .Create("/a")
                       .Create("/a/b")
                       .Create("/a/b/c")
                       .Create("/a/b/c/d")
                       .Req(op::kGetAllChildrenNumber, PathRecord("/a"))
                       .Req(op::kDelete, PathVersionRecord("/a/b/c/d", -1))
                       .Req(op::kDelete, PathVersionRecord("/a/b", -1)));

  // The raw decoders.
  {
    JuteWriter acls;
    WriteAclEntries(acls, {{31, "world", "anyone"}, {1, "ip", "10.0.0.1"}});
    JuteWriter strings;
    strings.Strings({"a", "", "/zookeeper"});
    JuteWriter nulls;
    nulls.Int(2);
    nulls.NullBuffer();
    nulls.NullBuffer();
    JuteWriter lies;
    lies.Int(-7);
    lies.Int(0x7fffffff);
    lies.Int(-1);
    add("raw-decoders", Seed(true)
                            .Act(Action::kDecodeOnly, 0, acls.Take())
                            .Act(Action::kDecodeOnly, 0, strings.Take())
                            .Act(Action::kDecodeOnly, 0, nulls.Take())
                            .Act(Action::kDecodeOnly, 0, lies.Take())
                            .Act(Action::kDecodeOnly, 0, ConnectFrame({})));
  }
  return seeds;
}

}  // namespace warren::zookeeper::fuzz

namespace warren::fuzz {

std::vector<std::pair<std::string, std::string>> Seeds() { return zookeeper::fuzz::Seeds(); }

}  // namespace warren::fuzz
