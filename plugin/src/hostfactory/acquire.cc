#include "hostfactory/acquire.h"

#include <algorithm>
#include <set>

#include "base/exit_codes.h"
#include "base/strings.h"
#include "hostfactory/housekeeping.h"
#include "provider/launch_verdict.h"

namespace ohfp::hostfactory {
namespace {

using model::Attempt;
using model::AttemptState;
using model::Machine;
using model::MachineResult;
using model::Request;
using model::RequestState;
using provider::LaunchVerdict;
using resilience::Error;
using resilience::ErrorKind;
using resilience::Result;
using resilience::Status;
using spdlog::level::level_enum;

std::string KnownTemplates(const model::TemplateSet& templates) {
  std::vector<std::string> known;
  for (const model::Template& x : templates.templates) known.push_back(x.template_id);
  return base::Join(known, ", ");
}

// What the command prints after a failure that left the request saved: its id too, so that
// HostFactory (or a person) can look it up.
CommandResult Failed(const std::string& request_id, const std::string& message) {
  return {kExitFailed, RequestIdJson(request_id, message)};
}

std::string UnsettledMessage(LaunchVerdict verdict, const Error& e) {
  switch (verdict) {
    case LaunchVerdict::kRetryLater:
      return "not launched yet (" + e.ToString() + "); getRequestStatus sends it again";
    case LaunchVerdict::kExists:
      return "the launch may have happened already (" + e.ToString() +
             "); getRequestStatus finds it by its tags";
    case LaunchVerdict::kRefused:
    case LaunchVerdict::kUnknown:
      break;
  }
  return "launch not confirmed yet (" + e.ToString() + "); getRequestStatus will settle it";
}

}  // namespace

void AddDetails(MachineReport& r, const Machine& m, const model::TemplateSet& templates) {
  r.private_ip_address = m.private_ip;
  r.public_ip_address = m.public_ip;
  r.launch_time = m.launch_time;
  r.price_type = m.lifecycle == model::Lifecycle::kSpot ? "spot" : "ondemand";
  if (const model::Template* t = templates.Find(m.template_id)) {
    // Known for sure only when the template names one instance type (a fleet's vmTypes may give
    // the machine any of them).
    if (t->vm_types.size() <= 1) r.instance_type = t->vm_type;
    if (!t->instance_tags.empty()) r.instance_tags = InstanceTagsText(*t);
  }
}

MachineReport ReportOf(const Machine& m, const model::TemplateSet& templates) {
  MachineReport r = BasicReport(m);
  AddDetails(r, m, templates);
  return r;
}

// ---------------------------------------------------------------------------------------------
// requestMachines

Status Acquirer::SaveFound(const Request& request, const std::vector<model::Instance>& found) {
  Result<std::vector<Machine>> stored = ctx_.store().MachinesOfRequest(request.id);
  if (!stored.ok()) return stored.error();
  std::vector<Machine> machines = std::move(*stored);
  const model::Timestamp now = ctx_.Now();
  for (const model::Instance& i : found) {
    auto it = std::find_if(machines.begin(), machines.end(),
                           [&](const Machine& m) { return m.instance_id == i.id; });
    if (it == machines.end()) {
      machines.push_back(model::NewMachine(request, i.id, now));
      it = machines.end() - 1;
    }
    model::Observe(*it, i);
    // A running instance is a machine HostFactory can use. Saved so, a poll answered from the
    // store (the cloud unreachable) stays within the contract.
    if (it->result == MachineResult::kExecuting && it->state == model::InstanceState::kRunning) {
      it->result = MachineResult::kSucceed;
    }
    it->updated_at = now;
  }
  return ctx_.Saved(ctx_.store().SaveMachines(machines), "the launched machines", request.id);
}

Acquirer::AttemptResult Acquirer::RunAttempt(const Request& request, const model::Template& t,
                                             const Attempt& a, const LaunchInputs& inputs) {
  provider::LaunchSpec spec{.tmpl = &t,
                            .request_id = request.id,
                            .count = request.machine_count,
                            .attempt = a.number,
                            .client_token = a.client_token,
                            .tags = ctx_.TagsFor(t, request.id),
                            .user_data = inputs.user_data,
                            .image_id = inputs.image_id,
                            .root_device_name = inputs.root_device_name};
  Result<provider::LaunchOutcome> outcome = ctx_.provider().Launch(spec);
  const model::Timestamp now = ctx_.Now();
  if (!outcome.ok()) {
    const Error& e = outcome.error();
    const LaunchVerdict verdict = provider::LaunchVerdictOf(e);
    const std::string prefix = "request " + request.id + ": attempt " + std::to_string(a.number);
    if (verdict == LaunchVerdict::kRefused) {
      (void)ctx_.Saved(ctx_.store().SetAttemptState(request.id, a.number, AttemptState::kFailed,
                                                    e.ToString(), now),
                       "the refused attempt", request.id);
      ctx_.log().Log(level_enum::err, prefix + " refused: " + e.ToString(),
                     {{"event", "launch_refused"},
                      {"request_id", request.id},
                      {"attempt", a.number},
                      {"code", e.code()}});
      return {Outcome::kRefused, e.ToString(), e};
    }
    // Still prepared; the error is kept for the message if the launch is never confirmed.
    (void)ctx_.Saved(ctx_.store().SetAttemptState(request.id, a.number, AttemptState::kPrepared,
                                                  e.ToString(), now),
                     "the attempt's last error", request.id);
    ctx_.log().Log(
        level_enum::warn,
        prefix + " " + std::string(provider::LaunchVerdictName(verdict)) + ": " + e.ToString(),
        {{"event", "launch_unknown"},
         {"request_id", request.id},
         {"attempt", a.number},
         {"verdict", provider::LaunchVerdictName(verdict)}});
    return {Outcome::kUnsettled, UnsettledMessage(verdict, e), e};
  }
  if (Status s = SaveFound(request, outcome->instances); !s.ok()) {
    // Launched, but not recorded: the attempt stays prepared and the next poll finds the
    // instances by their tags.
    return {Outcome::kUnsettled,
            "launched, but the state store could not record it (" + s.error().ToString() +
                "); getRequestStatus will settle it",
            s.error()};
  }
  if (!outcome->created.empty()) {
    (void)ctx_.Saved(ctx_.store().SetRequestResources(request.id, outcome->created, now),
                     "what was created", request.id);
  }
  const std::string errors = base::Join(outcome->errors, "; ");
  (void)ctx_.Saved(
      ctx_.store().SetAttemptState(request.id, a.number, AttemptState::kSucceeded, errors, now),
      "the attempt's success", request.id);
  std::string message = "launching " + std::to_string(outcome->instances.size()) + " of " +
                        std::to_string(request.machine_count) + " machine(s)";
  if (!errors.empty()) message += " (" + errors + ")";
  ctx_.log().Log(level_enum::info, "request " + request.id + ": " + message,
                 {{"event", "launch"},
                  {"request_id", request.id},
                  {"attempt", a.number},
                  {"instances", outcome->instances.size()}});
  return {Outcome::kLaunched, message, std::nullopt};
}

CommandResult Acquirer::RequestMachines(const RequestMachinesInput& input,
                                        const std::function<int()>& reclaim_unclaimed) {
  const model::Template* t = ctx_.templates().Find(input.template_id);
  if (t == nullptr) {
    return {kExitBadInput, ErrorJson("unknown template '" + input.template_id +
                                     "' (known: " + KnownTemplates(ctx_.templates()) + ")")};
  }
  // Everything the launch needs, before anything is saved: a failure changes nothing.
  Result<std::string> image = ImageOf(ctx_, *t);
  if (!image.ok()) {
    return {kExitFailed,
            ErrorJson(std::string(image.error().message()) + "; nothing was requested")};
  }
  Result<LaunchInputs> inputs = LaunchInputsFor(ctx_, *t, *image);
  if (!inputs.ok()) {
    const bool bad_input = inputs.error().code() == "UserDataUnreadable";
    return {bad_input ? kExitBadInput : kExitFailed,
            ErrorJson(std::string(inputs.error().message()) + "; nothing was requested")};
  }

  const std::string id = ctx_.NewId("req");
  const store::NewAcquire record{.id = id,
                                 .template_id = t->template_id,
                                 .machine_count = input.machine_count,
                                 .provider_api = t->provider_api,
                                 .max_number = t->max_number,
                                 .image_id = inputs->image_id,
                                 .client_token = model::ClientTokenFor(id, 1),
                                 .owner = ctx_.self(),
                                 .now = ctx_.Now()};
  Result<Request> request = ctx_.store().CreateAcquire(record);
  // maxNumber may be held by requests nobody will ever use (their requestMachines was killed
  // before it printed the id). getRequestStatus's housekeeping reclaims them, but a HostFactory
  // waiting for capacity may poll nothing: reclaim them now, and ask once more.
  if (!request.ok() && request.error().code() == "NotEnoughCapacity" && reclaim_unclaimed &&
      reclaim_unclaimed() > 0) {
    request = ctx_.store().CreateAcquire(record);
  }
  if (!request.ok()) {
    const bool capacity = request.error().code() == "NotEnoughCapacity";
    return {capacity ? kExitBadInput : kExitFailed,
            ErrorJson(capacity ? std::string(request.error().message())
                               : "cannot save the request: " + request.error().ToString())};
  }
  const std::string api(model::ProviderApiName(t->provider_api));
  ctx_.log().Log(level_enum::info,
                 "request " + id + ": " + std::to_string(input.machine_count) +
                     " machine(s) of template " + t->template_id + " (" + api + ")",
                 {{"event", "request"},
                  {"request_id", id},
                  {"template_id", t->template_id},
                  {"machine_count", input.machine_count}});

  // Attempt 1, then (after a capacity refusal) one attempt per further subnet, each with its own
  // ClientToken.
  const int max_attempts = std::max<int>(1, static_cast<int>(t->subnet_ids.size()));
  Attempt attempt{id, 1, model::ClientTokenFor(id, 1), AttemptState::kPrepared, "", {}, {}};
  for (;;) {
    const AttemptResult r = RunAttempt(*request, *t, attempt, *inputs);
    if (r.outcome != Outcome::kRefused) {
      return {kExitOk, RequestIdJson(id, "request " + id + ": " + r.message)};
    }
    if (r.error->kind() == ErrorKind::kCapacity && attempt.number < max_attempts) {
      Result<Attempt> next =
          ctx_.store().AddAttempt(id, model::ClientTokenFor(id, attempt.number + 1), ctx_.Now());
      if (ctx_.Saved(next.ok() ? resilience::OkStatus() : Status(next.error()), "a new attempt", id)
              .ok()) {
        attempt = *next;
        continue;
      }
    }
    const std::string why = "requestMachines failed: " + r.error->ToString();
    (void)ctx_.Saved(
        ctx_.store().SetRequestState(id, RequestState::kCompleteWithError, why, ctx_.Now()),
        "the failed request", id);
    CleanupIfEmpty(ctx_, id);  // a launch template made for the refused attempts
    return Failed(id, why);
  }
}

// ---------------------------------------------------------------------------------------------
// getRequestStatus

Status Acquirer::Reconcile(Request& request, const Attempt& attempt) {
  // 1. Did the cloud launch anything for this request? The tags say.
  Result<model::Observation> seen = ctx_.provider().Observe(request);
  if (seen.ok() && (!seen->instances.empty() || !seen->found.resource_id.empty())) {
    // A fleet or group found by its tag is adopted even before its first instance: it will fill.
    if (request.created.resource_id.empty() && !seen->found.empty()) {
      (void)ctx_.Saved(ctx_.store().SetRequestResources(request.id, seen->found, ctx_.Now()),
                       "what was found by tag", request.id);
      request.created = seen->found;
    }
    if (Status s = SaveFound(request, seen->instances); !s.ok()) return s;
    (void)ctx_.Saved(ctx_.store().SetAttemptState(request.id, attempt.number,
                                                  AttemptState::kSucceeded, "", ctx_.Now()),
                     "the settled attempt", request.id);
    ctx_.log().Log(
        level_enum::info,
        "request " + request.id + ": attempt " + std::to_string(attempt.number) +
            " settled: " + std::to_string(seen->instances.size()) + " instance(s)" +
            (seen->found.resource_id.empty() ? std::string() : " of " + seen->found.resource_id) +
            " found by tag",
        {{"event", "reconcile"}, {"request_id", request.id}});
    return resilience::OkStatus();
  }
  // 2. Its creator may still be waiting for the answer.
  if (ctx_.IsAlive(request.owner) && request.owner.start != ctx_.self().start) {
    return resilience::OkStatus();
  }
  // 3. Send the same call again: the same ClientToken returns the original result or launches
  // now, never twice.
  const model::Template* t = ctx_.templates().Find(request.template_id);
  if (t == nullptr) {
    (void)ctx_.Saved(ctx_.store().SetAttemptState(request.id, attempt.number, AttemptState::kFailed,
                                                  "template removed", ctx_.Now()),
                     "the attempt of a removed template", request.id);
    return resilience::OkStatus();
  }
  // The same image as the first send (the template may have been edited since).
  Result<LaunchInputs> inputs =
      LaunchInputsFor(ctx_, *t, request.image_id.empty() ? t->image_id : request.image_id);
  if (!inputs.ok()) {
    // Not sent: the attempt stays prepared, and the next poll tries again.
    (void)ctx_.Saved(
        ctx_.store().SetAttemptState(request.id, attempt.number, AttemptState::kPrepared,
                                     inputs.error().ToString(), ctx_.Now()),
        "the attempt's last error", request.id);
    return resilience::OkStatus();
  }
  const AttemptResult r = RunAttempt(request, *t, attempt, *inputs);
  if (r.outcome == Outcome::kRefused) {
    request.state = RequestState::kCompleteWithError;
    request.message = "launch refused: " + r.error->ToString();
    (void)ctx_.Saved(
        ctx_.store().SetRequestState(request.id, request.state, request.message, ctx_.Now()),
        "the refused request", request.id);
    CleanupIfEmpty(ctx_, request.id);
  }
  return resilience::OkStatus();
}

Result<RequestReport> Acquirer::StoredReport(const Request& request) {
  Result<std::vector<Machine>> machines = ctx_.store().MachinesOfRequest(request.id);
  if (!machines.ok()) return machines.error();
  RequestReport r{request.id, request.state, request.message, {}};
  for (const Machine& m : *machines) r.machines.push_back(ReportOf(m, ctx_.templates()));
  return r;
}

Result<bool> Acquirer::SettleLaunch(Request& request, bool& unsettled, std::string& attempt_error) {
  Result<std::vector<Attempt>> attempts = ctx_.store().Attempts(request.id);
  if (!attempts.ok()) return attempts.error();
  if (attempts->empty()) return false;
  attempt_error = attempts->back().error;
  if (attempts->back().state != AttemptState::kPrepared) return false;
  if (Status s = Reconcile(request, attempts->back()); !s.ok()) return s.error();
  if (request.finished()) return true;
  Result<std::vector<Attempt>> again = ctx_.store().Attempts(request.id);
  if (!again.ok()) return again.error();
  if (again->empty()) return false;
  unsettled = again->back().state == AttemptState::kPrepared;
  attempt_error = again->back().error;
  if (!unsettled ||
      !model::ConfirmationExpired(again->back(), ctx_.Now(), ctx_.options().acquire)) {
    return false;
  }
  request.state = RequestState::kCompleteWithError;
  request.message = "the launch could not be confirmed within " +
                    std::to_string(ctx_.options().acquire.confirmation_window.count()) + " s" +
                    (again->back().error.empty() ? "" : ": " + again->back().error);
  (void)ctx_.Saved(
      ctx_.store().SetRequestState(request.id, request.state, request.message, ctx_.Now()),
      "the unconfirmed request", request.id);
  return true;
}

std::set<std::string> Acquirer::LookUpMissing(const std::vector<Machine>& stored,
                                              model::Observation& seen) {
  const std::vector<std::string> missing =
      model::MissingPastGrace(stored, seen, ctx_.Now(), ctx_.options().acquire);
  if (missing.empty()) return {};
  Result<provider::InstanceLookup> lookup =
      ctx_.provider().LookUpInstances(missing, ctx_.options().max_gone_checks);
  if (!lookup.ok()) {
    ctx_.log().Log(level_enum::warn,
                   "cannot look up " + std::to_string(missing.size()) +
                       " machine(s) the cloud did not list: " + lookup.error().ToString() +
                       "; they keep their last result",
                   {{"event", "lookup"}, {"instances", missing}});
    return {};
  }
  for (model::Instance& i : lookup->found) seen.instances.push_back(std::move(i));
  return {lookup->absent.begin(), lookup->absent.end()};
}

void Acquirer::ReleaseStuck(const Request& request, const std::vector<std::string>& stuck) {
  if (stuck.empty()) return;
  const std::string timeout = std::to_string(ctx_.options().acquire.pending_timeout.count());
  if (Status s = ctx_.provider().Release(request, stuck); !s.ok()) {
    ctx_.log().Log(level_enum::err,
                   "request " + request.id +
                       ": cannot terminate instances stuck in pending: " + s.error().ToString(),
                   {{"event", "pending_timeout"}, {"request_id", request.id}});
    return;
  }
  ctx_.log().Log(level_enum::warn,
                 "request " + request.id + ": terminated " + std::to_string(stuck.size()) +
                     " instance(s) stuck in pending past " + timeout + " s",
                 {{"event", "pending_timeout"}, {"request_id", request.id}});
}

// A fleet or group still short of its target after the fulfilment timeout keeps what it has:
// its target is lowered so nothing arrives later. True when it no longer fulfils.
bool Acquirer::ShrinkIfDue(const Request& request, model::Observation& seen,
                           const model::MachineVerdicts& verdicts) {
  const std::optional<int> keep =
      model::ShrinkTarget(request, seen, verdicts, ctx_.Now(), ctx_.options().acquire);
  if (!keep) return false;
  const std::string timeout = std::to_string(ctx_.options().acquire.fulfillment_timeout.count());
  if (Status s = ctx_.provider().Shrink(request, *keep); !s.ok()) {
    ctx_.log().Log(level_enum::err,
                   "request " + request.id + ": cannot lower the target: " + s.error().ToString(),
                   {{"event", "fulfillment_timeout"}, {"request_id", request.id}});
    return false;
  }
  seen.errors.push_back("not fulfilled within " + timeout + " s; keeping " + std::to_string(*keep));
  ctx_.log().Log(level_enum::warn,
                 "request " + request.id + ": target not met within " + timeout + " s; keeping " +
                     std::to_string(*keep) + " of " + std::to_string(request.machine_count),
                 {{"event", "fulfillment_timeout"}, {"request_id", request.id}});
  return true;
}

Result<RequestReport> Acquirer::Refresh(Request request) {
  if (request.finished()) return StoredReport(request);
  bool unsettled = false;
  std::string attempt_error;
  Result<bool> ended = SettleLaunch(request, unsettled, attempt_error);
  if (!ended.ok()) return ended.error();
  if (*ended) return StoredReport(request);

  Result<model::Observation> seen = ctx_.provider().Observe(request);
  if (!seen.ok()) {
    Result<RequestReport> r = StoredReport(request);
    if (r.ok()) r->message = "could not refresh from the cloud: " + seen.error().ToString();
    return r;
  }
  Result<std::vector<Machine>> stored = ctx_.store().MachinesOfRequest(request.id);
  if (!stored.ok()) return stored.error();
  const std::set<std::string> absent = LookUpMissing(*stored, *seen);
  model::MachineVerdicts verdicts = model::ClassifyMachines(
      request, std::move(*stored), *seen, absent, ctx_.Now(), ctx_.options().acquire);
  ReleaseStuck(request, verdicts.stuck);
  // The request's status is decided from these machines: unsaved, they decide nothing (the next
  // poll looks again), or the request could end without machines the store never recorded.
  if (Status saved =
          ctx_.Saved(ctx_.store().SaveMachines(verdicts.machines), "the machines", request.id);
      !saved.ok()) {
    return saved.error();
  }
  const bool shrunk = ShrinkIfDue(request, *seen, verdicts);
  const model::RequestVerdict verdict =
      model::DecideAcquireState(request, verdicts,
                                {.fulfilling = seen->fulfilling && !shrunk,
                                 .unsettled = unsettled,
                                 .running_capacity = seen->running_capacity,
                                 .cloud_errors = seen->errors,
                                 .attempt_error = attempt_error});
  if (verdict.state != request.state || verdict.message != request.message) {
    (void)ctx_.Saved(
        ctx_.store().SetRequestState(request.id, verdict.state, verdict.message, ctx_.Now()),
        "the request's status", request.id);
    // A request that ends with nothing running (a failed or expired fleet, a group that got no
    // instance) will see no return: delete what was created for it now.
    if (verdict.state != RequestState::kRunning) {
      request.state = verdict.state;
      CleanupIfEmpty(ctx_, request.id);
    }
  }
  RequestReport r{request.id, verdict.state, verdict.message, {}};
  for (const Machine& m : verdicts.machines) r.machines.push_back(ReportOf(m, ctx_.templates()));
  return r;
}

}  // namespace ohfp::hostfactory
