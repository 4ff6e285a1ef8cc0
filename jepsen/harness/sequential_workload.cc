// sequential: many processes create sequential children of one parent, and between creates
// read the parent with a plain (sequential) read. Afterwards: the acknowledged names are
// unique, every one of them is there (none lost), there is no child beyond those acknowledged
// or left in doubt, and where one create finished before another began, its sequence number
// is smaller. And each session's reads were sequentially consistent: the parent's cversion
// (its count of creates, from which the sequence numbers come) never went back, and never
// showed less than the session's own acknowledged creates.
#include <algorithm>
#include <map>
#include <mutex>
#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "jepsen/harness/workload.h"
#include "metastore/errors.h"

namespace warren::jepsen {
namespace {

constexpr char kSequenceParent[] = "/jepsen-sequential";

struct Created {
  uint64_t invoked, completed;  // history event numbers
  std::string name;
};

// What one session has seen of the parent: its reads may show no less.
struct SessionView {
  uint64_t session = 0;
  int64_t floor = 0;  // the least cversion the session's next read may show
  std::string why;    // what set the floor
};

int64_t SequenceOf(const std::string& name) {
  int64_t n = -1;
  if (name.size() < 10 || !absl::SimpleAtoi(name.substr(name.size() - 10), &n)) return -1;
  return n;
}

class SequentialWorkload : public Workload {
 public:
  explicit SequentialWorkload(WorkloadContext ctx) : ctx_(std::move(ctx)) {}

  absl::Status Setup() override {
    auto s = ctx_.cluster->admin()->Create(kSequenceParent, "");
    if (!s.ok()) return s.status();  // a fresh run directory is a fresh cluster
    return absl::OkStatus();
  }

  void Process(int index, const std::atomic<bool>& stop) override {
    auto client = ctx_.Connect(index);
    int64_t process = ctx_.history->NewProcess();
    SessionView view;
    for (int i = 0; !stop; ++i) {
      if (i % 2 == 1) {
        ReadParent(*client, process, view);
        continue;
      }
      const uint64_t invoked = ctx_.history->Invoke(process, "create", kSequenceParent, "");
      auto r =
          client->Create(absl::StrCat(kSequenceParent, "/n-"), "", Client::CreateMode::kSequential);
      if (r.ok()) {
        const uint64_t completed = ctx_.history->Complete(process, "ok", "create", kSequenceParent,
                                                          absl::StrCat("\"", *r, "\""));
        const std::string name = r->substr(r->rfind('/') + 1);
        Saw(view, client->session(), SequenceOf(name) + 1,
            absl::StrCat("its create of ", name, " (history line ", completed + 1, ")"));
        std::lock_guard lock(mu_);
        acknowledged_.push_back({invoked, completed, name});
      } else if (OutcomeUnknown(r.status())) {
        ctx_.history->Complete(process, "info", "create", kSequenceParent, "",
                               std::string(r.status().message()));
        process = ctx_.history->NewProcess();
        std::lock_guard lock(mu_);
        ++in_doubt_;
      } else {
        ctx_.history->Complete(process, "fail", "create", kSequenceParent, "",
                               std::string(r.status().message()));
      }
    }
  }

  std::string Check() override {
    {
      std::lock_guard lock(mu_);
      if (!stale_read_.empty()) return stale_read_;
    }
    auto children = ctx_.cluster->admin()->GetChildren(kSequenceParent);
    if (metastore::ErrorOf(children.status()) == metastorepb::NO_NODE) {
      // Made and acknowledged before the run began: its loss is a lost write.
      std::lock_guard lock(mu_);
      return absl::StrCat("acknowledged create lost: all ", acknowledged_.size(),
                          " children and their parent ", kSequenceParent, " itself");
    }
    if (!children.ok()) return absl::StrCat("unknown: final read: ", children.status().message());
    std::set<std::string> present;
    for (const auto& c : children->children) present.insert(c.name());
    std::lock_guard lock(mu_);
    std::set<std::string> names;
    for (const Created& c : acknowledged_) {
      if (!names.insert(c.name).second) return absl::StrCat("name acknowledged twice: ", c.name);
      if (!present.count(c.name)) return absl::StrCat("acknowledged create lost: ", c.name);
    }
    if (present.size() > acknowledged_.size() + in_doubt_) {
      return absl::StrCat(present.size(), " children, but only ", acknowledged_.size(),
                          " creates acknowledged and ", in_doubt_, " in doubt");
    }
    // Real-time order: sweep by invocation, knowing the largest sequence number of the
    // creates that had completed by then.
    std::vector<Created> by_completion = acknowledged_;
    std::sort(by_completion.begin(), by_completion.end(),
              [](const Created& a, const Created& b) { return a.completed < b.completed; });
    std::vector<Created> by_invocation = acknowledged_;
    std::sort(by_invocation.begin(), by_invocation.end(),
              [](const Created& a, const Created& b) { return a.invoked < b.invoked; });
    size_t done = 0;
    int64_t largest = -1;
    std::string largest_name;
    for (const Created& c : by_invocation) {
      while (done < by_completion.size() && by_completion[done].completed < c.invoked) {
        if (SequenceOf(by_completion[done].name) > largest) {
          largest = SequenceOf(by_completion[done].name);
          largest_name = by_completion[done].name;
        }
        ++done;
      }
      if (SequenceOf(c.name) <= largest) {
        return absl::StrCat(c.name, " was created after ", largest_name,
                            " had been acknowledged, yet its number is not larger");
      }
    }
    return "";
  }

 private:
  // A plain read of the parent; its cversion must be at least what the session has seen.
  void ReadParent(Client& client, int64_t process, SessionView& view) {
    ctx_.history->Invoke(process, "read", kSequenceParent, "");
    auto r = client.Get(kSequenceParent, Client::Read::kSequential);
    if (!r.ok()) {
      ctx_.history->Complete(process, "fail", "read", kSequenceParent, "",
                             std::string(r.status().message()));
      return;
    }
    const int64_t cversion = r->stat.cversion();
    const uint64_t line =
        ctx_.history->Complete(process, "ok", "read", kSequenceParent, absl::StrCat(cversion)) + 1;
    const uint64_t session = client.session();
    if (session == view.session && cversion < view.floor) {
      std::lock_guard lock(mu_);
      if (stale_read_.empty()) {
        stale_read_ = absl::StrCat("session ", absl::Hex(session), " read cversion ", cversion,
                                   " of ", kSequenceParent, " (history line ", line, ") after ",
                                   view.why, " had shown it at ", view.floor);
      }
    }
    Saw(view, session, cversion, absl::StrCat("its read at history line ", line));
  }

  // The session has seen the parent at `cversion` or later. A new session starts afresh: a
  // ZooKeeper client without a session of its own makes another when one expires.
  static void Saw(SessionView& view, uint64_t session, int64_t cversion, std::string why) {
    if (session != view.session) view = SessionView{session, 0, ""};
    if (cversion > view.floor) {
      view.floor = cversion;
      view.why = std::move(why);
    }
  }

  WorkloadContext ctx_;
  std::mutex mu_;
  std::vector<Created> acknowledged_;
  size_t in_doubt_ = 0;
  std::string stale_read_;  // the first read that went back
};

}  // namespace

std::unique_ptr<Workload> MakeSequentialWorkload(WorkloadContext ctx) {
  return std::make_unique<SequentialWorkload>(std::move(ctx));
}

}  // namespace warren::jepsen
