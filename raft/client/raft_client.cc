#include "raft/client/raft_client.h"

#include "absl/random/random.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/grpc_connect.h"
#include "glog/logging.h"
#include "grpcpp/grpcpp.h"
#include "proto/raft_service.grpc.pb.h"
#include "raft/transport/message_limits.h"

namespace warren::raft {

struct RaftClient::Member {
  uint64_t id;
  std::string address;
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<raftpb::RaftClientService::Stub> stub;
};

absl::StatusOr<std::map<uint64_t, std::string>> ParseMembers(const std::string& spec) {
  std::map<uint64_t, std::string> out;
  for (absl::string_view part : absl::StrSplit(spec, ',', absl::SkipEmpty())) {
    std::pair<std::string, std::string> kv = absl::StrSplit(part, absl::MaxSplits('=', 1));
    uint64_t id = 0;
    if (!absl::SimpleAtoi(kv.first, &id) || id == 0 || kv.second.find(':') == std::string::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("bad member '", std::string(part), "': want ID=HOST:PORT with ID > 0"));
    }
    if (!out.emplace(id, kv.second).second) {
      return absl::InvalidArgumentError(absl::StrCat("member ", id, " is listed twice"));
    }
  }
  if (out.empty()) return absl::InvalidArgumentError("no members given");
  return out;
}

RaftClient::RaftClient(ClientOptions options)
    : options_(std::move(options)), client_id_(absl::Uniform<uint64_t>(absl::BitGen(), 1, ~0ull)) {}

absl::StatusOr<std::unique_ptr<RaftClient>> RaftClient::Create(ClientOptions options) {
  if (options.members.empty()) return absl::InvalidArgumentError("a client needs members");
  if (options.async_threads < 1) return absl::InvalidArgumentError("async_threads must be >= 1");
  std::unique_ptr<RaftClient> c(new RaftClient(std::move(options)));
  for (const auto& [id, address] : c->options_.members) c->members_[id] = NewMember(id, address);
  for (int i = 0; i < c->options_.async_threads; ++i) {
    c->workers_.emplace_back([raw = c.get()] { raw->WorkerLoop(); });
  }
  return c;
}

RaftClient::~RaftClient() {
  {
    std::lock_guard lock(pool_mu_);
    stopping_ = true;
  }
  pool_cv_.notify_all();
  for (auto& t : workers_) t.join();
}

RaftClient::Member* RaftClient::FindMember(uint64_t id) {
  std::lock_guard lock(members_mu_);
  auto it = members_.find(id);
  return it == members_.end() ? nullptr : it->second.get();
}

RaftClient::Member* RaftClient::NextMember(uint64_t after) {
  std::lock_guard lock(members_mu_);
  auto it = members_.upper_bound(after);
  if (it == members_.end()) it = members_.begin();
  return it->second.get();
}

void RaftClient::LearnMember(uint64_t id, const std::string& address) {
  if (id == 0 || address.empty()) return;
  std::lock_guard lock(members_mu_);
  auto& m = members_[id];
  if (m != nullptr && m->address == address) return;
  if (m != nullptr) retired_.push_back(std::move(m));
  m = NewMember(id, address);
}

std::unique_ptr<RaftClient::Member> RaftClient::NewMember(uint64_t id, const std::string& address) {
  auto m = std::make_unique<Member>();
  m->id = id;
  m->address = address;
  grpc::ChannelArguments args;
  // What a member's port takes and gives; its groups' own limits are narrower and answered
  // with errors that say so.
  args.SetMaxSendMessageSize(kMaxMessageBytes);
  args.SetMaxReceiveMessageSize(kMaxMessageBytes);
  m->channel = grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args);
  m->stub = raftpb::RaftClientService::NewStub(m->channel);
  return m;
}

absl::StatusOr<raftpb::ClientReply> RaftClient::Call(raftpb::ClientRequest req,
                                                     uint64_t only_member) {
  req.set_group(options_.group);
  if (req.ByteSizeLong() > kMaxMessageBytes) {
    // gRPC would refuse to send it, every time: no use retrying.
    return absl::InvalidArgumentError(absl::StrCat("a request of ", req.ByteSizeLong(),
                                                   " bytes exceeds what a member accepts (",
                                                   kMaxMessageBytes, ")"));
  }
  const absl::Time deadline = absl::Now() + options_.deadline;
  absl::Duration backoff = options_.initial_backoff;
  Member* target = FindMember(only_member != 0 ? only_member : leader_hint_.load());
  uint64_t rotation = 0;  // the last member tried when no leader was known
  absl::Status last = absl::DeadlineExceededError("no attempt made");
  while (absl::Now() < deadline) {
    if (target == nullptr) {
      target = NextMember(rotation);
      rotation = target->id;
    }
    const absl::Time attempt_deadline = std::min(deadline, absl::Now() + options_.attempt_timeout);
    grpc::ClientContext ctx;
    ctx.set_deadline(absl::ToChronoTime(attempt_deadline));
    raftpb::ClientReply reply;
    // A write goes out only on a connection that is up (ConnectChannel says why).
    const bool connected = req.op_case() != raftpb::ClientRequest::kWrite ||
                           ConnectChannel(*target->channel, attempt_deadline);
    grpc::Status gs = connected ? target->stub->Call(&ctx, req, &reply)
                                : grpc::Status(grpc::StatusCode::UNAVAILABLE, "cannot connect");
    bool redirected = false;
    if (!connected) {
      last = absl::UnavailableError(
          absl::StrCat("member ", target->id, " at ", target->address, ": cannot connect"));
    } else if (!gs.ok()) {
      last = absl::UnavailableError(
          absl::StrCat("member ", target->id, " at ", target->address, ": ", gs.error_message()));
      req.set_retry(true);  // the request may have gone out before the connection broke
    } else {
      auto code = static_cast<absl::StatusCode>(reply.code());
      if (code == absl::StatusCode::kOk) {
        if (only_member == 0 && req.op_case() != raftpb::ClientRequest::kStatus) {
          leader_hint_ = target->id;
        }
        uint64_t seen = last_seen_index_.load();
        while (reply.index() > seen &&
               !last_seen_index_.compare_exchange_weak(seen, reply.index())) {
        }
        return reply;
      }
      last = absl::Status(code, reply.message());
      // Over the leader's uncommitted-bytes bound nothing was proposed: wait and retry.
      bool retriable = reply.not_leader() || code == absl::StatusCode::kUnavailable ||
                       code == absl::StatusCode::kDeadlineExceeded ||
                       code == absl::StatusCode::kResourceExhausted;
      // A plain "not leader" proposed nothing; the others may come after a proposal.
      if (code == absl::StatusCode::kUnavailable || code == absl::StatusCode::kDeadlineExceeded) {
        req.set_retry(true);
      }
      if (!retriable || only_member != 0) return last;
      if (reply.not_leader() && reply.leader_id() != 0 && reply.leader_id() != target->id) {
        LearnMember(reply.leader_id(), reply.leader_address());
        if (Member* leader = FindMember(reply.leader_id()); leader != nullptr) {
          leader_hint_ = leader->id;
          target = leader;
          redirected = true;
        }
      }
    }
    if (only_member != 0) return last;
    if (redirected) continue;  // a fresh hint is worth one immediate try
    target = nullptr;          // try someone else after a pause
    absl::SleepFor(std::min(backoff, deadline - absl::Now()));
    backoff = std::min(backoff * 2, options_.max_backoff);
  }
  return absl::DeadlineExceededError(absl::StrCat("gave up after ",
                                                  absl::FormatDuration(options_.deadline),
                                                  "; last error: ", last.ToString()));
}

absl::StatusOr<ClientReply> RaftClient::Write(std::string command) {
  raftpb::ClientRequest req;
  {
    std::lock_guard lock(seq_mu_);
    req.set_seq(next_seq_++);
    in_flight_.insert(req.seq());
    req.set_first_incomplete_seq(*in_flight_.begin());
  }
  req.set_client_id(client_id_);
  req.set_write(std::move(command));
  auto reply = Call(req, 0);
  {
    std::lock_guard lock(seq_mu_);
    in_flight_.erase(req.seq());
  }
  if (!reply.ok()) return reply.status();
  return ClientReply{reply->payload(), reply->index()};
}

absl::StatusOr<ClientReply> RaftClient::Read(std::string query,
                                             raftpb::ReadConsistency consistency) {
  raftpb::ClientRequest req;
  req.mutable_read()->set_query(std::move(query));
  req.mutable_read()->set_consistency(consistency);
  req.mutable_read()->set_min_index(last_seen_index_.load());
  auto reply = Call(req, 0);
  if (!reply.ok()) return reply.status();
  return ClientReply{reply->payload(), reply->index()};
}

absl::StatusOr<ClientReply> RaftClient::ChangeMembership(const raftpb::MembershipRequest& m) {
  raftpb::ClientRequest req;
  *req.mutable_membership() = m;
  auto reply = Call(req, 0);
  if (!reply.ok()) return reply.status();
  return ClientReply{reply->payload(), reply->index()};
}

absl::StatusOr<raftpb::GroupStatus> RaftClient::Status(uint64_t member) {
  if (member != 0 && FindMember(member) == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("member ", member, " is not in the list"));
  }
  raftpb::ClientRequest req;
  req.set_status(true);
  auto reply = Call(req, member);
  if (!reply.ok()) return reply.status();
  return reply->status();
}

void RaftClient::Submit(std::function<void()> job) {
  {
    std::lock_guard lock(pool_mu_);
    jobs_.push_back(std::move(job));
  }
  pool_cv_.notify_one();
}

void RaftClient::WorkerLoop() {
  while (true) {
    std::function<void()> job;
    {
      std::unique_lock lock(pool_mu_);
      pool_cv_.wait(lock, [&] { return stopping_ || !jobs_.empty(); });
      if (jobs_.empty()) return;
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    job();
  }
}

std::future<absl::StatusOr<ClientReply>> RaftClient::WriteAsync(std::string command) {
  auto p = std::make_shared<std::promise<absl::StatusOr<ClientReply>>>();
  auto f = p->get_future();
  Submit([this, p, command = std::move(command)]() mutable {
    p->set_value(Write(std::move(command)));
  });
  return f;
}

std::future<absl::StatusOr<ClientReply>> RaftClient::ReadAsync(
    std::string query, raftpb::ReadConsistency consistency) {
  auto p = std::make_shared<std::promise<absl::StatusOr<ClientReply>>>();
  auto f = p->get_future();
  Submit([this, p, query = std::move(query), consistency]() mutable {
    p->set_value(Read(std::move(query), consistency));
  });
  return f;
}

}  // namespace warren::raft
