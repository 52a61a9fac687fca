// Fuzz target: the input readers of HostFactory's five commands (hostfactory/contract.h), through
// their public functions only, followed by what the command prints with what they read.
//
// Input: byte 0 picks the command (getAvailableTemplates, requestMachines, getRequestStatus,
// requestReturnMachines, getReturnRequests); the rest is the input file's text.
//
// Checked: no crash, no sanitizer report, no exception (an uncaught one aborts); a rejected input
// is a kValidation error whose message prints as JSON (valid UTF-8), as the command prints it; an
// accepted one prints too.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string_view>

#include "hostfactory/contract.h"

namespace {

namespace hf = ohfp::hostfactory;
using ohfp::resilience::ErrorKind;

// What the command prints for a rejected input, exit code 2.
void PrintRejected(const ohfp::resilience::Error& error) {
  if (error.kind() != ErrorKind::kValidation) __builtin_trap();
  static_cast<void>(hf::ErrorJson(error.message()).dump());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const int command = data[0] % 5;
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  auto json = hf::ParseInput(text);
  if (!json.ok()) {
    PrintRejected(json.error());
    return 0;
  }
  switch (command) {
    case 0:  // getAvailableTemplates reads nothing from its input
      break;
    case 1: {
      auto r = hf::ParseRequestMachines(*json);
      if (!r.ok()) return PrintRejected(r.error()), 0;
      if (r->machine_count < 1 || r->template_id.empty()) __builtin_trap();
      static_cast<void>(hf::RequestIdJson(r->template_id, "").dump());
      break;
    }
    case 2: {
      auto r = hf::ParseGetRequestStatus(*json);
      if (!r.ok()) return PrintRejected(r.error()), 0;
      std::vector<hf::RequestReport> reports;
      for (const std::string& id : *r) reports.push_back({.request_id = id});
      static_cast<void>(hf::RequestStatusJson(reports).dump());
      break;
    }
    default: {
      auto r = hf::ParseMachines(*json, command == 3);
      if (!r.ok()) return PrintRejected(r.error()), 0;
      std::vector<hf::ReturnNotice> notices;
      for (const hf::MachineRef& m : *r) notices.push_back({.machine = m.name});
      static_cast<void>(hf::ReturnRequestsJson(notices, "").dump());
      break;
    }
  }
  return 0;
}
