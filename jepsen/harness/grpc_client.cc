// Client over warrend's gRPC API: MetastoreClient, call for call.
#include "absl/status/status.h"
#include "jepsen/harness/client.h"

namespace warren::jepsen {
namespace {

class Grpc : public Client {
 public:
  explicit Grpc(std::unique_ptr<metastore::MetastoreClient> client) : c_(std::move(client)) {}

  absl::StatusOr<std::string> Create(const std::string& path, const std::string& data,
                                     CreateMode mode) override {
    metastore::CreateOptions o;
    o.ephemeral = mode == CreateMode::kEphemeral;
    o.sequential = mode == CreateMode::kSequential;
    return c_->Create(path, data, o);
  }
  // The client's reads are all linearizable, which is sequential as well.
  absl::StatusOr<metastore::NodeData> Get(const std::string& path, Read, bool watch) override {
    return c_->GetData(path, watch);
  }
  absl::StatusOr<metastorepb::Stat> Set(const std::string& path, const std::string& data,
                                        int32_t version) override {
    return c_->SetData(path, data, version);
  }
  absl::StatusOr<std::vector<std::string>> Children(const std::string& path, Read) override {
    auto r = c_->GetChildren(path);
    if (!r.ok()) return r.status();
    std::vector<std::string> names;
    for (const auto& child : r->children) names.push_back(child.name());
    return names;
  }
  absl::Status Multi(const std::vector<metastorepb::Op>& ops) override { return c_->Multi(ops); }

  bool persistent_watches() const override { return true; }
  absl::StatusOr<uint64_t> AddRecursiveWatch(const std::string& path) override {
    if (auto s = c_->AddWatch(path, /*recursive=*/true); !s.ok()) return s;
    return c_->last_zxid();
  }
  void OnEvent(std::function<void(const metastorepb::WatchEvent&)> listener) override {
    c_->OnEvent(std::move(listener));
  }
  void OnSessionEnd(std::function<void()> listener) override {
    c_->OnSessionEnd([listener = std::move(listener)](const absl::Status&) { listener(); });
  }
  void AbandonSession() override { c_->AbandonSession(); }
  uint64_t session() override { return c_->session_id(); }

 private:
  std::unique_ptr<metastore::MetastoreClient> c_;
};

}  // namespace

std::unique_ptr<Client> GrpcClient(std::unique_ptr<metastore::MetastoreClient> client) {
  return std::make_unique<Grpc>(std::move(client));
}

}  // namespace warren::jepsen
