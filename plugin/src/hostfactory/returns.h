// hostfactory/returns.h
//
// Returner: requestReturnMachines, the refresh of a return request on each getRequestStatus, and
// getReturnRequests.
//
// Both commands take HostFactory's machines by host name, by machineId or by both
// (hostfactory/machine_resolver.h says how a name is resolved and when a name and a machineId
// disagree: such an input is refused, exit 2, nothing done).
//
// requestReturnMachines saves the return request before terminating anything, and terminates
// only what is this installation's: a machine in the store, or an instance tagged with this
// installation's identity (or, for instances from before identities existed, with this provider's
// name and no identity). A machine the cloud does not show is not taken for gone: only a describe
// by id that says it does not exist makes its return a success. A name that matches no machine of
// this installation is a machine of the request with result fail and the reason (its machineId
// is the name: there is no instance); nothing is done for it.
//
// getReturnRequests lists the machines HostFactory holds that the cloud is taking away: in a
// state that says so (shutting-down, terminated, stopping, stopped), said by a describe by id not
// to exist (once known longer than the visibility grace), or marked for Spot interruption, and
// not returned by ohfp itself. Without a list (IBM: it is optional) it looks at every machine this
// installation holds: the store's machines that succeeded and are in no return request. Names
// that match nothing of this installation are named in the message, never listed.
//
// Thread-safety: one per command process.
//
// Example:
//   Returner returns(ctx);
//   CommandResult r = returns.RequestReturnMachines({{"ip-10-0-1-23.ec2.internal", ""}});
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "hostfactory/command_context.h"
#include "hostfactory/contract.h"
#include "hostfactory/machine_resolver.h"
#include "model/request.h"

namespace ohfp::hostfactory {

class Returner {
 public:
  explicit Returner(CommandContext& ctx) : ctx_(ctx) {}

  CommandResult RequestReturnMachines(const std::vector<MachineRef>& machines);
  // The return request's report, refreshed from the cloud while it runs; an error only when the
  // store cannot be read.
  resilience::Result<RequestReport> Refresh(const model::Request& request);
  // nullopt: every machine this installation holds.
  CommandResult GetReturnRequests(const std::optional<std::vector<MachineRef>>& machines);

 private:
  // What the cloud said about resolved machines, by instance id.
  struct Looked {
    std::map<std::string, model::Instance> found{};
    std::set<std::string> absent{};
    const model::Instance* Seen(const ResolvedMachine& m) const;
  };
  // The resolved machines not in `skip` looked up by id: all of them with `known_too`, else those
  // neither the store nor a look-up by name placed. What a look-up by name showed is kept.
  resilience::Result<Looked> LookUp(const std::vector<ResolvedMachine>& machines,
                                    const std::set<std::string>& skip, bool known_too);
  // The exit-2 answer for an input whose names and machineIds disagree; nullopt when none do.
  std::optional<CommandResult> RefuseDisagreements(const std::vector<ResolvedMachine>& machines,
                                                   const Looked& looked);
  // A machine of a new return request; what to release is added to `to_release`.
  model::ReturnMachine RowFor(const ResolvedMachine& m, const Looked& looked,
                              std::map<std::string, std::vector<std::string>>& to_release) const;
  // The store's machines HostFactory holds: succeeded, in no return request; oldest first.
  resilience::Result<std::vector<ResolvedMachine>> HeldMachines();
  // Adds the interruption notices of `spot` (Spot request id -> machine); "" or what went wrong.
  std::string SpotNotices(const std::map<std::string, const ResolvedMachine*>& spot,
                          std::vector<ReturnNotice>& notices);
  // Lowers fleets and groups first, then terminates; groups by acquire request ("" unknown).
  std::string ReleaseAll(const std::map<std::string, std::vector<std::string>>& to_release);
  // Records the machines of done returns as terminated (returns.cc says why on every refresh).
  void MarkGone(const model::Request& request, const std::vector<model::ReturnMachine>& rows,
                const std::map<std::string, model::Machine>& known);

  CommandContext& ctx_;
};

}  // namespace ohfp::hostfactory
