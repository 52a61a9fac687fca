#include "base/time_text.h"

#include <array>
#include <charconv>
#include <cstdint>
#include <limits>

#include "base/strings.h"

namespace ohfp::base {
namespace {

using resilience::SysTime;

void AppendPadded(std::string& out, long long value, int width) {
  std::array<char, 24> buffer{};
  const auto [end, ec] = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
  static_cast<void>(ec);  // 24 characters hold any long long
  for (auto i = static_cast<int>(end - buffer.data()); i < width; ++i) out += '0';
  out.append(buffer.data(), end);
}

// The calendar fields of `time`, UTC, and its milliseconds.
struct Fields {
  std::chrono::year_month_day date;
  std::chrono::hh_mm_ss<std::chrono::milliseconds> clock;
};

Fields FieldsOf(SysTime time) {
  using namespace std::chrono;
  const auto millis = floor<milliseconds>(time);
  const auto day = floor<days>(millis);
  return {year_month_day{day}, hh_mm_ss<milliseconds>{millis - day}};
}

// "YYYY<sep>MM<sep>DDThh<sep>mm<sep>ss" with `date_separator` and `time_separator` (none when 0).
std::string DateTime(const Fields& f, char date_separator, char time_separator) {
  std::string out;
  out.reserve(32);
  AppendPadded(out, static_cast<int>(f.date.year()), 4);
  if (date_separator != 0) out += date_separator;
  AppendPadded(out, static_cast<unsigned>(f.date.month()), 2);
  if (date_separator != 0) out += date_separator;
  AppendPadded(out, static_cast<unsigned>(f.date.day()), 2);
  out += 'T';
  AppendPadded(out, f.clock.hours().count(), 2);
  if (time_separator != 0) out += time_separator;
  AppendPadded(out, f.clock.minutes().count(), 2);
  if (time_separator != 0) out += time_separator;
  AppendPadded(out, f.clock.seconds().count(), 2);
  return out;
}

// Reads exactly `count` digits at `pos`.
bool ReadDigits(std::string_view text, std::size_t& pos, std::size_t count, int& value) {
  if (pos + count > text.size()) return false;
  value = 0;
  for (std::size_t i = 0; i < count; ++i) {
    const char c = text[pos + i];
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  pos += count;
  return true;
}

bool Expect(std::string_view text, std::size_t& pos, char c) {
  if (pos >= text.size() || text[pos] != c) return false;
  ++pos;
  return true;
}

// Reads ".ddd..." at `pos` (if present) as nanoseconds; digits beyond the ninth are ignored.
bool ReadFraction(std::string_view text, std::size_t& pos, std::chrono::nanoseconds& fraction) {
  fraction = std::chrono::nanoseconds(0);
  if (pos >= text.size() || text[pos] != '.') return true;
  ++pos;
  std::int64_t nanos = 0;
  std::size_t digits = 0;
  while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
    if (digits < 9) nanos = nanos * 10 + (text[pos] - '0');
    ++digits;
    ++pos;
  }
  if (digits == 0) return false;
  for (std::size_t i = digits; i < 9; ++i) nanos *= 10;
  fraction = std::chrono::nanoseconds(nanos);
  return true;
}

// Reads "Z", "+hh:mm", "-hhmm" or nothing at `pos` as the offset from UTC.
bool ReadZone(std::string_view text, std::size_t& pos, std::chrono::minutes& offset) {
  offset = std::chrono::minutes(0);
  if (pos < text.size() && (text[pos] == 'Z' || text[pos] == 'z')) {
    ++pos;
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    const int sign = text[pos] == '-' ? -1 : 1;
    ++pos;
    int offset_hours = 0;
    int offset_minutes = 0;
    if (!ReadDigits(text, pos, 2, offset_hours)) return false;
    if (pos < text.size() && text[pos] == ':') ++pos;
    if (!ReadDigits(text, pos, 2, offset_minutes) || offset_hours > 23 || offset_minutes > 59) {
      return false;
    }
    offset = std::chrono::minutes(sign * (offset_hours * 60 + offset_minutes));
  }
  return true;
}

}  // namespace

std::string FormatIso8601(SysTime time, Fraction fraction) {
  const Fields f = FieldsOf(time);
  std::string out = DateTime(f, '-', ':');
  const long long millis = f.clock.subseconds().count();
  if (fraction == Fraction::kMillis || (fraction == Fraction::kMillisIfAny && millis != 0)) {
    out += '.';
    AppendPadded(out, millis, 3);
  }
  out += 'Z';
  return out;
}

std::string FormatIso8601Basic(SysTime time) { return DateTime(FieldsOf(time), 0, 0) + 'Z'; }

std::optional<SysTime> UtcTime(int year, int month, int day, int hour, int minute, int second,
                               std::chrono::nanoseconds fraction) {
  const std::chrono::year_month_day date{std::chrono::year(year),
                                         std::chrono::month(static_cast<unsigned>(month)),
                                         std::chrono::day(static_cast<unsigned>(day))};
  if (!date.ok() || year < 1900 || year > 2200 || hour < 0 || hour > 23 || minute < 0 ||
      minute > 59 || second < 0 || second > 60) {
    return std::nullopt;
  }
  return SysTime(std::chrono::sys_days(date)) + std::chrono::hours(hour) +
         std::chrono::minutes(minute) + std::chrono::seconds(second) + fraction;
}

std::optional<SysTime> ParseIso8601(std::string_view text) {
  std::size_t pos = 0;
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!ReadDigits(text, pos, 4, year) || !Expect(text, pos, '-') ||
      !ReadDigits(text, pos, 2, month) || !Expect(text, pos, '-') ||
      !ReadDigits(text, pos, 2, day)) {
    return std::nullopt;
  }
  if (pos >= text.size() || (text[pos] != 'T' && text[pos] != 't' && text[pos] != ' ')) {
    return std::nullopt;
  }
  ++pos;
  std::chrono::nanoseconds fraction{};
  std::chrono::minutes offset{};
  if (!ReadDigits(text, pos, 2, hour) || !Expect(text, pos, ':') ||
      !ReadDigits(text, pos, 2, minute) || !Expect(text, pos, ':') ||
      !ReadDigits(text, pos, 2, second) || !ReadFraction(text, pos, fraction) ||
      !ReadZone(text, pos, offset) || pos != text.size()) {
    return std::nullopt;
  }
  std::optional<SysTime> local = UtcTime(year, month, day, hour, minute, second, fraction);
  if (!local) return std::nullopt;
  return *local - offset;
}

std::optional<SysTime> ParseHttpDate(std::string_view text) {
  constexpr std::string_view kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::size_t pos = 0;
  if (const std::size_t comma = text.find(','); comma != std::string_view::npos) {
    pos = comma + 1;
    while (pos < text.size() && text[pos] == ' ') ++pos;
  }
  int day = 0, year = 0, hour = 0, minute = 0, second = 0, month = 0;
  if (!ReadDigits(text, pos, 2, day) || !Expect(text, pos, ' ') || pos + 3 > text.size()) {
    return std::nullopt;
  }
  for (int i = 0; i < 12; ++i) {
    if (EqualsIgnoringCase(text.substr(pos, 3), kMonths[i])) month = i + 1;
  }
  pos += 3;
  if (month == 0 || !Expect(text, pos, ' ') || !ReadDigits(text, pos, 4, year) ||
      !Expect(text, pos, ' ') || !ReadDigits(text, pos, 2, hour) || !Expect(text, pos, ':') ||
      !ReadDigits(text, pos, 2, minute) || !Expect(text, pos, ':') ||
      !ReadDigits(text, pos, 2, second) || !Expect(text, pos, ' ')) {
    return std::nullopt;
  }
  const std::string_view zone = text.substr(pos);
  if (zone != "GMT" && zone != "UTC") return std::nullopt;
  return UtcTime(year, month, day, hour, minute, second);
}

std::optional<SysTime> ParseEpochSeconds(std::string_view text) {
  std::size_t pos = 0;
  const bool negative = !text.empty() && text.front() == '-';
  if (negative) ++pos;
  const std::size_t digits_start = pos;
  while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') ++pos;
  std::int64_t seconds = 0;
  const std::from_chars_result whole =
      std::from_chars(text.data() + digits_start, text.data() + pos, seconds);
  if (pos == digits_start || whole.ec != std::errc() || whole.ptr != text.data() + pos) {
    return std::nullopt;
  }
  std::chrono::nanoseconds fraction{};
  if (!ReadFraction(text, pos, fraction) || pos != text.size()) return std::nullopt;
  // Keep the result inside SysTime's range (about +-292 years around 1970).
  constexpr std::int64_t kMaxSeconds = std::numeric_limits<std::int64_t>::max() / 1'000'000'000 - 1;
  if (seconds > kMaxSeconds) return std::nullopt;
  const std::chrono::nanoseconds since_epoch = std::chrono::seconds(seconds) + fraction;
  return SysTime(negative ? -since_epoch : since_epoch);
}

}  // namespace ohfp::base
