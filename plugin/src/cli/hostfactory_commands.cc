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

// The input's JSON. getAvailableTemplates takes no input, and getReturnRequests' list is optional
// (IBM): for them an empty input is {}. HostFactory may still pass a file with {}.
resilience::Result<nlohmann::json> CommandJson(std::string_view command, const std::string& text) {
  if ((command == "getAvailableTemplates" || command == "getReturnRequests") &&
      text.find_first_not_of(" \t\r\n") == std::string::npos) {
    return nlohmann::json::object();
  }
  return hostfactory::ParseInput(text);
}

// A command's arguments, parsed from its input; which member is set depends on the command.
struct CommandArguments {
  std::optional<hostfactory::RequestMachinesInput> request;  // requestMachines
  std::vector<std::string> request_ids;                      // getRequestStatus
  std::vector<hostfactory::MachineRef> machines;             // requestReturnMachines
  std::optional<std::vector<hostfactory::MachineRef>> held;  // getReturnRequests
};

// Moves a parsed value into `slot`, or returns the parse error.
template <class T, class Slot>
resilience::Status Take(resilience::Result<T> parsed, Slot& slot) {
  if (!parsed.ok()) return parsed.error();
  slot = std::move(*parsed);
  return {};
}

resilience::Result<CommandArguments> ParseArguments(std::string_view command,
                                                    const nlohmann::json& json) {
  CommandArguments args;
  resilience::Status parsed;
  if (command == "requestMachines") {
    parsed = Take(hostfactory::ParseRequestMachines(json), args.request);
  } else if (command == "getRequestStatus") {
    parsed = Take(hostfactory::ParseGetRequestStatus(json), args.request_ids);
  } else if (command == "requestReturnMachines") {
    parsed = Take(hostfactory::ParseRequestReturnMachines(json), args.machines);
  } else if (command == "getReturnRequests") {
    parsed = Take(hostfactory::ParseGetReturnRequests(json), args.held);
  }
  if (!parsed.ok()) return parsed.error();
  return args;
}

// Runs the command on `app`'s service. An exception is a defect, not an input or AWS problem:
// still one JSON document on stdout, the reason and the "finished" line in app.log (main() catches
// what escapes before the log exists).
CommandResult RunOnService(app::PluginApp& app, std::string_view command,
                           const CommandArguments& args) {
  hostfactory::HostFactoryService& service = app.service();
  try {
    if (command == "getAvailableTemplates") return service.GetAvailableTemplates();
    if (command == "requestMachines") return service.RequestMachines(*args.request);
    if (command == "getRequestStatus") return service.GetRequestStatus(args.request_ids);
    if (command == "requestReturnMachines") return service.RequestReturnMachines(args.machines);
    return service.GetReturnRequests(args.held);
  } catch (const std::exception& e) {
    const std::string what = base::ValidUtf8(e.what());
    app.log().Log(spdlog::level::err, std::string(command) + ": internal error: " + what,
                  {{"event", "internal_error"}, {"command", command}});
    return {kExitInternal, hostfactory::ErrorJson("internal error: " + what)};
  }
}

// The installation's objects for an operator command: no AWS client, no templates.
resilience::Result<std::unique_ptr<app::PluginApp>> OpenForOperator(const app::AppOptions& options,
                                                                    const aws::Environment& env) {
  app::AppOptions o = options;
  o.need_aws = false;
  o.need_templates = false;
  return app::PluginApp::Create(o, env);
}

}  // namespace

int RunHostFactoryCommand(std::string_view command, const CommandInput& input,
                          const app::AppOptions& options, const aws::Environment& env,
                          std::ostream& out, std::istream& in) {
  const auto started = std::chrono::steady_clock::now();
  resilience::Result<std::string> text = ReadInput(input, in);
  if (!text.ok()) {
    Print(out, hostfactory::ErrorJson(text.error().message()));
    return kExitBadInput;
  }
  resilience::Result<nlohmann::json> json = CommandJson(command, *text);
  if (!json.ok()) {
    Print(out, hostfactory::ErrorJson(json.error().message()));
    return kExitBadInput;
  }
  // Validate the input before building anything: a bad input changes nothing.
  resilience::Result<CommandArguments> args = ParseArguments(command, *json);
  if (!args.ok()) {
    Print(out, hostfactory::ErrorJson(args.error().message()));
    return kExitBadInput;
  }

  resilience::Result<std::unique_ptr<app::PluginApp>> app = app::PluginApp::Create(options, env);
  if (!app.ok()) {
    Print(out, hostfactory::ErrorJson(app.error().message()));
    return CodeFor(app.error());
  }
  const CommandResult result = RunOnService(**app, command, *args);
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
  auto app = OpenForOperator(options, env);
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
  auto app = OpenForOperator(options, env);
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
