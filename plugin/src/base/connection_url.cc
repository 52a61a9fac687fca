#include "base/connection_url.h"

namespace ohfp::base {
namespace {

// Replaces the value after each `key` (at the start, or after '?', '&' or ' ') up to the first of
// `stops` with "***".
void RedactAfter(std::string& text, std::string_view key, std::string_view stops) {
  for (std::size_t at = text.find(key); at != std::string::npos; at = text.find(key, at + 1)) {
    if (at != 0 && text[at - 1] != '?' && text[at - 1] != '&' && text[at - 1] != ' ') continue;
    const std::size_t start = at + key.size();
    std::size_t end = text.find_first_of(stops, start);
    if (end == std::string::npos) end = text.size();
    text.replace(start, end - start, "***");
  }
}

}  // namespace

std::string RedactConnectionUrl(std::string_view url) {
  std::string text(url);
  const std::size_t scheme = text.find("://");
  if (scheme != std::string::npos) {
    const std::size_t authority = scheme + 3;
    const std::size_t end = text.find_first_of("/?", authority);
    const std::size_t at = text.rfind('@', end == std::string::npos ? text.size() : end);
    if (at != std::string::npos && at > authority) {
      const std::size_t colon = text.find(':', authority);
      if (colon != std::string::npos && colon < at) text.replace(colon + 1, at - colon - 1, "***");
    }
  }
  RedactAfter(text, "password=", "& ");
  return text;
}

bool IsPostgresUrl(std::string_view url) {
  return url.starts_with("postgresql://") || url.starts_with("postgres://");
}

bool ValidSchemaName(std::string_view name) {
  if (name.empty() || name.size() > 63) return false;
  if (!(name[0] == '_' || (name[0] >= 'a' && name[0] <= 'z'))) return false;
  for (char c : name) {
    if (!(c == '_' || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) return false;
  }
  return true;
}

}  // namespace ohfp::base
