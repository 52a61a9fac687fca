#include "hostfactory/command_context.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "base/ids.h"
#include "hostfactory/process_identity.h"

namespace ohfp::hostfactory {

using resilience::Error;
using resilience::ErrorKind;
using resilience::Result;
using resilience::Status;

CommandContext::CommandContext(ServiceDependencies dependencies, ServiceOptions options)
    : deps_(std::move(dependencies)), options_(std::move(options)) {
  if (!deps_.is_alive) {
    deps_.is_alive = [](const model::ProcessIdentity& who) { return hostfactory::IsAlive(who); };
  }
}

model::Timestamp CommandContext::Now() const { return model::ToTimestamp(deps_.clock.SystemNow()); }

std::string CommandContext::NewId(std::string_view prefix) {
  return base::RandomId(prefix, deps_.random);
}

std::vector<model::Tag> CommandContext::TagsFor(const model::Template& t,
                                                const std::string& request_id) const {
  std::vector<model::Tag> tags = {{std::string(model::kTagRequestId), request_id},
                                  {std::string(model::kTagTemplateId), t.template_id},
                                  {std::string(model::kTagProvider), options_.provider_name}};
  if (!deps_.installation_id.empty()) {
    tags.push_back({std::string(model::kTagInstallation), deps_.installation_id});
  }
  const bool named = options_.tags.contains("Name") ||
                     std::any_of(t.instance_tags.begin(), t.instance_tags.end(),
                                 [](const auto& tag) { return tag.first == "Name"; });
  const std::string name = model::InstanceName(options_.instance_name, t.template_id, request_id,
                                               options_.provider_name);
  if (!named && !name.empty()) tags.push_back({"Name", name});
  for (const auto& [k, v] : options_.tags) tags.push_back({k, v});
  for (const auto& [k, v] : t.instance_tags) tags.push_back({k, v});
  return tags;
}

Result<std::string> CommandContext::ReadUserData(const model::Template& t) const {
  if (!t.user_data.empty()) return t.user_data;
  if (t.user_data_script.empty()) return std::string();
  std::filesystem::path path(t.user_data_script);
  if (path.is_relative()) path = options_.confdir / path;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Error(ErrorKind::kValidation, "UserDataUnreadable",
                 "template " + t.template_id + ": cannot read userDataScript " + path.string());
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

Status CommandContext::Saved(Status s, std::string_view what, std::string_view request_id) {
  if (!s.ok()) {
    if (!store_failure_) store_failure_ = s.error();
    deps_.log.Log(spdlog::level::err,
                  "cannot save " + std::string(what) +
                      (request_id.empty() ? "" : " of request " + std::string(request_id)) +
                      " in the state store: " + s.error().ToString(),
                  {{"event", "store_write"}, {"what", what}, {"request_id", request_id}});
  }
  return s;
}

}  // namespace ohfp::hostfactory
