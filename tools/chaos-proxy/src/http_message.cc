#include "ohfp/chaos_proxy/http_message.h"

#include <algorithm>

namespace ohfp::chaos_proxy {
namespace {

char LowerAscii(char c) noexcept {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

}  // namespace

bool EqualsIgnoreCase(std::string_view a, std::string_view b) noexcept {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return LowerAscii(x) == LowerAscii(y);
         });
}

std::optional<std::string_view> FindHeader(const Headers& headers, std::string_view name) {
  for (const auto& [key, value] : headers) {
    if (EqualsIgnoreCase(key, name)) return std::string_view(value);
  }
  return std::nullopt;
}

std::size_t RemoveHeader(Headers& headers, std::string_view name) {
  const auto removed = std::erase_if(
      headers, [name](const Header& header) { return EqualsIgnoreCase(header.first, name); });
  return static_cast<std::size_t>(removed);
}

std::string_view TargetPath(std::string_view target) noexcept {
  const auto query = target.find('?');
  return query == std::string_view::npos ? target : target.substr(0, query);
}

std::string_view TargetQuery(std::string_view target) noexcept {
  const auto query = target.find('?');
  return query == std::string_view::npos ? std::string_view() : target.substr(query + 1);
}

}  // namespace ohfp::chaos_proxy
