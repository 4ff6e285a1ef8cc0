// warren: the metastore's command line (like zkCli or etcdctl).
//   warren --endpoints=127.0.0.1:7101,127.0.0.1:7102,127.0.0.1:7103 COMMAND [ARGS]
// Exit status: 0 success, 1 the quorum answered with an error (printed as "Name: path"),
// 2 bad usage.
#include <cstdlib>
#include <functional>
#include <iostream>
#include <map>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/dashed_flags.h"
#include "metastore/cli/output.h"
#include "metastore/client/endpoints_flag.h"
#include "metastore/client/metastore_client.h"
#include "metastore/errors.h"

ABSL_FLAG(bool, json, false, "print JSON (one object per line) instead of text");
ABSL_FLAG(int64_t, timeout_ms, 10000, "give up on a request after this long");
ABSL_FLAG(int64_t, session_timeout_ms, 10000, "session timeout for -e and watch");
ABSL_FLAG(std::string, consistency, "linearizable", "reads: linearizable or sequential");
ABSL_FLAG(bool, leader_only, false,
          "send everything to the leader, instead of to one member picked at random");
ABSL_FLAG(bool, e, false, "create: ephemeral (lives as long as this command's session)");
ABSL_FLAG(bool, s, false, "create: sequential (appends a 10-digit counter)");
ABSL_FLAG(bool, c, false, "create: container (deleted once its last child goes)");
ABSL_FLAG(int64_t, ttl, 0, "create: TTL in ms (deleted when idle this long and childless)");
ABSL_FLAG(int32_t, v, -1, "set/delete: expected version (-1: any)");
ABSL_FLAG(bool, recursive, false, "watch: the whole subtree");
ABSL_FLAG(int64_t, count, 0, "watch: exit after this many events (0: never)");

namespace warren::metastore::cli {
namespace {

constexpr char kUsage[] = R"(usage: warren [--endpoints=H:P,...] [--json] COMMAND [ARGS]
  create [-e] [-s] [-c] [--ttl=MS] PATH [DATA]   prints the created path
  get PATH                                       prints the data
  set PATH DATA [-v VERSION]
  delete PATH [-v VERSION]
  deleteall PATH                                 deletes PATH and everything below it
  ls PATH                                        one child per line
  stat PATH
  exists PATH                                    exit 0 if it exists, 1 (NoNode) if not
  watch PATH [--recursive] [--count=N]           prints one event per line
  members | status | leader
  transfer-leader ID
  snapshot)";

bool json() { return absl::GetFlag(FLAGS_json); }

int Usage(const std::string& why) {
  std::cerr << "warren: " << why << "\n" << kUsage << "\n";
  return 2;
}

// One line naming the error and what it is about; exit 1.
int Fail(const absl::Status& s) {
  if (json()) {
    std::cout << "{\"error\":" << JsonString(ErrorName(ErrorOf(s)))
              << ",\"message\":" << JsonString(std::string(s.message())) << "}\n";
  } else {
    std::cerr << s.message() << "\n";
  }
  return 1;
}

using Args = std::vector<std::string>;
using Command = std::function<int(MetastoreClient&, const Args&)>;

int Create(MetastoreClient& client, const Args& args) {
  if (args.empty() || args.size() > 2) return Usage("create PATH [DATA]");
  CreateOptions opts{absl::GetFlag(FLAGS_e), absl::GetFlag(FLAGS_s), absl::GetFlag(FLAGS_c),
                     absl::GetFlag(FLAGS_ttl)};
  if (opts.ephemeral) {
    if (auto s = client.StartSession(absl::Milliseconds(absl::GetFlag(FLAGS_session_timeout_ms)));
        !s.ok()) {
      return Fail(s);
    }
  }
  metastorepb::Stat stat;
  auto path = client.Create(args[0], args.size() > 1 ? args[1] : "", opts, &stat);
  if (!path.ok()) return Fail(path.status());
  if (json()) {
    std::cout << "{\"path\":" << JsonString(*path) << ",\"stat\":" << StatJson(stat) << "}\n";
  } else {
    std::cout << *path << "\n";
  }
  return 0;
}

int Get(MetastoreClient& client, const Args& args) {
  if (args.size() != 1) return Usage("get PATH");
  auto node = client.GetData(args[0]);
  if (!node.ok()) return Fail(node.status());
  if (json()) {
    std::cout << "{\"path\":" << JsonString(args[0]) << ",\"data\":" << JsonString(node->data)
              << ",\"stat\":" << StatJson(node->stat) << "}\n";
  } else {
    std::cout << node->data << "\n";
  }
  return 0;
}

int Set(MetastoreClient& client, const Args& args) {
  if (args.size() != 2) return Usage("set PATH DATA [-v VERSION]");
  auto stat = client.SetData(args[0], args[1], absl::GetFlag(FLAGS_v));
  if (!stat.ok()) return Fail(stat.status());
  if (json())
    std::cout << "{\"path\":" << JsonString(args[0]) << ",\"stat\":" << StatJson(*stat) << "}\n";
  return 0;
}

int Delete(MetastoreClient& client, const Args& args) {
  if (args.size() != 1) return Usage("delete PATH [-v VERSION]");
  if (auto s = client.Delete(args[0], absl::GetFlag(FLAGS_v)); !s.ok()) return Fail(s);
  if (json()) std::cout << "{\"deleted\":" << JsonString(args[0]) << "}\n";
  return 0;
}

// Children first, then the node; a node that vanished meanwhile is fine.
absl::Status DeleteTree(MetastoreClient& client, const std::string& path) {
  auto children = client.GetChildren(path);
  if (ErrorOf(children.status()) == metastorepb::NO_NODE) return absl::OkStatus();
  if (!children.ok()) return children.status();
  for (const auto& child : children->children) {
    std::string sub = path == "/" ? "/" + child.name() : path + "/" + child.name();
    if (auto s = DeleteTree(client, sub); !s.ok()) return s;
  }
  if (path == "/") return absl::OkStatus();
  absl::Status s = client.Delete(path);
  return ErrorOf(s) == metastorepb::NO_NODE ? absl::OkStatus() : s;
}

int DeleteAll(MetastoreClient& client, const Args& args) {
  if (args.size() != 1) return Usage("deleteall PATH");
  if (auto s = client.Exists(args[0]); !s.ok() || !s->has_value()) {
    return Fail(s.ok() ? MetaError(metastorepb::NO_NODE, args[0]) : s.status());
  }
  if (auto s = DeleteTree(client, args[0]); !s.ok()) return Fail(s);
  if (json()) std::cout << "{\"deleted\":" << JsonString(args[0]) << "}\n";
  return 0;
}

int Ls(MetastoreClient& client, const Args& args) {
  if (args.size() != 1) return Usage("ls PATH");
  auto children = client.GetChildren(args[0]);
  if (!children.ok()) return Fail(children.status());
  if (json()) {
    std::vector<std::string> names;
    for (const auto& c : children->children) names.push_back(JsonString(c.name()));
    std::cout << "{\"path\":" << JsonString(args[0]) << ",\"children\":["
              << absl::StrJoin(names, ",") << "]}\n";
  } else {
    for (const auto& c : children->children) std::cout << c.name() << "\n";
  }
  return 0;
}

int Stat(MetastoreClient& client, const Args& args, bool exists_only) {
  if (args.size() != 1) return Usage(exists_only ? "exists PATH" : "stat PATH");
  auto stat = client.Exists(args[0]);
  if (!stat.ok()) return Fail(stat.status());
  if (!stat->has_value()) return Fail(MetaError(metastorepb::NO_NODE, args[0]));
  if (json()) {
    std::cout << "{\"path\":" << JsonString(args[0])
              << ",\"exists\":true,\"stat\":" << StatJson(**stat) << "}\n";
  } else if (exists_only) {
    std::cout << args[0] << " exists\n";
  } else {
    std::cout << StatText(**stat);
  }
  return 0;
}

int Watch(MetastoreClient& client, const Args& args) {
  if (args.size() != 1) return Usage("watch PATH [--recursive] [--count=N]");
  const int64_t count = absl::GetFlag(FLAGS_count);
  std::mutex mu;
  std::condition_variable cv;
  int64_t seen = 0;
  absl::Status ended;
  client.OnEvent([&](const metastorepb::WatchEvent& e) {
    std::lock_guard lock(mu);
    if (count > 0 && seen >= count) return;
    if (json()) {
      std::cout << "{\"type\":" << JsonString(EventName(e.type()))
                << ",\"path\":" << JsonString(e.path()) << ",\"zxid\":" << e.zxid() << "}"
                << std::endl;
    } else {
      std::cout << EventName(e.type()) << " " << e.path() << " " << e.zxid() << std::endl;
    }
    ++seen;
    cv.notify_all();
  });
  client.OnSessionEnd([&](const absl::Status& why) {
    std::lock_guard lock(mu);
    ended = why.ok() ? MetaError(metastorepb::SESSION_EXPIRED, "the session ended") : why;
    cv.notify_all();
  });
  if (auto s = client.StartSession(absl::Milliseconds(absl::GetFlag(FLAGS_session_timeout_ms)));
      !s.ok()) {
    return Fail(s);
  }
  if (auto s = client.AddWatch(args[0], absl::GetFlag(FLAGS_recursive)); !s.ok()) return Fail(s);
  std::cerr << "watching " << args[0] << (absl::GetFlag(FLAGS_recursive) ? " and below" : "")
            << std::endl;
  std::unique_lock lock(mu);
  cv.wait(lock, [&] { return (count > 0 && seen >= count) || !ended.ok(); });
  return ended.ok() ? 0 : Fail(ended);
}

std::string RoleOf(const metastorepb::StatusResponse& st) {
  return st.raft().role().empty() ? "unknown" : st.raft().role();
}

int Members(MetastoreClient& client, const Args& args) {
  if (!args.empty()) return Usage("members takes no arguments");
  auto leader = client.LeaderStatus();
  if (!leader.ok()) return Fail(leader.status());
  std::vector<std::string> rows;
  if (!json()) std::cout << "ID  ADDRESS              ROLE      APPLIED\n";
  for (const auto& m : leader->raft().members()) {
    auto st = client.MemberStatus(m.address(), absl::Seconds(2));
    std::string role = m.role() == "learner"           ? "learner"
                       : m.id() == leader->raft().id() ? "leader"
                                                       : "follower";
    std::string applied = st.ok() ? absl::StrCat(st->raft().applied()) : "unreachable";
    if (json()) {
      rows.push_back(absl::StrCat("{\"id\":", m.id(), ",\"address\":", JsonString(m.address()),
                                  ",\"role\":", JsonString(role), ",\"applied\":",
                                  st.ok() ? applied : "null", ",\"match\":", m.match(), "}"));
    } else {
      std::cout << absl::StrFormat("%-3d %-20s %-9s %s\n", m.id(), m.address(), role, applied);
    }
  }
  if (json()) std::cout << "{\"members\":[" << absl::StrJoin(rows, ",") << "]}\n";
  return 0;
}

int Status(MetastoreClient& client, const Args& args) {
  if (!args.empty()) return Usage("status takes no arguments");
  int reachable = 0;
  std::vector<std::string> rows;
  for (const auto& endpoint : client.endpoints()) {
    auto st = client.MemberStatus(endpoint, absl::Seconds(2));
    if (!st.ok()) {
      if (json()) {
        rows.push_back(absl::StrCat(
            "{\"endpoint\":", JsonString(endpoint),
            ",\"healthy\":false,\"error\":", JsonString(std::string(st.status().message())), "}"));
      } else {
        std::cout << endpoint << "  unreachable\n";
      }
      continue;
    }
    ++reachable;
    const auto& r = st->raft();
    if (json()) {
      rows.push_back(absl::StrCat(
          "{\"endpoint\":", JsonString(endpoint),
          ",\"healthy\":true,\"ready\":", st->ready() ? "true" : "false", ",\"id\":", r.id(),
          ",\"role\":", JsonString(RoleOf(*st)), ",\"leader\":", r.leader(), ",\"term\":", r.term(),
          ",\"commit\":", r.commit(), ",\"applied\":", r.applied(),
          ",\"snapshot\":", r.snapshot_index(), ",\"znodes\":", st->znodes(),
          ",\"sessions\":", st->sessions(), ",\"watches\":", st->watches(),
          ",\"streams\":", st->streams(), ",\"leader_silence_ms\":", st->leader_silence_ms(), "}"));
    } else {
      std::cout << absl::StrFormat(
          "%s  id=%d role=%s leader=%d term=%d commit=%d applied=%d znodes=%d sessions=%d "
          "watches=%d streams=%d %s\n",
          endpoint, r.id(), RoleOf(*st), r.leader(), r.term(), r.commit(), r.applied(),
          st->znodes(), st->sessions(), st->watches(), st->streams(),
          st->ready() ? "ready" : "not-ready");
    }
  }
  if (json()) std::cout << "{\"members\":[" << absl::StrJoin(rows, ",") << "]}\n";
  if (reachable == 0) return Fail(MetaError(metastorepb::UNAVAILABLE, "no member answered"));
  return 0;
}

int Leader(MetastoreClient& client, const Args& args) {
  if (!args.empty()) return Usage("leader takes no arguments");
  auto st = client.LeaderStatus();
  if (!st.ok()) return Fail(st.status());
  std::string address;
  for (const auto& m : st->raft().members()) {
    if (m.id() == st->raft().id()) address = m.address();
  }
  if (json()) {
    std::cout << "{\"id\":" << st->raft().id() << ",\"address\":" << JsonString(address)
              << ",\"term\":" << st->raft().term() << "}\n";
  } else {
    std::cout << st->raft().id() << " " << address << "\n";
  }
  return 0;
}

int TransferLeader(MetastoreClient& client, const Args& args) {
  uint64_t id = 0;
  if (args.size() != 1 || !absl::SimpleAtoi(args[0], &id) || id == 0) {
    return Usage("transfer-leader ID (a member id > 0)");
  }
  raftpb::MembershipRequest req;
  req.set_op(raftpb::MembershipRequest::TRANSFER_LEADER);
  req.set_id(id);
  if (auto s = client.ChangeMembership(req); !s.ok()) return Fail(s);
  if (json()) {
    std::cout << "{\"leader\":" << id << "}\n";
  } else {
    std::cout << "member " << id << " now leads\n";
  }
  return 0;
}

int Snapshot(MetastoreClient& client, const Args& args) {
  if (!args.empty()) return Usage("snapshot takes no arguments");
  auto index = client.TakeSnapshot();
  if (!index.ok()) return Fail(index.status());
  if (json()) {
    std::cout << "{\"snapshot_index\":" << *index << "}\n";
  } else {
    std::cout << "snapshot taken at index " << *index << "\n";
  }
  return 0;
}

int Main(int argc, char** argv) {
  absl::SetProgramUsageMessage(kUsage);
  DashedFlags flags(argc, argv);
  std::vector<char*> positional = absl::ParseCommandLine(flags.argc(), flags.argv());
  if (positional.size() < 2) return Usage("no command given");
  std::string command = positional[1];
  Args args(positional.begin() + 2, positional.end());

  auto endpoints = EndpointsFromFlag();
  if (!endpoints.ok()) return Usage(std::string(endpoints.status().message()));
  ClientOptions options;
  options.endpoints = *endpoints;
  options.request_timeout = absl::Milliseconds(absl::GetFlag(FLAGS_timeout_ms));
  options.leader_only = absl::GetFlag(FLAGS_leader_only);
  const std::string consistency = absl::GetFlag(FLAGS_consistency);
  if (consistency == "sequential") {
    options.consistency = raftpb::SEQUENTIAL;
  } else if (consistency != "linearizable") {
    return Usage("--consistency must be linearizable or sequential");
  }
  if (absl::GetFlag(FLAGS_timeout_ms) <= 0) return Usage("--timeout-ms must be > 0");

  const std::map<std::string, Command> commands = {
      {"create", Create},
      {"get", Get},
      {"set", Set},
      {"delete", Delete},
      {"deleteall", DeleteAll},
      {"ls", Ls},
      {"stat", [](MetastoreClient& c, const Args& a) { return Stat(c, a, false); }},
      {"exists", [](MetastoreClient& c, const Args& a) { return Stat(c, a, true); }},
      {"watch", Watch},
      {"members", Members},
      {"status", Status},
      {"leader", Leader},
      {"transfer-leader", TransferLeader},
      {"snapshot", Snapshot},
  };
  auto it = commands.find(command);
  if (it == commands.end()) return Usage(absl::StrCat("unknown command '", command, "'"));
  auto client = MetastoreClient::Connect(options);
  if (!client.ok()) return Usage(std::string(client.status().message()));
  return it->second(**client, args);
}

}  // namespace
}  // namespace warren::metastore::cli

int main(int argc, char** argv) { return warren::metastore::cli::Main(argc, argv); }
