#include "model/return_status.h"

#include <algorithm>
#include <utility>

namespace ohfp::model {

ReturnVerdicts ClassifyReturns(std::vector<ReturnMachine> rows, const std::vector<Instance>& found,
                               const std::set<std::string>& absent, Timestamp now) {
  ReturnVerdicts out;
  out.rows = std::move(rows);
  for (ReturnMachine& r : out.rows) {
    if (r.result != MachineResult::kExecuting) continue;
    auto it = std::find_if(found.begin(), found.end(),
                           [&](const Instance& i) { return i.id == r.instance_id; });
    if (it == found.end()) {
      if (absent.count(r.instance_id) == 0) continue;  // not evidence: look again next time
      r.state = InstanceState::kTerminated;
      r.result = MachineResult::kSucceed;
      r.message = "the instance no longer exists";
      r.updated_at = now;
      out.done.push_back(r.instance_id);
      continue;
    }
    r.state = it->state;
    r.updated_at = now;
    if (it->state == InstanceState::kTerminated) {
      r.result = MachineResult::kSucceed;
      out.done.push_back(r.instance_id);
    } else if (it->state != InstanceState::kShuttingDown) {
      out.to_release[r.acquire_request_id].push_back(r.instance_id);
    }
  }
  return out;
}

RequestVerdict DecideReturnState(const std::vector<ReturnMachine>& rows) {
  int executing = 0;
  int failed = 0;
  for (const ReturnMachine& r : rows) {
    if (r.result == MachineResult::kExecuting) ++executing;
    if (r.result == MachineResult::kFail) ++failed;
  }
  if (executing > 0) return {RequestState::kRunning, ""};
  if (failed == 0) return {RequestState::kComplete, ""};
  return {RequestState::kCompleteWithError,
          std::to_string(failed) + " machine(s) could not be returned"};
}

}  // namespace ohfp::model
