#include "metastore/recipes/service_registry.h"

#include "absl/strings/match.h"
#include "glog/logging.h"
#include "metastore/errors.h"
#include "metastore/path.h"
#include "metastore/recipes/paths.h"

namespace warren::metastore::recipes {

ServiceRegistry::ServiceRegistry(MetastoreClient& client, std::string root)
    : client_(client), root_(std::move(root)) {
  event_listener_ = client_.OnEvent([this](const metastorepb::WatchEvent& e) {
    std::lock_guard lock(mu_);
    for (auto& [service, dirty] : dirty_) {
      const std::string path = ServicePath(service);
      if (e.path() == path || absl::StartsWith(e.path(), path + "/")) dirty = true;
    }
    cv_.notify_all();
  });
  end_listener_ = client_.OnSessionEnd([this](const absl::Status&) {
    std::lock_guard lock(mu_);
    session_ended_ = true;
    cv_.notify_all();
  });
  thread_ = std::thread([this] { Run(); });
}

ServiceRegistry::~ServiceRegistry() {
  client_.RemoveListener(event_listener_);
  client_.RemoveListener(end_listener_);
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

std::string ServiceRegistry::ServicePath(const std::string& service) const {
  return ChildPath(root_, service);
}

absl::Status ServiceRegistry::Register(const std::string& service, const std::string& instance,
                                       const std::string& payload) {
  CreateOptions opts;
  opts.ephemeral = true;
  return CreateWithParents(client_, ChildPath(ServicePath(service), instance), payload, opts,
                           /*container_parents=*/true)
      .status();
}

absl::Status ServiceRegistry::Update(const std::string& service, const std::string& instance,
                                     const std::string& payload) {
  return client_.SetData(ChildPath(ServicePath(service), instance), payload).status();
}

absl::Status ServiceRegistry::Unregister(const std::string& service, const std::string& instance) {
  return client_.Delete(ChildPath(ServicePath(service), instance));
}

absl::StatusOr<ServiceRegistry::Instances> ServiceRegistry::List(const std::string& service) {
  const std::string path = ServicePath(service);
  auto children = client_.GetChildren(path);
  if (ErrorOf(children.status()) == metastorepb::NO_NODE) return Instances();
  if (!children.ok()) return children.status();
  Instances out;
  for (const auto& c : children->children) {
    auto node = client_.GetData(ChildPath(path, c.name()));
    if (ErrorOf(node.status()) == metastorepb::NO_NODE) continue;  // left meanwhile
    if (!node.ok()) return node.status();
    out[c.name()] = node->data;
  }
  return out;
}

absl::Status ServiceRegistry::Watch(const std::string& service, Listener listener) {
  if (auto s = ValidatePath(ServicePath(service)); !s.ok()) return s;
  // Recursive: instances coming and going, and their payloads changing.
  if (auto s = client_.AddWatch(ServicePath(service), /*recursive=*/true); !s.ok()) return s;
  std::lock_guard lock(mu_);
  listeners_[service].push_back(std::move(listener));
  dirty_[service] = true;
  last_.erase(service);  // the new listener hears the current set at once
  cv_.notify_all();
  return absl::OkStatus();
}

void ServiceRegistry::Run() {
  std::unique_lock lock(mu_);
  while (true) {
    cv_.wait(lock, [&] {
      if (stopping_ || session_ended_) return true;
      for (const auto& [service, dirty] : dirty_) {
        if (dirty) return true;
      }
      return false;
    });
    if (stopping_ || session_ended_) return;
    for (auto& [service, dirty] : dirty_) {
      if (!dirty) continue;
      dirty = false;
      const std::string name = service;
      lock.unlock();
      auto instances = List(name);
      lock.lock();
      if (!instances.ok()) {
        LOG(WARNING) << "registry " << ServicePath(name) << ": " << instances.status();
        dirty_[name] = true;  // try again
        cv_.wait_for(lock, std::chrono::milliseconds(200), [&] { return stopping_; });
        break;
      }
      auto last = last_.find(name);
      if (last != last_.end() && last->second == *instances) continue;
      last_[name] = *instances;
      const auto listeners = listeners_[name];
      lock.unlock();
      for (const auto& listener : listeners) listener(*instances);
      lock.lock();
    }
  }
}

}  // namespace warren::metastore::recipes
