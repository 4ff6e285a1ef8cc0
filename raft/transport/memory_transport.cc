#include "raft/transport/memory_transport.h"

#include <filesystem>

#include "absl/strings/str_cat.h"

namespace warren::raft {

void MemoryNetwork::Register(const std::string& address, MessageHandler* handler) {
  std::lock_guard lock(mu_);
  handlers_[address] = handler;
}

void MemoryNetwork::Unregister(const std::string& address) {
  std::lock_guard lock(mu_);
  handlers_.erase(address);
}

MessageHandler* MemoryNetwork::Find(const std::string& address) {
  std::lock_guard lock(mu_);
  auto it = handlers_.find(address);
  return it == handlers_.end() ? nullptr : it->second;
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

MessageHandler* MemoryTransport::PeerHandler(uint64_t id) {
  std::string address;
  {
    std::lock_guard lock(mu_);
    auto it = peers_.find(id);
    if (!running_ || it == peers_.end()) return nullptr;
    address = it->second;
  }
  return network_->Find(address);
}

void MemoryTransport::Send(const std::string& group, std::vector<raftpb::Message> msgs) {
  std::map<uint64_t, std::vector<raftpb::Message>> by_peer;
  for (auto& m : msgs) by_peer[m.to()].push_back(std::move(m));
  for (auto& [to, batch] : by_peer) {
    if (MessageHandler* h = PeerHandler(to)) h->HandleMessages(group, std::move(batch));
  }
}

void MemoryTransport::SendSnapshot(const std::string& group, raftpb::Message m, std::string path,
                                   SnapshotDone done) {
  MessageHandler* h = PeerHandler(m.to());
  if (h == nullptr) return done(absl::UnavailableError(absl::StrCat("peer ", m.to(), " is down")));
  auto target = h->IncomingSnapshotPath(group);
  if (!target.ok()) return done(target.status());
  std::error_code ec;
  std::filesystem::copy_file(path, *target, std::filesystem::copy_options::overwrite_existing, ec);
  if (ec) return done(absl::UnavailableError(absl::StrCat("copy snapshot: ", ec.message())));
  h->HandleSnapshot(group, std::move(m), *target);
  done(absl::OkStatus());
}

}  // namespace warren::raft
