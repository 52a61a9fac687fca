#include "hostfactory/catalog.h"

#include <set>

#include "base/exit_codes.h"
#include "hostfactory/contract.h"

namespace ohfp::hostfactory {

using resilience::Result;

std::map<std::string, model::InstanceType> Catalog::InstanceTypes(std::string& message) {
  std::set<std::string> wanted;
  for (const model::Template& t : ctx_.templates().templates) {
    if ((t.FindAttribute("ncpus") == nullptr || t.FindAttribute("nram") == nullptr) &&
        !t.vm_type.empty()) {
      wanted.insert(t.vm_type);
    }
  }
  std::map<std::string, model::InstanceType> types;
  if (wanted.empty()) return types;
  const std::vector<std::string> list(wanted.begin(), wanted.end());
  if (Result<std::vector<model::InstanceType>> cached = ctx_.store().InstanceTypes(list);
      cached.ok()) {
    for (const model::InstanceType& r : *cached) types[r.name] = r;
  }
  std::vector<std::string> missing;
  for (const std::string& w : list) {
    if (types.count(w) == 0) missing.push_back(w);
  }
  if (missing.empty()) return types;
  Result<std::vector<model::InstanceType>> fetched = ctx_.provider().DescribeInstanceTypes(missing);
  if (!fetched.ok()) {
    message = "could not read instance type details: " + fetched.error().ToString();
    ctx_.log().Log(spdlog::level::warn, message, {{"event", "instance_types"}});
    return types;
  }
  (void)ctx_.Saved(ctx_.store().SaveInstanceTypes(*fetched, ctx_.Now()), "instance types", "");
  for (const model::InstanceType& r : *fetched) types[r.name] = r;
  return types;
}

CommandResult Catalog::GetAvailableTemplates() {
  std::string message;
  const std::map<std::string, model::InstanceType> types = InstanceTypes(message);
  std::vector<nlohmann::ordered_json> out;
  for (const model::Template& t : ctx_.templates().templates) {
    model::Template shown = t;
    if (auto it = types.find(t.vm_type); it != types.end()) {
      auto add = [&](const char* name, std::int64_t value) {
        if (shown.FindAttribute(name) == nullptr)
          shown.attributes.push_back({name, "Numeric", std::to_string(value)});
      };
      add("ncpus", it->second.vcpus);
      add("ncores", it->second.cores);
      add("nram", it->second.memory_mib);
    }
    int available = kUnlimitedAvailable;
    if (t.max_number >= 0) {
      Result<int> held = ctx_.store().HeldMachines(t.template_id);
      if (!held.ok()) {
        return {kExitFailed, ErrorJson("cannot read the state store: " + held.error().ToString())};
      }
      available = std::max(0, t.max_number - *held);
    }
    out.push_back(HostFactoryTemplateJson(shown, available));
  }
  return {kExitOk, TemplatesJson(out, message)};
}

}  // namespace ohfp::hostfactory
