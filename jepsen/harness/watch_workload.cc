// watch: two processes write to nodes under one parent; the others hold a persistent recursive
// watch on it through their sessions. Every watcher must see the acknowledged writes made
// after its watch was set, each once, in zxid order, with no gap — through leader changes
// that move its session stream.
#include <map>
#include <mutex>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "jepsen/harness/workload.h"
#include "metastore/errors.h"

namespace warren::jepsen {
namespace {

constexpr char kParent[] = "/jepsen-watch";
constexpr int kWriters = 2;

struct Watcher {
  bool armed = false;  // its watch is set
  uint64_t start_zxid = 0;
  std::vector<uint64_t> zxids;  // data changes seen, in arrival order
  bool session_ended = false;
};

class WatchWorkload : public Workload {
 public:
  explicit WatchWorkload(WorkloadContext ctx) : ctx_(std::move(ctx)) {}

  absl::Status Setup() override {
    if (ctx_.processes < kWriters + 1) {
      return absl::InvalidArgumentError("the watch workload needs --processes >= 3");
    }
    if (auto s = ctx_.cluster->admin().Create(kParent, ""); !s.ok()) return s.status();
    for (int i = 1; i <= kWriters; ++i) {
      if (auto s = ctx_.cluster->admin().Create(absl::StrCat(kParent, "/w", i), ""); !s.ok()) {
        return s.status();
      }
    }
    return absl::OkStatus();
  }

  void Process(int index, const std::atomic<bool>& stop) override {
    if (index >= 1 && index <= kWriters) return Write(index, stop);
    auto client = ctx_.Connect(index);
    if (auto s = client->StartSession(absl::Seconds(10)); !s.ok()) return;
    Watcher* w;
    {
      std::lock_guard lock(mu_);
      w = &watchers_[index];
    }
    client->OnEvent([this, w](const metastorepb::WatchEvent& e) {
      if (e.type() != metastorepb::NODE_DATA_CHANGED) return;
      std::lock_guard lock(mu_);
      w->zxids.push_back(e.zxid());
    });
    client->OnSessionEnd([this, w](const absl::Status&) {
      std::lock_guard lock(mu_);
      w->session_ended = true;
    });
    if (auto s = client->AddWatch(kParent, /*recursive=*/true); !s.ok()) return;
    {
      std::lock_guard lock(mu_);
      w->armed = true;
      w->start_zxid = client->last_zxid();
    }
    while (!stop) absl::SleepFor(absl::Milliseconds(100));
    std::lock_guard lock(mu_);
    clients_.push_back(std::move(client));  // keeps delivering until the check
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
    const std::string path = absl::StrCat(kParent, "/w", index);
    int64_t process = ctx_.history->NewProcess();
    for (int i = 0; !stop; ++i) {
      const std::string v = absl::StrCat(i);
      ctx_.history->Invoke(process, "write", path, v);
      auto stat = client->SetData(path, v);
      std::lock_guard lock(mu_);
      if (stat.ok()) {
        ctx_.history->Complete(process, "ok", "write", path, v);
        acknowledged_.insert(stat->mzxid());
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

  std::string CheckOnce() {
    std::lock_guard lock(mu_);
    bool any = false;
    for (const auto& [index, w] : watchers_) {
      if (!w.armed) continue;
      any = true;
      if (w.session_ended) return absl::StrCat("the session of watcher ", index, " ended");
      for (size_t i = 1; i < w.zxids.size(); ++i) {
        if (w.zxids[i] <= w.zxids[i - 1]) {
          return absl::StrCat("watcher ", index, " saw zxid ", w.zxids[i], " after ",
                              w.zxids[i - 1]);
        }
      }
      const std::set<uint64_t> seen(w.zxids.begin(), w.zxids.end());
      size_t unexplained = 0;
      for (uint64_t z : seen) unexplained += !acknowledged_.count(z);
      if (unexplained > in_doubt_) {
        return absl::StrCat("watcher ", index, " saw ", unexplained,
                            " changes that no write made (", in_doubt_, " writes in doubt)");
      }
      size_t missed = 0;
      uint64_t first_missed = 0;
      for (uint64_t z : acknowledged_) {
        if (z > w.start_zxid && !seen.count(z)) {
          if (missed++ == 0) first_missed = z;
        }
      }
      if (missed > 0) {
        return absl::StrCat("watcher ", index, " missed ", missed,
                            " acknowledged changes, the first at zxid ", first_missed);
      }
    }
    return any ? "" : "no watcher could set its watch";
  }

  WorkloadContext ctx_;
  std::mutex mu_;
  std::map<int, Watcher> watchers_;
  std::set<uint64_t> acknowledged_;
  size_t in_doubt_ = 0;
  std::vector<std::unique_ptr<metastore::MetastoreClient>> clients_;
};

}  // namespace

std::unique_ptr<Workload> MakeWatchWorkload(WorkloadContext ctx) {
  return std::make_unique<WatchWorkload>(std::move(ctx));
}

}  // namespace warren::jepsen
