// CycleReport as text (for people) and JSON (for scripts).
#include <iomanip>
#include <sstream>

#include "ohfp/hf_simulator/simulator.h"

namespace ohfp::hf_simulator {
namespace {

using Json = nlohmann::json;

double Ms(std::chrono::nanoseconds d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

std::string MsText(std::chrono::nanoseconds d) {
  std::ostringstream s;
  s << std::fixed << std::setprecision(0) << Ms(d) << " ms";
  return s.str();
}

std::string SecondsText(std::chrono::nanoseconds d) {
  std::ostringstream s;
  s << std::fixed << std::setprecision(1) << Ms(d) / 1000.0 << " s";
  return s.str();
}

Json RequestJson(const RequestSummary& s, bool acquire) {
  Json j;
  j["requestId"] = s.request_id.empty() ? Json() : Json(s.request_id);
  if (acquire) j["templateId"] = s.template_id;
  j["machineCount"] = s.machine_count;
  j["status"] = s.status.empty() ? Json() : Json(s.status);
  j["message"] = s.message;
  j["polls"] = s.polls;
  j["machines"] = Json::array();
  for (const MachineSummary& m : s.machines) {
    j["machines"].push_back({{"machineId", m.machine_id},
                             {"name", m.name},
                             {"result", m.result},
                             {"status", m.status}});
  }
  return j;
}

void RequestText(std::ostringstream& s, const RequestSummary& r, bool acquire) {
  s << "  " << (r.request_id.empty() ? std::string("(not created)") : r.request_id);
  if (acquire) s << "  " << r.template_id << " x" << r.machine_count;
  if (!acquire) s << "  " << r.machine_count << " machine(s)";
  s << ": " << (r.status.empty() ? std::string("no status") : r.status);
  if (r.polls > 0) s << " after " << r.polls << " poll(s)";
  if (!r.message.empty()) s << " (" << r.message << ")";
  s << "\n";
  for (const MachineSummary& m : r.machines) {
    s << "      " << m.machine_id << "  " << m.name << "  " << m.result << "  " << m.status << "\n";
  }
}

}  // namespace

Json CycleReport::ToJson() const {
  Json j;
  j["ok"] = ok();
  j["elapsed_ms"] = Ms(elapsed);
  j["templates"] = templates;
  j["requests"] = Json::array();
  for (const RequestSummary& s : acquires) j["requests"].push_back(RequestJson(s, true));
  j["returns"] = Json::array();
  for (const RequestSummary& s : returns) j["returns"].push_back(RequestJson(s, false));
  j["kept"] = kept;
  j["returnNotices"] = return_notices;
  j["commands"] = Json::object();
  for (const auto& [command, stats] : commands) {
    j["commands"][std::string(CommandName(command))] = {{"calls", stats.calls},
                                                        {"failures", stats.failures},
                                                        {"median_ms", Ms(stats.median)},
                                                        {"max_ms", Ms(stats.max)}};
  }
  j["violations"] = Json::array();
  for (const Violation& v : violations) j["violations"].push_back(v.ToJson());
  j["problems"] = problems;
  return j;
}

std::string CycleReport::ToText() const {
  std::ostringstream s;
  s << "HostFactory cycle: ";
  if (ok()) {
    s << "OK\n";
  } else {
    s << "FAILED (" << violations.size() << " contract violation(s), " << problems.size()
      << " problem(s))\n";
  }
  s << "templates offered: ";
  for (std::size_t i = 0; i < templates.size(); ++i) s << (i > 0 ? ", " : "") << templates[i];
  s << (templates.empty() ? "none\n" : "\n");
  s << "requests:\n";
  for (const RequestSummary& r : acquires) RequestText(s, r, true);
  s << "returns:\n";
  if (returns.empty()) s << "  none\n";
  for (const RequestSummary& r : returns) RequestText(s, r, false);
  if (!kept.empty()) s << "kept (not returned): " << kept.size() << " machine(s)\n";
  s << "taken back by the cloud (getReturnRequests): " << return_notices.size() << " machine(s)\n";
  for (const std::string& m : return_notices) s << "  " << m << "\n";
  s << "commands:\n";
  s << "  " << std::left << std::setw(24) << "command" << std::right << std::setw(6) << "calls"
    << std::setw(8) << "failed" << std::setw(10) << "median" << std::setw(10) << "max"
    << "\n";
  for (const auto& [command, stats] : commands) {
    s << "  " << std::left << std::setw(24) << CommandName(command) << std::right << std::setw(6)
      << stats.calls << std::setw(8) << stats.failures << std::setw(10) << MsText(stats.median)
      << std::setw(10) << MsText(stats.max) << "\n";
  }
  s << "contract violations: " << (violations.empty() ? "none" : std::to_string(violations.size()))
    << "\n";
  for (const Violation& v : violations) s << "  " << v.ToString() << "\n";
  s << "problems: " << (problems.empty() ? "none" : std::to_string(problems.size())) << "\n";
  for (const std::string& p : problems) s << "  " << p << "\n";
  s << "elapsed: " << SecondsText(elapsed) << "\n";
  return s.str();
}

}  // namespace ohfp::hf_simulator
