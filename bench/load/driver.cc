#include "bench/load/driver.h"

#include <future>

namespace warren::bench {

std::unique_ptr<Driver> MakeWarrenDriver(const DriverOptions& options);
std::unique_ptr<Driver> MakeEtcdDriver(const DriverOptions& options);
std::unique_ptr<Driver> MakeZooKeeperDriver(const DriverOptions& options);

absl::StatusOr<std::unique_ptr<Driver>> MakeDriver(const std::string& target,
                                                   const DriverOptions& options) {
  if (options.endpoints.empty()) return absl::InvalidArgumentError("no endpoints given");
  if (target == "warren") return MakeWarrenDriver(options);
  if (target == "etcd") return MakeEtcdDriver(options);
  if (target == "zookeeper") return MakeZooKeeperDriver(options);
  return absl::InvalidArgumentError("unknown target '" + target + "': warren, etcd or zookeeper");
}

absl::Status Driver::EnsurePrefix(const std::string& prefix) {
  return CreateIfAbsent(*this, 0, prefix, "");
}

absl::Status CreateIfAbsent(Driver& driver, int client, const std::string& key,
                            const std::string& value) {
  absl::Status s = Call(driver, client, Request{OpKind::kCreate, {key}, &value});
  return absl::IsAlreadyExists(s) ? absl::OkStatus() : s;
}

absl::Status Call(Driver& driver, int client, const Request& request) {
  std::promise<absl::Status> result;
  driver.Start(client, request, [&](absl::Status s) { result.set_value(std::move(s)); });
  return result.get_future().get();
}

}  // namespace warren::bench
