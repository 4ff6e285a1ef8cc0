#include "raft/transport/envelope_packer.h"

#include "gtest/gtest.h"

namespace warren::raft {
namespace {

raftpb::Message App(uint64_t index, size_t bytes) {
  raftpb::Message m;
  m.set_type(raftpb::MSG_APP);
  m.set_to(2);
  m.set_from(1);
  m.set_term(1);
  m.set_index(index);
  m.add_entries()->set_data(std::string(bytes, 'x'));
  return m;
}

TEST(PackEnvelopes, OneEnvelopePerGroupRunInOrder) {
  MessageQueue q;
  q.emplace_back("a", App(1, 10));
  q.emplace_back("a", App(2, 10));
  q.emplace_back("b", App(3, 10));
  q.emplace_back("a", App(4, 10));
  size_t dropped = 0;
  auto out = PackEnvelopes(&q, 1 << 20, &dropped);
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(dropped, 0u);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].group(), "a");
  ASSERT_EQ(out[0].messages_size(), 2);
  EXPECT_EQ(out[0].messages(1).index(), 2u);
  EXPECT_EQ(out[1].group(), "b");
  EXPECT_EQ(out[2].group(), "a");
  EXPECT_EQ(out[2].messages(0).index(), 4u);
}

TEST(PackEnvelopes, NoEnvelopeExceedsTheLimit) {
  constexpr size_t kMax = 10000;
  MessageQueue q;
  for (uint64_t i = 1; i <= 40; ++i) q.emplace_back("g", App(i, 100 * i));
  size_t dropped = 0;
  auto out = PackEnvelopes(&q, kMax, &dropped);
  EXPECT_EQ(dropped, 0u);
  EXPECT_GT(out.size(), 1u);
  uint64_t next = 1;
  for (const auto& env : out) {
    EXPECT_LE(env.ByteSizeLong(), kMax);
    for (const auto& m : env.messages()) EXPECT_EQ(m.index(), next++);
  }
  EXPECT_EQ(next, 41u);
}

TEST(PackEnvelopes, AMessageThatFitsNoEnvelopeIsDroppedAndTheOthersGo) {
  constexpr size_t kMax = 10000;
  MessageQueue q;
  q.emplace_back("g", App(1, 100));
  q.emplace_back("g", App(2, kMax));
  q.emplace_back("g", App(3, 100));
  size_t dropped = 0;
  auto out = PackEnvelopes(&q, kMax, &dropped);
  EXPECT_EQ(dropped, 1u);
  ASSERT_EQ(out.size(), 1u);
  ASSERT_EQ(out[0].messages_size(), 2);
  EXPECT_EQ(out[0].messages(0).index(), 1u);
  EXPECT_EQ(out[0].messages(1).index(), 3u);
}

}  // namespace
}  // namespace warren::raft
