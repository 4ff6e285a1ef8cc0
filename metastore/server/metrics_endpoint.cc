#include "metastore/server/metrics_endpoint.h"

#include "absl/strings/str_cat.h"
#include "metastore/server/health.h"
#include "metastore/server/metastore_service.h"
#include "metastore/watch_manager.h"
#include "metastore/znode_tree.h"
#include "metrics/families.h"
#include "metrics/process_metrics.h"
#include "metrics/raft_metrics.h"
#include "prometheus/text_serializer.h"
#include "raft/server/division.h"

namespace warren::metastore {
namespace {

using prometheus::MetricType;

// The tree's and the service's figures, read when collected.
class MetastoreState : public prometheus::Collectable {
 public:
  MetastoreState(ZNodeTree* tree, WatchManager* watches, MetastoreService* service)
      : tree_(tree), watches_(watches), service_(service) {}

  std::vector<prometheus::MetricFamily> Collect() const override {
    using metrics::Single;
    return {
        Single("warren_metastore_znodes", "Znodes in the tree (ZooKeeper's system nodes included).",
               MetricType::Gauge, tree_->node_count()),
        Single("warren_metastore_data_bytes", "Bytes of data the znodes hold (paths not counted).",
               MetricType::Gauge, tree_->data_bytes()),
        Single("warren_metastore_sessions", "Sessions open in the whole quorum.", MetricType::Gauge,
               tree_->session_count()),
        Single("warren_metastore_watches", "Watches registered by the sessions served here.",
               MetricType::Gauge, watches_->count()),
        Single("warren_metastore_session_streams", "gRPC session streams open on this member.",
               MetricType::Gauge, service_->stream_count()),
    };
  }

 private:
  ZNodeTree* const tree_;
  WatchManager* const watches_;
  MetastoreService* const service_;
};

metrics::HttpResponse Answer(const Health& h) {
  if (h.ok) return metrics::HttpResponse{200, "text/plain; charset=utf-8", "ok\n"};
  return metrics::HttpResponse{503, "text/plain; charset=utf-8", h.reason + "\n"};
}

}  // namespace

absl::StatusOr<std::unique_ptr<MetricsEndpoint>> MetricsEndpoint::Listen(
    const std::string& address) {
  auto http = metrics::HttpServer::Listen(address);
  if (!http.ok()) {
    return absl::Status(http.status().code(),
                        absl::StrCat("metrics address: ", http.status().message()));
  }
  return std::unique_ptr<MetricsEndpoint>(new MetricsEndpoint(std::move(*http)));
}

MetricsEndpoint::MetricsEndpoint(std::unique_ptr<metrics::HttpServer> http)
    : http_(std::move(http)), registry_(std::make_shared<prometheus::Registry>()) {}

MetricsEndpoint::~MetricsEndpoint() { Shutdown(); }

void MetricsEndpoint::Serve(raft::Division* division, const std::string& group_data_dir,
                            ZNodeTree* tree, WatchManager* watches, MetastoreService* service) {
  collectables_ = {registry_,
                   std::make_shared<metrics::RaftStateCollector>(division, group_data_dir),
                   std::make_shared<MetastoreState>(tree, watches, service),
                   std::make_shared<metrics::ProcessMetrics>()};
  http_->Handle("/metrics", [this] { return Metrics(); });
  http_->Handle("/healthz",
                [division] { return Answer(CheckLiveness(division->SinceLastLoop())); });
  http_->Handle("/readyz", [division, service] {
    return Answer(
        CheckReadiness(division->Status(absl::Seconds(1)), service->CheckLeaderContact(0)));
  });
  http_->Start();
}

void MetricsEndpoint::Shutdown() { http_->Shutdown(); }

metrics::HttpResponse MetricsEndpoint::Metrics() const {
  std::vector<prometheus::MetricFamily> families;
  for (const auto& c : collectables_) {
    auto collected = c->Collect();
    families.insert(families.end(), std::make_move_iterator(collected.begin()),
                    std::make_move_iterator(collected.end()));
  }
  return metrics::HttpResponse{200, "text/plain; version=0.0.4; charset=utf-8",
                               prometheus::TextSerializer().Serialize(families)};
}

}  // namespace warren::metastore
