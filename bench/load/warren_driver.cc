// The Warren metastore through its C++ client (metastore/client). The client's calls block,
// so requests run on a pool of threads, as many as the benchmark keeps in flight.
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "absl/strings/str_cat.h"
#include "bench/load/driver.h"
#include "metastore/client/metastore_client.h"
#include "metastore/errors.h"

namespace warren::bench {
namespace {

using metastore::MetastoreClient;

std::string PathOf(const std::string& key) { return "/" + key; }

class WarrenDriver : public Driver {
 public:
  explicit WarrenDriver(DriverOptions options) : options_(std::move(options)) {}

  ~WarrenDriver() override {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    for (auto& t : workers_) t.join();
  }

  absl::Status Connect(int clients) override {
    metastore::ClientOptions o;
    o.endpoints = options_.endpoints;
    o.request_timeout = options_.op_timeout;
    o.consistency = options_.linearizable_reads ? raftpb::LINEARIZABLE : raftpb::SEQUENTIAL;
    for (int i = 0; i < clients; ++i) {
      auto c = MetastoreClient::Connect(o);
      if (!c.ok()) return c.status();
      clients_.push_back(std::move(*c));
    }
    return absl::OkStatus();
  }

  absl::Status EnsurePrefix(const std::string& prefix) override {
    auto made = clients_.at(0)->Create(PathOf(prefix), "");
    if (made.ok() || metastore::ErrorOf(made.status()) == metastorepb::NODE_EXISTS) {
      return absl::OkStatus();
    }
    return made.status();
  }

  void Start(int client, const Request& request, Done done) override {
    std::unique_lock lock(mu_);
    queue_.push_back([this, client, request, done = std::move(done)] {
      done(Run(*clients_.at(client), request));
    });
    // One more thread whenever the idle ones cannot take every queued request: as many
    // threads as requests are ever in flight.
    if (static_cast<size_t>(idle_) < queue_.size()) {
      workers_.emplace_back([this] { Work(); });
    } else {
      cv_.notify_one();
    }
  }

  absl::Status Watch(int client, const std::string& key, OnEvent on_event) override {
    MetastoreClient& c = *clients_.at(client);
    if (absl::Status s = c.StartSession(absl::Seconds(10)); !s.ok()) return s;
    c.OnEvent([on_event = std::move(on_event)](const metastorepb::WatchEvent&) {
      on_event(absl::Now());
    });
    return c.AddWatch(PathOf(key), /*recursive=*/false);
  }

 private:
  static absl::Status Run(MetastoreClient& c, const Request& r) {
    switch (r.kind) {
      case OpKind::kCreate: {
        if (r.keys.size() == 1) return c.Create(PathOf(r.keys[0]), *r.value).status();
        std::vector<metastorepb::Op> ops(r.keys.size());
        for (size_t i = 0; i < r.keys.size(); ++i) {
          ops[i].mutable_create()->set_path(PathOf(r.keys[i]));
          ops[i].mutable_create()->set_data(*r.value);
        }
        return c.Multi(ops);
      }
      case OpKind::kSet:
        return c.SetData(PathOf(r.keys.at(0)), *r.value).status();
      case OpKind::kGet:
        return c.GetData(PathOf(r.keys.at(0))).status();
    }
    return absl::InvalidArgumentError("unknown op");
  }

  void Work() {
    std::unique_lock lock(mu_);
    for (;;) {
      ++idle_;
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      --idle_;
      if (stopping_) return;
      auto job = std::move(queue_.front());
      queue_.pop_front();
      lock.unlock();
      job();
      lock.lock();
    }
  }

  DriverOptions options_;
  std::vector<std::unique_ptr<MetastoreClient>> clients_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  std::vector<std::thread> workers_;
  int idle_ = 0;
  bool stopping_ = false;
};

}  // namespace

std::unique_ptr<Driver> MakeWarrenDriver(const DriverOptions& options) {
  return std::make_unique<WarrenDriver>(options);
}

}  // namespace warren::bench
