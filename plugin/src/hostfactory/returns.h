// hostfactory/returns.h
//
// Returner: requestReturnMachines, the refresh of a return request on each getRequestStatus, and
// getReturnRequests.
//
// requestReturnMachines saves the return request before terminating anything, and terminates
// only what is this installation's: a machine in the store, or an instance tagged with this
// installation's identity (or, for instances from before identities existed, with this provider's
// name and no identity). A machine the cloud does not show is not taken for gone: only a describe
// by id that says it does not exist makes its return a success.
//
// getReturnRequests lists the machines HostFactory holds that the cloud is taking away: in a
// state that says so (shutting-down, terminated, stopping, stopped), said by a describe by id not
// to exist (once known longer than the visibility grace), or marked for Spot interruption, and
// not returned by ohfp itself.
//
// Thread-safety: one per command process.
//
// Example:
//   Returner returns(ctx);
//   CommandResult r = returns.RequestReturnMachines({{"ip-10-0-1-23", "i-0abc"}});
#pragma once

#include <map>
#include <vector>

#include "hostfactory/command_context.h"
#include "hostfactory/contract.h"
#include "model/request.h"

namespace ohfp::hostfactory {

class Returner {
 public:
  explicit Returner(CommandContext& ctx) : ctx_(ctx) {}

  CommandResult RequestReturnMachines(const std::vector<MachineRef>& machines);
  // The return request's report, refreshed from the cloud while it runs; an error only when the
  // store cannot be read.
  resilience::Result<RequestReport> Refresh(const model::Request& request);
  CommandResult GetReturnRequests(const std::vector<MachineRef>& machines);

 private:
  // Lowers fleets and groups first, then terminates; groups by acquire request ("" unknown).
  std::string ReleaseAll(const std::map<std::string, std::vector<std::string>>& to_release);
  // Whether an instance the store does not know may be terminated on HostFactory's word.
  bool IsOurs(const model::Instance& i) const;
  // Records the machines of done returns as terminated (returns.cc says why on every refresh).
  void MarkGone(const model::Request& request, const std::vector<model::ReturnMachine>& rows,
                const std::map<std::string, model::Machine>& known);

  CommandContext& ctx_;
};

}  // namespace ohfp::hostfactory
