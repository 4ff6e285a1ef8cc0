#include "metastore/server/door_service.h"

#include <algorithm>
#include <array>

#include "absl/strings/str_cat.h"
#include "metastore/server/refused_stream.h"

namespace warren::metastore {
namespace {

constexpr std::array<std::string_view, 11> kClientMethods = {
    "Create",      "Delete", "SetData",       "Multi",        "GetData", "Exists",
    "GetChildren", "Sync",   "CreateSession", "CloseSession", "Session"};
constexpr std::array<std::string_view, 6> kPeerMethods = {
    "TakeSnapshot", "Backup", "ChangeMembership", "Forward", "ForwardBatch", "RelayKeepAlives"};

template <size_t N>
bool Among(const std::array<std::string_view, N>& methods, std::string_view method) {
  return std::find(methods.begin(), methods.end(), method) != methods.end();
}

}  // namespace

bool DoorServes(Door door, std::string_view method) {
  if (method == "Status") return true;
  return door == Door::kClients ? Among(kClientMethods, method) : Among(kPeerMethods, method);
}

grpc::Status DoorService::Refusal(std::string_view method) const {
  return grpc::Status(
      grpc::StatusCode::PERMISSION_DENIED,
      door_ == Door::kClients
          ? absl::StrCat(std::string(method),
                         " is not served on a member's client address (--client-address): "
                         "members and administrators call the member's own address")
          : absl::StrCat(std::string(method),
                         " is served on the member's client address (--client-address), not "
                         "on its own address, which is for members and administrators"));
}

grpc::ServerUnaryReactor* DoorService::RefuseUnary(grpc::CallbackServerContext* ctx,
                                                   std::string_view method) const {
  auto* reactor = ctx->DefaultReactor();
  reactor->Finish(Refusal(method));
  return reactor;
}

grpc::ServerBidiReactor<metastorepb::SessionRequest, metastorepb::SessionEvent>*
DoorService::Session(grpc::CallbackServerContext* ctx) {
  if (!DoorServes(door_, "Session")) {
    return new RefusedStream<
        grpc::ServerBidiReactor<metastorepb::SessionRequest, metastorepb::SessionEvent>>(
        Refusal("Session"));
  }
  return inner_->Session(ctx);
}

grpc::ServerWriteReactor<metastorepb::BackupChunk>* DoorService::Backup(
    grpc::CallbackServerContext* ctx, const metastorepb::BackupRequest* req) {
  if (!DoorServes(door_, "Backup")) {
    return new RefusedStream<grpc::ServerWriteReactor<metastorepb::BackupChunk>>(Refusal("Backup"));
  }
  return inner_->Backup(ctx, req);
}

}  // namespace warren::metastore
