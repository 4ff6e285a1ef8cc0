#pragma once

// A metastore quorum of three real warrend processes on loopback, for tests. The test
// target defines WARREND and WARREN_CLI (the binaries' paths).
#include <signal.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "metastore/client/metastore_client.h"
#include "tests/integration/eventually.h"
#include "tests/integration/member_process.h"
#include "tests/integration/process.h"
#include "tests/log/log_test_util.h"

namespace warren::testing {

using metastore::ClientOptions;
using metastore::MetastoreClient;

class MetastoreCluster {
 public:
  explicit MetastoreCluster(std::vector<std::string> flags = {})
      : dir_("metastore-cluster"), flags_(std::move(flags)) {
    for (uint64_t id = 1; id <= 3; ++id) {
      addresses_[id] = absl::StrCat("127.0.0.1:", FreeLoopbackPort());
    }
  }

  std::string Members() const {
    std::vector<std::string> parts;
    for (const auto& [id, addr] : addresses_) parts.push_back(absl::StrCat(id, "=", addr));
    return absl::StrJoin(parts, ",");
  }
  std::string Endpoints() const {
    std::vector<std::string> parts;
    for (const auto& [id, addr] : addresses_) parts.push_back(addr);
    return absl::StrJoin(parts, ",");
  }
  const std::string& Address(uint64_t id) const { return addresses_.at(id); }
  const std::string& dir() const { return dir_.path(); }
  std::string LogPath(uint64_t id) const { return absl::StrCat(dir(), "/warrend-", id, ".log"); }

  void StartAll() {
    for (uint64_t id = 1; id <= 3; ++id) Start(id);
  }
  // Flags each member gets of its own, from its id (its certificate, say), from now on.
  void set_member_flags(std::function<std::vector<std::string>(uint64_t)> flags) {
    member_flags_ = std::move(flags);
  }
  // How the test's clients (and Cli) reach the members: TLS with these files.
  void set_client_tls(TlsFiles tls) { client_tls_ = std::move(tls); }
  // `extra` flags are this member's alone.
  void Start(uint64_t id, const std::vector<std::string>& extra = {}) {
    std::vector<std::string> argv = {WARREND, absl::StrCat("--id=", id), "--members=" + Members(),
                                     absl::StrCat("--data-dir=", dir(), "/", id), "--tick-ms=20"};
    argv.insert(argv.end(), flags_.begin(), flags_.end());
    if (member_flags_) {
      std::vector<std::string> own = member_flags_(id);
      argv.insert(argv.end(), own.begin(), own.end());
    }
    argv.insert(argv.end(), extra.begin(), extra.end());
    auto p = Process::Spawn(argv, LogPath(id));
    ASSERT_TRUE(p.ok()) << p.status();
    servers_[id] = std::move(*p);
  }
  // An address for member `id`, listed by Members() and Endpoints() from now on.
  const std::string& Reserve(uint64_t id) {
    if (addresses_.count(id) == 0) {
      addresses_[id] = absl::StrCat("127.0.0.1:", FreeLoopbackPort());
    }
    return addresses_.at(id);
  }
  // A new member that waits (--join) until the running group adds it.
  void Join(uint64_t id) {
    Reserve(id);
    Start(id, {"--join"});
  }
  // SIGKILL: a crash. SIGTERM: a clean stop, which must finish by itself.
  void Stop(uint64_t id, int sig) { StopMember(servers_, id, sig); }
  // SIGSTOP / SIGCONT: a member that hangs, with its connections open.
  void Pause(uint64_t id) { servers_.at(id)->Signal(SIGSTOP); }
  void Resume(uint64_t id) { servers_.at(id)->Signal(SIGCONT); }
  // Whether member `id` was started and has not exited.
  bool Running(uint64_t id) {
    auto it = servers_.find(id);
    return it != servers_.end() && !it->second->Wait(absl::ZeroDuration()).has_value();
  }

  std::unique_ptr<MetastoreClient> Client(absl::Duration timeout = absl::Seconds(30),
                                          const std::string& endpoints = "") {
    return Client(Options(timeout, endpoints));
  }
  ClientOptions Options(absl::Duration timeout = absl::Seconds(30),
                        const std::string& endpoints = "") const {
    ClientOptions options;
    options.endpoints = absl::StrSplit(endpoints.empty() ? Endpoints() : endpoints, ',');
    options.request_timeout = timeout;
    options.tls = client_tls_;
    return options;
  }
  // A client that sends everything to the leader, as every client did before members served
  // clients themselves: for tests of a session's stream on the leader.
  std::unique_ptr<MetastoreClient> LeaderOnlyClient(absl::Duration timeout = absl::Seconds(30)) {
    ClientOptions options = Options(timeout);
    options.leader_only = true;
    return Client(options);
  }
  std::unique_ptr<MetastoreClient> Client(const ClientOptions& options) {
    auto c = MetastoreClient::Connect(options);
    EXPECT_TRUE(c.ok()) << c.status();
    return std::move(*c);
  }

  // The member that says it leads, once the others agree; 0 if none within `timeout`.
  uint64_t WaitForLeader(absl::Duration timeout = absl::Seconds(30)) {
    auto client = Client();
    const absl::Time deadline = absl::Now() + timeout;
    while (absl::Now() < deadline) {
      std::map<uint64_t, int> votes;
      for (const auto& [id, addr] : addresses_) {
        auto st = client->MemberStatus(addr, absl::Seconds(1));
        if (st.ok() && st->raft().leader() != 0) ++votes[st->raft().leader()];
      }
      for (const auto& [leader, n] : votes) {
        if (n >= 2 && servers_.count(leader) > 0) {
          AllAnsweringKnow(*client, leader);
          return leader;
        }
      }
      absl::SleepFor(absl::Milliseconds(50));
    }
    return 0;
  }

  // Waits a little (at most a second) until every member that answers names `leader`. Two
  // may agree before the third, started last, has heard from the leader; one paused or cut
  // off on purpose never will, and is not waited for longer.
  void AllAnsweringKnow(MetastoreClient& client, uint64_t leader) {
    const absl::Time deadline = absl::Now() + absl::Seconds(1);
    while (absl::Now() < deadline) {
      bool all = true;
      for (const auto& [id, addr] : addresses_) {
        auto st = client.MemberStatus(addr, absl::Milliseconds(200));
        if (st.ok() && st->raft().leader() != leader) all = false;
      }
      if (all) return;
      absl::SleepFor(absl::Milliseconds(20));
    }
  }

  RunResult Cli(std::vector<std::string> args) {
    std::vector<std::string> argv = {WARREN_CLI, "--endpoints=" + Endpoints()};
    if (client_tls_.enabled()) argv.push_back("--tls-ca=" + client_tls_.ca);
    if (!client_tls_.cert.empty()) {
      argv.push_back("--tls-cert=" + client_tls_.cert);
      argv.push_back("--tls-key=" + client_tls_.key);
    }
    argv.insert(argv.end(), args.begin(), args.end());
    return RunCommand(argv, absl::Seconds(60));
  }

 private:
  raft::testing::TempDir dir_;
  std::vector<std::string> flags_;
  std::function<std::vector<std::string>(uint64_t)> member_flags_;
  TlsFiles client_tls_;
  std::map<uint64_t, std::string> addresses_;
  std::map<uint64_t, std::unique_ptr<Process>> servers_;
};

// Every node below `path` (itself included): path -> data and stat, serialized.
inline void Walk(MetastoreClient& client, const std::string& path,
                 std::map<std::string, std::string>* out) {
  auto node = client.GetData(path);
  ASSERT_TRUE(node.ok()) << path << ": " << node.status();
  (*out)[path] = node->data + "|" + node->stat.SerializeAsString();
  auto children = client.GetChildren(path);
  ASSERT_TRUE(children.ok()) << children.status();
  for (const auto& c : children->children) {
    Walk(client, path == "/" ? "/" + c.name() : path + "/" + c.name(), out);
  }
}

}  // namespace warren::testing
