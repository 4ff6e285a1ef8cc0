// The peer message fuzzer's seeds: the member as a follower, as a candidate that wins, as a
// leader serving reads and changing its membership, receiving a snapshot, and raw messages.
#include <string>

#include "proto/raft.pb.h"
#include "tests/fuzz/records.h"
#include "tests/fuzz/seeds.h"

namespace warren::fuzz {
namespace {

// The byte BuildMessage reads as a step of `d` from the member's own value.
uint8_t Step(int d) { return static_cast<uint8_t>(static_cast<int8_t>(d * 8)); }

// A message of `type` from `from`: its term, index and commit `term`, `index` and `commit`
// steps from the member's own, with `entries` entries (MSG_APP).
Record Msg(raftpb::MessageType type, uint8_t from, int term, int index = 0, int commit = 0,
           uint8_t flags = 0, int entries = 0) {
  FieldWriter w;
  w.U8(flags).U8(from).U8(Step(term)).U8(Step(index)).U8(0).U8(Step(commit));
  w.U8(0).U8(0).U8(0).U8(0).U8(static_cast<uint8_t>(entries));
  return {static_cast<uint8_t>(type), w.str()};
}

Record Ticks(int n) { return {14, std::string(1, static_cast<char>(n - 1))}; }
Record Local(int what, std::string body = "") {
  return {static_cast<uint8_t>(15 | what << 4), body};
}

// Ticks until the member campaigns, then the votes of member 2 (pre-vote, then vote).
std::vector<Record> Elected() {
  return {Ticks(32), Msg(raftpb::MSG_PRE_VOTE_RESP, 2, 1), Msg(raftpb::MSG_VOTE_RESP, 2, 0),
          Msg(raftpb::MSG_APP_RESP, 2, 0), Msg(raftpb::MSG_APP_RESP, 3, 0)};
}

std::vector<Record> Then(std::vector<Record> a, const std::vector<Record>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> Seeds() {
  raftpb::Message heartbeat;
  heartbeat.set_type(raftpb::MSG_HEARTBEAT);
  heartbeat.set_from(2);
  heartbeat.set_to(1);
  heartbeat.set_term(5);
  heartbeat.set_commit(1);
  raftpb::ConfChange add;
  auto* change = add.add_changes();
  change->set_type(raftpb::ADD_VOTER);
  change->set_node_id(4);

  return {
      Seed("follower",
           {Msg(raftpb::MSG_APP, 2, 1, 0, 0, 0, 3), Msg(raftpb::MSG_HEARTBEAT, 2, 0, 0, 3),
            Msg(raftpb::MSG_APP, 2, 0, -2, 0, 16, 2), Msg(raftpb::MSG_APP, 2, 0, 9, 0)}),
      Seed("votes-asked", {Msg(raftpb::MSG_PRE_VOTE, 3, 1), Msg(raftpb::MSG_VOTE, 3, 1),
                           Msg(raftpb::MSG_VOTE, 2, 0), Msg(raftpb::MSG_VOTE, 3, 2, -1)}),
      Seed("elected", Then(Elected(), {Local(0, "command"), Msg(raftpb::MSG_APP_RESP, 2, 0),
                                       Msg(raftpb::MSG_HEARTBEAT_RESP, 3, 0), Ticks(3)})),
      Seed("leader-reads", Then(Elected(), {Local(1, "read"), Msg(raftpb::MSG_HEARTBEAT_RESP, 2, 0),
                                            Msg(raftpb::MSG_READ_INDEX, 3, 0),
                                            Msg(raftpb::MSG_APP_RESP, 2, 0, 0, 0, 4)})),
      Seed("leader-membership",
           Then(Elected(), {Local(3, add.SerializeAsString()), Msg(raftpb::MSG_APP_RESP, 2, 0),
                            Local(2, "\x02"), Msg(raftpb::MSG_APP_RESP, 2, 0), Local(4, "\x03"),
                            Local(5, "\x03\x01"), Local(6, "\x00")})),
      Seed("stepped-down", Then(Elected(), {Msg(raftpb::MSG_APP, 3, 1, 0, 0, 0, 1), Ticks(5),
                                            Msg(raftpb::MSG_TIMEOUT_NOW, 2, 0)})),
      Seed("snapshot", {Msg(raftpb::MSG_SNAP, 2, 1), Msg(raftpb::MSG_APP, 2, 0, 0, 1, 0, 1)}),
      Seed("raw", {Record{0, heartbeat.SerializeAsString()}, Record{0, "\x08\x63garbage"},
                   Msg(raftpb::MSG_NOT_A_MEMBER, 2, 0, 0, 1)}),
  };
}

}  // namespace warren::fuzz
