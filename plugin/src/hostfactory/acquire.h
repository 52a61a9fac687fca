// hostfactory/acquire.h
//
// Acquirer: requestMachines, and the refresh of an acquire request on each getRequestStatus.
//
// requestMachines first gathers what the launch needs (hostfactory/images.h: the user data, the
// image, the image's root device when the template sets the root volume; a failure there fails the
// command and saves nothing), then saves the request (with its image) and its first attempt
// (ClientToken "<requestId>-1") before calling the cloud. What follows a failed launch is
// provider::LaunchVerdictOf's call: an error answer means nothing was created, so the request ends
// at once complete_with_error with the cloud's code and message (after a capacity refusal, the next
// subnet is tried first, with a new attempt and token); no answer leaves the attempt prepared, and
// getRequestStatus settles it: it looks the request's instances up by tag, and if none exists and
// its creator is no longer running, sends the same call again with the same ClientToken, which
// cannot launch twice.
//
// The refresh asks the cloud what the request holds and lets model/acquire_status.h decide: which
// machine succeeded, which is still executing, which failed (and only on evidence: a state, or a
// describe by id that says the instance does not exist), which is stuck in pending and must be
// terminated, whether a fleet short of its target keeps what it has, and the request's status.
// This class carries the decisions out and saves them.
//
// Thread-safety: one per command process.
//
// Example:
//   Acquirer acquire(ctx);
//   CommandResult r = acquire.RequestMachines({.template_id = "OnDemand-C5", .machine_count = 3});
//   Result<RequestReport> report = acquire.Refresh(request);
#pragma once

#include <functional>
#include <string>

#include "hostfactory/command_context.h"
#include "hostfactory/contract.h"
#include "hostfactory/images.h"
#include "model/machine.h"
#include "model/request.h"

namespace ohfp::hostfactory {

class Acquirer {
 public:
  explicit Acquirer(CommandContext& ctx) : ctx_(ctx) {}

  // `reclaim_unclaimed` (optional) frees what unclaimed requests hold when maxNumber refuses the
  // request, and says how many it reclaimed; the request is then tried once more.
  CommandResult RequestMachines(const RequestMachinesInput& input,
                                const std::function<int()>& reclaim_unclaimed = {});
  // The request's report, refreshed from the cloud while it runs. An error only when the store
  // cannot be read: a report built on a failed read could say something false.
  resilience::Result<RequestReport> Refresh(model::Request request);
  // The report from the store alone.
  resilience::Result<RequestReport> StoredReport(const model::Request& request);

 private:
  enum class Outcome { kLaunched, kRefused, kUnsettled };
  struct AttemptResult {
    Outcome outcome = Outcome::kUnsettled;
    std::string message{};
    std::optional<resilience::Error> error{};
  };

  AttemptResult RunAttempt(const model::Request& request, const model::Template& t,
                           const model::Attempt& attempt, const LaunchInputs& inputs);
  // An attempt whose outcome is unknown: settled by tag, or sent again with its token.
  resilience::Status Reconcile(model::Request& request, const model::Attempt& attempt);
  resilience::Status SaveFound(const model::Request& request,
                               const std::vector<model::Instance>& found);
  // What the observation leaves out, looked up by id: merged in when shown, or proven absent.
  std::set<std::string> LookUpMissing(const std::vector<model::Machine>& stored,
                                      model::Observation& seen);
  void ReleaseStuck(const model::Request& request, const std::vector<std::string>& stuck);
  bool ShrinkIfDue(const model::Request& request, model::Observation& seen,
                   const model::MachineVerdicts& verdicts);
  // Settles a prepared last attempt; true when the request ended while doing so.
  resilience::Result<bool> SettleLaunch(model::Request& request, bool& unsettled,
                                        std::string& attempt_error);

  CommandContext& ctx_;
};

// What every report of a machine of a request, acquired or returned, says: its id, its name (the
// id while it has none), result, state and message.
template <class RequestMachine>
MachineReport BasicReport(const RequestMachine& m) {
  MachineReport r;
  r.machine_id = m.instance_id;
  r.name = m.name.empty() ? m.instance_id : m.name;
  r.result = m.result;
  r.status = m.state;
  r.message = m.message;
  return r;
}

// The report HostFactory gets for a machine (`templates`: where its instanceTags come from).
MachineReport ReportOf(const model::Machine& m, const model::TemplateSet& templates);
// What the store knows of a machine beyond its result in a request: addresses, launch time, and
// IBM's optional priceType, instanceType and instanceTags.
void AddDetails(MachineReport& r, const model::Machine& m, const model::TemplateSet& templates);

}  // namespace ohfp::hostfactory
