#include "metrics/process_metrics.h"

#include <fcntl.h>
#include <unistd.h>

#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "prometheus/text_serializer.h"
#include "tests/metrics/exposition.h"

namespace warren::metrics {
namespace {

using testing::Exposition;

Exposition Scrape() {
  return Exposition(prometheus::TextSerializer().Serialize(ProcessMetrics().Collect()));
}

TEST(ProcessMetrics, ReadsThisProcessFromProc) {
  const Exposition e = Scrape();
  EXPECT_GT(e.Value("process_resident_memory_bytes").value_or(0), 1 << 20);
  EXPECT_GE(e.Value("process_virtual_memory_bytes").value_or(0),
            e.Value("process_resident_memory_bytes").value_or(0));
  EXPECT_GE(e.Value("process_cpu_seconds_total").value_or(-1), 0);
  EXPECT_GT(e.Value("process_max_fds").value_or(0), 0);
  const double now = absl::ToDoubleSeconds(absl::Now() - absl::UnixEpoch());
  const double start = e.Value("process_start_time_seconds").value_or(0);
  EXPECT_LE(start, now + 1);
  EXPECT_GT(start, now - 3600);  // this test started within the hour

  const double fds = e.Value("process_open_fds").value_or(0);
  EXPECT_GT(fds, 2);
  const int fd = ::open("/dev/null", O_RDONLY);
  ASSERT_GE(fd, 0);
  EXPECT_EQ(Scrape().Value("process_open_fds"), fds + 1);
  ::close(fd);
}

TEST(ProcessMetrics, CpuTimeGrowsWithWork) {
  const double before = Scrape().Value("process_cpu_seconds_total").value_or(0);
  volatile uint64_t x = 0;
  const absl::Time until = absl::Now() + absl::Milliseconds(300);
  while (absl::Now() < until) x = x + 1;
  EXPECT_GT(Scrape().Value("process_cpu_seconds_total").value_or(0), before);
}

}  // namespace
}  // namespace warren::metrics
