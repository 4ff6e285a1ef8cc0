#include "raft/transport/memory_transport.h"

#include <filesystem>

#include "absl/strings/str_cat.h"

namespace warren::raft {

void MemoryNetwork::Register(const std::string& address, MessageHandler* handler) {
  std::unique_lock lock(mu_);
  handlers_[address] = handler;
}

void MemoryNetwork::Unregister(const std::string& address) {
  std::unique_lock lock(mu_);  // waits for deliveries in progress to that handler
  handlers_.erase(address);
}

bool MemoryNetwork::Deliver(const std::string& address,
                            const std::function<void(MessageHandler*)>& fn) {
  std::shared_lock lock(mu_);
  auto it = handlers_.find(address);
  if (it == handlers_.end()) return false;
  fn(it->second);
  return true;
}

absl::Status MemoryTransport::Start(MessageHandler* handler) {
  network_->Register(self_, handler);
  std::lock_guard lock(mu_);
  running_ = true;
  return absl::OkStatus();
}

void MemoryTransport::Stop() {
  network_->Unregister(self_);
  std::lock_guard lock(mu_);
  running_ = false;
}

void MemoryTransport::SetPeer(uint64_t id, const std::string& address) {
  std::lock_guard lock(mu_);
  peers_[id] = address;
}

std::optional<std::string> MemoryTransport::PeerAddress(uint64_t id) {
  std::lock_guard lock(mu_);
  auto it = peers_.find(id);
  if (!running_ || it == peers_.end()) return std::nullopt;
  return it->second;
}

void MemoryTransport::Send(const std::string& group, std::vector<raftpb::Message> msgs) {
  std::map<uint64_t, std::vector<raftpb::Message>> by_peer;
  for (auto& m : msgs) by_peer[m.to()].push_back(std::move(m));
  for (auto& [to, batch] : by_peer) {
    auto address = PeerAddress(to);
    if (!address.has_value()) continue;
    std::vector<raftpb::Message>& to_deliver = batch;  // clang 14 cannot capture a binding
    network_->Deliver(*address,
                      [&](MessageHandler* h) { h->HandleMessages(group, std::move(to_deliver)); });
  }
}

void MemoryTransport::SendSnapshot(const std::string& group, raftpb::Message m, std::string path,
                                   SnapshotDone done) {
  auto address = PeerAddress(m.to());
  absl::Status status = absl::UnavailableError(absl::StrCat("peer ", m.to(), " is down"));
  if (address.has_value()) {
    network_->Deliver(*address, [&](MessageHandler* h) {
      auto target = h->IncomingSnapshotPath(group, m);
      if (!target.ok()) {
        status = target.status();
        return;
      }
      std::error_code ec;
      std::filesystem::copy_file(path, *target, std::filesystem::copy_options::overwrite_existing,
                                 ec);
      if (ec) {
        status = absl::UnavailableError(absl::StrCat("copy snapshot: ", ec.message()));
        return;
      }
      h->HandleSnapshot(group, std::move(m), *target);
      status = absl::OkStatus();
    });
  }
  done(status);
}

}  // namespace warren::raft
