// Replicated small writes against a 3-member cluster of the Warren metastore (warrend), etcd
// or ZooKeeper, each driven through its own client the way users drive it: Warren's
// MetastoreClient setting a znode's data (finds the leader), etcd's v3 gRPC KV.Put spread over
// the members (as clientv3 balances), ZooKeeper's C client setting a znode's data with one
// session per writer (a follower forwards to the leader).
// Every write is acknowledged only after a majority has it on disk, in all three.
//   warren-bench-consensus --system=etcd --endpoints=127.0.0.1:2379,... --ops=20000
// prints one line: system, ops, seconds, ops_per_s, p50_ms, p99_ms.
#include <zookeeper/zookeeper.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "bench/compare/etcd_kv.grpc.pb.h"
#include "common/dashed_flags.h"
#include "glog/logging.h"
#include "grpcpp/grpcpp.h"
#include "metastore/client/metastore_client.h"
#include "metastore/errors.h"

ABSL_FLAG(std::string, system, "", "warren, etcd or zookeeper");
ABSL_FLAG(std::string, endpoints, "", "HOST:PORT,... of the members");
ABSL_FLAG(int, ops, 20000, "writes in all");
ABSL_FLAG(int, concurrency, 16, "writers, each with one write in flight");
ABSL_FLAG(int, value_bytes, 16, "bytes per value");

namespace {

// Writes once, synchronously; returns false on failure.
using WriteFn = std::function<bool()>;

// Makes the write function of writer `w`.
class System {
 public:
  virtual ~System() = default;
  virtual WriteFn Writer(int w) = 0;
};

// The metastore, as a ZooKeeper user would drive it: one client (connection) per writer,
// each setting the data of its own znode.
class WarrenSystem : public System {
 public:
  WarrenSystem(const std::string& endpoints, int value_bytes)
      : endpoints_(absl::StrSplit(endpoints, ',')), value_(value_bytes, 'v') {}
  WriteFn Writer(int w) override {
    warren::metastore::ClientOptions o;
    o.endpoints = endpoints_;
    auto c = warren::metastore::MetastoreClient::Connect(o);
    CHECK(c.ok()) << c.status();
    warren::metastore::MetastoreClient* client = c->get();
    clients_.push_back(std::move(*c));
    std::string path = absl::StrCat("/bench-", w);
    auto created = client->Create(path, "");
    CHECK(created.ok() ||
          warren::metastore::ErrorOf(created.status()) == warren::metastorepb::NODE_EXISTS)
        << created.status();
    return [this, client, path] { return client->SetData(path, value_).ok(); };
  }

 private:
  std::vector<std::string> endpoints_;
  std::string value_;
  std::vector<std::unique_ptr<warren::metastore::MetastoreClient>> clients_;
};

class EtcdSystem : public System {
 public:
  EtcdSystem(const std::string& endpoints, int value_bytes) : value_(value_bytes, 'v') {
    for (absl::string_view e : absl::StrSplit(endpoints, ',', absl::SkipEmpty())) {
      stubs_.push_back(etcdserverpb::KV::NewStub(
          grpc::CreateChannel(std::string(e), grpc::InsecureChannelCredentials())));
    }
    CHECK(!stubs_.empty()) << "no etcd endpoints";
  }
  WriteFn Writer(int w) override {
    auto* stub = stubs_[w % stubs_.size()].get();
    std::string key = absl::StrCat("bench/", w);
    return [this, stub, key] {
      grpc::ClientContext ctx;
      ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
      etcdserverpb::PutRequest req;
      req.set_key(key);
      req.set_value(value_);
      etcdserverpb::PutResponse resp;
      grpc::Status s = stub->Put(&ctx, req, &resp);
      LOG_IF(WARNING, !s.ok()) << "etcd put: " << s.error_message();
      return s.ok();
    };
  }

 private:
  std::string value_;
  std::vector<std::unique_ptr<etcdserverpb::KV::Stub>> stubs_;
};

class ZooKeeperSystem : public System {
 public:
  ZooKeeperSystem(const std::string& endpoints, int value_bytes)
      : hosts_(endpoints), value_(value_bytes, 'v') {
    zoo_set_debug_level(ZOO_LOG_LEVEL_ERROR);
  }
  ~ZooKeeperSystem() override {
    for (zhandle_t* zh : handles_) zookeeper_close(zh);
  }
  WriteFn Writer(int w) override {
    zhandle_t* zh = Connect();
    std::string path = absl::StrCat("/bench-", w);
    int rc = zoo_create(zh, path.c_str(), "", 0, &ZOO_OPEN_ACL_UNSAFE, 0, nullptr, 0);
    CHECK(rc == ZOK || rc == ZNODEEXISTS) << "zoo_create " << path << ": " << zerror(rc);
    return [this, zh, path] {
      int rc = zoo_set(zh, path.c_str(), value_.data(), static_cast<int>(value_.size()), -1);
      LOG_IF(WARNING, rc != ZOK) << "zoo_set: " << zerror(rc);
      return rc == ZOK;
    };
  }

 private:
  struct Connected {
    std::mutex mu;
    std::condition_variable cv;
    bool connected = false;
  };
  static void Watcher(zhandle_t*, int type, int state, const char*, void* ctx) {
    auto* c = static_cast<Connected*>(ctx);
    if (type == ZOO_SESSION_EVENT && state == ZOO_CONNECTED_STATE) {
      std::lock_guard lock(c->mu);
      c->connected = true;
      c->cv.notify_all();
    }
  }
  zhandle_t* Connect() {
    auto c = std::make_unique<Connected>();
    zhandle_t* zh = zookeeper_init(hosts_.c_str(), Watcher, 30000, nullptr, c.get(), 0);
    CHECK(zh != nullptr) << "zookeeper_init " << hosts_;
    std::unique_lock lock(c->mu);
    CHECK(c->cv.wait_for(lock, std::chrono::seconds(30), [&] { return c->connected; }))
        << "no ZooKeeper session with " << hosts_;
    handles_.push_back(zh);
    connected_.push_back(std::move(c));
    return zh;
  }
  std::string hosts_;
  std::string value_;
  std::vector<zhandle_t*> handles_;
  std::vector<std::unique_ptr<Connected>> connected_;
};

double Percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  size_t i = std::min(v.size() - 1, static_cast<size_t>(p * v.size()));
  std::nth_element(v.begin(), v.begin() + i, v.end());
  return v[i];
}

}  // namespace

int main(int argc, char** argv) {
  warren::DashedFlags flags(argc, argv);
  absl::ParseCommandLine(flags.argc(), flags.argv());
  google::InitGoogleLogging(argv[0]);
  const std::string name = absl::GetFlag(FLAGS_system);
  const std::string endpoints = absl::GetFlag(FLAGS_endpoints);
  const int ops = absl::GetFlag(FLAGS_ops), concurrency = absl::GetFlag(FLAGS_concurrency);
  if (endpoints.empty() || ops < 1 || concurrency < 1) {
    std::fprintf(stderr, "need --endpoints, --ops >= 1 and --concurrency >= 1\n");
    return 2;
  }
  std::unique_ptr<System> system;
  if (name == "warren") {
    system = std::make_unique<WarrenSystem>(endpoints, absl::GetFlag(FLAGS_value_bytes));
  } else if (name == "etcd") {
    system = std::make_unique<EtcdSystem>(endpoints, absl::GetFlag(FLAGS_value_bytes));
  } else if (name == "zookeeper") {
    system = std::make_unique<ZooKeeperSystem>(endpoints, absl::GetFlag(FLAGS_value_bytes));
  } else {
    std::fprintf(stderr, "--system must be warren, etcd or zookeeper\n");
    return 2;
  }
  std::vector<WriteFn> writers;
  for (int w = 0; w < concurrency; ++w) writers.push_back(system->Writer(w));
  for (auto& write : writers) CHECK(write()) << "warm-up write failed";  // connections up

  std::vector<std::vector<double>> latencies_ms(concurrency);
  std::atomic<int> next{0}, failures{0};
  const absl::Time start = absl::Now();
  std::vector<std::thread> threads;
  for (int w = 0; w < concurrency; ++w) {
    threads.emplace_back([&, w] {
      while (next.fetch_add(1) < ops) {
        absl::Time t0 = absl::Now();
        if (!writers[w]()) ++failures;
        latencies_ms[w].push_back(absl::ToDoubleMilliseconds(absl::Now() - t0));
      }
    });
  }
  for (auto& t : threads) t.join();
  double seconds = absl::ToDoubleSeconds(absl::Now() - start);
  std::vector<double> all;
  for (auto& l : latencies_ms) all.insert(all.end(), l.begin(), l.end());
  std::printf("system=%s ops=%d failures=%d seconds=%.2f ops_per_s=%.0f p50_ms=%.2f p99_ms=%.2f\n",
              name.c_str(), ops, failures.load(), seconds, ops / seconds, Percentile(all, 0.5),
              Percentile(all, 0.99));
  return failures.load() == 0 ? 0 : 1;
}
