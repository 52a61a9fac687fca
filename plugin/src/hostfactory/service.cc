#include "hostfactory/service.h"

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include "hostfactory/process_identity.h"

namespace ohfp::hostfactory {
namespace {

using aws::ec2::Instance;
using resilience::Error;
using resilience::ErrorKind;
using resilience::Result;
using resilience::Status;
using spdlog::level::level_enum;
using store::AttemptState;
using store::MachineRecord;
using store::RequestKind;
using store::RequestRecord;
using store::RequestState;

// Errors after which the cloud certainly launched nothing for this attempt: it refused the request
// itself. (A refusal also proves no earlier retry of the same ClientToken launched anything: EC2
// would have answered with the original reservation.) Anything else — a timeout, a 5xx, a lost
// connection, throttling or an open circuit after an earlier attempt went unanswered — leaves the
// outcome unknown.
bool Refused(const Error& e) {
  switch (e.kind()) {
    case ErrorKind::kValidation:
    case ErrorKind::kAuthentication:
    case ErrorKind::kAuthorization:
    case ErrorKind::kQuota:
    case ErrorKind::kCapacity:
    case ErrorKind::kNotFound:
    case ErrorKind::kIdempotencyMismatch:
    case ErrorKind::kAlreadyExists:
    case ErrorKind::kClockSkew:
      return true;
    case ErrorKind::kThrottled:
    case ErrorKind::kTransient:
    case ErrorKind::kTimeout:
    case ErrorKind::kCircuitOpen:
    case ErrorKind::kCancelled:
    case ErrorKind::kInternal:
    case ErrorKind::kUnknown:
      return false;
  }
  return false;
}

bool Gone(std::string_view state) {
  return state == "shutting-down" || state == "terminated" || state == "stopping" ||
         state == "stopped";
}

CommandResult Fail(int code, std::string message) { return {code, ErrorJson(message)}; }

MachineReport Report(const MachineRecord& m) {
  MachineReport r;
  r.machine_id = m.instance_id;
  r.name = m.name.empty() ? m.instance_id : m.name;
  r.result = m.result == "succeed" ? MachineResult::kSucceed
             : m.result == "fail"  ? MachineResult::kFail
                                   : MachineResult::kExecuting;
  r.status = m.state;
  r.private_ip_address = m.private_ip;
  r.public_ip_address = m.public_ip;
  r.launch_time = m.launch_time;
  r.message = m.message;
  return r;
}

RequestStatus ToStatus(RequestState s) {
  switch (s) {
    case RequestState::kRunning:
      return RequestStatus::kRunning;
    case RequestState::kComplete:
      return RequestStatus::kComplete;
    case RequestState::kCompleteWithError:
      return RequestStatus::kCompleteWithError;
  }
  return RequestStatus::kRunning;
}

std::string Join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (const std::string& p : parts) {
    if (p.empty()) continue;
    if (!out.empty()) out += sep;
    out += p;
  }
  return out;
}

// Copies what EC2 says about an instance into its record.
void Observe(MachineRecord& m, const Instance& i) {
  m.name = i.private_dns_name.empty() ? m.name : i.private_dns_name;
  m.private_ip = i.private_ip_address.empty() ? m.private_ip : i.private_ip_address;
  m.public_ip = i.public_ip_address;
  m.state = i.state;
  m.lifecycle = i.lifecycle;
  m.spot_request_id = i.spot_instance_request_id;
  if (i.launch_time) {
    m.launch_time =
        std::chrono::duration_cast<std::chrono::seconds>(i.launch_time->time_since_epoch()).count();
  }
}

}  // namespace

HostFactoryService::HostFactoryService(ServiceDependencies dependencies, ServiceOptions options)
    : deps_(std::move(dependencies)), options_(std::move(options)) {
  if (!deps_.is_alive)
    deps_.is_alive = [](const store::ProcessIdentity& who) { return IsAlive(who); };
}

std::int64_t HostFactoryService::NowMs() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             deps_.clock.SystemNow().time_since_epoch())
      .count();
}

std::int64_t HostFactoryService::NowSeconds() const { return NowMs() / 1000; }

std::string HostFactoryService::NewId(std::string_view prefix) {
  // A random (version 4) UUID.
  const auto hex = [&](int digits) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string s;
    for (int i = 0; i < digits; ++i) {
      s += kDigits[static_cast<std::size_t>(deps_.random.NextDouble() * 16.0) & 15U];
    }
    return s;
  };
  return std::string(prefix) + "-" + hex(8) + "-" + hex(4) + "-4" + hex(3) + "-" +
         "89ab"[static_cast<std::size_t>(deps_.random.NextDouble() * 4)] + hex(3) + "-" + hex(12);
}

std::vector<aws::ec2::Tag> HostFactoryService::TagsFor(const Template& t,
                                                       const std::string& request_id) const {
  std::vector<aws::ec2::Tag> tags = {{std::string(provider::kTagRequestId), request_id},
                                     {std::string(provider::kTagTemplateId), t.template_id},
                                     {std::string(provider::kTagProvider), options_.provider_name}};
  for (const auto& [k, v] : options_.tags) tags.push_back({k, v});
  for (const auto& [k, v] : t.instance_tags) tags.push_back({k, v});
  return tags;
}

Result<std::string> HostFactoryService::ReadUserData(const Template& t) const {
  if (t.user_data_script.empty()) return std::string();
  std::filesystem::path path(t.user_data_script);
  if (path.is_relative()) path = options_.confdir / path;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Error(ErrorKind::kValidation, "UserDataUnreadable",
                 "template " + t.template_id + ": cannot read userDataScript " + path.string());
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// ---------------------------------------------------------------------------------------------------------------
// getAvailableTemplates

CommandResult HostFactoryService::GetAvailableTemplates() {
  // ncpus / nram / ncores from DescribeInstanceTypes for templates that do not give them (cached in
  // the store).
  std::set<std::string> wanted;
  for (const Template& t : deps_.templates.templates) {
    if ((t.FindAttribute("ncpus") == nullptr || t.FindAttribute("nram") == nullptr) &&
        !t.vm_type.empty()) {
      wanted.insert(t.vm_type);
    }
  }
  std::map<std::string, store::InstanceTypeRecord> types;
  std::string message;
  if (!wanted.empty()) {
    const std::vector<std::string> list(wanted.begin(), wanted.end());
    if (auto cached = deps_.store.InstanceTypes(list); cached.ok()) {
      for (const auto& r : *cached) types[r.instance_type] = r;
    }
    std::vector<std::string> missing;
    for (const std::string& w : list) {
      if (types.count(w) == 0) missing.push_back(w);
    }
    if (!missing.empty()) {
      Result<std::vector<store::InstanceTypeRecord>> fetched =
          deps_.provider.DescribeInstanceTypes(missing);
      if (fetched.ok()) {
        (void)deps_.store.SaveInstanceTypes(*fetched, NowMs());
        for (const auto& r : *fetched) types[r.instance_type] = r;
      } else {
        message = "could not read instance type details: " + fetched.error().ToString();
        deps_.log.Log(level_enum::warn, message, {{"event", "instance_types"}});
      }
    }
  }
  std::vector<nlohmann::ordered_json> out;
  for (const Template& t : deps_.templates.templates) {
    Template shown = t;
    if (auto it = types.find(t.vm_type); it != types.end()) {
      auto add = [&](const char* name, std::int64_t value) {
        if (shown.FindAttribute(name) == nullptr)
          shown.attributes.push_back({name, "Numeric", std::to_string(value)});
      };
      add("ncpus", it->second.vcpus);
      add("ncores", it->second.cores);
      add("nram", it->second.memory_mib);
    }
    int available = kUnlimitedAvailable;
    if (t.max_number >= 0) {
      Result<int> held = deps_.store.HeldMachines(t.template_id);
      if (!held.ok())
        return Fail(kExitFailed, "cannot read the state store: " + held.error().ToString());
      available = std::max(0, t.max_number - *held);
    }
    out.push_back(HostFactoryTemplateJson(shown, available));
  }
  return {kExitOk, TemplatesJson(out, message)};
}

// ---------------------------------------------------------------------------------------------------------------
// requestMachines

Status HostFactoryService::SaveInstances(const RequestRecord& request,
                                         const std::vector<Instance>& found,
                                         std::vector<MachineRecord>& machines) {
  const std::int64_t now = NowMs();
  for (const Instance& i : found) {
    auto it = std::find_if(machines.begin(), machines.end(),
                           [&](const MachineRecord& m) { return m.instance_id == i.instance_id; });
    if (it == machines.end()) {
      MachineRecord m;
      m.instance_id = i.instance_id;
      m.request_id = request.id;
      m.template_id = request.template_id;
      m.result = "executing";
      m.created_at = now;
      machines.push_back(std::move(m));
      it = machines.end() - 1;
    }
    Observe(*it, i);
    // The rule every refresh applies: a running instance is a machine HostFactory can use. Saved
    // so, a poll answered from the store (the cloud unreachable) stays within the contract.
    if (it->result == "executing" && it->state == "running") it->result = "succeed";
    it->updated_at = now;
  }
  return deps_.store.SaveMachines(machines);
}

Status HostFactoryService::RunAttempt(const RequestRecord& request, const Template& t,
                                      const store::AttemptRecord& a, const std::string& user_data,
                                      std::string& message) {
  provider::LaunchSpec spec;
  spec.tmpl = &t;
  spec.request_id = request.id;
  spec.count = request.machine_count;
  spec.attempt = a.number;
  spec.client_token = a.client_token;
  spec.tags = TagsFor(t, request.id);
  spec.user_data = user_data;
  Result<provider::LaunchOutcome> outcome = deps_.provider.Launch(spec);
  const std::int64_t now = NowMs();
  if (outcome.ok()) {
    std::vector<MachineRecord> machines;
    if (Status s = SaveInstances(request, outcome->instances, machines); !s.ok()) return s;
    if (!outcome->resource_id.empty() || !outcome->launch_template_id.empty()) {
      (void)deps_.store.SetRequestResources(request.id, outcome->resource_id,
                                            outcome->launch_template_id, now);
    }
    (void)deps_.store.SetAttemptState(request.id, a.number, AttemptState::kSucceeded,
                                      Join(outcome->errors, "; "), now);
    message = "launching " + std::to_string(outcome->instances.size()) + " of " +
              std::to_string(request.machine_count) + " machine(s)";
    if (!outcome->errors.empty()) message += " (" + Join(outcome->errors, "; ") + ")";
    deps_.log.Log(level_enum::info, "request " + request.id + ": " + message,
                  {{"event", "launch"},
                   {"request_id", request.id},
                   {"attempt", a.number},
                   {"instances", outcome->instances.size()}});
    return resilience::OkStatus();
  }
  const Error& e = outcome.error();
  if (Refused(e)) {
    (void)deps_.store.SetAttemptState(request.id, a.number, AttemptState::kFailed, e.ToString(),
                                      now);
    deps_.log.Log(level_enum::err,
                  "request " + request.id + ": attempt " + std::to_string(a.number) +
                      " refused: " + e.ToString(),
                  {{"event", "launch_refused"}, {"request_id", request.id}, {"attempt", a.number}});
    return e;
  }
  message = "launch not confirmed yet (" + e.ToString() + "); getRequestStatus will settle it";
  deps_.log.Log(level_enum::warn,
                "request " + request.id + ": attempt " + std::to_string(a.number) +
                    " outcome unknown: " + e.ToString(),
                {{"event", "launch_unknown"}, {"request_id", request.id}, {"attempt", a.number}});
  return resilience::OkStatus();
}

CommandResult HostFactoryService::RequestMachines(const RequestMachinesInput& input) {
  const Template* t = deps_.templates.Find(input.template_id);
  if (t == nullptr) {
    std::vector<std::string> known;
    for (const Template& x : deps_.templates.templates) known.push_back(x.template_id);
    return Fail(kExitBadInput,
                "unknown template '" + input.template_id + "' (known: " + Join(known, ", ") + ")");
  }
  Result<std::string> user_data = ReadUserData(*t);
  if (!user_data.ok()) return Fail(kExitBadInput, std::string(user_data.error().message()));

  const std::string id = NewId("req");
  Result<RequestRecord> request =
      deps_.store.CreateAcquire({.id = id,
                                 .template_id = t->template_id,
                                 .machine_count = input.machine_count,
                                 .provider_api = std::string(ProviderApiName(t->provider_api)),
                                 .max_number = t->max_number,
                                 .client_token = id + "-1",
                                 .owner = deps_.self,
                                 .now = NowMs()});
  if (!request.ok()) {
    const bool capacity = request.error().code() == "NotEnoughCapacity";
    return Fail(capacity ? kExitBadInput : kExitFailed,
                capacity ? std::string(request.error().message())
                         : "cannot save the request: " + request.error().ToString());
  }
  deps_.log.Log(level_enum::info,
                "request " + id + ": " + std::to_string(input.machine_count) +
                    " machine(s) of template " + t->template_id + " (" +
                    std::string(ProviderApiName(t->provider_api)) + ")",
                {{"event", "request"},
                 {"request_id", id},
                 {"template_id", t->template_id},
                 {"machine_count", input.machine_count}});

  // Attempt 1, then (after a capacity refusal) one attempt per further subnet, each with its own
  // ClientToken.
  const int max_attempts = std::max<int>(1, static_cast<int>(t->subnet_ids.size()));
  store::AttemptRecord attempt{id, 1, id + "-1", AttemptState::kPrepared, "", 0, 0};
  for (;;) {
    std::string message;
    Status s = RunAttempt(*request, *t, attempt, *user_data, message);
    if (s.ok()) return {kExitOk, RequestIdJson(id, "request " + id + ": " + message)};
    if (s.error().kind() == ErrorKind::kCapacity && attempt.number < max_attempts) {
      Result<store::AttemptRecord> next =
          deps_.store.AddAttempt(id, id + "-" + std::to_string(attempt.number + 1), NowMs());
      if (next.ok()) {
        attempt = *next;
        continue;
      }
    }
    const std::string why = "requestMachines failed: " + s.error().ToString();
    (void)deps_.store.SetRequestState(id, RequestState::kCompleteWithError, why, NowMs());
    CleanupIfEmpty(id);  // a launch template made for the refused attempts
    return Fail(kExitFailed, why);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// getRequestStatus

void HostFactoryService::Reconcile(RequestRecord& request, const store::AttemptRecord& attempt) {
  // 1. Did the cloud launch anything for this request? The tags say.
  Result<provider::Observation> seen = deps_.provider.Observe(request);
  if (seen.ok() && (!seen->instances.empty() || !seen->resource_id.empty())) {
    // A fleet or group found by its tag is adopted even before its first instance: it will fill.
    if (request.resource_id.empty() &&
        (!seen->resource_id.empty() || !seen->launch_template_id.empty())) {
      (void)deps_.store.SetRequestResources(request.id, seen->resource_id, seen->launch_template_id,
                                            NowMs());
      request.resource_id = seen->resource_id;
      request.launch_template_id = seen->launch_template_id;
    }
    std::vector<MachineRecord> machines;
    if (auto existing = deps_.store.MachinesOfRequest(request.id); existing.ok())
      machines = std::move(*existing);
    if (SaveInstances(request, seen->instances, machines).ok()) {
      (void)deps_.store.SetAttemptState(request.id, attempt.number, AttemptState::kSucceeded,
                                        "found by tag", NowMs());
      deps_.log.Log(level_enum::info,
                    "request " + request.id + ": attempt " + std::to_string(attempt.number) +
                        " settled: " + std::to_string(seen->instances.size()) + " instance(s)" +
                        (seen->resource_id.empty() ? std::string() : " of " + seen->resource_id) +
                        " found by tag",
                    {{"event", "reconcile"}, {"request_id", request.id}});
    }
    return;
  }
  // 2. Its creator may still be waiting for the answer.
  if (deps_.is_alive(request.owner) && request.owner.start != deps_.self.start) return;
  // 3. Send the same call again: the same ClientToken returns the original result or launches now,
  // never twice.
  const Template* t = deps_.templates.Find(request.template_id);
  if (t == nullptr) {
    (void)deps_.store.SetAttemptState(request.id, attempt.number, AttemptState::kFailed,
                                      "template removed", NowMs());
    return;
  }
  Result<std::string> user_data = ReadUserData(*t);
  std::string message;
  Status s = RunAttempt(request, *t, attempt, user_data.ok() ? *user_data : std::string(), message);
  if (!s.ok()) {
    (void)deps_.store.SetRequestState(request.id, RequestState::kCompleteWithError,
                                      "launch refused: " + s.error().ToString(), NowMs());
    request.state = RequestState::kCompleteWithError;
    request.message = "launch refused: " + s.error().ToString();
    CleanupIfEmpty(request.id);
  }
}

RequestReport HostFactoryService::StoredReport(const RequestRecord& request) {
  RequestReport r{request.id, ToStatus(request.state), request.message, {}};
  if (request.kind == RequestKind::kAcquire) {
    if (auto machines = deps_.store.MachinesOfRequest(request.id); machines.ok()) {
      for (const MachineRecord& m : *machines) r.machines.push_back(Report(m));
    }
  }
  return r;
}

RequestReport HostFactoryService::RefreshAcquire(RequestRecord request) {
  if (request.state != RequestState::kRunning) return StoredReport(request);
  Result<std::vector<store::AttemptRecord>> attempts = deps_.store.Attempts(request.id);
  bool unsettled = false;
  if (attempts.ok() && !attempts->empty() && attempts->back().state == AttemptState::kPrepared) {
    Reconcile(request, attempts->back());
    if (request.state != RequestState::kRunning) return StoredReport(request);
    if (auto again = deps_.store.Attempts(request.id); again.ok() && !again->empty()) {
      unsettled = again->back().state == AttemptState::kPrepared;
      if (unsettled && NowMs() - again->back().created_at >
                           std::chrono::duration_cast<std::chrono::milliseconds>(
                               options_.unclaimed_request_timeout)
                               .count()) {
        const std::string why = "the launch could not be confirmed within " +
                                std::to_string(options_.unclaimed_request_timeout.count()) +
                                " s: " + again->back().error;
        (void)deps_.store.SetRequestState(request.id, RequestState::kCompleteWithError, why,
                                          NowMs());
        request.state = RequestState::kCompleteWithError;
        request.message = why;
        return StoredReport(request);
      }
    }
  }
  Result<provider::Observation> seen = deps_.provider.Observe(request);
  if (!seen.ok()) {
    RequestReport r = StoredReport(request);
    r.message = "could not refresh from the cloud: " + seen.error().ToString();
    return r;
  }
  std::vector<MachineRecord> machines;
  if (auto existing = deps_.store.MachinesOfRequest(request.id); existing.ok())
    machines = std::move(*existing);
  for (const Instance& i : seen->instances) {
    if (std::none_of(machines.begin(), machines.end(),
                     [&](const MachineRecord& m) { return m.instance_id == i.instance_id; })) {
      MachineRecord m;
      m.instance_id = i.instance_id;
      m.request_id = request.id;
      m.template_id = request.template_id;
      m.result = "executing";
      m.created_at = NowMs();
      machines.push_back(std::move(m));
    }
  }
  const std::int64_t now_s = NowSeconds();
  std::vector<std::string> stuck;
  int executing = 0;
  int succeeded = 0;
  std::vector<std::string> failures;
  for (MachineRecord& m : machines) {
    auto it = std::find_if(seen->instances.begin(), seen->instances.end(),
                           [&](const Instance& i) { return i.instance_id == m.instance_id; });
    if (it != seen->instances.end()) Observe(m, *it);
    m.updated_at = NowMs();
    if (m.result == "fail") {
      failures.push_back(m.instance_id + ": " + m.message);
      continue;
    }
    if (it == seen->instances.end()) {
      m.result = "fail";
      m.message = "the instance is no longer visible in EC2";
    } else if (m.state == "running") {
      m.result = "succeed";
      m.message.clear();
    } else if (m.state == "pending") {
      if (m.launch_time > 0 && now_s - m.launch_time > options_.instance_pending_timeout.count()) {
        stuck.push_back(m.instance_id);
        m.result = "fail";
        m.message = "pending for more than " +
                    std::to_string(options_.instance_pending_timeout.count()) + " s; terminated";
      } else {
        m.result = "executing";
      }
    } else if (Gone(m.state)) {
      m.result = "fail";
      m.message =
          "the instance is " + m.state + (it->state_reason.empty() ? "" : ": " + it->state_reason);
    }
    if (m.result == "succeed") ++succeeded;
    if (m.result == "executing") ++executing;
    if (m.result == "fail") failures.push_back(m.instance_id + ": " + m.message);
  }
  if (!stuck.empty()) {
    if (Status s = deps_.provider.Release(request, stuck); !s.ok()) {
      deps_.log.Log(level_enum::err,
                    "request " + request.id +
                        ": cannot terminate instances stuck in pending: " + s.error().ToString(),
                    {{"event", "pending_timeout"}, {"request_id", request.id}});
    } else {
      deps_.log.Log(level_enum::warn,
                    "request " + request.id + ": terminated " + std::to_string(stuck.size()) +
                        " instance(s) stuck in pending past " +
                        std::to_string(options_.instance_pending_timeout.count()) + " s",
                    {{"event", "pending_timeout"}, {"request_id", request.id}});
    }
  }
  (void)deps_.store.SaveMachines(machines);

  // A fleet or group still short of its target after the fulfilment timeout keeps what it has:
  // lower its target so nothing arrives later, and finish the request with what came.
  bool fulfilling = seen->fulfilling;
  if (fulfilling &&
      NowMs() - request.created_at >
          std::chrono::duration_cast<std::chrono::milliseconds>(options_.fulfillment_timeout)
              .count()) {
    const int keep = succeeded + executing;
    if (Status s = deps_.provider.Shrink(request, keep); s.ok()) {
      fulfilling = false;
      seen->errors.push_back("not fulfilled within " +
                             std::to_string(options_.fulfillment_timeout.count()) + " s; keeping " +
                             std::to_string(keep));
      deps_.log.Log(level_enum::warn,
                    "request " + request.id + ": target not met within " +
                        std::to_string(options_.fulfillment_timeout.count()) + " s; keeping " +
                        std::to_string(keep) + " of " + std::to_string(request.machine_count),
                    {{"event", "fulfillment_timeout"}, {"request_id", request.id}});
    } else {
      deps_.log.Log(level_enum::err,
                    "request " + request.id + ": cannot lower the target: " + s.error().ToString(),
                    {{"event", "fulfillment_timeout"}, {"request_id", request.id}});
    }
  }
  RequestState state = RequestState::kRunning;
  std::string message;
  if (executing == 0 && !unsettled && !fulfilling) {
    const bool enough = seen->running_capacity
                            ? *seen->running_capacity >= static_cast<double>(request.machine_count)
                            : succeeded >= request.machine_count;
    if (enough) {
      state = RequestState::kComplete;
    } else {
      state = RequestState::kCompleteWithError;
      std::vector<std::string> why = {std::to_string(succeeded) + " of " +
                                      std::to_string(request.machine_count) +
                                      " machine(s) running"};
      why.insert(why.end(), seen->errors.begin(), seen->errors.end());
      if (attempts.ok() && !attempts->empty()) why.push_back(attempts->back().error);
      why.insert(why.end(), failures.begin(), failures.end());
      // The same reason can come from the fleet's errors and from the attempt: say it once.
      std::vector<std::string> once;
      for (std::string& w : why) {
        if (!w.empty() && std::find(once.begin(), once.end(), w) == once.end())
          once.push_back(std::move(w));
      }
      message = Join(once, "; ");
    }
  } else if (unsettled) {
    message = "the launch is being confirmed";
  }
  if (state != request.state || message != request.message) {
    (void)deps_.store.SetRequestState(request.id, state, message, NowMs());
    request.state = state;
    request.message = message;
    // A request that ends with nothing running (a failed or expired fleet, a group that got no
    // instance) will see no return: delete what was created for it now.
    if (state != RequestState::kRunning) CleanupIfEmpty(request.id);
  }
  RequestReport r{request.id, ToStatus(state), message, {}};
  for (const MachineRecord& m : machines) r.machines.push_back(Report(m));
  return r;
}

RequestReport HostFactoryService::RefreshReturn(RequestRecord request) {
  Result<std::vector<store::ReturnMachineRecord>> rows = deps_.store.MachinesOfReturn(request.id);
  if (!rows.ok()) {
    return {request.id,
            RequestStatus::kRunning,
            "cannot read the state store: " + rows.error().ToString(),
            {}};
  }
  std::vector<std::string> open;
  for (const auto& r : *rows) {
    if (r.result == "executing") open.push_back(r.instance_id);
  }
  std::string message;
  if (!open.empty() && request.state == RequestState::kRunning) {
    Result<std::vector<Instance>> found = deps_.provider.DescribeInstances(open);
    if (!found.ok()) {
      message = "could not refresh from the cloud: " + found.error().ToString();
    } else {
      std::map<std::string, std::vector<std::string>> to_release;  // acquire request -> instances
      const std::int64_t now = NowMs();
      for (auto& r : *rows) {
        if (r.result != "executing") continue;
        auto it = std::find_if(found->begin(), found->end(),
                               [&](const Instance& i) { return i.instance_id == r.instance_id; });
        r.updated_at = now;
        if (it == found->end() || it->state == "terminated") {
          r.state = "terminated";
          r.result = "succeed";
        } else {
          r.state = it->state;
          if (it->state != "shutting-down")
            to_release[r.acquire_request_id].push_back(r.instance_id);
        }
      }
      for (const auto& [acquire_id, ids] : to_release) {
        Status s = resilience::OkStatus();
        auto acquire = acquire_id.empty()
                           ? Result<std::optional<RequestRecord>>(std::optional<RequestRecord>())
                           : deps_.store.GetRequest(acquire_id);
        if (acquire.ok() && acquire->has_value()) {
          s = deps_.provider.Release(**acquire, ids);
        } else {
          s = deps_.provider.TerminateInstances(ids);
        }
        if (!s.ok()) message = "terminating: " + s.error().ToString();
      }
      (void)deps_.store.SaveReturnMachines(*rows);
      // Keep the machines table in step, and clean up acquire requests left without machines.
      std::vector<std::string> done;
      for (const auto& r : *rows) {
        if (r.result == "succeed") done.push_back(r.instance_id);
      }
      if (auto machines = deps_.store.MachinesByIds(done); machines.ok()) {
        std::set<std::string> acquires;
        for (MachineRecord& m : *machines) {
          m.state = "terminated";
          m.updated_at = now;
          acquires.insert(m.request_id);
        }
        (void)deps_.store.SaveMachines(*machines);
        for (const std::string& a : acquires) CleanupIfEmpty(a);
      }
    }
  }
  int executing = 0;
  int failed = 0;
  RequestReport report{request.id, RequestStatus::kRunning, message, {}};
  std::map<std::string, MachineRecord> known;
  std::vector<std::string> ids;
  for (const auto& r : *rows) ids.push_back(r.instance_id);
  if (auto machines = deps_.store.MachinesByIds(ids); machines.ok()) {
    for (const MachineRecord& m : *machines) known[m.instance_id] = m;
  }
  for (const auto& r : *rows) {
    if (r.result == "executing") ++executing;
    if (r.result == "fail") ++failed;
    MachineReport m;
    m.machine_id = r.instance_id;
    m.name = r.name.empty() ? r.instance_id : r.name;
    m.result = r.result == "succeed" ? MachineResult::kSucceed
               : r.result == "fail"  ? MachineResult::kFail
                                     : MachineResult::kExecuting;
    m.status = r.state;
    m.message = r.message;
    if (auto it = known.find(r.instance_id); it != known.end()) {
      m.private_ip_address = it->second.private_ip;
      m.public_ip_address = it->second.public_ip;
      m.launch_time = it->second.launch_time;
      if (r.name.empty()) m.name = it->second.name;
    }
    report.machines.push_back(std::move(m));
  }
  RequestState state = request.state;
  if (executing == 0)
    state = failed == 0 ? RequestState::kComplete : RequestState::kCompleteWithError;
  if (state != request.state) {
    const std::string why =
        failed == 0 ? "" : std::to_string(failed) + " machine(s) could not be returned";
    (void)deps_.store.SetRequestState(request.id, state, why, NowMs());
    report.message = why;
  }
  report.status = ToStatus(state);
  return report;
}

CommandResult HostFactoryService::GetRequestStatus(const std::vector<std::string>& request_ids) {
  if (Status s = deps_.store.MarkPolled(request_ids, NowMs()); !s.ok()) {
    return Fail(kExitFailed, "cannot update the state store: " + s.error().ToString());
  }
  Housekeeping(/*force=*/false);
  std::vector<RequestReport> reports;
  for (const std::string& id : request_ids) {
    Result<std::optional<RequestRecord>> request = deps_.store.GetRequest(id);
    if (!request.ok()) {
      reports.push_back({id,
                         RequestStatus::kRunning,
                         "cannot read the state store: " + request.error().ToString(),
                         {}});
      continue;
    }
    if (!request->has_value()) {
      reports.push_back({id, RequestStatus::kCompleteWithError, "unknown request id " + id, {}});
      continue;
    }
    reports.push_back((*request)->kind == RequestKind::kAcquire ? RefreshAcquire(**request)
                                                                : RefreshReturn(**request));
  }
  return {kExitOk, RequestStatusJson(reports)};
}

// ---------------------------------------------------------------------------------------------------------------
// Housekeeping: unclaimed requests and orphans

void HostFactoryService::Housekeeping(bool force) {
  if (!force) {
    Result<bool> mine = deps_.store.ClaimSweep(
        "housekeeping", NowMs(),
        std::chrono::duration_cast<std::chrono::milliseconds>(options_.housekeeping_interval)
            .count());
    if (!mine.ok() || !*mine) return;
  }
  ReclaimUnclaimed();
  TerminateOrphans();
  CleanupFinished();
}

void HostFactoryService::ReclaimUnclaimed() {
  const std::int64_t limit =
      std::chrono::duration_cast<std::chrono::milliseconds>(options_.unclaimed_request_timeout)
          .count();
  for (RequestKind kind : {RequestKind::kAcquire, RequestKind::kReturn}) {
    Result<std::vector<RequestRecord>> open = deps_.store.OpenRequests(kind);
    if (!open.ok()) return;
    for (RequestRecord& r : *open) {
      if (r.polled_at || NowMs() - r.created_at < limit || deps_.is_alive(r.owner)) continue;
      if (kind == RequestKind::kReturn) {
        (void)RefreshReturn(r);  // HostFactory wanted these machines gone: finish the job
        continue;
      }
      // HostFactory never learned this request's id: nobody will ever use its machines.
      Result<provider::Observation> seen = deps_.provider.Observe(r);
      if (!seen.ok()) continue;  // try again next time
      std::vector<std::string> live;
      for (const Instance& i : seen->instances) {
        if (i.state != "terminated" && i.state != "shutting-down") live.push_back(i.instance_id);
      }
      if (!live.empty()) {
        if (Status s = deps_.provider.Release(r, live); !s.ok()) continue;
      }
      const std::string why =
          "reclaimed: HostFactory never asked about this request and the process that created "
          "it is gone; " +
          std::to_string(live.size()) + " instance(s) terminated";
      (void)deps_.store.AbandonRequest(r.id, why, NowMs());
      if (deps_.provider.Cleanup(r).ok()) (void)deps_.store.MarkCleanedUp(r.id, NowMs());
      deps_.log.Log(level_enum::warn, "request " + r.id + " " + why,
                    {{"event", "reclaim"}, {"request_id", r.id}, {"instances", live}});
    }
  }
}

void HostFactoryService::TerminateOrphans() {
  Result<std::vector<Instance>> owned = deps_.provider.DescribeOwnedInstances();
  if (!owned.ok()) return;
  std::set<std::string> request_ids;
  for (const Instance& i : *owned) {
    if (auto tag = i.TagValue(provider::kTagRequestId)) request_ids.insert(*tag);
  }
  Result<std::vector<RequestRecord>> requests = deps_.store.RequestsByIds(request_ids);
  if (!requests.ok()) return;
  std::map<std::string, RequestRecord> by_id;
  for (RequestRecord& r : *requests) by_id[r.id] = std::move(r);
  std::vector<std::string> ids;
  for (const Instance& i : *owned) ids.push_back(i.instance_id);
  std::map<std::string, MachineRecord> machines;
  if (auto rows = deps_.store.MachinesByIds(ids); rows.ok()) {
    for (MachineRecord& m : *rows) machines[m.instance_id] = std::move(m);
  }
  std::vector<std::string> orphans;
  for (const Instance& i : *owned) {
    const std::optional<std::string> tag = i.TagValue(provider::kTagRequestId);
    auto r = tag ? by_id.find(*tag) : by_id.end();
    bool wanted = false;
    if (r != by_id.end() && !r->second.abandoned) {
      if (r->second.state == RequestState::kRunning) {
        wanted = true;  // still being launched or adopted
      } else if (auto m = machines.find(i.instance_id);
                 m != machines.end() && m->second.result != "fail") {
        wanted = true;  // a machine HostFactory holds
      }
    }
    if (!wanted) orphans.push_back(i.instance_id);
  }
  if (orphans.empty()) return;
  if (Status s = deps_.provider.TerminateInstances(orphans); !s.ok()) return;
  deps_.log.Log(level_enum::warn,
                "terminated " + std::to_string(orphans.size()) +
                    " orphan instance(s) tagged with this provider but held by no request: " +
                    Join(orphans, ", "),
                {{"event", "orphans"}, {"instances", orphans}});
}

// A cleanup that failed, or that a crash interrupted, is tried again here until it succeeds.
void HostFactoryService::CleanupFinished() {
  Result<std::vector<RequestRecord>> finished = deps_.store.FinishedNotCleanedUp();
  if (!finished.ok()) return;
  for (const RequestRecord& r : *finished) CleanupIfEmpty(r);
}

void HostFactoryService::CleanupIfEmpty(const std::string& acquire_request_id) {
  Result<std::optional<RequestRecord>> request = deps_.store.GetRequest(acquire_request_id);
  if (request.ok() && request->has_value()) CleanupIfEmpty(**request);
}

void HostFactoryService::CleanupIfEmpty(const RequestRecord& request) {
  if (request.kind != RequestKind::kAcquire || request.state == RequestState::kRunning ||
      request.cleaned_up_at) {
    return;
  }
  Result<std::vector<MachineRecord>> machines = deps_.store.MachinesOfRequest(request.id);
  if (!machines.ok()) return;
  for (const MachineRecord& m : *machines) {
    if (m.result != "fail" && m.state != "terminated") return;
  }
  if (Status s = deps_.provider.Cleanup(request); !s.ok()) {
    deps_.log.Log(
        level_enum::warn,
        "request " + request.id + ": cleanup failed, to be tried again: " + s.error().ToString(),
        {{"event", "cleanup"}, {"request_id", request.id}});
    return;
  }
  (void)deps_.store.MarkCleanedUp(request.id, NowMs());
}

// ---------------------------------------------------------------------------------------------------------------
// requestReturnMachines

CommandResult HostFactoryService::RequestReturnMachines(const std::vector<MachineRef>& refs) {
  std::vector<std::string> ids;
  for (const MachineRef& r : refs) ids.push_back(r.machine_id);
  Result<std::vector<MachineRecord>> known = deps_.store.MachinesByIds(ids);
  if (!known.ok())
    return Fail(kExitFailed, "cannot read the state store: " + known.error().ToString());
  std::map<std::string, MachineRecord> by_id;
  for (MachineRecord& m : *known) by_id[m.instance_id] = std::move(m);
  // Machines this store does not know: only an instance tagged with this provider's name may be
  // terminated.
  std::vector<std::string> unknown;
  for (const std::string& id : ids) {
    if (by_id.count(id) == 0) unknown.push_back(id);
  }
  std::map<std::string, Instance> unknown_found;
  if (!unknown.empty()) {
    Result<std::vector<Instance>> found = deps_.provider.DescribeInstances(unknown);
    if (!found.ok())
      return Fail(kExitFailed, "cannot look the machines up: " + found.error().ToString());
    for (Instance& i : *found) unknown_found[i.instance_id] = std::move(i);
  }
  std::vector<store::ReturnMachineRecord> rows;
  std::map<std::string, std::vector<std::string>>
      to_release;  // acquire request ("" unknown) -> instances
  for (const MachineRef& ref : refs) {
    store::ReturnMachineRecord row;
    row.instance_id = ref.machine_id;
    row.name = ref.name;
    row.result = "executing";
    if (auto m = by_id.find(ref.machine_id); m != by_id.end()) {
      row.acquire_request_id = m->second.request_id;
      row.state = m->second.state;
      if (row.name.empty()) row.name = m->second.name;
      to_release[row.acquire_request_id].push_back(ref.machine_id);
    } else if (auto i = unknown_found.find(ref.machine_id); i != unknown_found.end()) {
      if (i->second.TagValue(provider::kTagProvider) == options_.provider_name) {
        row.acquire_request_id = i->second.TagValue(provider::kTagRequestId).value_or("");
        row.state = i->second.state;
        to_release[""].push_back(ref.machine_id);
      } else {
        row.state = i->second.state;
        row.result = "fail";
        row.message =
            "not an instance this provider (" + options_.provider_name + ") created; left alone";
      }
    } else {
      row.state = "terminated";
      row.result = "succeed";
      row.message = "the instance no longer exists";
    }
    rows.push_back(std::move(row));
  }
  const std::string id = NewId("ret");
  Result<RequestRecord> request = deps_.store.CreateReturn(id, rows, deps_.self, NowMs());
  if (!request.ok())
    return Fail(kExitFailed, "cannot save the return request: " + request.error().ToString());
  deps_.log.Log(level_enum::info,
                "return request " + id + ": " + std::to_string(rows.size()) + " machine(s)",
                {{"event", "return"}, {"request_id", id}, {"instances", ids}});
  std::string problems;
  for (const auto& [acquire_id, instance_ids] : to_release) {
    Status s = resilience::OkStatus();
    auto acquire = acquire_id.empty()
                       ? Result<std::optional<RequestRecord>>(std::optional<RequestRecord>())
                       : deps_.store.GetRequest(acquire_id);
    if (acquire.ok() && acquire->has_value()) {
      s = deps_.provider.Release(**acquire, instance_ids);
    } else {
      s = deps_.provider.TerminateInstances(instance_ids);
    }
    if (!s.ok()) problems = s.error().ToString();
  }
  std::string message = "terminating " + std::to_string(rows.size()) + " machine(s)";
  if (!problems.empty())
    message += " (not confirmed yet: " + problems + "; getRequestStatus retries)";
  return {kExitOk, RequestIdJson(id, message)};
}

// ---------------------------------------------------------------------------------------------------------------
// getReturnRequests

CommandResult HostFactoryService::GetReturnRequests(const std::vector<MachineRef>& refs) {
  std::vector<std::string> ids;
  for (const MachineRef& r : refs) ids.push_back(r.machine_id);
  Result<std::set<std::string>> returned = deps_.store.ReturnedInstances(ids);
  if (!returned.ok())
    return Fail(kExitFailed, "cannot read the state store: " + returned.error().ToString());
  Result<std::vector<Instance>> found = deps_.provider.DescribeInstances(ids);
  if (!found.ok())
    return Fail(kExitFailed, "cannot look the machines up: " + found.error().ToString());
  std::map<std::string, Instance> by_id;
  for (Instance& i : *found) by_id[i.instance_id] = std::move(i);
  std::map<std::string, MachineRecord> known;
  if (auto rows = deps_.store.MachinesByIds(ids); rows.ok()) {
    for (MachineRecord& m : *rows) known[m.instance_id] = std::move(m);
  }
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
  std::vector<ReturnNotice> notices;
  std::map<std::string, const MachineRef*> spot;  // spot request id -> machine
  for (const MachineRef& ref : refs) {
    if (returned->count(ref.machine_id) != 0)
      continue;  // we are returning it: not the cloud's doing
    auto i = by_id.find(ref.machine_id);
    if (i == by_id.end() || Gone(i->second.state)) {
      notices.push_back({name_of(ref), 0});
    } else if (!i->second.spot_instance_request_id.empty()) {
      spot[i->second.spot_instance_request_id] = &ref;
    }
  }
  std::string message;
  if (!spot.empty()) {
    std::vector<std::string> spot_ids;
    for (const auto& [sid, _] : spot) spot_ids.push_back(sid);
    Result<std::vector<provider::SpotNotice>> marked = deps_.provider.SpotNotices(spot_ids);
    if (marked.ok()) {
      for (const provider::SpotNotice& n : *marked) {
        if (auto m = spot.find(n.spot_request_id); m != spot.end())
          notices.push_back({name_of(*m->second), n.grace_seconds});
      }
    } else {
      message = "could not check Spot interruption notices: " + marked.error().ToString();
    }
  }
  if (!notices.empty()) {
    deps_.log.Log(level_enum::info,
                  std::to_string(notices.size()) + " machine(s) being taken back by the cloud",
                  {{"event", "return_notices"}});
  }
  return {kExitOk, ReturnRequestsJson(notices, message)};
}

}  // namespace ohfp::hostfactory
