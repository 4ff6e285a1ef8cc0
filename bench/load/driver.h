#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/tls.h"

namespace warren::bench {

enum class OpKind { kCreate, kSet, kGet };

// One operation. Keys are slash-separated names under the benchmark's prefix ("wb/k7"); a
// driver maps them onto its target (a znode path "/wb/k7", an etcd key "wb/k7").
struct Request {
  OpKind kind = OpKind::kGet;
  // One key, or several for a batched create (one multi / transaction).
  std::vector<std::string> keys;
  const std::string* value = nullptr;  // create and set
};

struct DriverOptions {
  std::vector<std::string> endpoints;
  // Reads: linearizable, or the target's cheaper local read (etcd serializable, ZooKeeper's
  // read from the member the session is on, Warren's sequential consistency).
  bool linearizable_reads = true;
  // Per operation, including the client's own retries.
  absl::Duration op_timeout = absl::Seconds(10);
  // Warren only: every client talks to the leader, instead of each to a member of its own.
  bool leader_only = false;
  // Warren only: TLS to the members (empty: plaintext).
  TlsFiles tls;
};

// A target system under load, through the client its users would use. `client` numbers a
// connection (or session) opened by Connect; every method may be called from any thread.
class Driver {
 public:
  using Done = std::function<void(absl::Status)>;
  // Called once per event on a watched key, with the time the event arrived, once the
  // watch is ready for the next one.
  using OnEvent = std::function<void(absl::Time arrived)>;

  virtual ~Driver() = default;
  // Opens `clients` connections / sessions.
  virtual absl::Status Connect(int clients) = 0;
  // Makes `prefix` usable as a parent of keys: by default (Warren, ZooKeeper) a node of its
  // own, made through client 0 if it is not there.
  virtual absl::Status EnsurePrefix(const std::string& prefix);
  // Starts `request` on `client`; `done` runs once, on any thread, possibly before Start
  // returns.
  virtual void Start(int client, const Request& request, Done done) = 0;
  // Watches `key` (which exists) through `client` until the driver is destroyed; returns
  // once the watch is registered.
  virtual absl::Status Watch(int client, const std::string& key, OnEvent on_event) = 0;
};

// A driver for "warren", "etcd" or "zookeeper".
absl::StatusOr<std::unique_ptr<Driver>> MakeDriver(const std::string& target,
                                                   const DriverOptions& options);

// Runs one request and waits for it.
absl::Status Call(Driver& driver, int client, const Request& request);
// Creates `key` with `value` unless it exists.
absl::Status CreateIfAbsent(Driver& driver, int client, const std::string& key,
                            const std::string& value);

// The znode a key names, for the targets with a tree: "wb/k7" -> "/wb/k7".
inline std::string ZnodePathOf(const std::string& key) { return "/" + key; }

}  // namespace warren::bench
