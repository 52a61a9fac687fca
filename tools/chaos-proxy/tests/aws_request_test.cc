#include "ohfp/chaos_proxy/aws_request.h"

#include <gtest/gtest.h>

#include "test_support.h"

namespace ohfp::chaos_proxy {
namespace {

using testing::FormRequest;

TEST(AwsRequest, ReadsActionVersionAndServiceFromAnEc2FormBody) {
  const AwsRequest aws = ParseAwsRequest(
      FormRequest("Action=DescribeInstances&Version=2016-11-15&InstanceId.1=i-123"));
  EXPECT_EQ(aws.action, "DescribeInstances");
  EXPECT_EQ(aws.version, "2016-11-15");
  EXPECT_EQ(aws.service, Service::kEc2);
  EXPECT_TRUE(aws.client_token.empty());
  ASSERT_EQ(aws.params.size(), 3u);
  EXPECT_EQ(aws.params[1], (Param{"InstanceId.1", "i-123"}));  // sorted by name
}

TEST(AwsRequest, KnowsAutoScalingAndCloudWatchByTheirVersions) {
  EXPECT_EQ(ParseAwsRequest(
                FormRequest("Action=DescribeAutoScalingGroups&Version=2011-01-01", "localhost"))
                .service,
            Service::kAutoScaling);
  EXPECT_EQ(
      ParseAwsRequest(FormRequest("Action=PutMetricData&Version=2010-08-01", "localhost")).service,
      Service::kCloudWatch);
}

TEST(AwsRequest, GuessesTheServiceFromTheCredentialScopeWhenThereIsNoVersion) {
  HttpRequest request = FormRequest("Action=DescribeTags", "127.0.0.1:5000");
  request.headers.emplace_back(
      "Authorization",
      "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/autoscaling/aws4_request, "
      "SignedHeaders=content-type;host;x-amz-date, Signature=abc");
  EXPECT_EQ(ParseAwsRequest(request).service, Service::kAutoScaling);
}

TEST(AwsRequest, GuessesTheServiceFromHostThenPath) {
  EXPECT_EQ(ParseAwsRequest(FormRequest("Action=ListMetrics", "monitoring.eu-west-1.amazonaws.com"))
                .service,
            Service::kCloudWatch);
  HttpRequest by_path = FormRequest("Action=DescribeInstances", "127.0.0.1:5000");
  by_path.target = "/ec2/";
  EXPECT_EQ(ParseAwsRequest(by_path).service, Service::kEc2);
  EXPECT_EQ(ParseAwsRequest(FormRequest("Action=Foo", "127.0.0.1:5000")).service,
            Service::kUnknown);
}

TEST(AwsRequest, ReadsParametersFromTheQueryStringToo) {
  HttpRequest request{
      "GET", "/?Action=DescribeRegions&Version=2016-11-15", {{"Host", "localhost"}}, ""};
  const AwsRequest aws = ParseAwsRequest(request);
  EXPECT_EQ(aws.action, "DescribeRegions");
  EXPECT_EQ(aws.service, Service::kEc2);
}

TEST(AwsRequest, DoesNotParseJsonBodiesAsForms) {
  HttpRequest request{"POST", "/", {{"Content-Type", "application/json"}}, "Action=RunInstances"};
  EXPECT_EQ(ParseAwsRequest(request).action, "");
}

TEST(AwsRequest, NonAwsRequestsHaveNoActionAndAnUnknownService) {
  const AwsRequest aws = ParseAwsRequest(HttpRequest{"POST", "/moto-api/reset", {}, ""});
  EXPECT_EQ(aws.action, "");
  EXPECT_EQ(aws.service, Service::kUnknown);
  EXPECT_TRUE(aws.params.empty());
}

TEST(AwsRequest, DecodesPercentEscapesAndPlus) {
  EXPECT_EQ(PercentDecode("a%20b+c%2Bd", true), "a b c+d");
  EXPECT_EQ(PercentDecode("a+b", false), "a+b");
  EXPECT_EQ(PercentDecode("100%", true), "100%");  // malformed escapes stay
  EXPECT_EQ(PercentDecode("%zz%4", true), "%zz%4");
  const auto params = ParseFormUrlEncoded("A=1&&B=&C&TagSpecification.1.Tag.1.Value=x%3Dy");
  ASSERT_EQ(params.size(), 4u);
  EXPECT_EQ(params[1], (Param{"B", ""}));
  EXPECT_EQ(params[2], (Param{"C", ""}));
  EXPECT_EQ(params[3].second, "x=y");
}

TEST(AwsRequest, FindsTheClientTokenOfRunInstancesCreateFleetAndCreateLaunchTemplate) {
  for (const std::string action : {"RunInstances", "CreateFleet", "CreateLaunchTemplate"}) {
    const AwsRequest aws =
        ParseAwsRequest(testing::Ec2Request(action, "ClientToken=tok-1&MinCount=1"));
    EXPECT_EQ(aws.client_token, "tok-1") << action;
    EXPECT_EQ(aws.client_token_param, "ClientToken") << action;
  }
}

TEST(AwsRequest, FindsTheSpotFleetClientTokenInsideTheRequestConfig) {
  const AwsRequest aws = ParseAwsRequest(testing::Ec2Request(
      "RequestSpotFleet",
      "SpotFleetRequestConfig.ClientToken=sf-1&SpotFleetRequestConfig.TargetCapacity=2"));
  EXPECT_EQ(aws.client_token, "sf-1");
  EXPECT_EQ(aws.client_token_param, "SpotFleetRequestConfig.ClientToken");
}

TEST(AwsRequest, IgnoresEmptyTokensAndTokensOutsideEc2) {
  EXPECT_TRUE(
      ParseAwsRequest(testing::Ec2Request("RunInstances", "ClientToken=")).client_token.empty());
  EXPECT_TRUE(
      ParseAwsRequest(testing::AutoScalingRequest("CreateAutoScalingGroup", "ClientToken=x"))
          .client_token.empty());
}

TEST(AwsRequest, FingerprintIgnoresOrderButNotValues) {
  const auto a =
      ParseAwsRequest(FormRequest("Action=RunInstances&Version=2016-11-15&MinCount=1&MaxCount=2"));
  const auto b =
      ParseAwsRequest(FormRequest("MaxCount=2&MinCount=1&Version=2016-11-15&Action=RunInstances"));
  const auto c =
      ParseAwsRequest(FormRequest("Action=RunInstances&Version=2016-11-15&MinCount=1&MaxCount=3"));
  EXPECT_EQ(ParameterFingerprint(a.params), ParameterFingerprint(b.params));
  EXPECT_NE(ParameterFingerprint(a.params), ParameterFingerprint(c.params));
  // Moving a character between name and value changes the fingerprint.
  EXPECT_NE(ParameterFingerprint({{"ab", "c"}}), ParameterFingerprint({{"a", "bc"}}));
}

TEST(AwsRequest, ServiceNamesRoundTrip) {
  for (Service s : {Service::kEc2, Service::kAutoScaling, Service::kCloudWatch}) {
    EXPECT_EQ(ServiceFromName(ServiceName(s)), s);
  }
  EXPECT_EQ(ServiceName(Service::kUnknown), "unknown");
  EXPECT_FALSE(ServiceFromName("unknown").has_value());
}

}  // namespace
}  // namespace ohfp::chaos_proxy
