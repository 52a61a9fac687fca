#include "aws/query_params.h"

#include <cassert>
#include <chrono>
#include <cmath>
#include <cstdio>

#include "base/time_text.h"

namespace ohfp::aws {
namespace {

bool IsUnreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.' || c == '~';
}

enum class Space { kPercent20, kPlus };

void AppendEncoded(std::string& out, std::string_view text, Space space = Space::kPercent20) {
  constexpr char kHex[] = "0123456789ABCDEF";
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (IsUnreserved(c)) {
      out.push_back(ch);
    } else if (c == ' ' && space == Space::kPlus) {
      out.push_back('+');
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0x0F]);
    }
  }
}

std::string IndexedKey(std::string_view name, std::string_view infix, std::size_t position) {
  assert(position >= 1 && "list positions are 1-based");
  std::string key;
  key.reserve(name.size() + infix.size() + 8);
  key.append(name).append(infix).append(std::to_string(position));
  return key;
}

}  // namespace

std::string PercentEncode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  AppendEncoded(out, text);
  return out;
}

QueryParams& QueryParams::AddString(std::string_view name, std::string_view value) {
  assert(!name.empty());
  assert(!Find(name).has_value() && "parameter added twice");
  entries_.emplace_back(std::string(name), std::string(value));
  return *this;
}

QueryParams& QueryParams::AddBool(std::string_view name, bool value) {
  return AddString(name, value ? "true" : "false");
}

QueryParams& QueryParams::AddDouble(std::string_view name, double value) {
  if (std::isnan(value)) return AddString(name, "NaN");
  if (std::isinf(value)) return AddString(name, value > 0 ? "Infinity" : "-Infinity");
  char buffer[32];  // the longest shortest-form double is 24 characters
  const std::to_chars_result result = std::to_chars(buffer, buffer + sizeof buffer, value);
  return AddString(name, std::string_view(buffer, static_cast<std::size_t>(result.ptr - buffer)));
}

QueryParams& QueryParams::AddTimestamp(std::string_view name, resilience::SysTime time) {
  return AddString(name, base::FormatIso8601(time, base::Fraction::kMillisIfAny));
}

QueryParams& QueryParams::AddFlatList(std::string_view name, std::span<const std::string> values) {
  for (std::size_t i = 0; i < values.size(); ++i) AddString(FlatKey(name, i + 1), values[i]);
  return *this;
}

QueryParams& QueryParams::AddMemberList(std::string_view name,
                                        std::span<const std::string> values) {
  for (std::size_t i = 0; i < values.size(); ++i) AddString(MemberKey(name, i + 1), values[i]);
  return *this;
}

QueryParams& QueryParams::AddEntryMap(std::string_view name, std::span<const Entry> entries) {
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const std::string prefix = EntryKey(name, i + 1);
    AddString(prefix + ".key", entries[i].first);
    AddString(prefix + ".value", entries[i].second);
  }
  return *this;
}

QueryParams& QueryParams::AddEmptyList(std::string_view name) { return AddString(name, ""); }

std::string QueryParams::FlatKey(std::string_view name, std::size_t position) {
  return IndexedKey(name, ".", position);
}

std::string QueryParams::MemberKey(std::string_view name, std::size_t position) {
  return IndexedKey(name, ".member.", position);
}

std::string QueryParams::EntryKey(std::string_view name, std::size_t position) {
  return IndexedKey(name, ".entry.", position);
}

std::string FormEncode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  AppendEncoded(out, text, Space::kPlus);
  return out;
}

std::string QueryParams::EncodeForm(std::string_view action, std::string_view version) const {
  std::string body = "Action=";
  AppendEncoded(body, action, Space::kPlus);
  body.append("&Version=");
  AppendEncoded(body, version, Space::kPlus);
  for (const auto& [name, value] : entries_) {
    body.push_back('&');
    AppendEncoded(body, name, Space::kPlus);
    body.push_back('=');
    AppendEncoded(body, value, Space::kPlus);
  }
  return body;
}

std::optional<std::string_view> QueryParams::Find(std::string_view name) const {
  for (const auto& [key, value] : entries_) {
    if (key == name) return std::string_view(value);
  }
  return std::nullopt;
}

}  // namespace ohfp::aws
