#include "hostfactory/images.h"

#include <algorithm>

namespace ohfp::hostfactory {

using resilience::Error;
using resilience::ErrorKind;
using resilience::Result;

namespace {

bool IsAmiId(std::string_view s) {
  if (!s.starts_with("ami-") || s.size() < 12) return false;
  return std::all_of(s.begin() + 4, s.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

}  // namespace

Result<std::string> ImageOf(CommandContext& ctx, const model::Template& t) {
  if (t.image_parameter.empty()) return t.image_id;
  const std::string kind(kParameterCache);
  const std::string& name = t.image_parameter;
  if (Result<std::vector<store::CachedValue>> cached = ctx.store().CachedValues(kind, {name});
      cached.ok() && !cached->empty() &&
      ctx.Now() - cached->front().fetched_at < ctx.options().ssm_parameter_ttl) {
    return cached->front().value;
  }
  Result<std::string> value = ctx.provider().GetParameter(name);
  if (!value.ok()) {
    return value.error().WithMessage("cannot read SSM parameter " + name +
                                     " (imageId of template " + t.template_id +
                                     "): " + value.error().ToString());
  }
  if (!IsAmiId(*value)) {
    return Error(ErrorKind::kValidation, "ParameterNotAnImage",
                 "SSM parameter " + name + " (imageId of template " + t.template_id + ") holds \"" +
                     *value + "\", not an AMI id");
  }
  (void)ctx.Saved(ctx.store().SaveCachedValues(kind, {{name, *value}}, ctx.Now()),
                  "the value of SSM parameter " + name, "");
  ctx.log().Log(spdlog::level::info,
                "template " + t.template_id + ": SSM parameter " + name + " is " + *value,
                {{"event", "image_resolved"},
                 {"template_id", t.template_id},
                 {"parameter", name},
                 {"image_id", *value}});
  return value;
}

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
