// serve/log_events.h
//
// LogEvents: what `ohfp serve` shows of app.log (logging/app_log.h: JSON lines, shared by every
// process, rotated app.log -> app.log.1 -> ...). It follows the file like `tail -F`, reading only
// what was appended since the last look (and, after a rotation, the rest of the rotated file
// first), and keeps, in bounded memory:
//   - the most recent events of interest (at most `max_events`), newest first:
//       breaker     a circuit's transition ("event": "circuit": service, from, to)
//       operator    an operator's action (breaker_override, reconcile)
//       retry       a retry (operation, attempt, error code and kind; throttled when the kind is)
//       throttle    a throttled call that was not retried (its final answer)
//       rejected    a call an open circuit rejected
//       timeout     an operation that ran out of time
//       error       an operation that failed (its last error)
//       alert       an alert (circuit open, consecutive failures)
//   - per-minute counts over the last `keep` (commands, AWS calls, errors, throttles, retries,
//     rejections, breaker openings), for the dashboard's charts.
// At start it reads at most `initial_bytes` from the end of app.log and app.log.1; a reader that
// falls further behind skips ahead. Lines that are not JSON objects are ignored.
//
// Thread-safety: safe from any thread (one mutex around reading and the kept data).
//
// Example:
//   LogEvents events({.file = logdir / "app.log"}, clock);
//   nlohmann::ordered_json recent = events.Recent(50, {});
//   nlohmann::ordered_json series = events.Timeline(std::chrono::minutes(60));
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <string_view>

#include "ohfp/resilience/clock.h"

namespace ohfp::serve {

struct LogEventsOptions {
  std::filesystem::path file{};                   // app.log
  std::uint64_t initial_bytes = 4 * 1024 * 1024;  // read at most this much at once
  std::size_t max_events = 2000;
  std::chrono::minutes keep{24 * 60};                   // per-minute counts kept this long
  std::chrono::milliseconds min_refresh_interval{500};  // reads at most this often
};

struct MinuteCounts {
  int commands = 0;
  int aws_calls = 0;
  int errors = 0;
  int throttles = 0;
  int retries = 0;
  int rejections = 0;
  int breaker_opens = 0;
};

class LogEvents {
 public:
  LogEvents(LogEventsOptions options, resilience::Clock& clock);
  LogEvents(const LogEvents&) = delete;
  LogEvents& operator=(const LogEvents&) = delete;

  // Reads what was appended since the last read (rate-limited unless `force`).
  void Refresh(bool force = false);
  // The `limit` most recent events whose kind is in `kinds` (all when empty), newest first:
  // [{"time", "kind", "level", "pid", "message", ...the line's own fields}].
  nlohmann::ordered_json Recent(std::size_t limit, const std::set<std::string>& kinds);
  // One entry per minute of the last `span`, oldest first, zeros included:
  // [{"time": "...:00.000Z", "commands", "aws_calls", "errors", "throttles", "retries",
  //   "rejections", "breaker_opens"}].
  nlohmann::ordered_json Timeline(std::chrono::minutes span);

 private:
  void ReadFrom(const std::filesystem::path& file, std::uint64_t from, std::uint64_t to);
  void Consume(std::string_view line);
  void Prune();

  const LogEventsOptions options_;
  resilience::Clock& clock_;
  std::mutex mu_;  // guards everything below
  bool started_ = false;
  std::uint64_t inode_ = 0;
  std::uint64_t offset_ = 0;  // of the first byte not yet consumed in the followed file
  std::optional<resilience::MonoTime> last_refresh_{};
  std::deque<nlohmann::ordered_json> events_;     // newest at the back
  std::map<std::int64_t, MinuteCounts> minutes_;  // by epoch minute
};

// "2026-11-29T01:02:03.456Z" or "2026-11-29T01:02:03Z" -> epoch milliseconds; nullopt for
// anything else.
std::optional<std::int64_t> ParseIsoMillis(std::string_view text);

}  // namespace ohfp::serve
