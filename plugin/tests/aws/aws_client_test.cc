#include "aws/aws_client.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <deque>
#include <map>
#include <mutex>

#include "aws/aws_error.h"
#include "aws/ec2/instances.h"
#include "aws/ec2/networks.h"
#include "aws/sigv4.h"
#include "aws/ssm/parameters.h"
#include "ohfp/resilience/manual_clock.h"
#include "ohfp/resilience/testing/scripted_random.h"

namespace ohfp::aws {
namespace {

using resilience::Error;
using resilience::ErrorKind;
using resilience::Result;
using ::testing::HasSubstr;

// Answers from a script and records every request it was sent.
class ScriptedTransport final : public HttpTransport {
 public:
  void Answer(int status, std::string body, Headers headers = {}) {
    std::lock_guard lock(mu_);
    answers_.push_back(HttpResponse{status, std::move(headers), std::move(body)});
  }
  void Fail(Error error) {
    std::lock_guard lock(mu_);
    failures_.push_back(std::move(error));
    answers_.push_back(HttpResponse{-1, {}, {}});
  }
  Result<HttpResponse> Send(const HttpRequest& request, resilience::Deadline,
                            std::stop_token) override {
    std::lock_guard lock(mu_);
    requests_.push_back(request);
    if (answers_.empty()) return Error(ErrorKind::kInternal, "NoScript", "no answer scripted");
    HttpResponse r = answers_.front();
    answers_.pop_front();
    if (r.status == -1) {
      Error e = failures_.front();
      failures_.pop_front();
      return e;
    }
    return r;
  }
  std::vector<HttpRequest> requests() const {
    std::lock_guard lock(mu_);
    return requests_;
  }

 private:
  mutable std::mutex mu_;
  std::deque<HttpResponse> answers_;
  std::deque<Error> failures_;
  std::vector<HttpRequest> requests_;
};

const char* kDescribeOk =
    "<DescribeInstancesResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\">"
    "<requestId>r-1</requestId><reservationSet/></DescribeInstancesResponse>";
const char* kThrottled =
    "<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit "
    "exceeded.</Message></Error>"
    "</Errors><RequestID>req-1</RequestID></Response>";
const char* kInvalid =
    "<Response><Errors><Error><Code>InvalidParameterValue</Code><Message>bad</Message></Error>"
    "</Errors><RequestID>req-2</RequestID></Response>";
const char* kSkewed =
    "<Response><Errors><Error><Code>RequestTimeTooSkewed</Code><Message>The difference between the "
    "request time "
    "and the current time is too "
    "large.</Message></Error></Errors><RequestID>req-3</RequestID></Response>";

class AwsClientTest : public ::testing::Test {
 protected:
  AwsClientTest()
      : credentials_(Credentials{.access_key_id = "AKIDEXAMPLE", .secret_access_key = "secret"}),
        pipeline_(Config(), {clock_, rng_, store_}) {
    std::array<Endpoint, kAwsServiceCount> endpoints;
    endpoints[0] = {"http://127.0.0.1:9999", "127.0.0.1:9999", "ec2", "us-east-1", "test"};
    endpoints[1] = {"http://127.0.0.1:9998", "127.0.0.1:9998", "autoscaling", "us-east-1", "test"};
    endpoints[2] = {"http://127.0.0.1:9997", "127.0.0.1:9997", "monitoring", "us-east-1", "test"};
    endpoints[3] = {"http://127.0.0.1:9996", "127.0.0.1:9996", "ssm", "us-east-1", "test"};
    client_ = std::make_unique<AwsClient>("us-east-1", endpoints,
                                          AwsClientDependencies{.transport = transport_,
                                                                .credentials = credentials_,
                                                                .clock = clock_,
                                                                .pipeline = pipeline_});
  }
  static resilience::ResilienceConfig Config() {
    resilience::ResilienceConfig c;
    c.retry.default_backoff.jitter = resilience::JitterMode::kNone;
    return c;
  }

  resilience::ManualClock clock_;
  resilience::testing::ScriptedRandom rng_{{0.5}};
  resilience::InMemoryStateStore store_;
  ScriptedTransport transport_;
  StaticCredentialsProvider credentials_;
  resilience::ResiliencePipeline pipeline_;
  std::unique_ptr<AwsClient> client_;
};

TEST_F(AwsClientTest, SignsAndSendsOneFormEncodedPost) {
  transport_.Answer(200, kDescribeOk);
  QueryParams params;
  params.AddString("InstanceId.1", "i-0abc");
  Result<XmlDocument> doc =
      client_->Call(AwsService::kEc2, "DescribeInstances", params, "ec2_describe_instances");
  ASSERT_TRUE(doc.ok()) << doc.error().ToString();
  EXPECT_EQ(RequestIdOf(*doc), "r-1");
  const std::vector<HttpRequest> sent = transport_.requests();
  ASSERT_EQ(sent.size(), 1U);
  EXPECT_EQ(sent[0].method, "POST");
  EXPECT_EQ(sent[0].url, "http://127.0.0.1:9999/");
  EXPECT_EQ(sent[0].body, "Action=DescribeInstances&Version=2016-11-15&InstanceId.1=i-0abc");
  EXPECT_EQ(FindHeader(sent[0].headers, "Host"), "127.0.0.1:9999");
  EXPECT_EQ(FindHeader(sent[0].headers, "X-Amz-Date"), FormatAmzDate(clock_.SystemNow()));
  EXPECT_THAT(std::string(*FindHeader(sent[0].headers, "Authorization")),
              HasSubstr("Credential=AKIDEXAMPLE/20260101/us-east-1/ec2/aws4_request"));
}

TEST_F(AwsClientTest, UsesEachServicesVersionAndEndpoint) {
  transport_.Answer(200,
                    "<DescribeAutoScalingGroupsResponse><DescribeAutoScalingGroupsResult/>"
                    "</DescribeAutoScalingGroupsResponse>");
  ASSERT_TRUE(client_
                  ->Call(AwsService::kAutoScaling, "DescribeAutoScalingGroups", {},
                         "autoscaling_describe_groups")
                  .ok());
  const HttpRequest sent = transport_.requests().at(0);
  EXPECT_EQ(sent.url, "http://127.0.0.1:9998/");
  EXPECT_EQ(sent.body, "Action=DescribeAutoScalingGroups&Version=2011-01-01");
  EXPECT_THAT(std::string(*FindHeader(sent.headers, "Authorization")),
              HasSubstr("/autoscaling/aws4_request"));
}

TEST_F(AwsClientTest, ThrottlingIsRetriedWithTheSameBody) {
  transport_.Answer(503, kThrottled);
  transport_.Answer(200,
                    "<RunInstancesResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\">"
                    "<requestId>r-2</requestId><instancesSet/></RunInstancesResponse>");
  QueryParams params;
  params.AddString("ClientToken", "req-42-attempt-1");
  Result<XmlDocument> doc =
      client_->Call(AwsService::kEc2, "RunInstances", params, "ec2_run_instances");
  ASSERT_TRUE(doc.ok()) << doc.error().ToString();
  const std::vector<HttpRequest> sent = transport_.requests();
  ASSERT_EQ(sent.size(), 2U);
  EXPECT_EQ(sent[0].body, sent[1].body) << "a retry sends the same ClientToken";
  EXPECT_THAT(clock_.sleeps(), ::testing::ElementsAre(std::chrono::seconds(1)));
}

TEST_F(AwsClientTest, ValidationErrorsAreNotRetriedAndKeepTheirDetails) {
  transport_.Answer(400, kInvalid);
  Result<XmlDocument> doc =
      client_->Call(AwsService::kEc2, "RunInstances", {}, "ec2_run_instances");
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.error().kind(), ErrorKind::kValidation);
  EXPECT_EQ(doc.error().code(), "InvalidParameterValue");
  EXPECT_EQ(doc.error().request_id(), "req-2");
  EXPECT_EQ(doc.error().http_status(), 400);
  EXPECT_EQ(transport_.requests().size(), 1U);
}

TEST_F(AwsClientTest, TransportFailuresAreRetried) {
  transport_.Fail(Error(ErrorKind::kTransient, "ConnectionRefused", "refused"));
  transport_.Answer(200, kDescribeOk);
  EXPECT_TRUE(
      client_->Call(AwsService::kEc2, "DescribeInstances", {}, "ec2_describe_instances").ok());
  EXPECT_EQ(transport_.requests().size(), 2U);
}

TEST_F(AwsClientTest, ClockSkewIsCorrectedFromTheDateHeaderAndRetriedOnce) {
  // The server's clock is an hour ahead of ours.
  const resilience::SysTime server = clock_.SystemNow() + std::chrono::hours(1);
  const std::string date = "Thu, 01 Jan 2026 01:00:00 GMT";
  ASSERT_EQ(*ParseHttpDate(date), server);
  transport_.Answer(403, kSkewed, {{"Date", date}});
  transport_.Answer(200, kDescribeOk);
  ASSERT_TRUE(
      client_->Call(AwsService::kEc2, "DescribeInstances", {}, "ec2_describe_instances").ok());
  const std::vector<HttpRequest> sent = transport_.requests();
  ASSERT_EQ(sent.size(), 2U);
  EXPECT_EQ(FindHeader(sent[1].headers, "X-Amz-Date"),
            FormatAmzDate(server + std::chrono::seconds(1)))
      << "the retry is signed with the corrected clock (after the 1 s backoff)";
  EXPECT_EQ(client_->clock_offset(), std::chrono::hours(1));
}

TEST_F(AwsClientTest, ASkewThatCorrectionDoesNotFixIsAnAuthenticationError) {
  const std::string date = "Thu, 01 Jan 2026 01:00:00 GMT";
  transport_.Answer(403, kSkewed, {{"Date", date}});
  transport_.Answer(403, kSkewed, {{"Date", "Thu, 01 Jan 2026 01:00:01 GMT"}});
  transport_.Answer(200, kDescribeOk);
  Result<XmlDocument> doc =
      client_->Call(AwsService::kEc2, "DescribeInstances", {}, "ec2_describe_instances");
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.error().kind(), ErrorKind::kAuthentication);
  EXPECT_EQ(transport_.requests().size(), 2U) << "one retry after the correction, not more";
}

TEST_F(AwsClientTest, MissingCredentialsSendNothing) {
  class NoCredentials final : public CredentialsProvider {
   public:
    Result<Credentials> Get() override {
      return Error(ErrorKind::kAuthentication, "NoCredentials", "none");
    }
    std::string_view name() const noexcept override { return "none"; }
  } none;
  std::array<Endpoint, kAwsServiceCount> endpoints;
  for (auto& e : endpoints) e = {"http://127.0.0.1:1", "127.0.0.1:1", "ec2", "us-east-1", "test"};
  AwsClient client(
      "us-east-1", endpoints,
      {.transport = transport_, .credentials = none, .clock = clock_, .pipeline = pipeline_});
  EXPECT_EQ(client.Call(AwsService::kEc2, "DescribeInstances", {}, "ec2_describe_instances")
                .error()
                .kind(),
            ErrorKind::kAuthentication);
  EXPECT_TRUE(transport_.requests().empty());
}

// Issue 11: a command's deadline is shared by every call its client makes. The first call's
// throttled attempts and backoff spend it; the second call sends nothing; neither counts against
// the breaker, and the launch is reported as an outcome that may have happened.
TEST_F(AwsClientTest, TheCommandDeadlineIsSharedByEveryCallAndBlamesNoService) {
  std::array<Endpoint, kAwsServiceCount> endpoints;
  for (auto& e : endpoints) e = client_->endpoint(AwsService::kEc2);
  const resilience::MonoTime start = clock_.Now();
  AwsClient client("us-east-1", endpoints,
                   {.transport = transport_,
                    .credentials = credentials_,
                    .clock = clock_,
                    .pipeline = pipeline_,
                    .deadline = resilience::Deadline::After(start, std::chrono::seconds(3))});
  class HangingTransport final : public HttpTransport {
   public:
    explicit HangingTransport(resilience::ManualClock& clock) : clock_(clock) {}
    Result<HttpResponse> Send(const HttpRequest&, resilience::Deadline deadline,
                              std::stop_token) override {
      ++sent;
      clock_.AdvanceTo(deadline.when());  // no answer until the attempt's deadline
      return Error(ErrorKind::kTimeout, "Timeout", "no answer");
    }
    int sent = 0;

   private:
    resilience::ManualClock& clock_;
  } hanging(clock_);
  AwsClient hung("us-east-1", endpoints,
                 {.transport = hanging,
                  .credentials = credentials_,
                  .clock = clock_,
                  .pipeline = pipeline_,
                  .deadline = resilience::Deadline::After(start, std::chrono::seconds(3))});
  for (int i = 0; i < 5; ++i) transport_.Answer(503, kThrottled);
  Result<XmlDocument> first =
      client.Call(AwsService::kEc2, "DescribeInstances", {}, "ec2_describe_instances");
  ASSERT_FALSE(first.ok());
  EXPECT_EQ(first.error().code(), "DeadlineExceeded") << first.error().ToString();
  EXPECT_LE(clock_.Now() - start, std::chrono::seconds(3));
  const std::size_t sent = transport_.requests().size();
  EXPECT_GE(sent, 1U);

  QueryParams run;
  run.AddInt("MinCount", 1);
  run.AddInt("MaxCount", 1);
  Result<XmlDocument> launch =
      hung.Create(AwsService::kEc2, "RunInstances", run, "ec2_run_instances");
  ASSERT_FALSE(launch.ok());
  EXPECT_EQ(launch.error().kind(), ErrorKind::kCancelled) << launch.error().ToString();
  EXPECT_LE(hanging.sent, 1) << "nothing is sent once the deadline has passed";

  Result<XmlDocument> second =
      client.Call(AwsService::kEc2, "DescribeInstances", {}, "ec2_describe_instances");
  EXPECT_EQ(second.error().code(), "DeadlineExceeded");
  EXPECT_EQ(transport_.requests().size(), sent) << "the second call sends nothing";
  const resilience::CircuitState state = pipeline_.breakers().Get("aws_ec2").state();
  EXPECT_EQ(state, resilience::CircuitState::kClosed);
}

TEST_F(AwsClientTest, FollowsPaginationTokens) {
  transport_.Answer(200,
                    "<DescribeInstancesResponse><reservationSet/><nextToken>p2</nextToken></"
                    "DescribeInstancesResponse>");
  transport_.Answer(200,
                    "<DescribeInstancesResponse><reservationSet/><nextToken>p3</nextToken></"
                    "DescribeInstancesResponse>");
  transport_.Answer(200,
                    "<DescribeInstancesResponse><reservationSet/></DescribeInstancesResponse>");
  QueryParams params;
  params.AddString("Filter.1.Name", "tag:ohfp:request-id");
  int pages = 0;
  ASSERT_TRUE(client_
                  ->CallPages(AwsService::kEc2, "DescribeInstances", params,
                              "ec2_describe_instances",
                              [&](XmlNode) {
                                ++pages;
                                return resilience::OkStatus();
                              })
                  .ok());
  EXPECT_EQ(pages, 3);
  const std::vector<HttpRequest> sent = transport_.requests();
  ASSERT_EQ(sent.size(), 3U);
  EXPECT_THAT(sent[0].body, ::testing::Not(HasSubstr("NextToken")));
  EXPECT_THAT(sent[1].body, HasSubstr("&NextToken=p2"));
  EXPECT_THAT(sent[2].body, HasSubstr("&NextToken=p3"));
}

TEST_F(AwsClientTest, APageHandlerErrorStopsThePagination) {
  transport_.Answer(
      200, "<DescribeInstancesResponse><nextToken>p2</nextToken></DescribeInstancesResponse>");
  resilience::Status s =
      client_->CallPages(AwsService::kEc2, "DescribeInstances", {}, "ec2_describe_instances",
                         [](XmlNode) -> resilience::Status {
                           return Error(ErrorKind::kInternal, "Bad", "unexpected page");
                         });
  EXPECT_EQ(s.error().code(), "Bad");
  EXPECT_EQ(transport_.requests().size(), 1U);
}

TEST_F(AwsClientTest, SpotFleetCallsGoToEc2UnderTheSpotFleetBreaker) {
  transport_.Answer(200, "<CancelSpotFleetRequestsResponse/>");
  transport_.Answer(200, kDescribeOk);
  ASSERT_TRUE(
      client_->Call(AwsService::kEc2, "CancelSpotFleetRequests", {}, "spot_fleet_cancel").ok());
  ASSERT_TRUE(
      client_->Call(AwsService::kEc2, "DescribeInstances", {}, "ec2_describe_instances").ok());
  EXPECT_EQ(transport_.requests().at(0).url, "http://127.0.0.1:9999/");
  std::map<std::string, std::string> service_of;
  for (const auto& op : pipeline_.monitor().Operations()) service_of[op.operation] = op.service;
  EXPECT_EQ(service_of["spot_fleet_cancel"], "aws_spot_fleet");
  EXPECT_EQ(service_of["ec2_describe_instances"], "aws_ec2");
}

// --- Answers that are not the answer (issue 9, item 4): an error, never an empty result

// A corporate proxy's login page, answered with 200 in place of AWS.
constexpr std::string_view kLoginPage =
    "<!DOCTYPE html>\n<html><head><title>Sign in - Corporate Web Gateway</title></head><body>"
    "<form action=\"/login\"><input name=\"user\"/></form></body></html>";

std::string Nested(int depth, std::string_view root) {
  std::string body = "<" + std::string(root) + ">";
  for (int i = 1; i < depth; ++i) body += "<item>";
  for (int i = 1; i < depth; ++i) body += "</item>";
  return body + "</" + std::string(root) + ">";
}

struct BadAnswer {
  std::string name;
  std::string body;
  Headers headers;
  std::string says;  // what the error message must name
};

std::vector<BadAnswer> BadAnswers() {
  return {
      {"another action's answer",
       "<TerminateInstancesResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\">"
       "<requestId>r-9</requestId><instancesSet/></TerminateInstancesResponse>",
       {{"Content-Type", "text/xml;charset=UTF-8"}},
       "with <TerminateInstancesResponse> in namespace 'http://ec2.amazonaws.com/doc/2016-11-15/' "
       "where <DescribeInstancesResponse> was expected"},
      {"a proxy's HTML login page",
       std::string(kLoginPage),
       {{"Content-Type", "text/html"}},
       "(Content-Type text/html)"},
      {"an XHTML login page",
       "<html xmlns=\"http://www.w3.org/1999/xhtml\"><body><form/></body></html>",
       {{"Content-Type", "application/xhtml+xml"}},
       "with <html> in namespace 'http://www.w3.org/1999/xhtml'"},
      {"the right root in another service's namespace",
       "<DescribeInstancesResponse xmlns=\"http://autoscaling.amazonaws.com/doc/2011-01-01/\">"
       "<reservationSet/></DescribeInstancesResponse>",
       {},
       "in namespace http://ec2.amazonaws.com/doc/2016-11-15/ was expected"},
      {"a document 200,000 deep",
       Nested(200'000, "DescribeInstancesResponse"),
       {},
       "deeper than 64 levels"},
      {"a truncated answer", std::string(kDescribeOk).substr(0, 90), {}, "not well-formed XML"},
      {"an empty body", "", {}, "empty"},
      {"plain text", "OK", {{"Content-Type", "text/plain"}}, "not well-formed XML"},
  };
}

TEST_F(AwsClientTest, A200ThatIsNotTheAnswerToTheActionIsARetriedServiceError) {
  for (const BadAnswer& bad : BadAnswers()) {
    SCOPED_TRACE(bad.name);
    const std::size_t before = transport_.requests().size();
    for (int i = 0; i < 3; ++i) transport_.Answer(200, bad.body, bad.headers);
    Result<XmlDocument> doc =
        client_->Call(AwsService::kEc2, "DescribeInstances", {}, "ec2_describe_instances");
    ASSERT_FALSE(doc.ok());
    EXPECT_EQ(doc.error().kind(), ErrorKind::kTransient) << doc.error().ToString();
    EXPECT_EQ(doc.error().code(), "MalformedResponse");
    EXPECT_THAT(std::string(doc.error().message()),
                HasSubstr("DescribeInstances answered HTTP 200"));
    EXPECT_THAT(std::string(doc.error().message()), HasSubstr(bad.says));
    EXPECT_EQ(transport_.requests().size() - before, 3U) << "retried like any transient failure";
    ASSERT_TRUE(pipeline_.breakers().Get("aws_ec2").Reset().ok());
  }
}

TEST_F(AwsClientTest, TheTypedDescribeReturnsAnErrorNotAnEmptyListForEachBadAnswer) {
  for (const BadAnswer& bad : BadAnswers()) {
    SCOPED_TRACE(bad.name);
    for (int i = 0; i < 3; ++i) transport_.Answer(200, bad.body, bad.headers);
    Result<std::vector<ec2::Instance>> instances =
        ec2::DescribeInstances(*client_, {.instance_ids = {"i-0abc"}});
    ASSERT_FALSE(instances.ok()) << instances->size() << " instances";
    EXPECT_EQ(instances.error().code(), "MalformedResponse");
    ASSERT_TRUE(pipeline_.breakers().Get("aws_ec2").Reset().ok());
  }
}

TEST_F(AwsClientTest, BadAnswersCountAgainstTheCircuitBreaker) {
  for (int i = 0; i < 30; ++i) transport_.Answer(200, std::string(kLoginPage));
  for (int call = 0; call < 10; ++call) {
    static_cast<void>(
        client_->Call(AwsService::kEc2, "DescribeInstances", {}, "ec2_describe_instances"));
  }
  EXPECT_NE(pipeline_.breakers().Get("aws_ec2").state(), resilience::CircuitState::kClosed);
}

TEST_F(AwsClientTest, TheAnswerIsAcceptedWithOrWithoutItsNamespace) {
  for (const std::string_view ns : {"", " xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\"",
                                    " xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15\""}) {
    transport_.Answer(200, "<DescribeInstancesResponse" + std::string(ns) +
                               "><reservationSet/></DescribeInstancesResponse>");
    Result<XmlDocument> doc =
        client_->Call(AwsService::kEc2, "DescribeInstances", {}, "ec2_describe_instances");
    EXPECT_TRUE(doc.ok()) << ns << ": " << doc.error().ToString();
  }
  transport_.Answer(200,
                    "<ec2:DescribeInstancesResponse xmlns:ec2=\"http://ec2.amazonaws.com/doc/"
                    "2016-11-15/\"><ec2:reservationSet/></ec2:DescribeInstancesResponse>");
  EXPECT_TRUE(
      client_->Call(AwsService::kEc2, "DescribeInstances", {}, "ec2_describe_instances").ok());
  transport_.Answer(200,
                    "<DescribeAutoScalingGroupsResponse xmlns=\"http://autoscaling.amazonaws.com/"
                    "doc/2011-01-01/\"><DescribeAutoScalingGroupsResult/>"
                    "</DescribeAutoScalingGroupsResponse>");
  EXPECT_TRUE(client_
                  ->Call(AwsService::kAutoScaling, "DescribeAutoScalingGroups", {},
                         "autoscaling_describe_groups")
                  .ok());
}

TEST(AwsServices, DescribeNamesSigningVersionAndBreaker) {
  EXPECT_EQ(Describe(AwsService::kEc2).signing_name, "ec2");
  EXPECT_EQ(Describe(AwsService::kAutoScaling).api_version, "2011-01-01");
  EXPECT_EQ(Describe(AwsService::kCloudWatch).signing_name, "monitoring");
  EXPECT_EQ(Describe(AwsService::kCloudWatch).resilience_service, "aws_cloudwatch");
  EXPECT_EQ(Describe(AwsService::kSsm).signing_name, "ssm");
  EXPECT_EQ(Describe(AwsService::kSsm).resilience_service, "aws_ssm");
  EXPECT_EQ(Describe(AwsService::kSsm).json_target_prefix, "AmazonSSM");
  EXPECT_EQ(Describe(AwsService::kEc2).json_target_prefix, "");
}

// --- the JSON 1.1 protocol (SSM) ---

const char* kParameter =
    R"({"Parameter": {"ARN": "arn:aws:ssm:us-east-1::parameter/aws/service/ami-amazon-linux-latest/)"
    R"(al2023-ami-kernel-default-x86_64", "DataType": "text", "LastModifiedDate": 1767225600.5,)"
    R"( "Name": "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64",)"
    R"( "Type": "String", "Value": "ami-0ed094fb1304fd857", "Version": 161}})";

TEST_F(AwsClientTest, JsonCallsPostTheDocumentWithItsTargetSignedForTheService) {
  transport_.Answer(200, kParameter);
  Result<aws::ssm::Parameter> p =
      aws::ssm::GetParameter(*client_, {.name = aws::ssm::kAmazonLinux2023Parameter});
  ASSERT_TRUE(p.ok()) << p.error().ToString();
  EXPECT_EQ(p->value, "ami-0ed094fb1304fd857");
  EXPECT_EQ(p->name, aws::ssm::kAmazonLinux2023Parameter);
  EXPECT_EQ(p->type, "String");
  EXPECT_EQ(p->data_type, "text");
  EXPECT_EQ(p->version, 161);
  ASSERT_TRUE(p->last_modified.has_value());
  EXPECT_EQ(p->last_modified->time_since_epoch(),
            std::chrono::seconds(1767225600) + std::chrono::milliseconds(500));

  const std::vector<HttpRequest> sent = transport_.requests();
  ASSERT_EQ(sent.size(), 1U);
  EXPECT_EQ(sent[0].method, "POST");
  EXPECT_EQ(sent[0].url, "http://127.0.0.1:9996/");
  EXPECT_EQ(sent[0].body,
            R"({"Name":"/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"})");
  EXPECT_EQ(FindHeader(sent[0].headers, "X-Amz-Target"), "AmazonSSM.GetParameter");
  EXPECT_EQ(FindHeader(sent[0].headers, "Content-Type"), "application/x-amz-json-1.1");
  EXPECT_EQ(FindHeader(sent[0].headers, "Host"), "127.0.0.1:9996");
  const std::string authorization(*FindHeader(sent[0].headers, "Authorization"));
  EXPECT_THAT(authorization, HasSubstr("/us-east-1/ssm/aws4_request"));
  EXPECT_THAT(authorization, HasSubstr("x-amz-target")) << "the target is signed";
}

TEST_F(AwsClientTest, AMissingParameterIsNotFoundAndNotRetried) {
  transport_.Answer(400, R"({"__type": "ParameterNotFound", "message": "Parameter /x not found."})",
                    {{"x-amzn-RequestId", "rid-7"}});
  Result<aws::ssm::Parameter> p = aws::ssm::GetParameter(*client_, {.name = "/x"});
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().kind(), ErrorKind::kNotFound);
  EXPECT_EQ(p.error().code(), "ParameterNotFound");
  EXPECT_EQ(p.error().message(), "Parameter /x not found.");
  EXPECT_EQ(p.error().request_id(), "rid-7");
  EXPECT_EQ(p.error().http_status(), 400);
  EXPECT_EQ(transport_.requests().size(), 1U);
}

TEST_F(AwsClientTest, JsonThrottlingIsRetriedUnderTheSsmBreaker) {
  transport_.Answer(400, R"({"__type": "com.amazon.coral.availability#ThrottlingException",)"
                         R"( "message": "Rate exceeded"})");
  transport_.Answer(200, kParameter);
  ASSERT_TRUE(aws::ssm::GetParameter(*client_, {.name = "/x"}).ok());
  const std::vector<HttpRequest> sent = transport_.requests();
  ASSERT_EQ(sent.size(), 2U);
  EXPECT_EQ(sent[0].body, sent[1].body);
  EXPECT_THAT(clock_.sleeps(), ::testing::ElementsAre(std::chrono::seconds(1)));
  std::map<std::string, std::string> service_of;
  for (const auto& op : pipeline_.monitor().Operations()) service_of[op.operation] = op.service;
  EXPECT_EQ(service_of["ssm_get_parameter"], "aws_ssm");
}

TEST_F(AwsClientTest, AJsonAnswerThatIsNotJsonIsAMalformedResponse) {
  for (int i = 0; i < 3; ++i) transport_.Answer(200, "<html>proxy</html>");
  Result<std::string> r = client_->CallJson(AwsService::kSsm, "GetParameter", "{}", "ssm_x");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), "MalformedResponse");
  EXPECT_EQ(r.error().kind(), ErrorKind::kTransient);
}

TEST_F(AwsClientTest, AQueryServiceHasNoJsonCalls) {
  Result<std::string> r = client_->CallJson(AwsService::kEc2, "DescribeVpcs", "{}", "ec2_x");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind(), ErrorKind::kInternal);
  EXPECT_TRUE(transport_.requests().empty());
}

TEST(JsonErrors, TheTypeComesFromTheBodyOrTheHeader) {
  const Error typed = MapJsonErrorResponse(
      {400, {}, R"({"__type": "com.amazonaws.ssm#ParameterVersionNotFound", "Message": "v9"})"});
  EXPECT_EQ(typed.code(), "ParameterVersionNotFound");
  EXPECT_EQ(typed.kind(), ErrorKind::kNotFound);
  EXPECT_EQ(typed.message(), "v9");
  const Error header = MapJsonErrorResponse(
      {403, {{"x-amzn-ErrorType", "AccessDeniedException:http://internal.amazon.com/"}}, "{}"});
  EXPECT_EQ(header.code(), "AccessDeniedException");
  EXPECT_EQ(header.kind(), ErrorKind::kAuthorization);
  const Error untyped = MapJsonErrorResponse({502, {}, "<html>Bad gateway</html>"});
  EXPECT_EQ(untyped.code(), "Http502");
  EXPECT_EQ(untyped.kind(), ErrorKind::kTransient);
  EXPECT_THAT(std::string(untyped.message()), HasSubstr("Bad gateway"));
}

// --- EC2 networks ---

TEST_F(AwsClientTest, NetworkDescribesSendTheirFiltersAndReadEveryItem) {
  transport_.Answer(200,
                    "<DescribeVpcsResponse><vpcSet><item><vpcId>vpc-1</vpcId><state>available"
                    "</state><cidrBlock>172.31.0.0/16</cidrBlock><isDefault>true</isDefault>"
                    "</item></vpcSet></DescribeVpcsResponse>");
  transport_.Answer(
      200,
      "<DescribeSubnetsResponse><subnetSet><item><subnetId>subnet-a</subnetId><vpcId>vpc-1"
      "</vpcId><state>available</state><availabilityZone>us-east-1a</availabilityZone>"
      "<cidrBlock>172.31.0.0/20</cidrBlock><availableIpAddressCount>4091"
      "</availableIpAddressCount><defaultForAz>true</defaultForAz><mapPublicIpOnLaunch>true"
      "</mapPublicIpOnLaunch></item><item><subnetId>subnet-b</subnetId></item></subnetSet>"
      "</DescribeSubnetsResponse>");
  transport_.Answer(200,
                    "<DescribeSecurityGroupsResponse><securityGroupInfo><item><groupId>sg-1"
                    "</groupId><groupName>default</groupName><vpcId>vpc-1</vpcId>"
                    "<groupDescription>default VPC security group</groupDescription></item>"
                    "</securityGroupInfo></DescribeSecurityGroupsResponse>");
  auto vpcs = aws::ec2::DescribeVpcs(*client_, {{"is-default", {"true"}}});
  ASSERT_TRUE(vpcs.ok()) << vpcs.error().ToString();
  ASSERT_EQ(vpcs->size(), 1U);
  EXPECT_EQ(vpcs->at(0).vpc_id, "vpc-1");
  EXPECT_TRUE(vpcs->at(0).is_default);
  EXPECT_EQ(vpcs->at(0).cidr_block, "172.31.0.0/16");
  auto subnets = aws::ec2::DescribeSubnets(*client_, {{"vpc-id", {"vpc-1"}}});
  ASSERT_TRUE(subnets.ok()) << subnets.error().ToString();
  ASSERT_EQ(subnets->size(), 2U);
  EXPECT_EQ(subnets->at(0).availability_zone, "us-east-1a");
  EXPECT_EQ(subnets->at(0).available_ip_address_count, 4091);
  EXPECT_TRUE(subnets->at(0).default_for_az);
  EXPECT_TRUE(subnets->at(0).map_public_ip_on_launch);
  EXPECT_EQ(subnets->at(1).subnet_id, "subnet-b");
  EXPECT_FALSE(subnets->at(1).default_for_az);
  auto groups = aws::ec2::DescribeSecurityGroups(*client_, {{"group-name", {"default"}}});
  ASSERT_TRUE(groups.ok()) << groups.error().ToString();
  ASSERT_EQ(groups->size(), 1U);
  EXPECT_EQ(groups->at(0).group_id, "sg-1");
  EXPECT_EQ(groups->at(0).description, "default VPC security group");

  const std::vector<HttpRequest> sent = transport_.requests();
  ASSERT_EQ(sent.size(), 3U);
  EXPECT_EQ(
      sent[0].body,
      "Action=DescribeVpcs&Version=2016-11-15&Filter.1.Name=is-default&Filter.1.Value.1=true");
  EXPECT_THAT(sent[1].body, HasSubstr("Action=DescribeSubnets&"));
  EXPECT_THAT(sent[2].body, HasSubstr("Action=DescribeSecurityGroups&"));
}

TEST_F(AwsClientTest, ASubnetWithoutItsIdIsAnUnexpectedResponse) {
  transport_.Answer(200,
                    "<DescribeSubnetsResponse><subnetSet><item><vpcId>vpc-1</vpcId></item>"
                    "</subnetSet></DescribeSubnetsResponse>");
  auto subnets = aws::ec2::DescribeSubnets(*client_, {});
  ASSERT_FALSE(subnets.ok());
  EXPECT_EQ(subnets.error().code(), "UnexpectedResponse");
}

}  // namespace
}  // namespace ohfp::aws
