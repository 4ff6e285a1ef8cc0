#include "bench/load/workloads.h"

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <optional>
#include <random>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "bench/load/histogram.h"
#include "common/delayed_runner.h"
#include "glog/logging.h"

namespace warren::bench {
namespace {

uint64_t Micros(absl::Duration d) { return static_cast<uint64_t>(absl::ToInt64Microseconds(d)); }

double Ms(uint64_t micros) { return static_cast<double>(micros) / 1000.0; }

void FillLatencies(const Histogram& h, Report& r) {
  r.p50_ms = Ms(h.Percentile(0.50));
  r.p90_ms = Ms(h.Percentile(0.90));
  r.p99_ms = Ms(h.Percentile(0.99));
  r.p999_ms = Ms(h.Percentile(0.999));
  r.max_ms = Ms(h.Max());
}

std::string KeyOf(const std::string& prefix, int i) { return absl::StrCat(prefix, "/k", i); }

// Creates the keys that set / get / mixed use, with a value; keeps those already there.
absl::Status PrepareKeys(Driver& driver, const LoadOptions& o, const std::string& value) {
  constexpr int kPerBatch = 100;
  for (int first = 0; first < o.keys; first += kPerBatch) {
    Request r{OpKind::kCreate, {}, &value};
    for (int i = first; i < std::min(o.keys, first + kPerBatch); ++i) {
      r.keys.push_back(KeyOf(o.prefix, i));
    }
    absl::Status s = Call(driver, 0, r);
    if (s.ok()) continue;
    if (!absl::IsAlreadyExists(s)) return s;
    for (const std::string& key : r.keys) {  // some exist already: one by one
      if (s = CreateIfAbsent(driver, 0, key, value); !s.ok()) return s;
    }
  }
  return absl::OkStatus();
}

// clients x inflight requests kept outstanding until told to stop.
class ClosedLoop {
 public:
  ClosedLoop(Driver& driver, const std::string& workload, const LoadOptions& o)
      : driver_(driver),
        workload_(workload),
        o_(o),
        value_(static_cast<size_t>(o.value_size), 'v'),
        nonce_(absl::StrFormat("%x", absl::ToUnixMicros(absl::Now()))) {}

  absl::Status Prepare() {
    if (absl::Status s = driver_.EnsurePrefix(o_.prefix); !s.ok()) return s;
    if (workload_ == "create") return absl::OkStatus();
    return PrepareKeys(driver_, o_, value_);
  }

  Report Run() {
    measure_from_ = absl::Now() + o_.warmup;
    {
      std::lock_guard lock(mu_);
      active_ = o_.clients * o_.inflight;  // before any completion can count one down
    }
    for (int c = 0; c < o_.clients; ++c) {
      for (int i = 0; i < o_.inflight; ++i) Issue(c);
    }
    const absl::Time end = measure_from_ + o_.duration;
    uint64_t last = 0;
    absl::Time next_line = measure_from_ + absl::Seconds(1);
    std::unique_lock lock(mu_);
    while (!stopped_) {
      const absl::Time now = absl::Now();
      if (o_.ops == 0 && now >= end) {
        Stop(end);
        break;
      }
      if (now >= next_line) {
        const uint64_t done = ok_.load();
        if (o_.progress) {
          std::fprintf(stderr, "[%3.0fs] %8.0f ops/s  %10lu ok  %6lu errors  p99 %.2f ms\n",
                       absl::ToDoubleSeconds(now - measure_from_), static_cast<double>(done - last),
                       static_cast<unsigned long>(done), static_cast<unsigned long>(errors_.load()),
                       Ms(latency_.Percentile(0.99)));
        }
        last = done;
        next_line += absl::Seconds(1);
      }
      cv_.wait_for(lock, absl::ToChronoNanoseconds(std::min(next_line, end) - now));
    }
    // Requests still out finish (or time out) before the driver can go.
    cv_.wait(lock, [&] { return active_ == 0; });
    Report r;
    r.workload = workload_;
    r.options = o_;
    r.ok = ok_.load();
    r.errors = errors_.load();
    r.completed = completed_.load();
    r.seconds = absl::ToDoubleSeconds(stopped_at_ - measure_from_);
    FillLatencies(latency_, r);
    return r;
  }

 private:
  Request Next() {
    thread_local std::mt19937_64 rng(std::random_device{}());
    Request r;
    r.value = &value_;
    if (workload_ == "create") {
      r.kind = OpKind::kCreate;
      const uint64_t first = next_key_.fetch_add(o_.batch);
      for (int i = 0; i < o_.batch; ++i) {
        r.keys.push_back(absl::StrCat(o_.prefix, "/", nonce_, "-", first + i));
      }
      return r;
    }
    const int key = static_cast<int>(rng() % static_cast<uint64_t>(o_.keys));
    r.keys.push_back(KeyOf(o_.prefix, key));
    if (workload_ == "set") {
      r.kind = OpKind::kSet;
    } else if (workload_ == "get") {
      r.kind = OpKind::kGet;
    } else {  // mixed
      r.kind = rng() % 10 == 0 ? OpKind::kSet : OpKind::kGet;
    }
    return r;
  }

  void Issue(int client) {
    const absl::Time start = absl::Now();
    // With --ops, exactly that many measured requests are started.
    const bool over_budget = o_.ops > 0 && start >= measure_from_ &&
                             started_.fetch_add(1) >= static_cast<uint64_t>(o_.ops);
    {
      std::lock_guard lock(mu_);
      if (stopped_ || over_budget) {
        if (--active_ == 0) cv_.notify_all();
        return;
      }
    }
    driver_.Start(client, Next(), [this, client, start](absl::Status s) {
      const absl::Time end = absl::Now();
      ++completed_;
      if (start >= measure_from_) Count(s, end - start, end);
      if (s.ok()) {
        Issue(client);
      } else {
        // After a pause, and not from within a driver that may have failed it inline.
        retries_.After(absl::Milliseconds(10), [this, client] { Issue(client); });
      }
    });
  }

  void Count(const absl::Status& s, absl::Duration latency, absl::Time end) {
    if (s.ok()) {
      latency_.Record(Micros(latency));
      ++ok_;
    } else if (errors_.fetch_add(1) < 5) {
      LOG(WARNING) << workload_ << ": " << s;
    }
    if (o_.ops > 0 && ok_.load() + errors_.load() >= static_cast<uint64_t>(o_.ops)) {
      std::lock_guard lock(mu_);
      if (!stopped_) Stop(end);
    }
  }

  void Stop(absl::Time at) {  // holds mu_
    stopped_ = true;
    stopped_at_ = at;
    cv_.notify_all();
  }

  Driver& driver_;
  const std::string workload_;
  const LoadOptions o_;
  const std::string value_;
  const std::string nonce_;
  absl::Time measure_from_;
  std::atomic<uint64_t> next_key_{0};
  Histogram latency_;
  std::atomic<uint64_t> ok_{0}, errors_{0}, completed_{0}, started_{0};
  std::mutex mu_;
  std::condition_variable cv_;
  int active_ = 0;
  bool stopped_ = false;
  absl::Time stopped_at_;
  DelayedRunner retries_;  // last: stopped first, before what its re-issues touch
};

}  // namespace

absl::StatusOr<Report> RunLoad(Driver& driver, const std::string& workload,
                               const LoadOptions& options) {
  if (workload != "create" && workload != "set" && workload != "get" && workload != "mixed") {
    return absl::InvalidArgumentError("unknown workload '" + workload + "'");
  }
  ClosedLoop loop(driver, workload, options);
  if (absl::Status s = loop.Prepare(); !s.ok()) return s;
  return loop.Run();
}

absl::StatusOr<Report> RunWatchFanout(Driver& driver, const LoadOptions& o) {
  const std::string key = o.prefix + "/watched";
  const std::string value(static_cast<size_t>(o.value_size), 'v');
  const int writer = o.clients;  // the connection after the watchers'
  if (absl::Status s = driver.EnsurePrefix(o.prefix); !s.ok()) return s;
  if (absl::Status s = CreateIfAbsent(driver, writer, key, value); !s.ok()) return s;

  std::mutex mu;
  std::condition_variable cv;
  absl::Time written;
  bool measuring = false;
  int arrived = 0;
  Histogram latency;
  for (int w = 0; w < o.clients; ++w) {
    absl::Status s = driver.Watch(w, key, [&](absl::Time at) {
      std::lock_guard lock(mu);
      if (measuring) latency.Record(Micros(at - written));
      ++arrived;
      cv.notify_all();
    });
    if (!s.ok()) return s;
  }
  Report r;
  r.workload = "watch";
  r.options = o;
  const absl::Time measure_from = absl::Now() + o.warmup;
  const absl::Time end = measure_from + o.duration;
  int64_t rounds = 0;
  for (;;) {
    const absl::Time now = absl::Now();
    if (o.ops > 0 ? rounds >= o.ops : now >= end) break;
    {
      std::lock_guard lock(mu);
      measuring = now >= measure_from;
      arrived = 0;
      written = now;
    }
    if (measuring) ++rounds;
    absl::Status s = Call(driver, writer, Request{OpKind::kSet, {key}, &value});
    if (!s.ok()) return s;
    std::unique_lock lock(mu);
    if (!cv.wait_for(lock, std::chrono::seconds(10), [&] { return arrived >= o.clients; })) {
      r.errors += static_cast<uint64_t>(o.clients - arrived);  // never delivered
    }
  }
  std::lock_guard lock(mu);
  measuring = false;
  r.ok = latency.Count();
  r.seconds = absl::ToDoubleSeconds(absl::Now() - measure_from);
  FillLatencies(latency, r);
  return r;
}

absl::StatusOr<Report> RunProbe(const std::string& target, const DriverOptions& driver_options,
                                const LoadOptions& o) {
  const absl::Time start = absl::Now();
  const std::string value = "probe";
  Report r;
  r.workload = "probe";
  r.options = o;
  absl::Status last;
  for (int attempt = 0; absl::Now() - start < o.duration; ++attempt) {
    auto driver = MakeDriver(target, driver_options);
    if (!driver.ok()) return driver.status();
    last = (*driver)->Connect(1);
    if (last.ok()) last = (*driver)->EnsurePrefix(o.prefix);
    if (last.ok()) {
      const std::string key =
          absl::StrCat(o.prefix, "/probe-", absl::ToUnixMicros(start), "-", attempt);
      last = Call(**driver, 0, Request{OpKind::kCreate, {key}, &value});
    }
    if (last.ok()) {
      r.ok = 1;
      r.ready_ms = absl::ToDoubleMilliseconds(absl::Now() - start);
      break;
    }
    ++r.errors;
    absl::SleepFor(absl::Milliseconds(50));
  }
  r.seconds = absl::ToDoubleSeconds(absl::Now() - start);
  if (r.ok == 0) LOG(WARNING) << "no write acknowledged; last: " << last;
  return r;
}

absl::StatusOr<Report> RunFailover(Driver& driver, const LoadOptions& o) {
  if (o.kill_cmd.empty()) return absl::InvalidArgumentError("failover needs --kill_cmd");
  const std::string key = o.prefix + "/failover";
  const std::string value(static_cast<size_t>(o.value_size), 'v');
  if (absl::Status s = driver.EnsurePrefix(o.prefix); !s.ok()) return s;
  if (absl::Status s = CreateIfAbsent(driver, 0, key, value); !s.ok()) return s;

  Report r;
  r.workload = "failover";
  r.options = o;
  Histogram latency;
  const absl::Time start = absl::Now();
  const absl::Time kill_at = start + o.warmup;
  std::optional<absl::Time> killed;
  while (absl::Now() - start < o.warmup + o.duration) {
    if (!killed && absl::Now() >= kill_at) {
      if (int rc = std::system(o.kill_cmd.c_str()); rc != 0) {
        return absl::InternalError(absl::StrCat("'", o.kill_cmd, "' exited with ", rc));
      }
      killed = absl::Now();
    }
    const absl::Time t0 = absl::Now();
    absl::Status s = Call(driver, 0, Request{OpKind::kSet, {key}, &value});
    const absl::Time t1 = absl::Now();
    if (!s.ok()) {
      ++r.errors;
      absl::SleepFor(absl::Milliseconds(10));
      continue;
    }
    ++r.ok;
    latency.Record(Micros(t1 - t0));
    if (killed && t0 >= *killed) {
      r.unavailable_ms = absl::ToDoubleMilliseconds(t1 - *killed);
      break;
    }
  }
  r.seconds = absl::ToDoubleSeconds(absl::Now() - start);
  FillLatencies(latency, r);
  return r;
}

std::string Report::Text() const {
  std::string out = absl::StrFormat(
      "%s %s: clients=%d inflight=%d value=%dB  %lu ok, %lu errors in %.2f s = %.0f/s\n"
      "  latency ms: p50 %.2f  p90 %.2f  p99 %.2f  p99.9 %.2f  max %.2f\n",
      target, workload, options.clients, options.inflight, options.value_size, ok, errors, seconds,
      PerSecond(), p50_ms, p90_ms, p99_ms, p999_ms, max_ms);
  if (ready_ms >= 0) absl::StrAppendFormat(&out, "  ready after %.0f ms\n", ready_ms);
  if (unavailable_ms >= 0) {
    absl::StrAppendFormat(&out, "  writes unavailable for %.0f ms after the kill\n",
                          unavailable_ms);
  }
  return out;
}

std::string Report::Json() const {
  return absl::StrFormat(
      "{\"target\":\"%s\",\"workload\":\"%s\",\"clients\":%d,\"inflight\":%d,"
      "\"value_size\":%d,\"batch\":%d,\"ok\":%lu,\"errors\":%lu,\"completed\":%lu,"
      "\"seconds\":%.3f,"
      "\"ops_per_s\":%.1f,\"p50_ms\":%.3f,\"p90_ms\":%.3f,\"p99_ms\":%.3f,\"p999_ms\":%.3f,"
      "\"max_ms\":%.3f,\"ready_ms\":%.1f,\"unavailable_ms\":%.1f}\n",
      target, workload, options.clients, options.inflight, options.value_size, options.batch, ok,
      errors, completed, seconds, PerSecond(), p50_ms, p90_ms, p99_ms, p999_ms, max_ms, ready_ms,
      unavailable_ms);
}

}  // namespace warren::bench
