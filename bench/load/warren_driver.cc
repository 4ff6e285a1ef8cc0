// The Warren metastore through its C++ client (metastore/client), asynchronous calls: any
// number in flight per client, as with the other targets' drivers.
#include "absl/strings/str_cat.h"
#include "bench/load/driver.h"
#include "metastore/client/metastore_client.h"
#include "metastore/errors.h"

namespace warren::bench {
namespace {

using metastore::MetastoreClient;

class WarrenDriver : public Driver {
 public:
  explicit WarrenDriver(DriverOptions options) : options_(std::move(options)) {}

  absl::Status Connect(int clients) override {
    metastore::ClientOptions o;
    o.endpoints = options_.endpoints;
    o.request_timeout = options_.op_timeout;
    o.consistency = options_.linearizable_reads ? raftpb::LINEARIZABLE : raftpb::SEQUENTIAL;
    o.leader_only = options_.leader_only;
    o.tls = options_.tls;
    for (int i = 0; i < clients; ++i) {
      auto c = MetastoreClient::Connect(o);
      if (!c.ok()) return c.status();
      clients_.push_back(std::move(*c));
    }
    return absl::OkStatus();
  }

  void Start(int client, const Request& r, Done done) override {
    MetastoreClient& c = *clients_.at(client);
    // The typed results reduced to their status (built per case: `done` moves once).
    auto status_only = [&done] {
      return [done = std::move(done)](const auto& result) { done(result.status()); };
    };
    switch (r.kind) {
      case OpKind::kCreate: {
        if (r.keys.size() == 1) {
          return c.CreateAsync(ZnodePathOf(r.keys[0]), *r.value, {}, status_only());
        }
        std::vector<metastorepb::Op> ops(r.keys.size());
        for (size_t i = 0; i < r.keys.size(); ++i) {
          ops[i].mutable_create()->set_path(ZnodePathOf(r.keys[i]));
          ops[i].mutable_create()->set_data(*r.value);
        }
        return c.MultiAsync(ops, std::move(done));
      }
      case OpKind::kSet:
        return c.SetDataAsync(ZnodePathOf(r.keys.at(0)), *r.value, -1, status_only());
      case OpKind::kGet:
        return c.GetDataAsync(ZnodePathOf(r.keys.at(0)), status_only());
    }
  }

  absl::Status Watch(int client, const std::string& key, OnEvent on_event) override {
    MetastoreClient& c = *clients_.at(client);
    if (absl::Status s = c.StartSession(absl::Seconds(10)); !s.ok()) return s;
    c.OnEvent([on_event = std::move(on_event)](const metastorepb::WatchEvent&) {
      on_event(absl::Now());
    });
    return c.AddWatch(ZnodePathOf(key), /*recursive=*/false);
  }

 private:
  DriverOptions options_;
  std::vector<std::unique_ptr<MetastoreClient>> clients_;
};

}  // namespace

std::unique_ptr<Driver> MakeWarrenDriver(const DriverOptions& options) {
  return std::make_unique<WarrenDriver>(options);
}

}  // namespace warren::bench
