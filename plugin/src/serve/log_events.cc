#include "serve/log_events.h"

#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <fstream>

#include "app/operator_actions.h"

namespace ohfp::serve {
namespace {

namespace fs = std::filesystem;
constexpr std::int64_t kMinuteMs = 60'000;

std::int64_t NowMillis(const resilience::Clock& clock) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(clock.SystemNow().time_since_epoch())
      .count();
}

std::string StringField(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// The kind the API gives a log line, "" for lines it does not keep.
std::string KindOf(const nlohmann::json& line, std::string_view event) {
  if (event == "circuit") return "breaker";
  if (event == "breaker_override" || event == "reconcile") return "operator";
  if (event == "retry") return "retry";
  if (event == "rejected") return "rejected";
  if (event == "timeout") return "timeout";
  if (event == "alert") return "alert";
  if (event == "result" && line.value("ok", true) == false) {
    return StringField(line, "error_kind") == "throttled" ? "throttle" : "error";
  }
  return "";
}

}  // namespace

std::optional<std::int64_t> ParseIsoMillis(std::string_view text) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0, ms = 0;
  char z = 0;
  const std::string copy(text.substr(0, 40));
  const bool with_ms = std::sscanf(copy.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d.%3d%c", &y, &mo, &d, &h,
                                   &mi, &s, &ms, &z) == 8;
  if (!with_ms) {
    ms = 0;
    if (std::sscanf(copy.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%c", &y, &mo, &d, &h, &mi, &s, &z) != 7) {
      return std::nullopt;
    }
  }
  if (z != 'Z' || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) {
    return std::nullopt;
  }
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  return static_cast<std::int64_t>(timegm(&tm)) * 1000 + ms;
}

LogEvents::LogEvents(LogEventsOptions options, resilience::Clock& clock)
    : options_(std::move(options)), clock_(clock) {}

void LogEvents::Refresh(bool force) {
  std::lock_guard lock(mu_);
  const resilience::MonoTime now = clock_.Now();
  if (!force && last_refresh_ && now - *last_refresh_ < options_.min_refresh_interval) return;
  last_refresh_ = now;
  struct stat current {};
  if (::stat(options_.file.c_str(), &current) != 0) return;  // no log yet
  const auto size = static_cast<std::uint64_t>(current.st_size);
  const auto inode = static_cast<std::uint64_t>(current.st_ino);
  const fs::path rotated = options_.file.string() + ".1";
  const std::uint64_t budget = options_.initial_bytes;
  if (!started_) {
    started_ = true;
    struct stat old {};
    if (size < budget && ::stat(rotated.c_str(), &old) == 0) {
      const auto old_size = static_cast<std::uint64_t>(old.st_size);
      const std::uint64_t room = budget - size;
      ReadFrom(rotated, old_size > room ? old_size - room : 0, old_size);
    }
    offset_ = size > budget ? size - budget : 0;
  } else if (inode != inode_) {
    // Rotated: the file followed so far is app.log.1 now; finish it first.
    struct stat old {};
    if (::stat(rotated.c_str(), &old) == 0 && static_cast<std::uint64_t>(old.st_ino) == inode_) {
      const auto old_size = static_cast<std::uint64_t>(old.st_size);
      ReadFrom(rotated, std::max(offset_, old_size > budget ? old_size - budget : 0), old_size);
    }
    offset_ = 0;
  }
  inode_ = inode;
  if (size < offset_) offset_ = 0;  // truncated
  if (size - offset_ > budget) offset_ = size - budget;
  ReadFrom(options_.file, offset_, size);
  Prune();
}

// Reads [from, to) of `file` and consumes its complete lines; a line cut by `from` (when `from`
// is not where a line starts) is skipped. For the followed file, offset_ moves past the last
// complete line.
void LogEvents::ReadFrom(const fs::path& file, std::uint64_t from, std::uint64_t to) {
  if (to <= from) return;
  std::ifstream in(file, std::ios::binary);
  if (!in) return;
  bool cut = false;
  if (from > 0) {
    in.seekg(static_cast<std::streamoff>(from - 1));
    cut = in.get() != '\n';
  }
  std::string text(to - from, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  std::size_t start = 0;
  if (cut) {
    const std::size_t nl = text.find('\n');
    start = nl == std::string::npos ? text.size() : nl + 1;
  }
  std::size_t consumed = start;
  for (std::size_t nl = text.find('\n', start); nl != std::string::npos;
       nl = text.find('\n', start)) {
    Consume(std::string_view(text).substr(start, nl - start));
    start = nl + 1;
    consumed = start;
  }
  if (file == options_.file) offset_ = from + consumed;
}

void LogEvents::Consume(std::string_view text) {
  nlohmann::json line = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!line.is_object()) return;
  const std::string event = StringField(line, "event");
  const std::optional<std::int64_t> at = ParseIsoMillis(StringField(line, "time"));
  if (event.empty() || !at) return;
  MinuteCounts& m = minutes_[*at / kMinuteMs];
  const std::string kind = KindOf(line, event);
  const bool throttled = StringField(line, "error_kind") == "throttled";
  if (event == "command") {
    ++m.commands;
    m.aws_calls += line.value("aws_calls", 0);
  } else if (kind == "retry") {
    ++m.retries;
    if (throttled) ++m.throttles;
  } else if (kind == "throttle") {
    ++m.throttles;
    ++m.errors;
  } else if (kind == "error") {
    ++m.errors;
  } else if (kind == "rejected") {
    ++m.rejections;
  } else if (kind == "breaker" && StringField(line, "to") == "open") {
    ++m.breaker_opens;
  }
  if (kind.empty()) return;
  nlohmann::ordered_json e;
  e["time"] = line["time"];
  e["kind"] = kind;
  if (kind == "retry") e["throttled"] = throttled;
  for (auto it = line.begin(); it != line.end(); ++it) {
    if (it.key() != "time") e[it.key()] = it.value();
  }
  events_.push_back(std::move(e));
  while (events_.size() > options_.max_events) events_.pop_front();
}

void LogEvents::Prune() {
  const std::int64_t oldest = NowMillis(clock_) / kMinuteMs - options_.keep.count();
  minutes_.erase(minutes_.begin(), minutes_.lower_bound(oldest));
}

nlohmann::ordered_json LogEvents::Recent(std::size_t limit, const std::set<std::string>& kinds) {
  Refresh();
  std::lock_guard lock(mu_);
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (auto it = events_.rbegin(); it != events_.rend() && out.size() < limit; ++it) {
    if (kinds.empty() || kinds.contains((*it)["kind"].get<std::string>())) out.push_back(*it);
  }
  return out;
}

nlohmann::ordered_json LogEvents::Timeline(std::chrono::minutes span) {
  Refresh();
  std::lock_guard lock(mu_);
  const std::int64_t last = NowMillis(clock_) / kMinuteMs;
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (std::int64_t minute = last - span.count() + 1; minute <= last; ++minute) {
    auto it = minutes_.find(minute);
    const MinuteCounts c = it == minutes_.end() ? MinuteCounts{} : it->second;
    out.push_back({{"time", app::IsoTime(std::chrono::system_clock::time_point(
                                std::chrono::milliseconds(minute * kMinuteMs)))},
                   {"commands", c.commands},
                   {"aws_calls", c.aws_calls},
                   {"errors", c.errors},
                   {"throttles", c.throttles},
                   {"retries", c.retries},
                   {"rejections", c.rejections},
                   {"breaker_opens", c.breaker_opens}});
  }
  return out;
}

}  // namespace ohfp::serve
