#include "app/operator_actions.h"

#include <array>
#include <cstdio>
#include <ctime>

#include "base/time_text.h"

namespace ohfp::app {
namespace {

using resilience::Result;

constexpr std::array<std::string_view, 3> kActionNames = {"force-open", "force-closed", "reset"};
constexpr std::array<std::string_view, 4> kAwsServices = {"aws_ec2", "aws_autoscaling",
                                                          "aws_spot_fleet", "aws_cloudwatch"};

nlohmann::ordered_json TimeOrNull(const std::optional<resilience::SysTime>& t) {
  return t ? nlohmann::ordered_json(IsoTime(*t)) : nlohmann::ordered_json();
}

}  // namespace

std::string IsoTime(std::chrono::system_clock::time_point t) {
  return base::FormatIso8601(t, base::Fraction::kMillis);
}

std::string_view BreakerActionName(BreakerAction action) noexcept {
  return kActionNames[static_cast<std::size_t>(action)];
}

std::optional<BreakerAction> BreakerActionFromName(std::string_view name) noexcept {
  for (std::size_t i = 0; i < kActionNames.size(); ++i) {
    if (kActionNames[i] == name) return static_cast<BreakerAction>(i);
  }
  return std::nullopt;
}

std::set<std::string> KnownServices(resilience::StateStore& store,
                                    const resilience::ResilienceConfig& config) {
  std::set<std::string> out(kAwsServices.begin(), kAwsServices.end());
  for (const auto& [service, overrides] : config.circuit_breaker.services) out.insert(service);
  if (auto records = store.ListBreakers(); records.ok()) {
    for (const auto& [service, record] : *records) out.insert(service);
  }
  return out;
}

nlohmann::ordered_json BreakerJson(std::string_view service, const resilience::BreakerRecord& r,
                                   const resilience::CircuitBreakerOptions& options) {
  using resilience::CircuitOverride;
  using resilience::CircuitState;
  nlohmann::ordered_json b;
  b["service"] = service;
  b["state"] = resilience::CircuitStateName(r.state);
  b["override"] = resilience::CircuitOverrideName(r.override_mode);
  b["failure_count"] = r.failure_count;
  b["failure_threshold"] = options.failure_threshold;
  b["half_open_probes"] = r.half_open_probes;
  b["transitions"] = r.generation;
  b["last_transition"] = r.generation == 0 ? nlohmann::ordered_json()
                                           : nlohmann::ordered_json(IsoTime(r.state_changed_time));
  b["last_failure_time"] = TimeOrNull(r.last_failure_time);
  b["last_success_time"] = TimeOrNull(r.last_success_time);
  b["reset_timeout_seconds"] = resilience::ToSeconds(options.reset_timeout);
  // An OPEN circuit lets the first call after reset_timeout since the last failure through.
  const bool probes_later = r.state == CircuitState::kOpen &&
                            r.override_mode == CircuitOverride::kNone && r.last_failure_time;
  b["next_half_open_time"] =
      probes_later ? nlohmann::ordered_json(IsoTime(*r.last_failure_time + options.reset_timeout))
                   : nlohmann::ordered_json();
  return b;
}

Result<nlohmann::ordered_json> BreakersJson(resilience::StateStore& store,
                                            const resilience::ResilienceConfig& config) {
  auto records = store.ListBreakers();
  if (!records.ok()) return records.error();
  nlohmann::ordered_json j = nlohmann::ordered_json::array();
  for (const auto& [service, record] : *records) {
    j.push_back(BreakerJson(service, record, config.circuit_breaker.ForService(service)));
  }
  return j;
}

Result<resilience::BreakerRecord> ApplyBreakerAction(PluginApp& app, BreakerAction action,
                                                     const std::string& service,
                                                     std::string_view actor) {
  const resilience::ResilienceConfig& rc = app.config().resilience;
  resilience::CircuitBreaker& breaker =
      app.pipeline().breakers().Get(service, rc.circuit_breaker.ForService(service));
  resilience::Status s = action == BreakerAction::kForceOpen     ? breaker.ForceOpen()
                         : action == BreakerAction::kForceClosed ? breaker.ForceClosed()
                                                                 : breaker.Reset();
  if (!s.ok()) return s.error();
  const std::string_view name = BreakerActionName(action);
  app.log().Log(
      spdlog::level::warn, "operator: circuit breaker " + service + " " + std::string(name),
      {{"event", "breaker_override"}, {"service", service}, {"action", name}, {"by", actor}});
  return app.state_store().ReadBreaker(service);
}

ReconcileOutcome Reconcile(PluginApp& app, const ReconcileRequest& request) {
  hostfactory::HostFactoryService& service = app.service();
  ReconcileOutcome out;
  nlohmann::ordered_json& j = out.report;
  j["installation"] = app.installation_id();
  if (request.adopt) {
    Result<hostfactory::AdoptReport> adopted = service.Adopt();
    if (!adopted.ok()) {
      out.problem = "cannot adopt: " + adopted.error().ToString();
      out.report = nlohmann::ordered_json();
      app.Finish("reconcile", 1);
      return out;
    }
    j["adopted_requests"] = adopted->requests;
    j["adopted_machines"] = adopted->machines;
    j["skipped"] = adopted->skipped;
  }
  const hostfactory::SweepReport sweep = service.Sweep(request.dry_run);
  if (!request.dry_run) service.Housekeeping(/*force=*/true);
  j["dry_run"] = request.dry_run;
  j["sweep_ran"] = sweep.ran;
  if (!sweep.ran) j["sweep_problem"] = sweep.problem;
  nlohmann::ordered_json findings = nlohmann::ordered_json::array();
  for (const model::OrphanFinding& f : sweep.findings) {
    findings.push_back({{"instance", f.instance_id},
                        {"request", f.request_id},
                        {"action", model::OrphanActionName(f.action)},
                        {"reason", f.reason}});
  }
  j["instances"] = std::move(findings);
  j["log"] = (app.paths().logdir / app.config().logging.file).string();
  out.ok = sweep.ran;
  app.log().Log(spdlog::level::warn,
                std::string("operator: reconcile") + (request.dry_run ? " (dry run)" : "") + ": " +
                    std::to_string(sweep.findings.size()) + " instance(s) of this installation" +
                    (sweep.ran ? "" : "; the sweep did not run: " + sweep.problem),
                {{"event", "reconcile"},
                 {"dry_run", request.dry_run},
                 {"sweep_ran", sweep.ran},
                 {"instances", sweep.findings.size()},
                 {"terminated", sweep.terminated},
                 {"by", request.actor}});
  app.Finish("reconcile", 0);
  return out;
}

}  // namespace ohfp::app
