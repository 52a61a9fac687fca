#include "logging/app_log.h"

#include <fcntl.h>
#include <spdlog/logger.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <mutex>
#include <utility>

#include "base/time_text.h"

namespace ohfp::logging {
namespace {

namespace fs = std::filesystem;
using resilience::Error;
using resilience::ErrorKind;

// Appends whole lines to a file shared with other processes, rotating it under an flock.
class SharedFileSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  SharedFileSink(fs::path path, std::uint64_t max_bytes, int max_files)
      : path_(std::move(path)),
        lock_path_(path_.string() + ".lock"),
        max_bytes_(max_bytes),
        max_files_(max_files) {}
  ~SharedFileSink() override {
    if (fd_ >= 0) ::close(fd_);
  }
  SharedFileSink(const SharedFileSink&) = delete;
  SharedFileSink& operator=(const SharedFileSink&) = delete;

  resilience::Status OpenFile() {
    fd_ = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) {
      return Error(ErrorKind::kInternal, "LogOpenFailed",
                   "cannot open log file " + path_.string() + ": " + std::strerror(errno));
    }
    return resilience::OkStatus();
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t line;
    formatter_->format(msg, line);
    ReopenIfRotated();
    if (fd_ < 0) return;
    // One write per line: O_APPEND makes it land whole at the end, whatever other processes write.
    const char* data = line.data();
    std::size_t left = line.size();
    while (left > 0) {
      const ssize_t n = ::write(fd_, data, left);
      if (n < 0) {
        if (errno == EINTR) continue;
        return;  // a log that cannot be written must not take the command down
      }
      data += n;
      left -= static_cast<std::size_t>(n);
    }
    RotateIfLarge();
  }
  void flush_() override {}

 private:
  // Another process renamed app.log away: follow the name, not the old file.
  void ReopenIfRotated() {
    struct stat by_fd {};
    struct stat by_name {};
    if (fd_ >= 0 && ::fstat(fd_, &by_fd) == 0 && ::stat(path_.c_str(), &by_name) == 0 &&
        by_fd.st_ino == by_name.st_ino && by_fd.st_dev == by_name.st_dev) {
      return;
    }
    if (fd_ >= 0) ::close(fd_);
    fd_ = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  }

  void RotateIfLarge() {
    struct stat st {};
    if (fd_ < 0 || ::fstat(fd_, &st) != 0 || static_cast<std::uint64_t>(st.st_size) < max_bytes_)
      return;
    const int lock = ::open(lock_path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (lock < 0) return;
    if (::flock(lock, LOCK_EX) == 0) {
      // Re-check under the lock: another process may have rotated already.
      struct stat current {};
      if (::stat(path_.c_str(), &current) == 0 &&
          static_cast<std::uint64_t>(current.st_size) >= max_bytes_) {
        std::error_code ec;
        fs::remove(Numbered(max_files_), ec);
        for (int i = max_files_ - 1; i >= 1; --i) fs::rename(Numbered(i), Numbered(i + 1), ec);
        fs::rename(path_, Numbered(1), ec);
      }
      ::flock(lock, LOCK_UN);
    }
    ::close(lock);
    ReopenIfRotated();
  }

  fs::path Numbered(int i) const { return fs::path(path_.string() + "." + std::to_string(i)); }

  fs::path path_;
  fs::path lock_path_;
  std::uint64_t max_bytes_;
  int max_files_;
  int fd_ = -1;
};

std::string IsoTime(std::chrono::system_clock::time_point t) {
  return base::FormatIso8601(t, base::Fraction::kMillis);
}

// Every name a level goes by in a configuration (syslog's names too), lower case; the first of a
// level is the one app.log writes.
constexpr std::pair<std::string_view, spdlog::level::level_enum> kLevelNames[] = {
    {"trace", spdlog::level::trace},       {"debug", spdlog::level::debug},
    {"info", spdlog::level::info},         {"notice", spdlog::level::info},
    {"warning", spdlog::level::warn},      {"warn", spdlog::level::warn},
    {"error", spdlog::level::err},         {"err", spdlog::level::err},
    {"critical", spdlog::level::critical}, {"crit", spdlog::level::critical},
    {"alert", spdlog::level::critical},    {"emerg", spdlog::level::critical},
    {"off", spdlog::level::off},           {"none", spdlog::level::off},
    {"off", spdlog::level::n_levels},  // not a level: said as "off"
};

std::string_view LevelName(spdlog::level::level_enum level) {
  for (const auto& [name, value] : kLevelNames) {
    if (value == level) return name;
  }
  return "info";
}

}  // namespace

std::optional<spdlog::level::level_enum> ParseLogLevel(std::string_view name) {
  std::string n;
  for (char c : name) n += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (n.starts_with("log_")) n = n.substr(4);
  for (const auto& [alias, level] : kLevelNames) {
    if (alias == n) return level;
  }
  return std::nullopt;
}

AppLog::AppLog(std::shared_ptr<spdlog::logger> logger, std::filesystem::path file)
    : logger_(std::move(logger)), file_(std::move(file)) {}

AppLog::~AppLog() {
  if (logger_) logger_->flush();
}

resilience::Result<std::unique_ptr<AppLog>> AppLog::Open(const LogOptions& options) {
  std::error_code ec;
  fs::create_directories(options.file.parent_path(), ec);
  if (ec) {
    return Error(
        ErrorKind::kInternal, "LogOpenFailed",
        "cannot create log directory " + options.file.parent_path().string() + ": " + ec.message());
  }
  auto file = std::make_shared<SharedFileSink>(options.file, options.max_bytes,
                                               options.max_files < 1 ? 1 : options.max_files);
  if (resilience::Status s = file->OpenFile(); !s.ok()) return s.error();
  std::vector<spdlog::sink_ptr> sinks{file};
  if (options.echo_to_stderr) sinks.push_back(std::make_shared<spdlog::sinks::stderr_sink_mt>());
  auto logger = std::make_shared<spdlog::logger>("ohfp", sinks.begin(), sinks.end());
  logger->set_pattern("%v");
  logger->set_level(options.level);
  logger->flush_on(spdlog::level::trace);
  return std::unique_ptr<AppLog>(new AppLog(std::move(logger), options.file));
}

std::unique_ptr<AppLog> AppLog::Null() {
  auto logger = std::make_shared<spdlog::logger>("ohfp-null");
  logger->set_level(spdlog::level::off);
  return std::unique_ptr<AppLog>(new AppLog(std::move(logger), {}));
}

bool AppLog::ShouldLog(spdlog::level::level_enum level) const { return logger_->should_log(level); }

void AppLog::Log(spdlog::level::level_enum level, std::string_view message,
                 const nlohmann::json& fields) {
  if (!logger_->should_log(level)) return;
  nlohmann::ordered_json line;  // time, level, pid and message lead every line
  line["time"] = IsoTime(std::chrono::system_clock::now());
  line["level"] = LevelName(level);
  line["pid"] = static_cast<long>(::getpid());
  line["message"] = message;
  if (fields.is_object()) {
    for (auto it = fields.begin(); it != fields.end(); ++it) line[it.key()] = it.value();
  }
  logger_->log(level, "{}", line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

void AppLog::Flush() { logger_->flush(); }

}  // namespace ohfp::logging
