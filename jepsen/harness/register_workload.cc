// register: reads, writes and compare-and-sets on a few keys, checked for linearizability by
// warren-lincheck's checker. A key is a znode holding a decimal integer (absent: no node);
// a cas is a read of the node's value and version, then a setData at that version. Keys are
// retired every few seconds so that operations left in doubt do not pile up on one key.
// Reads are linearizable ones: through ZooKeeper's port, a sync then the read.
#include <fstream>
#include <random>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "jepsen/harness/workload.h"
#include "jepsen/lincheck/register_checker.h"
#include "metastore/errors.h"

namespace warren::jepsen {
namespace {

constexpr char kRoot[] = "/jepsen-register";
constexpr int kKeysAtOnce = 3;
constexpr int kValues = 5;
const absl::Duration kKeyLifetime = absl::Seconds(4);

class RegisterWorkload : public Workload {
 public:
  explicit RegisterWorkload(WorkloadContext ctx) : ctx_(std::move(ctx)) {}

  absl::Status Setup() override {
    if (auto s = CreateIfMissing(ctx_, kRoot); !s.ok()) return s;
    start_ = absl::Now();
    return absl::OkStatus();
  }

  void Process(int index, const std::atomic<bool>& stop) override {
    // Reads through a client that starts at this process's member, writes through one that
    // starts at the next: a member that answered reads it should not would be asked.
    auto reader = ctx_.Connect(index);
    auto writer = ctx_.Connect(index + 1);
    std::mt19937_64 rng(ctx_.seed * 1000 + index);
    int64_t process = ctx_.history->NewProcess();
    while (!stop) {
      const int64_t epoch = (absl::Now() - start_) / kKeyLifetime;
      const std::string key = absl::StrCat(
          "k", epoch, "-", std::uniform_int_distribution<int>(0, kKeysAtOnce - 1)(rng));
      const std::string path = absl::StrCat(kRoot, "/", key);
      const int op = std::uniform_int_distribution<int>(0, 3)(rng);
      const int a = std::uniform_int_distribution<int>(0, kValues - 1)(rng);
      const int b = std::uniform_int_distribution<int>(0, kValues - 1)(rng);
      bool in_doubt = false;
      if (op <= 1) {
        Read(*reader, process, key, path);
      } else if (op == 2) {
        in_doubt = Write(*writer, process, key, path, a);
      } else {
        in_doubt = Cas(*writer, process, key, path, a, b);
      }
      if (in_doubt) process = ctx_.history->NewProcess();
      absl::SleepFor(absl::Milliseconds(std::uniform_int_distribution<int>(0, 4)(rng)));
    }
  }

  std::string Check() override {
    std::ifstream in(ctx_.dir + "/history.jsonl");
    auto history = lincheck::ReadHistory(in);
    if (!history.ok()) return absl::StrCat("unknown: the history: ", history.status().message());
    const auto r = lincheck::CheckRegisters(*history, absl::Now() + absl::Minutes(5));
    switch (r.verdict) {
      case lincheck::Verdict::kLinearizable:
        return "";
      case lincheck::Verdict::kUnknown:
        return absl::StrCat("unknown: the linearizability search ran out of time on ", r.key);
      case lincheck::Verdict::kNotLinearizable:
        break;
    }
    std::string why = absl::StrCat("not linearizable: key ", r.key, ", history lines");
    for (size_t e : r.events) absl::StrAppend(&why, " ", e + 1);
    return why;
  }

 private:
  void Read(Client& c, int64_t process, const std::string& key, const std::string& path) {
    ctx_.history->Invoke(process, "read", key, "");
    // ZooKeeper's plain read is only sequentially consistent: a member a moment behind would
    // answer it from its older state. Its clients get a linearizable one as its docs say, a
    // sync then the read on the same session (zookeeper_client.cc: SyncThen).
    auto r = c.Get(path, Client::Read::kLinearizable);
    if (r.ok()) {
      int64_t v = 0;
      if (!absl::SimpleAtoi(r->data, &v)) {
        ctx_.history->Complete(process, "fail", "read", key, "", "not an integer: " + r->data);
        return;
      }
      ctx_.history->Complete(process, "ok", "read", key, absl::StrCat(v));
    } else if (metastore::ErrorOf(r.status()) == metastorepb::NO_NODE) {
      ctx_.history->Complete(process, "ok", "read", key, "null");
    } else {
      ctx_.history->Complete(process, "fail", "read", key, "", std::string(r.status().message()));
    }
  }

  // Returns whether the outcome is in doubt.
  bool Write(Client& c, int64_t process, const std::string& key, const std::string& path,
             int value) {
    const std::string v = absl::StrCat(value);
    ctx_.history->Invoke(process, "write", key, v);
    absl::Status s = c.Set(path, v).status();
    if (metastore::ErrorOf(s) == metastorepb::NO_NODE) {
      s = c.Create(path, v).status();
      if (metastore::ErrorOf(s) == metastorepb::NODE_EXISTS) s = c.Set(path, v).status();
    }
    return Finish(process, "write", key, v, s);
  }

  bool Cas(Client& c, int64_t process, const std::string& key, const std::string& path,
           int expected, int replacement) {
    const std::string v = absl::StrCat("[", expected, ",", replacement, "]");
    ctx_.history->Invoke(process, "cas", key, v);
    // The setData at the version read is what makes it atomic: a stale read only makes the
    // cas fail, without writing, so a sequential read will do.
    auto current = c.Get(path, Client::Read::kSequential);
    if (!current.ok() || current->data != absl::StrCat(expected)) {
      ctx_.history->Complete(
          process, "fail", "cas", key, v,
          current.ok() ? "another value" : std::string(current.status().message()));
      return false;
    }
    const absl::Status s = c.Set(path, absl::StrCat(replacement), current->stat.version()).status();
    return Finish(process, "cas", key, v, s);
  }

  bool Finish(int64_t process, const std::string& f, const std::string& key,
              const std::string& value, const absl::Status& s) {
    if (s.ok()) {
      ctx_.history->Complete(process, "ok", f, key, value);
      return false;
    }
    const bool in_doubt = OutcomeUnknown(s);
    ctx_.history->Complete(process, in_doubt ? "info" : "fail", f, key, value,
                           std::string(s.message()));
    return in_doubt;
  }

  WorkloadContext ctx_;
  absl::Time start_;
};

}  // namespace

std::unique_ptr<Workload> MakeRegisterWorkload(WorkloadContext ctx) {
  return std::make_unique<RegisterWorkload>(std::move(ctx));
}

}  // namespace warren::jepsen
