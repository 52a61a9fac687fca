// aws/ec2/instances.h
//
// Typed EC2 instance operations, each one call through the resilience pipeline under its operation
// name:
//   RunInstances          ec2_run_instances          (ClientToken: the caller's, the same on every
//                                                    retry)
//   DescribeInstances     ec2_describe_instances     (pagination followed)
//   TerminateInstances    ec2_terminate_instances    (idempotent by itself)
//   CreateTags            ec2_create_tags
//   DescribeInstanceTypes ec2_describe_instance_types
//   DescribeSpotInstanceRequests ec2_describe_spot_instance_requests
//
// Thread-safety: stateless functions over a thread-safe AwsClient.
//
// Example:
//   RunInstancesRequest r{.image_id = "ami-1", .instance_type = "c5.large", .min_count = 2,
//                         .max_count = 2, .client_token = "req-7-a1",
//                         .tags = {{"ohfp:request-id", "req-7"}}};
//   Result<Reservation> res = RunInstances(client, r);
//   Result<std::vector<Instance>> all =
//       DescribeInstances(client, {.filters = {{"tag:ohfp:request-id", {"req-7"}}}});
#pragma once

#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "aws/aws_client.h"
#include "aws/ec2/ec2_types.h"

namespace ohfp::aws::ec2 {

struct LaunchTemplateReference {
  std::string id{};       // LaunchTemplateId, or
  std::string name{};     // LaunchTemplateName
  std::string version{};  // "$Latest", "$Default" or a number; empty: the default version
};

struct RunInstancesRequest {
  std::string image_id{};       // may be empty with a launch template
  std::string instance_type{};  // may be empty with a launch template
  int min_count = 1;
  int max_count = 1;
  std::string client_token{};  // at most 64 ASCII characters; empty: none (not idempotent)
  std::string key_name{};
  std::vector<std::string> security_group_ids{};
  std::string subnet_id{};
  std::string user_data{};             // plain text; base64-encoded on the wire
  std::string iam_instance_profile{};  // a name, or an ARN ("arn:...")
  std::vector<Tag> tags{};             // applied to the instances and their volumes
  std::optional<LaunchTemplateReference> launch_template{};
  std::optional<EbsVolume> root_volume{};  // BlockDeviceMapping.1
  std::optional<bool> ebs_optimized{};
  std::string placement_group{};  // Placement.GroupName
  std::string tenancy{};          // Placement.Tenancy: default, dedicated, host
  bool spot = false;              // InstanceMarketOptions: spot
  std::string max_spot_price{};   // empty: the on-demand price caps it
};

struct Reservation {
  std::string reservation_id{};
  std::vector<Instance> instances{};
};

struct DescribeInstancesRequest {
  std::vector<std::string> instance_ids{};
  std::vector<Filter> filters{};
};

struct InstanceStateChange {
  std::string instance_id{};
  std::string previous_state{};
  std::string current_state{};
};

struct SpotInstanceRequest {
  std::string spot_instance_request_id{};
  std::string state{};  // open, active, closed, cancelled, failed
  std::string
      status_code{};  // e.g. fulfilled, marked-for-termination, instance-terminated-by-price
  std::optional<resilience::SysTime> status_update_time{};
  std::string instance_id{};
};

struct InstanceTypeInfo {
  std::string instance_type{};
  int vcpus = 0;
  int cores = 0;
  long memory_mib = 0;
};

[[nodiscard]] resilience::Result<Reservation> RunInstances(AwsClient& client,
                                                           const RunInstancesRequest& request,
                                                           std::stop_token stop = {});
[[nodiscard]] resilience::Result<std::vector<Instance>> DescribeInstances(
    AwsClient& client, const DescribeInstancesRequest& request, std::stop_token stop = {});
[[nodiscard]] resilience::Result<std::vector<InstanceStateChange>> TerminateInstances(
    AwsClient& client, const std::vector<std::string>& instance_ids, std::stop_token stop = {});
[[nodiscard]] resilience::Status CreateTags(AwsClient& client,
                                            const std::vector<std::string>& resource_ids,
                                            const std::vector<Tag>& tags,
                                            std::stop_token stop = {});
[[nodiscard]] resilience::Result<std::vector<InstanceTypeInfo>> DescribeInstanceTypes(
    AwsClient& client, const std::vector<std::string>& instance_types, std::stop_token stop = {});

// ec2_describe_spot_instance_requests; ids the cloud does not know are absent (filtered, not an
// error).
[[nodiscard]] resilience::Result<std::vector<SpotInstanceRequest>> DescribeSpotInstanceRequests(
    AwsClient& client, const std::vector<std::string>& spot_request_ids, std::stop_token stop = {});

// Standard base64 (RFC 4648, with padding), as EC2 wants UserData.
std::string Base64Encode(std::string_view data);

}  // namespace ohfp::aws::ec2
