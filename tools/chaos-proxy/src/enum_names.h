// tools/chaos-proxy/src/enum_names.h
//
// How the chaos proxy names its enums in rules files and statistics: one constexpr array of names
// per enum, indexed by the enum's value, and the two lookups over it.
//
// Thread-safety: constexpr data and stateless functions.
//
// Example:
//   enum class Color { kRed, kBlue };
//   constexpr std::array<std::string_view, 2> kColorNames = {"red", "blue"};
//   std::string_view n = NameOf(kColorNames, Color::kBlue);        // "blue"
//   std::optional<Color> c = FromName<Color>(kColorNames, "red");  // Color::kRed
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string_view>

namespace ohfp::chaos_proxy {

// `value`'s name; `value` is one of the enum's values (names has one per value).
template <class Enum, std::size_t N>
constexpr std::string_view NameOf(const std::array<std::string_view, N>& names,
                                  Enum value) noexcept {
  return names[static_cast<std::size_t>(value)];
}

// The value named `name`; nullopt when none is.
template <class Enum, std::size_t N>
constexpr std::optional<Enum> FromName(const std::array<std::string_view, N>& names,
                                       std::string_view name) noexcept {
  for (std::size_t i = 0; i < N; ++i) {
    if (names[i] == name) return static_cast<Enum>(i);
  }
  return std::nullopt;
}

}  // namespace ohfp::chaos_proxy
