#pragma once

#include <functional>

#include "proto/raft_service.grpc.pb.h"
#include "raft/server/division.h"

namespace warren::raft {

// Largest command or query a client may send.
inline constexpr size_t kMaxCommandBytes = 1 << 20;

// Checks a client request before it reaches a group; InvalidArgument names the problem.
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
