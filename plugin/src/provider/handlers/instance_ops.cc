#include "provider/handlers/instance_ops.h"

#include <algorithm>
#include <iterator>

namespace ohfp::provider {
namespace {

namespace ec2 = aws::ec2;
using resilience::ErrorKind;
using resilience::Result;
using resilience::Status;

}  // namespace

Result<std::vector<ec2::Instance>> DescribeByIds(aws::AwsClient& client,
                                                 const std::vector<std::string>& ids) {
  std::vector<ec2::Instance> out;
  Status s =
      ForEachSlice(ids, kMaxFilterValues, [&](const std::vector<std::string>& slice) -> Status {
        Result<std::vector<ec2::Instance>> part =
            ec2::DescribeInstances(client, {.filters = {{"instance-id", slice}}});
        if (!part.ok()) return part.error();
        out.insert(out.end(), std::make_move_iterator(part->begin()),
                   std::make_move_iterator(part->end()));
        return resilience::OkStatus();
      });
  if (!s.ok()) return s.error();
  return out;
}

Status TerminateExactly(aws::AwsClient& client, const std::vector<std::string>& ids) {
  return ForEachSlice(ids, kMaxTerminateIds, [&](const std::vector<std::string>& slice) -> Status {
    Result<std::vector<ec2::InstanceStateChange>> r = ec2::TerminateInstances(client, slice);
    if (r.ok()) return resilience::OkStatus();
    if (r.error().kind() != ErrorKind::kNotFound) return r.error();
    Result<std::vector<ec2::Instance>> known = DescribeByIds(client, slice);
    if (!known.ok()) return known.error();
    std::vector<std::string> left;
    for (const ec2::Instance& i : *known) {
      if (i.state != "terminated") left.push_back(i.instance_id);
    }
    if (left.empty()) return resilience::OkStatus();
    r = ec2::TerminateInstances(client, left);
    if (!r.ok() && r.error().kind() != ErrorKind::kNotFound) return r.error();
    return resilience::OkStatus();
  });
}

}  // namespace ohfp::provider
