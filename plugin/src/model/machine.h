// model/machine.h
//
// A machine: an instance as HostFactory holds it through an acquire request, with the result
// HostFactory is told (executing, succeed, fail); and a machine of a return request.
//
// Thread-safety: value types and stateless functions.
//
// Example:
//   Machine m = NewMachine(request, instance.id, now);
//   Observe(m, instance);   // what the cloud says about it
//   if (m.result == MachineResult::kFail) { ... }
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "model/instance.h"
#include "model/request.h"
#include "model/time.h"

namespace ohfp::model {

enum class MachineResult { kExecuting, kSucceed, kFail };
std::string_view MachineResultName(MachineResult result) noexcept;  // executing, succeed, fail
std::optional<MachineResult> MachineResultFromName(std::string_view name) noexcept;

struct Machine {
  std::string instance_id{};
  std::string request_id{};
  std::string template_id{};
  std::string name{};  // the private DNS name HostFactory uses as the host name
  std::string private_ip{};
  std::string public_ip{};
  InstanceState state = InstanceState::kUnknown;  // as last seen
  MachineResult result = MachineResult::kExecuting;
  std::string message{};
  Lifecycle lifecycle = Lifecycle::kOnDemand;
  std::string spot_request_id{};
  std::optional<EpochSeconds> launch_time{};
  Timestamp created_at{};  // when ohfp first recorded it
  Timestamp updated_at{};
};

struct ReturnMachine {
  std::string return_id{};
  std::string instance_id{};
  std::string name{};
  std::string acquire_request_id{};               // empty when the machine was not in this store
  InstanceState state = InstanceState::kUnknown;  // as last seen
  MachineResult result = MachineResult::kExecuting;
  std::string message{};
  Timestamp updated_at{};
};

// A new machine of `request`, first seen now.
Machine NewMachine(const Request& request, std::string instance_id, Timestamp now);
// Copies what the cloud says about the instance into the machine (a name or address the cloud
// no longer shows is kept).
void Observe(Machine& m, const Instance& i);

}  // namespace ohfp::model
