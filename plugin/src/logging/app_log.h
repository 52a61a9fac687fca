// logging/app_log.h
//
// AppLog: the plugin's log, JSON lines in HF_PROVIDER_LOGDIR/app.log, one object per line:
//   {"time":"2026-11-29T01:02:03.456Z","level":"warning","pid":4242,
//    "message":"Circuit breaker OPENED for service: aws_ec2","event":"circuit",
//    "service":"aws_ec2",...}
// HostFactory runs many plugin processes at once, so the file is shared: every line is one
// append(2) write, and rotation (app.log -> app.log.1 -> ... -> app.log.N) happens under an
// flock(2) on app.log.lock; a process whose file was rotated away by another reopens app.log before
// its next line. stdout is never written.
//
// Thread-safety: Log() is safe from any thread.
//
// Example:
//   auto log = AppLog::Open({.file = logdir / "app.log", .level = spdlog::level::info});
//   (*log)->Log(spdlog::level::warn, "Circuit breaker OPENED for service: aws_ec2",
//               {{"event", "circuit"}, {"service", "aws_ec2"}});
#pragma once

#include <spdlog/common.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "ohfp/resilience/result.h"

namespace spdlog {
class logger;
}

namespace ohfp::logging {

struct LogOptions {
  std::filesystem::path file{};  // e.g. <logdir>/app.log
  spdlog::level::level_enum level = spdlog::level::info;
  std::uint64_t max_bytes = 10 * 1024 * 1024;  // rotate when app.log grows past this
  int max_files = 5;                           // app.log.1 .. app.log.5 are kept
  bool echo_to_stderr = false;                 // also print lines to stderr (for interactive use)
};

// Parses a level name: HostFactory's HF_LOGLEVEL values (LOG_DEBUG, LOG_INFO, LOG_WARNING, LOG_ERR,
// LOG_TRACE, ...) and plain names (debug, info, warning, error, trace, off). nullopt for anything
// else.
std::optional<spdlog::level::level_enum> ParseLogLevel(std::string_view name);

class AppLog {
 public:
  static resilience::Result<std::unique_ptr<AppLog>> Open(const LogOptions& options);
  // A log that writes nowhere (for commands run without a log directory, and tests).
  static std::unique_ptr<AppLog> Null();
  ~AppLog();
  AppLog(const AppLog&) = delete;
  AppLog& operator=(const AppLog&) = delete;

  // Writes one line: time, level, pid, message, then `fields` (an object) merged in.
  void Log(spdlog::level::level_enum level, std::string_view message,
           const nlohmann::json& fields = {});
  bool ShouldLog(spdlog::level::level_enum level) const;
  void Flush();
  const std::filesystem::path& file() const noexcept { return file_; }

 private:
  AppLog(std::shared_ptr<spdlog::logger> logger, std::filesystem::path file);
  std::shared_ptr<spdlog::logger> logger_;
  std::filesystem::path file_;
};

}  // namespace ohfp::logging
