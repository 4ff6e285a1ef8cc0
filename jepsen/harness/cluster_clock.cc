// Fake clocks for the clock nemesis: each member runs under Debian's libfaketime
// (libfaketimeMT, for threaded programs), which reads its setting from a control file the
// harness rewrites (FAKETIME_NO_CACHE: on every call).
//
// Only the wall clock (CLOCK_REALTIME: gettimeofday, absl::Now, timestamps) is faked
// (FAKETIME_DONT_FAKE_MONOTONIC). libfaketime 0.9.10 fakes CLOCK_MONOTONIC as a clock near the
// Unix epoch's count, and does not intercept pthread_cond_clockwait, which libstdc++ and
// Abseil use for every timed wait: the kernel then waits for a monotonic deadline decades
// away, and a member hangs. Faking the monotonic clock would test libfaketime, not Warren.
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "jepsen/harness/cluster.h"

namespace warren::jepsen {
namespace {

std::string ControlFile(const std::string& dir, int id) {
  return absl::StrCat(dir, "/m", id, ".faketime");
}

absl::Status WriteControlFile(const std::string& path, double offset_s, double rate) {
  // Written aside and renamed, so that a member never reads half a line.
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << absl::StrFormat("%+.3f x%.4f\n", offset_s, rate);
    if (!out) return absl::InternalError("cannot write " + tmp);
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) return absl::InternalError(absl::StrCat("cannot rename ", tmp, ": ", ec.message()));
  return absl::OkStatus();
}

}  // namespace

std::vector<std::string> Cluster::FakeClockEnv(int id) {
  if (!options_.fake_clocks) return {};
  // A member (re)started begins on real time: libfaketime times its rate from the start.
  clocks_[id] = FakeClock{0, 1, absl::Now()};
  const std::string file = ControlFile(options_.dir, id);
  (void)WriteControlFile(file, 0, 1);  // a member without the file runs on real time
  return {absl::StrCat("LD_PRELOAD=", kLibFakeTime), "FAKETIME_TIMESTAMP_FILE=" + file,
          "FAKETIME_NO_CACHE=1", "FAKETIME_DONT_FAKE_MONOTONIC=1"};
}

absl::Duration Cluster::WallClockError(int id) const {
  std::lock_guard lock(mu_);
  return WallClockErrorLocked(id);
}

absl::Duration Cluster::WallClockErrorLocked(int id) const {
  auto it = clocks_.find(id);
  if (it == clocks_.end()) return absl::ZeroDuration();
  const FakeClock& c = it->second;
  const double elapsed = absl::ToDoubleSeconds(absl::Now() - c.started);
  return absl::Seconds(c.offset_s + (c.rate - 1) * elapsed);
}

absl::Status Cluster::SetWallClock(int id, absl::Duration jump, double rate) {
  if (!options_.fake_clocks) return absl::FailedPreconditionError("clocks are not faked");
  std::lock_guard lock(mu_);
  if (!clocks_.count(id)) return absl::NotFoundError(absl::StrCat("no member ", id));
  if (rate <= 0) return absl::InvalidArgumentError("a clock's rate must be > 0");
  // The new setting continues from the error the clock has now, plus the jump.
  const double error = absl::ToDoubleSeconds(WallClockErrorLocked(id) + jump);
  FakeClock& c = clocks_[id];
  const double elapsed = absl::ToDoubleSeconds(absl::Now() - c.started);
  c.rate = rate;
  c.offset_s = error - (rate - 1) * elapsed;
  return WriteControlFile(ControlFile(options_.dir, id), c.offset_s, c.rate);
}

absl::Status Cluster::ResetWallClocks() {
  std::lock_guard lock(mu_);
  absl::Status result;
  for (auto& [id, c] : clocks_) {
    c.offset_s = 0;
    c.rate = 1;
    result.Update(WriteControlFile(ControlFile(options_.dir, id), 0, 1));
  }
  return result;
}

}  // namespace warren::jepsen
