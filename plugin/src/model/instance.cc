#include "model/instance.h"

#include "model/names.h"

namespace ohfp::model {
namespace {

constexpr internal::NameTable<InstanceState, 6> kStates = {
    {{InstanceState::kPending, "pending"},
     {InstanceState::kRunning, "running"},
     {InstanceState::kShuttingDown, "shutting-down"},
     {InstanceState::kTerminated, "terminated"},
     {InstanceState::kStopping, "stopping"},
     {InstanceState::kStopped, "stopped"}}};

}  // namespace

std::string_view InstanceStateName(InstanceState state) noexcept {
  return internal::NameOf(kStates, state, "");
}

InstanceState InstanceStateFromName(std::string_view name) noexcept {
  return internal::ValueOf(kStates, name).value_or(InstanceState::kUnknown);
}

}  // namespace ohfp::model
