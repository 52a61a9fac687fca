#include "model/orphans.h"

#include "model/names.h"

namespace ohfp::model {
namespace {

constexpr internal::NameTable<OrphanAction, 3> kActions = {{{OrphanAction::kKeep, "keep"},
                                                            {OrphanAction::kTerminate, "terminate"},
                                                            {OrphanAction::kReport, "report"}}};

OrphanFinding Judge(const Instance& i, const std::map<std::string, Request>& requests,
                    const std::map<std::string, Machine>& machines) {
  OrphanFinding f{i.id, i.request_id, OrphanAction::kKeep, ""};
  if (i.request_id.empty()) {
    f.action = OrphanAction::kReport;
    f.reason = "carries this installation's tag but no request id";
    return f;
  }
  auto r = requests.find(i.request_id);
  if (r == requests.end()) {
    f.action = OrphanAction::kReport;
    f.reason = "tagged for request " + i.request_id +
               ", which the state store does not know (was the store lost or replaced?)";
    return f;
  }
  const Request& request = r->second;
  if (request.abandoned) {
    f.action = OrphanAction::kTerminate;
    f.reason = "its request " + request.id + " was reclaimed";
    return f;
  }
  if (!request.finished()) {
    f.reason = "its request " + request.id + " is running";
    return f;
  }
  auto m = machines.find(i.id);
  if (m == machines.end()) {
    f.action = OrphanAction::kTerminate;
    f.reason = "its request " + request.id + " finished without it";
  } else if (m->second.result == MachineResult::kFail) {
    f.action = OrphanAction::kTerminate;
    f.reason = "its machine failed: " + m->second.message;
  } else {
    f.reason = "a machine of request " + request.id;
  }
  return f;
}

}  // namespace

std::string_view OrphanActionName(OrphanAction action) noexcept {
  return internal::NameOf(kActions, action, "keep");
}

std::vector<OrphanFinding> ClassifyOwned(const std::vector<Instance>& instances,
                                         const std::map<std::string, Request>& requests,
                                         const std::map<std::string, Machine>& machines,
                                         const SweepFacts& facts) {
  std::vector<OrphanFinding> out;
  for (const Instance& i : instances) {
    if (facts.installation_id.empty() || i.installation_id != facts.installation_id) continue;
    if (!IsLive(i.state) && i.state != InstanceState::kStopping &&
        i.state != InstanceState::kStopped) {
      continue;  // already on its way out
    }
    OrphanFinding f = Judge(i, requests, machines);
    // The minimum age stands between the sweep and what the store may not have recorded yet (a
    // machine of a request that just finished). A reclaimed request needs none: the store records
    // that HostFactory was never given its machines, and an instance that appears after the reclaim
    // (a launch that was in flight when its creator died) is its own, whatever its age.
    const auto r = requests.find(i.request_id);
    const bool reclaimed = r != requests.end() && r->second.abandoned;
    if (f.action == OrphanAction::kTerminate && !reclaimed &&
        (!i.launch_time || facts.now - *i.launch_time < facts.min_age)) {
      f.action = OrphanAction::kKeep;
      f.reason += "; but it is younger than the sweep's minimum age (" +
                  std::to_string(facts.min_age.count()) + " s)";
    }
    out.push_back(std::move(f));
  }
  return out;
}

}  // namespace ohfp::model
