// model/names.h
//
// The one table-driven way the model maps its enums to their wire names and back: a constexpr
// array of {value, name} pairs per enum, and two lookups. Used by the model's *Name() and
// *FromName() functions; not part of the model's interface.
//
// Thread-safety: constexpr data and stateless functions.
//
// Example:
//   constexpr NameTable<Color, 2> kColors = {{{Color::kRed, "red"}, {Color::kBlue, "blue"}}};
//   std::string_view n = NameOf(kColors, Color::kRed, "red");     // "red"
//   std::optional<Color> c = ValueOf(kColors, "blue");            // Color::kBlue
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string_view>

namespace ohfp::model::internal {

template <class Enum>
struct Named {
  Enum value;
  std::string_view name;
};

template <class Enum, std::size_t N>
using NameTable = std::array<Named<Enum>, N>;

template <class Enum, std::size_t N>
constexpr std::string_view NameOf(const NameTable<Enum, N>& table, Enum value,
                                  std::string_view fallback) noexcept {
  for (const Named<Enum>& n : table) {
    if (n.value == value) return n.name;
  }
  return fallback;
}

template <class Enum, std::size_t N>
constexpr std::optional<Enum> ValueOf(const NameTable<Enum, N>& table,
                                      std::string_view name) noexcept {
  for (const Named<Enum>& n : table) {
    if (n.name == name) return n.value;
  }
  return std::nullopt;
}

}  // namespace ohfp::model::internal
