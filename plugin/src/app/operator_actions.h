// app/operator_actions.h
//
// What an operator does to a running installation, shared by the command line (`ohfp breaker ...`,
// `ohfp reconcile`) and the REST API (`ohfp serve`), so both do exactly the same thing and log it
// the same way:
//   breakers   every breaker's state as JSON (state, override, counts, last transition, the time
//              an open circuit lets its next call through); force-open, force-closed, reset
//   reconcile  the orphan sweep (dry run or real), with reclaim and cleanup when real
// Every action is logged to app.log with "event": "breaker_override" or "reconcile" and who asked
// ("by": "cli" or "api").
//
// Thread-safety: as PluginApp: one thread at a time per PluginApp.
//
// Example:
//   Status s = ApplyBreakerAction(*app, BreakerAction::kForceOpen, "aws_ec2", "cli");
//   Result<nlohmann::ordered_json> j = BreakersJson(app->state_store(), app->config().resilience,
//                                                   clock.SystemNow());
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "app/plugin_app.h"

namespace ohfp::app {

enum class BreakerAction { kForceOpen, kForceClosed, kReset };
// "force-open", "force-closed", "reset" (as on the command line and in the API's paths).
std::string_view BreakerActionName(BreakerAction action) noexcept;
std::optional<BreakerAction> BreakerActionFromName(std::string_view name) noexcept;

// The services an installation has breakers for: the four AWS services ohfp calls, those the
// configuration names, and any the store holds a record of.
std::set<std::string> KnownServices(resilience::StateStore& store,
                                    const resilience::ResilienceConfig& config);

// One breaker as JSON: service, state, override, failure_count, failure_threshold,
// half_open_probes, transitions (generation), last_transition, last_failure_time,
// last_success_time (ISO-8601 UTC or null), reset_timeout_seconds and next_half_open_time (an
// open circuit without override: when the next call is let through to probe; else null).
nlohmann::ordered_json BreakerJson(std::string_view service, const resilience::BreakerRecord& r,
                                   const resilience::CircuitBreakerOptions& options);
// Every breaker the store holds, sorted by service.
resilience::Result<nlohmann::ordered_json> BreakersJson(resilience::StateStore& store,
                                                        const resilience::ResilienceConfig& config);

// Applies `action` to `service`'s breaker (in the store, so every process sees it) and logs it
// with `actor`. Returns the breaker's record afterwards.
resilience::Result<resilience::BreakerRecord> ApplyBreakerAction(PluginApp& app,
                                                                 BreakerAction action,
                                                                 const std::string& service,
                                                                 std::string_view actor);

struct ReconcileRequest {
  bool dry_run = false;
  bool adopt = false;
  std::string actor = "cli";
};
struct ReconcileOutcome {
  bool ok = false;                // the sweep ran (every read it needs succeeded)
  nlohmann::ordered_json report;  // installation, dry_run, sweep_ran, instances [...], log
  std::string problem{};          // adoption failed: why (report is then empty)
};
// `ohfp reconcile`: adopt (optionally), sweep, and unless a dry run, reclaim and clean up. `app`
// must have been created with need_aws. Calls app.Finish("reconcile", ...).
ReconcileOutcome Reconcile(PluginApp& app, const ReconcileRequest& request);

// ISO-8601 UTC with milliseconds: "2026-11-29T01:02:03.456Z".
std::string IsoTime(std::chrono::system_clock::time_point t);

}  // namespace ohfp::app
