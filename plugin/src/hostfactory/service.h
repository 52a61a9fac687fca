// hostfactory/service.h
//
// HostFactoryService: the five HostFactory commands (and `ohfp reconcile`), over a RequestStore
// shared by every process and a Provider. It is orchestration only: it reads HostFactory's ids,
// hands each request to the part that knows it, and answers with one JSON document
// (hostfactory/contract.h) and an exit code. The parts:
//
//   catalog.h       getAvailableTemplates
//   acquire.h       requestMachines, and the refresh of acquire requests
//   returns.h       requestReturnMachines, the refresh of return requests, getReturnRequests
//   housekeeping.h  reclaim, orphan sweep and cleanup, run from getRequestStatus at most once per
//                   interval across processes, and by `ohfp reconcile`
// and the decisions they carry out are pure functions in model/.
//
// getRequestStatus never reports a request as lost on a missing record: an id the store does not
// know is looked up in the cloud by its tag, and when the cloud holds live instances of it the
// command refuses (the store was lost or replaced) instead of answering "unknown". A store that
// cannot be read fails the command; it never answers from an empty read.
//
// Exit codes (base/exit_codes.h): 0; 1 when the command failed; 2 when its input was invalid
// (nothing changed then). When the store fails during a command (the database went away):
// getRequestStatus and getReturnRequests fail (exit 1, one JSON message), HostFactory asks again
// and the next call carries on from what was saved. requestMachines and requestReturnMachines
// fail when their request cannot be saved (then nothing was sent to the cloud); once it is saved
// they answer with its id even if a later write fails, so that HostFactory follows the request:
// the next getRequestStatus settles what the lost write would have recorded (by the request's
// tags and ClientToken), where failing would leave a launched request HostFactory never polls.
//
// Thread-safety: one service per command process.
//
// Example:
//   HostFactoryService service(deps, options);
//   CommandResult r = service.RequestMachines({.template_id = "OnDemand-C5", .machine_count = 3});
//   std::cout << r.output.dump() << "\n";
//   return r.exit_code;
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "hostfactory/acquire.h"
#include "hostfactory/catalog.h"
#include "hostfactory/command_context.h"
#include "hostfactory/contract.h"
#include "hostfactory/housekeeping.h"
#include "hostfactory/installation.h"
#include "hostfactory/returns.h"

namespace ohfp::hostfactory {

class HostFactoryService {
 public:
  HostFactoryService(ServiceDependencies dependencies, ServiceOptions options);

  CommandResult GetAvailableTemplates();
  CommandResult RequestMachines(const RequestMachinesInput& input);
  CommandResult GetRequestStatus(const std::vector<std::string>& request_ids);
  CommandResult RequestReturnMachines(const std::vector<MachineRef>& machines);
  // nullopt: HostFactory sent no list; every machine this installation holds.
  CommandResult GetReturnRequests(const std::optional<std::vector<MachineRef>>& machines);

  // Reclaims unclaimed requests, sweeps orphans and cleans up now, whatever the interval (tests,
  // `ohfp reconcile`).
  void Housekeeping(bool force);
  // The orphan sweep alone; with `dry_run`, what it would do.
  SweepReport Sweep(bool dry_run);
  // `ohfp reconcile --adopt`: rebuilds the records of this installation's instances.
  resilience::Result<AdoptReport> Adopt();

 private:
  // Ids the store does not know, looked up by tag: an error when the cloud holds live instances
  // of any (the store was lost or replaced); otherwise their reports.
  resilience::Result<std::vector<RequestReport>> ReportUnknown(
      const std::vector<std::string>& unknown);

  CommandContext ctx_;
  Catalog catalog_;
  Acquirer acquire_;
  Returner returns_;
  Housekeeper housekeeper_;
};

}  // namespace ohfp::hostfactory
