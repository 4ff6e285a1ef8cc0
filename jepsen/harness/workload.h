#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "jepsen/harness/client.h"
#include "jepsen/harness/cluster.h"
#include "jepsen/harness/recorder.h"

namespace warren::jepsen {

struct WorkloadContext {
  Cluster* cluster = nullptr;
  Recorder* history = nullptr;
  std::string dir;  // the run directory
  int processes = 5;
  uint64_t seed = 1;
  absl::Duration request_timeout = absl::Seconds(5);
  bool leader_only = false;  // gRPC clients send everything to the leader (for comparison)
  ClientApi api = ClientApi::kGrpc;
  // A client of the group's `home % size`-th member, which moves on to the next in order only
  // when that one fails (with leader_only, one that tries it first): clients spread over the
  // members, and the reads of most go through followers.
  std::unique_ptr<Client> Connect(int home) const;
  // The same, once a session of its own, of `timeout`, has been started.
  absl::StatusOr<std::unique_ptr<Client>> ConnectWithSession(int home,
                                                             absl::Duration timeout) const;
};

// What the clients do during a run, and what must hold of it afterwards.
class Workload {
 public:
  virtual ~Workload() = default;
  virtual absl::Status Setup() = 0;
  // One client process, until `stop`. Runs on a thread of its own.
  virtual void Process(int index, const std::atomic<bool>& stop) = 0;
  // After the faults are healed and the cluster has recovered: empty if the run was valid,
  // else why not. "unknown: ..." if it could not be decided.
  virtual std::string Check() = 0;
};

absl::StatusOr<std::unique_ptr<Workload>> MakeWorkload(const std::string& name,
                                                       WorkloadContext ctx);

// Creates the znode at `path` (holding `data`) if it is not there yet: a workload's parent.
absl::Status CreateIfMissing(const WorkloadContext& ctx, const std::string& path,
                             const std::string& data = "");

// Metastore errors after which a write may or may not have been applied (ZooKeeper's
// ConnectionLoss, OperationTimeout, SessionExpired... among them: see zookeeper_client.cc).
bool OutcomeUnknown(const absl::Status& s);

}  // namespace warren::jepsen
