#include "hostfactory/contract.h"

#include <algorithm>
#include <optional>
#include <set>
#include <utility>

#include "base/json_text.h"

namespace ohfp::hostfactory {
namespace {

using resilience::Error;
using resilience::ErrorKind;

Error Invalid(std::string message) {
  return Error(ErrorKind::kValidation, "InvalidInput", std::move(message));
}

std::string TypeName(const nlohmann::json& v) {
  if (v.is_null()) return "null";
  if (v.is_string()) return "a string";
  if (v.is_boolean()) return "a boolean";
  if (v.is_number()) return "a number";
  if (v.is_array()) return "an array";
  return "an object";
}

nlohmann::ordered_json NullIfEmpty(const std::string& s) {
  return s.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json(s);
}

// The entries of a list member; IBM's specification writes a list of one as the object itself.
std::vector<const nlohmann::json*> Entries(const nlohmann::json& list) {
  std::vector<const nlohmann::json*> out;
  if (list.is_object()) {
    if (list.empty()) return out;
    out.push_back(&list);
  } else {
    for (const nlohmann::json& item : list) out.push_back(&item);
  }
  return out;
}

// One optional string member of a machine entry: "" when absent.
resilience::Result<std::string> OptionalString(const nlohmann::json& item, const char* member,
                                               const std::string& where) {
  auto v = item.find(member);
  if (v == item.end() || v->is_null()) return std::string();
  if (!v->is_string()) {
    return Invalid(where + "." + member + " must be a string, got " + TypeName(*v));
  }
  return v->get<std::string>();
}

// The machines of requestReturnMachines and getReturnRequests: each by name, machineId or both.
resilience::Result<std::vector<MachineRef>> ParseMachineRefs(const nlohmann::json& list) {
  const std::vector<const nlohmann::json*> entries = Entries(list);
  std::vector<MachineRef> out;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const nlohmann::json& item = *entries[i];
    const std::string where = "machines[" + std::to_string(i) + "]";
    if (!item.is_object()) {
      return Invalid(where + " must be an object with a \"name\", got " + TypeName(item));
    }
    resilience::Result<std::string> name = OptionalString(item, "name", where);
    if (!name.ok()) return name.error();
    resilience::Result<std::string> id = OptionalString(item, "machineId", where);
    if (!id.ok()) return id.error();
    if (name->empty() && id->empty()) {
      return Invalid(where + " needs a \"name\" (the machine's host name) or a \"machineId\"");
    }
    MachineRef ref{std::move(*name), std::move(*id)};
    if (std::find(out.begin(), out.end(), ref) == out.end()) out.push_back(std::move(ref));
  }
  return out;
}

}  // namespace

resilience::Result<nlohmann::json> ParseInput(std::string_view text) {
  if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    return Invalid("the input is empty: expected a JSON object");
  }
  resilience::Result<nlohmann::json> j = base::ParseJsonText(text);
  if (!j.ok()) return Invalid("the input " + std::string(j.error().message()));
  if (!j->is_object()) return Invalid("the input must be a JSON object, got " + TypeName(*j));
  return j;
}

resilience::Result<RequestMachinesInput> ParseRequestMachines(const nlohmann::json& input) {
  auto t = input.find("template");
  if (t == input.end() || !t->is_object()) {
    return Invalid(
        "requestMachines needs {\"template\": {\"templateId\": ..., \"machineCount\": ...}}");
  }
  RequestMachinesInput out;
  auto id = t->find("templateId");
  if (id == t->end() || !id->is_string() || id->get<std::string>().empty()) {
    return Invalid("template.templateId must be a non-empty string");
  }
  out.template_id = id->get<std::string>();
  auto count = t->find("machineCount");
  if (count == t->end() || !count->is_number_integer()) {
    return Invalid("template.machineCount must be an integer, got " +
                   (count == t->end() ? std::string("nothing") : TypeName(*count)));
  }
  if (count->is_number_unsigned() && count->get<std::uint64_t>() > 100000) {
    return Invalid("template.machineCount is too large: " + count->dump());
  }
  const auto n = count->get<std::int64_t>();
  if (n < 1) return Invalid("template.machineCount must be at least 1, got " + std::to_string(n));
  if (n > 100000) return Invalid("template.machineCount is too large: " + std::to_string(n));
  out.machine_count = static_cast<int>(n);
  return out;
}

resilience::Result<std::vector<std::string>> ParseGetRequestStatus(const nlohmann::json& input) {
  auto r = input.find("requests");
  if (r == input.end() || !(r->is_array() || r->is_object())) {
    return Invalid("getRequestStatus needs {\"requests\": [{\"requestId\": ...}]}");
  }
  const std::vector<const nlohmann::json*> entries = Entries(*r);
  std::vector<std::string> ids;
  std::set<std::string> seen;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const nlohmann::json& item = *entries[i];
    auto id = item.is_object() ? item.find("requestId") : item.end();
    if (!item.is_object() || id == item.end() || !id->is_string() ||
        id->get<std::string>().empty()) {
      return Invalid("requests[" + std::to_string(i) + "].requestId must be a non-empty string");
    }
    if (seen.insert(id->get<std::string>()).second) ids.push_back(id->get<std::string>());
  }
  return ids;
}

resilience::Result<std::vector<MachineRef>> ParseRequestReturnMachines(
    const nlohmann::json& input) {
  auto m = input.find("machines");
  if (m == input.end() || !(m->is_array() || m->is_object())) {
    return Invalid("requestReturnMachines needs {\"machines\": [{\"name\": ...}]}");
  }
  if (m->empty()) return Invalid("machines is empty: nothing to return");
  return ParseMachineRefs(*m);
}

resilience::Result<std::optional<std::vector<MachineRef>>> ParseGetReturnRequests(
    const nlohmann::json& input) {
  auto m = input.find("machines");
  if (m == input.end() || m->is_null()) return std::optional<std::vector<MachineRef>>();
  if (!(m->is_array() || m->is_object())) {
    return Invalid(
        "machines must be a list of {\"name\": ...} (or left out for every machine "
        "held), got " +
        TypeName(*m));
  }
  resilience::Result<std::vector<MachineRef>> refs = ParseMachineRefs(*m);
  if (!refs.ok()) return refs.error();
  return std::optional<std::vector<MachineRef>>(std::move(*refs));
}

std::string InstanceTagsText(const model::Template& t) {
  std::string tags;
  for (const auto& [k, v] : t.instance_tags) tags += (tags.empty() ? "" : ";") + k + "=" + v;
  return tags;
}

nlohmann::ordered_json HostFactoryTemplateJson(const model::Template& t, int available_number) {
  nlohmann::ordered_json j;
  j["templateId"] = t.template_id;
  j["maxNumber"] = t.max_number;
  j["availableNumber"] = available_number;
  nlohmann::ordered_json attributes = nlohmann::ordered_json::object();
  for (const model::Attribute& a : t.attributes)
    attributes[a.name] = nlohmann::ordered_json::array({a.type, a.value});
  j["attributes"] = std::move(attributes);
  if (!t.image_id.empty() || !t.image_parameter.empty()) j["imageId"] = t.ImageSpelling();
  if (!t.launch_template_id.empty()) j["launchTemplateId"] = t.launch_template_id;
  if (!t.vm_types.empty()) {
    nlohmann::ordered_json types = nlohmann::ordered_json::object();
    for (const auto& [type, weight] : t.vm_types) types[type] = weight;
    j["vmTypes"] = std::move(types);
  } else if (!t.vm_type.empty()) {
    j["vmType"] = t.vm_type;
  }
  j["priceType"] = model::PriceTypeName(t.price_type);
  j["providerApi"] = model::ProviderApiName(t.provider_api);
  if (t.provider_api == model::ProviderApi::kEc2Fleet ||
      t.provider_api == model::ProviderApi::kSpotFleet) {
    j["fleetType"] = model::FleetTypeName(t.fleet_type);
  }
  if (t.subnet_ids.size() == 1) {
    j["subnetId"] = t.subnet_ids.front();
  } else if (!t.subnet_ids.empty()) {
    j["subnetId"] = t.subnet_ids;
  }
  if (!t.security_group_ids.empty()) j["securityGroupIds"] = t.security_group_ids;
  if (!t.key_name.empty()) j["keyName"] = t.key_name;
  if (!t.instance_tags.empty()) j["instanceTags"] = InstanceTagsText(t);
  if (!t.instance_profile.empty()) j["instanceProfile"] = t.instance_profile;
  if (!t.user_data_script.empty()) j["userDataScript"] = t.user_data_script;
  if (t.root_device_volume_size) j["rootDeviceVolumeSize"] = *t.root_device_volume_size;
  if (!t.volume_type.empty()) j["volumeType"] = t.volume_type;
  if (!t.user_data.empty()) j["userData"] = t.user_data;
  if (t.iops) j["iops"] = *t.iops;
  if (t.volume_throughput) j["volumeThroughput"] = *t.volume_throughput;
  if (t.ebs_optimized) j["ebsOptimized"] = *t.ebs_optimized;
  if (!t.placement_group.empty()) j["placementGroupName"] = t.placement_group;
  if (t.tenancy) j["tenancy"] = model::TenancyName(*t.tenancy);
  if (!t.launch_template_version.empty()) j["launchTemplateVersion"] = t.launch_template_version;
  if (!t.max_spot_price.empty()) j["maxSpotPrice"] = t.max_spot_price;
  if (t.percent_on_demand) j["percentOnDemand"] = *t.percent_on_demand;
  if (t.on_demand_base) j["onDemandCapacity"] = *t.on_demand_base;
  if (t.allocation_strategy) {
    j["allocationStrategy"] = model::AllocationStrategyName(*t.allocation_strategy);
  }
  if (t.on_demand_allocation_strategy) {
    j["allocationStrategyOnDemand"] =
        model::AllocationStrategyName(*t.on_demand_allocation_strategy);
  }
  if (t.pools_count) j["poolsCount"] = *t.pools_count;
  for (const auto& [key, list] : {std::pair{"vmTypesOnDemand", &t.vm_types_on_demand},
                                  std::pair{"vmTypesPriority", &t.vm_types_priority}}) {
    if (list->empty()) continue;
    nlohmann::ordered_json types = nlohmann::ordered_json::object();
    for (const auto& [type, number] : *list) types[type] = number;
    j[key] = std::move(types);
  }
  if (!t.fleet_role.empty()) j["fleetRole"] = t.fleet_role;
  if (t.spot_fleet_request_expiry) j["spotFleetRequestExpiry"] = *t.spot_fleet_request_expiry;
  return j;
}

nlohmann::ordered_json TemplatesJson(const std::vector<nlohmann::ordered_json>& templates,
                                     std::string_view message) {
  nlohmann::ordered_json j;
  j["templates"] = nlohmann::ordered_json::array();
  for (const auto& t : templates) j["templates"].push_back(t);
  j["message"] = message;
  return j;
}

nlohmann::ordered_json RequestIdJson(std::string_view request_id, std::string_view message) {
  nlohmann::ordered_json j;
  j["requestId"] = request_id;
  j["message"] = message;
  return j;
}

nlohmann::ordered_json RequestStatusJson(const std::vector<RequestReport>& requests) {
  nlohmann::ordered_json j;
  j["requests"] = nlohmann::ordered_json::array();
  for (const RequestReport& r : requests) {
    nlohmann::ordered_json req;
    req["requestId"] = r.request_id;
    req["status"] = model::RequestStateName(r.status);
    req["message"] = r.message;
    req["machines"] = nlohmann::ordered_json::array();
    for (const MachineReport& m : r.machines) {
      nlohmann::ordered_json mj;
      mj["machineId"] = m.machine_id;
      mj["name"] = m.name;
      mj["result"] = model::MachineResultName(m.result);
      // IBM: optional; left out when the cloud never showed the instance (a name that matched
      // nothing, an instance not seen yet).
      if (m.status != model::InstanceState::kUnknown) {
        mj["status"] = model::InstanceStateName(m.status);
      }
      mj["privateIpAddress"] = NullIfEmpty(m.private_ip_address);
      mj["publicIpAddress"] = NullIfEmpty(m.public_ip_address);
      if (!m.price_type.empty()) mj["priceType"] = m.price_type;
      if (!m.instance_type.empty()) mj["instanceType"] = m.instance_type;
      if (m.instance_tags) mj["instanceTags"] = *m.instance_tags;
      mj["cloudHostId"] = nullptr;
      mj["launchtime"] = m.launch_time ? m.launch_time->time_since_epoch().count() : 0;
      mj["message"] = m.message;
      req["machines"].push_back(std::move(mj));
    }
    j["requests"].push_back(std::move(req));
  }
  return j;
}

nlohmann::ordered_json ReturnRequestsJson(const std::vector<ReturnNotice>& notices,
                                          std::string_view message) {
  nlohmann::ordered_json j;
  j["requests"] = nlohmann::ordered_json::array();
  for (const ReturnNotice& n : notices) {
    nlohmann::ordered_json r;
    r["machine"] = n.machine;
    r["gracePeriod"] = n.grace_period;
    j["requests"].push_back(std::move(r));
  }
  j["message"] = message;
  return j;
}

nlohmann::ordered_json ErrorJson(std::string_view message) {
  nlohmann::ordered_json j;
  j["message"] = message;
  return j;
}

}  // namespace ohfp::hostfactory
