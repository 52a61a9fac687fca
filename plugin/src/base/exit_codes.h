// base/exit_codes.h
//
// The exit codes of every ohfp command, documented in `ohfp --help` and docs/operations.md.
// HostFactory reads 0 as success and anything else as failure; the JSON on stdout says why.
#pragma once

namespace ohfp {

inline constexpr int kExitOk = 0;
// The command ran and failed (AWS refused, the store is unusable or was lost, ...).
inline constexpr int kExitFailed = 1;
// Bad arguments, malformed input JSON, invalid configuration: nothing was changed.
inline constexpr int kExitBadInput = 2;
// A bug: an exception nobody expected.
inline constexpr int kExitInternal = 3;

}  // namespace ohfp
