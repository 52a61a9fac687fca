#include "aws/ec2/images.h"

#include "aws/ec2/ec2_types.h"

namespace ohfp::aws::ec2 {

resilience::Result<std::vector<Image>> DescribeImages(AwsClient& client,
                                                      const std::vector<std::string>& image_ids,
                                                      std::stop_token stop) {
  if (image_ids.empty()) return std::vector<Image>{};
  QueryParams p;
  p.AddFlatList("ImageId", image_ids);
  const auto parse = [](const XmlNode& item) -> resilience::Result<Image> {
    Image i;
    i.image_id = item.ChildText("imageId").value_or("");
    if (i.image_id.empty()) return UnexpectedResponse("an image item without imageId");
    i.root_device_name = item.ChildText("rootDeviceName").value_or("");
    i.root_device_type = item.ChildText("rootDeviceType").value_or("");
    i.state = item.ChildText("imageState").value_or("");
    return i;
  };
  return client.CollectPages<Image>(AwsService::kEc2, "DescribeImages", std::move(p),
                                    "ec2_describe_images", {.set = "imagesSet"}, parse,
                                    std::move(stop));
}

}  // namespace ohfp::aws::ec2
