#include "hostfactory/catalog.h"

#include <set>

#include "base/exit_codes.h"
#include "base/strings.h"
#include "hostfactory/contract.h"

namespace ohfp::hostfactory {
namespace {

using resilience::ErrorKind;
using resilience::Result;

bool Sized(const model::Template& t) {
  return t.FindAttribute("ncpus") != nullptr && t.FindAttribute("nram") != nullptr;
}

// The template with ncpus, ncores and nram from its instance type where it does not give them.
model::Template Completed(const model::Template& t, const model::InstanceType& type) {
  model::Template shown = t;
  auto add = [&](const char* name, std::int64_t value) {
    if (shown.FindAttribute(name) == nullptr && value > 0) {
      shown.attributes.push_back({name, "Numeric", std::to_string(value)});
    }
  };
  add("ncpus", type.cores);  // IBM: CPUs without hyperthreads
  add("ncores", type.cores);
  add("nram", type.memory_mib);
  return shown;
}

}  // namespace

void Catalog::Describe(const std::vector<std::string>& types,
                       std::map<std::string, model::InstanceType>& found,
                       std::map<std::string, std::string>& unknown) {
  Result<std::vector<model::InstanceType>> fetched = ctx_.provider().DescribeInstanceTypes(types);
  if (!fetched.ok() && fetched.error().kind() == ErrorKind::kValidation && types.size() > 1) {
    for (const std::string& type : types) Describe({type}, found, unknown);
    return;
  }
  if (!fetched.ok()) {
    for (const std::string& type : types) {
      unknown[type] = "DescribeInstanceTypes failed: " + fetched.error().ToString();
    }
    ctx_.log().Log(spdlog::level::warn,
                   "could not read instance type details: " + fetched.error().ToString(),
                   {{"event", "instance_types"}});
    return;
  }
  (void)ctx_.Saved(ctx_.store().SaveInstanceTypes(*fetched, ctx_.Now()), "instance types", "");
  for (const model::InstanceType& r : *fetched) found[r.name] = r;
  for (const std::string& type : types) {
    if (found.count(type) == 0) unknown[type] = "EC2 does not describe instance type " + type;
  }
}

std::map<std::string, model::InstanceType> Catalog::InstanceTypes(
    std::map<std::string, std::string>& unknown) {
  std::set<std::string> wanted;
  for (const model::Template& t : ctx_.templates().templates) {
    if (!Sized(t) && !t.vm_type.empty()) wanted.insert(t.vm_type);
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
  if (!missing.empty()) Describe(missing, types, unknown);
  return types;
}

CommandResult Catalog::GetAvailableTemplates() {
  std::map<std::string, std::string> unknown;
  const std::map<std::string, model::InstanceType> types = InstanceTypes(unknown);
  std::vector<nlohmann::ordered_json> out;
  std::vector<std::string> left_out;
  for (const model::Template& t : ctx_.templates().templates) {
    model::Template shown = t;
    if (auto it = types.find(t.vm_type); it != types.end()) shown = Completed(t, it->second);
    if (!Sized(shown)) {
      const auto why = unknown.find(t.vm_type);
      left_out.push_back("template " + t.template_id + " is left out: it gives no " +
                         (shown.FindAttribute("ncpus") == nullptr ? "ncpus" : "nram") +
                         " and its instance type's cannot be read (" +
                         (why != unknown.end() ? why->second : "no instance type") +
                         "); give ncpus and nram in its attributes");
      continue;
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
  if (left_out.empty()) return {kExitOk, TemplatesJson(out, "")};
  const std::string message = base::Join(left_out, "; ");
  ctx_.log().Log(spdlog::level::err, message, {{"event", "templates_incomplete"}});
  return {kExitFailed, TemplatesJson(out, message)};
}

}  // namespace ohfp::hostfactory
