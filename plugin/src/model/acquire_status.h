// model/acquire_status.h
//
// The decisions behind an acquire request's status, as pure functions of what the store recorded
// and what the cloud showed. The hostfactory layer reads, calls these, and carries out what they
// decide (hostfactory/acquire.h); they do no I/O, so every rule is tested on its own.
//
// The rule they keep: a machine is reported lost only on positive evidence, a state that says it
// is going or gone (shutting-down, terminated, stopping, stopped) or a describe by its id that
// says it does not exist, and that only once the machine has been known longer than the
// visibility grace (EC2's describe calls are eventually consistent: a new instance may be missing
// from a listing, even by id, for a while). An instance merely missing from a listing keeps its
// last result and is looked at again on the next poll.
//
// Thread-safety: stateless functions over values.
//
// Example:
//   std::vector<std::string> check = MissingPastGrace(machines, seen, now, policy);
//   // ... look `check` up by id: `absent` are the ones the cloud says do not exist ...
//   MachineVerdicts v = ClassifyMachines(request, machines, seen, absent, now, policy);
//   RequestVerdict r = DecideAcquireState(request, v, {.fulfilling = seen.fulfilling});
#pragma once

#include <chrono>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "model/machine.h"
#include "model/observation.h"
#include "model/request.h"
#include "model/time.h"

namespace ohfp::model {

struct AcquirePolicy {
  // A machine pending longer than this is terminated and reported failed.
  std::chrono::seconds pending_timeout{180};
  // A fleet or group short of its target this long after the request keeps what it has.
  std::chrono::seconds fulfillment_timeout{600};
  // How long a machine must have been known before a describe by id saying "does not exist" counts
  // as evidence that it is gone.
  std::chrono::seconds visibility_grace{300};
  // How long a launch whose outcome is unknown may stay unconfirmed before the request ends.
  std::chrono::seconds confirmation_window{600};
};

// The machines of the request that the observation does not show and that have been known longer
// than the visibility grace: the ones worth a describe by id.
std::vector<std::string> MissingPastGrace(const std::vector<Machine>& machines,
                                          const Observation& seen, Timestamp now,
                                          const AcquirePolicy& policy);

struct MachineVerdicts {
  std::vector<Machine> machines{};   // every machine of the request, updated; new ones added
  std::vector<std::string> stuck{};  // pending past the pending timeout: to be terminated
  int succeeded = 0;
  int executing = 0;
  std::vector<std::string> failures{};  // "i-0abc: why", for the request's message
};

// Each machine's result from what the cloud shows:
//   running -> succeed; pending -> executing (fail, and stuck, past the pending timeout);
//   shutting-down, terminated, stopping, stopped -> fail, saying so;
//   not shown, and in `absent` (a describe by id said it does not exist) -> fail, saying so;
//   not shown otherwise -> its last result, unchanged.
// A machine that failed stays failed. Instances the observation shows that the request has no
// record of are added as new machines.
MachineVerdicts ClassifyMachines(const Request& request, std::vector<Machine> stored,
                                 const Observation& seen, const std::set<std::string>& absent,
                                 Timestamp now, const AcquirePolicy& policy);

// The number of machines a fleet or group short of its target keeps once the fulfilment timeout
// has passed (it is lowered to what it holds); nullopt while it may still fill, or when it is not
// fulfilling.
std::optional<int> ShrinkTarget(const Request& request, const Observation& seen,
                                const MachineVerdicts& verdicts, Timestamp now,
                                const AcquirePolicy& policy);

// Whether a launch attempt whose outcome is unknown has waited longer than the confirmation
// window.
bool ConfirmationExpired(const Attempt& attempt, Timestamp now, const AcquirePolicy& policy);

struct AcquireFacts {
  bool fulfilling = false;  // more instances may still come
  bool unsettled = false;   // the last attempt's outcome is not known yet
  std::optional<double> running_capacity{};
  std::vector<std::string> cloud_errors{};  // fulfilment errors the cloud reported
  std::string attempt_error{};              // the last attempt's error, if any
};

struct RequestVerdict {
  RequestState state = RequestState::kRunning;
  std::string message{};
};

// running while a machine is executing, the launch is unsettled or more may come; then complete
// when enough machines (or capacity units) run, complete_with_error otherwise, with every reason
// once: "1 of 3 machine(s) running; <cloud errors>; <attempt error>; <failures>".
RequestVerdict DecideAcquireState(const Request& request, const MachineVerdicts& verdicts,
                                  const AcquireFacts& facts);

}  // namespace ohfp::model
