#pragma once

#include <functional>

#include "proto/raft_service.grpc.pb.h"
#include "raft/server/division.h"
#include "raft/transport/message_limits.h"

namespace warren::raft {

// Checks a client request before it reaches a group; InvalidArgument names the problem. A
// write is also checked against its group's max_command_bytes, by Division::Write.
absl::Status ValidateClientRequest(const raftpb::ClientRequest& req);

// RaftClientService over the groups of a server: validates each request, hands it to its
// group and answers when the group does, without holding a thread meanwhile.
class ClientServiceImpl : public raftpb::RaftClientService::CallbackService {
 public:
  using Lookup = std::function<Division*(const std::string& group)>;
  explicit ClientServiceImpl(Lookup lookup) : lookup_(std::move(lookup)) {}

  grpc::ServerUnaryReactor* Call(grpc::CallbackServerContext* ctx, const raftpb::ClientRequest* req,
                                 raftpb::ClientReply* reply) override;

 private:
  Lookup lookup_;
};

}  // namespace warren::raft
