#include "hostfactory/images.h"

namespace ohfp::hostfactory {

using resilience::Error;
using resilience::ErrorKind;
using resilience::Result;

Result<std::string> RootDeviceOf(CommandContext& ctx, const std::string& image_id) {
  const std::string kind(kRootDeviceCache);
  if (Result<std::vector<store::CachedValue>> cached = ctx.store().CachedValues(kind, {image_id});
      cached.ok() && !cached->empty()) {
    return cached->front().value;
  }
  Result<std::vector<model::Image>> images = ctx.provider().DescribeImages({image_id});
  if (!images.ok()) {
    return images.error().WithMessage("cannot read the root device of image " + image_id + ": " +
                                      images.error().ToString());
  }
  for (const model::Image& i : *images) {
    if (i.id != image_id || i.root_device_name.empty()) continue;
    (void)ctx.Saved(ctx.store().SaveCachedValues(kind, {{image_id, i.root_device_name}}, ctx.Now()),
                    "the root device of " + image_id, "");
    return i.root_device_name;
  }
  return Error(ErrorKind::kValidation, "ImageNotFound",
               "image " + image_id +
                   " is not visible to this account (DescribeImages does not list it, or lists "
                   "it without a root device): cannot tell its root device");
}

Result<LaunchInputs> LaunchInputsFor(CommandContext& ctx, const model::Template& t,
                                     const std::string& image_id) {
  LaunchInputs in;
  Result<std::string> user_data = ctx.ReadUserData(t);
  if (!user_data.ok()) return user_data.error();
  in.user_data = std::move(*user_data);
  in.image_id = image_id;
  if (t.SetsRootVolume() && !image_id.empty()) {
    Result<std::string> device = RootDeviceOf(ctx, image_id);
    if (!device.ok()) return device.error();
    in.root_device_name = std::move(*device);
  }
  return in;
}

}  // namespace ohfp::hostfactory
