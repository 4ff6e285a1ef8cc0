// Client over warrend's ZooKeeper port: ZooKeeper's multi-threaded C client, its synchronous
// calls. The C client keeps one session, moves it to the next member of its connect string
// when its member fails (sending the newest zxid it has seen, and its watches), and never
// retries a request: one in flight when the connection is lost fails with ConnectionLoss or
// OperationTimeout, which is "outcome unknown" for a write.
#include "jepsen/harness/zookeeper_client.h"

#define THREADED  // the C client's synchronous calls
#include <zookeeper/zookeeper.h>

#include <array>
#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <optional>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "metastore/errors.h"

namespace warren::jepsen {
namespace {

// Where an abandoned client's handle is pointed: nothing listens there, so the handle never
// reconnects and closing it sends no CloseSession.
constexpr char kNowhere[] = "127.0.0.1:1";
// How long a call waits for its handle to connect before it is made anyway.
constexpr auto kConnectionWait = std::chrono::seconds(2);
// The largest znode data read back; the workloads write a few bytes.
constexpr int kMaxData = 64 * 1024;

// ZooKeeper's error as a metastore error, so that OutcomeUnknown sorts it.
absl::Status ZooError(int rc, const std::string& what) {
  metastorepb::Error e = metastorepb::SYSTEM_ERROR;
  switch (rc) {
    // Nothing was done.
    case ZNONODE:
      e = metastorepb::NO_NODE;
      break;
    case ZNODEEXISTS:
      e = metastorepb::NODE_EXISTS;
      break;
    case ZBADVERSION:
      e = metastorepb::BAD_VERSION;
      break;
    case ZNOTEMPTY:
      e = metastorepb::NOT_EMPTY;
      break;
    case ZNOCHILDRENFOREPHEMERALS:
      e = metastorepb::NO_CHILDREN_FOR_EPHEMERALS;
      break;
    case ZBADARGUMENTS:
      e = metastorepb::BAD_ARGUMENTS;
      break;
    case ZNOAUTH:
      e = metastorepb::NO_AUTH;
      break;
    case ZINVALIDACL:
      e = metastorepb::INVALID_ACL;
      break;
    case ZAUTHFAILED:
      e = metastorepb::AUTH_FAILED;
      break;
    case ZRUNTIMEINCONSISTENCY:
      e = metastorepb::RUNTIME_INCONSISTENCY;
      break;
    // The request may have reached the quorum: a write's outcome is unknown.
    case ZCONNECTIONLOSS:
    case ZCLOSING:
      e = metastorepb::CONNECTION_LOSS;
      break;
    case ZOPERATIONTIMEOUT:
      e = metastorepb::OPERATION_TIMEOUT;
      break;
    // The session is over. ZINVALIDSTATE: the handle knew it already and sent nothing; kept
    // in doubt all the same, as the C client does not say which of its checks refused.
    case ZSESSIONEXPIRED:
    case ZINVALIDSTATE:
      e = metastorepb::SESSION_EXPIRED;
      break;
    case ZSESSIONMOVED:
      e = metastorepb::SESSION_MOVED;
      break;
    default:
      break;  // marshalling and system errors: in doubt
  }
  return metastore::MetaError(e, absl::StrCat(zerror(rc), " (", rc, "): ", what));
}

metastorepb::Stat StatOf(const ::Stat& s) {
  metastorepb::Stat out;
  out.set_czxid(s.czxid);
  out.set_mzxid(s.mzxid);
  out.set_pzxid(s.pzxid);
  out.set_ctime(s.ctime);
  out.set_mtime(s.mtime);
  out.set_version(s.version);
  out.set_cversion(s.cversion);
  out.set_aversion(s.aversion);
  out.set_ephemeral_owner(s.ephemeralOwner);
  out.set_data_length(s.dataLength);
  out.set_num_children(s.numChildren);
  return out;
}

metastorepb::EventType EventTypeOf(int type) {
  if (type == ZOO_CREATED_EVENT) return metastorepb::NODE_CREATED;
  if (type == ZOO_DELETED_EVENT) return metastorepb::NODE_DELETED;
  if (type == ZOO_CHANGED_EVENT) return metastorepb::NODE_DATA_CHANGED;
  if (type == ZOO_CHILD_EVENT) return metastorepb::NODE_CHILDREN_CHANGED;
  return metastorepb::NONE;
}

// A sync's outcome, shared by its completion (on the C client's thread) and the caller.
struct SyncOutcome {
  std::mutex mu;
  std::condition_variable cv;
  std::optional<int> rc;

  static void Done(int rc, const char*, const void* data) {
    auto* ref = static_cast<std::shared_ptr<SyncOutcome>*>(const_cast<void*>(data));
    {
      std::lock_guard lock((*ref)->mu);
      (*ref)->rc = rc;
    }
    (*ref)->cv.notify_all();
    delete ref;
  }
};

class ZooKeeperClient : public Client {
 public:
  explicit ZooKeeperClient(ZooKeeperClientOptions options)
      : options_(std::move(options)), hosts_(absl::StrJoin(options_.hosts, ",")) {
    if (options_.hosts_now) follower_ = std::thread([this] { FollowTheGroup(); });
  }
  ~ZooKeeperClient() override {
    {
      std::lock_guard lock(handle_mu_);
      stop_following_ = true;
    }
    following_.notify_all();
    if (follower_.joinable()) follower_.join();
    Close();
  }

  // With own_session, makes the handle and waits until its session is established. Without,
  // the first call makes it.
  absl::Status Start() {
    if (!options_.own_session) return absl::OkStatus();
    if (auto s = Open(); !s.ok()) return s;
    std::unique_lock lock(mu_);
    if (cv_.wait_for(lock, absl::ToChronoNanoseconds(options_.connect_timeout),
                     [&] { return connected_ || ended_; }) &&
        connected_) {
      return absl::OkStatus();
    }
    lock.unlock();
    Close();
    std::string hosts;
    {
      std::lock_guard handle_lock(handle_mu_);
      hosts = hosts_;
    }
    return ZooError(ZCONNECTIONLOSS, absl::StrCat("no session with ", hosts, " within ",
                                                  absl::FormatDuration(options_.connect_timeout)));
  }

  absl::StatusOr<std::string> Create(const std::string& path, const std::string& data,
                                     CreateMode mode) override {
    auto zh = Handle();
    if (!zh.ok()) return zh.status();
    const int flags = mode == CreateMode::kEphemeral    ? ZOO_EPHEMERAL
                      : mode == CreateMode::kSequential ? ZOO_PERSISTENT_SEQUENTIAL
                                                        : ZOO_PERSISTENT;
    char created[1024];
    const int rc = zoo_create(*zh, path.c_str(), data.data(), static_cast<int>(data.size()),
                              &ZOO_OPEN_ACL_UNSAFE, flags, created, sizeof(created));
    if (rc != ZOK) return ZooError(rc, path);
    return std::string(created);
  }

  absl::StatusOr<metastore::NodeData> Get(const std::string& path, Read read, bool watch) override {
    auto zh = Handle();
    if (!zh.ok()) return zh.status();
    std::string data(kMaxData, '\0');
    int len = kMaxData;
    ::Stat stat{};
    auto get = [&] { return zoo_get(*zh, path.c_str(), watch ? 1 : 0, data.data(), &len, &stat); };
    const int rc = read == Read::kLinearizable ? SyncThen(*zh, path, get) : get();
    if (rc != ZOK) return ZooError(rc, path);
    if (stat.dataLength > kMaxData) {
      return metastore::MetaError(metastorepb::SYSTEM_ERROR,
                                  absl::StrCat(path, ": data larger than ", kMaxData, " bytes"));
    }
    data.resize(len < 0 ? 0 : len);
    return metastore::NodeData{std::move(data), StatOf(stat)};
  }

  absl::StatusOr<metastorepb::Stat> Set(const std::string& path, const std::string& data,
                                        int32_t version) override {
    auto zh = Handle();
    if (!zh.ok()) return zh.status();
    ::Stat stat{};
    const int rc =
        zoo_set2(*zh, path.c_str(), data.data(), static_cast<int>(data.size()), version, &stat);
    if (rc != ZOK) return ZooError(rc, path);
    return StatOf(stat);
  }

  absl::StatusOr<std::vector<std::string>> Children(const std::string& path, Read read) override {
    auto zh = Handle();
    if (!zh.ok()) return zh.status();
    String_vector children{};
    auto get = [&] { return zoo_get_children(*zh, path.c_str(), 0, &children); };
    const int rc = read == Read::kLinearizable ? SyncThen(*zh, path, get) : get();
    std::vector<std::string> names;
    if (rc == ZOK) names.assign(children.data, children.data + children.count);
    deallocate_String_vector(&children);
    if (rc != ZOK) return ZooError(rc, path);
    return names;
  }
  absl::Status Multi(const std::vector<metastorepb::Op>& ops) override {
    auto zh = Handle();
    if (!zh.ok()) return zh.status();
    std::vector<zoo_op_t> zops(ops.size());
    std::vector<zoo_op_result_t> results(ops.size());
    std::vector<::Stat> stats(ops.size());
    std::vector<std::array<char, 1024>> created(ops.size());
    for (size_t i = 0; i < ops.size(); ++i) {
      const metastorepb::Op& op = ops[i];
      switch (op.op_case()) {
        case metastorepb::Op::kCreate:
          zoo_create_op_init(&zops[i], op.create().path().c_str(), op.create().data().data(),
                             static_cast<int>(op.create().data().size()), &ZOO_OPEN_ACL_UNSAFE,
                             ZOO_PERSISTENT, created[i].data(), created[i].size());
          break;
        case metastorepb::Op::kDelete:
          zoo_delete_op_init(&zops[i], op.delete_().path().c_str(),
                             op.delete_().has_version() ? op.delete_().version() : -1);
          break;
        case metastorepb::Op::kSetData:
          zoo_set_op_init(&zops[i], op.set_data().path().c_str(), op.set_data().data().data(),
                          static_cast<int>(op.set_data().data().size()),
                          op.set_data().has_version() ? op.set_data().version() : -1, &stats[i]);
          break;
        case metastorepb::Op::kCheck:
          zoo_check_op_init(&zops[i], op.check().path().c_str(),
                            op.check().has_version() ? op.check().version() : -1);
          break;
        default:
          return absl::InvalidArgumentError("Multi: create, delete, setData or check ops only");
      }
    }
    const int rc = zoo_multi(*zh, static_cast<int>(zops.size()), zops.data(), results.data());
    if (rc != ZOK) return ZooError(rc, "multi");
    return absl::OkStatus();
  }

  bool persistent_watches() const override { return false; }
  absl::StatusOr<uint64_t> AddRecursiveWatch(const std::string&) override {
    return absl::UnimplementedError("ZooKeeper's C client 3.8 has no addWatch");
  }

  void OnEvent(std::function<void(const metastorepb::WatchEvent&)> listener) override {
    std::lock_guard lock(mu_);
    on_event_.push_back(std::move(listener));
  }

  void OnSessionEnd(std::function<void()> listener) override {
    std::unique_lock lock(mu_);
    if (!ended_) {
      on_session_end_.push_back(std::move(listener));
      return;
    }
    lock.unlock();
    listener();
  }

  void AbandonSession() override {
    {
      std::lock_guard lock(handle_mu_);
      abandoned_ = true;
      if (zh_ == nullptr) return;
      // Point the handle at nowhere: the C client drops its connection at once and cannot
      // make another, so its session is left to expire. (zookeeper_close on a connected
      // handle would close the session.)
      zoo_set_servers(zh_, kNowhere);
    }
    Close();
  }

  uint64_t session() override {
    return zh_ == nullptr ? 0 : static_cast<uint64_t>(zoo_client_id(zh_)->client_id);
  }

 private:
  absl::Status Open() {
    {
      std::lock_guard lock(mu_);
      connected_ = ended_ = closing_ = false;
    }
    const int timeout_ms = static_cast<int>(absl::ToInt64Milliseconds(options_.session_timeout));
    std::lock_guard lock(handle_mu_);
    zh_ = zookeeper_init(hosts_.c_str(), &ZooKeeperClient::Watcher, timeout_ms, nullptr, this, 0);
    if (zh_ == nullptr) {
      return absl::UnavailableError(
          absl::StrCat("zookeeper_init ", hosts_, ": ", std::strerror(errno)));
    }
    return absl::OkStatus();
  }

  // Closes the handle (its session too, if connected). The listeners are not called again.
  void Close() {
    if (zh_ == nullptr) return;
    {
      std::lock_guard lock(mu_);
      closing_ = true;
    }
    // Not under mu_: closing joins the C client's threads, whose watcher takes it.
    std::lock_guard lock(handle_mu_);
    zookeeper_close(zh_);
    zh_ = nullptr;
  }

  // As an application that watches the ensemble's configuration does (zoo_set_servers after
  // a reconfig): when the group changes, the handle is given its members' addresses, so that
  // a session whose members were all replaced by new machines can still move to one.
  void FollowTheGroup() {
    std::unique_lock lock(handle_mu_);
    while (!stop_following_) {
      following_.wait_for(lock, std::chrono::milliseconds(250));
      if (stop_following_ || abandoned_) continue;
      const std::string now = absl::StrJoin(options_.hosts_now(), ",");
      if (now == hosts_) continue;
      hosts_ = now;  // for the next handle, too
      if (zh_ != nullptr) zoo_set_servers(zh_, hosts_.c_str());
    }
  }

  // The handle for the next call. Without a session of its own, the client makes one when it
  // has none, or when its session has expired.
  absl::StatusOr<zhandle_t*> Handle() {
    if (zh_ != nullptr && !options_.own_session) {
      const int state = zoo_state(zh_);
      if (state == ZOO_EXPIRED_SESSION_STATE || state == ZOO_AUTH_FAILED_STATE) Close();
    }
    if (zh_ == nullptr) {
      if (options_.own_session || abandoned_) {
        return metastore::MetaError(metastorepb::SESSION_EXPIRED, "the session has ended");
      }
      if (auto s = Open(); !s.ok()) return ZooError(ZCONNECTIONLOSS, std::string(s.message()));
    }
    AwaitConnection();
    return zh_;
  }

  // Waits a while for the handle to be connected, as an application waits for SyncConnected
  // before it calls. A call made while the C client is between members is queued and fails
  // with ConnectionLoss when the next attempt to connect fails, often within milliseconds:
  // calling in a loop then records thousands of calls in doubt while the quorum is down, which
  // the register's checker must then search through (found when every member lost power at
  // once). After the wait the call is made anyway, connected or not.
  void AwaitConnection() {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, kConnectionWait, [&] { return connected_ || ended_; });
  }

  // A linearizable read, as ZooKeeper documents it: sync, then the read. The C client sends
  // a session's requests in order on one connection and the member answers them in order,
  // so the read reflects the leader's state as of the sync, at least; both succeed only if
  // they went over the same connection (a lost connection fails whatever was sent on it).
  // Returns the read's code, or the sync's if the sync failed.
  static int SyncThen(zhandle_t* zh, const std::string& path, const std::function<int()>& read) {
    auto sync = std::make_shared<SyncOutcome>();
    auto* ref = new std::shared_ptr<SyncOutcome>(sync);  // the completion's; it deletes it
    if (const int rc = zoo_async(zh, path.c_str(), &SyncOutcome::Done, ref); rc != ZOK) {
      delete ref;  // not queued: the completion will not run
      return rc;
    }
    const int rc = read();
    // The sync's reply came first, but its completion runs on the C client's completion
    // thread, perhaps not yet.
    std::unique_lock lock(sync->mu);
    if (!sync->cv.wait_for(lock, std::chrono::seconds(30), [&] { return sync->rc.has_value(); })) {
      return ZOPERATIONTIMEOUT;
    }
    return *sync->rc != ZOK ? *sync->rc : rc;
  }

  // The C client's watcher, on its completion thread: session states and watch events.
  static void Watcher(zhandle_t*, int type, int state, const char* path, void* ctx) {
    auto* self = static_cast<ZooKeeperClient*>(ctx);
    std::vector<std::function<void()>> ended;
    std::vector<std::function<void(const metastorepb::WatchEvent&)>> listeners;
    metastorepb::WatchEvent event;
    {
      std::lock_guard lock(self->mu_);
      if (type == ZOO_SESSION_EVENT) {
        self->connected_ = state == ZOO_CONNECTED_STATE;
        if ((state == ZOO_EXPIRED_SESSION_STATE || state == ZOO_AUTH_FAILED_STATE) &&
            !self->ended_) {
          self->ended_ = true;
          if (!self->closing_) ended.swap(self->on_session_end_);
        }
        self->cv_.notify_all();
      } else if (!self->closing_) {
        event.set_type(EventTypeOf(type));
        event.set_path(path == nullptr ? "" : path);
        listeners = self->on_event_;
      }
    }
    // Not under mu_, so that listeners may take locks of their own that are held around
    // calls to this client.
    for (auto& f : ended) f();
    for (auto& f : listeners) f(event);
  }

  const ZooKeeperClientOptions options_;
  // The calling thread's, and the follower's (FollowTheGroup) under handle_mu_; the calling
  // thread changes them only under it.
  std::mutex handle_mu_;
  std::string hosts_;
  zhandle_t* zh_ = nullptr;
  bool abandoned_ = false;
  std::thread follower_;
  std::condition_variable following_;
  bool stop_following_ = false;

  std::mutex mu_;  // what the watcher shares with the calling thread
  std::condition_variable cv_;
  bool connected_ = false;
  bool ended_ = false;    // the session expired
  bool closing_ = false;  // closed or abandoned: no more listeners
  std::vector<std::function<void(const metastorepb::WatchEvent&)>> on_event_;
  std::vector<std::function<void()>> on_session_end_;
};

}  // namespace

void SetUpZooKeeperClients(const std::string& log_path, bool debug) {
  zoo_deterministic_conn_order(1);
  zoo_set_debug_level(debug ? ZOO_LOG_LEVEL_DEBUG : ZOO_LOG_LEVEL_WARN);
  // Kept open for the life of the process: the C client's threads may log until the end.
  if (FILE* log = std::fopen(log_path.c_str(), "a"); log != nullptr) {
    std::setvbuf(log, nullptr, _IOLBF, 0);
    zoo_set_log_stream(log);
  }
}

absl::StatusOr<std::unique_ptr<Client>> ConnectZooKeeper(ZooKeeperClientOptions options) {
  auto client = std::make_unique<ZooKeeperClient>(std::move(options));
  if (auto s = client->Start(); !s.ok()) return s;
  return client;
}

}  // namespace warren::jepsen
