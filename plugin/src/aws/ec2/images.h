// aws/ec2/images.h
//
// DescribeImages (ec2_describe_images, through the resilience pipeline): what ohfp needs of an
// image to launch it — the name of its root device, so that a root volume size, type, IOPS or
// throughput lands on the root volume itself (BlockDeviceMapping DeviceName = RootDeviceName; a
// mapping for another device adds a second, empty volume instead).
//
// Errors: an id in the list that does not exist or is not visible to the account fails the whole
// call with InvalidAMIID.NotFound, a malformed one with InvalidAMIID.Malformed: both kValidation
// (the error classifier's InvalidAMIID.* row).
// An image that exists but is not listed (AWS leaves out images the caller may not launch) is
// absent from the answer.
//
// Thread-safety: stateless functions over a thread-safe AwsClient.
//
// Example:
//   Result<std::vector<Image>> images = DescribeImages(client, {"ami-0123456789abcdef0"});
//   images->front().root_device_name;   // "/dev/xvda"
#pragma once

#include <stop_token>
#include <string>
#include <vector>

#include "aws/aws_client.h"

namespace ohfp::aws::ec2 {

struct Image {
  std::string image_id{};
  std::string root_device_name{};  // "/dev/xvda", "/dev/sda1"
  std::string root_device_type{};  // "ebs", "instance-store"
  std::string state{};             // "available", "pending", "failed", ...
};

// The images with these ids (at most 200 a call: pass slices).
[[nodiscard]] resilience::Result<std::vector<Image>> DescribeImages(
    AwsClient& client, const std::vector<std::string>& image_ids, std::stop_token stop = {});

}  // namespace ohfp::aws::ec2
