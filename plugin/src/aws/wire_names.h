// aws/wire_names.h
//
// AWS's spelling of the aws layer's enumerations ("on-demand", "lowestPrice", "SampleCount"): one
// constexpr list of names per enumeration, in the order its values are declared, read both ways: a
// value's name for a request, a name's value when parsing an answer. An enumeration's kUnknown is
// declared last and has no name in the list (AWS never sends "unknown"). (The model layer, above
// this one, keeps its own enumerations' names in model/names.h.)
//
// Thread-safety: constexpr data and stateless functions.
//
// Example:
//   enum class FleetType { kInstant, kRequest, kMaintain };
//   constexpr auto kTypes = WireNamesOf<FleetType>("instant", "request", "maintain");
//   std::string_view n = NameIn(kTypes, FleetType::kRequest);    // "request"
//   std::optional<FleetType> t = ValueIn(kTypes, "maintain");     // FleetType::kMaintain
//   std::optional<FleetType> u = ValueIn(kTypes, "burst");        // nullopt: not a name in the
//   list
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <optional>
#include <string_view>

namespace ohfp::aws {

template <class Enum, std::size_t N>
struct WireNames {
  std::array<std::string_view, N> names;  // names[i]: the value static_cast<Enum>(i)
};

// The names of Enum's values, the first value's first.
template <class Enum, class... Names>
constexpr WireNames<Enum, sizeof...(Names)> WireNamesOf(Names... names) {
  return {{std::string_view(names)...}};
}

// The name of `value`; `fallback` for a value past the list (an enumeration's kUnknown).
template <class Enum, std::size_t N>
constexpr std::string_view NameIn(const WireNames<Enum, N>& table, Enum value,
                                  std::string_view fallback = "unknown") noexcept {
  const auto index = static_cast<std::size_t>(value);
  return index < N ? table.names[index] : fallback;
}

// The value named `name`; nullopt for a name the list does not have (a value AWS added later, or
// "unknown").
template <class Enum, std::size_t N>
constexpr std::optional<Enum> ValueIn(const WireNames<Enum, N>& table,
                                      std::string_view name) noexcept {
  const auto found = std::find(table.names.begin(), table.names.end(), name);
  if (found == table.names.end()) return std::nullopt;
  return static_cast<Enum>(found - table.names.begin());
}

}  // namespace ohfp::aws
