// The main() of every fuzzer's corpus replay (<target>_corpus_test): feeds every file of the
// given corpus directories (or files) once to the fuzzer's entry point, each in a child process
// so that every crashing input is named, and fails if any does. `--write-seeds DIR` writes the
// target's seed corpus (tests/fuzz/seeds.h) instead.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "tests/fuzz/seeds.h"

extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv);
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {
namespace fs = std::filesystem;

int WriteSeeds(const fs::path& dir) {
  fs::create_directories(dir);
  const auto seeds = warren::fuzz::Seeds();
  for (const auto& [name, bytes] : seeds) {
    std::ofstream(dir / name, std::ios::binary) << bytes;
  }
  printf("wrote %zu seeds to %s\n", seeds.size(), dir.c_str());
  return 0;
}

// Runs one input in a child; true if it returned.
bool Replay(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  fflush(stdout);
  const pid_t pid = fork();
  if (pid < 0) {
    perror("fork");
    return false;
  }
  if (pid == 0) {
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
    exit(0);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return true;
  if (WIFSIGNALED(status)) {
    printf("FAILED %s: %s\n", file.c_str(), strsignal(WTERMSIG(status)));
  } else {
    printf("FAILED %s: exit %d\n", file.c_str(), WEXITSTATUS(status));
  }
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  setvbuf(stdout, nullptr, _IOLBF, 0);  // in order with what the children print
  if (argc == 3 && std::string(argv[1]) == "--write-seeds") return WriteSeeds(argv[2]);
  std::vector<fs::path> files;
  for (int i = 1; i < argc; ++i) {
    const fs::path p(argv[i]);
    if (!fs::is_directory(p)) {
      files.push_back(p);
      continue;
    }
    std::vector<fs::path> in_dir;
    for (const auto& e : fs::directory_iterator(p)) {
      if (e.is_regular_file()) in_dir.push_back(e.path());
    }
    std::sort(in_dir.begin(), in_dir.end());
    files.insert(files.end(), in_dir.begin(), in_dir.end());
  }
  if (files.empty()) {
    fprintf(stderr, "usage: %s CORPUS_DIR_OR_FILE... | --write-seeds DIR (no inputs found)\n",
            argv[0]);
    return 1;
  }
  LLVMFuzzerInitialize(&argc, &argv);
  int passed = 0, failed = 0;
  for (const fs::path& f : files) (Replay(f) ? passed : failed)++;
  printf("%s: %d passed, %d failed\n", fs::path(argv[0]).filename().c_str(), passed, failed);
  return failed == 0 ? 0 : 1;
}
