// ohfp/hf_simulator/contract_checker.h
//
// The HostFactory provider contract (docs/hostfactory-contract.md) as a checker of what a
// provider command printed and how it exited. Written from the contract document alone: it shares
// no code with any plugin, so a plugin bug cannot hide in a shared helper.
//
// What it checks, for every command:
//  - stdout holds exactly one JSON document, an object (nothing before or after it but
//    whitespace);
//  - the process exited (not killed by a signal), with 0 or one of the documented failure codes
//    (1 failed, 2 bad input or configuration, 3 internal error);
//  - on a non-zero exit, the object has a non-empty string "message";
//  - on exit 0, the command's required fields with their types and allowed values (see
//    contract_checker.cc for the rule list: templates, requestId, request status, machine result
//    and EC2 state, launchtime in epoch seconds, message required with result "fail",
//    gracePeriod, ...), plus the rules that need context the caller passes in CheckContext
//    (which request ids were asked and what kind each is; which machines HostFactory holds).
//
// Thread-safety: stateless functions and value types; safe from any thread.
//
// Example:
//   CheckContext context;
//   context.asked_requests = {{"req-1", RequestKind::kAcquire}};
//   CheckResult r = CheckOutput(Command::kGetRequestStatus, exit_code, stdout_text, context);
//   for (const Violation& v : r.violations) std::cerr << v.ToString() << "\n";
#pragma once

#include <array>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace ohfp::hf_simulator {

// The five provider commands, each run as `<name>.sh -f FILE`.
enum class Command {
  kGetAvailableTemplates,
  kRequestMachines,
  kGetRequestStatus,
  kRequestReturnMachines,
  kGetReturnRequests,
};
inline constexpr std::array<Command, 5> kAllCommands = {
    Command::kGetAvailableTemplates, Command::kRequestMachines, Command::kGetRequestStatus,
    Command::kRequestReturnMachines, Command::kGetReturnRequests};

// "getAvailableTemplates", "requestMachines", ...
std::string_view CommandName(Command command) noexcept;
// The command of that name (case-sensitive), or nothing.
std::optional<Command> ParseCommand(std::string_view name) noexcept;

// What a request id passed to getRequestStatus stands for, as far as the caller knows.
enum class RequestKind {
  kUnspecified,  // unknown to the caller: only the rules common to every request apply
  kAcquire,      // a requestMachines id
  kReturn,       // a requestReturnMachines id
  kNeverIssued,  // an id the plugin never gave out: must come back complete_with_error + message
};

// A machine as HostFactory names it in requestReturnMachines and getReturnRequests.
struct MachineRef {
  std::string name{};
  std::string machine_id{};
};

struct AskedRequest {
  std::string request_id{};
  RequestKind kind = RequestKind::kUnspecified;
};

struct CheckContext {
  // getRequestStatus: the ids asked, in the order asked. Empty: the answer's ids are not compared.
  std::vector<AskedRequest> asked_requests{};
  // getReturnRequests: the machines passed in (HostFactory's hosts). Empty: names not compared.
  std::vector<MachineRef> held_machines{};
  // Exit codes a failing command may use. The contract says "non-zero"; ohfp documents 1, 2, 3.
  std::set<int> failure_exit_codes{1, 2, 3};
};

// One broken rule.
struct Violation {
  std::string command{};         // "getRequestStatus"
  std::string path{};            // "requests[0].machines[1].launchtime", or "stdout", "exit code"
  std::string problem{};         // what is wrong, with the value seen
  std::string ToString() const;  // "getRequestStatus: requests[0].status: must be ..., got ..."
  nlohmann::json ToJson() const;
  friend bool operator==(const Violation&, const Violation&) = default;
};

struct CheckResult {
  nlohmann::json document{};  // stdout parsed; null when it was not one JSON document
  bool parsed = false;        // stdout was one JSON document
  std::vector<Violation> violations{};
  bool ok() const noexcept { return violations.empty(); }
};

// Checks one command's output. `exit_code` is the process's exit status, or -N when a signal N
// killed it.
CheckResult CheckOutput(Command command, int exit_code, std::string_view stdout_text,
                        const CheckContext& context = {});

// The individual rule sets, on an already parsed document of a successful (exit 0) command. Each
// appends to `out`. Exposed for tests and for callers that hold parsed JSON.
void CheckTemplatesDocument(const nlohmann::json& doc, std::vector<Violation>& out);
void CheckRequestIdDocument(Command command, const nlohmann::json& doc,
                            std::vector<Violation>& out);
void CheckRequestStatusDocument(const nlohmann::json& doc, const CheckContext& context,
                                std::vector<Violation>& out);
void CheckReturnRequestsDocument(const nlohmann::json& doc, const CheckContext& context,
                                 std::vector<Violation>& out);
void CheckErrorDocument(Command command, const nlohmann::json& doc, std::vector<Violation>& out);

// EC2 instance states a machine's "status" may take.
inline constexpr std::array<std::string_view, 6> kEc2States = {
    "pending", "running", "stopping", "stopped", "shutting-down", "terminated"};

}  // namespace ohfp::hf_simulator
