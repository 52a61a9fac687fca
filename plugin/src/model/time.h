// model/time.h
//
// The plugin's points in wall time. Records that outlive a process (requests, attempts, machines)
// carry wall-clock times because several processes and hosts compare them; HostFactory's
// `launchtime` is whole epoch seconds. Monotonic time (deadlines, backoff) stays in the resilience
// library's Clock. Conversions to the wire forms (epoch milliseconds in the store, epoch seconds in
// HostFactory's JSON, ISO-8601 in AWS and logs) happen at those edges (base/time_format.h).
//
// Thread-safety: value types.
//
// Example:
//   model::Timestamp now = model::ToTimestamp(clock.SystemNow());
//   if (now - request.created_at > std::chrono::minutes(10)) { ... }
#pragma once

#include <chrono>
#include <cstdint>

#include "ohfp/resilience/clock.h"

namespace ohfp::model {

// A wall-clock instant with millisecond resolution.
using Timestamp = std::chrono::sys_time<std::chrono::milliseconds>;
// A wall-clock instant in whole seconds (EC2 launch times, HostFactory's launchtime).
using EpochSeconds = std::chrono::sys_seconds;

inline Timestamp ToTimestamp(resilience::SysTime t) {
  return std::chrono::time_point_cast<std::chrono::milliseconds>(t);
}

inline std::int64_t EpochMillis(Timestamp t) { return t.time_since_epoch().count(); }
inline Timestamp FromEpochMillis(std::int64_t ms) {
  return Timestamp(std::chrono::milliseconds(ms));
}

}  // namespace ohfp::model
