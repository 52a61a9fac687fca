// The AWS client under failure: through ohfp-chaos-proxy in front of moto, and against moto
// checking signatures.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "aws/aws_error.h"
#include "aws/ec2/instances.h"
#include "aws/sigv4.h"
#include "aws_world.h"

namespace ohfp::testing {
namespace {

using aws::ec2::DescribeInstancesRequest;
using aws::ec2::RunInstancesRequest;
using resilience::ErrorKind;

resilience::ResilienceConfig FastRetries() {
  resilience::ResilienceConfig c;
  c.retry.default_backoff = {std::chrono::milliseconds(10), std::chrono::milliseconds(50), 2.0,
                             resilience::JitterMode::kNone};
  c.retry.default_max_attempts = 4;
  c.circuit_breaker.defaults.failure_threshold = 100;
  c.timeout.default_timeout = std::chrono::seconds(20);
  // Short enough to keep the hang test bearable, long enough for a fresh moto's first
  // DescribeInstances (it builds its EC2 backend then: several seconds on a loaded 2-core machine).
  c.timeout.operations["ec2_describe_instances"] = std::chrono::seconds(15);
  return c;
}

class AwsThroughProxyTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::string why;
    world_ = AwsWorld::Create({.with_proxy = true, .resilience = FastRetries()}, &why).release();
    if (world_ == nullptr) failure_ = why;
  }
  static void TearDownTestSuite() {
    delete world_;
    world_ = nullptr;
  }
  void SetUp() override {
    ASSERT_NE(world_, nullptr) << failure_;
    world_->Reset();
  }
  void Rules(const std::string& json) {
    std::string why;
    ASSERT_TRUE(world_->proxy()->SetRules(json, &why)) << why;
  }
  nlohmann::json Stats() { return nlohmann::json::parse(world_->proxy()->Stats()); }
  aws::AwsClient& client() { return world_->client(); }

  static AwsWorld* world_;
  static std::string failure_;
};
AwsWorld* AwsThroughProxyTest::world_ = nullptr;
std::string AwsThroughProxyTest::failure_;

TEST_F(AwsThroughProxyTest, ThrottlingIsRetriedAndSucceedsWithinMaxAttempts) {
  Rules(
      R"({"rules": [{"match": {"action": "DescribeInstances"}, "max_hits": 2, "fault": {"type": "throttle"}}]})");
  const auto before = world_->pipeline().monitor().GetMetricsSummary();
  auto r = aws::ec2::DescribeInstances(client(), {});
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  const auto after = world_->pipeline().monitor().GetMetricsSummary();
  EXPECT_EQ(after.retry_attempts - before.retry_attempts, 2U);
  EXPECT_EQ(Stats()["actions"]["DescribeInstances"]["requests"], 3);
}

TEST_F(AwsThroughProxyTest, ThrottlingThatOutlastsTheAttemptsFailsAsThrottled) {
  Rules(
      R"({"rules": [{"match": {"action": "DescribeInstances"}, "fault": {"type": "throttle"}}]})");
  auto r = aws::ec2::DescribeInstances(client(), {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind(), ErrorKind::kThrottled);
  EXPECT_EQ(r.error().code(), "RequestLimitExceeded");
  EXPECT_EQ(r.error().http_status(), 503);
  EXPECT_EQ(Stats()["actions"]["DescribeInstances"]["requests"], 4);
}

TEST_F(AwsThroughProxyTest, ValidationErrorsAreNotRetried) {
  Rules(R"({"rules": [{"match": {"action": "RunInstances"},
             "fault": {"type": "error", "status": 400, "code": "InvalidParameterValue", "message": "bad"}}]})");
  auto r =
      aws::ec2::RunInstances(client(), {.image_id = "ami-12345678", .instance_type = "c5.large"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind(), ErrorKind::kValidation);
  EXPECT_EQ(Stats()["actions"]["RunInstances"]["requests"], 1);
}

TEST_F(AwsThroughProxyTest, ServerErrorsAndHtmlPagesAreRetried) {
  Rules(R"({"rules": [{"match": {"action": "DescribeInstances"}, "max_hits": 1,
                       "fault": {"type": "error", "status": 502, "html": true}},
                      {"match": {"action": "DescribeInstances"}, "max_hits": 1,
                       "fault": {"type": "error", "status": 500, "code": "InternalError"}}]})");
  auto r = aws::ec2::DescribeInstances(client(), {});
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(Stats()["actions"]["DescribeInstances"]["requests"], 3);
}

TEST_F(AwsThroughProxyTest, AHangEndsAtTheDeadlineNotWhenTheServerGivesUp) {
  // The proxy holds the answer for 60 s; ec2_describe_instances has a 15 s deadline.
  Rules(
      R"({"rules": [{"match": {"action": "DescribeInstances"}, "fault": {"type": "hang", "ms": 60000}}]})");
  const auto start = std::chrono::steady_clock::now();
  auto r = aws::ec2::DescribeInstances(client(), {});
  const auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind(), ErrorKind::kTimeout);
  EXPECT_GE(elapsed, std::chrono::seconds(15)) << "the attempt may use the whole deadline";
  EXPECT_LT(elapsed, std::chrono::seconds(60)) << "the call must not wait for the server";
}

TEST_F(AwsThroughProxyTest, ALostRunInstancesAnswerIsRetriedWithItsTokenAndLaunchesOnce) {
  Rules(
      R"({"rules": [{"match": {"action": "RunInstances"}, "max_hits": 1, "fault": {"type": "drop_response"}}]})");
  RunInstancesRequest run{.image_id = "ami-12345678",
                          .instance_type = "c5.large",
                          .min_count = 2,
                          .max_count = 2,
                          .client_token = "req-9-attempt-1",
                          .tags = {{"ohfp:request-id", "req-9"}}};
  auto r = aws::ec2::RunInstances(client(), run);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->instances.size(), 2U);
  const nlohmann::json stats = Stats();
  EXPECT_EQ(stats["actions"]["RunInstances"]["requests"], 2) << stats.dump();
  // What exists in moto afterwards: exactly one set of instances.
  auto all = aws::ec2::DescribeInstances(
      client(), DescribeInstancesRequest{.filters = {{"tag:ohfp:request-id", {"req-9"}}}});
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 2U);
}

// moto checks signatures after its first N calls; those N create a user with an access key and an
// allow-all policy.
class AwsSignatureTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::string why;
    world_ = AwsWorld::Create({.resilience = FastRetries(),
                               .moto = {.env = {{"INITIAL_NO_AUTH_ACTION_COUNT", "4"}}}},
                              &why)
                 .release();
    if (world_ == nullptr) {
      failure_ = why;
      return;
    }
    failure_ = CreateUser();
  }
  static void TearDownTestSuite() {
    delete world_;
    world_ = nullptr;
  }
  void SetUp() override { ASSERT_TRUE(world_ != nullptr && failure_.empty()) << failure_; }

  // IAM through the same signer and transport, while moto does not check yet.
  static resilience::Result<aws::XmlDocument> Iam(const std::string& body) {
    aws::HttpRequest request{
        .method = "POST",
        .url = world_->moto().url() + "/",
        .headers = {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}},
        .body = body};
    resilience::SystemClock clock;
    if (auto s =
            aws::SignRequest(request, {.access_key_id = "testing", .secret_access_key = "testing"},
                             "us-east-1", "iam", clock.SystemNow());
        !s.ok()) {
      return s.error();
    }
    aws::SocketTransport transport(clock);
    auto response = transport.Send(
        request, resilience::Deadline::After(clock.Now(), std::chrono::seconds(30)), {});
    if (!response.ok()) return response.error();
    if (aws::IsErrorResponse(*response)) return aws::MapErrorResponse(*response);
    return aws::XmlDocument::Parse(response->body);
  }
  static std::string CreateUser() {
    const std::string v = "&Version=2010-05-08";
    if (auto r = Iam("Action=CreateUser&UserName=ohfp" + v); !r.ok()) return r.error().ToString();
    auto key = Iam("Action=CreateAccessKey&UserName=ohfp" + v);
    if (!key.ok()) return key.error().ToString();
    key_id_ = key->Find("AccessKeyId").Text();
    secret_ = key->Find("SecretAccessKey").Text();
    const std::string policy = aws::PercentEncode(
        R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]})");
    if (auto r =
            Iam("Action=PutUserPolicy&UserName=ohfp&PolicyName=all&PolicyDocument=" + policy + v);
        !r.ok()) {
      return r.error().ToString();
    }
    return key_id_.empty() ? "CreateAccessKey returned no key" : "";
  }

  static AwsWorld* world_;
  static std::string failure_;
  static std::string key_id_;
  static std::string secret_;
};
AwsWorld* AwsSignatureTest::world_ = nullptr;
std::string AwsSignatureTest::failure_;
std::string AwsSignatureTest::key_id_;
std::string AwsSignatureTest::secret_;

TEST_F(AwsSignatureTest, AGoodSignaturePasses) {
  auto client = world_->ClientWith(key_id_, secret_);
  auto r = aws::ec2::DescribeInstances(*client, {});
  EXPECT_TRUE(r.ok()) << r.error().ToString();
}

TEST_F(AwsSignatureTest, AWrongSecretIsAnAuthenticationErrorThatIsNotRetried) {
  auto client = world_->ClientWith(key_id_, secret_ + "x");
  const auto before = world_->pipeline().monitor().GetMetricsSummary();
  auto r = aws::ec2::DescribeInstances(*client, {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind(), ErrorKind::kAuthentication) << r.error().ToString();
  const auto after = world_->pipeline().monitor().GetMetricsSummary();
  EXPECT_EQ(after.attempts - before.attempts, 1U);
  EXPECT_EQ(after.retry_attempts, before.retry_attempts);
}

}  // namespace
}  // namespace ohfp::testing
