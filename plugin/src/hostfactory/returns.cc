#include "hostfactory/returns.h"

#include <algorithm>
#include <map>
#include <set>

#include "base/exit_codes.h"
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

std::vector<std::string> IdsOf(const std::vector<MachineRef>& refs) {
  std::vector<std::string> ids;
  for (const MachineRef& r : refs) ids.push_back(r.machine_id);
  return ids;
}

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

bool Returner::IsOurs(const model::Instance& i) const {
  if (!i.installation_id.empty()) return i.installation_id == ctx_.installation_id();
  return model::TagValue(i.tags, model::kTagProvider) == ctx_.options().provider_name;
}

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

CommandResult Returner::RequestReturnMachines(const std::vector<MachineRef>& refs) {
  const std::vector<std::string> ids = IdsOf(refs);
  Result<std::vector<Machine>> known = ctx_.store().MachinesByIds(ids);
  if (!known.ok()) return Fail("cannot read the state store: " + known.error().ToString());
  const std::map<std::string, Machine> by_id =
      IndexBy(std::move(*known), [](const Machine& m) { return m.instance_id; });
  // Machines this store does not know: looked up, and terminated only when they are ours.
  std::vector<std::string> unknown;
  for (const std::string& id : ids) {
    if (by_id.count(id) == 0) unknown.push_back(id);
  }
  provider::InstanceLookup lookup;
  if (!unknown.empty()) {
    Result<provider::InstanceLookup> r =
        ctx_.provider().LookUpInstances(unknown, ctx_.options().max_gone_checks);
    if (!r.ok()) return Fail("cannot look the machines up: " + r.error().ToString());
    lookup = std::move(*r);
  }
  const std::map<std::string, model::Instance> found =
      IndexBy(std::move(lookup.found), [](const model::Instance& i) { return i.id; });
  const std::set<std::string> absent(lookup.absent.begin(), lookup.absent.end());

  std::vector<ReturnMachine> rows;
  std::map<std::string, std::vector<std::string>> to_release;  // acquire request -> instances
  for (const MachineRef& ref : refs) {
    ReturnMachine row;
    row.instance_id = ref.machine_id;
    row.name = ref.name;
    if (auto m = by_id.find(ref.machine_id); m != by_id.end()) {
      row.acquire_request_id = m->second.request_id;
      row.state = m->second.state;
      if (row.name.empty()) row.name = m->second.name;
      to_release[row.acquire_request_id].push_back(ref.machine_id);
    } else if (auto i = found.find(ref.machine_id); i != found.end()) {
      row.state = i->second.state;
      if (IsOurs(i->second)) {
        row.acquire_request_id = i->second.request_id;
        to_release[""].push_back(ref.machine_id);
      } else {
        row.result = MachineResult::kFail;
        row.message = "not an instance this installation (" + ctx_.options().provider_name +
                      ") created; left alone";
      }
    } else if (absent.count(ref.machine_id) != 0) {
      row.state = InstanceState::kTerminated;
      row.result = MachineResult::kSucceed;
      row.message = "the instance no longer exists";
    } else {
      row.result = MachineResult::kFail;
      row.message =
          "the cloud does not show this instance now; nothing was done (return it "
          "again later)";
    }
    rows.push_back(std::move(row));
  }
  const std::string id = ctx_.NewId("ret");
  Result<Request> request = ctx_.store().CreateReturn(id, rows, ctx_.self(), ctx_.Now());
  if (!request.ok()) {
    return Fail("cannot save the return request: " + request.error().ToString());
  }
  ctx_.log().Log(level_enum::info,
                 "return request " + id + ": " + std::to_string(rows.size()) + " machine(s)",
                 {{"event", "return"}, {"request_id", id}, {"instances", ids}});
  const std::string problems = ReleaseAll(to_release);
  std::string message = "terminating " + std::to_string(rows.size()) + " machine(s)";
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
  if (!open.empty() && !request.finished()) {
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
      (void)ctx_.Saved(ctx_.store().SaveReturnMachines(v.rows), "the returned machines",
                       request.id);
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
    MachineReport m;
    m.machine_id = r.instance_id;
    m.name = r.name.empty() ? r.instance_id : r.name;
    m.result = r.result;
    m.status = r.state;
    m.message = r.message;
    if (auto it = known.find(r.instance_id); it != known.end()) {
      m.private_ip_address = it->second.private_ip;
      m.public_ip_address = it->second.public_ip;
      m.launch_time = it->second.launch_time;
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

CommandResult Returner::GetReturnRequests(const std::vector<MachineRef>& refs) {
  const std::vector<std::string> ids = IdsOf(refs);
  Result<std::set<std::string>> returned = ctx_.store().ReturnedInstances(ids);
  if (!returned.ok()) return Fail("cannot read the state store: " + returned.error().ToString());
  Result<std::vector<Machine>> rows = ctx_.store().MachinesByIds(ids);
  if (!rows.ok()) return Fail("cannot read the state store: " + rows.error().ToString());
  const std::map<std::string, Machine> known =
      IndexBy(std::move(*rows), [](const Machine& m) { return m.instance_id; });
  std::vector<std::string> held;
  for (const std::string& id : ids) {
    if (returned->count(id) == 0) held.push_back(id);  // we are returning it: not the cloud
  }
  Result<provider::InstanceLookup> lookup =
      ctx_.provider().LookUpInstances(held, ctx_.options().max_gone_checks);
  if (!lookup.ok()) return Fail("cannot look the machines up: " + lookup.error().ToString());
  const std::map<std::string, model::Instance> by_id =
      IndexBy(std::move(lookup->found), [](const model::Instance& i) { return i.id; });
  const std::set<std::string> absent(lookup->absent.begin(), lookup->absent.end());
  const model::Timestamp now = ctx_.Now();

  auto name_of = [&](const MachineRef& ref) {
    if (!ref.name.empty()) return ref.name;
    if (auto m = known.find(ref.machine_id); m != known.end() && !m->second.name.empty())
      return m->second.name;
    if (auto i = by_id.find(ref.machine_id);
        i != by_id.end() && !i->second.private_dns_name.empty()) {
      return i->second.private_dns_name;
    }
    return ref.machine_id;
  };
  // Known to this store for less than the grace: a describe by id saying "does not exist" may
  // only mean EC2 has not caught up.
  auto too_new = [&](const std::string& id) {
    auto m = known.find(id);
    return m != known.end() &&
           now - m->second.created_at <= ctx_.options().acquire.visibility_grace;
  };
  std::vector<ReturnNotice> notices;
  std::map<std::string, const MachineRef*> spot;  // spot request id -> machine
  for (const MachineRef& ref : refs) {
    if (returned->count(ref.machine_id) != 0) continue;
    auto i = by_id.find(ref.machine_id);
    if (i == by_id.end()) {
      if (absent.count(ref.machine_id) != 0 && !too_new(ref.machine_id)) {
        notices.push_back({name_of(ref), 0});
      }
    } else if (model::IsGone(i->second.state)) {
      notices.push_back({name_of(ref), 0});
    } else if (!i->second.spot_request_id.empty()) {
      spot[i->second.spot_request_id] = &ref;
    }
  }
  std::string message;
  if (!spot.empty()) {
    std::vector<std::string> spot_ids;
    for (const auto& [sid, _] : spot) spot_ids.push_back(sid);
    Result<std::vector<model::InterruptionNotice>> marked = ctx_.provider().SpotNotices(spot_ids);
    if (marked.ok()) {
      for (const model::InterruptionNotice& n : *marked) {
        if (auto m = spot.find(n.spot_request_id); m != spot.end())
          notices.push_back({name_of(*m->second), n.grace_seconds});
      }
    } else {
      message = "could not check Spot interruption notices: " + marked.error().ToString();
    }
  }
  if (!notices.empty()) {
    ctx_.log().Log(level_enum::info,
                   std::to_string(notices.size()) + " machine(s) being taken back by the cloud",
                   {{"event", "return_notices"}});
  }
  return {kExitOk, ReturnRequestsJson(notices, message)};
}

}  // namespace ohfp::hostfactory
