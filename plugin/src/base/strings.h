// base/strings.h
//
// The string helpers the plugin shares: trimming, case-insensitive comparison, joining, quoting
// for messages, and numbers written the way a user wrote them. One of each, for every layer.
//
// Thread-safety: stateless functions.
//
// Example:
//   Trim("  a=b ")                      // "a=b"
//   EqualsIgnoringCase("Spot", "spot")  // true
//   Join({"a", "", "b"}, ", ")          // "a, b" (empty parts are skipped)
//   FormatNumber(1.5)                   // "1.5"; FormatNumber(2) is "2"
//   IsIpv4Address("10.1.7.157")         // true
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace ohfp::base {

std::string_view Trim(std::string_view s) noexcept;
bool EqualsIgnoringCase(std::string_view a, std::string_view b) noexcept;
// `s` with ASCII letters in lower case.
std::string AsciiLower(std::string_view s);
// A dotted-quad IPv4 address: four decimal numbers 0-255, no leading zeros ("10.1.7.157").
bool IsIpv4Address(std::string_view s) noexcept;
// The non-empty parts, separated by `separator`.
std::string Join(const std::vector<std::string>& parts, std::string_view separator);
// As a JSON string literal: "\"it\\\"s\"", for messages that quote what a user wrote.
std::string Quoted(std::string_view s);
// "a, b or c".
std::string OneOf(const std::vector<std::string_view>& names);
// The shortest decimal form that reads back the same: 2, 1.5, 0.25.
std::string FormatNumber(double value);

}  // namespace ohfp::base
