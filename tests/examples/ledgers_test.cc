// examples/bookkeeper-ledgers against a real quorum: the layouts, the close race, and a
// bookie process that dies.
#include <signal.h>

#include <future>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "examples/bookkeeper-ledgers/ledger_store.h"
#include "gtest/gtest.h"
#include "metastore/errors.h"
#include "tests/integration/metastore_cluster.h"

namespace warren::testing {
namespace {

using bookkeeper::Layout;
using bookkeeper::LedgerIdOf;
using bookkeeper::LedgerPath;
using bookkeeper::LedgerStore;
using metastore::ErrorOf;

TEST(LedgerLayout, PathsAreBookKeepers) {
  EXPECT_EQ(LedgerPath(Layout::kFlat, "/ledgers", 1), "/ledgers/L0000000001");
  EXPECT_EQ(LedgerPath(Layout::kHierarchical, "/ledgers", 1), "/ledgers/00/0000/L0001");
  EXPECT_EQ(LedgerPath(Layout::kHierarchical, "/ledgers", 1234567890), "/ledgers/12/3456/L7890");
  for (int64_t id : {int64_t{0}, int64_t{42}, int64_t{1234567890}, bookkeeper::kMaxLedgerId}) {
    for (Layout l : {Layout::kFlat, Layout::kHierarchical}) {
      EXPECT_EQ(LedgerIdOf(l, "/ledgers", LedgerPath(l, "/ledgers", id)), id);
    }
  }
  for (const char* not_a_ledger :
       {"/ledgers/LAYOUT", "/ledgers/available", "/ledgers/00/0000", "/ledgers/00/0000/X0001",
        "/ledgers/0/0000/L0001", "/other/00/0000/L0001", "/ledgers/L12"}) {
    EXPECT_EQ(LedgerIdOf(Layout::kHierarchical, "/ledgers", not_a_ledger), std::nullopt)
        << not_a_ledger;
    EXPECT_EQ(LedgerIdOf(Layout::kFlat, "/ledgers", not_a_ledger), std::nullopt) << not_a_ledger;
  }
  EXPECT_FALSE(bookkeeper::ParseLayout("longhierarchical").ok());
}

TEST(LedgerLayout, MetadataRoundTripsAndGarbageIsRefused) {
  bookkeeperpb::LedgerMetadata md;
  md.set_ensemble_size(3);
  md.set_state(bookkeeperpb::LedgerMetadata::CLOSED);
  md.add_segments()->add_bookies("b1");
  (*md.mutable_custom())["app"] = "x";
  const std::string data = bookkeeper::EncodeMetadata(md);
  EXPECT_TRUE(absl::StartsWith(data, "BookieMetadataFormatVersion\t2\n")) << data;
  auto back = bookkeeper::DecodeMetadata(data);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->SerializeAsString(), md.SerializeAsString());
  EXPECT_FALSE(bookkeeper::DecodeMetadata("hello").ok());
  EXPECT_FALSE(bookkeeper::DecodeMetadata("BookieMetadataFormatVersion\t2\nstate: NOPE").ok());
}

class LedgersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cluster_.StartAll();
    ASSERT_NE(cluster_.WaitForLeader(), 0u);
    bookies_ = cluster_.Client();
    ASSERT_TRUE(bookies_->StartSession(absl::Seconds(10)).ok());
  }

  std::unique_ptr<LedgerStore> Store(MetastoreClient& client, const std::string& root,
                                     Layout layout) {
    EXPECT_TRUE(LedgerStore::Init(client, root, layout).ok());
    auto store = LedgerStore::Open(client, root);
    EXPECT_TRUE(store.ok()) << store.status();
    return std::move(*store);
  }

  void RegisterBookies(LedgerStore& store, int n) {
    for (int i = 1; i <= n; ++i) {
      ASSERT_TRUE(store.RegisterBookie(absl::StrCat("bookie-", i), "127.0.0.1:3181", false).ok());
    }
  }

  RunResult Ledgers(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {WARREN_LEDGERS, "--endpoints=" + cluster_.Endpoints()};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunCommand(argv, absl::Seconds(60));
  }

  MetastoreCluster cluster_;
  std::unique_ptr<MetastoreClient> bookies_;  // holds the in-process bookies' session
};

TEST_F(LedgersTest, InitTwiceIsFineButNotWithAnotherLayout) {
  auto client = cluster_.Client();
  ASSERT_TRUE(LedgerStore::Init(*client, "/ledgers", Layout::kHierarchical).ok());
  auto id = client->GetData("/ledgers/INSTANCEID");
  ASSERT_TRUE(id.ok());
  ASSERT_TRUE(LedgerStore::Init(*client, "/ledgers", Layout::kHierarchical).ok());
  EXPECT_EQ(client->GetData("/ledgers/INSTANCEID")->data, id->data) << "kept its identity";
  EXPECT_EQ(LedgerStore::Init(*client, "/ledgers", Layout::kFlat).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(LedgerStore::Open(*client, "/nothing-here").status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(LedgersTest, OfTwoClientsClosingTheSameLedgerExactlyOneWins) {
  auto a = cluster_.Client();
  auto b = cluster_.Client();
  auto store_a = Store(*a, "/ledgers", Layout::kHierarchical);
  auto store_b = Store(*b, "/ledgers", Layout::kHierarchical);
  auto bookie_store = Store(*bookies_, "/ledgers", Layout::kHierarchical);
  RegisterBookies(*bookie_store, 3);
  for (int round = 0; round < 10; ++round) {
    auto ledger = store_a->CreateLedger({});
    ASSERT_TRUE(ledger.ok()) << ledger.status();
    EXPECT_EQ(ledger->metadata.segments(0).bookies_size(), 3);
    auto seen_by_b = store_b->Read(ledger->id);
    ASSERT_TRUE(seen_by_b.ok());
    ASSERT_EQ(seen_by_b->version, ledger->version);
    auto close_a = std::async(
        std::launch::async, [&] { return store_a->Close(ledger->id, 100, 1000, ledger->version); });
    auto close_b = std::async(std::launch::async, [&] {
      return store_b->Close(ledger->id, 200, 2000, seen_by_b->version);
    });
    auto ra = close_a.get();
    auto rb = close_b.get();
    ASSERT_NE(ra.ok(), rb.ok()) << "a: " << ra.status() << ", b: " << rb.status();
    const auto& loser = ra.ok() ? rb.status() : ra.status();
    EXPECT_TRUE(ErrorOf(loser) == metastorepb::BAD_VERSION ||
                loser.code() == absl::StatusCode::kFailedPrecondition)
        << loser;
    auto closed = store_a->Read(ledger->id);
    ASSERT_TRUE(closed.ok());
    EXPECT_EQ(closed->metadata.state(), bookkeeperpb::LedgerMetadata::CLOSED);
    EXPECT_EQ(closed->metadata.last_entry_id(), ra.ok() ? 100 : 200);
  }
}

TEST_F(LedgersTest, BothLayoutsListRangesInIdOrder) {
  auto client = cluster_.Client();
  for (Layout layout : {Layout::kFlat, Layout::kHierarchical}) {
    const std::string root = layout == Layout::kFlat ? "/flat" : "/hier";
    auto store = Store(*client, root, layout);
    auto bookie_store = Store(*bookies_, root, layout);
    RegisterBookies(*bookie_store, 3);
    std::vector<int64_t> ids;
    for (int i = 0; i < 12; ++i) {
      auto ledger = store->CreateLedger({.ensemble_size = 2,
                                         .write_quorum_size = 2,
                                         .ack_quorum_size = 1,
                                         .custom = {{"i", "x"}}});
      ASSERT_TRUE(ledger.ok()) << ledger.status();
      ids.push_back(ledger->id);
      EXPECT_TRUE(client->Exists(LedgerPath(layout, root, ledger->id))->has_value());
    }
    EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end()));
    EXPECT_EQ(*store->List(0, bookkeeper::kMaxLedgerId), ids);
    EXPECT_EQ(*store->List(ids[3], ids[7]), std::vector<int64_t>(ids.begin() + 3, ids.begin() + 8));
    ASSERT_TRUE(store->Delete(ids[4]).ok());
    EXPECT_EQ(*store->List(ids[4], ids[4]), std::vector<int64_t>{});
    EXPECT_EQ(ErrorOf(store->Read(ids[4]).status()), metastorepb::NO_NODE);
    bookkeeper::LedgerConfig four;
    four.ensemble_size = 4;
    EXPECT_EQ(store->CreateLedger(four).status().code(), absl::StatusCode::kFailedPrecondition)
        << "three bookies cannot make an ensemble of four";
    bookkeeper::LedgerConfig quorum_too_big;
    quorum_too_big.ensemble_size = 2;
    quorum_too_big.write_quorum_size = 3;
    EXPECT_EQ(store->CreateLedger(quorum_too_big).status().code(),
              absl::StatusCode::kInvalidArgument);
  }
}

TEST_F(LedgersTest, AKilledBookieLeavesTheListAfterItsSessionTimeout) {
  ASSERT_EQ(Ledgers({"init"}).exit_code, 0);
  auto bookie =
      Process::Spawn({WARREN_LEDGERS, "--endpoints=" + cluster_.Endpoints(), "register-bookie",
                      "bookie-9", "--address=127.0.0.1:3189", "--session-timeout-ms=2000"},
                     cluster_.dir() + "/bookie-9.log");
  ASSERT_TRUE(bookie.ok());
  auto listed = [&] { return absl::StrContains(Ledgers({"list-bookies"}).out, "bookie-9\n"); };
  ASSERT_TRUE(Eventually(listed, absl::Seconds(30)));
  RunResult r = Ledgers({"register-bookie", "bookie-9"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(absl::StrContains(r.err, "NodeExists")) << r.err;
  (*bookie)->Signal(SIGKILL);
  ASSERT_TRUE(Eventually([&] { return !listed(); }, absl::Seconds(30)));
  // Its cookie stays: the next start of bookie-9 is recognised as this cluster's.
  EXPECT_TRUE(absl::StrContains(cluster_.Cli({"ls", "/ledgers/cookies"}).out, "bookie-9"));

  // Bad input: exit 2 with the reason; a missing ledger: exit 1 naming it.
  r = Ledgers({"read", "abc"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(absl::StrContains(r.err, "ledger id")) << r.err;
  r = Ledgers({"read", "77"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(absl::StrContains(r.err, "NoNode: /ledgers/00/0000/L0077")) << r.err;
  EXPECT_EQ(Ledgers({"frobnicate"}).exit_code, 2);
  EXPECT_EQ(Ledgers({"init", "--layout=round"}).exit_code, 2);
}

}  // namespace
}  // namespace warren::testing
