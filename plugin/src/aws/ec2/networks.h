// aws/ec2/networks.h
//
// Typed EC2 operations on the network an instance is launched into, each one call through the
// resilience pipeline under its operation name (pagination followed):
//   DescribeVpcs            ec2_describe_vpcs
//   DescribeSubnets         ec2_describe_subnets
//   DescribeSecurityGroups  ec2_describe_security_groups
// `ohfp init --discover` uses them to find the default VPC, its subnets and its default security
// group for a first template.
//
// Thread-safety: stateless functions over a thread-safe AwsClient.
//
// Example:
//   Result<std::vector<Vpc>> vpcs = DescribeVpcs(client, {{"is-default", {"true"}}});
//   Result<std::vector<Subnet>> subnets =
//       DescribeSubnets(client, {{"vpc-id", {vpcs->at(0).vpc_id}}});
//   Result<std::vector<SecurityGroup>> groups = DescribeSecurityGroups(
//       client, {{"vpc-id", {vpcs->at(0).vpc_id}}, {"group-name", {"default"}}});
#pragma once

#include <cstdint>
#include <stop_token>
#include <string>
#include <vector>

#include "aws/aws_client.h"
#include "aws/ec2/ec2_types.h"

namespace ohfp::aws::ec2 {

struct Vpc {
  std::string vpc_id{};
  std::string state{};  // pending, available
  std::string cidr_block{};
  bool is_default = false;
  std::vector<Tag> tags{};
};

struct Subnet {
  std::string subnet_id{};
  std::string vpc_id{};
  std::string state{};  // pending, available
  std::string availability_zone{};
  std::string cidr_block{};
  std::int64_t available_ip_address_count = 0;
  bool default_for_az = false;
  bool map_public_ip_on_launch = false;
  std::vector<Tag> tags{};
};

struct SecurityGroup {
  std::string group_id{};
  std::string group_name{};
  std::string vpc_id{};
  std::string description{};
  std::vector<Tag> tags{};
};

// Each: every item matching all `filters` (none: all of the region). An item without its id is
// kInternal "UnexpectedResponse".
[[nodiscard]] resilience::Result<std::vector<Vpc>> DescribeVpcs(AwsClient& client,
                                                                const std::vector<Filter>& filters,
                                                                std::stop_token stop = {});
[[nodiscard]] resilience::Result<std::vector<Subnet>> DescribeSubnets(
    AwsClient& client, const std::vector<Filter>& filters, std::stop_token stop = {});
[[nodiscard]] resilience::Result<std::vector<SecurityGroup>> DescribeSecurityGroups(
    AwsClient& client, const std::vector<Filter>& filters, std::stop_token stop = {});

}  // namespace ohfp::aws::ec2
