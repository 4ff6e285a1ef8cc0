#include "metastore/server/keep_alive_batch.h"

#include <map>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace warren::metastore {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

const absl::Time kStart = absl::UnixEpoch() + absl::Hours(1);

class KeepAliveBatchTest : public ::testing::Test {
 protected:
  std::map<uint64_t, int64_t> timeouts_ = {{1, 10000}, {2, 10000}, {3, 4000}};
  KeepAliveBatch batch_{[this](uint64_t s) { return timeouts_.count(s) ? timeouts_[s] : 0; }};
};

std::vector<uint64_t> Ids(const metastorepb::KeepAlivesRequest& r) {
  return {r.session_ids().begin(), r.session_ids().end()};
}
std::vector<uint64_t> Ages(const metastorepb::KeepAlivesRequest& r) {
  return {r.heard_ms_ago().begin(), r.heard_ms_ago().end()};
}

TEST_F(KeepAliveBatchTest, ARelayCarriesEachSessionOnceWithHowLongAgoItWasLastHeard) {
  batch_.Heard(2, kStart);
  batch_.Heard(1, kStart + absl::Milliseconds(100));
  batch_.Heard(2, kStart + absl::Milliseconds(300));
  batch_.Heard(2, kStart + absl::Milliseconds(200));  // an older one does not win
  auto relay = batch_.Take(kStart + absl::Milliseconds(500));
  EXPECT_THAT(Ids(relay), ElementsAre(1, 2));
  EXPECT_THAT(Ages(relay), ElementsAre(400, 200));
  EXPECT_TRUE(batch_.empty());
  EXPECT_THAT(Ids(batch_.Take(kStart + absl::Seconds(1))), IsEmpty());
}

TEST_F(KeepAliveBatchTest, AFailedRelayGoesWithTheNextAsOldAsItIs) {
  batch_.Heard(1, kStart);
  batch_.Heard(2, kStart);
  const absl::Time sent = kStart + absl::Milliseconds(100);
  auto failed = batch_.Take(sent);
  batch_.Heard(2, kStart + absl::Milliseconds(700));  // heard again meanwhile
  batch_.Failed(failed, sent);
  auto next = batch_.Take(kStart + absl::Seconds(1));
  EXPECT_THAT(Ids(next), ElementsAre(1, 2));
  EXPECT_THAT(Ages(next), ElementsAre(1000, 300));
}

TEST_F(KeepAliveBatchTest, SessionsGoneOrSilentPastTheirTimeoutAreNotRelayed) {
  batch_.Heard(1, kStart);
  batch_.Heard(3, kStart);  // 4 s timeout
  batch_.Heard(9, kStart);  // no such session
  auto relay = batch_.Take(kStart + absl::Seconds(5));
  EXPECT_THAT(Ids(relay), ElementsAre(1));
  EXPECT_THAT(Ages(relay), ElementsAre(5000));
  // A relay that kept failing does not keep a session alive past its client's silence.
  batch_.Failed(relay, kStart + absl::Seconds(5));
  EXPECT_THAT(Ids(batch_.Take(kStart + absl::Seconds(10))), IsEmpty());
}

}  // namespace
}  // namespace warren::metastore
