#include "metastore/recipes/leader_election.h"

#include "absl/time/clock.h"
#include "glog/logging.h"
#include "metastore/errors.h"
#include "metastore/path.h"

namespace warren::metastore::recipes {

LeaderElection::LeaderElection(MetastoreClient& client, std::string root, std::string participant)
    : client_(client), queue_(client, std::move(root), "n-", std::move(participant)) {
  event_listener_ = client_.OnEvent([this](const metastorepb::WatchEvent& e) {
    if (e.type() != metastorepb::NODE_DELETED) return;
    bool ours;
    {
      std::lock_guard lock(mu_);
      ours = leading_ && e.path() == queue_.node();
    }
    if (ours) Lose(MetaError(metastorepb::NO_NODE, e.path() + ": the leader's node was deleted"));
  });
  end_listener_ = client_.OnSessionEnd([this](const absl::Status& why) { Lose(why); });
}

LeaderElection::~LeaderElection() {
  client_.RemoveListener(event_listener_);
  client_.RemoveListener(end_listener_);
  if (auto s = Resign(); !s.ok()) {
    LOG(WARNING) << "election " << queue_.root() << ": could not resign: " << s
                 << " (the session's end will)";
  }
}

absl::Status LeaderElection::AwaitLeadership(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  if (HasLeadership()) return absl::OkStatus();
  if (auto s = queue_.Join(deadline); !s.ok()) return s;
  if (auto s = queue_.WaitForTurn(ContenderQueue::Predecessor, deadline); !s.ok()) return s;
  {
    std::lock_guard lock(mu_);
    leading_ = true;
  }
  // Watch our own node, so that its deletion is noticed as a loss.
  auto exists = client_.Exists(queue_.node(), /*watch=*/true);
  if (!exists.ok() || !exists->has_value()) {
    Lose(exists.ok() ? MetaError(metastorepb::NO_NODE, queue_.node()) : exists.status());
    return exists.ok() ? MetaError(metastorepb::NO_NODE, queue_.node()) : exists.status();
  }
  return queue_.waiter().SessionStatus();
}

bool LeaderElection::HasLeadership() {
  std::lock_guard lock(mu_);
  return leading_;
}

void LeaderElection::OnLost(std::function<void(const absl::Status&)> callback) {
  std::lock_guard lock(mu_);
  on_lost_ = std::move(callback);
}

void LeaderElection::Lose(const absl::Status& why) {
  std::function<void(const absl::Status&)> callback;
  {
    std::lock_guard lock(mu_);
    if (!leading_) return;
    leading_ = false;
    callback = on_lost_;
  }
  LOG(WARNING) << "election " << queue_.root() << ": leadership lost: " << why;
  if (callback) callback(why);
}

absl::Status LeaderElection::Resign() {
  {
    std::lock_guard lock(mu_);
    leading_ = false;
  }
  return queue_.Leave();
}

absl::StatusOr<std::string> LeaderElection::Leader() {
  auto line = queue_.Line();
  if (!line.ok()) {
    if (ErrorOf(line.status()) == metastorepb::NO_NODE) return std::string();
    return line.status();
  }
  for (const auto& c : *line) {
    auto node = client_.GetData(ChildPath(queue_.root(), c.name));
    if (node.ok()) return node->data;
    if (ErrorOf(node.status()) != metastorepb::NO_NODE) return node.status();
  }
  return std::string();
}

}  // namespace warren::metastore::recipes
