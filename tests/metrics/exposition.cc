#include "tests/metrics/exposition.h"

#include <cstdlib>

#include "gtest/gtest.h"

namespace warren::testing {
namespace {

// Reads `name{label="value",...} value` into `out`; false if the line is not that.
bool ParseSample(const std::string& line, Sample* out) {
  size_t i = 0;
  while (i < line.size() && line[i] != '{' && line[i] != ' ') ++i;
  out->name = line.substr(0, i);
  if (out->name.empty()) return false;
  if (i < line.size() && line[i] == '{') {
    ++i;
    while (i < line.size() && line[i] != '}') {
      const size_t eq = line.find('=', i);
      if (eq == std::string::npos || eq + 1 >= line.size() || line[eq + 1] != '"') return false;
      const std::string key = line.substr(i, eq - i);
      std::string value;
      size_t j = eq + 2;
      for (; j < line.size() && line[j] != '"'; ++j) {
        if (line[j] == '\\' && j + 1 < line.size()) {
          ++j;
          value += line[j] == 'n' ? '\n' : line[j];
        } else {
          value += line[j];
        }
      }
      if (j >= line.size()) return false;
      out->labels[key] = value;
      i = j + 1;
      if (i < line.size() && line[i] == ',') ++i;
    }
    if (i >= line.size()) return false;
    ++i;  // '}'
  }
  if (i >= line.size() || line[i] != ' ') return false;
  const std::string number = line.substr(i + 1, line.find(' ', i + 1) - i - 1);
  char* end = nullptr;
  out->value = std::strtod(number.c_str(), &end);
  return end != number.c_str() && *end == '\0';
}

bool Includes(const std::map<std::string, std::string>& have,
              const std::map<std::string, std::string>& want) {
  for (const auto& [k, v] : want) {
    auto it = have.find(k);
    if (it == have.end() || it->second != v) return false;
  }
  return true;
}

}  // namespace

Exposition::Exposition(const std::string& text) {
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    const std::string line = text.substr(start, end - start);
    start = end + 1;
    if (line.empty() || line[0] == '#') continue;
    Sample s;
    if (!ParseSample(line, &s)) {
      ADD_FAILURE() << "not a sample: " << line;
      continue;
    }
    samples_.push_back(std::move(s));
  }
}

std::vector<Sample> Exposition::All(const std::string& name,
                                    const std::map<std::string, std::string>& labels) const {
  std::vector<Sample> out;
  for (const Sample& s : samples_) {
    if (s.name == name && Includes(s.labels, labels)) out.push_back(s);
  }
  return out;
}

std::optional<double> Exposition::Value(const std::string& name,
                                        const std::map<std::string, std::string>& labels) const {
  auto all = All(name, labels);
  if (all.size() != 1) return std::nullopt;
  return all[0].value;
}

double Exposition::Sum(const std::string& name,
                       const std::map<std::string, std::string>& labels) const {
  double sum = 0;
  for (const Sample& s : All(name, labels)) sum += s.value;
  return sum;
}

}  // namespace warren::testing
