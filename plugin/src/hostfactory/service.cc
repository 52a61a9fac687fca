#include "hostfactory/service.h"

#include <map>
#include <optional>

#include "base/exit_codes.h"
#include "base/strings.h"

namespace ohfp::hostfactory {
namespace {

using model::Request;
using resilience::Error;
using resilience::ErrorKind;
using resilience::Result;
using resilience::Status;

CommandResult Fail(const std::string& message) { return {kExitFailed, ErrorJson(message)}; }

// A command whose answer the store could not fully record fails: HostFactory asks again, and the
// next call carries on from what was saved (the cloud is looked at again, nothing is lost).
CommandResult UnlessStoreFailed(const CommandContext& ctx, CommandResult result) {
  if (!ctx.store_failure() || result.exit_code != kExitOk) return result;
  return Fail("the state store failed during the call (" + ctx.store_failure()->ToString() +
              "); nothing recorded is lost, call again");
}

}  // namespace

HostFactoryService::HostFactoryService(ServiceDependencies dependencies, ServiceOptions options)
    : ctx_(std::move(dependencies), std::move(options)),
      catalog_(ctx_),
      acquire_(ctx_),
      returns_(ctx_),
      housekeeper_(ctx_, returns_) {}

CommandResult HostFactoryService::GetAvailableTemplates() {
  return catalog_.GetAvailableTemplates();
}

CommandResult HostFactoryService::RequestMachines(const RequestMachinesInput& input) {
  return acquire_.RequestMachines(input, [this] { return housekeeper_.ReclaimUnclaimed(); });
}

CommandResult HostFactoryService::RequestReturnMachines(const std::vector<MachineRef>& machines) {
  return returns_.RequestReturnMachines(machines);
}

CommandResult HostFactoryService::GetReturnRequests(
    const std::optional<std::vector<MachineRef>>& machines) {
  return UnlessStoreFailed(ctx_, returns_.GetReturnRequests(machines));
}

void HostFactoryService::Housekeeping(bool force) { housekeeper_.Run(force); }

SweepReport HostFactoryService::Sweep(bool dry_run) { return housekeeper_.Sweep(dry_run); }

Result<AdoptReport> HostFactoryService::Adopt() {
  return hostfactory::Adopt(ctx_, ctx_.installation_id());
}

Result<std::vector<RequestReport>> HostFactoryService::ReportUnknown(
    const std::vector<std::string>& unknown) {
  std::vector<RequestReport> reports;
  std::vector<std::string> held;
  for (const std::string& id : unknown) {
    Result<std::vector<model::Instance>> tagged = ctx_.provider().InstancesOfRequest(id);
    if (!tagged.ok()) {
      reports.push_back({id,
                         model::RequestState::kRunning,
                         "request " + id +
                             " is not in the state store, and the cloud could not "
                             "be asked about it now (" +
                             tagged.error().ToString() + ")",
                         {}});
      continue;
    }
    std::vector<std::string> live;
    for (const model::Instance& i : *tagged) {
      if (!model::IsGone(i.state)) live.push_back(i.id);
    }
    if (!live.empty()) {
      held.push_back(id + " (" + base::Join(live, ", ") + ")");
      continue;
    }
    reports.push_back(
        {id, model::RequestState::kCompleteWithError, "unknown request id " + id, {}});
  }
  if (held.empty()) return reports;
  ctx_.log().Log(
      spdlog::level::err,
      "requests unknown to the state store hold live instances: " + base::Join(held, "; "),
      {{"event", "store_lost"}});
  return Error(ErrorKind::kInternal, "StoreLost",
               "the state store does not know request(s) for which the cloud holds live "
               "instances: " +
                   base::Join(held, "; ") +
                   ". The store was lost or replaced, or these requests belong to another "
                   "installation. Nothing was done. Restore the state store, or run `ohfp "
                   "reconcile --adopt` (see docs/operations.md, \"Recovering a lost store\")");
}

CommandResult HostFactoryService::GetRequestStatus(const std::vector<std::string>& request_ids) {
  if (Status s = ctx_.store().MarkPolled(request_ids, ctx_.Now()); !s.ok()) {
    return Fail("cannot update the state store: " + s.error().ToString());
  }
  std::map<std::string, Request> known;
  std::vector<std::string> unknown;
  for (const std::string& id : request_ids) {
    Result<std::optional<Request>> request = ctx_.store().GetRequest(id);
    if (!request.ok()) return Fail("cannot read the state store: " + request.error().ToString());
    if (request->has_value()) {
      known.emplace(id, std::move(**request));
    } else {
      unknown.push_back(id);
    }
  }
  Result<std::vector<RequestReport>> unknown_reports = ReportUnknown(unknown);
  if (!unknown_reports.ok()) return Fail(std::string(unknown_reports.error().message()));
  housekeeper_.Run(/*force=*/false);

  std::map<std::string, RequestReport> reports;
  for (RequestReport& r : *unknown_reports) reports.emplace(r.request_id, std::move(r));
  for (auto& [id, request] : known) {
    Result<RequestReport> r = request.kind == model::RequestKind::kAcquire
                                  ? acquire_.Refresh(request)
                                  : returns_.Refresh(request);
    if (!r.ok()) return Fail("cannot read the state store: " + r.error().ToString());
    reports.emplace(id, std::move(*r));
  }
  std::vector<RequestReport> ordered;
  for (const std::string& id : request_ids) ordered.push_back(std::move(reports.at(id)));
  return UnlessStoreFailed(ctx_, {kExitOk, RequestStatusJson(ordered)});
}

}  // namespace ohfp::hostfactory
