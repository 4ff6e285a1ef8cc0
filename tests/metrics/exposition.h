#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace warren::testing {

// Prometheus' text exposition format, read back: one sample per line that is not a comment.
struct Sample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};

class Exposition {
 public:
  // Fails the calling test (ADD_FAILURE) on a line that is not a sample.
  explicit Exposition(const std::string& text);

  const std::vector<Sample>& samples() const { return samples_; }
  // The samples named `name` whose labels include `labels`.
  std::vector<Sample> All(const std::string& name,
                          const std::map<std::string, std::string>& labels = {}) const;
  // The value of the one such sample; nullopt if there is none (or more than one).
  std::optional<double> Value(const std::string& name,
                              const std::map<std::string, std::string>& labels = {}) const;
  // Their values added up (0 for none).
  double Sum(const std::string& name, const std::map<std::string, std::string>& labels = {}) const;

 private:
  std::vector<Sample> samples_;
};

}  // namespace warren::testing
