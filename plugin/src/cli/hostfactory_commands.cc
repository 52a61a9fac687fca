#include "cli/hostfactory_commands.h"

#include <chrono>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/exit_codes.h"
#include "config/resilience_json.h"
#include "hostfactory/contract.h"

namespace ohfp::cli {
namespace {

using hostfactory::CommandResult;
using resilience::ErrorKind;

int CodeFor(const resilience::Error& e) {
  return e.kind() == ErrorKind::kValidation ? kExitBadInput : kExitFailed;
}

void Print(std::ostream& out, const nlohmann::ordered_json& j) { out << j.dump() << std::endl; }

resilience::Result<std::string> ReadInput(const CommandInput& input, std::istream& in) {
  if (input.data) return *input.data;
  if (input.file) {
    std::ifstream f(*input.file, std::ios::binary);
    if (!f) {
      return resilience::Error(ErrorKind::kValidation, "UnreadableInput",
                               "cannot read input file " + *input.file);
    }
    std::ostringstream s;
    s << f.rdbuf();
    return s.str();
  }
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

int RunHostFactoryCommand(std::string_view command, const CommandInput& input,
                          const app::AppOptions& options, const aws::Environment& env,
                          std::ostream& out, std::istream& in) {
  const auto started = std::chrono::steady_clock::now();
  // getAvailableTemplates takes no input; HostFactory may still pass a file with {}.
  resilience::Result<std::string> text = ReadInput(input, in);
  if (!text.ok()) {
    Print(out, hostfactory::ErrorJson(text.error().message()));
    return kExitBadInput;
  }
  resilience::Result<nlohmann::json> json =
      command == "getAvailableTemplates" && text->find_first_not_of(" \t\r\n") == std::string::npos
          ? resilience::Result<nlohmann::json>(nlohmann::json::object())
          : hostfactory::ParseInput(*text);
  if (!json.ok()) {
    Print(out, hostfactory::ErrorJson(json.error().message()));
    return kExitBadInput;
  }
  // Validate the input before building anything: a bad input changes nothing.
  std::optional<hostfactory::RequestMachinesInput> request;
  std::vector<std::string> request_ids;
  std::vector<hostfactory::MachineRef> machines;
  if (command == "requestMachines") {
    auto r = hostfactory::ParseRequestMachines(*json);
    if (!r.ok()) {
      Print(out, hostfactory::ErrorJson(r.error().message()));
      return kExitBadInput;
    }
    request = *r;
  } else if (command == "getRequestStatus") {
    auto r = hostfactory::ParseGetRequestStatus(*json);
    if (!r.ok()) {
      Print(out, hostfactory::ErrorJson(r.error().message()));
      return kExitBadInput;
    }
    request_ids = *r;
  } else if (command == "requestReturnMachines" || command == "getReturnRequests") {
    auto r = hostfactory::ParseMachines(*json, command == "requestReturnMachines");
    if (!r.ok()) {
      Print(out, hostfactory::ErrorJson(r.error().message()));
      return kExitBadInput;
    }
    machines = *r;
  }

  resilience::Result<std::unique_ptr<app::PluginApp>> app = app::PluginApp::Create(options, env);
  if (!app.ok()) {
    Print(out, hostfactory::ErrorJson(app.error().message()));
    return CodeFor(app.error());
  }
  hostfactory::HostFactoryService& service = (*app)->service();
  CommandResult result;
  if (command == "getAvailableTemplates") {
    result = service.GetAvailableTemplates();
  } else if (command == "requestMachines") {
    result = service.RequestMachines(*request);
  } else if (command == "getRequestStatus") {
    result = service.GetRequestStatus(request_ids);
  } else if (command == "requestReturnMachines") {
    result = service.RequestReturnMachines(machines);
  } else {
    result = service.GetReturnRequests(machines);
  }
  Print(out, result.output);
  (*app)->log().Log(spdlog::level::debug, std::string(command) + " answered",
                    {{"event", "command_output"},
                     {"command", command},
                     {"milliseconds", std::chrono::duration_cast<std::chrono::milliseconds>(
                                          std::chrono::steady_clock::now() - started)
                                          .count()}});
  (*app)->Finish(command, result.exit_code);
  return result.exit_code;
}

int RunConfigValidate(const app::AppOptions& options, const aws::Environment& env,
                      std::ostream& out, std::ostream& err) {
  app::AppOptions o = options;
  o.need_aws = false;
  const app::PluginPaths paths = app::ResolvePaths(o, env);
  const std::filesystem::path file = o.config_file ? *o.config_file : paths.confdir / "config.json";
  int code = kExitOk;
  resilience::Result<config::PluginConfig> config = config::LoadPluginConfig(file, env);
  if (!config.ok()) {
    err << "ohfp: " << file.string() << ": " << config.error().message() << "\n";
    code = kExitBadInput;
  }
  resilience::Result<model::TemplateSet> templates =
      config::LoadTemplates(paths.confdir / "awsprov_templates.json");
  if (!templates.ok()) {
    err << "ohfp: " << (paths.confdir / "awsprov_templates.json").string() << ": "
        << templates.error().message() << "\n";
    code = kExitBadInput;
  }
  if (code != kExitOk) return code;
  nlohmann::ordered_json j;
  j["config_file"] = file.string();
  j["confdir"] = paths.confdir.string();
  j["workdir"] = paths.workdir.string();
  j["logdir"] = paths.logdir.string();
  j["config"] = nlohmann::ordered_json::parse(config::PluginConfigToJson(*config).dump());
  j["templates"] = nlohmann::ordered_json::array();
  for (const model::Template& t : templates->templates) {
    j["templates"].push_back(hostfactory::HostFactoryTemplateJson(t, t.max_number));
  }
  out << j.dump(2) << "\n";
  return kExitOk;
}

int RunMetrics(const app::AppOptions& options, const aws::Environment& env, bool json,
               std::ostream& out, std::ostream& err) {
  app::AppOptions o = options;
  o.need_aws = false;
  o.need_templates = false;
  auto app = app::PluginApp::Create(o, env);
  if (!app.ok()) {
    err << "ohfp: " << app.error().message() << "\n";
    return CodeFor(app.error());
  }
  if (json) {
    auto j = (*app)->MetricsJson();
    if (!j.ok()) {
      err << "ohfp: " << j.error().ToString() << "\n";
      return kExitFailed;
    }
    out << j->dump(2) << "\n";
  } else {
    auto text = (*app)->MetricsPrometheus();
    if (!text.ok()) {
      err << "ohfp: " << text.error().ToString() << "\n";
      return kExitFailed;
    }
    out << *text;
  }
  return kExitOk;
}

int RunBreaker(std::string_view action, const std::string& service, const app::AppOptions& options,
               const aws::Environment& env, std::ostream& out, std::ostream& err) {
  app::AppOptions o = options;
  o.need_aws = false;
  o.need_templates = false;
  auto app = app::PluginApp::Create(o, env);
  if (!app.ok()) {
    err << "ohfp: " << app.error().message() << "\n";
    return CodeFor(app.error());
  }
  if (action == "status") {
    auto records = (*app)->state_store().ListBreakers();
    if (!records.ok()) {
      err << "ohfp: " << records.error().ToString() << "\n";
      return kExitFailed;
    }
    nlohmann::ordered_json j = nlohmann::ordered_json::array();
    for (const auto& [name, r] : *records) {
      nlohmann::ordered_json b;
      b["service"] = name;
      b["state"] = std::string(resilience::CircuitStateName(r.state));
      b["override"] = std::string(resilience::CircuitOverrideName(r.override_mode));
      b["failure_count"] = r.failure_count;
      b["half_open_probes"] = r.half_open_probes;
      b["last_failure_time"] =
          r.last_failure_time
              ? nlohmann::ordered_json(std::chrono::duration_cast<std::chrono::seconds>(
                                           r.last_failure_time->time_since_epoch())
                                           .count())
              : nlohmann::ordered_json();
      j.push_back(std::move(b));
    }
    out << j.dump(2) << "\n";
    return kExitOk;
  }
  const resilience::ResilienceConfig& rc = (*app)->config().resilience;
  resilience::CircuitBreaker& breaker =
      (*app)->pipeline().breakers().Get(service, rc.circuit_breaker.ForService(service));
  resilience::Status s = action == "force-open"     ? breaker.ForceOpen()
                         : action == "force-closed" ? breaker.ForceClosed()
                                                    : breaker.Reset();
  if (!s.ok()) {
    err << "ohfp: " << s.error().ToString() << "\n";
    return kExitFailed;
  }
  (*app)->log().Log(spdlog::level::warn,
                    "operator: circuit breaker " + service + " " + std::string(action),
                    {{"event", "breaker_override"}, {"service", service}, {"action", action}});
  out << "circuit breaker " << service << ": " << action << " (every ohfp process sharing "
      << (*app)->store_description() << " now sees it)\n";
  return kExitOk;
}

int RunReconcile(const ReconcileOptions& reconcile, const app::AppOptions& options,
                 const aws::Environment& env, std::ostream& out, std::ostream& err) {
  app::AppOptions o = options;
  o.accept_lost_store = reconcile.adopt;
  auto app = app::PluginApp::Create(o, env);
  if (!app.ok()) {
    err << "ohfp: " << app.error().message() << "\n";
    return CodeFor(app.error());
  }
  hostfactory::HostFactoryService& service = (*app)->service();
  nlohmann::ordered_json j;
  j["installation"] = (*app)->installation_id();
  if (reconcile.adopt) {
    resilience::Result<hostfactory::AdoptReport> adopted = service.Adopt();
    if (!adopted.ok()) {
      err << "ohfp: cannot adopt: " << adopted.error().ToString() << "\n";
      (*app)->Finish("reconcile", kExitFailed);
      return kExitFailed;
    }
    j["adopted_requests"] = adopted->requests;
    j["adopted_machines"] = adopted->machines;
    j["skipped"] = adopted->skipped;
  }
  const hostfactory::SweepReport sweep = service.Sweep(reconcile.dry_run);
  if (!reconcile.dry_run) service.Housekeeping(/*force=*/true);
  j["dry_run"] = reconcile.dry_run;
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
  j["log"] = ((*app)->paths().logdir / (*app)->config().logging.file).string();
  (*app)->Finish("reconcile", kExitOk);
  out << j.dump(2) << "\n";
  return sweep.ran ? kExitOk : kExitFailed;
}

}  // namespace ohfp::cli
