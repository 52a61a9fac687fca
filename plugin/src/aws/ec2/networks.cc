#include "aws/ec2/networks.h"

namespace ohfp::aws::ec2 {
namespace {

using resilience::Result;

bool BoolChild(const XmlNode& item, std::string_view name) {
  Result<bool> b = item.ChildBool(name);
  return b.ok() && *b;
}

Result<Vpc> ParseVpc(const XmlNode& item) {
  Vpc v;
  v.vpc_id = item.ChildText("vpcId").value_or("");
  if (v.vpc_id.empty()) return UnexpectedResponse("DescribeVpcs answered a VPC without vpcId");
  v.state = item.ChildText("state").value_or("");
  v.cidr_block = item.ChildText("cidrBlock").value_or("");
  v.is_default = BoolChild(item, "isDefault");
  v.tags = ParseTags(item.Child("tagSet"));
  return v;
}

Result<Subnet> ParseSubnet(const XmlNode& item) {
  Subnet s;
  s.subnet_id = item.ChildText("subnetId").value_or("");
  if (s.subnet_id.empty())
    return UnexpectedResponse("DescribeSubnets answered a subnet without subnetId");
  s.vpc_id = item.ChildText("vpcId").value_or("");
  s.state = item.ChildText("state").value_or("");
  s.availability_zone = item.ChildText("availabilityZone").value_or("");
  s.cidr_block = item.ChildText("cidrBlock").value_or("");
  s.available_ip_address_count = item.ChildInt64("availableIpAddressCount").value_or(0);
  s.default_for_az = BoolChild(item, "defaultForAz");
  s.map_public_ip_on_launch = BoolChild(item, "mapPublicIpOnLaunch");
  s.tags = ParseTags(item.Child("tagSet"));
  return s;
}

Result<SecurityGroup> ParseSecurityGroup(const XmlNode& item) {
  SecurityGroup g;
  g.group_id = item.ChildText("groupId").value_or("");
  if (g.group_id.empty())
    return UnexpectedResponse("DescribeSecurityGroups answered a group without groupId");
  g.group_name = item.ChildText("groupName").value_or("");
  g.vpc_id = item.ChildText("vpcId").value_or("");
  g.description = item.ChildText("groupDescription").value_or("");
  g.tags = ParseTags(item.Child("tagSet"));
  return g;
}

QueryParams FilterParams(const std::vector<Filter>& filters) {
  QueryParams p;
  AddFilters(p, filters);
  return p;
}

}  // namespace

Result<std::vector<Vpc>> DescribeVpcs(AwsClient& client, const std::vector<Filter>& filters,
                                      std::stop_token stop) {
  return client.CollectPages<Vpc>(AwsService::kEc2, "DescribeVpcs", FilterParams(filters),
                                  "ec2_describe_vpcs", {.set = "vpcSet"}, ParseVpc,
                                  std::move(stop));
}

Result<std::vector<Subnet>> DescribeSubnets(AwsClient& client, const std::vector<Filter>& filters,
                                            std::stop_token stop) {
  return client.CollectPages<Subnet>(AwsService::kEc2, "DescribeSubnets", FilterParams(filters),
                                     "ec2_describe_subnets", {.set = "subnetSet"}, ParseSubnet,
                                     std::move(stop));
}

Result<std::vector<SecurityGroup>> DescribeSecurityGroups(AwsClient& client,
                                                          const std::vector<Filter>& filters,
                                                          std::stop_token stop) {
  return client.CollectPages<SecurityGroup>(AwsService::kEc2, "DescribeSecurityGroups",
                                            FilterParams(filters), "ec2_describe_security_groups",
                                            {.set = "securityGroupInfo"}, ParseSecurityGroup,
                                            std::move(stop));
}

}  // namespace ohfp::aws::ec2
