#include "provider/handlers/asg_handler.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "aws/ec2/instances.h"
#include "provider/handlers/instance_ops.h"

namespace ohfp::provider {
namespace {

namespace as = aws::autoscaling;
using aws::ec2::Instance;
using model::PriceType;
using resilience::Error;
using resilience::ErrorKind;
using resilience::Result;
using resilience::Status;

// AWS's limit on WeightedCapacity: 1..999.
constexpr int kMaxWeight = 999;
// Scaling activities read per poll of a group short of its target (AWS lists the newest first),
// and at most this many distinct reasons reported.
constexpr int kActivityPage = 50;
constexpr std::size_t kMaxActivityMessages = 5;

Error Unsupported(const model::Template& t, std::string_view field, std::string what) {
  return Error(ErrorKind::kValidation, "AsgTemplateUnsupported",
               "template " + t.template_id + " (providerApi ASG): " + std::string(field) + " " +
                   std::move(what));
}

std::string GroupNameOf(const model::Request& request) {
  return request.created.resource_id.empty() ? AsgGroupName(request.id)
                                             : request.created.resource_id;
}

// Lifecycle states. Pending* and InService members count towards the group's capacity.
bool Launching(const as::GroupInstance& i) { return i.lifecycle_state.starts_with("Pending"); }
bool InService(const as::GroupInstance& i) { return i.lifecycle_state == "InService"; }
// DetachInstances takes instances InService or in Standby only.
bool Detachable(const as::GroupInstance& i) {
  return InService(i) || i.lifecycle_state == "Standby";
}

// True when the group's MixedInstancesPolicy weighs its instance types.
bool Weighted(const as::Group& g) {
  if (!g.mixed_instances_policy) return false;
  return std::any_of(g.mixed_instances_policy->overrides.begin(),
                     g.mixed_instances_policy->overrides.end(),
                     [](const as::InstanceTypeOverride& o) { return o.weighted_capacity; });
}

// Capacity units one member counts for: its reported weight, else its type's override weight,
// else 1.
int WeightOf(const as::Group& g, const as::GroupInstance& i) {
  if (i.weighted_capacity) return *i.weighted_capacity;
  if (g.mixed_instances_policy) {
    for (const as::InstanceTypeOverride& o : g.mixed_instances_policy->overrides) {
      if (o.instance_type == i.instance_type && o.weighted_capacity) return *o.weighted_capacity;
    }
  }
  return 1;
}

// Units of the members that are in service or on their way.
int LiveUnits(const as::Group& g) {
  int units = 0;
  for (const as::GroupInstance& i : g.instances) {
    if (InService(i) || Launching(i)) units += WeightOf(g, i);
  }
  return units;
}

const as::GroupInstance* MemberOf(const as::Group& g, std::string_view id) {
  for (const as::GroupInstance& i : g.instances) {
    if (i.instance_id == id) return &i;
  }
  return nullptr;
}

// The group's launch tags as EC2 tags (AWS's own "aws:" tags left out).
std::vector<aws::ec2::Tag> LaunchTagsOf(const as::Group& g) {
  std::vector<aws::ec2::Tag> out;
  for (const as::Tag& t : g.tags) {
    if (t.propagate_at_launch && !t.key.starts_with("aws:")) out.push_back({t.key, t.value});
  }
  return out;
}

// The group, or nullopt when it does not exist.
Result<std::optional<as::Group>> FindGroup(aws::AwsClient& client, const std::string& name) {
  Result<as::Group> g = as::DescribeGroup(client, name);
  if (g.ok()) return std::optional<as::Group>(std::move(*g));
  if (g.error().kind() == ErrorKind::kNotFound) return std::optional<as::Group>();
  return g.error();
}

// Why a group is short of its target: the reasons of its failed or cancelled scaling activities
// that started at `since` or later (e.g. "We currently do not have sufficient c5.large capacity in
// the Availability Zone you requested ... Launching EC2 instance failed."), newest first, each
// once. DescribeScalingActivities is read here directly (operation
// autoscaling_describe_scaling_activities, breaker aws_autoscaling): aws/autoscaling/groups.h has
// no typed call for it.
Result<std::vector<std::string>> LaunchFailures(aws::AwsClient& client, const std::string& group,
                                                resilience::SysTime since) {
  aws::QueryParams p;
  p.AddString("AutoScalingGroupName", group);
  p.AddInt("MaxRecords", kActivityPage);
  Result<aws::XmlDocument> doc =
      client.Call(aws::AwsService::kAutoScaling, "DescribeScalingActivities", p,
                  "autoscaling_describe_scaling_activities");
  if (!doc.ok()) return doc.error();
  std::vector<std::string> out;
  for (aws::XmlNode a : aws::ResultOf(*doc).Child("Activities").Children("member")) {
    const std::string code = a.ChildText("StatusCode").value_or("");
    if (code != "Failed" && code != "Cancelled") continue;
    if (aws::XmlNode start = a.Child("StartTime"); start) {
      Result<resilience::SysTime> when = start.AsTimestamp();
      if (when.ok() && *when < since) continue;  // an earlier request's, or long resolved
    }
    std::string why = a.ChildText("StatusMessage").value_or("");
    if (why.empty()) why = a.ChildText("Description").value_or("");
    std::string text = "Auto Scaling activity " + code + (why.empty() ? "" : ": " + why);
    if (std::find(out.begin(), out.end(), text) == out.end()) out.push_back(std::move(text));
    if (out.size() == kMaxActivityMessages) break;
  }
  return out;
}

// Takes the released members of `g` out of it, lowering its target by as many: DetachInstances for
// those AWS can detach, TerminateInstanceInAutoScalingGroup for those still launching. Returns the
// capacity units taken out.
Result<int> TakeOutOfGroup(aws::AwsClient& client, const as::Group& g,
                           const std::vector<std::string>& ids) {
  std::vector<std::string> detach;
  std::vector<std::string> terminate_in_group;
  int units = 0;
  for (const std::string& id : ids) {
    const as::GroupInstance* member = MemberOf(g, id);
    if (member == nullptr) continue;  // not (or no longer) in the group
    if (Detachable(*member)) {
      detach.push_back(id);
    } else if (Launching(*member)) {
      terminate_in_group.push_back(id);
    } else {
      continue;  // Terminating, Detaching, ...: already on its way out
    }
    units += WeightOf(g, *member);
  }
  Result<std::vector<as::Activity>> detached = as::DetachInstances(
      client,
      {.group_name = g.name, .instance_ids = detach, .should_decrement_desired_capacity = true});
  if (!detached.ok() && detached.error().kind() != ErrorKind::kNotFound) return detached.error();
  if (!detached.ok()) {
    // An instance left the group between the describe and the detach (a lost answer, a
    // termination): detach, one by one, those still in it.
    Result<std::optional<as::Group>> again = FindGroup(client, g.name);
    if (!again.ok()) return again.error();
    if (!again->has_value()) return units;
    for (const std::string& id : detach) {
      const as::GroupInstance* member = MemberOf(**again, id);
      if (member == nullptr || !Detachable(*member)) continue;
      Result<std::vector<as::Activity>> one = as::DetachInstances(
          client,
          {.group_name = g.name, .instance_ids = {id}, .should_decrement_desired_capacity = true});
      if (!one.ok() && one.error().kind() != ErrorKind::kNotFound) return one.error();
    }
  }
  for (const std::string& id : terminate_in_group) {
    Result<as::Activity> gone = as::TerminateInstanceInGroup(
        client, {.instance_id = id, .should_decrement_desired_capacity = true});
    if (!gone.ok() && gone.error().kind() != ErrorKind::kNotFound) return gone.error();
  }
  return units;
}

}  // namespace

std::string AsgGroupName(std::string_view request_id) { return "ohfp-" + std::string(request_id); }

Status CheckAsgTemplate(const model::Template& t) {
  if (t.subnet_ids.empty()) {
    return Unsupported(t, "subnetId",
                       "is required: an Auto Scaling group launches into the subnets listed there");
  }
  for (const model::LaunchType& type : model::LaunchTypes(t)) {
    const double weight = type.weight.value_or(1.0);
    if (weight != std::floor(weight) || weight < 1 || weight > kMaxWeight) {
      return Unsupported(t, "vmTypes",
                         "weight of " + type.type + " must be a whole number from 1 to " +
                             std::to_string(kMaxWeight) + " (Auto Scaling WeightedCapacity), got " +
                             std::to_string(weight));
    }
  }
  return resilience::OkStatus();
}

Result<as::CreateGroupRequest> CreateGroupRequestFor(const AwsLaunchSpec& spec,
                                                     const RequestLaunchTemplate& lt) {
  const model::Template& t = *spec.tmpl;
  if (Status ok = CheckAsgTemplate(t); !ok.ok()) return ok.error();
  as::CreateGroupRequest r;
  r.name = AsgGroupName(spec.request_id);
  r.min_size = 0;  // DetachInstances with a decrement cannot go below MinSize
  r.max_size = spec.count;
  r.desired_capacity = spec.count;
  r.subnet_ids = t.subnet_ids;
  r.new_instances_protected_from_scale_in = true;
  r.capacity_rebalance = false;
  for (const aws::ec2::Tag& tag : spec.tags) r.tags.push_back({tag.key, tag.value, true});

  const as::LaunchTemplateSpecification launch{.id = lt.id, .version = lt.version};
  const bool spot = t.price_type != PriceType::kOnDemand;
  const bool mixed = t.vm_types.size() + t.vm_types_on_demand.size() > 0 || spot ||
                     (!lt.owned && !t.vm_type.empty());
  if (!mixed) {
    r.launch_template = launch;
    return r;
  }
  as::MixedInstancesPolicy policy{.launch_template = launch};
  // The overrides in priority order: Auto Scaling's prioritized strategies follow their order.
  const std::vector<model::LaunchType> types = model::LaunchTypes(t);
  for (const model::LaunchType& type : types) {
    if (type.type.empty()) continue;  // the launch template's own type
    std::optional<int> weight;
    if (type.weight) weight = static_cast<int>(*type.weight);
    policy.overrides.push_back({type.type, weight});
  }
  // Weights only matter when one differs from 1 (all at 1 is the same as none); then Auto Scaling
  // wants one on every override.
  const bool weighted = std::any_of(
      policy.overrides.begin(), policy.overrides.end(),
      [](const as::InstanceTypeOverride& o) { return o.weighted_capacity.value_or(1) != 1; });
  for (as::InstanceTypeOverride& o : policy.overrides) {
    o.weighted_capacity =
        weighted ? std::optional<int>(o.weighted_capacity.value_or(1)) : std::nullopt;
  }
  // Auto Scaling spells strategies as the templates file does (kebab-case).
  const auto name = [](std::optional<model::AllocationStrategy> s) {
    return s ? std::string(model::AllocationStrategyName(*s)) : std::string();
  };
  as::InstancesDistribution d;
  d.on_demand_base_capacity = spot ? t.on_demand_base.value_or(0) : 0;
  d.on_demand_percentage_above_base_capacity = spot ? t.percent_on_demand.value_or(0) : 100;
  d.on_demand_allocation_strategy = name(model::OnDemandStrategyOf(t));
  if (spot) {
    d.spot_allocation_strategy = name(model::SpotStrategyOf(t));
    d.spot_max_price = t.max_spot_price;
    d.spot_instance_pools = t.pools_count;
    // The one strategy both markets know: the user asked for the lowest price throughout.
    if (d.on_demand_allocation_strategy.empty() &&
        t.allocation_strategy == model::AllocationStrategy::kLowestPrice &&
        t.price_type == PriceType::kHeterogeneous) {
      d.on_demand_allocation_strategy = d.spot_allocation_strategy;
    }
  }
  policy.instances_distribution = d;
  r.mixed_instances_policy = std::move(policy);
  return r;
}

Result<AwsLaunchOutcome> AsgHandler::Launch(const AwsLaunchSpec& spec) {
  if (Status ok = CheckAsgTemplate(*spec.tmpl); !ok.ok()) return ok.error();
  Result<RequestLaunchTemplate> lt = EnsureRequestLaunchTemplate(client_, spec);
  if (!lt.ok()) return lt.error();
  Result<as::CreateGroupRequest> request = CreateGroupRequestFor(spec, *lt);
  if (!request.ok()) return request.error();

  Status created = as::CreateGroup(client_, *request);
  // kAlreadyExists: the name is this request's, so the group is the one an earlier call (whose
  // answer was lost) created. Adopt it.
  if (!created.ok() && created.error().kind() != ErrorKind::kAlreadyExists) {
    if (lt->owned && LaunchTemplateNoLongerNeeded(created.error())) {
      // Nothing will launch from the launch template: delete it, unless a group made by an earlier
      // call of this request exists after all. Best effort; the refusal is what the caller needs.
      Result<std::optional<as::Group>> group = FindGroup(client_, request->name);
      if (group.ok() && !group->has_value()) {
        model::Request owner;
        owner.id = spec.request_id;
        owner.created.launch_template_id = lt->id;
        (void)DeleteRequestLaunchTemplate(client_, owner);
      }
    }
    return created.error();
  }
  AwsLaunchOutcome out;
  out.resource_id = request->name;
  if (lt->owned) out.launch_template_id = lt->id;
  return out;  // the group launches its instances from now on: Observe() sees them
}

Result<AwsObservation> AsgHandler::Observe(const model::Request& request) {
  const std::string name = GroupNameOf(request);
  Result<std::optional<as::Group>> found = FindGroup(client_, name);
  if (!found.ok()) return found.error();
  Result<std::vector<Instance>> tagged = InstancesTaggedWith(client_, request.id);
  if (!tagged.ok()) return tagged.error();

  AwsObservation seen;
  seen.instances = std::move(*tagged);
  // No group (not created yet, or deleted): what carries the request's tag is all there is.
  if (!found->has_value()) {
    if (!request.created.resource_id.empty()) {
      const resilience::SysTime created = request.created_at;
      if (clock_.SystemNow() - created < kGroupVisibilityGrace) {
        seen.fulfilling = true;  // just created: Auto Scaling may not list it yet
      } else {
        seen.errors.push_back("Auto Scaling group " + request.created.resource_id +
                              " no longer exists");
      }
    }
    return seen;
  }
  const as::Group& g = **found;
  seen.resource_id = g.name;
  seen.launch_template_id = request.created.launch_template_id;
  if (request.created.resource_id.empty()) {
    // Found by name before the request recorded it (a lost answer): report its launch template
    // too, so that the service records both.
    Result<std::string> lt = FindRequestLaunchTemplate(client_, request.id);
    if (!lt.ok()) return lt.error();
    seen.launch_template_id = *lt;
  }

  // Members not found by tag (tags not applied yet, or the user's own launch template).
  std::set<std::string> known;
  for (const Instance& i : seen.instances) known.insert(i.instance_id);
  std::vector<std::string> untagged;
  for (const as::GroupInstance& i : g.instances) {
    if (known.count(i.instance_id) == 0) untagged.push_back(i.instance_id);
  }
  if (!untagged.empty()) {
    Result<std::vector<Instance>> more = DescribeByIds(client_, untagged);
    if (!more.ok()) return more.error();
    // Best effort: an instance left untagged now is tagged on the next poll; failing to tag (no
    // ec2:CreateTags permission, say) must not stop the request from being tracked.
    (void)TagUntagged(client_, *more, request.id, LaunchTagsOf(g));
    seen.instances.insert(seen.instances.end(), std::make_move_iterator(more->begin()),
                          std::make_move_iterator(more->end()));
  }

  seen.fulfilling = !g.IsBeingDeleted() && LiveUnits(g) < g.desired_capacity;
  if (seen.fulfilling) {
    // Why it is short (no capacity in a zone, a Spot price too low, a bad launch template...):
    // said in the request's message if it ends short.
    const resilience::SysTime created = request.created_at;
    Result<std::vector<std::string>> why = LaunchFailures(client_, g.name, created);
    if (why.ok()) {
      seen.errors = std::move(*why);
    } else {
      seen.errors.push_back("the group's scaling activities could not be read: " +
                            why.error().ToString());
    }
  }
  if (Weighted(g)) {
    double running = 0;
    for (const Instance& i : seen.instances) {
      const as::GroupInstance* member = MemberOf(g, i.instance_id);
      if (member != nullptr && InService(*member) && i.state == "running") {
        running += WeightOf(g, *member);
      }
    }
    seen.running_capacity = running;
  }
  return seen;
}

Status AsgHandler::Release(const model::Request& request,
                           const std::vector<std::string>& instance_ids) {
  if (instance_ids.empty()) return resilience::OkStatus();
  const std::string name = GroupNameOf(request);
  Result<std::optional<as::Group>> found = FindGroup(client_, name);
  if (!found.ok()) return found.error();
  if (found->has_value() && !(*found)->IsBeingDeleted()) {
    const as::Group& g = **found;
    Result<int> units = TakeOutOfGroup(client_, g, instance_ids);
    if (!units.ok()) return units.error();
    if (*units > 0 && Weighted(g)) {
      // AWS lowers DesiredCapacity "by the number of instances"; make sure it went down by their
      // units, without ever raising it.
      const int target = std::max(0, g.desired_capacity - *units);
      Result<std::optional<as::Group>> after = FindGroup(client_, name);
      if (!after.ok()) return after.error();
      if (after->has_value() && (*after)->desired_capacity > target) {
        Status lowered = as::UpdateGroup(client_, {.name = name, .desired_capacity = target});
        if (!lowered.ok() && lowered.error().kind() != ErrorKind::kNotFound) return lowered;
      }
    }
  }
  return TerminateExactly(client_, instance_ids);
}

Status AsgHandler::Shrink(const model::Request& request, int keep) {
  Result<std::optional<as::Group>> found = FindGroup(client_, GroupNameOf(request));
  if (!found.ok()) return found.error();
  if (!found->has_value() && !request.created.resource_id.empty()) {
    // Just created and not listed yet, it may still launch: not stopped yet, try again.
    const resilience::SysTime created = request.created_at;
    if (clock_.SystemNow() - created < kGroupVisibilityGrace) {
      return Error(ErrorKind::kTransient, "GroupNotVisibleYet",
                   "Auto Scaling group " + request.created.resource_id +
                       " is not listed yet; it cannot be lowered");
    }
  }
  if (keep <= 0) {
    // Nothing to keep: the request ends without a machine, so none will ever be returned to
    // trigger the cleanup. Delete the group and ohfp's launch template now.
    return Cleanup(request);
  }
  if (!found->has_value() || (*found)->IsBeingDeleted()) return resilience::OkStatus();
  const as::Group& g = **found;
  // With weights the target is in units: those of the instances the group has.
  const int wanted = Weighted(g) ? LiveUnits(g) : std::max(0, keep);
  const int target = std::min(wanted, g.desired_capacity);
  if (target == g.desired_capacity && target == g.max_size && g.min_size <= target) {
    return resilience::OkStatus();
  }
  Status s = as::UpdateGroup(client_, {.name = g.name,
                                       .min_size = std::min(g.min_size, target),
                                       .max_size = target,
                                       .desired_capacity = target});
  if (!s.ok() && s.error().kind() == ErrorKind::kNotFound) return resilience::OkStatus();
  return s;
}

Status AsgHandler::Cleanup(const model::Request& request) {
  Result<std::optional<as::Group>> found = FindGroup(client_, GroupNameOf(request));
  if (!found.ok()) return found.error();
  if (found->has_value() && !(*found)->IsBeingDeleted()) {
    // ForceDelete: the request holds no machine any more, so whatever is still in the group is no
    // instance HostFactory has (a replacement, or one whose release did not get through), and AWS
    // refuses to delete a group with instances (or activities) otherwise.
    Status gone = as::DeleteGroup(client_, {.name = (*found)->name, .force_delete = true});
    if (!gone.ok() && gone.error().kind() != ErrorKind::kNotFound) return gone;
  }
  return DeleteRequestLaunchTemplate(client_, request);
}

}  // namespace ohfp::provider
