#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "metrics/http_server.h"
#include "prometheus/collectable.h"
#include "prometheus/registry.h"

namespace warren::raft {
class Division;
}

namespace warren::metastore {

class MetastoreService;
class WatchManager;
class ZNodeTree;

// What a member serves on --metrics-address (docs/operations.md): /metrics in Prometheus'
// text format, /healthz and /readyz. Made before anything else of the member, so that an
// address that cannot be bound stops it at once; served once the member runs.
class MetricsEndpoint {
 public:
  static absl::StatusOr<std::unique_ptr<MetricsEndpoint>> Listen(const std::string& address);
  ~MetricsEndpoint();

  // Where the member's parts register what they count as they work.
  prometheus::Registry& registry() { return *registry_; }
  // Starts serving. The group's state, the tree's and the process's are read when scraped.
  // Everything passed must outlive Shutdown.
  void Serve(raft::Division* division, const std::string& group_data_dir, ZNodeTree* tree,
             WatchManager* watches, MetastoreService* service);
  // Stops serving. Idempotent.
  void Shutdown();
  int port() const { return http_->port(); }

 private:
  explicit MetricsEndpoint(std::unique_ptr<metrics::HttpServer> http);
  metrics::HttpResponse Metrics() const;

  std::unique_ptr<metrics::HttpServer> http_;
  std::shared_ptr<prometheus::Registry> registry_;
  std::vector<std::shared_ptr<prometheus::Collectable>> collectables_;
};

}  // namespace warren::metastore
