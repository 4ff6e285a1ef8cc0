#pragma once

// A member with a client address of its own (--client-address) serves the Metastore service on
// two listeners, each a door to part of it: clients' calls on the client address, the calls
// of members and administrators (Forward, RelayKeepAlives, ChangeMembership, TakeSnapshot,
// Backup) on the member's own address beside Raft's. A firewall can then keep clients away
// from the second. Status is served on both. A call at the wrong door is refused with
// PERMISSION_DENIED naming the right one; what it would have done is not done.

#include <string>
#include <string_view>

#include "metastore/server/metastore_service.h"
#include "proto/metastore.grpc.pb.h"

namespace warren::metastore {

enum class Door { kClients, kPeers };

// Whether `door` serves the Metastore method named `method`.
bool DoorServes(Door door, std::string_view method);

class DoorService final : public metastorepb::Metastore::CallbackService {
 public:
  DoorService(MetastoreService* inner, Door door) : inner_(inner), door_(door) {}

// A unary method: passed to the member's service if this door serves it.
#define WARREN_DOOR_UNARY(Method, Request, Response)                                     \
  grpc::ServerUnaryReactor* Method(grpc::CallbackServerContext* ctx, const Request* req, \
                                   Response* resp) override {                            \
    if (!DoorServes(door_, #Method)) return RefuseUnary(ctx, #Method);                   \
    return inner_->Method(ctx, req, resp);                                               \
  }
  WARREN_DOOR_UNARY(Create, metastorepb::CreateRequest, metastorepb::CreateResponse)
  WARREN_DOOR_UNARY(Delete, metastorepb::DeleteRequest, metastorepb::DeleteResponse)
  WARREN_DOOR_UNARY(SetData, metastorepb::SetDataRequest, metastorepb::SetDataResponse)
  WARREN_DOOR_UNARY(Multi, metastorepb::MultiRequest, metastorepb::MultiResponse)
  WARREN_DOOR_UNARY(GetData, metastorepb::GetDataRequest, metastorepb::GetDataResponse)
  WARREN_DOOR_UNARY(Exists, metastorepb::ExistsRequest, metastorepb::ExistsResponse)
  WARREN_DOOR_UNARY(GetChildren, metastorepb::GetChildrenRequest, metastorepb::GetChildrenResponse)
  WARREN_DOOR_UNARY(Sync, metastorepb::SyncRequest, metastorepb::SyncResponse)
  WARREN_DOOR_UNARY(CreateSession, metastorepb::CreateSessionRequest,
                    metastorepb::CreateSessionResponse)
  WARREN_DOOR_UNARY(CloseSession, metastorepb::CloseSessionRequest,
                    metastorepb::CloseSessionResponse)
  WARREN_DOOR_UNARY(Status, metastorepb::StatusRequest, metastorepb::StatusResponse)
  WARREN_DOOR_UNARY(TakeSnapshot, metastorepb::SnapshotRequest, metastorepb::SnapshotResponse)
  WARREN_DOOR_UNARY(ChangeMembership, raftpb::MembershipRequest, metastorepb::MembershipResponse)
  WARREN_DOOR_UNARY(Forward, metastorepb::ForwardRequest, metastorepb::ForwardResponse)
  WARREN_DOOR_UNARY(ForwardBatch, metastorepb::ForwardBatchRequest,
                    metastorepb::ForwardBatchResponse)
  WARREN_DOOR_UNARY(RelayKeepAlives, metastorepb::KeepAlivesRequest,
                    metastorepb::KeepAlivesResponse)
#undef WARREN_DOOR_UNARY

  grpc::ServerBidiReactor<metastorepb::SessionRequest, metastorepb::SessionEvent>* Session(
      grpc::CallbackServerContext* ctx) override;
  grpc::ServerWriteReactor<metastorepb::BackupChunk>* Backup(
      grpc::CallbackServerContext* ctx, const metastorepb::BackupRequest* req) override;

 private:
  grpc::Status Refusal(std::string_view method) const;
  grpc::ServerUnaryReactor* RefuseUnary(grpc::CallbackServerContext* ctx,
                                        std::string_view method) const;

  MetastoreService* const inner_;
  const Door door_;
};

}  // namespace warren::metastore
