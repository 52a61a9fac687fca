// Fuzz target: every typed AWS operation's response parser (aws/ec2, aws/autoscaling,
// aws/cloudwatch), through AwsClient as ohfp calls them: one attempt (no retries, no breaker),
// answered by a transport that returns the fuzzer's body.
//
// Input: byte 0 picks the operation (Operations() below, by index modulo their number), byte 1 the
// HTTP status (below 128: 200), the rest is the body of the first answer. Later pages (a NextToken
// in the body) are answered with an empty page of the same action, so pagination is exercised
// without looping.
//
// Checked: no crash, no sanitizer report, no exception; the call returns a value or an error; an
// error's message is valid UTF-8 (it goes into JSON output).
#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "aws/autoscaling/groups.h"
#include "aws/aws_client.h"
#include "aws/cloudwatch/metrics.h"
#include "aws/ec2/fleets.h"
#include "aws/ec2/instances.h"
#include "aws/ec2/launch_templates.h"
#include "aws/ec2/spot_fleet.h"
#include "ohfp/resilience/pipeline.h"
#include "ohfp/resilience/random.h"
#include "ohfp/resilience/state_store.h"

namespace {

namespace aws = ohfp::aws;
namespace ec2 = ohfp::aws::ec2;
namespace asg = ohfp::aws::autoscaling;
namespace cw = ohfp::aws::cloudwatch;
using ohfp::resilience::Error;
using ohfp::resilience::ErrorKind;
using ohfp::resilience::Result;

// Answers the first request with the fuzzer's status and body, every later one (a next page) with
// an empty answer to the same action.
class FuzzTransport final : public aws::HttpTransport {
 public:
  FuzzTransport(int status, std::string body) : status_(status), body_(std::move(body)) {}
  Result<aws::HttpResponse> Send(const aws::HttpRequest& request, ohfp::resilience::Deadline,
                                 std::stop_token) override {
    if (calls_++ == 0) {
      return aws::HttpResponse{status_, {{"Content-Type", "text/xml"}}, body_};
    }
    std::string_view action = request.body;
    action.remove_prefix(std::min(action.size(), std::string_view("Action=").size()));
    action = action.substr(0, action.find('&'));
    return aws::HttpResponse{200, {}, "<" + std::string(action) + "Response/>"};
  }

 private:
  int status_;
  std::string body_;
  int calls_ = 0;
};

// Drops the value: what matters is that parsing it did not crash.
template <class T>
Error Outcome(const Result<T>& r) {
  return r.ok() ? Error(ErrorKind::kInternal, "ok", "ok") : r.error();
}

using Operation = std::function<Error(aws::AwsClient&)>;

const std::vector<Operation>& Operations() {
  static const std::vector<Operation> ops = {
      [](aws::AwsClient& c) {
        return Outcome(ec2::RunInstances(c, {.image_id = "ami-1", .instance_type = "c5.large"}));
      },
      [](aws::AwsClient& c) { return Outcome(ec2::DescribeInstances(c, {})); },
      [](aws::AwsClient& c) { return Outcome(ec2::TerminateInstances(c, {"i-1"})); },
      [](aws::AwsClient& c) {
        return Outcome(ec2::CreateTags(c, {"i-1"}, {{"k", "v"}}));
      },
      [](aws::AwsClient& c) { return Outcome(ec2::DescribeInstanceTypes(c, {"c5.large"})); },
      [](aws::AwsClient& c) { return Outcome(ec2::DescribeSpotInstanceRequests(c, {})); },
      [](aws::AwsClient& c) {
        return Outcome(ec2::CreateLaunchTemplate(c, {.name = "lt", .data = {.image_id = "ami-1"}}));
      },
      [](aws::AwsClient& c) { return Outcome(ec2::DescribeLaunchTemplates(c, {})); },
      [](aws::AwsClient& c) { return Outcome(ec2::DeleteLaunchTemplate(c, {.id = "lt-1"})); },
      [](aws::AwsClient& c) {
        return Outcome(ec2::CreateFleet(
            c, {.target_capacity = {.total = 1},
                .launch_template_configs = {{.launch_template = {.id = "lt-1"}}}}));
      },
      [](aws::AwsClient& c) { return Outcome(ec2::DescribeFleets(c, {})); },
      [](aws::AwsClient& c) { return Outcome(ec2::DescribeFleetInstances(c, "fleet-1")); },
      [](aws::AwsClient& c) {
        return Outcome(ec2::ModifyFleet(
            c, {.fleet_id = "fleet-1", .target_capacity = ec2::TargetCapacity{.total = 0}}));
      },
      [](aws::AwsClient& c) { return Outcome(ec2::DeleteFleets(c, {.fleet_ids = {"fleet-1"}})); },
      [](aws::AwsClient& c) {
        return Outcome(ec2::RequestSpotFleet(c, {.iam_fleet_role = "arn:r", .target_capacity = 1}));
      },
      [](aws::AwsClient& c) { return Outcome(ec2::DescribeSpotFleetRequests(c, {})); },
      [](aws::AwsClient& c) { return Outcome(ec2::FindSpotFleetRequest(c, "sfr-1")); },
      [](aws::AwsClient& c) { return Outcome(ec2::DescribeSpotFleetInstances(c, "sfr-1")); },
      [](aws::AwsClient& c) {
        return Outcome(ec2::DescribeSpotFleetRequestHistory(c, {.spot_fleet_request_id = "sfr-1"}));
      },
      [](aws::AwsClient& c) {
        return Outcome(ec2::ModifySpotFleetRequest(
            c, {.spot_fleet_request_id = "sfr-1", .target_capacity = 0}));
      },
      [](aws::AwsClient& c) {
        return Outcome(ec2::CancelSpotFleetRequests(c, {.spot_fleet_request_ids = {"sfr-1"}}));
      },
      [](aws::AwsClient& c) {
        return Outcome(asg::CreateGroup(
            c, {.name = "g", .launch_template = asg::LaunchTemplateSpecification{.id = "lt-1"}}));
      },
      [](aws::AwsClient& c) { return Outcome(asg::DescribeGroups(c, {})); },
      [](aws::AwsClient& c) { return Outcome(asg::DescribeGroup(c, "g")); },
      [](aws::AwsClient& c) { return Outcome(asg::UpdateGroup(c, {.name = "g", .min_size = 0})); },
      [](aws::AwsClient& c) {
        return Outcome(asg::DetachInstances(c, {.group_name = "g", .instance_ids = {"i-1"}}));
      },
      [](aws::AwsClient& c) { return Outcome(asg::DeleteGroup(c, {.name = "g"})); },
      [](aws::AwsClient& c) {
        return Outcome(asg::TerminateInstanceInGroup(c, {.instance_id = "i-1"}));
      },
      [](aws::AwsClient& c) {
        return Outcome(cw::PutMetricData(
            c, {.metric_namespace = "ohfp", .data = {{.metric_name = "m", .value = 1}}}));
      },
      [](aws::AwsClient& c) { return Outcome(cw::ListMetrics(c, {})); },
      [](aws::AwsClient& c) {
        return Outcome(
            cw::GetMetricStatistics(c, {.metric_namespace = "ohfp", .metric_name = "m"}));
      },
  };
  return ops;
}

ohfp::resilience::ResilienceConfig OneAttempt() {
  ohfp::resilience::ResilienceConfig c;
  c.retry.enabled = false;
  c.circuit_breaker.enabled = false;
  return c;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const Operation& operation = Operations()[data[0] % Operations().size()];
  // Mostly 200; the rest of the byte values pick the statuses AWS and proxies answer with.
  static constexpr std::array<int, 12> kStatuses = {200, 400, 401, 403, 404, 429,
                                                    500, 502, 503, 504, 301, 100};
  const int status = data[1] < 128 ? 200 : kStatuses[data[1] % kStatuses.size()];
  FuzzTransport transport(status, std::string(reinterpret_cast<const char*>(data + 2), size - 2));

  static ohfp::resilience::SystemClock clock;
  ohfp::resilience::SeededRandom random(1);
  ohfp::resilience::InMemoryStateStore store;
  ohfp::resilience::ResiliencePipeline pipeline(OneAttempt(), {clock, random, store});
  static aws::StaticCredentialsProvider credentials(
      aws::Credentials{.access_key_id = "AKIDEXAMPLE", .secret_access_key = "secret"});
  std::array<aws::Endpoint, aws::kAwsServiceCount> endpoints;
  endpoints[0] = {"http://127.0.0.1:1", "127.0.0.1:1", "ec2", "us-east-1", "fuzz"};
  endpoints[1] = {"http://127.0.0.1:1", "127.0.0.1:1", "autoscaling", "us-east-1", "fuzz"};
  endpoints[2] = {"http://127.0.0.1:1", "127.0.0.1:1", "monitoring", "us-east-1", "fuzz"};
  aws::AwsClient client(
      "us-east-1", endpoints,
      {.transport = transport, .credentials = credentials, .clock = clock, .pipeline = pipeline});
  const Error outcome = operation(client);
  static_cast<void>(nlohmann::json(std::string(outcome.message())).dump());  // valid UTF-8
  return 0;
}
