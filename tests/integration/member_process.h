#pragma once

#include <signal.h>

#include <map>
#include <memory>

#include "gtest/gtest.h"
#include "tests/integration/process.h"

namespace warren::testing {

// Stops member `id` of a test cluster and forgets it. SIGKILL: a crash. SIGTERM: a clean
// stop, which must finish by itself with exit code 0.
inline void StopMember(std::map<uint64_t, std::unique_ptr<Process>>& members, uint64_t id,
                       int sig) {
  auto& p = members.at(id);
  p->Signal(sig);
  auto code = p->Wait(absl::Seconds(30));
  ASSERT_TRUE(code.has_value()) << "member " << id << " did not stop";
  if (sig == SIGTERM) {
    EXPECT_EQ(*code, 0) << "member " << id << " did not stop cleanly";
  }
  members.erase(id);
}

}  // namespace warren::testing
