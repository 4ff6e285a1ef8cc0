#include "metrics/process_metrics.h"

#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "metrics/families.h"

namespace warren::metrics {
namespace {

using prometheus::MetricType;

std::string ReadFile(const char* path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// When the machine booted, in seconds since the epoch (/proc/stat's btime).
double BootTime() {
  for (absl::string_view line : absl::StrSplit(ReadFile("/proc/stat"), '\n')) {
    double btime = 0;
    if (absl::ConsumePrefix(&line, "btime ") && absl::SimpleAtod(line, &btime)) return btime;
  }
  return 0;
}

}  // namespace

std::vector<prometheus::MetricFamily> ProcessMetrics::Collect() const {
  std::vector<prometheus::MetricFamily> out;
  // /proc/self/stat: the fields after the command's name, which is in parentheses and may
  // hold spaces: state is field 3, utime 14, stime 15, starttime 22, vsize 23, rss 24.
  const std::string stat = ReadFile("/proc/self/stat");
  const size_t name_end = stat.rfind(')');
  if (name_end != std::string::npos) {
    std::vector<absl::string_view> f =
        absl::StrSplit(absl::string_view(stat).substr(name_end + 2), ' ', absl::SkipEmpty());
    auto field = [&](size_t n) {
      double v = 0;
      if (n - 3 < f.size()) (void)absl::SimpleAtod(f[n - 3], &v);
      return v;
    };
    const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
    const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
    out.push_back(Single("process_cpu_seconds_total", "User and system CPU time spent, in seconds.",
                         MetricType::Counter, (field(14) + field(15)) / ticks));
    out.push_back(Single("process_start_time_seconds",
                         "Start time of the process since unix epoch in seconds.",
                         MetricType::Gauge, BootTime() + field(22) / ticks));
    out.push_back(Single("process_virtual_memory_bytes", "Virtual memory size in bytes.",
                         MetricType::Gauge, field(23)));
    out.push_back(Single("process_resident_memory_bytes", "Resident memory size in bytes.",
                         MetricType::Gauge, field(24) * page));
  }
  std::error_code ec;
  double fds = 0;
  for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    ++fds;
  }
  out.push_back(
      Single("process_open_fds", "Number of open file descriptors.", MetricType::Gauge, fds));
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0) {
    out.push_back(Single("process_max_fds", "Maximum number of open file descriptors.",
                         MetricType::Gauge, static_cast<double>(limit.rlim_cur)));
  }
  return out;
}

}  // namespace warren::metrics
