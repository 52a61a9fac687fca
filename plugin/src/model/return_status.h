// model/return_status.h
//
// The decisions behind a return request's status, pure: which returned machines are gone, which
// must still be terminated (grouped by the acquire request that holds them, so that a fleet or
// group is lowered first), and whether the return request is finished.
//
// A returned machine is done only on positive evidence: EC2 shows it terminated, or a describe by
// its id says it does not exist. Shutting down is on its way; missing from a listing proves
// nothing and is looked at again on the next poll.
//
// Thread-safety: stateless functions over values.
//
// Example:
//   ReturnVerdicts v = ClassifyReturns(rows, found, absent, now);
//   for (const auto& [acquire_id, ids] : v.to_release) provider.Release(...);
//   RequestVerdict r = DecideReturnState(v.rows);
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "model/acquire_status.h"
#include "model/instance.h"
#include "model/machine.h"

namespace ohfp::model {

struct ReturnVerdicts {
  std::vector<ReturnMachine> rows{};  // every machine of the return request, updated
  // Acquire request id ("" when the machine was not in this store) -> instances still to stop.
  std::map<std::string, std::vector<std::string>> to_release{};
  std::vector<std::string> done{};  // instances now known to be gone
};

// For each machine still executing: terminated -> succeed; not shown and in `absent` -> succeed
// (the instance no longer exists); shutting-down -> executing; any other state shown -> executing,
// and to be released again; not shown otherwise -> executing, unchanged.
ReturnVerdicts ClassifyReturns(std::vector<ReturnMachine> rows, const std::vector<Instance>& found,
                               const std::set<std::string>& absent, Timestamp now);

// complete when no machine is executing and none failed; complete_with_error with "N machine(s)
// could not be returned" when some failed; running otherwise.
RequestVerdict DecideReturnState(const std::vector<ReturnMachine>& rows);

}  // namespace ohfp::model
