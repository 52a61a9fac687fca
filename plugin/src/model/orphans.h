// model/orphans.h
//
// Which of this installation's live instances the housekeeping sweep may terminate, as a pure
// decision over what the store recorded. The sweep runs only on reads that succeeded in full
// (the caller's duty), and this decides per instance:
//
//   keep       its request is running (being launched or adopted), or the machine is one
//              HostFactory holds (recorded, not failed), or the instance is younger than the
//              minimum age (a launch may still be saving it) and its request was not reclaimed;
//   terminate  the store positively records it as abandoned: its request was reclaimed (at any
//              age: HostFactory was never given its machines, and a launch in flight when its
//              creator died can make them after the reclaim), or its request finished and its
//              machine failed, or its request finished without it (it came after the request
//              ended, and HostFactory was never given it);
//   report     it carries this installation's identity but no request id, or a request id the
//              store does not know: the store may have been lost or replaced, so it is never
//              terminated, only reported (docs/operations.md, "Recovering a lost store").
//
// Instances of another installation are not this sweep's business at all: they are skipped.
//
// Thread-safety: stateless functions over values.
//
// Example:
//   std::vector<OrphanFinding> f = ClassifyOwned(instances, requests, machines, facts);
//   for (const OrphanFinding& x : f) if (x.action == OrphanAction::kTerminate) ...
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "model/instance.h"
#include "model/machine.h"
#include "model/request.h"
#include "model/time.h"

namespace ohfp::model {

enum class OrphanAction { kKeep, kTerminate, kReport };
std::string_view OrphanActionName(OrphanAction action) noexcept;  // keep, terminate, report

struct OrphanFinding {
  std::string instance_id{};
  std::string request_id{};
  OrphanAction action = OrphanAction::kKeep;
  std::string reason{};
};

struct SweepFacts {
  std::string installation_id{};  // this installation's identity
  Timestamp now{};
  std::chrono::seconds min_age{900};  // younger instances are kept
};

// One finding per instance of this installation (instances of another are skipped).
std::vector<OrphanFinding> ClassifyOwned(const std::vector<Instance>& instances,
                                         const std::map<std::string, Request>& requests,
                                         const std::map<std::string, Machine>& machines,
                                         const SweepFacts& facts);

}  // namespace ohfp::model
