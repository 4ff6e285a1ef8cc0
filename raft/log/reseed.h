#pragma once

namespace warren {

// The end of every error with which a member refuses to start on data damaged at rest: what
// to do about it, and where the procedure is written down.
inline constexpr char kReseedAdvice[] =
    "refusing to start rather than drop records that may have been acknowledged: re-seed this "
    "member (docs/embedding.md, \"Re-seeding a member whose data is corrupt or lost\")";

}  // namespace warren
