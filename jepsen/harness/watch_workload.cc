// watch: two processes write to nodes under one parent; the others watch them through their
// sessions, through leader changes that move the sessions between members.
// - A client with persistent watches (gRPC) holds a recursive one on the parent, and must see
//   the acknowledged writes made after its watch was set, each once, in zxid order, no gap
//   but one it was told of (HISTORY_GAP: after every member restarted, none held the events
//   its watch missed while its session moved).
// - One without (ZooKeeper's C client 3.8) holds a one-shot data watch on each node, set again
//   after each event by a read of the node, as ZooKeeper's recipes do. Each such read must show
//   a newer version than the read that set the fired watch (a change fired it, and a session
//   sees the event before the change); each watch fires once; every version read was written;
//   and in the end, the last watch set on a node has fired if the node changed since.
#include <algorithm>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "jepsen/harness/workload.h"
#include "metastore/errors.h"

namespace warren::jepsen {
namespace {

constexpr char kWatchParent[] = "/jepsen-watch";
constexpr int kWriters = 2;
const absl::Duration kWatchSessionTimeout = absl::Seconds(10);

std::string NodePath(int writer) { return absl::StrCat(kWatchParent, "/w", writer); }

// A watcher holding a persistent recursive watch.
struct Watcher {
  bool armed = false;  // its watch is set
  uint64_t start_zxid = 0;
  std::vector<uint64_t> zxids;  // data changes seen, in arrival order
  // Gaps it was told of: changes with zxids in (first, second] may be missing.
  std::vector<std::pair<uint64_t, uint64_t>> gaps;
  bool session_ended = false;
};

// A watcher holding one-shot watches, one on each node.
struct OneShotWatcher {
  struct Node {
    struct Read {
      uint64_t zxid;  // the node's mzxid it showed
      uint64_t line;  // in the history
      // It came after a read (of any node) that failed, its connection lost: the session may
      // have moved to a member that has not applied the change whose event it had.
      bool after_failure = false;
    };
    std::vector<Read> reads;  // each read that set the watch, in order
    size_t events = 0;        // data-change events that came
  };
  std::map<std::string, Node> nodes;  // by path
  std::deque<std::string> to_read;    // nodes whose watch has fired: read them to set it again
  std::set<std::string> failed;       // nodes not read since a read failed
  std::string unexpected;             // an event of another kind, or on another node
  bool session_ended = false;
};

class WatchWorkload : public Workload {
 public:
  explicit WatchWorkload(WorkloadContext ctx) : ctx_(std::move(ctx)) {}

  absl::Status Setup() override {
    if (ctx_.processes < kWriters + 1) {
      return absl::InvalidArgumentError("the watch workload needs --processes >= 3");
    }
    if (auto s = ctx_.cluster->admin()->Create(kWatchParent, ""); !s.ok()) return s.status();
    for (int i = 1; i <= kWriters; ++i) {
      metastorepb::Stat stat;
      if (auto s = ctx_.cluster->admin()->Create(NodePath(i), "", {}, &stat); !s.ok()) {
        return s.status();
      }
      acknowledged_.insert(stat.mzxid());  // the version a first read may show
      changes_[NodePath(i)].insert(stat.mzxid());
    }
    return absl::OkStatus();
  }

  void Process(int index, const std::atomic<bool>& stop) override {
    if (index >= 1 && index <= kWriters) return Write(index, stop);
    auto client = ctx_.ConnectWithSession(index, kWatchSessionTimeout);
    if (!client.ok()) return;
    if ((*client)->persistent_watches()) {
      WatchPersistently(index, **client, stop);
    } else {
      WatchOneShot(index, **client, stop);
    }
    std::lock_guard lock(mu_);
    clients_.push_back(std::move(*client));  // keeps delivering until the check
  }

  std::string Check() override {
    std::string why;
    for (const absl::Time deadline = absl::Now() + absl::Seconds(20); absl::Now() < deadline;) {
      why = CheckOnce();
      if (why.empty()) break;
      absl::SleepFor(absl::Milliseconds(500));  // events may still be on their way
    }
    return why;
  }

 private:
  void Write(int index, const std::atomic<bool>& stop) {
    auto client = ctx_.Connect(index);
    const std::string path = NodePath(index);
    int64_t process = ctx_.history->NewProcess();
    for (int i = 0; !stop; ++i) {
      const std::string v = absl::StrCat(i);
      ctx_.history->Invoke(process, "write", path, v);
      auto stat = client->Set(path, v);
      std::lock_guard lock(mu_);
      if (stat.ok()) {  // value: [data, its zxid]
        ctx_.history->Complete(process, "ok", "write", path,
                               absl::StrCat("[", v, ",", stat->mzxid(), "]"));
        acknowledged_.insert(stat->mzxid());
        changes_[path].insert(stat->mzxid());
      } else if (OutcomeUnknown(stat.status())) {
        ctx_.history->Complete(process, "info", "write", path, v,
                               std::string(stat.status().message()));
        process = ctx_.history->NewProcess();
        ++in_doubt_;
      } else {
        ctx_.history->Complete(process, "fail", "write", path, v,
                               std::string(stat.status().message()));
      }
    }
  }

  void WatchPersistently(int index, Client& client, const std::atomic<bool>& stop) {
    Watcher* w;
    {
      std::lock_guard lock(mu_);
      w = &watchers_[index];
    }
    client.OnEvent([this, w](const metastorepb::WatchEvent& e) {
      std::lock_guard lock(mu_);
      if (e.type() == metastorepb::HISTORY_GAP) {
        const uint64_t seen = w->zxids.empty() ? w->start_zxid : w->zxids.back();
        w->gaps.emplace_back(seen, e.zxid());
      } else if (e.type() == metastorepb::NODE_DATA_CHANGED) {
        w->zxids.push_back(e.zxid());
      }
    });
    client.OnSessionEnd([this, w] {
      std::lock_guard lock(mu_);
      w->session_ended = true;
    });
    auto from = client.AddRecursiveWatch(kWatchParent);
    if (!from.ok()) return;
    {
      std::lock_guard lock(mu_);
      w->armed = true;
      w->start_zxid = *from;
    }
    while (!stop) absl::SleepFor(absl::Milliseconds(100));
  }

  void WatchOneShot(int index, Client& client, const std::atomic<bool>& stop) {
    OneShotWatcher* w;
    {
      std::lock_guard lock(mu_);
      w = &one_shot_[index];
      for (int i = 1; i <= kWriters; ++i) {
        w->nodes[NodePath(i)];
        w->to_read.push_back(NodePath(i));
      }
    }
    // In the history: each read that sets a watch (its value [data, zxid of the data]), and
    // each event, as an operation of a process of its own.
    const int64_t reader = ctx_.history->NewProcess();
    const int64_t listener = ctx_.history->NewProcess();
    client.OnEvent([this, w, listener](const metastorepb::WatchEvent& e) {
      std::lock_guard lock(mu_);
      ctx_.history->Invoke(listener, "event", e.path(), "");
      ctx_.history->Complete(listener, "ok", "event", e.path(),
                             absl::StrCat("\"", metastorepb::EventType_Name(e.type()), "\""));
      auto node = w->nodes.find(e.path());
      if (e.type() != metastorepb::NODE_DATA_CHANGED || node == w->nodes.end()) {
        if (w->unexpected.empty()) {
          w->unexpected =
              absl::StrCat("event ", metastorepb::EventType_Name(e.type()), " on ", e.path());
        }
        return;
      }
      ++node->second.events;
      w->to_read.push_back(e.path());
      read_wanted_.notify_all();
    });
    client.OnSessionEnd([this, w] {
      std::lock_guard lock(mu_);
      w->session_ended = true;
    });
    std::unique_lock lock(mu_);
    while (!stop) {
      if (w->to_read.empty()) {
        read_wanted_.wait_for(lock, std::chrono::milliseconds(100));
        continue;
      }
      const std::string path = w->to_read.front();
      w->to_read.pop_front();
      lock.unlock();
      ctx_.history->Invoke(reader, "read", path, "");
      auto r = client.Get(path, Client::Read::kSequential, /*watch=*/true);
      lock.lock();
      if (r.ok()) {
        const uint64_t line =
            ctx_.history->Complete(reader, "ok", "read", path,
                                   absl::StrCat("[", r->data, ",", r->stat.mzxid(), "]")) +
            1;
        w->nodes[path].reads.push_back(
            {static_cast<uint64_t>(r->stat.mzxid()), line, w->failed.erase(path) > 0});
      } else {
        // The connection may be lost, and the session may move to a member that has not
        // applied a change whose event this watcher already had: the next read of every node,
        // not only of this one, may show the state before it (found by jepsen_zookeeper_watch,
        // seed 4, when a read of w1 failed and the next read of w2 went to such a member).
        for (int i = 1; i <= kWriters; ++i) w->failed.insert(NodePath(i));
        ctx_.history->Complete(reader, "fail", "read", path, "", std::string(r.status().message()));
        // The C client holds no watch from a failed read (on reconnecting it sets again only
        // the watches it holds): read again.
        w->to_read.push_front(path);
        lock.unlock();
        absl::SleepFor(absl::Milliseconds(50));
        lock.lock();
      }
    }
  }

  std::string CheckOnce() {
    std::map<std::string, uint64_t> final_mzxid;
    if (!one_shot_.empty()) {
      for (int i = 1; i <= kWriters; ++i) {
        auto r = ctx_.cluster->admin()->GetData(NodePath(i));
        if (!r.ok()) return absl::StrCat("unknown: final read: ", r.status().message());
        final_mzxid[NodePath(i)] = r->stat.mzxid();
      }
    }
    std::lock_guard lock(mu_);
    bool any = false;
    for (const auto& [index, w] : watchers_) {
      if (!w.armed) continue;
      any = true;
      if (auto why = CheckPersistent(index, w); !why.empty()) return why;
    }
    for (const auto& [index, w] : one_shot_) {
      for (const auto& [path, node] : w.nodes) any = any || !node.reads.empty();
      if (auto why = CheckOneShot(index, w, final_mzxid); !why.empty()) return why;
    }
    return any ? "" : "no watcher could set its watch";
  }

  std::string CheckPersistent(int index, const Watcher& w) {
    if (w.session_ended) return absl::StrCat("the session of watcher ", index, " ended");
    for (size_t i = 1; i < w.zxids.size(); ++i) {
      if (w.zxids[i] <= w.zxids[i - 1]) {
        return absl::StrCat("watcher ", index, " saw zxid ", w.zxids[i], " after ", w.zxids[i - 1]);
      }
    }
    const std::set<uint64_t> seen(w.zxids.begin(), w.zxids.end());
    size_t unexplained = 0;
    for (uint64_t z : seen) unexplained += !acknowledged_.count(z);
    if (unexplained > in_doubt_) {
      return absl::StrCat("watcher ", index, " saw ", unexplained, " changes that no write made (",
                          in_doubt_, " writes in doubt)");
    }
    auto told = [&w](uint64_t z) {
      return std::any_of(w.gaps.begin(), w.gaps.end(),
                         [z](const auto& gap) { return z > gap.first && z <= gap.second; });
    };
    size_t missed = 0;
    uint64_t first_missed = 0;
    for (uint64_t z : acknowledged_) {
      if (z > w.start_zxid && !seen.count(z) && !told(z)) {
        if (missed++ == 0) first_missed = z;
      }
    }
    if (missed > 0) {
      return absl::StrCat("watcher ", index, " missed ", missed,
                          " acknowledged changes, the first at zxid ", first_missed);
    }
    return "";
  }

  std::string CheckOneShot(int index, const OneShotWatcher& w,
                           const std::map<std::string, uint64_t>& final_mzxid) {
    if (w.session_ended) return absl::StrCat("the session of watcher ", index, " ended");
    if (!w.unexpected.empty()) return absl::StrCat("watcher ", index, " got ", w.unexpected);
    std::set<uint64_t> read;
    for (const auto& [path, node] : w.nodes) {
      const std::string who = absl::StrCat("watcher ", index, " on ", path);
      for (size_t i = 1; i < node.reads.size(); ++i) {
        const auto& [zxid, line, after_failure] = node.reads[i];
        const auto& [before, before_line, unused] = node.reads[i - 1];
        // A change fired the watch, and a session sees the event before the change; but one
        // that moved meanwhile may read at a member that has not applied the change yet, as
        // ZooKeeper allows: the zxid a member must have reached to take a moving session is
        // that of the session's last read or write, not of its events. Never older, though.
        if (after_failure ? zxid < before : zxid <= before) {
          return absl::StrCat(who, ": after the watch set by its read at history line ",
                              before_line, " (zxid ", before, ") fired, its read at line ", line,
                              " showed zxid ", zxid);
        }
      }
      for (const auto& r : node.reads) read.insert(r.zxid);
      if (node.events > node.reads.size()) {
        return absl::StrCat(who, ": ", node.events, " events for ", node.reads.size(),
                            " watches set");
      }
      if (node.reads.empty()) continue;
      const auto& [last, line, unused] = node.reads.back();
      const uint64_t final = final_mzxid.at(path);
      const bool last_fired = node.events == node.reads.size();
      const std::string watch =
          absl::StrCat("the watch set by its read at history line ", line, " (zxid ", last, ")");
      if (last > final) {
        return absl::StrCat(who, ": its read at history line ", line, " showed zxid ", last,
                            ", newer than the node's last, ", final);
      }
      if (last < final && !last_fired) {
        const auto next = changes_[path].upper_bound(last);
        return absl::StrCat(
            who, ": ", watch, " never fired, though the node changed since",
            next == changes_[path].end() ? "" : absl::StrCat(" (first at zxid ", *next, ")"),
            " and is now at zxid ", final);
      }
      if (last == final && last_fired) {
        return absl::StrCat(who, ": ", watch, " fired, though the node has not changed since");
      }
    }
    size_t unexplained = 0;
    for (uint64_t z : read) unexplained += !acknowledged_.count(z);
    if (unexplained > in_doubt_) {
      return absl::StrCat("watcher ", index, " read ", unexplained,
                          " versions that no write made (", in_doubt_, " writes in doubt)");
    }
    return "";
  }

  WorkloadContext ctx_;
  std::mutex mu_;
  std::condition_variable read_wanted_;  // a one-shot watch fired
  std::map<int, Watcher> watchers_;
  std::map<int, OneShotWatcher> one_shot_;
  std::set<uint64_t> acknowledged_;  // the mzxids of acknowledged writes, and of the creates
  std::map<std::string, std::set<uint64_t>> changes_;  // the same by node
  size_t in_doubt_ = 0;
  std::vector<std::unique_ptr<Client>> clients_;
};

}  // namespace

std::unique_ptr<Workload> MakeWatchWorkload(WorkloadContext ctx) {
  return std::make_unique<WatchWorkload>(std::move(ctx));
}

}  // namespace warren::jepsen
