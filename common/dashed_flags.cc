#include "common/dashed_flags.h"

namespace warren {

DashedFlags::DashedFlags(int argc, char** argv) {
  for (int i = 0; i < argc; ++i) {
    std::string a = argv[i];
    if (i > 0 && a.size() > 2 && a.rfind("--", 0) == 0) {
      size_t end = a.find('=');
      if (end == std::string::npos) end = a.size();
      for (size_t k = 2; k < end; ++k) {
        if (a[k] == '-') a[k] = '_';
      }
    }
    args_.push_back(std::move(a));
  }
  for (auto& a : args_) pointers_.push_back(a.data());
  pointers_.push_back(nullptr);
  pointers_.pop_back();
}

}  // namespace warren
