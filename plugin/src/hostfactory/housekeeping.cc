#include "hostfactory/housekeeping.h"

#include <algorithm>
#include <map>
#include <set>

#include "base/strings.h"

namespace ohfp::hostfactory {
namespace {

using model::Machine;
using model::Request;
using resilience::Result;
using resilience::Status;
using spdlog::level::level_enum;

}  // namespace

void Housekeeper::Run(bool force) {
  if (!force) {
    Result<bool> mine =
        ctx_.store().ClaimSweep("housekeeping", ctx_.Now(),
                                std::chrono::duration_cast<std::chrono::milliseconds>(
                                    ctx_.options().housekeeping_interval));
    if (!mine.ok() || !*mine) return;
  }
  (void)ReclaimUnclaimed();
  (void)Sweep(/*dry_run=*/false);
  CleanupFinished();
  PurgeHistory();
}

void Housekeeper::PurgeHistory() {
  const model::Timestamp before = ctx_.Now() - ctx_.options().history_retention;
  Result<int> purged = ctx_.store().PurgeFinished(before, ctx_.options().purge_batch);
  if (!purged.ok()) {
    ctx_.log().Log(level_enum::warn,
                   "cannot remove old finished requests: " + purged.error().ToString(),
                   {{"event", "history"}});
    return;
  }
  if (*purged > 0) {
    ctx_.log().Log(level_enum::info,
                   "removed " + std::to_string(*purged) + " finished request(s) older than " +
                       std::to_string(std::chrono::duration_cast<std::chrono::hours>(
                                          ctx_.options().history_retention)
                                          .count() /
                                      24) +
                       " day(s) from the store",
                   {{"event", "history"}, {"requests", *purged}});
  }
}

int Housekeeper::ReclaimUnclaimed() {
  // Past the command deadline too: the creator, on any host, is done launching, and a call it had
  // in flight when it was killed has been answered by AWS, so what it launched is there to release.
  const std::chrono::seconds age =
      std::max(ctx_.options().acquire.confirmation_window, ctx_.options().command_timeout);
  int reclaimed = 0;
  for (model::RequestKind kind : {model::RequestKind::kAcquire, model::RequestKind::kReturn}) {
    Result<std::vector<Request>> open = ctx_.store().OpenRequests(kind);
    if (!open.ok()) {
      ctx_.log().Log(
          level_enum::err,
          "housekeeping stopped: cannot read the state store: " + open.error().ToString(),
          {{"event", "reclaim"}});
      return reclaimed;
    }
    const model::Timestamp now = ctx_.Now();
    for (const Request& r : *open) {
      if (r.polled_at || now - r.created_at < age || ctx_.IsAlive(r.owner)) {
        continue;
      }
      if (kind == model::RequestKind::kAcquire) {
        if (ReclaimOne(r)) ++reclaimed;
      } else {
        (void)returns_.Refresh(r);  // HostFactory wanted these machines gone: finish the job
      }
    }
  }
  return reclaimed;
}

// HostFactory never learned this request's id: nobody will ever use its machines. The request is
// marked abandoned first, in one step that a poll of it would have prevented (AbandonRequest):
// the reclaim acts on what the store says now, not on the list of open requests it read a moment
// ago, during which another process may have answered a poll of it. Only then is what it launched
// released; a release that fails is left to the orphan sweep, whose evidence is that very record.
bool Housekeeper::ReclaimOne(const Request& r) {
  const std::string why =
      "reclaimed: HostFactory never asked about this request and the process that created it is "
      "gone";
  Result<bool> abandoned = ctx_.store().AbandonRequest(r.id, why, ctx_.Now());
  if (!ctx_.Saved(abandoned.ok() ? resilience::OkStatus() : Status(abandoned.error()),
                  "the reclaimed request", r.id)
           .ok() ||
      !*abandoned) {
    return false;  // a poll got in first: HostFactory knows the request after all
  }
  Result<model::Observation> seen = ctx_.provider().Observe(r);
  std::vector<std::string> live;
  if (seen.ok()) {
    for (const model::Instance& i : seen->instances) {
      if (i.state != model::InstanceState::kTerminated &&
          i.state != model::InstanceState::kShuttingDown) {
        live.push_back(i.id);
      }
    }
  }
  Status released = seen.ok() ? resilience::OkStatus() : Status(seen.error());
  if (released.ok() && !live.empty()) released = ctx_.provider().Release(r, live);
  if (!released.ok()) {
    ctx_.log().Log(
        level_enum::warn,
        "request " + r.id + " " + why +
            "; its instances are left to the orphan sweep: " + released.error().ToString(),
        {{"event", "reclaim"}, {"request_id", r.id}});
    return true;  // abandoned: it holds nothing against maxNumber any more
  }
  if (ctx_.provider().Cleanup(r).ok()) {
    (void)ctx_.Saved(ctx_.store().MarkCleanedUp(r.id, ctx_.Now()), "the cleanup", r.id);
  }
  ctx_.log().Log(level_enum::warn,
                 "request " + r.id + " " + why + "; " + std::to_string(live.size()) +
                     " instance(s) terminated",
                 {{"event", "reclaim"}, {"request_id", r.id}, {"instances", live}});
  return true;
}

SweepReport Housekeeper::Sweep(bool dry_run) {
  SweepReport report;
  auto stop = [&](std::string why) {
    report.problem = std::move(why);
    ctx_.log().Log(level_enum::warn, "orphan sweep skipped: " + report.problem,
                   {{"event", "orphans"}});
    return report;
  };
  if (ctx_.installation_id().empty()) return stop("this installation has no identity yet");
  Result<std::vector<model::Instance>> owned =
      ctx_.provider().DescribeOwnedInstances(ctx_.installation_id());
  if (!owned.ok())
    return stop("cannot list this installation's instances: " + owned.error().ToString());
  std::set<std::string> request_ids;
  std::vector<std::string> instance_ids;
  for (const model::Instance& i : *owned) {
    if (!i.request_id.empty()) request_ids.insert(i.request_id);
    instance_ids.push_back(i.id);
  }
  Result<std::vector<Request>> requests = ctx_.store().RequestsByIds(request_ids);
  if (!requests.ok()) return stop("cannot read the state store: " + requests.error().ToString());
  Result<std::vector<Machine>> machines = ctx_.store().MachinesByIds(instance_ids);
  if (!machines.ok()) return stop("cannot read the state store: " + machines.error().ToString());
  std::map<std::string, Request> by_id;
  for (Request& r : *requests) by_id.emplace(r.id, std::move(r));
  std::map<std::string, Machine> by_instance;
  for (Machine& m : *machines) by_instance.emplace(m.instance_id, std::move(m));
  report.ran = true;
  report.findings =
      model::ClassifyOwned(*owned, by_id, by_instance,
                           {ctx_.installation_id(), ctx_.Now(), ctx_.options().orphan_min_age});
  std::vector<std::string> doomed;
  for (const model::OrphanFinding& f : report.findings) {
    if (f.action == model::OrphanAction::kTerminate) doomed.push_back(f.instance_id);
    if (f.action == model::OrphanAction::kReport) {
      ctx_.log().Log(
          level_enum::warn, "instance " + f.instance_id + " " + f.reason + ": not terminated",
          {{"event", "orphans"}, {"instance", f.instance_id}, {"request_id", f.request_id}});
    }
  }
  if (dry_run || doomed.empty()) return report;
  if (Status s = ctx_.provider().TerminateInstances(doomed); !s.ok()) {
    ctx_.log().Log(level_enum::err, "cannot terminate orphan instances: " + s.error().ToString(),
                   {{"event", "orphans"}, {"instances", doomed}});
    return report;
  }
  report.terminated = doomed;
  ctx_.log().Log(level_enum::warn,
                 "terminated " + std::to_string(doomed.size()) +
                     " orphan instance(s) of this installation that the state store records as "
                     "abandoned: " +
                     base::Join(doomed, ", "),
                 {{"event", "orphans"}, {"instances", doomed}});
  return report;
}

// A cleanup that failed, or that a crash interrupted, is tried again here until it succeeds.
void Housekeeper::CleanupFinished() {
  Result<std::vector<Request>> finished = ctx_.store().FinishedNotCleanedUp();
  if (!finished.ok()) return;
  for (const Request& r : *finished) CleanupIfEmpty(ctx_, r);
}

void CleanupIfEmpty(CommandContext& ctx, const std::string& acquire_request_id) {
  Result<std::optional<Request>> request = ctx.store().GetRequest(acquire_request_id);
  if (request.ok() && request->has_value()) CleanupIfEmpty(ctx, **request);
}

void CleanupIfEmpty(CommandContext& ctx, const Request& request) {
  if (request.kind != model::RequestKind::kAcquire || !request.finished() ||
      request.cleaned_up_at) {
    return;
  }
  Result<std::vector<Machine>> machines = ctx.store().MachinesOfRequest(request.id);
  if (!machines.ok()) return;
  for (const Machine& m : *machines) {
    if (m.result != model::MachineResult::kFail && m.state != model::InstanceState::kTerminated) {
      return;
    }
  }
  if (Status s = ctx.provider().Cleanup(request); !s.ok()) {
    ctx.log().Log(
        level_enum::warn,
        "request " + request.id + ": cleanup failed, to be tried again: " + s.error().ToString(),
        {{"event", "cleanup"}, {"request_id", request.id}});
    return;
  }
  (void)ctx.Saved(ctx.store().MarkCleanedUp(request.id, ctx.Now()), "the cleanup", request.id);
}

}  // namespace ohfp::hostfactory
