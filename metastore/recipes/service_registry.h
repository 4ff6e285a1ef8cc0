#pragma once

#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "metastore/client/metastore_client.h"

namespace warren::metastore::recipes {

// A service registry (Curator's ServiceDiscovery, ZooKeeper's group membership): each
// instance of a service is an ephemeral node `<root>/<service>/<instance>` holding its
// payload (an address, say), so that an instance whose process dies leaves the registry
// when its session ends. Listeners hear the full set after every change.
class ServiceRegistry {
 public:
  using Instances = std::map<std::string, std::string>;  // instance -> payload
  using Listener = std::function<void(const Instances&)>;

  ServiceRegistry(MetastoreClient& client, std::string root);
  ~ServiceRegistry();  // stops the listeners; registrations stay until the session ends

  // Needs a session. NodeExists if the instance is registered already (by anyone).
  absl::Status Register(const std::string& service, const std::string& instance,
                        const std::string& payload);
  absl::Status Update(const std::string& service, const std::string& instance,
                      const std::string& payload);
  absl::Status Unregister(const std::string& service, const std::string& instance);
  absl::StatusOr<Instances> List(const std::string& service);

  // Calls `listener` with the instances now and after every change, on the registry's own
  // thread, until the registry is destroyed or the session ends. Needs a session.
  absl::Status Watch(const std::string& service, Listener listener);

 private:
  std::string ServicePath(const std::string& service) const;
  void Run();

  MetastoreClient& client_;
  const std::string root_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, std::vector<Listener>> listeners_;  // service -> listeners
  std::map<std::string, bool> dirty_;                       // service -> needs a new list
  std::map<std::string, Instances> last_;
  bool stopping_ = false;
  bool session_ended_ = false;
  MetastoreClient::ListenerId event_listener_ = 0;
  MetastoreClient::ListenerId end_listener_ = 0;
  std::thread thread_;
};

}  // namespace warren::metastore::recipes
