#include "model/acquire_status.h"

#include <algorithm>
#include <utility>

namespace ohfp::model {
namespace {

std::string JoinOnce(const std::vector<std::string>& parts) {
  std::vector<std::string> once;
  for (const std::string& p : parts) {
    if (!p.empty() && std::find(once.begin(), once.end(), p) == once.end()) once.push_back(p);
  }
  std::string out;
  for (const std::string& p : once) out += (out.empty() ? "" : "; ") + p;
  return out;
}

bool PendingTooLong(const Machine& m, Timestamp now, const AcquirePolicy& policy) {
  return m.launch_time && now - *m.launch_time > policy.pending_timeout;
}

// The machine's result from what the cloud shows of it (`seen` null: not shown).
void Judge(Machine& m, const Instance* seen, bool absent, Timestamp now,
           const AcquirePolicy& policy, MachineVerdicts& out) {
  if (seen == nullptr) {
    if (absent) {
      m.result = MachineResult::kFail;
      m.state = InstanceState::kTerminated;
      m.message = "EC2 reports that the instance does not exist";
    }
    return;  // otherwise not evidence of anything: the last result stands
  }
  if (m.state == InstanceState::kRunning) {
    m.result = MachineResult::kSucceed;
    m.message.clear();
  } else if (m.state == InstanceState::kPending) {
    if (PendingTooLong(m, now, policy)) {
      out.stuck.push_back(m.instance_id);
      m.result = MachineResult::kFail;
      m.message = "pending for more than " + std::to_string(policy.pending_timeout.count()) +
                  " s; terminated";
    } else {
      m.result = MachineResult::kExecuting;
    }
  } else if (IsGone(m.state)) {
    m.result = MachineResult::kFail;
    m.message = "the instance is " + std::string(InstanceStateName(m.state)) +
                (seen->state_reason.empty() ? "" : ": " + seen->state_reason);
  }
}

}  // namespace

std::vector<std::string> MissingPastGrace(const std::vector<Machine>& machines,
                                          const Observation& seen, Timestamp now,
                                          const AcquirePolicy& policy) {
  std::vector<std::string> out;
  for (const Machine& m : machines) {
    if (m.result == MachineResult::kFail || seen.Find(m.instance_id) != nullptr) continue;
    if (now - m.created_at > policy.visibility_grace) out.push_back(m.instance_id);
  }
  return out;
}

MachineVerdicts ClassifyMachines(const Request& request, std::vector<Machine> stored,
                                 const Observation& seen, const std::set<std::string>& absent,
                                 Timestamp now, const AcquirePolicy& policy) {
  MachineVerdicts out;
  out.machines = std::move(stored);
  for (const Instance& i : seen.instances) {
    const bool known = std::any_of(out.machines.begin(), out.machines.end(),
                                   [&](const Machine& m) { return m.instance_id == i.id; });
    if (!known) out.machines.push_back(NewMachine(request, i.id, now));
  }
  for (Machine& m : out.machines) {
    const Instance* shown = seen.Find(m.instance_id);
    if (shown != nullptr) Observe(m, *shown);
    m.updated_at = now;
    if (m.result != MachineResult::kFail) {
      Judge(m, shown, absent.count(m.instance_id) != 0, now, policy, out);
    }
    switch (m.result) {
      case MachineResult::kSucceed:
        ++out.succeeded;
        break;
      case MachineResult::kExecuting:
        ++out.executing;
        break;
      case MachineResult::kFail:
        out.failures.push_back(m.instance_id + ": " + m.message);
        break;
    }
  }
  return out;
}

std::optional<int> ShrinkTarget(const Request& request, const Observation& seen,
                                const MachineVerdicts& verdicts, Timestamp now,
                                const AcquirePolicy& policy) {
  if (!seen.fulfilling || now - request.created_at <= policy.fulfillment_timeout) {
    return std::nullopt;
  }
  return verdicts.succeeded + verdicts.executing;
}

bool ConfirmationExpired(const Attempt& attempt, Timestamp now, const AcquirePolicy& policy) {
  return attempt.state == AttemptState::kPrepared &&
         now - attempt.created_at > policy.confirmation_window;
}

RequestVerdict DecideAcquireState(const Request& request, const MachineVerdicts& verdicts,
                                  const AcquireFacts& facts) {
  if (facts.unsettled) return {RequestState::kRunning, "the launch is being confirmed"};
  if (verdicts.executing > 0 || facts.fulfilling) return {RequestState::kRunning, ""};
  const bool enough = facts.running_capacity
                          ? *facts.running_capacity >= static_cast<double>(request.machine_count)
                          : verdicts.succeeded >= request.machine_count;
  if (enough) return {RequestState::kComplete, ""};
  std::vector<std::string> why = {std::to_string(verdicts.succeeded) + " of " +
                                  std::to_string(request.machine_count) + " machine(s) running"};
  why.insert(why.end(), facts.cloud_errors.begin(), facts.cloud_errors.end());
  why.push_back(facts.attempt_error);
  why.insert(why.end(), verdicts.failures.begin(), verdicts.failures.end());
  return {RequestState::kCompleteWithError, JoinOnce(why)};
}

}  // namespace ohfp::model
