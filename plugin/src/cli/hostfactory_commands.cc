#include "cli/hostfactory_commands.h"

#include <chrono>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>

#include "app/operator_actions.h"
#include "base/untrusted_text.h"
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

// One JSON document on stdout, always: a string that is not UTF-8 (it cannot come from a parsed
// input, but may from elsewhere) is printed with U+FFFD rather than failing the dump.
void Print(std::ostream& out, const nlohmann::ordered_json& j) {
  out << j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) << std::endl;
}

resilience::Error TooLarge(const std::string& what, std::size_t limit) {
  return resilience::Error(ErrorKind::kValidation, "InputTooLarge",
                           what + " is larger than " + std::to_string(limit) +
                               " bytes, the most a command reads (--max-input-bytes, "
                               "OHFP_MAX_INPUT_BYTES)");
}

// All of `stream`, or nullopt when it holds more than `limit` bytes (reading stops there).
std::optional<std::string> ReadAtMost(std::istream& stream, std::size_t limit) {
  std::string text;
  char buffer[64 * 1024];
  while (stream.read(buffer, sizeof buffer) || stream.gcount() > 0) {
    const auto n = static_cast<std::size_t>(stream.gcount());
    if (n > limit - text.size()) return std::nullopt;
    text.append(buffer, n);
  }
  return text;
}

resilience::Result<std::string> ReadInput(const CommandInput& input, std::istream& in) {
  if (input.data) {
    if (input.data->size() > input.max_bytes) return TooLarge("the --data input", input.max_bytes);
    return *input.data;
  }
  if (input.file) {
    const std::string name = base::ValidUtf8(*input.file);
    std::ifstream f(*input.file, std::ios::binary);
    if (!f) {
      return resilience::Error(ErrorKind::kValidation, "UnreadableInput",
                               "cannot read input file " + name);
    }
    std::optional<std::string> text = ReadAtMost(f, input.max_bytes);
    if (!text) return TooLarge("the input file " + name, input.max_bytes);
    if (f.bad()) {
      return resilience::Error(ErrorKind::kValidation, "UnreadableInput",
                               "cannot read input file " + name);
    }
    return std::move(*text);
  }
  std::optional<std::string> text = ReadAtMost(in, input.max_bytes);
  if (!text) return TooLarge("the input on stdin", input.max_bytes);
  return std::move(*text);
}

}  // namespace

int RunHostFactoryCommand(std::string_view command, const CommandInput& input,
                          const app::AppOptions& options, const aws::Environment& env,
                          std::ostream& out, std::istream& in) {
  const auto started = std::chrono::steady_clock::now();
  // getAvailableTemplates takes no input, and getReturnRequests' list is optional (IBM): for
  // them an empty input is {}. HostFactory may still pass a file with {}.
  resilience::Result<std::string> text = ReadInput(input, in);
  if (!text.ok()) {
    Print(out, hostfactory::ErrorJson(text.error().message()));
    return kExitBadInput;
  }
  resilience::Result<nlohmann::json> json =
      (command == "getAvailableTemplates" || command == "getReturnRequests") &&
              text->find_first_not_of(" \t\r\n") == std::string::npos
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
  std::optional<std::vector<hostfactory::MachineRef>> held;
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
  } else if (command == "requestReturnMachines") {
    auto r = hostfactory::ParseRequestReturnMachines(*json);
    if (!r.ok()) {
      Print(out, hostfactory::ErrorJson(r.error().message()));
      return kExitBadInput;
    }
    machines = *r;
  } else if (command == "getReturnRequests") {
    auto r = hostfactory::ParseGetReturnRequests(*json);
    if (!r.ok()) {
      Print(out, hostfactory::ErrorJson(r.error().message()));
      return kExitBadInput;
    }
    held = *r;
  }

  resilience::Result<std::unique_ptr<app::PluginApp>> app = app::PluginApp::Create(options, env);
  if (!app.ok()) {
    Print(out, hostfactory::ErrorJson(app.error().message()));
    return CodeFor(app.error());
  }
  hostfactory::HostFactoryService& service = (*app)->service();
  CommandResult result;
  try {
    if (command == "getAvailableTemplates") {
      result = service.GetAvailableTemplates();
    } else if (command == "requestMachines") {
      result = service.RequestMachines(*request);
    } else if (command == "getRequestStatus") {
      result = service.GetRequestStatus(request_ids);
    } else if (command == "requestReturnMachines") {
      result = service.RequestReturnMachines(machines);
    } else {
      result = service.GetReturnRequests(held);
    }
  } catch (const std::exception& e) {
    // A defect, not an input or AWS problem: still one JSON document on stdout, the reason and the
    // "finished" line in app.log (main() catches what escapes before the log exists).
    const std::string what = base::ValidUtf8(e.what());
    (*app)->log().Log(spdlog::level::err, std::string(command) + ": internal error: " + what,
                      {{"event", "internal_error"}, {"command", command}});
    result = {kExitInternal, hostfactory::ErrorJson("internal error: " + what)};
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
  const std::string provider = env.Get("HF_PROVIDER_NAME").value_or("aws");
  const config::ProviderFiles files = config::FindProviderFiles(paths.confdir, provider);
  const std::filesystem::path file = app::ConfigFile(o, paths);
  int code = kExitOk;
  resilience::Result<config::LoadedConfig> config =
      config::LoadConfiguration({.ibm_config = files.ibm_config, .config = file}, env);
  if (!config.ok()) {
    err << "ohfp: " << config.error().message() << "\n";
    code = kExitBadInput;
  }
  resilience::Result<model::TemplateSet> templates = config::LoadTemplates(files.templates);
  if (!templates.ok()) {
    err << "ohfp: " << templates.error().message() << "\n";
    code = kExitBadInput;
  }
  if (code != kExitOk) return code;
  config::ConfigSources sources = config->sources;
  const std::string templates_file = sources.File(files.templates);
  const nlohmann::json effective = config::PluginConfigToJson(config->config);
  nlohmann::ordered_json j;
  j["config_file"] = file.string();
  j["confdir"] = paths.confdir.string();
  j["workdir"] = paths.workdir.string();
  j["logdir"] = paths.logdir.string();
  j["provider_name"] = provider;
  // Every file read, once; "origins" and "templates_file" refer to them as files[i].
  j["files"] = nlohmann::ordered_json::array();
  for (const std::filesystem::path& f : sources.files) j["files"].push_back(f.string());
  j["warnings"] = nlohmann::ordered_json::array();
  for (const std::string& w : files.warnings) j["warnings"].push_back(w);
  for (const std::string& w : sources.warnings) j["warnings"].push_back(w);
  j["config"] = nlohmann::ordered_json::parse(effective.dump());
  j["origins"] = config::OriginsJson(effective, sources);
  j["templates_file"] = templates_file;
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
    auto j = app::BreakersJson((*app)->state_store(), (*app)->config().resilience);
    if (!j.ok()) {
      err << "ohfp: " << j.error().ToString() << "\n";
      return kExitFailed;
    }
    out << j->dump(2) << "\n";
    return kExitOk;
  }
  const std::optional<app::BreakerAction> which = app::BreakerActionFromName(action);
  if (!which) {
    err << "ohfp: unknown breaker action " << action << "\n";
    return kExitBadInput;
  }
  auto done = app::ApplyBreakerAction(**app, *which, service, "cli");
  if (!done.ok()) {
    err << "ohfp: " << done.error().ToString() << "\n";
    return kExitFailed;
  }
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
  const app::ReconcileOutcome outcome =
      app::Reconcile(**app, {.dry_run = reconcile.dry_run, .adopt = reconcile.adopt});
  if (!outcome.problem.empty()) {
    err << "ohfp: " << outcome.problem << "\n";
    return kExitFailed;
  }
  out << outcome.report.dump(2) << "\n";
  return outcome.ok ? kExitOk : kExitFailed;
}

}  // namespace ohfp::cli
