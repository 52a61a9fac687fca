#include "hostfactory/installation.h"

#include <unistd.h>

#include <fstream>
#include <map>

#include "base/ids.h"
#include "base/strings.h"

namespace ohfp::hostfactory {
namespace {

namespace fs = std::filesystem;
using model::StoreStanding;
using resilience::Error;
using resilience::ErrorKind;
using resilience::Result;
using resilience::Status;
using spdlog::level::level_enum;

std::optional<std::string> ReadMarker(const fs::path& marker) {
  std::ifstream in(marker);
  std::string id;
  if (!in || !std::getline(in, id)) return std::nullopt;
  id = std::string(base::Trim(id));
  if (id.empty()) return std::nullopt;
  return id;
}

// Written atomically: a reader sees the old file or the new one, never half of one.
Status WriteMarker(const fs::path& marker, const std::string& id) {
  const fs::path temp = marker.string() + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(temp, std::ios::trunc);
    out << id << "\n";
    if (!out) {
      return Error(ErrorKind::kInternal, "MarkerUnwritable",
                   "cannot write the installation marker " + temp.string());
    }
  }
  std::error_code ec;
  fs::rename(temp, marker, ec);
  if (ec) {
    fs::remove(temp, ec);
    return Error(ErrorKind::kInternal, "MarkerUnwritable",
                 "cannot write the installation marker " + marker.string() + ": " + ec.message());
  }
  return resilience::OkStatus();
}

Result<std::string> Claim(store::RequestStore& store, const InstallationCheck& check,
                          const std::string& candidate) {
  Result<std::string> id = store.ClaimInstallation(candidate, check.now);
  if (!id.ok()) return id.error();
  if (Status s = WriteMarker(check.marker, *id); !s.ok()) return s.error();
  return id;
}

// The store is new, but this work directory belonged to installation `id`.
Result<std::string> RecoverLost(store::RequestStore& store, provider::Provider& provider,
                                logging::AppLog& log, const InstallationCheck& check,
                                const std::string& id) {
  const std::string where = check.marker.parent_path().string();
  Result<std::vector<model::Instance>> live = provider.DescribeOwnedInstances(id);
  if (!live.ok()) {
    return Error(ErrorKind::kInternal, "StoreUnverifiable",
                 "the state store in " + where +
                     " is new or empty, but this work directory "
                     "belonged to installation " +
                     id +
                     ", and the cloud could not be asked whether "
                     "it still holds that installation's machines (" +
                     live.error().ToString() +
                     "); nothing was done. Restore the state store, or try again when the cloud "
                     "answers");
  }
  if (!live->empty()) {
    std::vector<std::string> ids;
    for (const model::Instance& i : *live) ids.push_back(i.id);
    if (!check.accept_lost) {
      log.Log(level_enum::err,
              "state store lost or replaced: installation " + id + " holds " +
                  std::to_string(ids.size()) + " instance(s) the store does not know",
              {{"event", "store_lost"}, {"installation", id}, {"instances", ids}});
      return Error(ErrorKind::kInternal, "StoreLost",
                   "the state store in " + where + " is new or empty, but the cloud holds " +
                       std::to_string(ids.size()) + " instance(s) of this installation (" + id +
                       "): " + base::Join(ids, ", ") +
                       ". Nothing was done. Restore the state store from a backup, or run `ohfp "
                       "reconcile --adopt` to rebuild its records from the instances' tags "
                       "(nothing is terminated); see docs/operations.md, \"Recovering a lost "
                       "store\"");
    }
    log.Log(level_enum::warn,
            "the state store in " + where + " was new or empty; installation " + id + " holds " +
                std::to_string(ids.size()) + " instance(s), to be adopted",
            {{"event", "store_lost"}, {"installation", id}, {"instances", ids}});
  } else {
    log.Log(level_enum::warn,
            "the state store in " + where + " was new or empty; installation " + id +
                " holds no live instance, so it carries on with an empty store",
            {{"event", "store_lost"}, {"installation", id}});
  }
  return Claim(store, check, id);
}

}  // namespace

Result<std::string> EnsureInstallation(store::RequestStore& store, provider::Provider& provider,
                                       resilience::RandomSource& random, logging::AppLog& log,
                                       const InstallationCheck& check) {
  Result<std::optional<std::string>> stored = store.InstallationId();
  if (!stored.ok()) return stored.error();
  const std::optional<std::string> marked = ReadMarker(check.marker);
  switch (model::JudgeStore(*stored, marked)) {
    case StoreStanding::kEstablished:
      if (!marked) {
        if (Status s = WriteMarker(check.marker, **stored); !s.ok()) return s.error();
      }
      return **stored;
    case StoreStanding::kForeign:
      return Error(ErrorKind::kInternal, "StoreForeign",
                   "the state store belongs to installation " + **stored +
                       ", but this work "
                       "directory (" +
                       check.marker.parent_path().string() +
                       ") belongs to "
                       "installation " +
                       *marked +
                       ": the store was replaced by another "
                       "installation's. Nothing was done; put back this installation's store");
    case StoreStanding::kLost:
      return RecoverLost(store, provider, log, check, *marked);
    case StoreStanding::kNew:
      break;
  }
  Result<std::string> id = Claim(store, check, base::RandomId("inst", random));
  if (id.ok()) {
    log.Log(level_enum::info, "new installation " + *id,
            {{"event", "installation"}, {"installation", *id}});
  }
  return id;
}

Result<AdoptReport> Adopt(CommandContext& ctx, std::string_view installation_id) {
  Result<std::vector<model::Instance>> live =
      ctx.provider().DescribeOwnedInstances(installation_id);
  if (!live.ok()) return live.error();
  std::map<std::string, std::vector<model::Instance>> by_request;
  AdoptReport report;
  for (model::Instance& i : *live) {
    if (i.request_id.empty()) {
      report.skipped.push_back(i.id + ": no request id tag");
      continue;
    }
    by_request[i.request_id].push_back(std::move(i));
  }
  for (const auto& [request_id, instances] : by_request) {
    Result<std::optional<model::Request>> known = ctx.store().GetRequest(request_id);
    if (!known.ok()) return known.error();
    if (known->has_value()) continue;  // its refresh finds them
    const std::string template_id =
        model::TagValue(instances.front().tags, model::kTagTemplateId).value_or("");
    const model::Template* t = ctx.templates().Find(template_id);
    Result<model::Request> r = ctx.store().CreateAcquire(
        {.id = request_id,
         .template_id = template_id,
         .machine_count = static_cast<int>(instances.size()),
         .provider_api = t != nullptr ? t->provider_api : model::ProviderApi::kRunInstances,
         .client_token = model::ClientTokenFor(request_id, 1),
         .owner = ctx.self(),
         .now = ctx.Now(),
         .adopted = true});
    if (!r.ok()) return r.error();
    std::vector<model::Machine> machines;
    for (const model::Instance& i : instances) {
      model::Machine m = model::NewMachine(*r, i.id, ctx.Now());
      model::Observe(m, i);
      if (i.state == model::InstanceState::kRunning) m.result = model::MachineResult::kSucceed;
      machines.push_back(std::move(m));
    }
    if (Status s = ctx.store().SaveMachines(machines); !s.ok()) return s.error();
    report.requests.push_back(request_id);
    report.machines += static_cast<int>(machines.size());
  }
  ctx.log().Log(level_enum::warn,
                "adopted " + std::to_string(report.requests.size()) + " request(s) and " +
                    std::to_string(report.machines) + " machine(s) of installation " +
                    std::string(installation_id) + " from their tags",
                {{"event", "adopt"}, {"requests", report.requests}});
  return report;
}

}  // namespace ohfp::hostfactory
