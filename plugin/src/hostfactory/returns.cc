#include "hostfactory/returns.h"

#include <algorithm>
#include <limits>
#include <map>
#include <set>

#include "base/exit_codes.h"
#include "base/strings.h"
#include "hostfactory/acquire.h"
#include "hostfactory/housekeeping.h"
#include "model/return_status.h"

namespace ohfp::hostfactory {
namespace {

using model::InstanceState;
using model::Machine;
using model::MachineResult;
using model::Request;
using model::ReturnMachine;
using resilience::Result;
using resilience::Status;
using spdlog::level::level_enum;

CommandResult Fail(const std::string& message) { return {kExitFailed, ErrorJson(message)}; }

template <class T, class Key>
std::map<std::string, T> IndexBy(std::vector<T> items, Key key) {
  std::map<std::string, T> out;
  for (T& item : items) {
    std::string k = key(item);
    out.emplace(std::move(k), std::move(item));
  }
  return out;
}

}  // namespace

std::string Returner::ReleaseAll(
    const std::map<std::string, std::vector<std::string>>& to_release) {
  std::string problems;
  for (const auto& [acquire_id, ids] : to_release) {
    Result<std::optional<Request>> acquire =
        acquire_id.empty() ? Result<std::optional<Request>>(std::optional<Request>())
                           : ctx_.store().GetRequest(acquire_id);
    const Status s = acquire.ok() && acquire->has_value() ? ctx_.provider().Release(**acquire, ids)
                                                          : ctx_.provider().TerminateInstances(ids);
    if (!s.ok()) problems = s.error().ToString();
  }
  return problems;
}

std::optional<CommandResult> Returner::RefuseDisagreements(
    const std::vector<ResolvedMachine>& machines, const Looked& looked) {
  std::vector<std::string> conflicts;
  for (const ResolvedMachine& m : machines) {
    const model::Instance* seen = looked.Seen(m);
    if (std::string why = Disagreement(m, seen); !why.empty()) conflicts.push_back(why);
  }
  if (conflicts.empty()) return std::nullopt;
  const std::string message =
      "the input names " + std::to_string(conflicts.size()) +
      " machine(s) by a name and a machineId that disagree: " + base::Join(conflicts, "; ") +
      ". Nothing was done";
  ctx_.log().Log(level_enum::warn, message, {{"event", "machines_disagree"}});
  return CommandResult{kExitBadInput, ErrorJson(message)};
}

Result<Returner::Looked> Returner::LookUp(const std::vector<ResolvedMachine>& machines,
                                          const std::set<std::string>& skip, bool known_too) {
  Looked looked;
  std::vector<std::string> ids;
  for (const ResolvedMachine& m : machines) {
    if (m.seen) looked.found.emplace(m.instance_id, *m.seen);
    if (!m.resolved() || skip.count(m.instance_id) != 0) continue;
    if (known_too || (!m.stored && !m.seen)) ids.push_back(m.instance_id);
  }
  if (ids.empty()) return looked;
  Result<provider::InstanceLookup> r =
      ctx_.provider().LookUpInstances(ids, ctx_.options().max_gone_checks);
  if (!r.ok()) return r.error();
  for (model::Instance& i : r->found) looked.found.insert_or_assign(i.id, std::move(i));
  looked.absent.insert(r->absent.begin(), r->absent.end());
  return looked;
}

const model::Instance* Returner::Looked::Seen(const ResolvedMachine& m) const {
  auto it = found.find(m.instance_id);
  return it == found.end() ? nullptr : &it->second;
}

ReturnMachine Returner::RowFor(const ResolvedMachine& m, const Looked& looked,
                               std::map<std::string, std::vector<std::string>>& to_release) const {
  ReturnMachine row;
  row.instance_id = m.resolved() ? m.instance_id : m.given.name;
  row.name = m.HostName();
  const model::Instance* seen = looked.Seen(m);
  if (!m.resolved()) {
    row.result = MachineResult::kFail;
    row.message = m.problem;
  } else if (m.stored) {
    row.acquire_request_id = m.stored->request_id;
    row.state = m.stored->state;
    to_release[row.acquire_request_id].push_back(m.instance_id);
  } else if (seen != nullptr) {
    row.state = seen->state;
    if (IsOurs(ctx_, *seen)) {
      row.acquire_request_id = seen->request_id;
      to_release[""].push_back(m.instance_id);
    } else {
      row.result = MachineResult::kFail;
      row.message = "not an instance this installation (" + ctx_.options().provider_name +
                    ") created; left alone";
    }
  } else if (looked.absent.count(m.instance_id) != 0) {
    row.state = InstanceState::kTerminated;
    row.result = MachineResult::kSucceed;
    row.message = "the instance no longer exists";
  } else {
    row.result = MachineResult::kFail;
    row.message =
        "the cloud does not show this instance now; nothing was done (return it "
        "again later)";
  }
  return row;
}

CommandResult Returner::RequestReturnMachines(const std::vector<MachineRef>& refs) {
  Result<std::vector<ResolvedMachine>> machines = ResolveMachines(ctx_, refs);
  if (!machines.ok()) return Fail(std::string(machines.error().message()));
  // Machines neither the store nor a look-up by name placed: looked up by id, for proof.
  Result<Looked> looked = LookUp(*machines, {}, /*known_too=*/false);
  if (!looked.ok()) return Fail("cannot look the machines up: " + looked.error().ToString());
  if (std::optional<CommandResult> refused = RefuseDisagreements(*machines, *looked)) {
    return *refused;
  }
  std::vector<ReturnMachine> rows;
  std::vector<std::string> ids;
  std::vector<std::string> unmatched;
  std::map<std::string, std::vector<std::string>> to_release;  // acquire request -> instances
  for (const ResolvedMachine& m : *machines) {
    rows.push_back(RowFor(m, *looked, to_release));
    (m.resolved() ? ids : unmatched).push_back(m.resolved() ? m.instance_id : m.given.name);
  }
  const std::string id = ctx_.NewId("ret");
  Result<Request> request = ctx_.store().CreateReturn(id, rows, ctx_.self(), ctx_.Now());
  if (!request.ok()) {
    return Fail("cannot save the return request: " + request.error().ToString());
  }
  ctx_.log().Log(level_enum::info,
                 "return request " + id + ": " + std::to_string(rows.size()) + " machine(s)",
                 {{"event", "return"}, {"request_id", id}, {"instances", ids}});
  if (!unmatched.empty()) {
    ctx_.log().Log(level_enum::warn,
                   "return request " + id + ": host name(s) matching no machine of this " +
                       "installation, left alone: " + base::Join(unmatched, ", "),
                   {{"event", "return_unmatched"}, {"request_id", id}, {"names", unmatched}});
  }
  const std::string problems = ReleaseAll(to_release);
  std::string message = "terminating " + std::to_string(ids.size()) + " machine(s)";
  if (!unmatched.empty()) {
    message += "; " + std::to_string(unmatched.size()) +
               " name(s) match no machine of this installation (see getRequestStatus)";
  }
  if (!problems.empty()) {
    message += " (not confirmed yet: " + problems + "; getRequestStatus retries)";
  }
  return {kExitOk, RequestIdJson(id, message)};
}

// Keeps the machines table in step with the returns: a machine whose return is done is gone, and
// an acquire request left without machines is cleaned up. On every refresh, not only the one that
// saw the termination: a write lost to a failing store or a killed process (between the return's
// rows and the machines') is caught up by the next one, and so is a machine already gone when it
// was returned.
void Returner::MarkGone(const Request& request, const std::vector<ReturnMachine>& rows,
                        const std::map<std::string, Machine>& known) {
  std::vector<Machine> gone;
  std::set<std::string> acquires;
  for (const ReturnMachine& r : rows) {
    auto it = known.find(r.instance_id);
    if (r.result != MachineResult::kSucceed || it == known.end() ||
        it->second.state == InstanceState::kTerminated) {
      continue;
    }
    Machine m = it->second;
    m.state = InstanceState::kTerminated;
    m.updated_at = ctx_.Now();
    acquires.insert(m.request_id);
    gone.push_back(std::move(m));
  }
  if (gone.empty()) return;
  if (!ctx_.Saved(ctx_.store().SaveMachines(gone), "the returned machines' state", request.id)
           .ok()) {
    return;
  }
  for (const std::string& a : acquires) CleanupIfEmpty(ctx_, a);
}

Result<RequestReport> Returner::Refresh(const Request& request) {
  Result<std::vector<ReturnMachine>> rows = ctx_.store().MachinesOfReturn(request.id);
  if (!rows.ok()) return rows.error();
  std::vector<std::string> open;
  for (const ReturnMachine& r : *rows) {
    if (r.result == MachineResult::kExecuting) open.push_back(r.instance_id);
  }
  std::string message;
  // A finished return with machines still executing is looked at too: the state a write that
  // failed half-way left (older versions) heals at the next poll.
  if (!open.empty()) {
    Result<provider::InstanceLookup> lookup =
        ctx_.provider().LookUpInstances(open, ctx_.options().max_gone_checks);
    if (!lookup.ok()) {
      message = "could not refresh from the cloud: " + lookup.error().ToString();
    } else {
      const std::set<std::string> absent(lookup->absent.begin(), lookup->absent.end());
      model::ReturnVerdicts v =
          model::ClassifyReturns(std::move(*rows), lookup->found, absent, ctx_.Now());
      if (std::string problems = ReleaseAll(v.to_release); !problems.empty()) {
        message = "terminating: " + problems;
      }
      // The request's status is decided from these rows: if they are not saved, it is not
      // decided either (the next poll looks again), or the request would end with machines the
      // store still has as executing.
      if (Status saved = ctx_.Saved(ctx_.store().SaveReturnMachines(v.rows),
                                    "the returned machines", request.id);
          !saved.ok()) {
        return saved.error();
      }
      *rows = std::move(v.rows);
    }
  }
  std::vector<std::string> ids;
  for (const ReturnMachine& r : *rows) ids.push_back(r.instance_id);
  Result<std::vector<Machine>> machines = ctx_.store().MachinesByIds(ids);
  if (!machines.ok()) return machines.error();
  const std::map<std::string, Machine> known =
      IndexBy(std::move(*machines), [](const Machine& m) { return m.instance_id; });
  MarkGone(request, *rows, known);

  RequestReport report{request.id, request.state, message, {}};
  for (const ReturnMachine& r : *rows) {
    MachineReport m = BasicReport(r);
    if (auto it = known.find(r.instance_id); it != known.end()) {
      AddDetails(m, it->second, ctx_.templates());
      if (r.name.empty()) m.name = it->second.name.empty() ? m.name : it->second.name;
    }
    report.machines.push_back(std::move(m));
  }
  const model::RequestVerdict verdict = model::DecideReturnState(*rows);
  if (verdict.state != request.state) {
    (void)ctx_.Saved(
        ctx_.store().SetRequestState(request.id, verdict.state, verdict.message, ctx_.Now()),
        "the return request's status", request.id);
    report.message = verdict.message;
  }
  report.status = verdict.state;
  return report;
}

Result<std::vector<ResolvedMachine>> Returner::HeldMachines() {
  Result<store::MachinePage> succeeded = ctx_.store().ListMachines(
      {.result = MachineResult::kSucceed, .limit = std::numeric_limits<int>::max()});
  if (!succeeded.ok()) return succeeded.error();
  std::vector<std::string> ids;
  for (const Machine& m : succeeded->machines) ids.push_back(m.instance_id);
  Result<std::set<std::string>> returned = ctx_.store().ReturnedInstances(ids);
  if (!returned.ok()) return returned.error();
  std::vector<Machine> held;
  for (Machine& m : succeeded->machines) {
    if (returned->count(m.instance_id) == 0) held.push_back(std::move(m));
  }
  std::reverse(held.begin(), held.end());  // oldest first
  return FromStore(std::move(held));
}

std::string Returner::SpotNotices(const std::map<std::string, const ResolvedMachine*>& spot,
                                  std::vector<ReturnNotice>& notices) {
  if (spot.empty()) return "";
  std::vector<std::string> spot_ids;
  for (const auto& [sid, _] : spot) spot_ids.push_back(sid);
  Result<std::vector<model::InterruptionNotice>> marked = ctx_.provider().SpotNotices(spot_ids);
  if (!marked.ok()) {
    return "could not check Spot interruption notices: " + marked.error().ToString();
  }
  for (const model::InterruptionNotice& n : *marked) {
    if (auto m = spot.find(n.spot_request_id); m != spot.end())
      notices.push_back({m->second->HostName(), n.grace_seconds});
  }
  return "";
}

CommandResult Returner::GetReturnRequests(const std::optional<std::vector<MachineRef>>& refs) {
  Result<std::vector<ResolvedMachine>> machines =
      refs ? ResolveMachines(ctx_, *refs) : HeldMachines();
  if (!machines.ok()) {
    return Fail(refs ? std::string(machines.error().message())
                     : "cannot read the state store: " + machines.error().ToString());
  }
  std::vector<std::string> ids;
  std::vector<std::string> unmatched;
  for (const ResolvedMachine& m : *machines) {
    if (m.resolved()) {
      ids.push_back(m.instance_id);
    } else {
      unmatched.push_back(m.given.name + " (" + m.problem + ")");
    }
  }
  Result<std::set<std::string>> returned = ctx_.store().ReturnedInstances(ids);
  if (!returned.ok()) return Fail("cannot read the state store: " + returned.error().ToString());
  // Those ohfp is returning itself are not the cloud's doing: not looked at.
  Result<Looked> looked = LookUp(*machines, *returned, /*known_too=*/true);
  if (!looked.ok()) return Fail("cannot look the machines up: " + looked.error().ToString());
  if (std::optional<CommandResult> refused = RefuseDisagreements(*machines, *looked)) {
    return *refused;
  }
  const model::Timestamp now = ctx_.Now();
  // Known to this store for less than the grace: a describe by id saying "does not exist" may
  // only mean EC2 has not caught up.
  auto too_new = [&](const ResolvedMachine& m) {
    return m.stored && now - m.stored->created_at <= ctx_.options().acquire.visibility_grace;
  };
  std::vector<ReturnNotice> notices;
  std::map<std::string, const ResolvedMachine*> spot;  // spot request id -> machine
  for (const ResolvedMachine& m : *machines) {
    if (!m.resolved() || returned->count(m.instance_id) != 0) continue;
    const model::Instance* seen = looked->Seen(m);
    if (seen == nullptr) {
      if (looked->absent.count(m.instance_id) != 0 && !too_new(m)) {
        notices.push_back({m.HostName(), 0});
      }
    } else if (model::IsGone(seen->state)) {
      notices.push_back({m.HostName(), 0});
    } else if (!seen->spot_request_id.empty()) {
      spot[seen->spot_request_id] = &m;
    }
  }
  std::string message = SpotNotices(spot, notices);
  if (!unmatched.empty()) {
    message = base::Join({message, std::to_string(unmatched.size()) +
                                       " machine(s) match nothing of this installation, not "
                                       "checked: " +
                                       base::Join(unmatched, "; ")},
                         "; ");
    ctx_.log().Log(level_enum::warn, message, {{"event", "return_notices_unmatched"}});
  }
  if (!notices.empty()) {
    ctx_.log().Log(level_enum::info,
                   std::to_string(notices.size()) + " machine(s) being taken back by the cloud",
                   {{"event", "return_notices"}});
  }
  return {kExitOk, ReturnRequestsJson(notices, message)};
}

}  // namespace ohfp::hostfactory
