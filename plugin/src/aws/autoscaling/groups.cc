#include "aws/autoscaling/groups.h"

#include <algorithm>
#include <cassert>
#include <cstdint>
#include <iterator>
#include <span>
#include <utility>

namespace ohfp::aws::autoscaling {
namespace {

using resilience::Error;
using resilience::ErrorKind;
using resilience::Result;
using resilience::Status;

// ---- Requests -----------------------------------------------------------------------------------

void AddLaunchTemplate(QueryParams& p, const std::string& prefix,
                       const LaunchTemplateSpecification& lt) {
  if (!lt.id.empty()) p.AddString(prefix + ".LaunchTemplateId", lt.id);
  if (!lt.name.empty()) p.AddString(prefix + ".LaunchTemplateName", lt.name);
  if (!lt.version.empty()) p.AddString(prefix + ".Version", lt.version);
}

void AddMixedInstancesPolicy(QueryParams& p, const MixedInstancesPolicy& policy) {
  AddLaunchTemplate(p, "MixedInstancesPolicy.LaunchTemplate.LaunchTemplateSpecification",
                    policy.launch_template);
  std::size_t n = 0;
  for (const InstanceTypeOverride& o : policy.overrides) {
    const std::string key =
        QueryParams::MemberKey("MixedInstancesPolicy.LaunchTemplate.Overrides", ++n);
    p.AddString(key + ".InstanceType", o.instance_type);
    if (o.weighted_capacity) p.AddInt(key + ".WeightedCapacity", *o.weighted_capacity);
  }
  if (!policy.instances_distribution) return;
  const InstancesDistribution& d = *policy.instances_distribution;
  const std::string prefix = "MixedInstancesPolicy.InstancesDistribution.";
  if (!d.on_demand_allocation_strategy.empty()) {
    p.AddString(prefix + "OnDemandAllocationStrategy", d.on_demand_allocation_strategy);
  }
  if (d.on_demand_base_capacity) {
    p.AddInt(prefix + "OnDemandBaseCapacity", *d.on_demand_base_capacity);
  }
  if (d.on_demand_percentage_above_base_capacity) {
    p.AddInt(prefix + "OnDemandPercentageAboveBaseCapacity",
             *d.on_demand_percentage_above_base_capacity);
  }
  if (!d.spot_allocation_strategy.empty()) {
    p.AddString(prefix + "SpotAllocationStrategy", d.spot_allocation_strategy);
  }
  if (!d.spot_max_price.empty()) p.AddString(prefix + "SpotMaxPrice", d.spot_max_price);
  if (d.spot_instance_pools) p.AddInt(prefix + "SpotInstancePools", *d.spot_instance_pools);
}

std::string Join(const std::vector<std::string>& parts, char separator) {
  std::string out;
  for (const std::string& part : parts) {
    if (!out.empty()) out.push_back(separator);
    out.append(part);
  }
  return out;
}

// ---- Responses ----------------------------------------------------------------------------------

std::vector<std::string> Split(std::string_view text, char separator) {
  std::vector<std::string> out;
  while (!text.empty()) {
    const std::size_t end = std::min(text.find(separator), text.size());
    if (end > 0) out.emplace_back(text.substr(0, end));
    text.remove_prefix(std::min(end + 1, text.size()));
  }
  return out;
}

std::vector<std::string> MemberTexts(XmlNode list) {
  std::vector<std::string> out;
  for (const XmlNode& member : list.Children("member")) out.push_back(member.Text());
  return out;
}

// An optional integer child; absent or not a number: nullopt. (WeightedCapacity is a string in
// the API that holds a number.)
std::optional<int> OptionalInt(XmlNode parent, std::string_view name) {
  const XmlNode child = parent.Child(name);
  if (!child) return std::nullopt;
  Result<std::int64_t> value = child.AsInt64();
  if (!value.ok()) return std::nullopt;
  return static_cast<int>(*value);
}

bool OptionalBool(XmlNode parent, std::string_view name) {
  return parent.ChildBool(name).value_or(false);
}

std::optional<resilience::SysTime> OptionalTime(XmlNode parent, std::string_view name) {
  if (XmlNode t = parent.Child(name); t) {
    if (Result<resilience::SysTime> when = t.AsTimestamp(); when.ok()) return *when;
  }
  return std::nullopt;
}

std::optional<LaunchTemplateSpecification> ParseLaunchTemplate(XmlNode node) {
  if (!node) return std::nullopt;
  return LaunchTemplateSpecification{node.ChildText("LaunchTemplateId").value_or(""),
                                     node.ChildText("LaunchTemplateName").value_or(""),
                                     node.ChildText("Version").value_or("")};
}

std::optional<MixedInstancesPolicy> ParseMixedInstancesPolicy(XmlNode node) {
  if (!node) return std::nullopt;
  MixedInstancesPolicy policy;
  const XmlNode lt = node.Child("LaunchTemplate");
  policy.launch_template = ParseLaunchTemplate(lt.Child("LaunchTemplateSpecification"))
                               .value_or(LaunchTemplateSpecification{});
  for (const XmlNode& member : lt.Child("Overrides").Children("member")) {
    policy.overrides.push_back(
        {member.ChildText("InstanceType").value_or(""), OptionalInt(member, "WeightedCapacity")});
  }
  if (const XmlNode d = node.Child("InstancesDistribution"); d) {
    policy.instances_distribution = InstancesDistribution{
        .on_demand_base_capacity = OptionalInt(d, "OnDemandBaseCapacity"),
        .on_demand_percentage_above_base_capacity =
            OptionalInt(d, "OnDemandPercentageAboveBaseCapacity"),
        .on_demand_allocation_strategy = d.ChildText("OnDemandAllocationStrategy").value_or(""),
        .spot_allocation_strategy = d.ChildText("SpotAllocationStrategy").value_or(""),
        .spot_max_price = d.ChildText("SpotMaxPrice").value_or(""),
    };
  }
  return policy;
}

Result<GroupInstance> ParseGroupInstance(XmlNode member, const std::string& group_name) {
  GroupInstance i;
  i.instance_id = member.ChildText("InstanceId").value_or("");
  if (i.instance_id.empty()) {
    return UnexpectedResponse("an instance of Auto Scaling group " + group_name +
                              " without InstanceId");
  }
  i.lifecycle_state = member.ChildText("LifecycleState").value_or("");
  i.health_status = member.ChildText("HealthStatus").value_or("");
  i.instance_type = member.ChildText("InstanceType").value_or("");
  i.availability_zone = member.ChildText("AvailabilityZone").value_or("");
  i.protected_from_scale_in = OptionalBool(member, "ProtectedFromScaleIn");
  i.weighted_capacity = OptionalInt(member, "WeightedCapacity");
  i.launch_template = ParseLaunchTemplate(member.Child("LaunchTemplate"));
  return i;
}

Result<Group> ParseGroup(XmlNode member) {
  Group g;
  g.name = member.ChildText("AutoScalingGroupName").value_or("");
  if (g.name.empty())
    return UnexpectedResponse("an Auto Scaling group without AutoScalingGroupName");
  for (auto [field, element] :
       {std::pair{&g.min_size, "MinSize"}, std::pair{&g.max_size, "MaxSize"},
        std::pair{&g.desired_capacity, "DesiredCapacity"}}) {
    Result<std::int64_t> value = member.ChildInt64(element);
    if (!value.ok()) {
      return UnexpectedResponse("Auto Scaling group " + g.name + ": " +
                                std::string(value.error().message()));
    }
    *field = static_cast<int>(*value);
  }
  g.arn = member.ChildText("AutoScalingGroupARN").value_or("");
  g.status = member.ChildText("Status").value_or("");
  g.launch_template = ParseLaunchTemplate(member.Child("LaunchTemplate"));
  g.mixed_instances_policy = ParseMixedInstancesPolicy(member.Child("MixedInstancesPolicy"));
  g.availability_zones = MemberTexts(member.Child("AvailabilityZones"));
  g.subnet_ids = Split(member.ChildText("VPCZoneIdentifier").value_or(""), ',');
  for (const XmlNode& t : member.Child("Tags").Children("member")) {
    g.tags.push_back({t.ChildText("Key").value_or(""), t.ChildText("Value").value_or(""),
                      OptionalBool(t, "PropagateAtLaunch")});
  }
  for (const XmlNode& i : member.Child("Instances").Children("member")) {
    Result<GroupInstance> instance = ParseGroupInstance(i, g.name);
    if (!instance.ok()) return instance.error();
    g.instances.push_back(std::move(*instance));
  }
  g.new_instances_protected_from_scale_in =
      OptionalBool(member, "NewInstancesProtectedFromScaleIn");
  g.capacity_rebalance = OptionalBool(member, "CapacityRebalance");
  if (std::optional<int> cooldown = OptionalInt(member, "DefaultCooldown")) {
    g.default_cooldown = std::chrono::seconds(*cooldown);
  }
  g.created_time = OptionalTime(member, "CreatedTime");
  return g;
}

Activity ParseActivity(XmlNode node) {
  Activity a;
  a.activity_id = node.ChildText("ActivityId").value_or("");
  a.group_name = node.ChildText("AutoScalingGroupName").value_or("");
  a.status_code = node.ChildText("StatusCode").value_or("");
  a.status_message = node.ChildText("StatusMessage").value_or("");
  a.description = node.ChildText("Description").value_or("");
  a.cause = node.ChildText("Cause").value_or("");
  a.progress = OptionalInt(node, "Progress");
  a.start_time = OptionalTime(node, "StartTime");
  a.end_time = OptionalTime(node, "EndTime");
  return a;
}

}  // namespace

std::optional<std::string> Group::TagValue(std::string_view key) const {
  for (const Tag& t : tags) {
    if (t.key == key) return t.value;
  }
  return std::nullopt;
}

Status CreateGroup(AwsClient& client, const CreateGroupRequest& r, std::stop_token stop) {
  QueryParams p;
  p.AddString("AutoScalingGroupName", r.name);
  if (r.launch_template) AddLaunchTemplate(p, "LaunchTemplate", *r.launch_template);
  if (r.mixed_instances_policy) AddMixedInstancesPolicy(p, *r.mixed_instances_policy);
  p.AddInt("MinSize", r.min_size).AddInt("MaxSize", r.max_size);
  if (r.desired_capacity) p.AddInt("DesiredCapacity", *r.desired_capacity);
  if (r.default_cooldown) p.AddInt("DefaultCooldown", r.default_cooldown->count());
  p.AddMemberList("AvailabilityZones", r.availability_zones);
  if (!r.subnet_ids.empty()) p.AddString("VPCZoneIdentifier", Join(r.subnet_ids, ','));
  std::size_t n = 0;
  for (const Tag& t : r.tags) {
    const std::string key = QueryParams::MemberKey("Tags", ++n);
    p.AddString(key + ".ResourceId", r.name);
    p.AddString(key + ".ResourceType", "auto-scaling-group");
    p.AddString(key + ".Key", t.key);
    p.AddString(key + ".Value", t.value);
    p.AddBool(key + ".PropagateAtLaunch", t.propagate_at_launch);
  }
  if (r.new_instances_protected_from_scale_in) {
    p.AddBool("NewInstancesProtectedFromScaleIn", *r.new_instances_protected_from_scale_in);
  }
  if (r.capacity_rebalance) p.AddBool("CapacityRebalance", *r.capacity_rebalance);
  Result<XmlDocument> doc = client.Create(AwsService::kAutoScaling, "CreateAutoScalingGroup", p,
                                          "autoscaling_create_group", std::move(stop));
  if (!doc.ok()) return doc.error();
  return resilience::OkStatus();
}

Result<std::vector<Group>> DescribeGroups(AwsClient& client, const DescribeGroupsRequest& r,
                                          std::stop_token stop) {
  assert(r.max_records >= 1 && r.max_records <= kMaxDescribeRecords);
  const int page_size = std::clamp(r.max_records, 1, kMaxDescribeRecords);
  const auto chunk = static_cast<std::size_t>(page_size);
  std::vector<Group> out;
  // No names: one listing. Names: one listing per chunk (AWS takes at most MaxRecords names).
  std::size_t begin = 0;
  do {
    const std::size_t end = std::min(begin + chunk, r.names.size());
    QueryParams p;
    p.AddMemberList("AutoScalingGroupNames",
                    std::span<const std::string>(r.names).subspan(begin, end - begin));
    std::size_t n = 0;
    for (const Filter& f : r.filters) {
      const std::string key = QueryParams::MemberKey("Filters", ++n);
      p.AddString(key + ".Name", f.name);
      p.AddMemberList(key + ".Values", f.values);
    }
    p.AddInt("MaxRecords", page_size);
    Result<std::vector<Group>> chunk_groups = client.CollectPages<Group>(
        AwsService::kAutoScaling, "DescribeAutoScalingGroups", std::move(p),
        "autoscaling_describe_groups", {.set = "AutoScalingGroups", .element = "member"},
        ParseGroup, stop);
    if (!chunk_groups.ok()) return chunk_groups.error();
    std::move(chunk_groups->begin(), chunk_groups->end(), std::back_inserter(out));
    begin = end;
  } while (begin < r.names.size());
  return out;
}

Result<Group> DescribeGroup(AwsClient& client, std::string_view name, std::stop_token stop) {
  Result<std::vector<Group>> groups =
      DescribeGroups(client, DescribeGroupsRequest{.names = {std::string(name)}}, std::move(stop));
  if (!groups.ok()) return groups.error();
  for (Group& g : *groups) {
    if (g.name == name) return std::move(g);
  }
  return Error(ErrorKind::kNotFound, "AutoScalingGroupNotFound",
               "Auto Scaling group " + std::string(name) + " does not exist");
}

Status UpdateGroup(AwsClient& client, const UpdateGroupRequest& r, std::stop_token stop) {
  QueryParams p;
  p.AddString("AutoScalingGroupName", r.name);
  if (r.min_size) p.AddInt("MinSize", *r.min_size);
  if (r.max_size) p.AddInt("MaxSize", *r.max_size);
  if (r.desired_capacity) p.AddInt("DesiredCapacity", *r.desired_capacity);
  Result<XmlDocument> doc = client.Call(AwsService::kAutoScaling, "UpdateAutoScalingGroup", p,
                                        "autoscaling_update_group", std::move(stop));
  if (!doc.ok()) return doc.error();
  return resilience::OkStatus();
}

Result<std::vector<Activity>> DetachInstances(AwsClient& client, const DetachInstancesRequest& r,
                                              std::stop_token stop) {
  std::vector<Activity> out;
  const std::span<const std::string> ids(r.instance_ids);
  for (std::size_t begin = 0; begin < ids.size(); begin += kMaxInstancesPerDetach) {
    const std::size_t count = std::min(kMaxInstancesPerDetach, ids.size() - begin);
    QueryParams p;
    p.AddString("AutoScalingGroupName", r.group_name);
    p.AddMemberList("InstanceIds", ids.subspan(begin, count));
    p.AddBool("ShouldDecrementDesiredCapacity", r.should_decrement_desired_capacity);
    Result<XmlDocument> doc = client.Call(AwsService::kAutoScaling, "DetachInstances", p,
                                          "autoscaling_detach_instances", stop);
    if (!doc.ok()) return doc.error();
    for (const XmlNode& member : ResultOf(*doc).Child("Activities").Children("member")) {
      out.push_back(ParseActivity(member));
    }
  }
  return out;
}

Status DeleteGroup(AwsClient& client, const DeleteGroupRequest& r, std::stop_token stop) {
  QueryParams p;
  p.AddString("AutoScalingGroupName", r.name);
  if (r.force_delete) p.AddBool("ForceDelete", true);
  Result<XmlDocument> doc = client.Call(AwsService::kAutoScaling, "DeleteAutoScalingGroup", p,
                                        "autoscaling_delete_group", std::move(stop));
  if (!doc.ok()) return doc.error();
  return resilience::OkStatus();
}

Result<Activity> TerminateInstanceInGroup(AwsClient& client, const TerminateInstanceRequest& r,
                                          std::stop_token stop) {
  QueryParams p;
  p.AddString("InstanceId", r.instance_id);
  p.AddBool("ShouldDecrementDesiredCapacity", r.should_decrement_desired_capacity);
  Result<XmlDocument> doc =
      client.Call(AwsService::kAutoScaling, "TerminateInstanceInAutoScalingGroup", p,
                  "autoscaling_terminate_instance", std::move(stop));
  if (!doc.ok()) return doc.error();
  const XmlNode activity = ResultOf(*doc).Child("Activity");
  if (!activity) {
    return UnexpectedResponse("TerminateInstanceInAutoScalingGroup answered without an Activity");
  }
  return ParseActivity(activity);
}

}  // namespace ohfp::aws::autoscaling
