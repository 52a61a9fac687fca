// provider/handlers/instance_ops.h
//
// The EC2 instance calls every handler needs, cut to the sizes EC2 accepts:
//
//   DescribeByIds     full records of these instances; ids EC2 does not know are absent. Sent as an
//                     instance-id filter (200 values per call), never as InstanceId.N, which fails
//                     the whole call on one unknown id.
//   TerminateExactly  TerminateInstances for exactly these ids, 1000 per call. One id EC2 does not
//                     know fails a whole call (kNotFound): then the ids it knows that are not
//                     terminated yet are sent again, so a returned machine that is already gone
//                     never keeps the others running.
//   IsLive            pending or running: an instance that is, or will be, doing work.
//   ForEachSlice      runs a call over consecutive slices of a list of ids (EC2's per-call limits:
//                     kMaxFilterValues values per filter, kMaxTerminateIds per TerminateInstances).
//
// Each call goes through the resilience pipeline under its ec2_* operation (see
// aws/ec2/instances.h).
//
// Example:
//   Result<std::vector<aws::ec2::Instance>> found = DescribeByIds(client, {"i-1", "i-2"});
//   Status gone = TerminateExactly(client, {"i-1", "i-2"});
#pragma once

#include <algorithm>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "aws/aws_client.h"
#include "aws/ec2/instances.h"
#include "ohfp/resilience/result.h"

namespace ohfp::provider {

inline constexpr std::size_t kMaxFilterValues = 200;   // values per Describe* filter
inline constexpr std::size_t kMaxTerminateIds = 1000;  // ids per TerminateInstances

// Calls `f` with consecutive slices of `ids` of at most `size` elements; stops at the first error.
template <class F>
resilience::Status ForEachSlice(const std::vector<std::string>& ids, std::size_t size, F&& f) {
  for (std::size_t begin = 0; begin < ids.size(); begin += size) {
    const std::vector<std::string> slice(
        ids.begin() + static_cast<std::ptrdiff_t>(begin),
        ids.begin() + static_cast<std::ptrdiff_t>(std::min(ids.size(), begin + size)));
    if (resilience::Status s = f(slice); !s.ok()) return s;
  }
  return resilience::OkStatus();
}

[[nodiscard]] resilience::Result<std::vector<aws::ec2::Instance>> DescribeByIds(
    aws::AwsClient& client, const std::vector<std::string>& ids);

[[nodiscard]] resilience::Status TerminateExactly(aws::AwsClient& client,
                                                  const std::vector<std::string>& ids);

inline bool IsLive(std::string_view state) { return state == "pending" || state == "running"; }

}  // namespace ohfp::provider
