#include "ohfp/hf_simulator/cli.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <charconv>
#include <fstream>
#include <iostream>
#include <sstream>

#include "ohfp/hf_simulator/simulator.h"

namespace ohfp::hf_simulator {
namespace {

using Json = nlohmann::json;

constexpr const char* kDescription =
    "ohfp-hf-simulator: plays IBM Spectrum Symphony's HostFactory against a provider plugin. It "
    "runs "
    "the\nplugin's five scripts (<shim-dir>/<command>.sh -f FILE, each call a new process, this "
    "environment\npassed through) and checks every answer against the HostFactory provider "
    "contract.";

constexpr const char* kFooter = R"(
WHAT IS CHECKED (every call)
  - stdout holds exactly one JSON document, an object, and nothing else;
  - the process exits 0, or 1/2/3 on failure (not killed, not past --command-timeout);
  - on failure: {"message": "<non-empty>"};
  - getAvailableTemplates: "templates" [{templateId ([A-Za-z0-9_-], <= 64, unique), maxNumber
    (integer >= -1), availableNumber (integer, <= maxNumber), attributes {type, ncpus, nram:
    ["String"|"Numeric", "value"]}, priceType ondemand|spot|heterogeneous}];
  - requestMachines, requestReturnMachines: "requestId", a non-empty string;
  - getRequestStatus: one entry per id asked, status running|complete|complete_with_error, message,
    machines [{machineId, name, result executing|succeed|fail, status (optional; an EC2 state),
    privateIpAddress/publicIpAddress (string or null), launchtime (epoch seconds), message (required
    with fail), optional priceType ondemand|spot, instanceType, instanceTags, cloudHostId (string
    or null)}]; acquire: running = succeed, died = fail; return: terminated = succeed,
    shutting-down = executing; a finished request has nothing executing, a complete one no failure;
  - getReturnRequests: "requests" [{machine (one of the hosts passed in), gracePeriod (integer >= 0)}];
  - across calls: no machine in two requests, no finished request running again.

CYCLE
  getAvailableTemplates; requestMachines for each --template; getRequestStatus every --poll-interval
  until each request is complete or complete_with_error (at most --timeout); requestReturnMachines
  with --return-fraction of the machines that came up, in --return-batches calls (each polled with
  getRequestStatus until complete before the next); getReturnRequests with the machines kept.
  Prints a summary (--json: as JSON).

EXIT STATUS
  0 every answer followed the contract (cycle: and every request finished), 1 a contract violation
  or a problem (a command failed, a request never finished), 2 a bad command line.

EXAMPLES
  export HF_PROVIDER_CONFDIR=/opt/hf/conf HF_PROVIDER_WORKDIR=/opt/hf/work HF_PROVIDER_LOGDIR=/opt/hf/log
  ohfp-hf-simulator cycle --template OnDemand:3 --template Spot:2 --poll-interval 1 --return-fraction 0.5
  ohfp-hf-simulator cycle --template Fleet:4 --poll-interval 1 --return-batches 2
  ohfp-hf-simulator call getRequestStatus --data '{"requests": [{"requestId": "req-1"}]}'
  ohfp requestMachines -f in.json > out.json; ohfp-hf-simulator check requestMachines --output out.json --exit-code $?
)";

struct GlobalOptions {
  std::string shim_dir = DefaultShimDir().string();
  std::string shell{};
  double command_timeout = 120;
  std::vector<std::string> env{};
  bool verbose = false;
};

std::chrono::milliseconds Millis(double seconds) {
  return std::chrono::milliseconds(static_cast<std::int64_t>(seconds * 1000.0 + 0.5));
}

bool ParseTemplateCount(const std::string& text, TemplateCount& out, std::string& why) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size()) {
    why = "--template must be ID:COUNT, got \"" + text + "\"";
    return false;
  }
  out.template_id = text.substr(0, colon);
  const std::string count = text.substr(colon + 1);
  const auto [end, ec] = std::from_chars(count.data(), count.data() + count.size(), out.count);
  if (ec != std::errc() || end != count.data() + count.size() || out.count < 1) {
    why = "--template " + text + ": COUNT must be a whole number of at least 1";
    return false;
  }
  return true;
}

bool ParseKind(const std::string& text, RequestKind& kind) {
  if (text == "acquire")
    kind = RequestKind::kAcquire;
  else if (text == "return")
    kind = RequestKind::kReturn;
  else if (text == "never-issued")
    kind = RequestKind::kNeverIssued;
  else if (text.empty() || text == "unspecified")
    kind = RequestKind::kUnspecified;
  else
    return false;
  return true;
}

// The context for `call`/`check` from the input: every id asked gets `kind`; the machines passed to
// getReturnRequests are the ones held.
CheckContext ContextFromInput(Command command, const Json& input, RequestKind kind) {
  CheckContext context;
  if (!input.is_object()) return context;
  if (command == Command::kGetRequestStatus) {
    if (auto r = input.find("requests"); r != input.end() && r->is_array()) {
      for (const Json& q : *r) {
        if (q.is_object() && q.contains("requestId") && q["requestId"].is_string()) {
          context.asked_requests.push_back({q["requestId"].get<std::string>(), kind});
        }
      }
    }
  } else if (command == Command::kGetReturnRequests) {
    if (auto m = input.find("machines"); m != input.end() && m->is_array()) {
      for (const Json& x : *m) {
        if (!x.is_object()) continue;
        context.held_machines.push_back(
            {x.value("name", std::string()), x.value("machineId", std::string())});
      }
    }
  }
  return context;
}

void PrintViolations(const std::vector<Violation>& violations, std::ostream& err) {
  if (violations.empty()) {
    err << "contract: OK\n";
    return;
  }
  err << "contract: " << violations.size() << " violation(s)\n";
  for (const Violation& v : violations) err << "  " << v.ToString() << "\n";
}

bool ReadFile(const std::string& path, std::string& text) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return false;
  std::ostringstream s;
  s << f.rdbuf();
  text = s.str();
  return true;
}

}  // namespace

int RunCli(const std::vector<std::string>& args, std::istream& in, std::ostream& out,
           std::ostream& err) {
  CLI::App app{kDescription, "ohfp-hf-simulator"};
  app.footer(kFooter);
  app.set_version_flag("--version", "ohfp-hf-simulator " OHFP_VERSION);
  app.require_subcommand(1);
  GlobalOptions global;
  app.add_option("--shim-dir", global.shim_dir, "Directory of the five <command>.sh scripts")
      ->default_str(global.shim_dir);
  app.add_option("--shell", global.shell,
                 "Run scripts as `SHELL script -f FILE` (default: run the script itself)");
  app.add_option("--command-timeout", global.command_timeout,
                 "Seconds one command may run before it is killed (a violation)")
      ->default_str("120")
      ->check(CLI::PositiveNumber);
  app.add_option("--env", global.env,
                 "NAME=VALUE added to the scripts' environment (repeatable); the rest of this "
                 "environment is passed through");
  app.add_flag("-v,--verbose", global.verbose, "Print every call and its answer on stderr");

  // cycle
  CLI::App* cycle = app.add_subcommand("cycle", "Run HostFactory's borrowing cycle once");
  std::vector<std::string> template_args;
  double poll_interval = 2;
  double timeout = 600;
  double return_fraction = 1;
  int return_batches = 1;
  bool cycle_json = false;
  cycle->add_option("-t,--template", template_args, "ID:COUNT to request (repeatable)")->required();
  cycle->add_option("--poll-interval", poll_interval, "Seconds between getRequestStatus polls")
      ->default_str("2")
      ->check(CLI::NonNegativeNumber);
  cycle
      ->add_option("--timeout", timeout,
                   "Seconds to wait for the acquire requests, and again for the return")
      ->default_str("600")
      ->check(CLI::PositiveNumber);
  cycle
      ->add_option("--return-fraction", return_fraction,
                   "Fraction of the machines that came up to return, rounded up (0: none)")
      ->default_str("1")
      ->check(CLI::Range(0.0, 1.0));
  cycle
      ->add_option("--return-batches", return_batches,
                   "Return those machines in this many requests, each after the one before "
                   "finished (2: half, then the rest)")
      ->default_str("1")
      ->check(CLI::PositiveNumber);
  cycle->add_flag("--json", cycle_json, "Print the summary as JSON");

  // call
  CLI::App* call = app.add_subcommand("call", "Run one command with an input and check its answer");
  std::string call_command;
  std::string call_file;
  std::string call_data;
  std::string call_kind;
  bool call_json = false;
  call->add_option("command", call_command,
                   "getAvailableTemplates, requestMachines, getRequestStatus, "
                   "requestReturnMachines or getReturnRequests")
      ->required();
  CLI::Option* file_opt = call->add_option("-f,--file", call_file, "Input JSON file");
  call->add_option("--data", call_data, "Input JSON text (default: {})")->excludes(file_opt);
  call->add_option("--request-kind", call_kind,
                   "getRequestStatus: what every id asked is (acquire, return, never-issued), for "
                   "the rules that depend on it");
  call->add_flag("--json", call_json,
                 "Print {command, exit_code, output, violations} instead of the plugin's output");

  // check
  CLI::App* check = app.add_subcommand(
      "check", "Check a saved answer of one command against the contract (runs nothing)");
  std::string check_command;
  std::string check_output;
  std::string check_input;
  std::string check_kind;
  int check_exit = 0;
  check->add_option("command", check_command, "The command that printed the answer")->required();
  check->add_option("--output", check_output, "File holding its stdout (default: stdin)");
  check->add_option("--exit-code", check_exit, "Its exit status")->default_str("0");
  check->add_option("--input", check_input,
                    "Its input file: the ids asked (getRequestStatus) or the machines passed in "
                    "(getReturnRequests) are then compared");
  check->add_option("--request-kind", check_kind,
                    "getRequestStatus: acquire, return or never-issued (with --input)");

  std::vector<std::string> reversed(args.rbegin(), args.rend());
  try {
    app.parse(reversed);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e, out, err);
    return code == 0 ? kCliOk : kCliUsage;
  }

  SimulatorOptions options;
  options.shim_dir = global.shim_dir;
  options.shell = global.shell;
  options.command_timeout = Millis(global.command_timeout);
  for (const std::string& kv : global.env) {
    const auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) {
      err << "ohfp-hf-simulator: --env must be NAME=VALUE, got \"" << kv << "\"\n";
      return kCliUsage;
    }
    options.env[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  if (global.verbose) {
    options.on_call = [&err](const CallResult& r) {
      err << "[" << CommandName(r.command) << "] input " << r.input << "\n"
          << "[" << CommandName(r.command) << "] exit " << r.exit_code << " in "
          << std::chrono::duration_cast<std::chrono::milliseconds>(r.wall).count()
          << " ms: " << r.out;
      if (!r.out.empty() && r.out.back() != '\n') err << "\n";
      for (const Violation& v : r.violations) err << "  violation: " << v.ToString() << "\n";
    };
  }

  if (cycle->parsed()) {
    std::vector<TemplateCount> wanted;
    for (const std::string& t : template_args) {
      TemplateCount tc;
      std::string why;
      if (!ParseTemplateCount(t, tc, why)) {
        err << "ohfp-hf-simulator: " << why << "\n";
        return kCliUsage;
      }
      wanted.push_back(tc);
    }
    Simulator sim(options);
    const CycleReport report = sim.Cycle(wanted, {.poll_interval = Millis(poll_interval),
                                                  .timeout = Millis(timeout),
                                                  .return_fraction = return_fraction,
                                                  .return_batches = return_batches});
    if (cycle_json) {
      out << report.ToJson().dump(2) << "\n";
    } else {
      out << report.ToText();
    }
    return report.ok() ? kCliOk : kCliViolations;
  }

  if (call->parsed() || check->parsed()) {
    const std::string& name = call->parsed() ? call_command : check_command;
    const std::optional<Command> command = ParseCommand(name);
    if (!command) {
      err << "ohfp-hf-simulator: unknown command \"" << name
          << "\" (getAvailableTemplates, requestMachines, getRequestStatus, "
             "requestReturnMachines, getReturnRequests)\n";
      return kCliUsage;
    }
    RequestKind kind = RequestKind::kUnspecified;
    if (!ParseKind(call->parsed() ? call_kind : check_kind, kind)) {
      err << "ohfp-hf-simulator: --request-kind must be acquire, return or never-issued\n";
      return kCliUsage;
    }
    if (call->parsed()) {
      std::string text = call_data.empty() ? "{}" : call_data;
      if (!call_file.empty() && !ReadFile(call_file, text)) {
        err << "ohfp-hf-simulator: cannot read " << call_file << "\n";
        return kCliUsage;
      }
      CallOptions call_options;
      if (kind != RequestKind::kUnspecified) {
        call_options.context = ContextFromInput(*command, Json::parse(text, nullptr, false), kind);
        call_options.context->failure_exit_codes = options.failure_exit_codes;
      }
      Simulator sim(options);
      const CallResult r = sim.CallWithText(*command, text, call_options);
      if (call_json) {
        Json j;
        j["command"] = name;
        j["exit_code"] = r.exit_code;
        j["output"] = r.json_ok ? r.json : Json(r.out);
        j["violations"] = Json::array();
        for (const Violation& v : r.violations) j["violations"].push_back(v.ToJson());
        out << j.dump(2) << "\n";
      } else {
        out << r.out;
        if (!r.out.empty() && r.out.back() != '\n') out << "\n";
        err << "exit code " << r.exit_code << " in "
            << std::chrono::duration_cast<std::chrono::milliseconds>(r.wall).count() << " ms\n";
        PrintViolations(r.violations, err);
      }
      return r.violations.empty() ? kCliOk : kCliViolations;
    }
    std::string text;
    if (check_output.empty()) {
      std::ostringstream s;
      s << in.rdbuf();
      text = s.str();
    } else if (!ReadFile(check_output, text)) {
      err << "ohfp-hf-simulator: cannot read " << check_output << "\n";
      return kCliUsage;
    }
    CheckContext context;
    if (!check_input.empty()) {
      std::string input_text;
      if (!ReadFile(check_input, input_text)) {
        err << "ohfp-hf-simulator: cannot read " << check_input << "\n";
        return kCliUsage;
      }
      context = ContextFromInput(*command, Json::parse(input_text, nullptr, false), kind);
    }
    const CheckResult r = CheckOutput(*command, check_exit, text, context);
    PrintViolations(r.violations, out);
    return r.ok() ? kCliOk : kCliViolations;
  }
  return kCliUsage;
}

}  // namespace ohfp::hf_simulator
