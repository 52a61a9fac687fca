// serve/api.h
//
// ServeApi: the answers of `ohfp serve`'s versioned JSON API (/api/v1/...), /metrics and /healthz,
// independent of the HTTP server (serve/http_server.h routes to it). Reads go to the store through
// a StorePool (short reads, one borrowed connection each), breakers and quotas to the resilience
// state store, events to LogEvents; operator actions to an OperatorActions. Every answer is JSON
// except /metrics (Prometheus' text format, the same counters and names as the textfile).
// Errors: 400 {"error": ...} for a bad parameter, 404 for an unknown id or service, 503 when the
// store cannot be read.
//
// Thread-safety: safe from any thread (each answer borrows its own store connection; the state
// store, LogEvents and OperatorActions are thread-safe).
//
// Example:
//   ServeApi api(deps);
//   ApiResponse r = api.Requests({{"state", "running"}, {"limit", "20"}});
//   // r.status == 200, r.body == {"total": 3, "limit": 20, "offset": 0, "requests": [...]}
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <string_view>

#include "app/operator_actions.h"
#include "app/plugin_app.h"
#include "config/plugin_config.h"
#include "ohfp/resilience/clock.h"
#include "ohfp/resilience/state_store.h"
#include "serve/log_events.h"
#include "serve/store_pool.h"

namespace ohfp::serve {

using Params = std::multimap<std::string, std::string>;

struct ApiResponse {
  int status = 200;
  std::string body{};
  std::string content_type = "application/json";
};

// What the POST endpoints do. Implementations are thread-safe.
class OperatorActions {
 public:
  virtual ~OperatorActions() = default;
  // The breaker's JSON (app::BreakerJson) after the action.
  [[nodiscard]] virtual resilience::Result<nlohmann::ordered_json> Breaker(
      app::BreakerAction action, const std::string& service) = 0;
  // The reconcile report (app::ReconcileOutcome::report).
  [[nodiscard]] virtual resilience::Result<nlohmann::ordered_json> Reconcile(bool dry_run) = 0;
};

struct ApiDependencies {
  StorePool& stores;
  resilience::StateStore& state;
  const config::PluginConfig& config;
  app::PluginPaths paths;
  LogEvents& events;
  resilience::Clock& clock;
  OperatorActions& actions;
  std::string installation_id{};
};

class ServeApi {
 public:
  explicit ServeApi(ApiDependencies deps) : d_(std::move(deps)) {}

  ApiResponse Index() const;
  ApiResponse Health();
  ApiResponse Metrics();
  ApiResponse Templates();
  // state, kind, template, since, until (ISO-8601), limit (1..1000, default 100), offset.
  ApiResponse Requests(const Params& params);
  // The request with its machines (acquire) or returned machines (return) and its attempts.
  ApiResponse Request(const std::string& id);
  // result, template, limit, offset.
  ApiResponse Machines(const Params& params);
  ApiResponse Breakers();
  ApiResponse Quota();
  // limit (default 100), kind (comma-separated: breaker, operator, retry, throttle, ...).
  ApiResponse Events(const Params& params);
  // minutes (1..1440, default 60): per-minute counts.
  ApiResponse Timeline(const Params& params);
  // Everything the dashboard shows, in one answer.
  ApiResponse Overview();

  ApiResponse BreakerAction(const std::string& service, std::string_view action);
  ApiResponse Reconcile(bool dry_run);

 private:
  resilience::Result<nlohmann::ordered_json> BreakersJson();
  resilience::Result<nlohmann::ordered_json> QuotaJson();
  resilience::Result<nlohmann::ordered_json> Counts(store::RequestStore& store);

  ApiDependencies d_;
};

// {"error": message} with `status`.
ApiResponse ErrorResponse(int status, std::string_view message);

}  // namespace ohfp::serve
