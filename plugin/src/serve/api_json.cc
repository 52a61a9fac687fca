#include "serve/api_json.h"

#include "app/operator_actions.h"

namespace ohfp::serve {
namespace {

nlohmann::ordered_json TimeOrNull(const std::optional<model::Timestamp>& t) {
  return t ? TimeJson(*t) : nlohmann::ordered_json();
}

}  // namespace

nlohmann::ordered_json TimeJson(model::Timestamp t) { return app::IsoTime(t); }

nlohmann::ordered_json RequestJson(const model::Request& r) {
  nlohmann::ordered_json j;
  j["id"] = r.id;
  j["kind"] = model::RequestKindName(r.kind);
  j["state"] = model::RequestStateName(r.state);
  j["template_id"] = r.template_id;
  j["machine_count"] = r.machine_count;
  j["provider_api"] =
      r.kind == model::RequestKind::kAcquire ? model::ProviderApiName(r.provider_api) : "";
  j["message"] = r.message;
  j["created_at"] = TimeJson(r.created_at);
  j["updated_at"] = TimeJson(r.updated_at);
  j["polled_at"] = TimeOrNull(r.polled_at);
  j["abandoned"] = r.abandoned;
  j["cleaned_up_at"] = TimeOrNull(r.cleaned_up_at);
  j["resource_id"] = r.created.resource_id;
  j["launch_template_id"] = r.created.launch_template_id;
  j["owner_pid"] = r.owner.pid;
  return j;
}

nlohmann::ordered_json MachineJson(const model::Machine& m) {
  nlohmann::ordered_json j;
  j["instance_id"] = m.instance_id;
  j["request_id"] = m.request_id;
  j["template_id"] = m.template_id;
  j["name"] = m.name;
  j["private_ip"] = m.private_ip;
  j["public_ip"] = m.public_ip;
  j["state"] = model::InstanceStateName(m.state);
  j["result"] = model::MachineResultName(m.result);
  j["message"] = m.message;
  j["lifecycle"] = m.lifecycle == model::Lifecycle::kSpot ? "spot" : "on-demand";
  j["spot_request_id"] = m.spot_request_id;
  j["launch_time"] = m.launch_time ? TimeJson(*m.launch_time) : nlohmann::ordered_json();
  j["created_at"] = TimeJson(m.created_at);
  j["updated_at"] = TimeJson(m.updated_at);
  return j;
}

nlohmann::ordered_json AttemptJson(const model::Attempt& a) {
  return {{"number", a.number},
          {"client_token", a.client_token},
          {"state", model::AttemptStateName(a.state)},
          {"error", a.error},
          {"created_at", TimeJson(a.created_at)},
          {"updated_at", TimeJson(a.updated_at)}};
}

nlohmann::ordered_json ReturnMachineJson(const model::ReturnMachine& m) {
  return {{"instance_id", m.instance_id},
          {"name", m.name},
          {"acquire_request_id", m.acquire_request_id},
          {"state", model::InstanceStateName(m.state)},
          {"result", model::MachineResultName(m.result)},
          {"message", m.message},
          {"updated_at", TimeJson(m.updated_at)}};
}

}  // namespace ohfp::serve
