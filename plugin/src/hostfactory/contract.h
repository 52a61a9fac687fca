// hostfactory/contract.h
//
// The JSON of the five HostFactory commands (docs/hostfactory-contract.md): inputs parsed
// strictly (a malformed input is a kValidation error saying what is wrong, and changes nothing),
// outputs built exactly as HostFactory expects them. stdout carries one of these documents and
// nothing else, errors included.
//
//   getAvailableTemplates   {}
//                           -> {"templates": [...], "message": ""}
//   requestMachines         {"template": {"templateId", "machineCount"}}
//                           -> {"requestId", "message"}
//   getRequestStatus        {"requests": [{"requestId"}]}
//                           -> {"requests": [{"requestId", "status", "message",
//                                             "machines": [...]}]}
//   requestReturnMachines   {"machines": [{"name", "machineId"}]}
//                           -> {"requestId", "message"}
//   getReturnRequests       {"machines": [{"name", "machineId"}]}
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

struct MachineRef {
  std::string name{};
  std::string machine_id{};
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
// Request ids in input order, duplicates removed.
[[nodiscard]] resilience::Result<std::vector<std::string>> ParseGetRequestStatus(
    const nlohmann::json& input);
// For requestReturnMachines (at least one machine) and getReturnRequests (may be empty). Each
// machine needs a machineId; "name" is optional for getReturnRequests.
[[nodiscard]] resilience::Result<std::vector<MachineRef>> ParseMachines(const nlohmann::json& input,
                                                                        bool require_one);

// The template as getAvailableTemplates prints it: templateId, maxNumber, availableNumber,
// attributes, imageId, vmType, priceType (and the other fields HostFactory shows), with
// `attributes` as given.
nlohmann::ordered_json HostFactoryTemplateJson(const model::Template& t, int available_number);

nlohmann::ordered_json TemplatesJson(const std::vector<nlohmann::ordered_json>& templates,
                                     std::string_view message);
nlohmann::ordered_json RequestIdJson(std::string_view request_id, std::string_view message);
nlohmann::ordered_json RequestStatusJson(const std::vector<RequestReport>& requests);
nlohmann::ordered_json ReturnRequestsJson(const std::vector<ReturnNotice>& notices,
                                          std::string_view message);
nlohmann::ordered_json ErrorJson(std::string_view message);

}  // namespace ohfp::hostfactory
