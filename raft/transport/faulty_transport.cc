#include "raft/transport/faulty_transport.h"

#include "absl/strings/str_cat.h"

namespace warren::raft {

FaultyTransport::FaultyTransport(std::unique_ptr<Transport> inner, uint64_t seed)
    : inner_(std::move(inner)), rng_(seed) {}

FaultyTransport::~FaultyTransport() { Stop(); }

void FaultyTransport::SetFaults(const Faults& faults) {
  std::lock_guard lock(mu_);
  faults_ = faults;
}

void FaultyTransport::Block(uint64_t peer) {
  std::lock_guard lock(mu_);
  blocked_.insert(peer);
}

void FaultyTransport::Unblock(uint64_t peer) {
  std::lock_guard lock(mu_);
  blocked_.erase(peer);
}

void FaultyTransport::UnblockAll() {
  std::lock_guard lock(mu_);
  blocked_.clear();
}

uint64_t FaultyTransport::sent(raftpb::MessageType type) {
  std::lock_guard lock(mu_);
  auto it = sent_.find(type);
  return it == sent_.end() ? 0 : it->second;
}

absl::Status FaultyTransport::Start(MessageHandler* handler) {
  {
    std::lock_guard lock(mu_);
    stopping_ = false;
  }
  deliverer_ = std::thread([this] { DeliverLoop(); });
  return inner_->Start(handler);
}

void FaultyTransport::Stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
    while (!delayed_.empty()) delayed_.pop();
  }
  cv_.notify_all();
  if (deliverer_.joinable()) deliverer_.join();
  inner_->Stop();
}

void FaultyTransport::Send(const std::string& group, std::vector<raftpb::Message> msgs) {
  std::vector<raftpb::Message> now;
  {
    std::lock_guard lock(mu_);
    std::uniform_real_distribution<double> coin(0, 1);
    for (auto& m : msgs) {
      ++sent_[m.type()];
      if (blocked_.count(m.to()) > 0 || coin(rng_) < faults_.drop) continue;
      int copies = coin(rng_) < faults_.duplicate ? 2 : 1;
      for (int c = 0; c < copies; ++c) {
        if (faults_.max_delay <= absl::ZeroDuration()) {
          now.push_back(m);
          continue;
        }
        double span = absl::ToDoubleMicroseconds(faults_.max_delay - faults_.min_delay);
        absl::Duration d = faults_.min_delay + absl::Microseconds(coin(rng_) * span);
        delayed_.push({absl::Now() + d, order_++, group, m});
      }
    }
  }
  cv_.notify_all();
  if (!now.empty()) inner_->Send(group, std::move(now));
}

void FaultyTransport::SendSnapshot(const std::string& group, raftpb::Message m, std::string path,
                                   SnapshotDone done) {
  bool blocked;
  {
    std::lock_guard lock(mu_);
    blocked = blocked_.count(m.to()) > 0;
  }
  if (blocked) {
    return done(absl::UnavailableError(absl::StrCat("peer ", m.to(), " is partitioned away")));
  }
  inner_->SendSnapshot(group, std::move(m), std::move(path), std::move(done));
}

void FaultyTransport::DeliverLoop() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    if (delayed_.empty()) {
      cv_.wait(lock);
      continue;
    }
    absl::Time at = delayed_.top().at;
    if (absl::Now() < at) {
      cv_.wait_for(lock, absl::ToChronoNanoseconds(at - absl::Now()));
      continue;
    }
    Delayed d = delayed_.top();
    delayed_.pop();
    bool blocked = blocked_.count(d.message.to()) > 0;
    lock.unlock();
    if (!blocked) inner_->Send(d.group, {std::move(d.message)});
    lock.lock();
  }
}

}  // namespace warren::raft
