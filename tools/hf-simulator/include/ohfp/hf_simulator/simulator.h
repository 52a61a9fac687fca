// ohfp/hf_simulator/simulator.h
//
// Simulator: plays IBM Spectrum Symphony's HostFactory against a provider plugin's five scripts.
// Each call is a new process, `<shim_dir>/<command>.sh -f <input file>`, with this process's
// environment plus SimulatorOptions::env (HF_PROVIDER_CONFDIR & co.), and every answer is checked
// against the contract (contract_checker.h) and for consistency with earlier answers of the same
// simulator: a machine reported by two acquire requests, a finished request that starts running
// again. Cycle() runs HostFactory's whole borrowing cycle:
//
//   getAvailableTemplates -> requestMachines (per template) -> getRequestStatus every
//   poll_interval until complete / complete_with_error -> requestReturnMachines (all or a fraction
//   of the machines, at once or in batches) -> getRequestStatus on each return request until
//   complete (before the next batch) -> getReturnRequests with the machines still held
//
// and reports what happened (CycleReport: requests, machines, statuses, per-command call counts
// and wall times, contract violations, problems such as a request that never finished).
//
// Thread-safety: a Simulator is used by one thread at a time. Several simulators (one per thread)
// may drive the same plugin installation at once, as HostFactory runs several scripts at once.
//
// Example:
//   Simulator sim({.shim_dir = "scripts/hostfactory", .env = install.Env()});
//   CycleReport r =
//       sim.Cycle({{"OnDemand", 3}}, {.poll_interval = std::chrono::milliseconds(500)});
//   if (!r.ok()) std::cerr << r.ToText();
//   CallResult status = sim.GetRequestStatus({"req-123"});
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "ohfp/hf_simulator/contract_checker.h"
#include "ohfp/hf_simulator/process.h"
#include "ohfp/resilience/clock.h"

namespace ohfp::hf_simulator {

// The HostFactory scripts installed with the running program (<bindir>/../libexec/ohfp/hostfactory)
// when there are, else the scripts/hostfactory directory of the source tree it was built from.
std::filesystem::path DefaultShimDir();

struct CallResult;
struct RequestSummary;

struct SimulatorOptions {
  std::filesystem::path shim_dir = DefaultShimDir();  // holds <command>.sh
  std::map<std::string, std::string>
      env{};                             // added to (or replacing in) this process's environment
  std::vector<std::string> unset_env{};  // removed from it
  // Empty: run the script itself, as HostFactory does (it must be executable). Else run
  // `<shell> <script> -f FILE`, e.g. "/bin/sh".
  std::string shell{};
  std::chrono::milliseconds command_timeout{std::chrono::minutes(2)};  // per process; then SIGKILL
  // Waits between polls. nullptr: the simulator's own SystemClock.
  resilience::Clock* clock = nullptr;
  // Called after every call, e.g. to print it (the CLI's --verbose).
  std::function<void(const CallResult&)> on_call{};
  // Rules for the checker (e.g. the failure exit codes allowed).
  std::set<int> failure_exit_codes{1, 2, 3};
};

struct CallOptions {
  // SIGKILL the process this long after it starts (crash tests). A call killed on purpose is not
  // checked against the contract: HostFactory would have seen no answer at all.
  std::optional<std::chrono::milliseconds> kill_after{};
  // Replaces the context the simulator derives (asked ids and their kinds, held machines).
  std::optional<CheckContext> context{};
};

struct CallResult {
  Command command = Command::kGetAvailableTemplates;
  std::string input{};  // the input file's text
  int exit_code = -1;   // -N: ended by signal N
  std::string out{};
  std::string err{};
  nlohmann::json json{};  // stdout as one JSON document; null when it was not one
  bool json_ok = false;
  std::vector<Violation> violations{};  // contract and consistency
  bool killed = false;                  // killed on purpose (CallOptions::kill_after)
  bool timed_out = false;               // killed after command_timeout
  std::chrono::nanoseconds wall{};

  bool ok() const noexcept { return exit_code == 0 && violations.empty(); }
  // Command, exit code, stdout, the end of stderr and the violations, for assertion messages.
  std::string Describe() const;
};

struct TemplateCount {
  std::string template_id{};
  int count = 0;
};

struct WaitOptions {
  std::chrono::milliseconds poll_interval{std::chrono::seconds(2)};
  std::chrono::milliseconds timeout{std::chrono::minutes(10)};
};

struct WaitOutcome {
  std::map<std::string, nlohmann::json> last{};  // request id -> its last getRequestStatus entry
  std::vector<std::string> unfinished{};         // still running when the wait ended
  std::map<std::string, int> polls_of{};         // request id -> getRequestStatus calls asking it
  int polls = 0;                                 // getRequestStatus calls
  bool finished() const noexcept { return unfinished.empty(); }
};

struct CycleOptions {
  std::chrono::milliseconds poll_interval{std::chrono::seconds(2)};
  // The most each waiting phase (acquire, return) may take.
  std::chrono::milliseconds timeout{std::chrono::minutes(10)};
  // Of the machines that came up, return this fraction (rounded up; 0: return none).
  double return_fraction = 1.0;
  // Give the machines to return back in this many requestReturnMachines calls (as evenly as
  // possible, the larger batches first), each issued once the one before finished: 2 is
  // HostFactory returning half, then the rest. Values below 1 count as 1; never more batches than
  // machines.
  int return_batches = 1;
  // Called after each return request was polled to its end (or failed to start), before the next
  // batch: e.g. to look at the cloud between batches. RequestSummary::machine_count is the batch's
  // size, machines what its last getRequestStatus said.
  std::function<void(const RequestSummary&)> after_return{};
};

struct CommandStats {
  int calls = 0;
  int failures = 0;  // exited non-zero, was killed or timed out
  std::chrono::nanoseconds median{};
  std::chrono::nanoseconds max{};
};

struct MachineSummary {
  std::string machine_id{};
  std::string name{};
  std::string result{};
  std::string status{};
};

struct RequestSummary {
  std::string request_id{};   // empty when the command failed
  std::string template_id{};  // acquire requests
  int machine_count = 0;      // machines asked for (acquire) or given back (return)
  std::string status{};       // the last status seen; empty when never answered
  std::string message{};
  std::vector<MachineSummary> machines{};
  int polls = 0;
  bool finished() const noexcept { return status == "complete" || status == "complete_with_error"; }
};

struct CycleReport {
  std::vector<std::string> templates{};  // template ids getAvailableTemplates offered
  std::vector<RequestSummary> acquires{};
  std::vector<RequestSummary> returns{};       // one per return batch, in order
  std::vector<std::string> kept{};             // machines left running (return_fraction < 1)
  std::vector<std::string> return_notices{};   // getReturnRequests: machines the cloud takes back
  std::map<Command, CommandStats> commands{};  // the calls of this cycle
  std::vector<Violation> violations{};
  std::vector<std::string> problems{};  // a command that failed, a request that never finished, ...
  std::chrono::nanoseconds elapsed{};

  bool ok() const noexcept { return violations.empty() && problems.empty(); }
  // Every acquire request's machines, as HostFactory names them.
  std::vector<MachineRef> Machines() const;
  nlohmann::json ToJson() const;
  std::string ToText() const;
};

class Simulator {
 public:
  explicit Simulator(SimulatorOptions options = {});
  ~Simulator();
  Simulator(const Simulator&) = delete;
  Simulator& operator=(const Simulator&) = delete;

  // One command as HostFactory runs it, its output checked.
  CallResult Call(Command command, const nlohmann::json& input, const CallOptions& options = {});
  // The same with the input file's text as is (malformed input included).
  CallResult CallWithText(Command command, const std::string& input_text,
                          const CallOptions& options = {});
  CallResult GetAvailableTemplates();
  CallResult RequestMachines(const std::string& template_id, int count,
                             const CallOptions& options = {});
  CallResult GetRequestStatus(const std::vector<std::string>& request_ids,
                              const CallOptions& options = {});
  CallResult RequestReturnMachines(const std::vector<MachineRef>& machines,
                                   const CallOptions& options = {});
  CallResult GetReturnRequests(const std::vector<MachineRef>& machines);

  // Polls getRequestStatus with every id not finished yet, every poll_interval, until each is
  // complete or complete_with_error, or `timeout` passed.
  WaitOutcome WaitFor(const std::vector<std::string>& request_ids, const WaitOptions& options = {});

  CycleReport Cycle(const std::vector<TemplateCount>& requests, const CycleOptions& options = {});

  // Declares what a request id is, for the checker (ids this simulator received are known).
  void Remember(const std::string& request_id, RequestKind kind);
  // Every violation seen by this simulator so far.
  const std::vector<Violation>& violations() const noexcept { return violations_; }
  // Call counts and wall times of every call so far.
  std::map<Command, CommandStats> Stats() const;

 private:
  struct CallRecord {
    Command command;
    bool failed;
    std::chrono::nanoseconds wall;
  };
  std::map<Command, CommandStats> StatsSince(std::size_t first_call) const;
  CheckContext ContextFor(Command command, const nlohmann::json& input) const;
  void CheckConsistency(CallResult& result);

  SimulatorOptions options_;
  std::unique_ptr<resilience::Clock> own_clock_;
  resilience::Clock* clock_;
  std::filesystem::path input_dir_;
  std::uint64_t next_input_ = 0;
  std::map<std::string, RequestKind> kinds_;
  std::map<std::string, std::string> machine_owner_;  // machine id -> acquire request id
  std::map<std::string, std::string> finished_;       // request id -> terminal status
  std::vector<CallRecord> calls_;
  std::vector<Violation> violations_;
};

// Summary statistics of a list of durations (median of an even count: the mean of the middle two).
CommandStats Summarize(std::vector<std::chrono::nanoseconds> walls, int failures);

}  // namespace ohfp::hf_simulator
