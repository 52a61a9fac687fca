// base/time_text.h
//
// Times as text, in UTC, one implementation for every layer: ISO 8601 as AWS, the logs and the API
// write it ("2026-01-01T06:00:00Z", with milliseconds when asked), the basic form SigV4 signs with
// ("20260101T060000Z"), and the readers of the timestamps AWS and IMDS send (ISO 8601, an HTTP
// date, seconds since the epoch).
//
// Thread-safety: stateless functions.
//
// Example:
//   FormatIso8601(t)                          // "2026-01-01T06:00:00Z" (seconds, rounded down)
//   FormatIso8601(t, Fraction::kMillis)       // "2026-01-01T06:00:00.120Z"
//   FormatIso8601(t, Fraction::kMillisIfAny)  // "...T06:00:00.120Z"; "...T06:00:00Z" at .000
//   FormatIso8601Basic(t)                     // "20260101T060000Z"
//   ParseIso8601("2019-12-16T22:48:18-01:00") // 2019-12-16 23:48:18 UTC
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "ohfp/resilience/clock.h"

namespace ohfp::base {

// The fraction of a second FormatIso8601 writes.
enum class Fraction {
  kNone,         // whole seconds, rounded down
  kMillis,       // always three digits of milliseconds
  kMillisIfAny,  // three digits of milliseconds, left out when they are 000 (AWS's Query form)
};

// "YYYY-MM-DDThh:mm:ss[.mmm]Z" (extended format, UTC).
std::string FormatIso8601(resilience::SysTime time, Fraction fraction = Fraction::kNone);

// "YYYYMMDDThhmmssZ" (basic format, UTC, whole seconds): SigV4's X-Amz-Date.
std::string FormatIso8601Basic(resilience::SysTime time);

// The UTC time of a calendar date and time of day; nullopt when the date does not exist, a field is
// out of range (second 60, a leap second, is accepted), or the year is outside 1900-2200 (SysTime
// counts nanoseconds in 64 bits, 1677 to 2262: such a year is no time AWS sends, and would
// overflow).
std::optional<resilience::SysTime> UtcTime(int year, int month, int day, int hour, int minute,
                                           int second, std::chrono::nanoseconds fraction = {});

// 2014-04-29T18:30:38Z, 2014-04-29T18:30:38.123Z, 2019-12-16T22:48:18-01:00 (or -0100), 't' or ' '
// for 'T', 'z' for 'Z'. Without a zone the time is taken as UTC. Digits of the fraction beyond the
// ninth are ignored. nullopt for anything else.
std::optional<resilience::SysTime> ParseIso8601(std::string_view text);

// Tue, 29 Apr 2014 18:30:38 GMT (or UTC; the day name is optional; month names in any case).
std::optional<resilience::SysTime> ParseHttpDate(std::string_view text);

// 1398796238, 1398796238.123, -5: seconds since the Unix epoch, within SysTime's range.
std::optional<resilience::SysTime> ParseEpochSeconds(std::string_view text);

}  // namespace ohfp::base
