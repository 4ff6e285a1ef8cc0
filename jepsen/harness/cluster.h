#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "jepsen/faults/unsynced_rollback.h"
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
  // lose_unsynced.c, loaded into every member when set (the lose-unsynced nemesis).
  std::string lose_unsynced_shim;
  // Each member runs under libfaketime with a clock the harness can change (SetWallClock):
  // the wall clock (CLOCK_REALTIME) only; see cluster_clock.cc.
  bool fake_clocks = false;
  std::map<int, std::vector<std::string>> member_flags;  // one member's, after extra_flags
};

// A cluster of real warrend processes the nemeses can crash, pause, cut off and reconfigure.
// Thread-safe: faults that overlap run on threads of their own. The group changes under
// load (members replaced, some with new ids; members added and removed), so clients ask for
// the endpoints of the group as it is when they connect.
class Cluster {
 public:
  // In netns mode, moves this process into a new network namespace first: call it before
  // any other thread starts.
  static absl::StatusOr<std::unique_ptr<Cluster>> Start(ClusterOptions options);
  ~Cluster();  // kills the members and removes the namespaces

  // The group's members now (voters, and learners being added), in a stable order: a member
  // that replaces another takes its place.
  std::vector<int> Group() const;
  int nodes() const;  // the group's size now
  std::string Endpoint(int id) const;
  std::vector<std::string> Endpoints() const;
  // The group's endpoints starting with its `home % size`-th member: a client that starts
  // there (and moves on in order).
  std::vector<std::string> EndpointsFrom(int home) const;
  // The same of the members' ZooKeeper ports (each member serves one, on its own address).
  std::string ZooKeeperEndpoint(int id) const;
  std::vector<std::string> ZooKeeperEndpointsFrom(int home) const;

  // The leader's id as a live member sees it, or an error if none is known.
  absl::StatusOr<int> Leader();
  std::vector<int> Alive() const;  // running (paused ones too)

  absl::Status Kill(int id);
  absl::Status Restart(int id);  // after Kill; same data directory
  absl::Status Pause(int id);
  absl::Status Resume(int id);
  // Drops every packet from `from` arriving at `to` (netns only); Undrop takes one such rule
  // away again, so partitions that overlap heal one at a time.
  absl::Status Drop(int from, int to);
  absl::Status Undrop(int from, int to);
  absl::Status HealNetwork();

  // Membership changes, one at a time (each waits for the one before). A replacement machine:
  // removes the member from the group, wipes it, and starts an empty member that joins as a
  // learner and is promoted — under the same id, or a new one (a new machine, new address).
  absl::Status Replace(int id, bool new_id);
  // Adds an empty member with a new id (learner, then promoted). Returns its id.
  absl::StatusOr<int> Grow();
  // Removes a member from the group and stops it for good.
  absl::Status Shrink(int id);
  bool partitions_supported() const { return options_.netns; }
  // After Kill: undoes what the member wrote but did not fsync, as a power loss would
  // (cluster_disk.cc; needs lose_unsynced_shim).
  absl::StatusOr<RollbackResult> LoseUnsynced(int id, bool torn, uint64_t seed);

  // Damaged disks (cluster_corrupt.cc). Where member `id` keeps its data.
  std::string DataDir(int id) const;
  // Starts a stopped member that must refuse to start, out of the other faults' sight: its
  // refusal line (warrend's "cannot start: ..."), or an error if it still runs after `bound`
  // (then it is killed) or exited without one. Re-seeding it is Replace(id, false).
  absl::StatusOr<std::string> StartExpectingRefusal(int id, absl::Duration bound);

  // With fake_clocks (cluster_clock.cc): from now on member `id`'s wall clock reads `jump`
  // more than it does now and runs at `rate` times real time. ResetWallClocks puts every
  // member's back on real time (a jump of whatever each had drifted).
  absl::Status SetWallClock(int id, absl::Duration jump, double rate);
  absl::Status ResetWallClocks();
  // How far member `id`'s wall clock is from real time.
  absl::Duration WallClockError(int id) const;

  // Hands the leadership to member `to`.
  absl::Status TransferLeadership(int to);

  // Resumes, restarts and reconnects everything in the group, with clocks on real time.
  absl::Status HealAll();

  // A client of the whole group, made again when the group changes.
  std::shared_ptr<metastore::MetastoreClient> admin() const;
  // Replaces admin() with a client that has seen nothing yet.
  absl::Status RenewAdmin();

 private:
  explicit Cluster(ClusterOptions options) : options_(std::move(options)) {}
  absl::Status SetUpNetwork();
  absl::Status AddNamespace(int id);  // needs mu_
  void TearDownNetwork();
  std::string Namespace(int id) const;
  std::string MembersFlag(int joiner) const;  // needs mu_
  absl::Status Spawn(int id, bool join);      // needs mu_
  absl::Status KillLocked(int id);            // needs mu_
  // Resumes the member if this was the last pause in force, or if `every_pause`.
  absl::Status ResumeLocked(int id, bool every_pause);  // needs mu_
  absl::Status ReplaceReseeding(int id, bool new_id);
  absl::Status ReconnectAdmin();  // needs mu_
  // Starts an empty member `id` that joins, adds it as a learner and promotes it.
  absl::Status Join(int id);
  absl::Status ChangeMembership(const raftpb::MembershipRequest& req, absl::Duration patience);
  std::vector<std::string> EndpointsOf(const std::vector<int>& ids, bool zookeeper) const;
  UnsyncedFiles UnsyncedFilesOf(int id) const;  // cluster_disk.cc
  // VAR=value words for the member's environment: lose_unsynced.c's, libfaketime's.
  std::vector<std::string> LoseUnsyncedEnv(int id) const;
  std::vector<std::string> FakeClockEnv(int id);  // cluster_clock.cc; needs mu_
  void ForgetUnsynced(int id);
  absl::Duration WallClockErrorLocked(int id) const;  // needs mu_

  // libfaketime's setting of one member, in its control file: the wall clock reads real time
  // + offset + (rate - 1) * (time since the process started).
  struct FakeClock {
    double offset_s = 0;
    double rate = 1;
    absl::Time started;
  };

  const ClusterOptions options_;
  mutable std::mutex mu_;
  std::vector<int> group_;
  int next_id_ = 0;  // a new machine's id
  std::map<int, std::unique_ptr<testing::Process>> members_;
  std::map<int, int> paused_;  // by member: the pauses in force (it resumes when none is)
  std::set<int> replaced_;     // started empty with --join
  std::set<int> reseeding_;    // being replaced under their ids: not to be restarted meanwhile
  std::set<int> namespaces_;
  std::map<int, int> loopback_ports_;     // --net=loopback
  std::map<int, int> loopback_zk_ports_;  // --net=loopback
  std::multiset<std::pair<int, int>> drops_;
  std::map<int, FakeClock> clocks_;
  std::shared_ptr<metastore::MetastoreClient> admin_;
  std::mutex membership_mu_;  // one membership change at a time
};

// lose_unsynced.c's library as the build puts it, beside the bin/ that holds `warrend`.
std::string LoseUnsyncedShim(const std::string& warrend);

// Runs a system tool (ip, iptables) to completion; an error with its output if it fails.
absl::Status Run(std::vector<std::string> argv);

}  // namespace warren::jepsen
