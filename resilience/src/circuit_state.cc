#include "ohfp/resilience/circuit_state.h"

#include <array>

#include "enum_names.h"

namespace ohfp::resilience {
namespace {
constexpr std::array<std::string_view, 3> kStateNames = {"closed", "open", "half_open"};
constexpr std::array<std::string_view, 3> kOverrideNames = {"none", "forced_open", "forced_closed"};
}  // namespace

std::string_view CircuitStateName(CircuitState state) noexcept {
  return internal::NameOf(kStateNames, state);
}
std::optional<CircuitState> CircuitStateFromName(std::string_view name) noexcept {
  return internal::ValueOf<CircuitState>(kStateNames, name);
}
std::string_view CircuitOverrideName(CircuitOverride mode) noexcept {
  return internal::NameOf(kOverrideNames, mode);
}
std::optional<CircuitOverride> CircuitOverrideFromName(std::string_view name) noexcept {
  return internal::ValueOf<CircuitOverride>(kOverrideNames, name);
}

}  // namespace ohfp::resilience
