// The bounds a member's gRPC door keeps on what clients hold: requests in flight, sessions
// per client address; and on snapshots received from peers.
#include <memory>
#include <set>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "metastore/errors.h"
#include "metastore/server/in_flight_limit.h"
#include "metastore/server/sessions_by_address.h"
#include "raft/transport/snapshot_gate.h"

namespace warren::metastore {
namespace {

using ::testing::HasSubstr;

TEST(InFlightLimit, SlotsUpToTheLimitThenNoneUntilOneIsDropped) {
  InFlightLimit limit(2);
  auto a = limit.TryAcquire();
  auto b = limit.TryAcquire();
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(limit.TryAcquire(), nullptr);
  EXPECT_EQ(limit.in_flight(), 2u) << "a refused request holds nothing";
  auto copy = a;  // a slot lives as long as any copy (callbacks capture it)
  a.reset();
  EXPECT_EQ(limit.TryAcquire(), nullptr);
  copy.reset();
  EXPECT_NE(limit.TryAcquire(), nullptr) << "the slot was given back";
  EXPECT_EQ(limit.in_flight(), 1u);
}

TEST(InFlightLimit, ASlotOutlivingItsLimitIsHarmless) {
  std::shared_ptr<void> slot;
  {
    InFlightLimit limit(1);
    slot = limit.TryAcquire();
  }
  slot.reset();  // must not touch freed memory (the sanitized build checks)
}

TEST(InFlightLimit, ZeroIsNoBound) {
  InFlightLimit limit(0);
  std::vector<std::shared_ptr<void>> slots;
  for (int i = 0; i < 10000; ++i) {
    slots.push_back(limit.TryAcquire());
    ASSERT_NE(slots.back(), nullptr);
  }
  EXPECT_EQ(limit.in_flight(), 10000u);
}

TEST(SessionsByAddress, AnAddressOpensUpToTheLimitAndClosedSessionsMakeRoom) {
  SessionsByAddress sessions(2);
  std::set<uint64_t> open;
  auto is_open = [&open](uint64_t id) { return open.count(id) > 0; };
  for (uint64_t id : {11, 12}) {
    ASSERT_TRUE(sessions.Admit("10.0.0.1", is_open).ok());
    open.insert(id);
    sessions.Opened("10.0.0.1", id);
  }
  absl::Status s = sessions.Admit("10.0.0.1", is_open);
  EXPECT_EQ(ErrorOf(s), metastorepb::BAD_ARGUMENTS);
  EXPECT_THAT(std::string(s.message()),
              HasSubstr("10.0.0.1 holds 2 sessions opened through this member; the limit is 2 "
                        "(--max-sessions-per-address)"));
  EXPECT_TRUE(sessions.Admit("10.0.0.2", is_open).ok()) << "another address has room";
  sessions.Opened("10.0.0.2", 0);
  open.erase(11);  // closed, or expired
  ASSERT_TRUE(sessions.Admit("10.0.0.1", is_open).ok());
  sessions.Opened("10.0.0.1", 13);
  EXPECT_EQ(sessions.count("10.0.0.1"), 2u);
}

TEST(SessionsByAddress, AdmittedRequestsHoldRoomUntilAnsweredAndFailedOnesGiveItBack) {
  SessionsByAddress sessions(1);
  auto none = [](uint64_t) { return true; };
  ASSERT_TRUE(sessions.Admit("a", none).ok());
  EXPECT_FALSE(sessions.Admit("a", none).ok()) << "two creates at once passed a limit of one";
  sessions.Opened("a", 0);  // that create failed
  EXPECT_EQ(sessions.count("a"), 0u);
  ASSERT_TRUE(sessions.Admit("a", none).ok());
  sessions.Opened("a", 5);
  ASSERT_FALSE(sessions.Admit("a", none).ok());
  // A retried create answered with the same session counts it once.
  SessionsByAddress two(2);
  ASSERT_TRUE(two.Admit("a", none).ok());
  two.Opened("a", 5);
  ASSERT_TRUE(two.Admit("a", none).ok());
  two.Opened("a", 5);
  EXPECT_EQ(two.count("a"), 1u);
}

TEST(SessionsByAddress, TheAddressOfGrpcsPeerString) {
  EXPECT_EQ(SessionsByAddress::AddressOf("ipv4:10.1.2.3:45678"), "10.1.2.3");
  EXPECT_EQ(SessionsByAddress::AddressOf("ipv6:[::1]:45678"), "::1");
  EXPECT_EQ(SessionsByAddress::AddressOf("ipv6:[fe80::1%eth0]:1"), "fe80::1%eth0");
  EXPECT_EQ(SessionsByAddress::AddressOf("unix:/tmp/sock"), "unix:/tmp/sock");
}

TEST(SnapshotGate, OneUploadPerGroupAtATimeAndNoneLargerThanTheLimit) {
  raft::SnapshotGate gate;
  gate.set_max_bytes(1000);
  ASSERT_TRUE(gate.Enter("metastore").ok());
  absl::Status s = gate.Enter("metastore");
  EXPECT_TRUE(absl::IsResourceExhausted(s)) << s;
  EXPECT_TRUE(gate.Enter("other").ok()) << "another group's upload waits on no other";
  gate.Leave("metastore");
  EXPECT_TRUE(gate.Enter("metastore").ok());
  EXPECT_TRUE(gate.CheckSize(1000).ok());
  s = gate.CheckSize(1001);
  EXPECT_TRUE(absl::IsResourceExhausted(s)) << s;
  EXPECT_THAT(std::string(s.message()), HasSubstr("the limit is 1000 (--max-snapshot-bytes)"));
  gate.set_max_bytes(0);
  EXPECT_TRUE(gate.CheckSize(uint64_t{1} << 50).ok()) << "0 is no bound";
}

}  // namespace
}  // namespace warren::metastore
