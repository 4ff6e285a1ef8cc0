#include "raft/server/client_service.h"

#include "absl/strings/str_cat.h"

namespace warren::raft {

absl::Status ValidateClientRequest(const raftpb::ClientRequest& req) {
  if (req.group().empty()) return absl::InvalidArgumentError("request names no group");
  switch (req.op_case()) {
    case raftpb::ClientRequest::kWrite:
      if (req.client_id() == 0 || req.seq() == 0) {
        return absl::InvalidArgumentError("a write needs client_id > 0 and seq > 0");
      }
      if (req.first_incomplete_seq() > req.seq()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "first_incomplete_seq ", req.first_incomplete_seq(), " is above seq ", req.seq()));
      }
      if (req.write().size() > kMaxCommandBytesCeiling) {
        return absl::InvalidArgumentError(absl::StrCat("a command of ", req.write().size(),
                                                       " bytes exceeds the limit of ",
                                                       kMaxCommandBytesCeiling));
      }
      return absl::OkStatus();
    case raftpb::ClientRequest::kRead:
      if (req.read().query().size() > kMaxCommandBytesCeiling) {
        return absl::InvalidArgumentError(absl::StrCat("a query of ", req.read().query().size(),
                                                       " bytes exceeds the size limit of ",
                                                       kMaxCommandBytesCeiling));
      }
      return absl::OkStatus();
    case raftpb::ClientRequest::kMembership:
    case raftpb::ClientRequest::kStatus:
      return absl::OkStatus();
    case raftpb::ClientRequest::OP_NOT_SET:
      break;
  }
  return absl::InvalidArgumentError("request has no operation");
}

grpc::ServerUnaryReactor* ClientServiceImpl::Call(grpc::CallbackServerContext* ctx,
                                                  const raftpb::ClientRequest* req,
                                                  raftpb::ClientReply* reply) {
  auto* reactor = ctx->DefaultReactor();
  auto fail = [&](const absl::Status& s) {
    reply->set_code(static_cast<int>(s.code()));
    reply->set_message(std::string(s.message()));
    reactor->Finish(grpc::Status::OK);
    return reactor;
  };
  if (auto s = ValidateClientRequest(*req); !s.ok()) return fail(s);
  Division* d = lookup_(req->group());
  if (d == nullptr)
    return fail(absl::NotFoundError(absl::StrCat("no group '", req->group(), "' here")));

  Done done = [reactor, reply, d](Result r) {
    reply->set_code(static_cast<int>(r.status.code()));
    reply->set_message(std::string(r.status.message()));
    reply->set_not_leader(r.not_leader);
    if (r.leader != 0) {
      reply->set_leader_id(r.leader);
      reply->set_leader_address(d->AddressOf(r.leader));
    }
    reply->set_payload(std::move(r.payload));
    reply->set_index(r.index);
    reactor->Finish(grpc::Status::OK);
  };
  switch (req->op_case()) {
    case raftpb::ClientRequest::kWrite: {
      raftpb::ClientCommand cmd;
      cmd.set_client_id(req->client_id());
      cmd.set_seq(req->seq());
      cmd.set_first_incomplete_seq(req->first_incomplete_seq());
      cmd.set_retry(req->retry());
      cmd.set_payload(req->write());
      d->Write(std::move(cmd), std::move(done));
      break;
    }
    case raftpb::ClientRequest::kRead:
      d->Read(req->read(), std::move(done));
      break;
    case raftpb::ClientRequest::kMembership:
      d->ChangeMembership(req->membership(), std::move(done));
      break;
    default:
      // Answered from the raft thread, without holding this one.
      d->Status([reactor, reply, d](raftpb::GroupStatus st) {
        reply->set_leader_id(st.leader());
        reply->set_leader_address(d->AddressOf(st.leader()));
        *reply->mutable_status() = std::move(st);
        reactor->Finish(grpc::Status::OK);
      });
      break;
  }
  return reactor;
}

}  // namespace warren::raft
