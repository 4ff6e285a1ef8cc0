#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "metastore/client/metastore_client.h"
#include "tests/integration/process.h"

namespace warren::jepsen {

// Debian's libfaketime, for threaded programs (ClusterOptions::fake_clocks).
inline constexpr const char* kLibFakeTime = "/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1";

struct ClusterOptions {
  int nodes = 3;
  std::string warrend;  // the binary
  std::string dir;      // the run directory: member data and logs go under it
  // netns: each member in a network namespace of its own, on a bridge in the harness's own
  // namespace, so partitions cut real traffic with iptables. loopback: 127.0.0.1, no partitions.
  bool netns = true;
  std::vector<std::string> extra_flags;  // passed to every warrend
  int tick_ms = 50;
  // Each member runs under libfaketime with a clock the harness can change (SetWallClock):
  // the wall clock (CLOCK_REALTIME) only; see cluster_clock.cc.
  bool fake_clocks = false;
  std::map<int, std::vector<std::string>> member_flags;  // one member's, after extra_flags
};

// A cluster of real warrend processes the nemeses can crash, pause, cut off and reconfigure.
// Not thread-safe: one nemesis thread drives it.
class Cluster {
 public:
  // In netns mode, moves this process into a new network namespace first: call it before
  // any other thread starts.
  static absl::StatusOr<std::unique_ptr<Cluster>> Start(ClusterOptions options);
  ~Cluster();  // kills the members and removes the namespaces

  int nodes() const { return options_.nodes; }
  std::vector<std::string> Endpoints() const;
  std::string Endpoint(int id) const;
  // The endpoints with member `first` first: a client that starts there.
  std::vector<std::string> EndpointsFrom(int first) const;
  // The same of the members' ZooKeeper ports (each member serves one, on its own address).
  std::string ZooKeeperEndpoint(int id) const;
  std::vector<std::string> ZooKeeperEndpointsFrom(int first) const;

  // The leader's id as a live member sees it, or an error if none is known.
  absl::StatusOr<int> Leader();
  std::vector<int> Alive() const;

  absl::Status Kill(int id);
  absl::Status Restart(int id);  // after Kill; same data directory
  absl::Status Pause(int id);
  absl::Status Resume(int id);
  // Drops every packet from `from` arriving at `to` (netns only).
  absl::Status Drop(int from, int to);
  absl::Status HealNetwork();
  // Removes the member from the group, wipes it, and adds it back as a new learner that is
  // then promoted: a replacement machine.
  absl::Status Replace(int id);
  bool partitions_supported() const { return options_.netns; }

  // With fake_clocks (cluster_clock.cc): from now on member `id`'s wall clock reads `jump`
  // more than it does now and runs at `rate` times real time. ResetWallClocks puts every
  // member's back on real time (a jump of whatever each had drifted).
  absl::Status SetWallClock(int id, absl::Duration jump, double rate);
  absl::Status ResetWallClocks();
  // How far member `id`'s wall clock is from real time.
  absl::Duration WallClockError(int id) const;

  // Resumes, restarts and reconnects everything.
  absl::Status HealAll();

  // A client of the whole cluster for admin and checks.
  metastore::MetastoreClient& admin() { return *admin_; }

 private:
  explicit Cluster(ClusterOptions options) : options_(std::move(options)) {}
  absl::Status SetUpNetwork();
  void TearDownNetwork();
  std::string Namespace(int id) const;
  std::string MembersFlag() const;
  absl::Status Spawn(int id, bool join);
  absl::Status InNamespace(int id, std::vector<std::string> argv);
  // The words that run a member under libfaketime (none without fake_clocks).
  std::vector<std::string> FakeClockWords(int id);

  // libfaketime's setting of one member, in its control file: the wall clock reads real time
  // + offset + (rate - 1) * (time since the process started).
  struct FakeClock {
    double offset_s = 0;
    double rate = 1;
    absl::Time started;
  };
  std::map<int, FakeClock> clocks_;

  ClusterOptions options_;
  std::map<int, std::unique_ptr<testing::Process>> members_;
  std::set<int> paused_;
  std::set<int> replaced_;  // wiped and started again with --join
  std::set<int> namespaces_;
  std::map<int, int> loopback_ports_;     // --net=loopback
  std::map<int, int> loopback_zk_ports_;  // --net=loopback
  bool dropping_ = false;
  std::unique_ptr<metastore::MetastoreClient> admin_;
};

// Runs a system tool (ip, iptables) to completion; an error with its output if it fails.
absl::Status Run(std::vector<std::string> argv);

}  // namespace warren::jepsen
