// model/observation.h
//
// What the cloud holds for an acquire request, as a provider reports it: every instance that
// belongs to it (in any state), whether more may still come (a fleet or group short of its
// target), the fulfilment errors the cloud gave, and the capacity running when instance types
// carry weights.
//
// An Observation lists what the cloud showed. An instance absent from it is not thereby gone:
// listings are eventually consistent and can come back empty; only a state or an explicit "does
// not exist" for that instance is evidence (model/acquire_status.h).
//
// Thread-safety: value type.
//
// Example:
//   Result<Observation> seen = provider.Observe(request);
//   for (const Instance& i : seen->instances) { ... }
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "model/instance.h"
#include "model/request.h"

namespace ohfp::model {

struct Observation {
  std::vector<Instance> instances{};
  bool fulfilling = false;            // more instances may still come
  std::vector<std::string> errors{};  // fulfilment errors the cloud reported
  // Capacity units running when the fleet or group weighs instance types; absent when every
  // instance counts as one machine.
  std::optional<double> running_capacity{};
  CloudRef found{};  // the fleet, group or launch template found for the request

  const Instance* Find(std::string_view instance_id) const;
};

}  // namespace ohfp::model
