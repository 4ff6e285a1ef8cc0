// The metastore apply fuzzer's seeds: a session with each kind of node, each write op, a multi
// that fails half-way, ACLs, housekeeping, quotas, and entries that are not commands.
#include <string>

#include "metastore/ops.h"
#include "proto/metastore.pb.h"
#include "tests/fuzz/records.h"
#include "tests/fuzz/seeds.h"

namespace warren::fuzz {
namespace {

using metastore::CheckOp;
using metastore::CreateOp;
using metastore::DeleteOp;
using metastore::SetOp;

int64_t now_ms = 1700000000000;

Record Entry(metastorepb::Command cmd) {
  cmd.set_time_ms(now_ms += 1000);
  return {0, cmd.SerializeAsString()};
}

Record Multi(std::initializer_list<metastorepb::Op> ops, uint64_t session = 0) {
  metastorepb::Command cmd;
  cmd.set_session_id(session);
  for (const auto& op : ops) *cmd.mutable_multi()->add_ops() = op;
  return Entry(cmd);
}

Record NewSession(int64_t timeout_ms) {
  metastorepb::Command cmd;
  cmd.mutable_create_session()->set_timeout_ms(timeout_ms);
  cmd.mutable_create_session()->set_password(std::string(16, 'p'));
  return Entry(cmd);
}

metastorepb::Op Create(const std::string& path, bool ephemeral, bool sequential,
                       bool container = false, int64_t ttl_ms = 0) {
  metastorepb::Op op = CreateOp(path, "data");
  op.mutable_create()->set_ephemeral(ephemeral);
  op.mutable_create()->set_sequential(sequential);
  op.mutable_create()->set_container(container);
  op.mutable_create()->set_ttl_ms(ttl_ms);
  return op;
}

Record PersistRecord() { return {3, "runtime"}; }

}  // namespace

std::vector<std::pair<std::string, std::string>> Seeds() {
  metastorepb::Command close;
  close.set_session_id(1);
  close.set_close_session(true);
  metastorepb::Command expire;
  expire.mutable_expire_sessions()->add_session_ids(1);
  metastorepb::Command idle;
  auto* node = idle.mutable_delete_idle()->add_nodes();
  node->set_path("/k");
  node->set_czxid(2);
  metastorepb::Op set_acl;
  set_acl.mutable_set_acl()->set_path("/a");
  auto* acl = set_acl.mutable_set_acl()->add_acl();
  acl->set_perms(1);
  acl->mutable_id()->set_scheme("digest");
  acl->mutable_id()->set_id("alice:X/NSthOnaQ6R/MtvAhfBizJeW7o=");
  metastorepb::Command as_alice;
  *as_alice.mutable_multi()->add_ops() = SetOp("/a", "x");
  auto* alice = as_alice.add_auth();
  alice->set_scheme("digest");
  alice->set_id("alice");
  metastorepb::Command unknown;

  return {
      Seed("session-nodes",
           {NewSession(5000), Multi({Create("/e", true, false)}, 1),
            Multi({Create("/s-", false, true)}), Multi({Create("/es-", true, true)}, 1),
            PersistRecord(), Entry(close)}),
      Seed("writes",
           {Multi({CreateOp("/a", "one")}), Multi({SetOp("/a", "two", 0)}),
            Multi({SetOp("/a", "three", 0)}), Multi({CheckOp("/a", 1)}), Multi({CreateOp("/a/b")}),
            Multi({DeleteOp("/a")}), Multi({DeleteOp("/a/b")}), Multi({DeleteOp("/a", 1)})}),
      Seed("multi-half-way",
           {Multi({CreateOp("/m"), CreateOp("/m/x"), SetOp("/nope", "y"), CreateOp("/m/y")})}),
      Seed("acl", {Multi({CreateOp("/a")}), Multi({set_acl}), Entry(as_alice), PersistRecord()}),
      Seed("housekeeping", {NewSession(2000), Multi({Create("/k", false, false, true)}),
                            Multi({Create("/k/c", true, false)}, 1), Entry(expire), Entry(idle),
                            Multi({Create("/t", false, false, false, 1000)})}),
      Seed("not-commands", {Record{0, "\xff\xff garbage"}, Entry(unknown), Record{0, ""}}),
      Seed("invalid-paths", {Multi({CreateOp("a//b")}), Multi({CreateOp("/zookeeper/x")}),
                             Multi({DeleteOp("/")}), Multi({SetOp("/zookeeper/config", "")})}),
      Seed("quotas",
           {Multi({CreateOp("/q", "data"), CreateOp("/zookeeper/quota/q"),
                   CreateOp("/zookeeper/quota/q/zookeeper_limits",
                            "count=2,bytes=-1=;byteHardLimit=12;countHardLimit=3"),
                   CreateOp("/zookeeper/quota/q/zookeeper_stats", "count=0,bytes=0")}),
            Multi({CreateOp("/q/a", "1234")}), Multi({CreateOp("/q/b")}),
            Multi({SetOp("/q/a", "123456789")}), Multi({CreateOp("/q/a/c"), DeleteOp("/q/b")}),
            PersistRecord(), Multi({DeleteOp("/zookeeper/quota/q/zookeeper_limits")}),
            Multi({CreateOp("/q/d")})}),
  };
}

}  // namespace warren::fuzz
