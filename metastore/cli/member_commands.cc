// The quorum's membership from the command line. A change goes to the leader, which makes it
// one member at a time through the log (docs/metastore.md, "Membership").
#include "metastore/cli/member_commands.h"

#include <iostream>
#include <optional>

#include "absl/flags/flag.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "metastore/cli/output.h"
#include "metastore/errors.h"

ABSL_FLAG(bool, learner, false, "member add: leave the new member a learner (do not promote it)");
ABSL_FLAG(int64_t, catch_up_timeout_ms, 120000,
          "member add: how long the new member may take to catch up before it is promoted");

namespace warren::metastore::cli {
namespace {

constexpr char kMemberUsage[] =
    "member list | add ID HOST:PORT [--learner] | promote ID | remove ID";

std::optional<uint64_t> ParseId(const std::string& text) {
  uint64_t id = 0;
  if (!absl::SimpleAtoi(text, &id) || id == 0) return std::nullopt;
  return id;
}

// Member `id` as the leader lists it; nullopt if it is not in the group.
absl::StatusOr<std::optional<raftpb::MemberStatus>> FindMember(MetastoreClient& client,
                                                               uint64_t id) {
  auto leader = client.LeaderStatus();
  if (!leader.ok()) return leader.status();
  for (const auto& m : leader->raft().members()) {
    if (m.id() == id) return m;
  }
  return std::nullopt;
}

// Sends one change. A change whose answer was lost may have been made, and its retry is then
// refused (already a member, not a learner): if the group is as `wanted` says, that is success.
absl::Status Change(MetastoreClient& client, raftpb::MembershipRequest::Op op, uint64_t id,
                    const std::string& address,
                    const std::function<bool(const std::optional<raftpb::MemberStatus>&)>& wanted) {
  raftpb::MembershipRequest req;
  req.set_op(op);
  req.set_id(id);
  req.set_address(address);
  absl::Status s = client.ChangeMembership(req);
  if (s.ok()) return s;
  auto now = FindMember(client, id);
  return now.ok() && wanted(*now) ? absl::OkStatus() : s;
}

bool IsVoter(const std::optional<raftpb::MemberStatus>& m) {
  return m.has_value() && m->role() == "voter";
}

int Done(const std::string& what, uint64_t id, const std::string& text) {
  if (Json()) {
    std::cout << "{\"member\":" << id << ",\"done\":" << JsonString(what) << "}\n";
  } else {
    std::cout << text << "\n";
  }
  return 0;
}

// Promotes `id` once it has caught up: the leader refuses a learner still far behind.
absl::Status PromoteWhenCaughtUp(MetastoreClient& client, uint64_t id, absl::Duration patience) {
  const absl::Time deadline = absl::Now() + patience;
  while (true) {
    absl::Status s = Change(client, raftpb::MembershipRequest::PROMOTE, id, "", IsVoter);
    if (s.ok() || absl::Now() >= deadline) return s;
    auto now = FindMember(client, id);
    if (!now.ok()) return now.status();
    if (!now->has_value()) {
      return MetaError(metastorepb::BAD_ARGUMENTS,
                       absl::StrCat("member ", id, " left the group before it was promoted"));
    }
    absl::SleepFor(absl::Milliseconds(250));
  }
}

int Add(MetastoreClient& client, const Args& args) {
  auto id = args.size() == 3 ? ParseId(args[1]) : std::nullopt;
  if (!id.has_value() || args[2].find(':') == std::string::npos) {
    return Usage("member add ID HOST:PORT [--learner] (a member id > 0 and its Raft address)");
  }
  const std::string& address = args[2];
  absl::Status s = Change(client, raftpb::MembershipRequest::ADD_LEARNER, *id, address,
                          [&](const std::optional<raftpb::MemberStatus>& m) {
                            return m.has_value() && m->address() == address;
                          });
  if (!s.ok()) return Fail(s);
  if (absl::GetFlag(FLAGS_learner)) {
    return Done("added as a learner", *id,
                absl::StrCat("member ", *id, " added as a learner at ", address));
  }
  const absl::Duration patience = absl::Milliseconds(absl::GetFlag(FLAGS_catch_up_timeout_ms));
  if (s = PromoteWhenCaughtUp(client, *id, patience); !s.ok()) {
    return Fail(MetaError(ErrorOf(s),
                          absl::StrCat("member ", *id, " was added as a learner at ", address,
                                       " but not promoted within ", absl::FormatDuration(patience),
                                       " (is it running, with --join?): ", s.message(),
                                       "; promote it later with: warren member promote ", *id)));
  }
  return Done("added", *id, absl::StrCat("member ", *id, " added at ", address, " and promoted"));
}

int Promote(MetastoreClient& client, const Args& args) {
  auto id = args.size() == 2 ? ParseId(args[1]) : std::nullopt;
  if (!id.has_value()) return Usage("member promote ID (a learner's id > 0)");
  if (auto s = Change(client, raftpb::MembershipRequest::PROMOTE, *id, "", IsVoter); !s.ok()) {
    return Fail(s);
  }
  return Done("promoted", *id, absl::StrCat("member ", *id, " promoted to voter"));
}

int Remove(MetastoreClient& client, const Args& args) {
  auto id = args.size() == 2 ? ParseId(args[1]) : std::nullopt;
  if (!id.has_value()) return Usage("member remove ID (a member id > 0)");
  auto before = FindMember(client, *id);
  if (!before.ok()) return Fail(before.status());
  if (!before->has_value()) {
    return Fail(MetaError(metastorepb::BAD_ARGUMENTS,
                          absl::StrCat("member ", *id, " is not in the group")));
  }
  if (auto s = Change(client, raftpb::MembershipRequest::REMOVE, *id, "",
                      [](const std::optional<raftpb::MemberStatus>& m) { return !m.has_value(); });
      !s.ok()) {
    return Fail(s);
  }
  return Done("removed", *id, absl::StrCat("member ", *id, " removed"));
}

}  // namespace

int Member(MetastoreClient& client, const Args& args) {
  if (args.empty()) return Usage(kMemberUsage);
  const Args rest(args.begin() + 1, args.end());
  if (args[0] == "list") return MemberList(client, rest);
  if (args[0] == "add") return Add(client, args);
  if (args[0] == "promote") return Promote(client, args);
  if (args[0] == "remove") return Remove(client, args);
  return Usage(absl::StrCat("unknown member command '", args[0], "' (", kMemberUsage, ")"));
}

int MemberList(MetastoreClient& client, const Args& args) {
  if (!args.empty()) return Usage("member list takes no arguments");
  auto leader = client.LeaderStatus();
  if (!leader.ok()) return Fail(leader.status());
  std::vector<std::string> rows;
  if (!Json()) std::cout << "ID  ADDRESS              ROLE      APPLIED\n";
  for (const auto& m : leader->raft().members()) {
    auto st = client.MemberStatus(m.address(), absl::Seconds(2));
    std::string role = m.role() == "learner"           ? "learner"
                       : m.id() == leader->raft().id() ? "leader"
                                                       : "follower";
    std::string applied = st.ok() ? absl::StrCat(st->raft().applied()) : "unreachable";
    if (Json()) {
      rows.push_back(absl::StrCat("{\"id\":", m.id(), ",\"address\":", JsonString(m.address()),
                                  ",\"role\":", JsonString(role), ",\"applied\":",
                                  st.ok() ? applied : "null", ",\"match\":", m.match(), "}"));
    } else {
      std::cout << absl::StrFormat("%-3d %-20s %-9s %s\n", m.id(), m.address(), role, applied);
    }
  }
  if (Json()) std::cout << "{\"members\":[" << absl::StrJoin(rows, ",") << "]}\n";
  return 0;
}

int TransferLeader(MetastoreClient& client, const Args& args) {
  uint64_t id = 0;
  if (args.size() != 1 || !absl::SimpleAtoi(args[0], &id) || id == 0) {
    return Usage("transfer-leader ID (a member id > 0)");
  }
  raftpb::MembershipRequest req;
  req.set_op(raftpb::MembershipRequest::TRANSFER_LEADER);
  req.set_id(id);
  if (auto s = client.ChangeMembership(req); !s.ok()) return Fail(s);
  if (Json()) {
    std::cout << "{\"leader\":" << id << "}\n";
  } else {
    std::cout << "member " << id << " now leads\n";
  }
  return 0;
}

}  // namespace warren::metastore::cli
