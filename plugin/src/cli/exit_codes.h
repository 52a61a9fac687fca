// cli/exit_codes.h
//
// The exit codes of the ohfp executable, documented in `ohfp --help` and docs/operations.md.
#pragma once

namespace ohfp::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed =
    1;  // the command ran and failed (AWS refused, the store is unusable, ...)
inline constexpr int kExitBadInput =
    2;  // bad arguments, malformed input JSON, invalid configuration
inline constexpr int kExitInternal = 3;  // a bug: an exception nobody expected

}  // namespace ohfp::cli
