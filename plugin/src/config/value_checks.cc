#include "config/value_checks.h"

#include <cctype>
#include <charconv>
#include <limits>
#include <system_error>

#include "aws/endpoints.h"

namespace ohfp::config::internal {
namespace {

constexpr std::size_t kMaxTagKey = 128;
constexpr std::size_t kMaxTagValue = 256;
constexpr std::size_t kMaxNamespace = 255;

}  // namespace

// A JSON string literal for messages; bytes that are not UTF-8 (environment values may hold any)
// become U+FFFD.
std::string Quoted(std::string_view s) {
  return nlohmann::json(std::string(s))
      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// Whether nlohmann::json can write `s` (strict UTF-8): an environment value may hold any bytes.
bool IsValidUtf8(std::string_view s) {
  try {
    (void)nlohmann::json(std::string(s)).dump();
    return true;
  } catch (const nlohmann::json::type_error&) {
    return false;
  }
}

// ---- Log levels ----

// The canonical name of a log level, accepting what logging::ParseLogLevel accepts (plain names and
// HostFactory's LOG_* names, any case). Duplicated from logging/app_log.cc on purpose: ohfp_config
// must not depend on ohfp_logging. Keep the two lists in step (plugin_config_test.cc checks every
// name).
std::optional<std::string_view> CanonicalLogLevel(std::string_view name) {
  std::string n;
  for (char c : name) n += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (n.starts_with("log_")) n.erase(0, 4);
  if (n == "trace") return "trace";
  if (n == "debug") return "debug";
  if (n == "info" || n == "notice") return "info";
  if (n == "warning" || n == "warn") return "warning";
  if (n == "err" || n == "error") return "error";
  if (n == "crit" || n == "critical" || n == "alert" || n == "emerg") return "critical";
  if (n == "off" || n == "none") return "off";
  return std::nullopt;
}

std::optional<std::string> SetLogLevel(LoggingConfig& logging, const std::string& text) {
  if (std::optional<std::string_view> level = CanonicalLogLevel(text)) {
    logging.level = std::string(*level);
    return std::nullopt;
  }
  return "must be a log level (trace, debug, info, warning, error, critical, off, or HostFactory's "
         "LOG_DEBUG, "
         "LOG_INFO, LOG_WARNING, LOG_ERR, ...), got " +
         Quoted(text);
}

// ---- Value checks: each returns the problem's message, or nullopt when the value is fine ----

std::optional<std::string> RangeProblem(std::int64_t value, std::int64_t min, std::int64_t max) {
  if (value >= min && value <= max) return std::nullopt;
  return "must be between " + std::to_string(min) + " and " + std::to_string(max) + ", got " +
         std::to_string(value);
}

std::optional<std::string> RegionProblem(std::string_view region) {
  if (resilience::Status s = aws::ValidateRegion(region); !s.ok())
    return std::string(s.error().message());
  return std::nullopt;
}

std::optional<std::string> UrlProblem(std::string_view url) {
  resilience::Result<aws::EndpointUrl> parsed = aws::ParseEndpointUrl(url, "");
  if (parsed.ok()) return std::nullopt;
  // The message reads "<source>='<url>' is not a valid endpoint URL: ..."; with an empty source it
  // starts at '='.
  std::string message(parsed.error().message());
  if (message.starts_with("=")) message.erase(0, 1);
  return message;
}

std::optional<std::string> ProxyHostProblem(std::string_view host) {
  for (char c : host) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte >= 0x7F) {
      return "must be a host name or URL without spaces or control characters, got " + Quoted(host);
    }
  }
  const std::size_t scheme_end = host.find("://");
  if (scheme_end != std::string_view::npos) {
    std::string scheme;
    for (char c : host.substr(0, scheme_end)) {
      scheme += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    if (scheme != "http") {
      return "must be an http:// proxy (HTTPS requests pass through it in a CONNECT tunnel), got " +
             Quoted(host);
    }
  }
  return std::nullopt;
}

std::optional<std::string> TagProblem(std::string_view key, std::string_view value) {
  if (key.empty()) return "a tag key must not be empty";
  if (key.size() > kMaxTagKey) return "a tag key has at most 128 characters";
  std::string lower;
  for (char c : key.substr(0, 4))
    lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower == "aws:") return "tag keys starting with \"aws:\" are reserved by AWS";
  if (value.size() > kMaxTagValue) return "a tag value has at most 256 characters";
  return std::nullopt;
}

std::optional<std::string> NamespaceProblem(std::string_view ns) {
  if (ns.empty()) return "must not be empty";
  if (ns.size() > kMaxNamespace) return "has at most 255 characters";
  if (ns.starts_with("AWS/")) return "must not start with \"AWS/\" (reserved for AWS services)";
  for (char c : ns) {
    const bool ok = std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '-' ||
                    c == '_' || c == '/' || c == '#' || c == ':' || c == ' ';
    if (!ok) {
      return "may hold letters, digits and . - _ / # : space only, got " + Quoted(ns);
    }
  }
  return std::nullopt;
}

// A whole decimal number (an environment value, or an IBM key written as a string); nullopt
// otherwise.
std::optional<std::int64_t> ParseInteger(std::string_view text) {
  std::int64_t value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end) return std::nullopt;
  return value;
}

// A JSON integer, or a problem ("must be an integer", out of range).
std::optional<std::int64_t> IntegerFromJson(const nlohmann::json& v, std::int64_t min,
                                            std::int64_t max, std::string& problem) {
  if (!v.is_number_integer()) {
    problem = "must be an integer, got " + JsonTypeName(v);
    return std::nullopt;
  }
  if (v.is_number_unsigned() &&
      v.get<std::uint64_t>() >
          static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    problem = "must be between " + std::to_string(min) + " and " + std::to_string(max) + ", got " +
              v.dump();
    return std::nullopt;
  }
  const auto n = v.get<std::int64_t>();
  if (std::optional<std::string> p = RangeProblem(n, min, max)) {
    problem = *p;
    return std::nullopt;
  }
  return n;
}

// Reads integer `key` of `r` within [min, max]; nullopt when absent or bad (the problem is
// reported).
std::optional<std::int64_t> ReadInteger(ObjectReader& r, std::string_view key, std::int64_t min,
                                        std::int64_t max) {
  const nlohmann::json* v = r.Raw(key);
  if (v == nullptr) return std::nullopt;
  std::string problem;
  std::optional<std::int64_t> n = IntegerFromJson(*v, min, max, problem);
  if (!n) r.Problem(key, problem);
  return n;
}

// A string key that must hold a non-empty value when present.
void ReadNonEmptyString(ObjectReader& r, std::string_view key, std::string& out) {
  std::optional<std::string> value;
  r.String(key, value);
  if (!value) return;
  if (value->empty()) return r.Problem(key, "must not be empty");
  out = std::move(*value);
}

}  // namespace ohfp::config::internal
