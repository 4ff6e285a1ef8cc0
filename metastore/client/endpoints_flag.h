#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/tls.h"

namespace warren::metastore {

// The quorum a command-line program talks to: its --endpoints=HOST:PORT,... flag (defined
// here, for every program that links this), or else $WARREN_ENDPOINTS. InvalidArgument if
// neither names a member.
absl::StatusOr<std::vector<std::string>> EndpointsFromFlag();

// How it reaches them: plaintext, or TLS with --tls-ca=FILE (the CA that signs the members'
// certificates) and, if the members ask for one, --tls-cert=FILE --tls-key=FILE (the client's
// own). InvalidArgument naming the flag if a file is missing or unreadable.
absl::StatusOr<TlsFiles> TlsFromFlags();

// Who it is to the znode ACLs: digest credentials USER:PASSWORD (ClientOptions::digest) from
// --auth=digest:USER:PASSWORD, or the first line of --auth-file=FILE, or $WARREN_AUTH, in the
// same form (the file and the variable keep the password out of `ps`). Empty if none is given;
// InvalidArgument naming the flag for a malformed one, or both flags.
absl::StatusOr<std::string> DigestFromFlags();

}  // namespace warren::metastore
