#include "metastore/server/session_tracker.h"

#include "absl/random/random.h"
#include "common/monotonic_clock.h"
#include "glog/logging.h"
#include "metastore/server/forwarder.h"

namespace warren::metastore {
namespace {

// Upper bounds, serialized: a session id; an IdleNode besides its path; a command besides its
// list (the clock, the field's tag and length).
constexpr size_t kSessionIdBytes = 11;
constexpr size_t kIdleNodeFramingBytes = 24;
constexpr size_t kCommandFramingBytes = 32;

}  // namespace

SessionTracker::SessionTracker(raft::Division* division, ZNodeTree* tree, uint64_t self_id,
                               absl::Duration interval, absl::Duration relay_interval,
                               Forwarder* forwarder, std::function<void(absl::Duration)> on_silence)
    : division_(division),
      tree_(tree),
      self_id_(self_id),
      interval_(interval),
      relay_interval_(relay_interval),
      forwarder_(forwarder),
      on_silence_(std::move(on_silence)),
      to_relay_([tree](uint64_t session) { return tree->SessionTimeout(session); }),
      client_id_(absl::Uniform<uint64_t>(absl::BitGen(), 1, UINT64_MAX)) {}

SessionTracker::~SessionTracker() { Stop(); }

void SessionTracker::Start() {
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "sessions");
    Loop();
  });
}

void SessionTracker::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void SessionTracker::Touch(uint64_t session, bool attached) {
  const absl::Time now = MonotonicNow();
  std::lock_guard lock(mu_);
  if (leading_) {
    last_heard_[session] = now;
  } else {
    to_relay_.Heard(session, now);
    relay_soon_ = relay_soon_ || attached;
  }
}

void SessionTracker::Relayed(uint64_t session, absl::Duration ago) {
  const absl::Time when = MonotonicNow() - ago;
  std::lock_guard lock(mu_);
  if (!leading_) return;  // not yet: every session's timer starts afresh when it begins
  KeepLatest(last_heard_, session, when);
}

absl::Duration SessionTracker::LeaderSilence() {
  if (division_->leader() == self_id_) return absl::ZeroDuration();
  std::lock_guard lock(mu_);
  return MonotonicNow() - last_contact_;
}

void SessionTracker::Loop() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    cv_.wait_for(lock, absl::ToChronoMilliseconds(interval_));
    if (stopping_) break;
    lock.unlock();
    Check(MonotonicNow());
    lock.lock();
  }
}

void SessionTracker::Check(absl::Time now) {
  const bool leader = division_->leader() == self_id_;
  std::vector<uint64_t> expired;
  {
    std::lock_guard lock(mu_);
    if (!leader) {
      if (leading_) LOG(INFO) << "no longer leading: relaying keep-alives to the leader";
      leading_ = false;
      last_heard_.clear();
    } else {
      if (!leading_) {
        leading_ = true;
        last_heard_.clear();  // every session's timer starts now
        to_relay_.Clear();
        LOG(INFO) << "leading: tracking " << tree_->Sessions().size() << " sessions";
      }
      last_contact_ = now;
      std::map<uint64_t, absl::Time> live;
      for (const SessionInfo& s : tree_->Sessions()) {
        auto it = last_heard_.find(s.id);
        absl::Time heard = it == last_heard_.end() ? now : it->second;
        live[s.id] = heard;
        if (now - heard > absl::Milliseconds(s.timeout_ms)) expired.push_back(s.id);
      }
      last_heard_.swap(live);
    }
  }
  if (!leader) {
    {
      // In touch as of each relay whose answer this member has since applied.
      const uint64_t applied = tree_->LastApplied();
      std::lock_guard lock(mu_);
      while (!unconfirmed_.empty() && unconfirmed_.front().second <= applied) {
        last_contact_ = std::max(last_contact_, unconfirmed_.front().first);
        unconfirmed_.pop_front();
      }
    }
    Relay(now);
    on_silence_(LeaderSilence());
    return;
  }
  // A proposal is a command like any other and must fit the limit: what does not waits for
  // the next look.
  const size_t limit = tree_->limits().max_command_bytes;
  const size_t budget = limit > kCommandFramingBytes ? limit - kCommandFramingBytes : 0;
  if (!expired.empty() && !expiring_) {
    metastorepb::Command cmd;
    size_t bytes = 0;
    for (uint64_t id : expired) {
      if ((bytes += kSessionIdBytes) > budget) break;
      cmd.mutable_expire_sessions()->add_session_ids(id);
    }
    LOG(INFO) << "expiring " << cmd.expire_sessions().session_ids_size() << " of " << expired.size()
              << " sessions";
    Propose(std::move(cmd), &expiring_);
  }
  // TTLs are of the wall clock, as the nodes' mtimes are.
  auto idle = tree_->IdleNodes(absl::ToUnixMillis(absl::Now()));
  if (!idle.empty() && !deleting_idle_) {
    metastorepb::Command cmd;
    size_t bytes = 0;
    for (auto& node : idle) {
      const size_t more = node.path().size() + kIdleNodeFramingBytes;
      if (bytes + more > budget) continue;
      bytes += more;
      *cmd.mutable_delete_idle()->add_nodes() = std::move(node);
    }
    if (cmd.delete_idle().nodes_size() > 0) Propose(std::move(cmd), &deleting_idle_);
  }
}

void SessionTracker::Relay(absl::Time now) {
  metastorepb::KeepAlivesRequest relay;
  const uint64_t leader = division_->leader();
  {
    std::lock_guard lock(mu_);
    const bool due = relay_soon_ || now - last_relay_ >= relay_interval_ || leader != relayed_to_;
    if (relaying_ || leader == 0 || leader == self_id_ || !due) return;
    relaying_ = true;
    relay_soon_ = false;
    last_relay_ = now;
    relay = to_relay_.Take(now);
  }
  // Empty or not, a relay the leader takes is a contact, once this member has applied what
  // the leader had. What one that fails carried goes with the next, each keep-alive as old
  // as it is.
  forwarder_->RelayKeepAlives(
      leader, relay, [this, now, leader, relay](absl::StatusOr<uint64_t> applied) {
        constexpr size_t kMaxUnconfirmed = 64;
        std::lock_guard lock(mu_);
        relaying_ = false;
        if (!applied.ok()) {
          to_relay_.Failed(relay, now);
          if (failed_relays_++ == 0) {
            LOG(WARNING) << "keep-alives of " << relay.session_ids_size()
                         << " sessions not relayed to leader " << leader << ": "
                         << applied.status().message() << " (they go with the next relay)";
          }
          return;
        }
        if (failed_relays_ > 0) {
          LOG(INFO) << "keep-alives relayed to leader " << leader << " again, after "
                    << failed_relays_ << " relays failed";
        }
        failed_relays_ = 0;
        relayed_to_ = leader;
        unconfirmed_.emplace_back(now, *applied);
        if (unconfirmed_.size() > kMaxUnconfirmed) unconfirmed_.pop_front();
      });
}

void SessionTracker::Propose(metastorepb::Command cmd, std::atomic<bool>* in_flight) {
  cmd.set_time_ms(absl::ToUnixMillis(absl::Now()));
  raftpb::ClientCommand cc;
  cc.set_client_id(client_id_);
  {
    std::lock_guard lock(mu_);
    cc.set_seq(++seq_);
  }
  cc.set_first_incomplete_seq(cc.seq());  // never retried: a later look proposes afresh
  cc.set_payload(cmd.SerializeAsString());
  *in_flight = true;
  division_->Write(std::move(cc), [in_flight](raft::Result r) {
    if (!r.status.ok()) VLOG(1) << "housekeeping proposal failed: " << r.status;
    *in_flight = false;
  });
}

}  // namespace warren::metastore
