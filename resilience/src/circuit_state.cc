#include "ohfp/resilience/circuit_state.h"

#include <array>

namespace ohfp::resilience {
namespace {
constexpr std::array<std::string_view, 3> kStateNames = {"closed", "open", "half_open"};
constexpr std::array<std::string_view, 3> kOverrideNames = {"none", "forced_open", "forced_closed"};

template <class E, std::size_t N>
std::optional<E> FromName(const std::array<std::string_view, N>& names,
                          std::string_view name) noexcept {
  for (std::size_t i = 0; i < N; ++i) {
    if (names[i] == name) return static_cast<E>(i);
  }
  return std::nullopt;
}
}  // namespace

std::string_view CircuitStateName(CircuitState state) noexcept {
  return kStateNames[static_cast<std::size_t>(state)];
}
std::optional<CircuitState> CircuitStateFromName(std::string_view name) noexcept {
  return FromName<CircuitState>(kStateNames, name);
}
std::string_view CircuitOverrideName(CircuitOverride mode) noexcept {
  return kOverrideNames[static_cast<std::size_t>(mode)];
}
std::optional<CircuitOverride> CircuitOverrideFromName(std::string_view name) noexcept {
  return FromName<CircuitOverride>(kOverrideNames, name);
}

}  // namespace ohfp::resilience
