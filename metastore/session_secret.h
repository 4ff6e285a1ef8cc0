#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace warren::metastore {

// A new session's secrets, chosen by the member that takes the request (from OpenSSL's
// CSPRNG): a client that knows neither cannot guess a live session's id, and one that knows
// the id still needs the password to use it.
inline constexpr size_t kSessionPasswordBytes = 16;  // as ZooKeeper's
std::string NewSessionPassword();
// Non-zero and below 2^63: ZooKeeper's clients read a session id as a signed long.
uint64_t NewSessionId();

// Whether `presented` is the session's password, in time that does not depend on where they
// differ.
bool SessionPasswordMatches(std::string_view stored, std::string_view presented);

}  // namespace warren::metastore
