// hostfactory/contract.h
//
// The JSON of the five HostFactory commands (docs/hostfactory-contract.md), as IBM's provider
// specification (Spectrum Symphony 7.3.2) defines them: inputs parsed strictly (a malformed
// input is a kValidation error saying what is wrong, and changes nothing) but accepting every
// form the specification allows, outputs built exactly as HostFactory expects them. stdout
// carries one of these documents and nothing else, errors included.
//
//   getAvailableTemplates   {} (or no input at all)
//                           -> {"templates": [...], "message": ""}
//   requestMachines         {"template": {"templateId", "machineCount"}}
//                           -> {"requestId", "message"}
//   getRequestStatus        {"requests": [{"requestId"}]} (or one {"requestId"} object)
//                           -> {"requests": [{"requestId", "status", "message",
//                                             "machines": [...]}]}
//   requestReturnMachines   {"machines": [{"name"} | {"machineId"} | {"name", "machineId"}]}
//                           -> {"requestId", "message"}
//   getReturnRequests       {"machines": [...as above...]} or {} (every machine held)
//                           -> {"requests": [{"machine", "gracePeriod"}], "message": ""}
//   any failure             -> {"message": "..."} (non-zero exit)
//
// Thread-safety: value types and stateless functions.
//
// Example:
//   Result<RequestMachinesInput> in = ParseRequestMachines(json);
//   if (!in.ok()) return ErrorJson(in.error().message());
//   nlohmann::ordered_json out = RequestIdJson("req-1f3e...", "Request submitted for 3 machines");
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/instance.h"
#include "model/machine.h"
#include "model/request.h"
#include "model/template.h"
#include "ohfp/resilience/result.h"

namespace ohfp::hostfactory {

struct RequestMachinesInput {
  std::string template_id{};
  int machine_count = 0;
};

// A machine as HostFactory names it in requestReturnMachines and getReturnRequests: by its host
// name, its machine id, or both. At least one is set.
struct MachineRef {
  std::string name{};        // the host name (the private DNS name ohfp reported)
  std::string machine_id{};  // the instance id
  friend bool operator==(const MachineRef&, const MachineRef&) = default;
};

// HostFactory's request statuses and machine results are the model's (model/request.h,
// model/machine.h); their names are HostFactory's.
using RequestStatus = model::RequestState;
using model::MachineResult;

struct MachineReport {
  std::string machine_id{};
  std::string name{};
  MachineResult result = MachineResult::kExecuting;
  model::InstanceState status = model::InstanceState::kUnknown;  // printed as EC2 names it
  std::string private_ip_address{};                              // empty prints null
  std::string public_ip_address{};                               // empty prints null
  std::optional<model::EpochSeconds> launch_time{};              // printed as epoch seconds
  std::string message{};                                         // required when result is fail
  // IBM's optional fields, printed when known (cloudHostId is always printed, null: ohfp places
  // no machine on a dedicated host).
  std::string price_type{};                    // "ondemand" or "spot"; empty: not printed
  std::string instance_type{};                 // "c5.large"; empty: not printed
  std::optional<std::string> instance_tags{};  // the template's "k=v;k2=v2"; none: not printed
};

struct RequestReport {
  std::string request_id{};
  RequestStatus status = RequestStatus::kRunning;
  std::string message{};
  std::vector<MachineReport> machines{};
};

struct ReturnNotice {
  std::string machine{};  // the host name HostFactory knows
  int grace_period = 0;   // seconds left
};

// Parses the input text of a command. kValidation with a message naming what is wrong otherwise.
[[nodiscard]] resilience::Result<nlohmann::json> ParseInput(std::string_view text);
[[nodiscard]] resilience::Result<RequestMachinesInput> ParseRequestMachines(
    const nlohmann::json& input);
// Request ids in input order, duplicates removed. "requests" is a list, or one object (the form
// IBM's specification shows).
[[nodiscard]] resilience::Result<std::vector<std::string>> ParseGetRequestStatus(
    const nlohmann::json& input);
// requestReturnMachines: at least one machine. Each entry names the machine by "name", by
// "machineId" or by both (IBM requires only "name"; HostFactory's own inputs add "machineId");
// other members are ignored. "machines" is a list, or one object. Exact duplicates are removed.
[[nodiscard]] resilience::Result<std::vector<MachineRef>> ParseRequestReturnMachines(
    const nlohmann::json& input);
// getReturnRequests: the machines HostFactory holds, entries as above, or nullopt when the input
// has no "machines" (IBM: the list is optional): every machine this installation holds.
[[nodiscard]] resilience::Result<std::optional<std::vector<MachineRef>>> ParseGetReturnRequests(
    const nlohmann::json& input);

// The template as getAvailableTemplates prints it: templateId, maxNumber, availableNumber,
// attributes, imageId, vmType, priceType (and the other fields HostFactory shows), with
// `attributes` as given.
nlohmann::ordered_json HostFactoryTemplateJson(const model::Template& t, int available_number);
// A template's instanceTags as HostFactory writes them: "key=value;key2=value2" ("" for none).
std::string InstanceTagsText(const model::Template& t);

nlohmann::ordered_json TemplatesJson(const std::vector<nlohmann::ordered_json>& templates,
                                     std::string_view message);
nlohmann::ordered_json RequestIdJson(std::string_view request_id, std::string_view message);
nlohmann::ordered_json RequestStatusJson(const std::vector<RequestReport>& requests);
nlohmann::ordered_json ReturnRequestsJson(const std::vector<ReturnNotice>& notices,
                                          std::string_view message);
nlohmann::ordered_json ErrorJson(std::string_view message);

}  // namespace ohfp::hostfactory
