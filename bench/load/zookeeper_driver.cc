// ZooKeeper through its multi-threaded C client (Debian's libzookeeper-mt-dev), async API:
// one session per client, any number of requests in flight on it. Writes go through the
// member the session is on to the leader. A linearizable read is sync() then getData(), as
// ZooKeeper documents; a local read is getData() alone, served by the session's member.
#include <zookeeper/zookeeper.h>

#include <condition_variable>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "bench/load/driver.h"

namespace warren::bench {
namespace {

absl::Status FromZoo(int rc, const std::string& path) {
  if (rc == ZOK) return absl::OkStatus();
  const std::string what = absl::StrCat("zookeeper: ", zerror(rc), ": ", path);
  if (rc == ZNODEEXISTS) return absl::AlreadyExistsError(what);
  if (rc == ZNONODE) return absl::NotFoundError(what);
  return absl::UnavailableError(what);
}

// A request in flight: what its completions need. Deleted by the last completion.
struct Pending {
  zhandle_t* zh = nullptr;
  std::string path;
  Driver::Done done;
  // Batched creates.
  std::vector<std::string> paths;
  std::vector<zoo_op_t> ops;
  std::vector<zoo_op_result_t> results;
  std::vector<std::vector<char>> created;

  void Finish(int rc) {
    done(FromZoo(rc, path));
    delete this;
  }
  static Pending* Of(const void* data) { return static_cast<Pending*>(const_cast<void*>(data)); }
};

void OnString(int rc, const char*, const void* data) { Pending::Of(data)->Finish(rc); }
void OnStat(int rc, const Stat*, const void* data) { Pending::Of(data)->Finish(rc); }
void OnData(int rc, const char*, int, const Stat*, const void* data) {
  Pending::Of(data)->Finish(rc);
}
void OnVoid(int rc, const void* data) { Pending::Of(data)->Finish(rc); }
void OnSynced(int rc, const char*, const void* data) {
  Pending* p = Pending::Of(data);
  if (rc != ZOK) return p->Finish(rc);
  if (int now = zoo_aget(p->zh, p->path.c_str(), 0, OnData, p); now != ZOK) p->Finish(now);
}

// A watch kept set on one znode: re-set after each event, before the event is reported, so
// that the benchmark's next write cannot slip between the two.
struct KeptWatch {
  zhandle_t* zh;
  std::string path;
  Driver::OnEvent on_event;
  absl::Time arrived;
  std::mutex mu;
  std::condition_variable cv;
  int set_rc = -1;  // the first setting's outcome, for Watch()

  static void OnChange(zhandle_t*, int type, int, const char*, void* ctx) {
    auto* w = static_cast<KeptWatch*>(ctx);
    if (type != ZOO_CHANGED_EVENT) return;
    w->arrived = absl::Now();
    w->Arm();
  }
  static void OnArmed(int rc, const char*, int, const Stat*, const void* data) {
    auto* w = static_cast<KeptWatch*>(const_cast<void*>(data));
    std::unique_lock lock(w->mu);
    if (w->set_rc == -1) {
      w->set_rc = rc;
      w->cv.notify_all();
      return;
    }
    lock.unlock();
    if (rc == ZOK) w->on_event(w->arrived);
  }
  void Arm() { zoo_awget(zh, path.c_str(), OnChange, this, OnArmed, this); }
};

class ZooKeeperDriver : public Driver {
 public:
  explicit ZooKeeperDriver(DriverOptions options)
      : options_(std::move(options)), hosts_(absl::StrJoin(options_.endpoints, ",")) {
    zoo_set_debug_level(ZOO_LOG_LEVEL_ERROR);
  }
  ~ZooKeeperDriver() override {
    for (auto& s : sessions_) zookeeper_close(s->zh);
  }

  absl::Status Connect(int clients) override {
    for (int i = 0; i < clients; ++i) {
      auto s = std::make_unique<Session>();
      // The client has no per-request timeout: requests fail when the connection does, and
      // it reconnects to another member within the session timeout.
      s->zh =
          zookeeper_init(hosts_.c_str(), Session::OnState, kSessionTimeoutMs, nullptr, s.get(), 0);
      if (s->zh == nullptr) return absl::UnavailableError("zookeeper_init " + hosts_);
      sessions_.push_back(std::move(s));
    }
    for (auto& s : sessions_) {
      std::unique_lock lock(s->mu);
      if (!s->cv.wait_for(lock, absl::ToChronoNanoseconds(options_.op_timeout),
                          [&] { return s->connected; })) {
        return absl::UnavailableError("no ZooKeeper session with " + hosts_);
      }
    }
    return absl::OkStatus();
  }

  void Start(int client, const Request& r, Done done) override {
    zhandle_t* zh = sessions_.at(client)->zh;
    auto* p = new Pending;
    p->zh = zh;
    p->path = ZnodePathOf(r.keys.at(0));
    p->done = std::move(done);
    const char* path = p->path.c_str();
    const int len = r.value == nullptr ? 0 : static_cast<int>(r.value->size());
    int rc = ZOK;
    switch (r.kind) {
      case OpKind::kCreate:
        if (r.keys.size() > 1) {
          rc = StartMulti(p, r);
        } else {
          rc = zoo_acreate(zh, path, r.value->data(), len, &ZOO_OPEN_ACL_UNSAFE, 0, OnString, p);
        }
        break;
      case OpKind::kSet:
        rc = zoo_aset(zh, path, r.value->data(), len, -1, OnStat, p);
        break;
      case OpKind::kGet:
        rc = options_.linearizable_reads ? zoo_async(zh, path, OnSynced, p)
                                         : zoo_aget(zh, path, 0, OnData, p);
        break;
    }
    if (rc != ZOK) p->Finish(rc);
  }

  absl::Status Watch(int client, const std::string& key, OnEvent on_event) override {
    auto w = std::make_unique<KeptWatch>();
    w->zh = sessions_.at(client)->zh;
    w->path = ZnodePathOf(key);
    w->on_event = std::move(on_event);
    w->Arm();
    std::unique_lock lock(w->mu);
    w->cv.wait(lock, [&] { return w->set_rc != -1; });
    if (w->set_rc != ZOK) return FromZoo(w->set_rc, w->path);
    lock.unlock();
    watches_.push_back(std::move(w));
    return absl::OkStatus();
  }

 private:
  struct Session {
    zhandle_t* zh = nullptr;
    std::mutex mu;
    std::condition_variable cv;
    bool connected = false;
    static void OnState(zhandle_t*, int type, int state, const char*, void* ctx) {
      auto* s = static_cast<Session*>(ctx);
      if (type != ZOO_SESSION_EVENT) return;
      std::lock_guard lock(s->mu);
      s->connected = state == ZOO_CONNECTED_STATE;
      s->cv.notify_all();
    }
  };

  static int StartMulti(Pending* p, const Request& r) {
    const size_t n = r.keys.size();
    p->paths.resize(n);
    p->ops.resize(n);
    p->results.resize(n);
    p->created.resize(n);
    for (size_t i = 0; i < n; ++i) {
      p->paths[i] = ZnodePathOf(r.keys[i]);
      p->created[i].resize(p->paths[i].size() + 16);
      zoo_create_op_init(&p->ops[i], p->paths[i].c_str(), r.value->data(),
                         static_cast<int>(r.value->size()), &ZOO_OPEN_ACL_UNSAFE, 0,
                         p->created[i].data(), static_cast<int>(p->created[i].size()));
    }
    return zoo_amulti(p->zh, static_cast<int>(n), p->ops.data(), p->results.data(), OnVoid, p);
  }

  static constexpr int kSessionTimeoutMs = 30000;

  DriverOptions options_;
  std::string hosts_;
  std::vector<std::unique_ptr<Session>> sessions_;
  std::vector<std::unique_ptr<KeptWatch>> watches_;
};

}  // namespace

std::unique_ptr<Driver> MakeZooKeeperDriver(const DriverOptions& options) {
  return std::make_unique<ZooKeeperDriver>(options);
}

}  // namespace warren::bench
