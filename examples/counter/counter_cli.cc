// The counter's client:
//   warren-counter --members=... incr [--times=T] [--concurrency=C]
//   warren-counter --members=... get [--sequential]
//   warren-counter --members=... status | add-learner ID HOST:PORT | promote ID | remove ID |
//                                 transfer ID
#include <iostream>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/dashed_flags.h"
#include "raft/client/raft_client.h"

ABSL_FLAG(std::string, members, "", "ID=HOST:PORT,... of the group's members");
ABSL_FLAG(int, times, 1, "incr: how many increments");
ABSL_FLAG(int, concurrency, 1, "incr: how many increments in flight at once");
ABSL_FLAG(bool, sequential, false, "get: a sequential (local) read instead of linearizable");
ABSL_FLAG(int, deadline_s, 60, "give up on a request after this many seconds");

namespace {

using namespace warren::raft;

int Fail(const absl::Status& s) {
  std::cerr << "warren-counter: " << s << "\n";
  return s.code() == absl::StatusCode::kInvalidArgument ? 2 : 1;
}

int Incr(RaftClient& client) {
  int times = absl::GetFlag(FLAGS_times), concurrency = absl::GetFlag(FLAGS_concurrency);
  if (times < 1 || concurrency < 1) {
    return Fail(absl::InvalidArgumentError("--times and --concurrency must be >= 1"));
  }
  int acked = 0;
  absl::Status first_error;
  ClientReply last;
  std::vector<std::future<absl::StatusOr<ClientReply>>> window;
  auto reap = [&](std::future<absl::StatusOr<ClientReply>>& f) {
    auto r = f.get();
    if (!r.ok()) {
      if (first_error.ok()) first_error = r.status();
      return;
    }
    ++acked;
    if (r->index > last.index) last = *r;
  };
  for (int i = 0; i < times; ++i) {
    if (static_cast<int>(window.size()) >= concurrency) {
      reap(window.front());
      window.erase(window.begin());
    }
    window.push_back(client.WriteAsync("incr 1"));
  }
  for (auto& f : window) reap(f);
  std::cerr << "acknowledged " << acked << " of " << times << " increments\n";
  if (!first_error.ok()) {
    std::cerr << "first failure: " << first_error << "\n";
    return 1;
  }
  std::cout << last.payload << "\n";
  return 0;
}

absl::StatusOr<uint64_t> ParseId(const std::vector<char*>& args, size_t i) {
  uint64_t id = 0;
  if (args.size() <= i || !absl::SimpleAtoi(args[i], &id) || id == 0) {
    return absl::InvalidArgumentError("expected a member id (> 0)");
  }
  return id;
}

}  // namespace

int main(int argc, char** argv) {
  warren::DashedFlags flags(argc, argv);
  std::vector<char*> args = absl::ParseCommandLine(flags.argc(), flags.argv());
  if (args.size() < 2) {
    return Fail(absl::InvalidArgumentError(
        "usage: warren-counter --members=... incr|get|status|add-learner|promote|remove|transfer"));
  }
  auto members = ParseMembers(absl::GetFlag(FLAGS_members));
  if (!members.ok()) return Fail(members.status());
  ClientOptions options;
  options.group = "counter";
  options.members = *members;
  options.deadline = absl::Seconds(absl::GetFlag(FLAGS_deadline_s));
  options.async_threads = std::max(1, absl::GetFlag(FLAGS_concurrency));
  auto client = RaftClient::Create(options);
  if (!client.ok()) return Fail(client.status());

  std::string cmd = args[1];
  if (cmd == "incr") return Incr(**client);
  if (cmd == "get") {
    auto r = (*client)->Read("get", absl::GetFlag(FLAGS_sequential) ? warren::raftpb::SEQUENTIAL
                                                                    : warren::raftpb::LINEARIZABLE);
    if (!r.ok()) return Fail(r.status());
    std::cout << r->payload << "\n";
    return 0;
  }
  if (cmd == "status") {
    for (const auto& [id, address] : *members) {
      auto st = (*client)->Status(id);
      if (!st.ok()) {
        std::cout << id << " " << address << " unreachable: " << st.status().message() << "\n";
        continue;
      }
      std::cout << id << " " << address << " " << st->role() << " term=" << st->term()
                << " leader=" << st->leader() << " commit=" << st->commit()
                << " applied=" << st->applied() << " log=[" << st->first_index() << ","
                << st->last_index() << "] snapshot=" << st->snapshot_index() << " members=";
      std::vector<std::string> roles;
      for (const auto& m : st->members()) roles.push_back(absl::StrCat(m.id(), ":", m.role()));
      std::cout << absl::StrJoin(roles, " ") << "\n";
    }
    return 0;
  }
  warren::raftpb::MembershipRequest req;
  auto id = ParseId(args, 2);
  if (!id.ok()) return Fail(id.status());
  req.set_id(*id);
  if (cmd == "add-learner") {
    if (args.size() < 4) return Fail(absl::InvalidArgumentError("add-learner ID HOST:PORT"));
    req.set_op(warren::raftpb::MembershipRequest::ADD_LEARNER);
    req.set_address(args[3]);
  } else if (cmd == "promote") {
    req.set_op(warren::raftpb::MembershipRequest::PROMOTE);
  } else if (cmd == "remove") {
    req.set_op(warren::raftpb::MembershipRequest::REMOVE);
  } else if (cmd == "transfer") {
    req.set_op(warren::raftpb::MembershipRequest::TRANSFER_LEADER);
  } else {
    return Fail(absl::InvalidArgumentError(absl::StrCat("unknown command '", cmd, "'")));
  }
  auto r = (*client)->ChangeMembership(req);
  if (!r.ok()) return Fail(r.status());
  std::cout << "ok\n";
  return 0;
}
