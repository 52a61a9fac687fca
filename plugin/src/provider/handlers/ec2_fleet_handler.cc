#include "provider/handlers/ec2_fleet_handler.h"

#include <algorithm>
#include <set>
#include <utility>

#include "aws/ec2/instances.h"
#include "base/strings.h"
#include "provider/handlers/instance_ops.h"

namespace ohfp::provider {
namespace {

namespace ec2 = aws::ec2;
using resilience::Error;
using resilience::ErrorKind;
using resilience::Result;
using resilience::Status;

// Capacity sums of fractional weights, before rounding down to whole units.
constexpr double kUnitEpsilon = 1e-9;

bool Alive(const ec2::Instance& i) { return IsLive(i.state); }

bool IsSpot(const ec2::Instance& i) { return i.lifecycle == "spot"; }

// Submitted, active or modifying: the fleet may still launch.
bool IsOpen(ec2::FleetState state) {
  switch (state) {
    case ec2::FleetState::kSubmitted:
    case ec2::FleetState::kActive:
    case ec2::FleetState::kModifying:
      return true;
    case ec2::FleetState::kDeleted:
    case ec2::FleetState::kFailed:
    case ec2::FleetState::kDeletedRunning:
    case ec2::FleetState::kDeletedTerminating:
    case ec2::FleetState::kUnknown:
      return false;
  }
  return false;
}

// The fleet's type; a fleet whose answer lacks it is treated as the kind that launches later.
ec2::FleetType TypeOf(const ec2::Fleet& fleet) {
  return fleet.type.value_or(ec2::FleetType::kMaintain);
}

bool Fulfilling(const ec2::Fleet& fleet) {
  if (TypeOf(fleet) == ec2::FleetType::kInstant || !IsOpen(fleet.state)) return false;
  if (fleet.activity_status == ec2::FleetActivityStatus::kFulfilled) return false;
  return fleet.fulfilled_capacity + kUnitEpsilon < static_cast<double>(fleet.target_capacity.total);
}

bool IsTemplateProblem(ErrorKind kind) {
  return kind == ErrorKind::kValidation || kind == ErrorKind::kNotFound ||
         kind == ErrorKind::kAuthorization || kind == ErrorKind::kAuthentication;
}

bool SameTarget(const ec2::TargetCapacity& a, const ec2::TargetCapacity& b) {
  return a.total == b.total && a.on_demand == b.on_demand && a.spot == b.spot;
}

// The fleet's tags that belong on its instances: the request's, without the weights.
std::vector<ec2::Tag> InstanceTagsOf(const ec2::Fleet& fleet) {
  std::vector<ec2::Tag> tags;
  for (const ec2::Tag& t : fleet.tags) {
    if (!IsWeightTag(t.key)) tags.push_back(t);
  }
  return tags;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Pure parts

std::string DescribeFleetError(const ec2::FleetError& e) {
  std::string text(e.error.code());
  if (!e.error.message().empty()) text += ": " + std::string(e.error.message());
  std::vector<std::string> pool;
  const ec2::FleetOverride& o = e.launched_from.overrides;
  if (!o.instance_type.empty()) pool.push_back(o.instance_type);
  if (!o.subnet_id.empty()) pool.push_back(o.subnet_id);
  if (!o.availability_zone.empty()) pool.push_back(o.availability_zone);
  if (e.lifecycle) pool.emplace_back(ec2::WireName(*e.lifecycle));
  if (!pool.empty()) {
    text += " (";
    for (std::size_t n = 0; n < pool.size(); ++n) text += (n == 0 ? "" : ", ") + pool[n];
    text += ")";
  }
  return text;
}

AwsObservation FleetObservation(const model::Request& request,
                                const std::optional<ec2::Fleet>& fleet,
                                std::vector<ec2::Instance> instances, resilience::SysTime now) {
  AwsObservation out;
  out.instances = std::move(instances);
  out.launch_template_id = request.created.launch_template_id;
  if (!fleet) {
    if (!request.created.resource_id.empty()) {
      const resilience::SysTime created = request.created_at;
      if (now - created < kEc2FleetVisibilityGrace) {
        out.fulfilling = true;  // just created: EC2 may not list it yet
      } else {
        out.errors.push_back("EC2 Fleet " + request.created.resource_id + " no longer exists");
      }
    }
    return out;
  }
  const ec2::Fleet& f = *fleet;
  out.resource_id = f.fleet_id;
  out.fulfilling = Fulfilling(f);
  for (const ec2::FleetError& e : f.errors) out.errors.push_back(DescribeFleetError(e));
  const bool short_of_target =
      f.fulfilled_capacity + kUnitEpsilon < static_cast<double>(f.target_capacity.total);
  if (TypeOf(f) != ec2::FleetType::kInstant && !IsOpen(f.state) && short_of_target) {
    out.errors.push_back("EC2 Fleet " + f.fleet_id + " is " + std::string(ec2::WireName(f.state)) +
                         " with " + base::FormatNumber(f.fulfilled_capacity) + " of " +
                         std::to_string(f.target_capacity.total) + " units");
  }
  const WeightMap weights = WeightsFromTags(f.tags);
  if (!weights.empty()) {
    double running = 0;
    for (const ec2::Instance& i : out.instances) {
      if (i.state == "running") running += WeightOf(weights, i.instance_type);
    }
    out.running_capacity = running;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The handler

Result<std::optional<ec2::Fleet>> Ec2FleetHandler::FindFleet(const model::Request& request) {
  if (!request.created.resource_id.empty()) {
    Result<std::vector<ec2::Fleet>> fleets =
        ec2::DescribeFleets(client_, {.fleet_ids = {request.created.resource_id}});
    if (!fleets.ok()) {
      if (fleets.error().kind() == ErrorKind::kNotFound) return std::optional<ec2::Fleet>();
      return fleets.error();
    }
    for (ec2::Fleet& f : *fleets) {
      if (f.fleet_id == request.created.resource_id) return std::optional<ec2::Fleet>(std::move(f));
    }
    return std::optional<ec2::Fleet>();
  }
  // Not recorded (the CreateFleet answer was lost): the fleet tagged with the request, if any.
  Result<std::vector<ec2::Fleet>> fleets = ec2::DescribeFleets(client_, {});
  if (!fleets.ok()) return fleets.error();
  std::optional<ec2::Fleet> found;
  for (ec2::Fleet& f : *fleets) {
    if (f.TagValue(model::kTagRequestId) != request.id) continue;
    const bool better = !found || (ec2::IsDeleted(found->state) && !ec2::IsDeleted(f.state));
    if (better) found = std::move(f);
  }
  return found;
}

Result<std::vector<ec2::Instance>> Ec2FleetHandler::InstancesOf(
    const model::Request& request, const std::optional<ec2::Fleet>& fleet) {
  std::vector<std::string> members;
  if (fleet) {
    if (TypeOf(*fleet) == ec2::FleetType::kInstant) {
      // DescribeFleetInstances does not list instant fleets; DescribeFleets carries them.
      for (const ec2::FleetLaunchedInstances& launched : fleet->instances) {
        members.insert(members.end(), launched.instance_ids.begin(), launched.instance_ids.end());
      }
    } else {
      Result<std::vector<ec2::FleetInstance>> active =
          ec2::DescribeFleetInstances(client_, fleet->fleet_id);
      if (!active.ok() && active.error().kind() != ErrorKind::kNotFound) return active.error();
      if (active.ok()) {
        for (const ec2::FleetInstance& m : *active) members.push_back(m.instance_id);
      }
    }
  }
  Result<std::vector<ec2::Instance>> tagged = InstancesTaggedWith(client_, request.id);
  if (!tagged.ok()) return tagged.error();
  std::vector<ec2::Instance> instances = std::move(*tagged);
  std::set<std::string> known;
  for (const ec2::Instance& i : instances) known.insert(i.instance_id);
  std::vector<std::string> missing;
  for (const std::string& id : members) {
    if (known.insert(id).second) missing.push_back(id);
  }
  if (!missing.empty()) {
    Result<std::vector<ec2::Instance>> more = DescribeByIds(client_, missing);
    if (!more.ok()) return more.error();
    // Launched from a launch template that does not tag them (the user's own): tag them now, so
    // the next look finds them by tag and housekeeping knows whose they are. A failure here is
    // not one of observing: the next poll tags them.
    if (fleet) (void)TagUntagged(client_, *more, request.id, InstanceTagsOf(*fleet));
    instances.insert(instances.end(), more->begin(), more->end());
  }
  return instances;
}

Status Ec2FleetHandler::DeleteFleet(const ec2::Fleet& fleet, bool terminate_instances) {
  Result<ec2::DeleteFleetsResult> deleted = ec2::DeleteFleets(
      client_, {.fleet_ids = {fleet.fleet_id}, .terminate_instances = terminate_instances});
  if (!deleted.ok()) {
    if (deleted.error().kind() == ErrorKind::kNotFound) return resilience::OkStatus();
    // moto answers HTTP 500 for a fleet it does not know: look before calling it a failure.
    if (deleted.error().kind() != ErrorKind::kTransient) return deleted.error();
    Result<std::vector<ec2::Fleet>> again =
        ec2::DescribeFleets(client_, {.fleet_ids = {fleet.fleet_id}});
    if (!again.ok()) return deleted.error();
    for (const ec2::Fleet& f : *again) {
      if (f.fleet_id == fleet.fleet_id && !ec2::IsDeleted(f.state)) return deleted.error();
    }
    return resilience::OkStatus();
  }
  for (const ec2::FleetDeletionError& e : deleted->unsuccessful) {
    if (e.fleet_id == fleet.fleet_id && e.error.kind() != ErrorKind::kNotFound) return e.error;
  }
  return resilience::OkStatus();
}

namespace {

// Full records of what an instant fleet launched (state, addresses, launch time). An instance EC2
// does not show yet is reported by id alone; the next poll fills it in.
std::vector<ec2::Instance> LaunchedInstances(aws::AwsClient& client,
                                             const ec2::CreateFleetResult& created,
                                             const std::vector<std::string>& ids) {
  std::vector<ec2::Instance> instances;
  Result<std::vector<ec2::Instance>> found = DescribeByIds(client, ids);
  if (found.ok()) instances = std::move(*found);
  for (const ec2::FleetLaunchedInstances& launched : created.instances) {
    for (const std::string& id : launched.instance_ids) {
      const bool seen = std::any_of(instances.begin(), instances.end(),
                                    [&](const ec2::Instance& i) { return i.instance_id == id; });
      if (!seen) {
        instances.push_back(
            {.instance_id = id,
             .instance_type = launched.instance_type,
             .state = "pending",
             .lifecycle = launched.lifecycle == ec2::CapacityType::kSpot ? "spot" : ""});
      }
    }
  }
  return instances;
}

}  // namespace

Result<ec2::CreateFleetResult> Ec2FleetHandler::AdoptLaunchedFleet(const AwsLaunchSpec& spec,
                                                                   const Error& mismatch) {
  // The token launched a fleet already, from other parameters (the template was edited since an
  // attempt whose answer was lost): that fleet is the request's. Found by its tag; when EC2 does
  // not list it yet, the outcome is unknown, not refused.
  model::Request request;
  request.id = spec.request_id;
  Result<std::optional<ec2::Fleet>> found = FindFleet(request);
  if (!found.ok() || !found->has_value()) {
    return Error(ErrorKind::kTransient, "FleetNotVisibleYet",
                 "ClientToken " + spec.client_token +
                     " launched an EC2 Fleet already, not listed yet: " + mismatch.ToString() +
                     (found.ok() ? std::string() : "; " + found.error().ToString()));
  }
  return ec2::CreateFleetResult{
      .fleet_id = (*found)->fleet_id, .instances = (*found)->instances, .errors = (*found)->errors};
}

Result<AwsLaunchOutcome> Ec2FleetHandler::EndEmptyInstantFleet(
    const AwsLaunchSpec& spec, const ec2::CreateFleetResult& created, AwsLaunchOutcome out) {
  // An instant fleet that launched nothing never will: delete it, and ohfp's launch template,
  // now (the service records no machine for the request, so it would never clean them up).
  // Once deleted, it is not recorded either: a fleet that never held anything is no part of
  // the request (and EC2 may not list it again, which would read as not visible yet).
  model::Request request;
  request.id = spec.request_id;
  request.created.resource_id = out.resource_id;
  request.created.launch_template_id = out.launch_template_id;
  if (Cleanup(request).ok()) out.resource_id.clear();
  // A pool refused for what the template says (an image, a subnet, a permission): the
  // template is wrong, and requestMachines says so. Capacity (and anything passing): the
  // request ends complete_with_error with the reasons.
  for (const ec2::FleetError& e : created.errors) {
    if (IsTemplateProblem(e.error.kind())) {
      return e.error.WithMessage("the instant fleet launched nothing: " + DescribeFleetError(e));
    }
  }
  if (out.errors.empty()) out.errors.push_back("the instant fleet launched no instance");
  return out;
}

Result<AwsLaunchOutcome> Ec2FleetHandler::Launch(const AwsLaunchSpec& spec) {
  Result<RequestLaunchTemplate> lt = EnsureRequestLaunchTemplate(client_, spec);
  if (!lt.ok()) return lt.error();
  Result<ec2::CreateFleetResult> created =
      ec2::CreateFleet(client_, CreateFleetRequestFor(spec, *lt));
  if (!created.ok() && created.error().kind() == ErrorKind::kIdempotencyMismatch) {
    Result<ec2::CreateFleetResult> adopted = AdoptLaunchedFleet(spec, created.error());
    if (!adopted.ok()) return adopted.error();
    created = std::move(adopted);
  }
  if (!created.ok()) {
    // Refused for what the template or the account says: no attempt will use ohfp's launch
    // template, and the service records nothing to clean up later. Anything else (capacity: the
    // next attempt uses it; an unknown outcome: the fleet may exist) keeps it.
    if (lt->owned && LaunchTemplateNoLongerNeeded(created.error())) {
      model::Request request;
      request.id = spec.request_id;
      request.created.launch_template_id = lt->id;
      (void)DeleteRequestLaunchTemplate(client_, request);  // best effort; tagged, so findable
    }
    return created.error();
  }

  AwsLaunchOutcome out;
  out.resource_id = created->fleet_id;
  if (lt->owned) out.launch_template_id = lt->id;
  for (const ec2::FleetError& e : created->errors) out.errors.push_back(DescribeFleetError(e));
  if (spec.tmpl->fleet_type != model::FleetType::kInstant) return out;

  const std::vector<std::string> ids = created->InstanceIds();
  if (ids.empty()) return EndEmptyInstantFleet(spec, *created, std::move(out));
  out.instances = LaunchedInstances(client_, *created, ids);
  // The fleet's instance TagSpecification tags them; a failure to add what is missing is retried
  // by the next Observe, and must not turn a launch into an unknown outcome.
  (void)TagUntagged(client_, out.instances, spec.request_id, spec.tags);
  return out;
}

Result<AwsObservation> Ec2FleetHandler::Observe(const model::Request& request) {
  Result<std::optional<ec2::Fleet>> fleet = FindFleet(request);
  if (!fleet.ok()) return fleet.error();
  Result<std::vector<ec2::Instance>> instances = InstancesOf(request, *fleet);
  if (!instances.ok()) return instances.error();
  AwsObservation out = FleetObservation(request, *fleet, std::move(*instances), clock_.SystemNow());
  if (request.created.resource_id.empty() && out.launch_template_id.empty()) {
    // Adopting what a lost answer created: ohfp's launch template too, for the record.
    Result<std::string> lt = FindRequestLaunchTemplate(client_, request.id);
    if (!lt.ok()) return lt.error();
    out.launch_template_id = *lt;
  }
  return out;
}

Status Ec2FleetHandler::Release(const model::Request& request,
                                const std::vector<std::string>& instance_ids) {
  if (instance_ids.empty()) return resilience::OkStatus();
  Result<std::optional<ec2::Fleet>> fleet = FindFleet(request);
  if (!fleet.ok()) return fleet.error();
  const ec2::Fleet* f = fleet->has_value() ? &**fleet : nullptr;
  if (f != nullptr && TypeOf(*f) == ec2::FleetType::kMaintain && IsOpen(f->state)) {
    // Lower the target first, so the fleet neither replaces the released instances nor picks
    // victims of its own; only then terminate exactly those.
    Result<std::vector<ec2::Instance>> instances = InstancesOf(request, *fleet);
    if (!instances.ok()) return instances.error();
    const std::set<std::string> released(instance_ids.begin(), instance_ids.end());
    const WeightMap weights = WeightsFromTags(f->tags);
    std::vector<ec2::Instance> remaining;
    std::vector<std::string> unmarked;  // released, alive, not yet marked kTagReleasedFromFleet
    // What the fleet's fulfilled capacity counts that its target still holds: not the instances
    // a previous Release lowered the target for already (TerminateInstances failed after it).
    ec2::Fleet counted = *f;
    for (const ec2::Instance& i : *instances) {
      if (released.count(i.instance_id) == 0) {
        remaining.push_back(i);
      } else if (Alive(i) && i.TagValue(kTagReleasedFromFleet).has_value()) {
        const double units = WeightOf(weights, i.instance_type);
        counted.fulfilled_capacity = std::max(0.0, counted.fulfilled_capacity - units);
        if (!IsSpot(i)) {
          counted.fulfilled_on_demand_capacity =
              std::max(0.0, counted.fulfilled_on_demand_capacity - units);
        }
      } else if (Alive(i)) {
        unmarked.push_back(i.instance_id);
      }
    }
    const ec2::TargetCapacity lowered =
        LoweredTarget(counted, remaining, weights, Undelivered::kKeep);
    if (!SameTarget(lowered, f->target_capacity)) {
      Status s =
          ec2::ModifyFleet(client_, {.fleet_id = f->fleet_id,
                                     .target_capacity = lowered,
                                     .excess_capacity_termination_policy =
                                         ec2::ExcessCapacityTerminationPolicy::kNoTermination});
      // Terminating without the lower target would make the fleet replace them: stop here, the
      // service calls Release again.
      if (!s.ok() && s.error().kind() != ErrorKind::kNotFound) return s;
    }
    // Best effort: without the mark, a repeated Release of a fleet still short of its target could
    // lower it twice (never below what it holds, never terminating anything).
    if (!unmarked.empty()) {
      (void)ec2::CreateTags(client_, unmarked, {{std::string(kTagReleasedFromFleet), "true"}});
    }
  }
  return TerminateExactly(client_, instance_ids);
}

Status Ec2FleetHandler::Shrink(const model::Request& request, int keep) {
  Result<std::optional<ec2::Fleet>> fleet = FindFleet(request);
  if (!fleet.ok()) return fleet.error();
  if (!fleet->has_value()) {
    // A fleet just created that EC2 does not list yet may still launch: not stopped yet.
    const resilience::SysTime created = request.created_at;
    if (!request.created.resource_id.empty() &&
        clock_.SystemNow() - created < kEc2FleetVisibilityGrace) {
      return Error(
          ErrorKind::kTransient, "FleetNotVisibleYet",
          "EC2 Fleet " + request.created.resource_id + " is not listed yet; it cannot be lowered");
    }
    return resilience::OkStatus();
  }
  const ec2::Fleet& f = **fleet;
  if (!IsOpen(f.state)) return resilience::OkStatus();
  if (keep <= 0 && TypeOf(f) != ec2::FleetType::kInstant) {
    // Nothing to keep: the request ends without a machine, so nothing will ever be returned and
    // trigger the cleanup. Delete the fleet (terminating nothing) and ohfp's launch template now.
    return Cleanup(request);
  }
  switch (TypeOf(f)) {
    case ec2::FleetType::kInstant:
      return resilience::OkStatus();  // it launched all it ever will
    case ec2::FleetType::kRequest:
      // AWS modifies only maintain fleets. Deleting it without terminating stops it; its
      // instances keep running and stay the request's (by tag).
      return DeleteFleet(f, /*terminate_instances=*/false);
    case ec2::FleetType::kMaintain:
      break;
  }
  Result<std::vector<ec2::Instance>> instances = InstancesOf(request, *fleet);
  if (!instances.ok()) return instances.error();
  std::vector<ec2::Instance> live;
  for (const ec2::Instance& i : *instances) {
    if (Alive(i)) live.push_back(i);
  }
  // The service keeps the `keep` it knows of, the oldest; any newer one is not counted.
  std::sort(live.begin(), live.end(), [](const ec2::Instance& a, const ec2::Instance& b) {
    if (a.launch_time != b.launch_time) return a.launch_time < b.launch_time;
    return a.instance_id < b.instance_id;
  });
  if (static_cast<int>(live.size()) > keep)
    live.resize(static_cast<std::size_t>(std::max(0, keep)));
  const ec2::TargetCapacity lowered =
      LoweredTarget(f, live, WeightsFromTags(f.tags), Undelivered::kDrop);
  if (SameTarget(lowered, f.target_capacity)) return resilience::OkStatus();
  Status s = ec2::ModifyFleet(client_, {.fleet_id = f.fleet_id,
                                        .target_capacity = lowered,
                                        .excess_capacity_termination_policy =
                                            ec2::ExcessCapacityTerminationPolicy::kNoTermination});
  if (!s.ok() && s.error().kind() != ErrorKind::kNotFound) return s;
  return resilience::OkStatus();
}

Status Ec2FleetHandler::Cleanup(const model::Request& request) {
  Result<std::optional<ec2::Fleet>> fleet = FindFleet(request);
  if (!fleet.ok()) return fleet.error();
  Status fleet_status = resilience::OkStatus();
  if (fleet->has_value() && IsOpen((*fleet)->state)) {
    const ec2::Fleet& f = **fleet;
    if (TypeOf(f) == ec2::FleetType::kInstant) {
      // AWS deletes an instant fleet only with its instances: do it only when none is alive, so
      // nothing is terminated that was not released.
      Result<std::vector<ec2::Instance>> instances = InstancesOf(request, *fleet);
      if (!instances.ok()) return instances.error();
      const bool alive = std::any_of(instances->begin(), instances->end(), Alive);
      if (alive) {
        fleet_status =
            Error(ErrorKind::kInternal, "InstantFleetInUse",
                  "instant fleet " + f.fleet_id + " still has live instances; it is not deleted");
      } else {
        fleet_status = DeleteFleet(f, /*terminate_instances=*/true);
      }
    } else {
      // Cleanup runs once the request holds no machine, so whatever the fleet still runs is no
      // machine of HostFactory's: a maintain fleet's replacement launched from the user's launch
      // template (untagged until ohfp tags it, so the orphan sweep would never see it), or an
      // instance launched after the last return. Delete the fleet without its instances (moto
      // refuses TerminateInstances=true when none is left), then terminate exactly those.
      Result<std::vector<ec2::Instance>> instances = InstancesOf(request, *fleet);
      if (!instances.ok()) return instances.error();
      std::vector<std::string> live;
      for (const ec2::Instance& i : *instances) {
        if (Alive(i)) live.push_back(i.instance_id);
      }
      fleet_status = DeleteFleet(f, /*terminate_instances=*/false);
      if (fleet_status.ok() && !live.empty()) fleet_status = TerminateExactly(client_, live);
    }
  }
  // The launch template even when the fleet could not go: a fleet left behind then launches
  // nothing more.
  if (Status s = DeleteRequestLaunchTemplate(client_, request); !s.ok()) return s;
  return fleet_status;
}

}  // namespace ohfp::provider
