#pragma once

// A throwaway PKI for one test's quorum, made by make_certs.sh (MAKE_CERTS, a compile
// definition of every test here) in a directory of the test's own: ca.pem signs member-1..3
// and whatever client names a test asks for (subject /O=warren-test/CN=NAME); rogue-ca.pem
// signs rogue (common name member-1).
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/tls.h"

namespace warren::testing {

class TestPki {
 public:
  explicit TestPki(std::string dir) : dir_(std::move(dir)) {}

  // Certificates for the three members and `clients`; false (and the command in `*failed`)
  // if make_certs.sh failed.
  bool Make(const std::vector<std::string>& clients, std::string* failed) const {
    std::filesystem::create_directories(dir_);
    std::string command = absl::StrCat(MAKE_CERTS, " ", dir_, " member-1 member-2 member-3");
    for (const auto& name : clients) absl::StrAppend(&command, " ", name);
    if (std::system(command.c_str()) == 0) return true;
    *failed = command;
    return false;
  }

  const std::string& dir() const { return dir_; }
  std::string Pem(const std::string& name) const { return absl::StrCat(dir_, "/", name, ".pem"); }
  std::string Key(const std::string& name) const { return absl::StrCat(dir_, "/", name, ".key"); }

  // Member `id`'s TLS flags: the CA, its certificate and key.
  std::vector<std::string> MemberFlags(uint64_t id) const {
    const std::string name = absl::StrCat("member-", id);
    return {"--tls-ca=" + Pem("ca"), "--tls-cert=" + Pem(name), "--tls-key=" + Key(name)};
  }

  // `name`'s certificate and key (none if empty), trusting `ca`.
  TlsFiles Files(const std::string& name, const std::string& ca = "ca") const {
    TlsFiles tls;
    tls.ca = Pem(ca);
    if (!name.empty()) {
      tls.cert = Pem(name);
      tls.key = Key(name);
    }
    return tls;
  }

 private:
  const std::string dir_;
};

}  // namespace warren::testing
