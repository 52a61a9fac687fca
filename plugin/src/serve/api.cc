#include "serve/api.h"

#include <charconv>

#include "config/templates_file.h"
#include "hostfactory/contract.h"
#include "serve/api_json.h"

namespace ohfp::serve {
namespace {

using nlohmann::ordered_json;
using resilience::Result;

constexpr int kMaxLimit = 1000;

ApiResponse Json(const ordered_json& j, int status = 200) {
  return {status, j.dump(), "application/json"};
}

ApiResponse StoreUnavailable(const resilience::Error& e) {
  return ErrorResponse(503, "cannot read the state store: " + e.ToString());
}

std::optional<std::string> Param(const Params& params, const std::string& key) {
  auto it = params.find(key);
  if (it == params.end() || it->second.empty()) return std::nullopt;
  return it->second;
}

// An integer parameter in [lo, hi]; `fallback` when absent. An error message when malformed.
Result<int> IntParam(const Params& params, const std::string& key, int fallback, int lo, int hi) {
  std::optional<std::string> text = Param(params, key);
  if (!text) return fallback;
  int value = 0;
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (ec != std::errc() || end != text->data() + text->size() || value < lo || value > hi) {
    return resilience::Error(resilience::ErrorKind::kValidation, "BadParameter",
                             key + " must be an integer from " + std::to_string(lo) + " to " +
                                 std::to_string(hi) + ", got '" + *text + "'");
  }
  return value;
}

Result<std::optional<model::Timestamp>> TimeParam(const Params& params, const std::string& key) {
  std::optional<std::string> text = Param(params, key);
  if (!text) return std::optional<model::Timestamp>();
  std::optional<std::int64_t> ms = ParseIsoMillis(*text);
  if (!ms) {
    return resilience::Error(resilience::ErrorKind::kValidation, "BadParameter",
                             key + " must be an ISO-8601 UTC time such as " +
                                 "2026-01-31T12:00:00Z, got '" + *text + "'");
  }
  return std::optional<model::Timestamp>(model::FromEpochMillis(*ms));
}

// The request filters of `params`, or an error message.
Result<store::RequestQuery> RequestQueryOf(const Params& params) {
  store::RequestQuery q;
  if (auto s = Param(params, "state")) {
    q.state = model::RequestStateFromName(*s);
    if (!q.state) {
      return resilience::Error(resilience::ErrorKind::kValidation, "BadParameter",
                               "state must be running, complete or complete_with_error");
    }
  }
  if (auto k = Param(params, "kind")) {
    q.kind = model::RequestKindFromName(*k);
    if (!q.kind) {
      return resilience::Error(resilience::ErrorKind::kValidation, "BadParameter",
                               "kind must be acquire or return");
    }
  }
  q.template_id = Param(params, "template").value_or("");
  Result<std::optional<model::Timestamp>> since = TimeParam(params, "since");
  if (!since.ok()) return since.error();
  Result<std::optional<model::Timestamp>> until = TimeParam(params, "until");
  if (!until.ok()) return until.error();
  q.created_from = *since;
  q.created_until = *until;
  Result<int> limit = IntParam(params, "limit", 100, 0, kMaxLimit);
  if (!limit.ok()) return limit.error();
  Result<int> offset = IntParam(params, "offset", 0, 0, 1'000'000'000);
  if (!offset.ok()) return offset.error();
  q.limit = *limit;
  q.offset = *offset;
  return q;
}

std::set<std::string> SplitKinds(const std::string& text) {
  std::set<std::string> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t comma = std::min(text.find(',', start), text.size());
    if (comma > start) out.insert(text.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

}  // namespace

ApiResponse ErrorResponse(int status, std::string_view message) {
  return Json({{"error", message}}, status);
}

ApiResponse ServeApi::Index() const {
  ordered_json j;
  j["version"] = "v1";
  j["installation"] = d_.installation_id;
  j["endpoints"] = {"GET /api/v1/overview",
                    "GET /api/v1/templates",
                    "GET /api/v1/requests?state=&kind=&template=&since=&until=&limit=&offset=",
                    "GET /api/v1/requests/{id}",
                    "GET /api/v1/machines?result=&template=&limit=&offset=",
                    "GET /api/v1/breakers",
                    "GET /api/v1/quota",
                    "GET /api/v1/events?kind=&limit=",
                    "GET /api/v1/timeline?minutes=",
                    "POST /api/v1/breakers/{service}/force-open",
                    "POST /api/v1/breakers/{service}/force-closed",
                    "POST /api/v1/breakers/{service}/reset",
                    "POST /api/v1/reconcile/dry-run",
                    "POST /api/v1/reconcile",
                    "GET /metrics",
                    "GET /healthz"};
  return Json(j);
}

ApiResponse ServeApi::Health() {
  Result<StorePool::Lease> store = d_.stores.Acquire();
  if (!store.ok()) return StoreUnavailable(store.error());
  Result<std::optional<std::string>> id = (*store)->InstallationId();
  if (!id.ok()) return StoreUnavailable(id.error());
  return Json({{"status", "ok"}, {"installation", id->value_or("")}});
}

ApiResponse ServeApi::Metrics() {
  Result<StorePool::Lease> store = d_.stores.Acquire();
  if (!store.ok()) return StoreUnavailable(store.error());
  Result<std::vector<store::MetricDelta>> all = (*store)->Metrics();
  if (!all.ok()) return StoreUnavailable(all.error());
  return {200, app::PrometheusText(*all), "text/plain; version=0.0.4; charset=utf-8"};
}

ApiResponse ServeApi::Templates() {
  const std::filesystem::path file = d_.paths.confdir / "awsprov_templates.json";
  Result<model::TemplateSet> templates = config::LoadTemplates(file);
  if (!templates.ok()) return ErrorResponse(500, templates.error().message());
  Result<StorePool::Lease> store = d_.stores.Acquire();
  if (!store.ok()) return StoreUnavailable(store.error());
  ordered_json out = ordered_json::array();
  for (const model::Template& t : templates->templates) {
    Result<int> held = (*store)->HeldMachines(t.template_id);
    if (!held.ok()) return StoreUnavailable(held.error());
    ordered_json j = hostfactory::HostFactoryTemplateJson(
        t, t.max_number < 0 ? hostfactory::kUnlimitedAvailable : std::max(0, t.max_number - *held));
    j["held"] = *held;
    out.push_back(std::move(j));
  }
  return Json({{"templates", std::move(out)}});
}

ApiResponse ServeApi::Requests(const Params& params) {
  Result<store::RequestQuery> query = RequestQueryOf(params);
  if (!query.ok()) return ErrorResponse(400, query.error().message());
  Result<StorePool::Lease> store = d_.stores.Acquire();
  if (!store.ok()) return StoreUnavailable(store.error());
  Result<store::RequestPage> page = (*store)->ListRequests(*query);
  if (!page.ok()) return StoreUnavailable(page.error());
  ordered_json j;
  j["total"] = page->total;
  j["limit"] = query->limit;
  j["offset"] = query->offset;
  j["requests"] = ordered_json::array();
  for (const model::Request& r : page->requests) j["requests"].push_back(RequestJson(r));
  return Json(j);
}

ApiResponse ServeApi::Request(const std::string& id) {
  Result<StorePool::Lease> store = d_.stores.Acquire();
  if (!store.ok()) return StoreUnavailable(store.error());
  Result<std::optional<model::Request>> request = (*store)->GetRequest(id);
  if (!request.ok()) return StoreUnavailable(request.error());
  if (!request->has_value()) return ErrorResponse(404, "no request " + id + " in the store");
  ordered_json j = RequestJson(**request);
  j["machines"] = ordered_json::array();
  if ((*request)->kind == model::RequestKind::kAcquire) {
    Result<std::vector<model::Machine>> machines = (*store)->MachinesOfRequest(id);
    if (!machines.ok()) return StoreUnavailable(machines.error());
    for (const model::Machine& m : *machines) j["machines"].push_back(MachineJson(m));
  } else {
    Result<std::vector<model::ReturnMachine>> machines = (*store)->MachinesOfReturn(id);
    if (!machines.ok()) return StoreUnavailable(machines.error());
    for (const model::ReturnMachine& m : *machines) j["machines"].push_back(ReturnMachineJson(m));
  }
  Result<std::vector<model::Attempt>> attempts = (*store)->Attempts(id);
  if (!attempts.ok()) return StoreUnavailable(attempts.error());
  j["attempts"] = ordered_json::array();
  for (const model::Attempt& a : *attempts) j["attempts"].push_back(AttemptJson(a));
  return Json(j);
}

ApiResponse ServeApi::Machines(const Params& params) {
  store::MachineQuery q;
  if (auto r = Param(params, "result")) {
    q.result = model::MachineResultFromName(*r);
    if (!q.result) return ErrorResponse(400, "result must be executing, succeed or fail");
  }
  q.template_id = Param(params, "template").value_or("");
  Result<int> limit = IntParam(params, "limit", 100, 0, kMaxLimit);
  if (!limit.ok()) return ErrorResponse(400, limit.error().message());
  Result<int> offset = IntParam(params, "offset", 0, 0, 1'000'000'000);
  if (!offset.ok()) return ErrorResponse(400, offset.error().message());
  q.limit = *limit;
  q.offset = *offset;
  Result<StorePool::Lease> store = d_.stores.Acquire();
  if (!store.ok()) return StoreUnavailable(store.error());
  Result<store::MachinePage> page = (*store)->ListMachines(q);
  if (!page.ok()) return StoreUnavailable(page.error());
  ordered_json j;
  j["total"] = page->total;
  j["limit"] = q.limit;
  j["offset"] = q.offset;
  j["machines"] = ordered_json::array();
  for (const model::Machine& m : page->machines) j["machines"].push_back(MachineJson(m));
  return Json(j);
}

Result<ordered_json> ServeApi::BreakersJson() {
  return app::BreakersJson(d_.state, d_.config.resilience);
}

ApiResponse ServeApi::Breakers() {
  Result<ordered_json> j = BreakersJson();
  if (!j.ok()) return StoreUnavailable(j.error());
  return Json({{"breakers", std::move(*j)}});
}

Result<ordered_json> ServeApi::QuotaJson() {
  const resilience::RetryQuotaOptions& o = d_.config.resilience.retry.quota;
  ordered_json out = ordered_json::array();
  for (const std::string& service : app::KnownServices(d_.state, d_.config.resilience)) {
    Result<resilience::QuotaRecord> q = d_.state.ReadQuota(service);
    if (!q.ok()) return q.error();
    out.push_back({{"service", service},
                   {"enabled", o.enabled},
                   {"max_tokens", o.max_tokens},
                   {"tokens", q->tokens.value_or(o.max_tokens)},
                   {"used", q->tokens.has_value()},
                   {"retry_cost", o.retry_cost},
                   {"timeout_retry_cost", o.timeout_retry_cost}});
  }
  return out;
}

ApiResponse ServeApi::Quota() {
  Result<ordered_json> j = QuotaJson();
  if (!j.ok()) return StoreUnavailable(j.error());
  return Json({{"quota", std::move(*j)}});
}

ApiResponse ServeApi::Events(const Params& params) {
  Result<int> limit = IntParam(params, "limit", 100, 1, kMaxLimit);
  if (!limit.ok()) return ErrorResponse(400, limit.error().message());
  const std::set<std::string> kinds = SplitKinds(Param(params, "kind").value_or(""));
  return Json({{"events", d_.events.Recent(static_cast<std::size_t>(*limit), kinds)}});
}

ApiResponse ServeApi::Timeline(const Params& params) {
  Result<int> minutes = IntParam(params, "minutes", 60, 1, 24 * 60);
  if (!minutes.ok()) return ErrorResponse(400, minutes.error().message());
  return Json({{"minutes", d_.events.Timeline(std::chrono::minutes(*minutes))}});
}

Result<ordered_json> ServeApi::Counts(store::RequestStore& store) {
  ordered_json j;
  for (model::RequestKind kind : {model::RequestKind::kAcquire, model::RequestKind::kReturn}) {
    ordered_json& by_state = j[std::string(model::RequestKindName(kind))];
    for (model::RequestState state : {model::RequestState::kRunning, model::RequestState::kComplete,
                                      model::RequestState::kCompleteWithError}) {
      Result<store::RequestPage> page =
          store.ListRequests({.kind = kind, .state = state, .limit = 0});
      if (!page.ok()) return page.error();
      by_state[std::string(model::RequestStateName(state))] = page->total;
    }
  }
  ordered_json& machines = j["machines"];
  for (model::MachineResult result :
       {model::MachineResult::kExecuting, model::MachineResult::kSucceed,
        model::MachineResult::kFail}) {
    Result<store::MachinePage> page = store.ListMachines({.result = result, .limit = 0});
    if (!page.ok()) return page.error();
    machines[std::string(model::MachineResultName(result))] = page->total;
  }
  return j;
}

ApiResponse ServeApi::Overview() {
  ordered_json j;
  j["generated_at"] = app::IsoTime(d_.clock.SystemNow());
  j["installation"] = d_.installation_id;
  Result<ordered_json> breakers = BreakersJson();
  if (!breakers.ok()) return StoreUnavailable(breakers.error());
  j["breakers"] = std::move(*breakers);
  Result<ordered_json> quota = QuotaJson();
  if (!quota.ok()) return StoreUnavailable(quota.error());
  j["quota"] = std::move(*quota);
  {
    Result<StorePool::Lease> store = d_.stores.Acquire();
    if (!store.ok()) return StoreUnavailable(store.error());
    Result<ordered_json> counts = Counts(**store);
    if (!counts.ok()) return StoreUnavailable(counts.error());
    j["counts"] = std::move(*counts);
    Result<store::RequestPage> requests = (*store)->ListRequests({.limit = 25});
    if (!requests.ok()) return StoreUnavailable(requests.error());
    j["requests"] = ordered_json::array();
    for (const model::Request& r : requests->requests) j["requests"].push_back(RequestJson(r));
    Result<store::MachinePage> machines = (*store)->ListMachines({.limit = 25});
    if (!machines.ok()) return StoreUnavailable(machines.error());
    j["machines"] = ordered_json::array();
    for (const model::Machine& m : machines->machines) j["machines"].push_back(MachineJson(m));
  }
  j["timeline"] = d_.events.Timeline(std::chrono::minutes(60));
  j["events"] = d_.events.Recent(50, {});
  return Json(j);
}

ApiResponse ServeApi::BreakerAction(const std::string& service, std::string_view action) {
  const std::optional<app::BreakerAction> which = app::BreakerActionFromName(action);
  if (!which) return ErrorResponse(404, "no action " + std::string(action));
  if (!app::KnownServices(d_.state, d_.config.resilience).contains(service)) {
    return ErrorResponse(404, "no breaker for service " + service);
  }
  Result<ordered_json> done = d_.actions.Breaker(*which, service);
  if (!done.ok()) return ErrorResponse(500, done.error().ToString());
  return Json({{"done", std::string(action)}, {"breaker", std::move(*done)}});
}

ApiResponse ServeApi::Reconcile(bool dry_run) {
  Result<ordered_json> report = d_.actions.Reconcile(dry_run);
  if (!report.ok()) {
    return ErrorResponse(report.error().kind() == resilience::ErrorKind::kValidation ? 409 : 502,
                         report.error().message());
  }
  return Json(*report);
}

}  // namespace ohfp::serve
