// hostfactory/images.h
//
// What a launch needs besides the template: the image (the template's imageId, or the value of the
// SSM parameter it names, recorded on the request as model::Request::image_id), the user data
// (userData, or the userDataScript file's content) and, when the template sets the root volume,
// the image's root device name — the device the size, type, IOPS and throughput must go to (a
// mapping for another device adds a second, empty volume instead of resizing the root one).
//
// An SSM parameter's value comes from GetParameter and is cached in the store for every process
// (kind "ssm-parameter") for ServiceOptions::ssm_parameter_ttl: a parameter such as AWS's "latest
// Amazon Linux" moves on, so a request made after the TTL asks again; a request keeps the image it
// was made with. The value must be an AMI id. The root device comes from DescribeImages and is
// cached in the store for every process (kind "image-root-device"): an image never changes, so
// that cache never expires. When the image cannot
// be described (it does not exist, or the call fails), nothing is launched: requestMachines fails
// with the reason before saving anything, and a re-sent launch (getRequestStatus) stays unsettled
// until it can be described. The volume is never sent to a guessed device.
//
// Thread-safety: one per command process (over its CommandContext).
//
// Example:
//   Result<std::string> image = ImageOf(ctx, tmpl);            // "ami-0ed094fb1304fd857"
//   Result<LaunchInputs> in = LaunchInputsFor(ctx, tmpl, *image);
//   spec.root_device_name = in->root_device_name;   // "/dev/sda1"
#pragma once

#include <string>
#include <string_view>

#include "hostfactory/command_context.h"

namespace ohfp::hostfactory {

inline constexpr std::string_view kRootDeviceCache = "image-root-device";
inline constexpr std::string_view kParameterCache = "ssm-parameter";

struct LaunchInputs {
  std::string user_data{};
  std::string image_id{};
  std::string root_device_name{};  // empty when the template sets no root volume
};

// The image a request of `t` launches: its imageId, or its SSM parameter's value (the store's when
// younger than the TTL, else GetParameter's, then saved). kValidation when the parameter holds no
// AMI id; the cloud's error (kNotFound: no such parameter) otherwise.
[[nodiscard]] resilience::Result<std::string> ImageOf(CommandContext& ctx,
                                                      const model::Template& t);

// The root device name of `image_id`: the store's, else DescribeImages' (then saved).
[[nodiscard]] resilience::Result<std::string> RootDeviceOf(CommandContext& ctx,
                                                           const std::string& image_id);

// The inputs of a launch of `t` that launches `image_id`. kValidation for an unreadable
// userDataScript or an image that does not exist; the cloud's error when it cannot be described.
[[nodiscard]] resilience::Result<LaunchInputs> LaunchInputsFor(CommandContext& ctx,
                                                               const model::Template& t,
                                                               const std::string& image_id);

}  // namespace ohfp::hostfactory
