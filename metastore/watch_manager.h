#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "proto/metastore.pb.h"

namespace warren::metastore {

// Whether a persistent watch (recursive or not) of `kind` on `path` sees `event`: any event
// on the path itself for a plain one; for a recursive one, any on the path or below but
// children changes. False for the one-shot kinds.
bool PersistentSees(metastorepb::WatchKind kind, const std::string& path,
                    const metastorepb::WatchEvent& event);

// The watches of the sessions attached to this member, and where their events go. The tree
// calls Fire once per applied command, from the apply thread, so every session sees its
// events in zxid order; a session stream attaches a sink, which must not block. A session's
// watches live as long as its stream here: a client that moves re-registers them.
class WatchManager {
 public:
  using Sink = std::function<void(const metastorepb::SessionEvent&)>;

  // `max_paths_per_session`: the paths one session may watch here at once (a path watched
  // several ways counts once; --max-watches-per-session); 0: no bound.
  // `recent_events`: how many of the newest events it keeps in memory, for watches set again
  // after a move.
  explicit WatchManager(size_t max_paths_per_session = kDefaultMaxPathsPerSession,
                        size_t recent_events = kRecentEvents)
      : max_paths_per_session_(max_paths_per_session), recent_events_(recent_events) {}
  static constexpr size_t kDefaultMaxPathsPerSession = 100'000;
  // About a minute of a busy quorum's changes, at some 100 bytes each.
  static constexpr size_t kRecentEvents = 100'000;
  size_t recent_events() const { return recent_events_; }

  // Routes the session's events to `sink` (replacing an earlier stream's); returns the
  // sink's id for Detach.
  uint64_t Attach(uint64_t session, Sink sink);
  // Drops the session's sink and watches, if `sink_id` is still the attached one.
  void Detach(uint64_t session, uint64_t sink_id);
  // The id of the sink attached for `session` (0 if none), for Detach.
  uint64_t SinkId(uint64_t session) const;

  // What Add does with a persistent watch set again at a member that no longer holds every
  // event its client may have missed.
  enum class OnGap {
    kRefuse,  // MemberBehind, so that its client sets it at a member that holds them
    kReport,  // set, after a HISTORY_GAP event (Warren's own session stream)
    kWarn,    // set, with a warning only (ZooKeeper's clients know no such event)
  };

  // SessionMoved if the session's stream is not attached here; BadArguments naming the limit
  // if the path is new to the session and it already watches max_paths_per_session paths
  // (nothing set, nothing sent). `since` > 0: the watch is set
  // again on a new stream, and its client has seen everything up to that zxid. A persistent
  // watch is first sent what it missed since then (from the recent events, which survive a
  // restart and travel in snapshots: see ZNodeTree); if this member no longer holds them all
  // (they are older than its history), `on_gap` says what to do. An event at or below
  // `since` neither fires nor spends any of the session's watches: its client had it. (The
  // tree admits such a watch only once it has applied `since`, so none should come.)
  absl::Status Add(uint64_t session, const std::string& path, metastorepb::WatchKind kind,
                   uint64_t since = 0, OnGap on_gap = OnGap::kRefuse);
  // Whether the session had that watch.
  bool Remove(uint64_t session, const std::string& path, metastorepb::WatchKind kind);
  bool Has(uint64_t session, const std::string& path, metastorepb::WatchKind kind) const;

  // Delivers the events of one applied command: each to the watches it triggers, at most
  // once per session and event, firing one-shot watches once.
  void Fire(const std::vector<metastorepb::WatchEvent>& events);
  // Delivers one event to one session (a re-registered watch that fires at once).
  void FireFor(uint64_t session, const metastorepb::WatchEvent& event);
  // Tells the sessions' streams that they ended (closed or expired) and forgets them.
  void SessionsEnded(const std::vector<uint64_t>& sessions, metastorepb::Error why);
  // The tree is now the state at `applied`, opened or restored from a snapshot, and
  // `history` (oldest first) holds every event it applied after zxid `history_from`, as it
  // kept them. The watches set here missed the changes a restore jumped over: every attached
  // stream is told to attach again (MemberBehind) and forgotten with its watches; its client
  // sets them again, judged against the state they then find and replayed from `history`.
  void Reset(uint64_t applied, uint64_t history_from, std::vector<metastorepb::WatchEvent> history);

  size_t count() const;

 private:
  struct Attached {
    uint64_t sink_id;
    Sink sink;
    uint64_t seen = 0;  // the client has had every event up to this zxid
  };
  void DropWatches(uint64_t session);
  // Whether the session's client had seen `event` before its stream was set up here.
  bool HadSeen(uint64_t session, const metastorepb::WatchEvent& event) const;
  void Deliver(uint64_t session, const metastorepb::WatchEvent& event);

  const size_t max_paths_per_session_;
  const size_t recent_events_;
  mutable std::mutex mu_;
  uint64_t next_sink_id_ = 1;
  std::map<uint64_t, Attached> sinks_;
  // path -> session -> bit set of WatchKind
  std::map<std::string, std::map<uint64_t, uint32_t>> by_path_;
  std::map<uint64_t, std::set<std::string>> by_session_;
  // The last events applied here, oldest first, whoever watched: what a persistent watch set
  // again after its stream moved may have missed.
  std::deque<metastorepb::WatchEvent> recent_;
  // Every event applied here with a greater zxid is in recent_.
  uint64_t history_from_ = 0;
};

}  // namespace warren::metastore
