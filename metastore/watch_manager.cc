#include "metastore/watch_manager.h"

#include "absl/strings/str_cat.h"
#include "glog/logging.h"
#include "metastore/errors.h"
#include "metastore/path.h"

namespace warren::metastore {
namespace {

using metastorepb::EventType;
using metastorepb::WatchKind;

constexpr uint32_t Bit(WatchKind k) { return 1u << static_cast<int>(k); }

// The one-shot kinds an event of this type fires on its own path (as ZooKeeper's
// WatchManager does: exists watches live with the data watches).
uint32_t OneShotKindsFor(EventType type) {
  switch (type) {
    case metastorepb::NODE_CREATED:
    case metastorepb::NODE_DATA_CHANGED:
      return Bit(metastorepb::WATCH_DATA) | Bit(metastorepb::WATCH_EXISTS);
    case metastorepb::NODE_DELETED:
      return Bit(metastorepb::WATCH_DATA) | Bit(metastorepb::WATCH_EXISTS) |
             Bit(metastorepb::WATCH_CHILDREN);
    case metastorepb::NODE_CHILDREN_CHANGED:
      return Bit(metastorepb::WATCH_CHILDREN);
    default:
      return 0;
  }
}

constexpr uint32_t kOneShot = Bit(metastorepb::WATCH_DATA) | Bit(metastorepb::WATCH_EXISTS) |
                              Bit(metastorepb::WATCH_CHILDREN);

}  // namespace

bool PersistentSees(metastorepb::WatchKind kind, const std::string& path,
                    const metastorepb::WatchEvent& event) {
  if (kind == metastorepb::WATCH_PERSISTENT) return event.path() == path;
  if (kind != metastorepb::WATCH_PERSISTENT_RECURSIVE) return false;
  if (event.type() == metastorepb::NODE_CHILDREN_CHANGED) return false;
  if (event.path() == path) return true;
  const std::string prefix = path == "/" ? "/" : path + "/";
  return event.path().compare(0, prefix.size(), prefix) == 0;
}

uint64_t WatchManager::Attach(uint64_t session, Sink sink) {
  std::lock_guard lock(mu_);
  // A new stream for the session starts with no watches: its client re-registers them.
  DropWatches(session);
  uint64_t id = next_sink_id_++;
  sinks_[session] = Attached{id, std::move(sink)};
  return id;
}

void WatchManager::Detach(uint64_t session, uint64_t sink_id) {
  std::lock_guard lock(mu_);
  auto it = sinks_.find(session);
  if (it == sinks_.end() || it->second.sink_id != sink_id) return;
  sinks_.erase(it);
  DropWatches(session);
}

uint64_t WatchManager::SinkId(uint64_t session) const {
  std::lock_guard lock(mu_);
  auto it = sinks_.find(session);
  return it == sinks_.end() ? 0 : it->second.sink_id;
}

absl::Status WatchManager::Add(uint64_t session, const std::string& path, WatchKind kind,
                               uint64_t since, OnGap on_gap) {
  std::lock_guard lock(mu_);
  auto sink = sinks_.find(session);
  if (sink == sinks_.end()) {
    return MetaError(metastorepb::SESSION_MOVED,
                     absl::StrCat(SessionLabel(session),
                                  " has no stream on this member; attach it here to watch ", path));
  }
  if (auto watched = by_session_.find(session);
      max_paths_per_session_ != 0 && watched != by_session_.end() &&
      watched->second.size() >= max_paths_per_session_ && !watched->second.contains(path)) {
    return MetaError(metastorepb::BAD_ARGUMENTS,
                     absl::StrCat(path, " (", SessionLabel(session), " watches ",
                                  watched->second.size(), " paths; the limit is ",
                                  max_paths_per_session_, " (--max-watches-per-session))"));
  }
  if (since > 0) {
    sink->second.seen = std::max(sink->second.seen, since);
    if (kind == metastorepb::WATCH_PERSISTENT || kind == metastorepb::WATCH_PERSISTENT_RECURSIVE) {
      if (since < history_from_) {
        const std::string missed =
            absl::StrCat(path, " (this member cannot replay the changes from zxid ", since + 1,
                         " to ", history_from_, " that the watch may have missed)");
        if (on_gap == OnGap::kRefuse) return MetaError(metastorepb::MEMBER_BEHIND, missed);
        LOG(WARNING) << SessionLabel(session)
                     << ": set anyway (the leader, or a client every member turned away)"
                     << (on_gap == OnGap::kReport ? ", its client told" : "") << ": " << missed;
        if (on_gap == OnGap::kReport) {
          metastorepb::WatchEvent gap;
          gap.set_type(metastorepb::HISTORY_GAP);
          gap.set_path(path);
          gap.set_zxid(history_from_);
          Deliver(session, gap);
        }
      }
      for (const auto& event : recent_) {
        if (event.zxid() > since && PersistentSees(kind, path, event)) Deliver(session, event);
      }
    }
  }
  by_path_[path][session] |= Bit(kind);
  by_session_[session].insert(path);
  return absl::OkStatus();
}

bool WatchManager::Remove(uint64_t session, const std::string& path, WatchKind kind) {
  std::lock_guard lock(mu_);
  auto it = by_path_.find(path);
  if (it == by_path_.end()) return false;
  auto s = it->second.find(session);
  if (s == it->second.end() || (s->second & Bit(kind)) == 0) return false;
  s->second &= ~Bit(kind);
  if (s->second != 0) return true;
  it->second.erase(s);
  if (it->second.empty()) by_path_.erase(it);
  by_session_[session].erase(path);
  return true;
}

bool WatchManager::Has(uint64_t session, const std::string& path, WatchKind kind) const {
  std::lock_guard lock(mu_);
  auto it = by_path_.find(path);
  if (it == by_path_.end()) return false;
  auto s = it->second.find(session);
  return s != it->second.end() && (s->second & Bit(kind)) != 0;
}

void WatchManager::Fire(const std::vector<metastorepb::WatchEvent>& events) {
  std::lock_guard lock(mu_);
  for (const auto& event : events) {
    recent_.push_back(event);
    if (recent_.size() > recent_events_) {
      history_from_ = std::max(history_from_, recent_.front().zxid());
      recent_.pop_front();
    }
    std::set<uint64_t> to;
    // Watches on the path itself.
    if (auto it = by_path_.find(event.path()); it != by_path_.end()) {
      const uint32_t one_shot = OneShotKindsFor(event.type());
      for (auto s = it->second.begin(); s != it->second.end();) {
        if (HadSeen(s->first, event)) {  // neither fires nor spends a watch
          ++s;
          continue;
        }
        uint32_t& kinds = s->second;
        bool hit = (kinds & one_shot) != 0 || (kinds & Bit(metastorepb::WATCH_PERSISTENT)) != 0 ||
                   ((kinds & Bit(metastorepb::WATCH_PERSISTENT_RECURSIVE)) != 0 &&
                    event.type() != metastorepb::NODE_CHILDREN_CHANGED);
        if (hit) to.insert(s->first);
        kinds &= ~(one_shot & kOneShot);
        if (kinds == 0) {
          by_session_[s->first].erase(event.path());
          s = it->second.erase(s);
        } else {
          ++s;
        }
      }
      if (it->second.empty()) by_path_.erase(it);
    }
    // Recursive watches on an ancestor see everything below but children changes.
    if (event.type() != metastorepb::NODE_CHILDREN_CHANGED) {
      for (std::string_view p = ParentOf(event.path()); !p.empty(); p = ParentOf(p)) {
        auto it = by_path_.find(std::string(p));
        if (it == by_path_.end()) continue;
        for (const auto& [session, kinds] : it->second) {
          if ((kinds & Bit(metastorepb::WATCH_PERSISTENT_RECURSIVE)) != 0 &&
              !HadSeen(session, event)) {
            to.insert(session);
          }
        }
      }
    }
    for (uint64_t session : to) Deliver(session, event);
  }
}

bool WatchManager::HadSeen(uint64_t session, const metastorepb::WatchEvent& event) const {
  auto sink = sinks_.find(session);
  return sink != sinks_.end() && event.zxid() <= sink->second.seen;
}

void WatchManager::FireFor(uint64_t session, const metastorepb::WatchEvent& event) {
  std::lock_guard lock(mu_);
  Deliver(session, event);
}

void WatchManager::Deliver(uint64_t session, const metastorepb::WatchEvent& event) {
  auto it = sinks_.find(session);
  if (it == sinks_.end()) return;
  metastorepb::SessionEvent e;
  *e.mutable_event() = event;
  it->second.sink(e);
}

void WatchManager::SessionsEnded(const std::vector<uint64_t>& sessions, metastorepb::Error why) {
  std::lock_guard lock(mu_);
  for (uint64_t session : sessions) {
    DropWatches(session);
    auto it = sinks_.find(session);
    if (it == sinks_.end()) continue;
    metastorepb::SessionEvent e;
    e.mutable_closed()->set_error(why);
    e.mutable_closed()->set_message(
        absl::StrCat(ErrorName(why), ": session 0x", absl::Hex(session)));
    it->second.sink(e);
    sinks_.erase(it);
  }
}

void WatchManager::Reset(uint64_t applied, uint64_t history_from,
                         std::vector<metastorepb::WatchEvent> history) {
  std::lock_guard lock(mu_);
  recent_.assign(std::make_move_iterator(history.begin()), std::make_move_iterator(history.end()));
  history_from_ = history_from;
  while (recent_.size() > recent_events_) {
    history_from_ = std::max(history_from_, recent_.front().zxid());
    recent_.pop_front();
  }
  for (auto& [session, attached] : sinks_) {
    DropWatches(session);
    metastorepb::SessionEvent e;
    e.mutable_closed()->set_error(metastorepb::MEMBER_BEHIND);
    e.mutable_closed()->set_message(absl::StrCat(
        ErrorName(metastorepb::MEMBER_BEHIND), ": this member jumped to zxid ", applied,
        " (a snapshot): the watches set here missed what it jumped over; attach again"));
    attached.sink(e);
  }
  sinks_.clear();
}

void WatchManager::DropWatches(uint64_t session) {
  auto it = by_session_.find(session);
  if (it == by_session_.end()) return;
  for (const auto& path : it->second) {
    auto p = by_path_.find(path);
    if (p == by_path_.end()) continue;
    p->second.erase(session);
    if (p->second.empty()) by_path_.erase(p);
  }
  by_session_.erase(it);
}

size_t WatchManager::count() const {
  std::lock_guard lock(mu_);
  size_t n = 0;
  for (const auto& [path, sessions] : by_path_) {
    for (const auto& [session, kinds] : sessions) n += __builtin_popcount(kinds);
  }
  return n;
}

}  // namespace warren::metastore
