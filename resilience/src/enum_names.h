// The library's way to name its enums: a constexpr array of names indexed by the enumerator's
// value, and the two lookups over it. Internal.
//
// Thread-safety: constexpr data and stateless functions.
//
// Example:
//   constexpr std::array<std::string_view, 2> kColors = {"red", "blue"};   // Color::kRed, kBlue
//   internal::NameOf(kColors, Color::kBlue);                // "blue"
//   internal::ValueOf<Color>(kColors, "red");               // Color::kRed
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string_view>

namespace ohfp::resilience::internal {

template <class Enum, std::size_t N>
constexpr std::string_view NameOf(const std::array<std::string_view, N>& names,
                                  Enum value) noexcept {
  return names[static_cast<std::size_t>(value)];
}

template <class Enum, std::size_t N>
constexpr std::optional<Enum> ValueOf(const std::array<std::string_view, N>& names,
                                      std::string_view name) noexcept {
  for (std::size_t i = 0; i < N; ++i) {
    if (names[i] == name) return static_cast<Enum>(i);
  }
  return std::nullopt;
}

}  // namespace ohfp::resilience::internal
