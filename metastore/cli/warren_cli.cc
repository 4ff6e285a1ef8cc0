// warren: the metastore's command line (like zkCli or etcdctl).
//   warren --endpoints=127.0.0.1:7101,127.0.0.1:7102,127.0.0.1:7103 COMMAND [ARGS]
// Exit status: 0 success, 1 the quorum answered with an error (printed as "Name: path"),
// 2 bad usage.
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
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
#include "metastore/cli/backup_commands.h"
#include "metastore/cli/check_command.h"
#include "metastore/cli/cli.h"
#include "metastore/cli/import_command.h"
#include "metastore/cli/member_commands.h"
#include "metastore/cli/output.h"
#include "metastore/client/endpoints_flag.h"
#include "metastore/client/metastore_client.h"
#include "metastore/errors.h"

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
ABSL_FLAG(int64_t, count, 0,
          "watch: exit after this many events; status --watch: after this many rounds (0: never)");
ABSL_FLAG(std::string, data_file, "", "create/set: read DATA from this file ('-': stdin)");
ABSL_FLAG(bool, watch, false, "status: print it again every --interval-ms");
ABSL_FLAG(int64_t, interval_ms, 2000, "status --watch: time between rounds");

namespace warren::metastore::cli {
namespace {

// A znode's data is bounded (1 MiB by default); a file far larger is a mistake.
constexpr size_t kMaxDataFileBytes = 16 << 20;

// The DATA argument at args[at], or the contents of --data-file (not both). Empty if neither.
absl::StatusOr<std::string> DataOf(const Args& args, size_t at) {
  const std::string file = absl::GetFlag(FLAGS_data_file);
  if (file.empty()) return args.size() > at ? args[at] : "";
  if (args.size() > at) {
    return MetaError(metastorepb::BAD_ARGUMENTS, "give DATA or --data-file, not both");
  }
  std::ifstream opened;
  if (file != "-") {
    opened.open(file, std::ios::binary);
    if (!opened) {
      return MetaError(metastorepb::BAD_ARGUMENTS,
                       absl::StrCat("cannot read --data-file ", file, ": ", strerror(errno)));
    }
  }
  std::istream& in = file == "-" ? std::cin : opened;
  std::string data(kMaxDataFileBytes + 1, '\0');
  in.read(data.data(), static_cast<std::streamsize>(data.size()));
  if (in.bad()) {
    return MetaError(metastorepb::BAD_ARGUMENTS, absl::StrCat("error reading --data-file ", file));
  }
  data.resize(static_cast<size_t>(in.gcount()));
  if (data.size() > kMaxDataFileBytes) {
    return MetaError(
        metastorepb::BAD_ARGUMENTS,
        absl::StrCat("--data-file ", file, " is larger than ", kMaxDataFileBytes, " bytes"));
  }
  return data;
}

int Create(MetastoreClient& client, const Args& args) {
  if (args.empty() || args.size() > 2) return Usage("create PATH [DATA]");
  auto data = DataOf(args, 1);
  if (!data.ok()) return Usage(std::string(data.status().message()));
  CreateOptions opts{absl::GetFlag(FLAGS_e), absl::GetFlag(FLAGS_s), absl::GetFlag(FLAGS_c),
                     absl::GetFlag(FLAGS_ttl)};
  if (opts.ephemeral) {
    if (auto s = client.StartSession(absl::Milliseconds(absl::GetFlag(FLAGS_session_timeout_ms)));
        !s.ok()) {
      return Fail(s);
    }
  }
  metastorepb::Stat stat;
  auto path = client.Create(args[0], *data, opts, &stat);
  if (!path.ok()) return Fail(path.status());
  if (Json()) {
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
  if (Json()) {
    std::cout << "{\"path\":" << JsonString(args[0]) << ",\"data\":" << JsonString(node->data)
              << ",\"stat\":" << StatJson(node->stat) << "}\n";
  } else {
    std::cout << node->data << "\n";
  }
  return 0;
}

int Set(MetastoreClient& client, const Args& args) {
  const bool from_file = !absl::GetFlag(FLAGS_data_file).empty();
  if (args.empty() || args.size() > 2 || (!from_file && args.size() != 2)) {
    return Usage("set PATH DATA [-v VERSION], or set PATH --data-file=FILE|-");
  }
  auto data = DataOf(args, 1);
  if (!data.ok()) return Usage(std::string(data.status().message()));
  auto stat = client.SetData(args[0], *data, absl::GetFlag(FLAGS_v));
  if (!stat.ok()) return Fail(stat.status());
  if (Json())
    std::cout << "{\"path\":" << JsonString(args[0]) << ",\"stat\":" << StatJson(*stat) << "}\n";
  return 0;
}

int Delete(MetastoreClient& client, const Args& args) {
  if (args.size() != 1) return Usage("delete PATH [-v VERSION]");
  if (auto s = client.Delete(args[0], absl::GetFlag(FLAGS_v)); !s.ok()) return Fail(s);
  if (Json()) std::cout << "{\"deleted\":" << JsonString(args[0]) << "}\n";
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
  if (Json()) std::cout << "{\"deleted\":" << JsonString(args[0]) << "}\n";
  return 0;
}

int Ls(MetastoreClient& client, const Args& args) {
  if (args.size() != 1) return Usage("ls PATH");
  auto children = client.GetChildren(args[0]);
  if (!children.ok()) return Fail(children.status());
  if (Json()) {
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
  if (Json()) {
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
    if (Json()) {
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

// One round of `status`: each endpoint's view, or unreachable.
int StatusRound(MetastoreClient& client) {
  int reachable = 0;
  std::vector<std::string> rows;
  for (const auto& endpoint : client.endpoints()) {
    auto st = client.MemberStatus(endpoint, absl::Seconds(2));
    if (!st.ok()) {
      if (Json()) {
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
    if (Json()) {
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
  if (Json()) std::cout << "{\"members\":[" << absl::StrJoin(rows, ",") << "]}\n";
  if (reachable == 0) return Fail(MetaError(metastorepb::UNAVAILABLE, "no member answered"));
  return 0;
}

int Status(MetastoreClient& client, const Args& args) {
  if (!args.empty()) return Usage("status takes no arguments");
  if (!absl::GetFlag(FLAGS_watch)) return StatusRound(client);
  const int64_t interval_ms = absl::GetFlag(FLAGS_interval_ms);
  const int64_t rounds = absl::GetFlag(FLAGS_count);
  if (interval_ms <= 0 || rounds < 0) return Usage("--interval-ms must be > 0, --count >= 0");
  int exit_code = 0;
  for (int64_t round = 0; rounds == 0 || round < rounds; ++round) {
    if (round > 0) absl::SleepFor(absl::Milliseconds(interval_ms));
    if (!Json()) std::cout << "-- " << absl::FormatTime(absl::Now()) << "\n";
    exit_code = StatusRound(client);
    std::cout.flush();
  }
  return exit_code;
}

int Leader(MetastoreClient& client, const Args& args) {
  if (!args.empty()) return Usage("leader takes no arguments");
  auto st = client.LeaderStatus();
  if (!st.ok()) return Fail(st.status());
  std::string address;
  for (const auto& m : st->raft().members()) {
    if (m.id() == st->raft().id()) address = m.address();
  }
  if (Json()) {
    std::cout << "{\"id\":" << st->raft().id() << ",\"address\":" << JsonString(address)
              << ",\"term\":" << st->raft().term() << "}\n";
  } else {
    std::cout << st->raft().id() << " " << address << "\n";
  }
  return 0;
}

int Snapshot(MetastoreClient& client, const Args& args) {
  if (!args.empty()) return Usage("snapshot takes no arguments");
  auto index = client.TakeSnapshot();
  if (!index.ok()) return Fail(index.status());
  if (Json()) {
    std::cout << "{\"snapshot_index\":" << *index << "}\n";
  } else {
    std::cout << "snapshot taken at index " << *index << "\n";
  }
  return 0;
}

// One ACL entry as ZooKeeper's CLI writes it: SCHEME:ID:PERMS, PERMS letters of cdrwa (the
// id may hold colons: digest:user:hash, ip:::1).
absl::StatusOr<metastorepb::Acl> ParseAclEntry(const std::string& text) {
  const size_t first = text.find(':');
  const size_t last = text.rfind(':');
  if (first == std::string::npos || first == last || first == 0) {
    return MetaError(metastorepb::BAD_ARGUMENTS,
                     absl::StrCat("ACL entry '", text, "' is not SCHEME:ID:PERMS"));
  }
  metastorepb::Acl acl;
  acl.mutable_id()->set_scheme(text.substr(0, first));
  acl.mutable_id()->set_id(text.substr(first + 1, last - first - 1));
  int32_t perms = 0;
  for (char c : text.substr(last + 1)) {
    const size_t bit = std::string_view("rwcda").find(c);
    if (bit == std::string_view::npos) {
      return MetaError(metastorepb::BAD_ARGUMENTS,
                       absl::StrCat("ACL entry '", text, "': '", std::string(1, c),
                                    "' is not a permission (c, d, r, w, a)"));
    }
    perms |= 1 << bit;
  }
  acl.set_perms(perms);
  return acl;
}

int SetAcl(MetastoreClient& client, const Args& args) {
  if (args.size() < 2) {
    return Usage("setacl PATH SCHEME:ID:PERMS... [-v ACL_VERSION] (PERMS of cdrwa)");
  }
  metastorepb::Op op;
  auto* set = op.mutable_set_acl();
  set->set_path(args[0]);
  set->set_version(absl::GetFlag(FLAGS_v));
  for (size_t i = 1; i < args.size(); ++i) {
    auto acl = ParseAclEntry(args[i]);
    if (!acl.ok()) return Usage(std::string(acl.status().message()));
    *set->add_acl() = *std::move(acl);
  }
  if (auto s = client.Multi({op}); !s.ok()) return Fail(s);
  return 0;
}

int Main(int argc, char** argv) {
  absl::SetProgramUsageMessage(kUsage);
  QuietLibraryLogs(argv[0]);
  DashedFlags flags(argc, argv);
  std::vector<char*> positional = absl::ParseCommandLine(flags.argc(), flags.argv());
  if (positional.size() < 2) return Usage("no command given");
  std::string command = positional[1];
  Args args(positional.begin() + 2, positional.end());

  // Offline: no quorum to talk to.
  if (command == "restore") return Restore(args);
  if (command == "check") return Check(args);
  if (command == "import-zk") return ImportZk(args);

  auto endpoints = EndpointsFromFlag();
  if (!endpoints.ok()) return Usage(std::string(endpoints.status().message()));
  auto tls = TlsFromFlags();
  if (!tls.ok()) return Usage(std::string(tls.status().message()));
  ClientOptions options;
  options.endpoints = *endpoints;
  options.tls = *tls;
  auto digest = DigestFromFlags();
  if (!digest.ok()) return Usage(std::string(digest.status().message()));
  options.digest = *digest;
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
      {"members", MemberList},
      {"member", Member},
      {"status", Status},
      {"leader", Leader},
      {"transfer-leader", TransferLeader},
      {"snapshot", Snapshot},
      {"backup", Backup},
      {"setacl", SetAcl},
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
