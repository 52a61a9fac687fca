#include "ohfp/hf_simulator/simulator.h"

#include <stdlib.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <set>
#include <stdexcept>
#include <system_error>

namespace ohfp::hf_simulator {
namespace {

using Json = nlohmann::json;

bool Terminal(std::string_view status) {
  return status == "complete" || status == "complete_with_error";
}

std::string StringOr(const Json& object, const char* key, std::string fallback = "") {
  if (!object.is_object()) return fallback;
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : fallback;
}

// The message of a failed call, or what is wrong with its output.
std::string Why(const CallResult& r) {
  std::string why = "exit " + std::to_string(r.exit_code);
  if (r.timed_out) why = "no answer within the command timeout";
  const std::string message = StringOr(r.json, "message");
  if (!message.empty()) why += ": " + message;
  if (!r.json_ok) why += ": stdout was not one JSON document";
  return why;
}

std::filesystem::path MakeInputDir() {
  std::string pattern =
      (std::filesystem::temp_directory_path() / "ohfp-hf-simulator-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) {
    throw std::system_error(errno, std::generic_category(),
                            "cannot create a directory for input files");
  }
  return pattern;
}

MachineSummary SummarizeMachine(const Json& m) {
  return {StringOr(m, "machineId"), StringOr(m, "name"), StringOr(m, "result"),
          StringOr(m, "status")};
}

// Copies a request's last getRequestStatus entry into its summary.
void Fill(RequestSummary& s, const WaitOutcome& w) {
  auto it = w.last.find(s.request_id);
  if (auto p = w.polls_of.find(s.request_id); p != w.polls_of.end()) s.polls = p->second;
  if (it == w.last.end()) return;
  s.status = StringOr(it->second, "status");
  s.message = StringOr(it->second, "message");
  s.machines.clear();
  if (auto m = it->second.find("machines"); m != it->second.end() && m->is_array()) {
    for (const Json& machine : *m) s.machines.push_back(SummarizeMachine(machine));
  }
}

}  // namespace

std::filesystem::path DefaultShimDir() {
  // Installed: the scripts installed with it (<bindir>/../libexec/ohfp/hostfactory).
  std::error_code ec;
  const std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const std::filesystem::path installed =
        std::filesystem::weakly_canonical(exe.parent_path() / OHFP_INSTALL_BIN_TO_SHIMS, ec);
    if (!ec && std::filesystem::is_regular_file(installed / "ohfp-command.sh", ec))
      return installed;
  }
  return OHFP_HF_SIMULATOR_SHIM_DIR;
}

CommandStats Summarize(std::vector<std::chrono::nanoseconds> walls, int failures) {
  CommandStats s;
  s.calls = static_cast<int>(walls.size());
  s.failures = failures;
  if (walls.empty()) return s;
  std::sort(walls.begin(), walls.end());
  const std::size_t mid = walls.size() / 2;
  s.median = walls.size() % 2 == 1 ? walls[mid] : (walls[mid - 1] + walls[mid]) / 2;
  s.max = walls.back();
  return s;
}

std::string CallResult::Describe() const {
  std::string s =
      std::string(CommandName(command)) + " -f <" + input + ">: exit " + std::to_string(exit_code);
  if (killed) s += " (killed on purpose)";
  if (timed_out) s += " (timed out)";
  s += "\nstdout: " + out;
  std::string tail = err.size() > 2000 ? "..." + err.substr(err.size() - 2000) : err;
  if (!tail.empty()) s += "\nstderr: " + tail;
  for (const Violation& v : violations) s += "\nviolation: " + v.ToString();
  return s;
}

Simulator::Simulator(SimulatorOptions options)
    : options_(std::move(options)), input_dir_(MakeInputDir()) {
  if (options_.clock == nullptr) {
    own_clock_ =
        std::make_unique<resilience::SystemClock>(resilience::SystemClock::Resolution::kPrecise);
    clock_ = own_clock_.get();
  } else {
    clock_ = options_.clock;
  }
}

Simulator::~Simulator() {
  std::error_code ec;
  std::filesystem::remove_all(input_dir_, ec);
}

namespace {
// The entries of an input list; IBM's pages write a list of one as the object itself.
std::vector<Json> Entries(const Json& list) {
  if (list.is_object()) return {list};
  if (list.is_array()) return list.get<std::vector<Json>>();
  return {};
}
}  // namespace

void Simulator::Remember(const std::string& request_id, RequestKind kind) {
  kinds_[request_id] = kind;
}

CheckContext Simulator::ContextFor(Command command, const Json& input) const {
  CheckContext context;
  context.failure_exit_codes = options_.failure_exit_codes;
  if (!input.is_object()) return context;
  if (command == Command::kGetRequestStatus) {
    auto requests = input.find("requests");
    if (requests == input.end()) return context;
    std::set<std::string> seen;
    for (const Json& q : Entries(*requests)) {
      const std::string id = StringOr(q, "requestId");
      if (id.empty() || !seen.insert(id).second) continue;
      auto kind = kinds_.find(id);
      context.asked_requests.push_back(
          {id, kind == kinds_.end() ? RequestKind::kUnspecified : kind->second});
    }
  } else if (command == Command::kGetReturnRequests) {
    auto machines = input.find("machines");
    if (machines == input.end()) return context;
    for (const Json& m : Entries(*machines)) {
      context.held_machines.push_back({StringOr(m, "name"), StringOr(m, "machineId")});
    }
  }
  return context;
}

void Simulator::CheckConsistency(CallResult& r) {
  if (r.command != Command::kGetRequestStatus || r.exit_code != 0 || !r.json_ok) return;
  auto requests = r.json.find("requests");
  if (requests == r.json.end() || !requests->is_array()) return;
  const std::string command(CommandName(r.command));
  for (std::size_t i = 0; i < requests->size(); ++i) {
    const Json& q = (*requests)[i];
    const std::string id = StringOr(q, "requestId");
    const std::string status = StringOr(q, "status");
    const std::string at = "requests[" + std::to_string(i) + "]";
    if (id.empty()) continue;
    if (auto done = finished_.find(id); done != finished_.end() && status == "running") {
      r.violations.push_back({command, at + ".status",
                              "request " + id + " was " + done->second +
                                  " in an earlier answer and is running again"});
    } else if (Terminal(status)) {
      finished_.emplace(id, status);
    }
    auto kind = kinds_.find(id);
    if (kind == kinds_.end() || kind->second != RequestKind::kAcquire) continue;
    auto machines = q.find("machines");
    if (machines == q.end() || !machines->is_array()) continue;
    for (std::size_t j = 0; j < machines->size(); ++j) {
      const std::string machine = StringOr((*machines)[j], "machineId");
      if (machine.empty()) continue;
      auto [owner, fresh] = machine_owner_.emplace(machine, id);
      if (!fresh && owner->second != id) {
        r.violations.push_back({command, at + ".machines[" + std::to_string(j) + "].machineId",
                                machine + " is also a machine of request " + owner->second});
      }
    }
  }
}

CallResult Simulator::Call(Command command, const Json& input, const CallOptions& options) {
  return CallWithText(command, input.dump(), options);
}

CallResult Simulator::CallWithText(Command command, const std::string& input_text,
                                   const CallOptions& options) {
  const std::string name(CommandName(command));
  CallResult r;
  r.command = command;
  r.input = input_text;
  const std::filesystem::path file =
      input_dir_ / (std::to_string(++next_input_) + "-" + name + ".json");
  {
    std::ofstream f(file, std::ios::binary | std::ios::trunc);
    f << input_text;
  }
  const std::string script = (options_.shim_dir / (name + ".sh")).string();
  std::vector<std::string> argv;
  if (!options_.shell.empty()) argv.push_back(options_.shell);
  argv.insert(argv.end(), {script, "-f", file.string()});
  ProcessResult p = RunCommand(argv, {.env = options_.env,
                                      .unset_env = options_.unset_env,
                                      .timeout = options_.command_timeout,
                                      .kill_after = options.kill_after});
  std::error_code ec;
  std::filesystem::remove(file, ec);
  r.exit_code = p.exit_code;
  r.out = std::move(p.out);
  r.err = std::move(p.err);
  r.killed = p.killed;
  r.timed_out = p.timed_out;
  r.wall = p.wall;
  if (!p.started) {
    r.violations.push_back({name, "script", "cannot run " + script + ": " + r.err});
  } else if (r.killed) {
    // HostFactory would have seen no answer: nothing to check. Keep what was printed, if whole.
    r.json = Json::parse(r.out, nullptr, /*allow_exceptions=*/false);
    r.json_ok = !r.json.is_discarded();
    if (!r.json_ok) r.json = nullptr;
  } else {
    const Json parsed_input = Json::parse(input_text, nullptr, /*allow_exceptions=*/false);
    const CheckContext context =
        options.context ? *options.context : ContextFor(command, parsed_input);
    CheckResult checked = CheckOutput(command, r.exit_code, r.out, context);
    r.json = std::move(checked.document);
    r.json_ok = checked.parsed;
    r.violations = std::move(checked.violations);
    if (r.timed_out) {
      r.violations.push_back(
          {name, "exit code",
           "no answer within " + std::to_string(options_.command_timeout.count()) + " ms"});
    }
    CheckConsistency(r);
    if (r.exit_code == 0 && r.json_ok &&
        (command == Command::kRequestMachines || command == Command::kRequestReturnMachines)) {
      const std::string id = StringOr(r.json, "requestId");
      if (!id.empty()) {
        kinds_[id] =
            command == Command::kRequestMachines ? RequestKind::kAcquire : RequestKind::kReturn;
      }
    }
  }
  calls_.push_back({command, r.exit_code != 0 || r.killed || r.timed_out, r.wall});
  violations_.insert(violations_.end(), r.violations.begin(), r.violations.end());
  if (options_.on_call) options_.on_call(r);
  return r;
}

CallResult Simulator::GetAvailableTemplates() {
  return Call(Command::kGetAvailableTemplates, Json::object());
}

CallResult Simulator::RequestMachines(const std::string& template_id, int count,
                                      const CallOptions& options) {
  return Call(Command::kRequestMachines,
              {{"template", {{"templateId", template_id}, {"machineCount", count}}}}, options);
}

CallResult Simulator::GetRequestStatus(const std::vector<std::string>& request_ids,
                                       const CallOptions& options) {
  Json requests = Json::array();
  for (const std::string& id : request_ids) requests.push_back({{"requestId", id}});
  return Call(Command::kGetRequestStatus, {{"requests", requests}}, options);
}

namespace {
Json MachinesInput(const std::vector<MachineRef>& machines) {
  Json list = Json::array();
  for (const MachineRef& m : machines)
    list.push_back({{"name", m.name}, {"machineId", m.machine_id}});
  return {{"machines", list}};
}
}  // namespace

CallResult Simulator::RequestReturnMachines(const std::vector<MachineRef>& machines,
                                            const CallOptions& options) {
  return Call(Command::kRequestReturnMachines, MachinesInput(machines), options);
}

CallResult Simulator::GetReturnRequests(const std::vector<MachineRef>& machines) {
  return Call(Command::kGetReturnRequests, MachinesInput(machines));
}

WaitOutcome Simulator::WaitFor(const std::vector<std::string>& request_ids,
                               const WaitOptions& options) {
  WaitOutcome out;
  std::vector<std::string> open;
  for (const std::string& id : request_ids) {
    if (std::find(open.begin(), open.end(), id) == open.end()) open.push_back(id);
  }
  const resilience::MonoTime deadline = clock_->Now() + options.timeout;
  while (!open.empty()) {
    const CallResult r = GetRequestStatus(open);
    ++out.polls;
    for (const std::string& id : open) ++out.polls_of[id];
    if (r.exit_code == 0 && r.json_ok) {
      auto requests = r.json.find("requests");
      if (requests != r.json.end() && requests->is_array()) {
        for (const Json& q : *requests) {
          const std::string id = StringOr(q, "requestId");
          if (std::find(open.begin(), open.end(), id) == open.end()) continue;
          out.last[id] = q;
          if (Terminal(StringOr(q, "status"))) std::erase(open, id);
        }
      }
    }
    if (open.empty() || clock_->Now() >= deadline) break;
    clock_->SleepFor(
        std::min<resilience::Duration>(options.poll_interval, deadline - clock_->Now()), {});
  }
  out.unfinished = open;
  return out;
}

std::map<Command, CommandStats> Simulator::StatsSince(std::size_t first_call) const {
  std::map<Command, std::vector<std::chrono::nanoseconds>> walls;
  std::map<Command, int> failures;
  for (std::size_t i = first_call; i < calls_.size(); ++i) {
    walls[calls_[i].command].push_back(calls_[i].wall);
    if (calls_[i].failed) ++failures[calls_[i].command];
  }
  std::map<Command, CommandStats> out;
  for (auto& [command, list] : walls) out[command] = Summarize(std::move(list), failures[command]);
  return out;
}

std::map<Command, CommandStats> Simulator::Stats() const { return StatsSince(0); }

CycleReport Simulator::Cycle(const std::vector<TemplateCount>& requests,
                             const CycleOptions& options) {
  const resilience::MonoTime started = clock_->Now();
  const std::size_t first_call = calls_.size();
  const std::size_t first_violation = violations_.size();
  const WaitOptions wait{.poll_interval = options.poll_interval, .timeout = options.timeout};
  CycleReport report;

  // 1. What can be borrowed.
  const CallResult templates = GetAvailableTemplates();
  if (templates.exit_code != 0 || !templates.json_ok) {
    report.problems.push_back("getAvailableTemplates failed (" + Why(templates) + ")");
  } else if (auto list = templates.json.find("templates");
             list != templates.json.end() && list->is_array()) {
    for (const Json& t : *list) report.templates.push_back(StringOr(t, "templateId"));
    for (const TemplateCount& want : requests) {
      if (std::find(report.templates.begin(), report.templates.end(), want.template_id) ==
          report.templates.end()) {
        report.problems.push_back("template " + want.template_id +
                                  " is not offered by getAvailableTemplates");
      }
    }
  }

  // 2. Borrow.
  std::vector<std::string> acquire_ids;
  for (const TemplateCount& want : requests) {
    RequestSummary s;
    s.template_id = want.template_id;
    s.machine_count = want.count;
    const CallResult r = RequestMachines(want.template_id, want.count);
    s.request_id = r.exit_code == 0 ? StringOr(r.json, "requestId") : "";
    if (s.request_id.empty()) {
      s.message = Why(r);
      report.problems.push_back("requestMachines " + want.template_id + " x" +
                                std::to_string(want.count) + " failed (" + s.message + ")");
    } else {
      acquire_ids.push_back(s.request_id);
    }
    report.acquires.push_back(std::move(s));
  }

  // 3. Poll until every request is done.
  if (!acquire_ids.empty()) {
    const WaitOutcome w = WaitFor(acquire_ids, wait);
    for (RequestSummary& s : report.acquires) {
      if (s.request_id.empty()) continue;
      Fill(s, w);
      if (!s.finished()) {
        report.problems.push_back("request " + s.request_id + " (" + s.template_id + " x" +
                                  std::to_string(s.machine_count) + ") did not finish within " +
                                  std::to_string(options.timeout.count()) + " ms (last status: " +
                                  (s.status.empty() ? "none" : s.status) + ")");
      }
    }
  }

  // 4. Give back all the machines that came up, or a fraction of them.
  std::vector<MachineRef> held;
  for (const RequestSummary& s : report.acquires) {
    if (!s.finished()) continue;
    for (const MachineSummary& m : s.machines) {
      if (m.result == "succeed") held.push_back({m.name, m.machine_id});
    }
  }
  const double fraction = std::clamp(options.return_fraction, 0.0, 1.0);
  const auto to_return = std::min(
      held.size(),
      static_cast<std::size_t>(std::ceil(fraction * static_cast<double>(held.size()) - 1e-9)));
  std::vector<MachineRef> returning(held.begin(), held.begin() + static_cast<long>(to_return));
  std::vector<MachineRef> kept(held.begin() + static_cast<long>(to_return), held.end());
  for (const MachineRef& m : kept) report.kept.push_back(m.machine_id);
  // In batches, each polled to its end before the next starts.
  std::size_t batches_left =
      std::min(returning.size(), static_cast<std::size_t>(std::max(1, options.return_batches)));
  for (std::size_t next = 0; next < returning.size(); --batches_left) {
    const std::size_t left = returning.size() - next;
    const std::size_t size = (left + batches_left - 1) / batches_left;
    const std::vector<MachineRef> batch(returning.begin() + static_cast<long>(next),
                                        returning.begin() + static_cast<long>(next + size));
    next += size;
    RequestSummary s;
    s.machine_count = static_cast<int>(batch.size());
    const CallResult r = RequestReturnMachines(batch);
    s.request_id = r.exit_code == 0 ? StringOr(r.json, "requestId") : "";
    if (s.request_id.empty()) {
      s.message = Why(r);
      report.problems.push_back("requestReturnMachines of " + std::to_string(batch.size()) +
                                " machine(s) failed (" + s.message + ")");
    } else {
      const WaitOutcome w = WaitFor({s.request_id}, wait);
      Fill(s, w);
      if (!s.finished()) {
        report.problems.push_back("return request " + s.request_id + " did not finish within " +
                                  std::to_string(options.timeout.count()) + " ms (last status: " +
                                  (s.status.empty() ? "none" : s.status) + ")");
      }
    }
    if (options.after_return) options.after_return(s);
    report.returns.push_back(std::move(s));
  }

  // 5. Which of the machines still held is the cloud taking back?
  const CallResult notices = GetReturnRequests(kept);
  if (notices.exit_code != 0 || !notices.json_ok) {
    report.problems.push_back("getReturnRequests failed (" + Why(notices) + ")");
  } else if (auto list = notices.json.find("requests");
             list != notices.json.end() && list->is_array()) {
    for (const Json& n : *list) report.return_notices.push_back(StringOr(n, "machine"));
  }

  report.commands = StatsSince(first_call);
  report.violations.assign(violations_.begin() + static_cast<long>(first_violation),
                           violations_.end());
  report.elapsed = clock_->Now() - started;
  return report;
}

std::vector<MachineRef> CycleReport::Machines() const {
  std::vector<MachineRef> out;
  for (const RequestSummary& s : acquires) {
    for (const MachineSummary& m : s.machines) out.push_back({m.name, m.machine_id});
  }
  return out;
}

}  // namespace ohfp::hf_simulator
