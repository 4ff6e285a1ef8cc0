#include "tests/sim/sim_network.h"

namespace warren::sim {

bool SimNetwork::Send(raftpb::Message m, uint64_t now) {
  if (Blocked(m.from(), m.to()) || rng_->Percent(faults_.drop_percent)) return false;
  if (rng_->Percent(faults_.duplicate_percent)) Enqueue(m, now);
  Enqueue(std::move(m), now);
  return true;
}

void SimNetwork::Enqueue(raftpb::Message m, uint64_t now) {
  uint64_t delay = faults_.min_delay + rng_->Uniform(faults_.max_delay - faults_.min_delay + 1);
  if (faults_.long_delay_max > 0 && rng_->Percent(faults_.long_delay_percent)) {
    delay += rng_->Uniform(faults_.long_delay_max + 1);
  }
  queue_.emplace(std::make_pair(now + delay, seq_++), std::move(m));
}

SimNetwork::Delivery SimNetwork::DeliverDue(uint64_t now) {
  Delivery out;
  while (!queue_.empty() && queue_.begin()->first.first <= now) {
    auto node = queue_.extract(queue_.begin());
    raftpb::Message& m = node.mapped();
    if (Blocked(m.from(), m.to())) {
      out.lost.push_back(std::move(m));
    } else {
      out.delivered.push_back(std::move(m));
    }
  }
  return out;
}

}  // namespace warren::sim
