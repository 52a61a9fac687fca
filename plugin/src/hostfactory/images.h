// hostfactory/images.h
//
// What a launch needs besides the template: the user data (userData, or the userDataScript file's
// content), the image (model::Request::image_id) and, when the template sets the root volume, the
// image's root device name — the device the size, type, IOPS and throughput must go to (a mapping
// for another device adds a second, empty volume instead of resizing the root one).
//
// The root device comes from DescribeImages and is cached in the store for every process (kind
// "image-root-device"): an image never changes, so the cache never expires. When the image cannot
// be described (it does not exist, or the call fails), nothing is launched: requestMachines fails
// with the reason before saving anything, and a re-sent launch (getRequestStatus) stays unsettled
// until it can be described. The volume is never sent to a guessed device.
//
// Thread-safety: one per command process (over its CommandContext).
//
// Example:
//   Result<LaunchInputs> in = LaunchInputsFor(ctx, tmpl, request.image_id);
//   spec.root_device_name = in->root_device_name;   // "/dev/sda1"
#pragma once

#include <string>
#include <string_view>

#include "hostfactory/command_context.h"

namespace ohfp::hostfactory {

inline constexpr std::string_view kRootDeviceCache = "image-root-device";

struct LaunchInputs {
  std::string user_data{};
  std::string image_id{};
  std::string root_device_name{};  // empty when the template sets no root volume
};

// The root device name of `image_id`: the store's, else DescribeImages' (then saved).
[[nodiscard]] resilience::Result<std::string> RootDeviceOf(CommandContext& ctx,
                                                           const std::string& image_id);

// The inputs of a launch of `t` that launches `image_id`. kValidation for an unreadable
// userDataScript or an image that does not exist; the cloud's error when it cannot be described.
[[nodiscard]] resilience::Result<LaunchInputs> LaunchInputsFor(CommandContext& ctx,
                                                               const model::Template& t,
                                                               const std::string& image_id);

}  // namespace ohfp::hostfactory
