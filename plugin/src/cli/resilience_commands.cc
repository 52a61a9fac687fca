#include "cli/resilience_commands.h"

#include <fstream>
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/exit_codes.h"
#include "config/resilience_json.h"
#include "ohfp/resilience/simulation.h"
#include "simulator/trace_json.h"

namespace ohfp::cli {
namespace {

using resilience::Error;
using resilience::ErrorKind;
using resilience::Result;
using resilience::SimCall;
using resilience::SimFault;
using resilience::SimReport;

Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error(ErrorKind::kValidation, "unreadable_file", "cannot read " + path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

struct Inputs {
  std::vector<SimCall> calls;
  std::vector<SimFault> faults;
  resilience::SimServer server;
};

Result<Inputs> ReadInputs(const std::optional<std::string>& trace,
                          const std::optional<std::string>& faults,
                          const std::optional<std::string>& server) {
  Inputs inputs;
  if (trace) {
    std::ifstream in(*trace);
    if (!in) return Error(ErrorKind::kValidation, "unreadable_file", "cannot read trace " + *trace);
    if (auto s = simulator::ReadTrace(in, inputs.calls); !s.ok())
      return s.error().WithMessage(*trace + ": " + std::string(s.error().message()));
  } else {
    if (auto s = simulator::ReadTrace(std::cin, inputs.calls); !s.ok())
      return s.error().WithMessage("stdin: " + std::string(s.error().message()));
  }
  if (faults) {
    std::ifstream in(*faults);
    if (!in)
      return Error(ErrorKind::kValidation, "unreadable_file", "cannot read faults " + *faults);
    if (auto s = simulator::ReadFaults(in, inputs.faults); !s.ok())
      return s.error().WithMessage(*faults + ": " + std::string(s.error().message()));
  }
  if (server) {
    std::ifstream in(*server);
    if (!in)
      return Error(ErrorKind::kValidation, "unreadable_file", "cannot read server " + *server);
    if (auto s = simulator::ReadServer(in, inputs.server); !s.ok())
      return s.error().WithMessage(*server + ": " + std::string(s.error().message()));
  }
  return inputs;
}

std::string Cell(const std::optional<resilience::Duration>& d) {
  if (!d) return "never";
  std::ostringstream os;
  os << std::fixed << std::setprecision(1) << resilience::ToSeconds(*d) << " s";
  return os.str();
}

}  // namespace

Result<resilience::ResilienceConfig> LoadResilienceFile(const std::string& path) {
  Result<std::string> text = ReadFile(path);
  if (!text.ok()) return text.error();
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(*text);
  } catch (const nlohmann::json::parse_error& e) {
    return Error(ErrorKind::kValidation, "invalid_json", path + ": not valid JSON: " + e.what());
  }
  if (!j.is_object() || !j.contains("resilience")) {
    return Error(ErrorKind::kValidation, "invalid_config",
                 path + ": no \"resilience\" object at the top level");
  }
  std::vector<resilience::ConfigProblem> problems;
  resilience::ResilienceConfig config =
      config::ReadResilienceConfig(j["resilience"], "resilience", problems);
  if (!problems.empty()) {
    std::string message = path + ": " + std::to_string(problems.size()) + " problem(s):";
    for (const auto& p : problems) message += "\n  " + p.path + ": " + p.message;
    return Error(ErrorKind::kValidation, "invalid_config", message);
  }
  return config;
}

int RunSimulate(const SimulateOptions& options, std::ostream& out, std::ostream& err) {
  Result<resilience::ResilienceConfig> config = LoadResilienceFile(options.config);
  if (!config.ok()) {
    err << "ohfp: " << config.error().message() << "\n";
    return kExitBadInput;
  }
  Result<Inputs> inputs = ReadInputs(options.trace, options.faults, options.server);
  if (!inputs.ok()) {
    err << "ohfp: " << inputs.error().message() << "\n";
    return kExitBadInput;
  }
  resilience::Simulator sim(*config, options.seed);
  Result<SimReport> report = sim.Run(
      inputs->calls, inputs->faults, inputs->server,
      [&](const resilience::SimEvent& e) { out << simulator::EventJson(e).dump() << "\n"; });
  if (!report.ok()) {
    err << "ohfp: " << report.error().message() << "\n";
    return kExitBadInput;
  }
  out << simulator::SummaryJson(*report).dump() << "\n";
  return kExitOk;
}

int RunCompare(const CompareOptions& options, std::ostream& out, std::ostream& err) {
  if (options.configs.size() < 2) {
    err << "ohfp: compare needs at least two --config files\n";
    return kExitBadInput;
  }
  Result<Inputs> inputs = ReadInputs(options.trace, options.faults, options.server);
  if (!inputs.ok()) {
    err << "ohfp: " << inputs.error().message() << "\n";
    return kExitBadInput;
  }
  std::vector<std::string> names;
  std::vector<SimReport> reports;
  for (std::size_t i = 0; i < options.configs.size(); ++i) {
    Result<resilience::ResilienceConfig> config = LoadResilienceFile(options.configs[i]);
    if (!config.ok()) {
      err << "ohfp: " << config.error().message() << "\n";
      return kExitBadInput;
    }
    resilience::Simulator sim(*config, options.seed);
    Result<SimReport> report =
        sim.Run(inputs->calls, inputs->faults, inputs->server, [](const resilience::SimEvent&) {});
    if (!report.ok()) {
      err << "ohfp: " << report.error().message() << "\n";
      return kExitBadInput;
    }
    names.push_back(i < options.labels.size() ? options.labels[i] : options.configs[i]);
    reports.push_back(*report);
  }
  if (options.json) {
    nlohmann::ordered_json j = nlohmann::ordered_json::array();
    for (std::size_t i = 0; i < reports.size(); ++i) {
      nlohmann::ordered_json s = simulator::SummaryJson(reports[i]);
      s["config"] = names[i];
      s["breaker_openings"] = reports[i].breaker_openings;
      s["retries"] = reports[i].retries;
      j.push_back(s);
    }
    out << j.dump(2) << "\n";
    return kExitOk;
  }
  const std::size_t first = 34;
  std::size_t width = 16;
  for (const std::string& n : names) width = std::max(width, n.size() + 2);
  auto row = [&](const std::string& label, auto&& cell) {
    out << std::left << std::setw(static_cast<int>(first)) << label;
    for (const SimReport& r : reports)
      out << std::right << std::setw(static_cast<int>(width)) << cell(r);
    out << "\n";
  };
  row("", [&, i = std::size_t{0}](const SimReport&) mutable { return names[i++]; });
  row("calls", [](const SimReport& r) { return std::to_string(r.calls); });
  row("calls succeeded", [](const SimReport& r) { return std::to_string(r.succeeded); });
  row("calls failed", [](const SimReport& r) { return std::to_string(r.failed); });
  row("requests sent to the service",
      [](const SimReport& r) { return std::to_string(r.attempts); });
  row("retries", [](const SimReport& r) { return std::to_string(r.retries); });
  row("breaker openings", [](const SimReport& r) { return std::to_string(r.breaker_openings); });
  row("attempts rejected by a breaker",
      [](const SimReport& r) { return std::to_string(r.rejected); });
  row("timeouts", [](const SimReport& r) { return std::to_string(r.summary.timeout_errors); });
  row("attempts throttled (any cause)",
      [](const SimReport& r) { return std::to_string(r.summary.throttled_attempts); });
  row("of which by the server's buckets",
      [](const SimReport& r) { return std::to_string(r.throttled); });
  row("attempts that waited for a token",
      [](const SimReport& r) { return std::to_string(r.rate_limiter_waits); });
  row("time waited for tokens, in total",
      [](const SimReport& r) { return Cell(r.rate_limiter_wait); });
  row("calls ended by the rate limiter",
      [](const SimReport& r) { return std::to_string(r.rate_limited_calls); });
  row("time until the last success", [](const SimReport& r) { return Cell(r.last_success_at); });
  return kExitOk;
}

}  // namespace ohfp::cli
