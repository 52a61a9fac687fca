#include "model/machine.h"

#include "model/names.h"

namespace ohfp::model {
namespace {

constexpr internal::NameTable<MachineResult, 3> kResults = {
    {{MachineResult::kExecuting, "executing"},
     {MachineResult::kSucceed, "succeed"},
     {MachineResult::kFail, "fail"}}};

}  // namespace

std::string_view MachineResultName(MachineResult result) noexcept {
  return internal::NameOf(kResults, result, "executing");
}

std::optional<MachineResult> MachineResultFromName(std::string_view name) noexcept {
  return internal::ValueOf(kResults, name);
}

Machine NewMachine(const Request& request, std::string instance_id, Timestamp now) {
  Machine m;
  m.instance_id = std::move(instance_id);
  m.request_id = request.id;
  m.template_id = request.template_id;
  m.created_at = now;
  m.updated_at = now;
  return m;
}

void Observe(Machine& m, const Instance& i) {
  if (!i.private_dns_name.empty()) m.name = i.private_dns_name;
  if (!i.private_ip.empty()) m.private_ip = i.private_ip;
  m.public_ip = i.public_ip;
  m.state = i.state;
  m.lifecycle = i.lifecycle;
  m.spot_request_id = i.spot_request_id;
  if (i.launch_time) m.launch_time = i.launch_time;
}

}  // namespace ohfp::model
