#include "aws/ec2/instances.h"

#include <openssl/evp.h>

namespace ohfp::aws::ec2 {
namespace {

using resilience::Result;
using resilience::Status;

// Every instance of every reservation under `root` (DescribeInstances:
// reservationSet/item/instancesSet/item).
Status CollectInstances(XmlNode root, std::vector<Instance>& out) {
  for (const XmlNode& reservation : root.Child("reservationSet").Children("item")) {
    for (const XmlNode& item : reservation.Child("instancesSet").Children("item")) {
      Result<Instance> i = ParseInstance(item);
      if (!i.ok()) return i.error();
      out.push_back(std::move(*i));
    }
  }
  return resilience::OkStatus();
}

}  // namespace

std::string Base64Encode(std::string_view data) {
  std::string out(4 * ((data.size() + 2) / 3), '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(data.data()),
                                static_cast<int>(data.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

Result<Reservation> RunInstances(AwsClient& client, const RunInstancesRequest& r,
                                 std::stop_token stop) {
  QueryParams p;
  if (!r.image_id.empty()) p.AddString("ImageId", r.image_id);
  if (!r.instance_type.empty()) p.AddString("InstanceType", r.instance_type);
  p.AddInt("MinCount", r.min_count).AddInt("MaxCount", r.max_count);
  if (!r.client_token.empty()) p.AddString("ClientToken", r.client_token);
  if (!r.key_name.empty()) p.AddString("KeyName", r.key_name);
  p.AddFlatList("SecurityGroupId", r.security_group_ids);
  if (!r.subnet_id.empty()) p.AddString("SubnetId", r.subnet_id);
  if (!r.user_data.empty()) p.AddString("UserData", Base64Encode(r.user_data));
  if (!r.iam_instance_profile.empty()) {
    p.AddString(r.iam_instance_profile.starts_with("arn:") ? "IamInstanceProfile.Arn"
                                                           : "IamInstanceProfile.Name",
                r.iam_instance_profile);
  }
  if (r.launch_template) {
    if (!r.launch_template->id.empty())
      p.AddString("LaunchTemplate.LaunchTemplateId", r.launch_template->id);
    if (!r.launch_template->name.empty())
      p.AddString("LaunchTemplate.LaunchTemplateName", r.launch_template->name);
    if (!r.launch_template->version.empty())
      p.AddString("LaunchTemplate.Version", r.launch_template->version);
  }
  if (r.root_volume) AddEbsMapping(p, "BlockDeviceMapping.1", *r.root_volume);
  if (r.ebs_optimized) p.AddBool("EbsOptimized", *r.ebs_optimized);
  if (!r.placement_group.empty()) p.AddString("Placement.GroupName", r.placement_group);
  if (!r.tenancy.empty()) p.AddString("Placement.Tenancy", r.tenancy);
  if (r.spot) {
    p.AddString("InstanceMarketOptions.MarketType", "spot");
    if (!r.max_spot_price.empty())
      p.AddString("InstanceMarketOptions.SpotOptions.MaxPrice", r.max_spot_price);
  }
  AddTagSpecification(p, 1, "instance", r.tags);
  AddTagSpecification(p, 2, "volume", r.tags);
  Result<XmlDocument> doc =
      client.Create(AwsService::kEc2, "RunInstances", p, "ec2_run_instances", std::move(stop));
  if (!doc.ok()) return doc.error();
  const XmlNode root = doc->Root();
  Reservation reservation;
  reservation.reservation_id = root.ChildText("reservationId").value_or("");
  for (const XmlNode& item : root.Child("instancesSet").Children("item")) {
    Result<Instance> i = ParseInstance(item);
    if (!i.ok()) return i.error();
    reservation.instances.push_back(std::move(*i));
  }
  if (reservation.instances.empty())
    return UnexpectedResponse("RunInstances answered without instances");
  return reservation;
}

Result<std::vector<Instance>> DescribeInstances(AwsClient& client,
                                                const DescribeInstancesRequest& r,
                                                std::stop_token stop) {
  QueryParams p;
  p.AddFlatList("InstanceId", r.instance_ids);
  AddFilters(p, r.filters);
  if (r.instance_ids.empty())
    p.AddInt("MaxResults", 1000);  // EC2 refuses MaxResults with instance ids
  std::vector<Instance> out;
  Status s = client.CallPages(
      AwsService::kEc2, "DescribeInstances", p, "ec2_describe_instances",
      [&](XmlNode result) { return CollectInstances(result, out); }, std::move(stop));
  if (!s.ok()) return s.error();
  return out;
}

Result<std::vector<InstanceStateChange>> TerminateInstances(
    AwsClient& client, const std::vector<std::string>& instance_ids, std::stop_token stop) {
  if (instance_ids.empty()) return std::vector<InstanceStateChange>{};
  QueryParams p;
  p.AddFlatList("InstanceId", instance_ids);
  Result<XmlDocument> doc = client.Call(AwsService::kEc2, "TerminateInstances", p,
                                        "ec2_terminate_instances", std::move(stop));
  if (!doc.ok()) return doc.error();
  std::vector<InstanceStateChange> out;
  for (const XmlNode& item : doc->Root().Child("instancesSet").Children("item")) {
    out.push_back({item.ChildText("instanceId").value_or(""),
                   item.Child("previousState").ChildText("name").value_or(""),
                   item.Child("currentState").ChildText("name").value_or("")});
  }
  return out;
}

Status CreateTags(AwsClient& client, const std::vector<std::string>& resource_ids,
                  const std::vector<Tag>& tags, std::stop_token stop) {
  if (resource_ids.empty() || tags.empty()) return resilience::OkStatus();
  QueryParams p;
  p.AddFlatList("ResourceId", resource_ids);
  AddTags(p, "Tag", tags);
  Result<XmlDocument> doc =
      client.Call(AwsService::kEc2, "CreateTags", p, "ec2_create_tags", std::move(stop));
  if (!doc.ok()) return doc.error();
  return resilience::OkStatus();
}

Result<std::vector<InstanceTypeInfo>> DescribeInstanceTypes(
    AwsClient& client, const std::vector<std::string>& instance_types, std::stop_token stop) {
  QueryParams p;
  p.AddFlatList("InstanceType", instance_types);
  const auto parse = [](const XmlNode& item) {
    InstanceTypeInfo info;
    info.instance_type = item.ChildText("instanceType").value_or("");
    const XmlNode vcpu = item.Child("vCpuInfo");
    info.vcpus = static_cast<int>(vcpu.ChildInt64("defaultVCpus").value_or(0));
    info.cores = static_cast<int>(vcpu.ChildInt64("defaultCores").value_or(info.vcpus));
    info.memory_mib =
        static_cast<long>(item.Child("memoryInfo").ChildInt64("sizeInMiB").value_or(0));
    return info;
  };
  return client.CollectPages<InstanceTypeInfo>(AwsService::kEc2, "DescribeInstanceTypes",
                                               std::move(p), "ec2_describe_instance_types",
                                               {.set = "instanceTypeSet"}, parse, std::move(stop));
}

Result<std::vector<SpotInstanceRequest>> DescribeSpotInstanceRequests(
    AwsClient& client, const std::vector<std::string>& spot_request_ids, std::stop_token stop) {
  if (spot_request_ids.empty()) return std::vector<SpotInstanceRequest>{};
  QueryParams p;
  AddFilters(p, {{"spot-instance-request-id", spot_request_ids}});
  const auto parse = [](const XmlNode& item) {
    SpotInstanceRequest r;
    r.spot_instance_request_id = item.ChildText("spotInstanceRequestId").value_or("");
    r.state = item.ChildText("state").value_or("");
    const XmlNode status = item.Child("status");
    r.status_code = status.ChildText("code").value_or("");
    if (XmlNode t = status.Child("updateTime"); t) {
      if (auto when = t.AsTimestamp(); when.ok()) r.status_update_time = *when;
    }
    r.instance_id = item.ChildText("instanceId").value_or("");
    return r;
  };
  return client.CollectPages<SpotInstanceRequest>(
      AwsService::kEc2, "DescribeSpotInstanceRequests", std::move(p),
      "ec2_describe_spot_instance_requests", {.set = "spotInstanceRequestSet"}, parse,
      std::move(stop));
}

}  // namespace ohfp::aws::ec2
