// counter: every process adds 1 to one znode, as a read then a setData at the version read
// (retried on BadVersion). Afterwards the value must count every acknowledged increment once,
// and at most the increments left in doubt besides: none lost, none applied twice.
#include <random>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "jepsen/harness/workload.h"
#include "metastore/errors.h"

namespace warren::jepsen {
namespace {

constexpr char kPath[] = "/jepsen-counter";

class CounterWorkload : public Workload {
 public:
  explicit CounterWorkload(WorkloadContext ctx) : ctx_(std::move(ctx)) {}

  absl::Status Setup() override {
    if (auto s = CreateIfMissing(ctx_, kPath, "0"); !s.ok()) return s;
    if (auto stat = ctx_.cluster->admin()->SetData(kPath, "0"); !stat.ok()) return stat.status();
    return absl::OkStatus();
  }

  void Process(int index, const std::atomic<bool>& stop) override {
    auto client = ctx_.Connect(index);
    int64_t process = ctx_.history->NewProcess();
    while (!stop) {
      ctx_.history->Invoke(process, "add", "counter", "1");
      const absl::Status s = Increment(*client);
      if (s.ok()) {
        ++acknowledged_;
        ctx_.history->Complete(process, "ok", "add", "counter", "1");
      } else if (OutcomeUnknown(s)) {
        ++in_doubt_;
        ctx_.history->Complete(process, "info", "add", "counter", "1", std::string(s.message()));
        process = ctx_.history->NewProcess();
      } else {
        ctx_.history->Complete(process, "fail", "add", "counter", "1", std::string(s.message()));
      }
    }
  }

  std::string Check() override {
    auto final_value = ctx_.cluster->admin()->GetData(kPath);
    if (!final_value.ok())
      return absl::StrCat("unknown: final read: ", final_value.status().message());
    int64_t value = 0;
    if (!absl::SimpleAtoi(final_value->data, &value)) return "the counter is not a number";
    const std::string counts = absl::StrCat("final ", value, ", acknowledged ",
                                            acknowledged_.load(), ", in doubt ", in_doubt_.load());
    if (value < acknowledged_) return absl::StrCat("acknowledged increments lost: ", counts);
    if (value > acknowledged_ + in_doubt_) {
      return absl::StrCat("increments applied more than once: ", counts);
    }
    return "";
  }

 private:
  // Read, add one, write back at the version read; again if someone else wrote in between
  // (or the read was stale: the version decides, so a sequential read will do).
  absl::Status Increment(Client& c) {
    for (;;) {
      auto current = c.Get(kPath, Client::Read::kSequential);
      if (!current.ok()) return current.status();
      int64_t v = 0;
      if (!absl::SimpleAtoi(current->data, &v)) {
        return absl::DataLossError("the counter is not a number: " + current->data);
      }
      absl::Status s = c.Set(kPath, absl::StrCat(v + 1), current->stat.version()).status();
      if (metastore::ErrorOf(s) != metastorepb::BAD_VERSION) return s;
    }
  }

  WorkloadContext ctx_;
  std::atomic<int64_t> acknowledged_{0};
  std::atomic<int64_t> in_doubt_{0};
};

}  // namespace

std::unique_ptr<Workload> MakeCounterWorkload(WorkloadContext ctx) {
  return std::make_unique<CounterWorkload>(std::move(ctx));
}

}  // namespace warren::jepsen
