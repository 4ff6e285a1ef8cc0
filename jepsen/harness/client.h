// The calls the workloads make of the cluster, over either of warrend's client APIs: its gRPC
// API (MetastoreClient) or ZooKeeper's client port (ZooKeeper's own C client,
// zookeeper_client.h). The workloads and their checks are the same over both.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "metastore/client/metastore_client.h"

namespace warren::jepsen {

// Which API the client processes use (--client).
enum class ClientApi { kGrpc, kZooKeeper };

// One client process's connection to the cluster, with at most one session. Errors are
// metastore errors (metastore/errors.h: ErrorOf), ZooKeeper's codes mapped to them, so that
// OutcomeUnknown sorts a failed call the same whichever API made it. Calls are made from one
// thread; listeners run on a thread of the client's.
class Client {
 public:
  enum class CreateMode { kPersistent, kEphemeral, kSequential };
  // Linearizable: the read sees every write acknowledged before it began. Sequential
  // (ZooKeeper's plain read): in the order of the client's calls, never older than anything
  // the client has seen, its own acknowledged writes included.
  enum class Read { kLinearizable, kSequential };

  virtual ~Client() = default;

  // Returns the path created: with its sequence number, if sequential. Ephemeral needs a
  // session.
  virtual absl::StatusOr<std::string> Create(const std::string& path, const std::string& data,
                                             CreateMode mode = CreateMode::kPersistent) = 0;
  // The node's data and stat. `watch` also sets a one-shot watch on the node, whose event goes
  // to the event listeners (needs a session).
  virtual absl::StatusOr<metastore::NodeData> Get(const std::string& path, Read read,
                                                  bool watch = false) = 0;
  // Sets the data if the node is at `version` (-1: any); returns its new stat.
  virtual absl::StatusOr<metastorepb::Stat> Set(const std::string& path, const std::string& data,
                                                int32_t version = -1) = 0;
  // The children's names.
  virtual absl::StatusOr<std::vector<std::string>> Children(const std::string& path, Read read) = 0;
  // Create (persistent), delete, setData and check ops, all or nothing (ZooKeeper's multi);
  // the error is the first failing op's.
  virtual absl::Status Multi(const std::vector<metastorepb::Op>& ops) = 0;

  // Whether AddRecursiveWatch is there (ZooKeeper's C client 3.8 has no addWatch).
  virtual bool persistent_watches() const = 0;
  // A persistent recursive watch on `path`. Returns a zxid after which every change under it
  // reaches the event listeners.
  virtual absl::StatusOr<uint64_t> AddRecursiveWatch(const std::string& path) = 0;
  // Watch events (zxid 0 where the API does not tell it). Register before setting watches.
  virtual void OnEvent(std::function<void(const metastorepb::WatchEvent&)> listener) = 0;
  // Runs once if the session ends while the client lives (it expired, or the quorum closed
  // it); at once if it already has.
  virtual void OnSessionEnd(std::function<void()> listener) = 0;
  // Stops keeping the session alive without closing it, as a crashed client would: the quorum
  // expires it after its timeout. The client makes no calls after this.
  virtual void AbandonSession() = 0;
  // The session the client's calls go through now; 0 if none. A client without a session of
  // its own may go through several, one after another (a ZooKeeper client always has one).
  virtual uint64_t session() = 0;
};

// The gRPC API's client as a Client: every read is linearizable, a sequential one too.
std::unique_ptr<Client> GrpcClient(std::unique_ptr<metastore::MetastoreClient> client);

}  // namespace warren::jepsen
