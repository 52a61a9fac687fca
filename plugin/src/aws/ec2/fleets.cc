#include "aws/ec2/fleets.h"

#include <array>
#include <utility>

#include "aws/wire_names.h"
#include "ohfp/resilience/classifier.h"

namespace ohfp::aws::ec2 {
namespace {

using resilience::Error;
using resilience::Result;

// AWS's spelling of each enumeration, in the order of its values (fleets.h).
constexpr auto kFleetTypes = WireNamesOf<FleetType>("instant", "request", "maintain");
constexpr auto kCapacityTypes = WireNamesOf<CapacityType>("on-demand", "spot");
constexpr auto kExcessPolicies =
    WireNamesOf<ExcessCapacityTerminationPolicy>("termination", "no-termination");
constexpr auto kSpotStrategies = WireNamesOf<SpotAllocationStrategy>(
    "lowest-price", "diversified", "capacity-optimized", "capacity-optimized-prioritized",
    "price-capacity-optimized");
constexpr auto kOnDemandStrategies =
    WireNamesOf<OnDemandAllocationStrategy>("lowest-price", "prioritized");
constexpr auto kInterruptionBehaviors =
    WireNamesOf<InstanceInterruptionBehavior>("terminate", "stop", "hibernate");
constexpr auto kFleetStates =
    WireNamesOf<FleetState>("submitted", "active", "modifying", "deleted", "failed",
                            "deleted_running", "deleted_terminating");
constexpr auto kActivityStatuses = WireNamesOf<FleetActivityStatus>(
    "error", "pending_fulfillment", "pending_termination", "fulfilled");
constexpr auto kHealths = WireNamesOf<InstanceHealth>("healthy", "unhealthy");

// The value `text` names in `table`; nullopt when absent, or a value AWS added later.
template <class E, std::size_t N>
std::optional<E> FromWire(const std::optional<std::string>& text, const WireNames<E, N>& table) {
  if (!text) return std::nullopt;
  return ValueIn(table, *text);
}

FleetState StateOf(const std::optional<std::string>& text) {
  return FromWire(text, kFleetStates).value_or(FleetState::kUnknown);
}

// An error reported inside a successful answer (an errorSet item, an unsuccessful deletion). Its
// kind comes from the classifier's table, as for an error answer; there is no HTTP status of its
// own.
Error ItemError(std::string code, std::string message) {
  const resilience::ErrorKind kind = resilience::ErrorClassifier::KindOf(code, 0);
  return Error(kind, std::move(code), std::move(message));
}

void AddTargetCapacity(QueryParams& p, const TargetCapacity& t) {
  const std::string prefix = "TargetCapacitySpecification.";
  p.AddInt(prefix + "TotalTargetCapacity", t.total);
  if (t.on_demand) p.AddInt(prefix + "OnDemandTargetCapacity", *t.on_demand);
  if (t.spot) p.AddInt(prefix + "SpotTargetCapacity", *t.spot);
  if (t.default_type) p.AddString(prefix + "DefaultTargetCapacityType", WireName(*t.default_type));
}

void AddLaunchTemplateConfigs(QueryParams& p,
                              const std::vector<FleetLaunchTemplateConfig>& configs) {
  std::size_t n = 0;
  for (const FleetLaunchTemplateConfig& c : configs) {
    const std::string config = QueryParams::FlatKey("LaunchTemplateConfigs", ++n);
    const std::string spec = config + ".LaunchTemplateSpecification.";
    if (!c.launch_template.id.empty()) p.AddString(spec + "LaunchTemplateId", c.launch_template.id);
    if (!c.launch_template.name.empty())
      p.AddString(spec + "LaunchTemplateName", c.launch_template.name);
    if (!c.launch_template.version.empty())
      p.AddString(spec + "Version", c.launch_template.version);
    std::size_t m = 0;
    for (const FleetOverride& o : c.overrides) {
      const std::string override_key = QueryParams::FlatKey(config + ".Overrides", ++m) + ".";
      if (!o.instance_type.empty()) p.AddString(override_key + "InstanceType", o.instance_type);
      if (!o.subnet_id.empty()) p.AddString(override_key + "SubnetId", o.subnet_id);
      if (!o.availability_zone.empty())
        p.AddString(override_key + "AvailabilityZone", o.availability_zone);
      if (o.weighted_capacity) p.AddDouble(override_key + "WeightedCapacity", *o.weighted_capacity);
      if (o.priority) p.AddDouble(override_key + "Priority", *o.priority);
      if (!o.max_price.empty()) p.AddString(override_key + "MaxPrice", o.max_price);
    }
  }
}

FleetOverride ParseOverride(XmlNode node) {
  FleetOverride o;
  o.instance_type = node.ChildText("instanceType").value_or("");
  o.subnet_id = node.ChildText("subnetId").value_or("");
  o.availability_zone = node.ChildText("availabilityZone").value_or("");
  if (auto w = node.ChildDouble("weightedCapacity"); w.ok()) o.weighted_capacity = *w;
  if (auto p = node.ChildDouble("priority"); p.ok()) o.priority = *p;
  o.max_price = node.ChildText("maxPrice").value_or("");
  return o;
}

LaunchTemplateAndOverrides ParseLaunchTemplateAndOverrides(XmlNode node) {
  LaunchTemplateAndOverrides out;
  const XmlNode spec = node.Child("launchTemplateSpecification");
  out.launch_template.id = spec.ChildText("launchTemplateId").value_or("");
  out.launch_template.name = spec.ChildText("launchTemplateName").value_or("");
  out.launch_template.version = spec.ChildText("version").value_or("");
  out.overrides = ParseOverride(node.Child("overrides"));
  return out;
}

std::vector<FleetLaunchedInstances> ParseFleetInstanceSet(XmlNode set) {
  std::vector<FleetLaunchedInstances> out;
  for (const XmlNode& item : set.Children("item")) {
    FleetLaunchedInstances launched;
    for (const XmlNode& id : item.Child("instanceIds").Children("item")) {
      if (std::string text = id.Text(); !text.empty())
        launched.instance_ids.push_back(std::move(text));
    }
    launched.instance_type = item.ChildText("instanceType").value_or("");
    launched.lifecycle = FromWire(item.ChildText("lifecycle"), kCapacityTypes);
    launched.launched_from =
        ParseLaunchTemplateAndOverrides(item.Child("launchTemplateAndOverrides"));
    out.push_back(std::move(launched));
  }
  return out;
}

std::vector<FleetError> ParseErrorSet(XmlNode set) {
  std::vector<FleetError> out;
  for (const XmlNode& item : set.Children("item")) {
    FleetError e;
    e.error = ItemError(item.ChildText("errorCode").value_or(""),
                        item.ChildText("errorMessage").value_or(""));
    e.lifecycle = FromWire(item.ChildText("lifecycle"), kCapacityTypes);
    e.launched_from = ParseLaunchTemplateAndOverrides(item.Child("launchTemplateAndOverrides"));
    out.push_back(std::move(e));
  }
  return out;
}

std::optional<resilience::SysTime> OptionalTimestamp(XmlNode node) {
  if (!node) return std::nullopt;
  if (auto when = node.AsTimestamp(); when.ok()) return *when;
  return std::nullopt;
}

Result<Fleet> ParseFleet(XmlNode item) {
  Fleet f;
  f.fleet_id = item.ChildText("fleetId").value_or("");
  if (f.fleet_id.empty()) return UnexpectedResponse("a fleet item without fleetId");
  f.state = StateOf(item.ChildText("fleetState"));
  f.activity_status = FromWire(item.ChildText("activityStatus"), kActivityStatuses);
  f.type = FromWire(item.ChildText("type"), kFleetTypes);
  const XmlNode target = item.Child("targetCapacitySpecification");
  f.target_capacity.total = static_cast<int>(target.ChildInt64("totalTargetCapacity").value_or(0));
  if (auto v = target.ChildInt64("onDemandTargetCapacity"); v.ok())
    f.target_capacity.on_demand = static_cast<int>(*v);
  if (auto v = target.ChildInt64("spotTargetCapacity"); v.ok())
    f.target_capacity.spot = static_cast<int>(*v);
  f.target_capacity.default_type =
      FromWire(target.ChildText("defaultTargetCapacityType"), kCapacityTypes);
  f.fulfilled_capacity = item.ChildDouble("fulfilledCapacity").value_or(0.0);
  f.fulfilled_on_demand_capacity = item.ChildDouble("fulfilledOnDemandCapacity").value_or(0.0);
  f.excess_capacity_termination_policy =
      FromWire(item.ChildText("excessCapacityTerminationPolicy"), kExcessPolicies);
  f.client_token = item.ChildText("clientToken").value_or("");
  f.create_time = OptionalTimestamp(item.Child("createTime"));
  f.valid_until = OptionalTimestamp(item.Child("validUntil"));
  f.tags = ParseTags(item.Child("tagSet"));
  f.errors = ParseErrorSet(item.Child("errorSet"));
  f.instances = ParseFleetInstanceSet(item.Child("fleetInstanceSet"));
  return f;
}

}  // namespace

std::string_view WireName(FleetType value) noexcept { return NameIn(kFleetTypes, value); }
std::string_view WireName(CapacityType value) noexcept { return NameIn(kCapacityTypes, value); }
std::string_view WireName(ExcessCapacityTerminationPolicy value) noexcept {
  return NameIn(kExcessPolicies, value);
}
std::string_view WireName(SpotAllocationStrategy value) noexcept {
  return NameIn(kSpotStrategies, value);
}
std::string_view WireName(OnDemandAllocationStrategy value) noexcept {
  return NameIn(kOnDemandStrategies, value);
}
std::string_view WireName(InstanceInterruptionBehavior value) noexcept {
  return NameIn(kInterruptionBehaviors, value);
}
std::string_view WireName(FleetState value) noexcept { return NameIn(kFleetStates, value); }
std::string_view WireName(FleetActivityStatus value) noexcept {
  return NameIn(kActivityStatuses, value);
}
std::string_view WireName(InstanceHealth value) noexcept { return NameIn(kHealths, value); }

InstanceHealth InstanceHealthNamed(std::string_view name) noexcept {
  return ValueIn(kHealths, name).value_or(InstanceHealth::kUnknown);
}

bool IsDeleted(FleetState state) noexcept {
  return state == FleetState::kDeleted || state == FleetState::kDeletedRunning ||
         state == FleetState::kDeletedTerminating;
}

std::vector<std::string> CreateFleetResult::InstanceIds() const {
  std::vector<std::string> ids;
  for (const FleetLaunchedInstances& launched : instances) {
    ids.insert(ids.end(), launched.instance_ids.begin(), launched.instance_ids.end());
  }
  return ids;
}

std::optional<std::string> Fleet::TagValue(std::string_view key) const {
  return TagValueIn(tags, key);
}

Result<CreateFleetResult> CreateFleet(AwsClient& client, const CreateFleetRequest& r,
                                      std::stop_token stop) {
  QueryParams p;
  if (!r.client_token.empty()) p.AddString("ClientToken", r.client_token);
  p.AddString("Type", WireName(r.type));
  AddTargetCapacity(p, r.target_capacity);
  AddLaunchTemplateConfigs(p, r.launch_template_configs);
  if (r.spot_allocation_strategy) {
    p.AddString("SpotOptions.AllocationStrategy", WireName(*r.spot_allocation_strategy));
  }
  if (r.spot_interruption_behavior) {
    p.AddString("SpotOptions.InstanceInterruptionBehavior",
                WireName(*r.spot_interruption_behavior));
  }
  if (r.spot_instance_pools_to_use_count) {
    p.AddInt("SpotOptions.InstancePoolsToUseCount", *r.spot_instance_pools_to_use_count);
  }
  if (r.on_demand_allocation_strategy) {
    p.AddString("OnDemandOptions.AllocationStrategy", WireName(*r.on_demand_allocation_strategy));
  }
  if (r.excess_capacity_termination_policy) {
    p.AddString("ExcessCapacityTerminationPolicy", WireName(*r.excess_capacity_termination_policy));
  }
  if (r.terminate_instances_with_expiration) {
    p.AddBool("TerminateInstancesWithExpiration", *r.terminate_instances_with_expiration);
  }
  if (r.valid_until) p.AddTimestamp("ValidUntil", *r.valid_until);
  int tag_spec = 0;
  if (!r.tags.empty()) AddTagSpecification(p, ++tag_spec, "fleet", r.tags);
  if (!r.instance_tags.empty()) AddTagSpecification(p, ++tag_spec, "instance", r.instance_tags);

  Result<XmlDocument> doc =
      client.Create(AwsService::kEc2, "CreateFleet", p, "ec2_create_fleet", std::move(stop));
  if (!doc.ok()) return doc.error();
  const XmlNode root = doc->Root();
  CreateFleetResult result;
  result.fleet_id = root.ChildText("fleetId").value_or("");
  if (result.fleet_id.empty()) return UnexpectedResponse("CreateFleet answered without fleetId");
  result.instances = ParseFleetInstanceSet(root.Child("fleetInstanceSet"));
  result.errors = ParseErrorSet(root.Child("errorSet"));
  return result;
}

Result<std::vector<Fleet>> DescribeFleets(AwsClient& client, const DescribeFleetsRequest& r,
                                          std::stop_token stop) {
  QueryParams p;
  p.AddFlatList("FleetId", r.fleet_ids);
  AddFilters(p, r.filters);
  return client.CollectPages<Fleet>(AwsService::kEc2, "DescribeFleets", std::move(p),
                                    "ec2_describe_fleets", {.set = "fleetSet"}, ParseFleet,
                                    std::move(stop));
}

Result<std::vector<FleetInstance>> DescribeFleetInstances(AwsClient& client,
                                                          const std::string& fleet_id,
                                                          std::stop_token stop) {
  QueryParams p;
  p.AddString("FleetId", fleet_id);
  const auto parse = [](const XmlNode& item) -> Result<FleetInstance> {
    FleetInstance i;
    i.instance_id = item.ChildText("instanceId").value_or("");
    if (i.instance_id.empty())
      return UnexpectedResponse("a fleet instance item without instanceId");
    i.instance_type = item.ChildText("instanceType").value_or("");
    i.spot_instance_request_id = item.ChildText("spotInstanceRequestId").value_or("");
    i.health = InstanceHealthNamed(item.ChildText("instanceHealth").value_or(""));
    return i;
  };
  return client.CollectPages<FleetInstance>(AwsService::kEc2, "DescribeFleetInstances",
                                            std::move(p), "ec2_describe_fleet_instances",
                                            {.set = "activeInstanceSet"}, parse, std::move(stop));
}

resilience::Status ModifyFleet(AwsClient& client, const ModifyFleetRequest& r,
                               std::stop_token stop) {
  QueryParams p;
  p.AddString("FleetId", r.fleet_id);
  if (r.target_capacity) AddTargetCapacity(p, *r.target_capacity);
  if (r.excess_capacity_termination_policy) {
    p.AddString("ExcessCapacityTerminationPolicy", WireName(*r.excess_capacity_termination_policy));
  }
  Result<XmlDocument> doc =
      client.Call(AwsService::kEc2, "ModifyFleet", p, "ec2_modify_fleet", std::move(stop));
  if (!doc.ok()) return doc.error();
  Result<bool> accepted = doc->Root().ChildBool("return");
  if (!accepted.ok()) return UnexpectedResponse("ModifyFleet answered without a boolean <return>");
  if (!*accepted)
    return UnexpectedResponse("ModifyFleet answered <return>false</return> without an error");
  return resilience::OkStatus();
}

Result<DeleteFleetsResult> DeleteFleets(AwsClient& client, const DeleteFleetsRequest& r,
                                        std::stop_token stop) {
  if (r.fleet_ids.empty()) return DeleteFleetsResult{};
  QueryParams p;
  p.AddFlatList("FleetId", r.fleet_ids);
  p.AddBool("TerminateInstances", r.terminate_instances);
  Result<XmlDocument> doc =
      client.Call(AwsService::kEc2, "DeleteFleets", p, "ec2_delete_fleets", std::move(stop));
  if (!doc.ok()) return doc.error();
  const XmlNode root = doc->Root();
  DeleteFleetsResult result;
  for (const XmlNode& item : root.Child("successfulFleetDeletionSet").Children("item")) {
    FleetDeletion d;
    d.fleet_id = item.ChildText("fleetId").value_or("");
    if (d.fleet_id.empty())
      return UnexpectedResponse("a successful fleet deletion without fleetId");
    d.current_state = StateOf(item.ChildText("currentFleetState"));
    d.previous_state = StateOf(item.ChildText("previousFleetState"));
    result.successful.push_back(std::move(d));
  }
  for (const XmlNode& item : root.Child("unsuccessfulFleetDeletionSet").Children("item")) {
    FleetDeletionError e;
    e.fleet_id = item.ChildText("fleetId").value_or("");
    if (e.fleet_id.empty())
      return UnexpectedResponse("an unsuccessful fleet deletion without fleetId");
    const XmlNode error = item.Child("error");
    e.error =
        ItemError(error.ChildText("code").value_or(""), error.ChildText("message").value_or(""));
    result.unsuccessful.push_back(std::move(e));
  }
  return result;
}

}  // namespace ohfp::aws::ec2
