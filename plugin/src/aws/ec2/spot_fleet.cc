#include "aws/ec2/spot_fleet.h"

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "aws/wire_names.h"
#include "ohfp/resilience/classifier.h"

namespace ohfp::aws::ec2 {
namespace {

using resilience::ErrorKind;
using resilience::Result;
using resilience::Status;
using resilience::SysTime;

constexpr std::string_view kConfig = "SpotFleetRequestConfig";
// The largest page DescribeSpotFleetRequests, DescribeSpotFleetInstances and
// DescribeSpotFleetRequestHistory allow.
constexpr int kMaxResults = 1000;

// AWS's spelling of each enumeration, in the order of its values (spot_fleet.h).
constexpr auto kStrategies = WireNamesOf<SpotFleetAllocationStrategy>(
    "lowestPrice", "diversified", "capacityOptimized", "capacityOptimizedPrioritized",
    "priceCapacityOptimized");
constexpr auto kOnDemandStrategies =
    WireNamesOf<SpotFleetOnDemandAllocationStrategy>("lowestPrice", "prioritized");
constexpr auto kTypes = WireNamesOf<SpotFleetType>("request", "maintain");
constexpr auto kPolicies =
    WireNamesOf<SpotFleetExcessCapacityTerminationPolicy>("default", "noTermination");
constexpr auto kStates =
    WireNamesOf<SpotFleetState>("submitted", "active", "cancelled", "failed", "cancelled_running",
                                "cancelled_terminating", "modifying");
constexpr auto kActivityStatuses = WireNamesOf<SpotFleetActivityStatus>(
    "error", "pending_fulfillment", "pending_termination", "fulfilled");
constexpr auto kEventTypes =
    WireNamesOf<SpotFleetEventType>("instanceChange", "fleetRequestChange", "error", "information");

// The enumeration value of child `name`: nullopt when the child is absent or empty, `otherwise`
// when its text is not a value this code knows.
template <class E, std::size_t N>
std::optional<E> OptionalEnum(XmlNode parent, std::string_view name, const WireNames<E, N>& table,
                              E otherwise) {
  const std::optional<std::string> text = parent.ChildText(name);
  if (!text || text->empty()) return std::nullopt;
  return ValueIn(table, *text).value_or(otherwise);
}

// For enumerations without kUnknown: nullopt when the child is absent, empty, or not a value this
// code knows.
template <class E, std::size_t N>
std::optional<E> KnownEnum(XmlNode parent, std::string_view name, const WireNames<E, N>& table) {
  const std::optional<std::string> text = parent.ChildText(name);
  if (!text) return std::nullopt;
  return ValueIn(table, *text);
}

// An optional typed child, read with `read` (XmlNode::AsDouble, ...): nullopt when absent or
// empty, kInternal "UnexpectedResponse" when present and malformed.
template <class T>
Result<std::optional<T>> OptionalChild(XmlNode parent, std::string_view name,
                                       Result<T> (XmlNode::*read)() const) {
  const XmlNode child = parent.Child(name);
  if (!child || child.Text().empty()) return std::optional<T>();
  Result<T> value = (child.*read)();
  if (!value.ok()) {
    return UnexpectedResponse("<" + std::string(name) +
                              ">: " + std::string(value.error().message()));
  }
  return std::optional<T>(std::move(*value));
}

void AddTagSpecificationAt(QueryParams& p, const std::string& prefix,
                           std::string_view resource_type, const std::vector<Tag>& tags) {
  if (tags.empty()) return;
  p.AddString(prefix + ".ResourceType", resource_type);
  AddTags(p, prefix + ".Tag", tags);
}

void AddLaunchSpecification(QueryParams& p, const std::string& prefix,
                            const SpotFleetLaunchSpecification& s) {
  if (!s.image_id.empty()) p.AddString(prefix + ".ImageId", s.image_id);
  if (!s.instance_type.empty()) p.AddString(prefix + ".InstanceType", s.instance_type);
  if (!s.subnet_id.empty()) p.AddString(prefix + ".SubnetId", s.subnet_id);
  if (!s.key_name.empty()) p.AddString(prefix + ".KeyName", s.key_name);
  std::size_t g = 0;
  for (const std::string& group : s.security_group_ids) {
    p.AddString(QueryParams::FlatKey(prefix + ".GroupSet", ++g) + ".GroupId", group);
  }
  if (!s.user_data.empty()) p.AddString(prefix + ".UserData", Base64Encode(s.user_data));
  if (!s.iam_instance_profile.empty()) {
    p.AddString(prefix + (s.iam_instance_profile.starts_with("arn:") ? ".IamInstanceProfile.Arn"
                                                                     : ".IamInstanceProfile.Name"),
                s.iam_instance_profile);
  }
  if (s.weighted_capacity) p.AddDouble(prefix + ".WeightedCapacity", *s.weighted_capacity);
  if (!s.spot_price.empty()) p.AddString(prefix + ".SpotPrice", s.spot_price);
  if (s.root_volume) AddEbsMapping(p, prefix + ".BlockDeviceMapping.1", *s.root_volume);
  AddTagSpecificationAt(p, prefix + ".TagSpecificationSet.1", "instance", s.tags);
}

void AddLaunchTemplateConfig(QueryParams& p, const std::string& prefix,
                             const SpotFleetLaunchTemplateConfig& c) {
  const std::string spec = prefix + ".LaunchTemplateSpecification";
  if (!c.launch_template.id.empty()) p.AddString(spec + ".LaunchTemplateId", c.launch_template.id);
  if (!c.launch_template.name.empty()) {
    p.AddString(spec + ".LaunchTemplateName", c.launch_template.name);
  }
  if (!c.launch_template.version.empty()) p.AddString(spec + ".Version", c.launch_template.version);
  std::size_t m = 0;
  for (const SpotFleetLaunchTemplateOverrides& o : c.overrides) {
    const std::string key = QueryParams::FlatKey(prefix + ".Overrides", ++m);
    if (!o.instance_type.empty()) p.AddString(key + ".InstanceType", o.instance_type);
    if (!o.subnet_id.empty()) p.AddString(key + ".SubnetId", o.subnet_id);
    if (!o.availability_zone.empty()) p.AddString(key + ".AvailabilityZone", o.availability_zone);
    if (o.weighted_capacity) p.AddDouble(key + ".WeightedCapacity", *o.weighted_capacity);
    if (!o.spot_price.empty()) p.AddString(key + ".SpotPrice", o.spot_price);
    if (o.priority) p.AddDouble(key + ".Priority", *o.priority);
  }
}

// One <item> of spotFleetRequestConfigSet.
Result<SpotFleetRequestDescription> ParseDescription(XmlNode item) {
  SpotFleetRequestDescription d;
  d.spot_fleet_request_id = item.ChildText("spotFleetRequestId").value_or("");
  if (d.spot_fleet_request_id.empty()) {
    return UnexpectedResponse("a Spot Fleet request item without spotFleetRequestId");
  }
  const std::optional<SpotFleetState> state =
      OptionalEnum(item, "spotFleetRequestState", kStates, SpotFleetState::kUnknown);
  if (!state) {
    return UnexpectedResponse("Spot Fleet request " + d.spot_fleet_request_id +
                              " without spotFleetRequestState");
  }
  d.state = *state;
  d.activity_status =
      OptionalEnum(item, "activityStatus", kActivityStatuses, SpotFleetActivityStatus::kUnknown);
  Result<std::optional<SysTime>> create_time =
      OptionalChild(item, "createTime", &XmlNode::AsTimestamp);
  if (!create_time.ok()) return create_time.error();
  d.create_time = *create_time;
  d.tags = ParseTags(item.Child("tagSet"));

  const XmlNode config = item.Child("spotFleetRequestConfig");
  Result<std::optional<std::int64_t>> target =
      OptionalChild(config, "targetCapacity", &XmlNode::AsInt64);
  if (!target.ok()) return target.error();
  d.target_capacity = static_cast<int>(target->value_or(0));
  Result<std::optional<std::int64_t>> on_demand_target =
      OptionalChild(config, "onDemandTargetCapacity", &XmlNode::AsInt64);
  if (!on_demand_target.ok()) return on_demand_target.error();
  d.on_demand_target_capacity = static_cast<int>(on_demand_target->value_or(0));
  Result<std::optional<double>> fulfilled =
      OptionalChild(config, "fulfilledCapacity", &XmlNode::AsDouble);
  if (!fulfilled.ok()) return fulfilled.error();
  d.fulfilled_capacity = fulfilled->value_or(0.0);
  Result<std::optional<double>> on_demand_fulfilled =
      OptionalChild(config, "onDemandFulfilledCapacity", &XmlNode::AsDouble);
  if (!on_demand_fulfilled.ok()) return on_demand_fulfilled.error();
  d.on_demand_fulfilled_capacity = on_demand_fulfilled->value_or(0.0);
  // A type, strategy or policy this code does not know is left unset rather than guessed.
  d.type = KnownEnum(config, "type", kTypes);
  d.allocation_strategy = KnownEnum(config, "allocationStrategy", kStrategies);
  d.excess_capacity_termination_policy =
      KnownEnum(config, "excessCapacityTerminationPolicy", kPolicies);
  Result<std::optional<SysTime>> valid_until =
      OptionalChild(config, "validUntil", &XmlNode::AsTimestamp);
  if (!valid_until.ok()) return valid_until.error();
  d.valid_until = *valid_until;
  d.client_token = config.ChildText("clientToken").value_or("");
  return d;
}

}  // namespace

std::string_view WireName(SpotFleetAllocationStrategy value) noexcept {
  return NameIn(kStrategies, value);
}
std::string_view WireName(SpotFleetOnDemandAllocationStrategy value) noexcept {
  return NameIn(kOnDemandStrategies, value);
}
std::string_view WireName(SpotFleetType value) noexcept { return NameIn(kTypes, value); }
std::string_view WireName(SpotFleetExcessCapacityTerminationPolicy value) noexcept {
  return NameIn(kPolicies, value);
}
std::string_view WireName(SpotFleetState value) noexcept { return NameIn(kStates, value); }
std::string_view WireName(SpotFleetActivityStatus value) noexcept {
  return NameIn(kActivityStatuses, value);
}
std::string_view WireName(SpotFleetEventType value) noexcept { return NameIn(kEventTypes, value); }

bool IsCancelledOrFailed(SpotFleetState state) noexcept {
  return state == SpotFleetState::kCancelled || state == SpotFleetState::kFailed ||
         state == SpotFleetState::kCancelledRunning ||
         state == SpotFleetState::kCancelledTerminating;
}

Result<std::string> RequestSpotFleet(AwsClient& client, const RequestSpotFleetRequest& r,
                                     std::stop_token stop) {
  QueryParams p;
  const std::string c(kConfig);
  if (!r.client_token.empty()) p.AddString(c + ".ClientToken", r.client_token);
  if (!r.iam_fleet_role.empty()) p.AddString(c + ".IamFleetRole", r.iam_fleet_role);
  p.AddInt(c + ".TargetCapacity", r.target_capacity);
  if (r.on_demand_target_capacity) {
    p.AddInt(c + ".OnDemandTargetCapacity", *r.on_demand_target_capacity);
  }
  p.AddString(c + ".AllocationStrategy", WireName(r.allocation_strategy));
  if (r.on_demand_allocation_strategy) {
    p.AddString(c + ".OnDemandAllocationStrategy", WireName(*r.on_demand_allocation_strategy));
  }
  if (r.type) p.AddString(c + ".Type", WireName(*r.type));
  if (r.valid_until) p.AddTimestamp(c + ".ValidUntil", *r.valid_until);
  if (r.terminate_instances_with_expiration) {
    p.AddBool(c + ".TerminateInstancesWithExpiration", *r.terminate_instances_with_expiration);
  }
  if (r.excess_capacity_termination_policy) {
    p.AddString(c + ".ExcessCapacityTerminationPolicy",
                WireName(*r.excess_capacity_termination_policy));
  }
  if (!r.spot_price.empty()) p.AddString(c + ".SpotPrice", r.spot_price);
  if (r.instance_pools_to_use_count) {
    p.AddInt(c + ".InstancePoolsToUseCount", *r.instance_pools_to_use_count);
  }
  if (r.instance_interruption_behavior) {
    p.AddString(c + ".InstanceInterruptionBehavior", WireName(*r.instance_interruption_behavior));
  }
  AddTagSpecificationAt(p, c + ".TagSpecification.1", "spot-fleet-request", r.tags);
  std::size_t n = 0;
  for (const SpotFleetLaunchSpecification& s : r.launch_specifications) {
    AddLaunchSpecification(p, QueryParams::FlatKey(c + ".LaunchSpecifications", ++n), s);
  }
  n = 0;
  for (const SpotFleetLaunchTemplateConfig& config : r.launch_template_configs) {
    AddLaunchTemplateConfig(p, QueryParams::FlatKey(c + ".LaunchTemplateConfigs", ++n), config);
  }
  Result<XmlDocument> doc =
      client.Create(AwsService::kEc2, "RequestSpotFleet", p, "spot_fleet_request", std::move(stop));
  if (!doc.ok()) return doc.error();
  std::string id = doc->Root().ChildText("spotFleetRequestId").value_or("");
  if (id.empty()) return UnexpectedResponse("RequestSpotFleet answered without spotFleetRequestId");
  return id;
}

Result<std::vector<SpotFleetRequestDescription>> DescribeSpotFleetRequests(
    AwsClient& client, const DescribeSpotFleetRequestsRequest& r, std::stop_token stop) {
  QueryParams p;
  p.AddFlatList("SpotFleetRequestId", r.spot_fleet_request_ids);
  if (r.spot_fleet_request_ids.empty()) p.AddInt("MaxResults", kMaxResults);
  return client.CollectPages<SpotFleetRequestDescription>(
      AwsService::kEc2, "DescribeSpotFleetRequests", std::move(p), "spot_fleet_describe",
      {.set = "spotFleetRequestConfigSet"}, ParseDescription, std::move(stop));
}

Result<std::optional<SpotFleetRequestDescription>> FindSpotFleetRequest(
    AwsClient& client, const std::string& spot_fleet_request_id, std::stop_token stop) {
  Result<std::vector<SpotFleetRequestDescription>> all = DescribeSpotFleetRequests(
      client, DescribeSpotFleetRequestsRequest{.spot_fleet_request_ids = {spot_fleet_request_id}},
      std::move(stop));
  if (!all.ok()) {
    if (all.error().kind() == ErrorKind::kNotFound) {
      return std::optional<SpotFleetRequestDescription>();
    }
    return all.error();
  }
  for (SpotFleetRequestDescription& d : *all) {
    if (d.spot_fleet_request_id == spot_fleet_request_id) return std::optional(std::move(d));
  }
  return std::optional<SpotFleetRequestDescription>();
}

Result<std::vector<SpotFleetInstance>> DescribeSpotFleetInstances(
    AwsClient& client, const std::string& spot_fleet_request_id, std::stop_token stop) {
  QueryParams p;
  p.AddString("SpotFleetRequestId", spot_fleet_request_id).AddInt("MaxResults", kMaxResults);
  const auto parse = [](const XmlNode& item) -> Result<SpotFleetInstance> {
    SpotFleetInstance i;
    i.instance_id = item.ChildText("instanceId").value_or("");
    if (i.instance_id.empty()) {
      return UnexpectedResponse("a Spot Fleet active instance item without instanceId");
    }
    i.instance_type = item.ChildText("instanceType").value_or("");
    i.spot_instance_request_id = item.ChildText("spotInstanceRequestId").value_or("");
    const std::optional<std::string> health = item.ChildText("instanceHealth");
    if (health && !health->empty()) i.instance_health = InstanceHealthNamed(*health);
    return i;
  };
  return client.CollectPages<SpotFleetInstance>(
      AwsService::kEc2, "DescribeSpotFleetInstances", std::move(p), "spot_fleet_describe_instances",
      {.set = "activeInstanceSet"}, parse, std::move(stop));
}

Result<SpotFleetHistory> DescribeSpotFleetRequestHistory(
    AwsClient& client, const DescribeSpotFleetRequestHistoryRequest& r, std::stop_token stop) {
  assert(!r.event_type || *r.event_type != SpotFleetEventType::kUnknown);
  QueryParams p;
  p.AddString("SpotFleetRequestId", r.spot_fleet_request_id)
      .AddTimestamp("StartTime", r.start_time);
  if (r.event_type && *r.event_type != SpotFleetEventType::kUnknown) {
    p.AddString("EventType", WireName(*r.event_type));
  }
  p.AddInt("MaxResults", kMaxResults);
  SpotFleetHistory out;
  Status s = client.CallPages(
      AwsService::kEc2, "DescribeSpotFleetRequestHistory", p, "spot_fleet_describe_history",
      [&](XmlNode result) -> Status {
        for (const XmlNode& item : result.Child("historyRecordSet").Children("item")) {
          SpotFleetHistoryRecord record;
          Result<std::optional<SysTime>> when =
              OptionalChild(item, "timestamp", &XmlNode::AsTimestamp);
          if (!when.ok()) return when.error();
          record.timestamp = *when;
          record.event_type =
              OptionalEnum(item, "eventType", kEventTypes, SpotFleetEventType::kUnknown)
                  .value_or(SpotFleetEventType::kUnknown);
          const XmlNode info = item.Child("eventInformation");
          record.event_sub_type = info.ChildText("eventSubType").value_or("");
          record.event_description = info.ChildText("eventDescription").value_or("");
          record.instance_id = info.ChildText("instanceId").value_or("");
          out.records.push_back(std::move(record));
        }
        Result<std::optional<SysTime>> last =
            OptionalChild(result, "lastEvaluatedTime", &XmlNode::AsTimestamp);
        if (!last.ok()) return last.error();
        if (*last) out.last_evaluated_time = *last;
        return resilience::OkStatus();
      },
      std::move(stop));
  if (!s.ok()) return s.error();
  return out;
}

Status ModifySpotFleetRequest(AwsClient& client, const ModifySpotFleetRequestRequest& r,
                              std::stop_token stop) {
  QueryParams p;
  p.AddString("SpotFleetRequestId", r.spot_fleet_request_id);
  if (r.target_capacity) p.AddInt("TargetCapacity", *r.target_capacity);
  if (r.on_demand_target_capacity) p.AddInt("OnDemandTargetCapacity", *r.on_demand_target_capacity);
  if (r.excess_capacity_termination_policy) {
    p.AddString("ExcessCapacityTerminationPolicy", WireName(*r.excess_capacity_termination_policy));
  }
  Result<XmlDocument> doc = client.Call(AwsService::kEc2, "ModifySpotFleetRequest", p,
                                        "spot_fleet_modify", std::move(stop));
  if (!doc.ok()) return doc.error();
  const XmlNode ret = doc->Root().Child("return");
  if (!ret) return UnexpectedResponse("ModifySpotFleetRequest answered without <return>");
  Result<bool> accepted = ret.AsBool();
  if (!accepted.ok()) {
    return UnexpectedResponse("ModifySpotFleetRequest <return>: " +
                              std::string(accepted.error().message()));
  }
  if (!*accepted)
    return UnexpectedResponse("ModifySpotFleetRequest answered <return>false</return>");
  return resilience::OkStatus();
}

Result<CancelSpotFleetRequestsResult> CancelSpotFleetRequests(
    AwsClient& client, const CancelSpotFleetRequestsRequest& r, std::stop_token stop) {
  if (r.spot_fleet_request_ids.empty()) return CancelSpotFleetRequestsResult{};
  QueryParams p;
  p.AddFlatList("SpotFleetRequestId", r.spot_fleet_request_ids);
  p.AddBool("TerminateInstances", r.terminate_instances);
  Result<XmlDocument> doc = client.Call(AwsService::kEc2, "CancelSpotFleetRequests", p,
                                        "spot_fleet_cancel", std::move(stop));
  if (!doc.ok()) return doc.error();
  const XmlNode root = doc->Root();
  CancelSpotFleetRequestsResult out;
  for (const XmlNode& item : root.Child("successfulFleetRequestSet").Children("item")) {
    SpotFleetCancelled c;
    c.spot_fleet_request_id = item.ChildText("spotFleetRequestId").value_or("");
    if (c.spot_fleet_request_id.empty()) {
      return UnexpectedResponse("a cancelled Spot Fleet item without spotFleetRequestId");
    }
    c.current_state =
        OptionalEnum(item, "currentSpotFleetRequestState", kStates, SpotFleetState::kUnknown)
            .value_or(SpotFleetState::kUnknown);
    c.previous_state =
        OptionalEnum(item, "previousSpotFleetRequestState", kStates, SpotFleetState::kUnknown)
            .value_or(SpotFleetState::kUnknown);
    out.successful.push_back(std::move(c));
  }
  for (const XmlNode& item : root.Child("unsuccessfulFleetRequestSet").Children("item")) {
    SpotFleetNotCancelled n;
    n.spot_fleet_request_id = item.ChildText("spotFleetRequestId").value_or("");
    if (n.spot_fleet_request_id.empty()) {
      return UnexpectedResponse("an uncancelled Spot Fleet item without spotFleetRequestId");
    }
    const XmlNode error = item.Child("error");
    std::string code = error.ChildText("code").value_or("");
    // The kind comes from the one classifier table, never from looking at the code here.
    const ErrorKind kind = resilience::ErrorClassifier::KindOf(code, 0);
    n.error = resilience::Error(kind, std::move(code), error.ChildText("message").value_or(""));
    out.unsuccessful.push_back(std::move(n));
  }
  return out;
}

}  // namespace ohfp::aws::ec2
