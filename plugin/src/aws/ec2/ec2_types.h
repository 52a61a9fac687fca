// aws/ec2/ec2_types.h
//
// Types shared by the EC2 operations (instances, launch templates, fleets, Spot Fleet): tags,
// filters, an instance as DescribeInstances/RunInstances report it, and the helpers that write them
// into Query parameters and read them from EC2's XML (<item> lists, camelCase names).
//
// Thread-safety: value types and stateless functions.
//
// Example:
//   QueryParams p;
//   AddFilters(p, {{"tag:ohfp:request-id", {"req-1"}},
//                  {"instance-state-name", {"pending", "running"}}});
//   AddTagSpecification(p, 1, "instance", {{"ohfp:request-id", "req-1"}});
//   Result<Instance> i = ParseInstance(item_node);
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "aws/query_params.h"
#include "aws/xml.h"
#include "ohfp/resilience/clock.h"
#include "ohfp/resilience/result.h"

namespace ohfp::aws::ec2 {

struct Tag {
  std::string key{};
  std::string value{};
  friend bool operator==(const Tag&, const Tag&) = default;
};

// The EBS volume of one block device mapping: how ohfp sizes an instance's root volume. The device
// must be the image's own root device (its RootDeviceName, DescribeImages): a mapping for another
// device adds a second, empty volume instead of resizing the root one.
struct EbsVolume {
  std::string device_name{};  // "/dev/xvda", "/dev/sda1", ...
  std::optional<int> size_gib{};
  std::string volume_type{};        // gp2, gp3, io1, io2, standard; empty: the image's
  std::optional<int> iops{};        // io1, io2, gp3
  std::optional<int> throughput{};  // MiB/s, gp3
  bool delete_on_termination = true;
  friend bool operator==(const EbsVolume&, const EbsVolume&) = default;
};

struct Filter {
  std::string name{};
  std::vector<std::string> values{};
};

struct Instance {
  std::string instance_id{};
  std::string image_id{};
  std::string instance_type{};
  std::string state{};         // pending, running, shutting-down, terminated, stopping, stopped
  std::string state_reason{};  // e.g. "Server.SpotInstanceTermination: ...", empty when none
  std::string private_dns_name{};
  std::string private_ip_address{};
  std::string public_ip_address{};
  std::string subnet_id{};
  std::string availability_zone{};
  std::string lifecycle{};  // "spot", "scheduled", or empty for on-demand
  std::string spot_instance_request_id{};
  std::optional<resilience::SysTime> launch_time{};
  std::vector<Tag> tags{};

  // The value of tag `key`, if present.
  std::optional<std::string> TagValue(std::string_view key) const;
};

// The value of tag `key` among `tags`, if present (what every tagged resource's TagValue answers).
std::optional<std::string> TagValueIn(const std::vector<Tag>& tags, std::string_view key);

// Filter.N.Name / Filter.N.Value.M
void AddFilters(QueryParams& params, const std::vector<Filter>& filters);
// TagSpecification.N.ResourceType / TagSpecification.N.Tag.M.Key / .Value (nothing when `tags` is
// empty).
void AddTagSpecification(QueryParams& params, int index, std::string_view resource_type,
                         const std::vector<Tag>& tags);
// <prefix>.DeviceName and <prefix>.Ebs.* ("BlockDeviceMapping.1" for RunInstances).
void AddEbsMapping(QueryParams& params, const std::string& prefix, const EbsVolume& volume);
// Tag.M.Key / Tag.M.Value under `prefix` ("Tag" for CreateTags).
void AddTags(QueryParams& params, std::string_view prefix, const std::vector<Tag>& tags);

// The <tagSet> (or any <item> list of key/value) under `node`.
std::vector<Tag> ParseTags(XmlNode tag_set);
// One instance from an <item> of an instancesSet. kInternal when it has no instanceId.
resilience::Result<Instance> ParseInstance(XmlNode item);

}  // namespace ohfp::aws::ec2
