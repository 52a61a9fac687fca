// aws/wire_names.h
//
// AWS's spelling of the aws layer's enumerations ("on-demand", "lowestPrice", "SampleCount"), one
// constexpr table of {value, name} pairs per enumeration, read both ways: a value's name for a
// request, a name's value when parsing an answer. (The model layer, above this one, keeps its own
// enumerations' names in model/names.h.)
//
// Thread-safety: constexpr data and stateless functions.
//
// Example:
//   constexpr auto kTypes = WireNamesOf<FleetType>({{FleetType::kRequest, "request"},
//                                                    {FleetType::kMaintain, "maintain"}});
//   std::string_view n = NameIn(kTypes, FleetType::kRequest);    // "request"
//   std::optional<FleetType> t = ValueIn(kTypes, "maintain");     // FleetType::kMaintain
//   std::optional<FleetType> u = ValueIn(kTypes, "instant");      // nullopt: not in the table
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <optional>
#include <string_view>
#include <utility>

namespace ohfp::aws {

template <class Enum>
using NamedValue = std::pair<Enum, std::string_view>;

template <class Enum, std::size_t N>
using WireNames = std::array<NamedValue<Enum>, N>;

// The table of `entries`, its size counted by the compiler.
template <class Enum, std::size_t N>
constexpr WireNames<Enum, N> WireNamesOf(NamedValue<Enum> (&&entries)[N]) {
  return std::to_array(std::move(entries));
}

// The name of `value`; `fallback` for a value the table leaves out (an enumeration's kUnknown).
template <class Enum, std::size_t N>
constexpr std::string_view NameIn(const WireNames<Enum, N>& table, Enum value,
                                  std::string_view fallback = "unknown") noexcept {
  const auto found = std::ranges::find(table, value, &NamedValue<Enum>::first);
  return found == table.end() ? fallback : found->second;
}

// The value named `name`; nullopt for a name the table does not have (a value AWS added later, or
// "unknown").
template <class Enum, std::size_t N>
constexpr std::optional<Enum> ValueIn(const WireNames<Enum, N>& table,
                                      std::string_view name) noexcept {
  const auto found = std::ranges::find(table, name, &NamedValue<Enum>::second);
  if (found == table.end()) return std::nullopt;
  return found->first;
}

}  // namespace ohfp::aws
