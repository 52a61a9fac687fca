// The proxy in front of the real moto emulator: what a user of our tests relies on. A lost
// RunInstances response, retried with its ClientToken, must leave exactly one reservation in moto
// (moto alone would launch twice), throttling must come back in the shape AWS uses, and the
// throttling model must refuse launches beyond its resource tokens before moto sees them.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>

#include <cstdlib>
#include <thread>

#include "ohfp/chaos_proxy/chaos_proxy.h"
#include "ohfp/chaos_proxy/proxy_server.h"
#include "ohfp/chaos_proxy/upstream.h"
#include "ohfp/resilience/clock.h"
#include "ohfp/resilience/manual_clock.h"
#include "ohfp/resilience/random.h"
#include "process.h"
#include "test_support.h"

namespace ohfp::chaos_proxy {
namespace {

using ::testing::HasSubstr;

constexpr const char* kFormType = "application/x-www-form-urlencoded; charset=utf-8";
// moto does not check signatures unless asked to, but routes a request by its credential scope.
constexpr const char* kEc2Authorization =
    "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/ec2/aws4_request, "
    "SignedHeaders=content-type;host;x-amz-date, Signature=0000";

class Moto {
 public:
  Moto() : port_(testing::UnusedPort()) {
    process_ = std::make_unique<testing::Process>(std::vector<std::string>{
        "python3", "-m", "moto.server", "-H", "127.0.0.1", "-p", std::to_string(port_)});
    // Werkzeug says " * Running on http://127.0.0.1:PORT" on stderr once it listens.
    while (process_->StderrOpen()) {
      const std::string line = process_->ReadStderrLine();
      startup_log_ += line + "\n";
      if (line.find("Running on") != std::string::npos) {
        ready_ = true;
        break;
      }
    }
    drain_ = std::thread(
        [this] { process_->ReadAllStderr(); });  // its request log must not fill the pipe
  }
  ~Moto() {
    process_->Signal(SIGTERM);
    process_->Wait();
    drain_.join();
  }

  bool ready() const { return ready_; }
  const std::string& startup_log() const { return startup_log_; }
  int port() const { return port_; }

  // EC2 through moto directly, bypassing the proxy.
  std::string Ec2(const std::string& body) {
    httplib::Client client("127.0.0.1", port_);
    client.set_read_timeout(60, 0);
    auto result = client.Post("/", Ec2Headers(), body, kFormType);
    return result ? result->body : "";
  }

  static httplib::Headers Ec2Headers() {
    return {{"Host", "ec2.us-east-1.amazonaws.com"},
            {"Authorization", kEc2Authorization},
            {"X-Amz-Date", "20260101T000000Z"}};
  }

 private:
  int port_;
  std::unique_ptr<testing::Process> process_;
  std::thread drain_;
  bool ready_ = false;
  std::string startup_log_;
};

std::size_t Count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + 1)) ++n;
  return n;
}

class MotoTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    signal(SIGPIPE, SIG_IGN);
    moto_available_ = std::system("python3 -c 'import moto.server' >/dev/null 2>&1") == 0;
  }

  void SetUp() override {
    ASSERT_TRUE(moto_available_)
        << "these tests need the moto emulator: `python3 -c 'import moto.server'` "
           "failed (moto 5 is expected in the default python3)";
    moto_ = std::make_unique<Moto>();
    ASSERT_TRUE(moto_->ready()) << "moto did not start:\n" << moto_->startup_log();
  }

  void StartProxy(std::string_view rules_json, bool idempotency = true) {
    ParsedRules parsed = ParseRules(rules_json);
    ASSERT_TRUE(parsed.ok());
    UpstreamOptions upstream_options;
    upstream_options.url = "http://127.0.0.1:" + std::to_string(moto_->port());
    auto upstream = HttplibUpstream::Create(upstream_options);
    ASSERT_TRUE(upstream.ok());
    upstream_ = std::move(*upstream);
    ProxyOptions options;
    options.idempotency = idempotency;
    proxy_ = std::make_unique<ChaosProxy>(clock_, random_, *upstream_, std::move(*parsed.rules),
                                          options);
    server_ = std::make_unique<ProxyServer>(*proxy_, ServerOptions{});
    ASSERT_TRUE(server_->Start().ok());
  }

  httplib::Result ThroughProxy(const std::string& body) {
    httplib::Client client("127.0.0.1", server_->port());
    client.set_read_timeout(60, 0);
    return client.Post("/", Moto::Ec2Headers(), body, kFormType);
  }

  void TearDown() override {
    if (server_) server_->Stop();
  }

  static bool moto_available_;
  std::unique_ptr<Moto> moto_;
  resilience::ManualClock clock_;  // nothing here waits; the throttling model refills on it
  resilience::SeededRandom random_{3};
  std::unique_ptr<HttplibUpstream> upstream_;
  std::unique_ptr<ChaosProxy> proxy_;
  std::unique_ptr<ProxyServer> server_;
};

bool MotoTest::moto_available_ = false;

const std::string kLaunch =
    "Action=RunInstances&Version=2016-11-15&ImageId=ami-12c6146b&InstanceType=t2.micro&MinCount=2&"
    "MaxCount=2"
    "&ClientToken=moto-launch-1";

TEST_F(MotoTest, ALostLaunchRetriedWithItsTokenLeavesOneReservation) {
  StartProxy(
      R"({"rules": [{"match": {"action": "RunInstances"}, "max_hits": 1, "fault": {"type": "drop_response"}}]})");
  EXPECT_FALSE(ThroughProxy(kLaunch));  // moto launched, the answer was lost
  auto retry = ThroughProxy(kLaunch);
  ASSERT_TRUE(retry);
  EXPECT_EQ(retry->status, 200);
  EXPECT_THAT(retry->body, HasSubstr("<reservationId>"));

  const std::string instances = moto_->Ec2("Action=DescribeInstances&Version=2016-11-15");
  EXPECT_EQ(Count(instances, "<reservationId>"), 1u) << instances;
  EXPECT_EQ(Count(instances, "<instanceId>"), 2u);
}

TEST_F(MotoTest, WithoutTheProxysIdempotencyMotoLaunchesTwice) {
  // The reason the emulation exists: this test documents moto's gap.
  StartProxy(R"({"rules": []})", /*idempotency=*/false);
  ASSERT_TRUE(ThroughProxy(kLaunch));
  ASSERT_TRUE(ThroughProxy(kLaunch));
  const std::string instances = moto_->Ec2("Action=DescribeInstances&Version=2016-11-15");
  EXPECT_EQ(Count(instances, "<reservationId>"), 2u);
}

TEST_F(MotoTest, ThrottlesInFrontOfMotoAndPassesTheRestThrough) {
  StartProxy(
      R"({"rules": [{"match": {"action": "DescribeRegions"}, "max_hits": 1, "fault": {"type": "throttle"}}]})");
  auto throttled = ThroughProxy("Action=DescribeRegions&Version=2016-11-15");
  ASSERT_TRUE(throttled);
  EXPECT_EQ(throttled->status, 503);
  EXPECT_THAT(throttled->body, HasSubstr("<Code>RequestLimitExceeded</Code>"));
  auto passed = ThroughProxy("Action=DescribeRegions&Version=2016-11-15");
  ASSERT_TRUE(passed);
  EXPECT_EQ(passed->status, 200);
  EXPECT_THAT(passed->body, HasSubstr("<regionName>us-east-1</regionName>"));
}

TEST_F(MotoTest, TheThrottlingModelRefusesLaunchesBeyondItsResourceTokens) {
  // RunInstances' resource bucket made small (5 instances, 2 per second); its request bucket as
  // published (5 requests, 2 per second).
  StartProxy(R"({"rules": [], "throttling": {"actions": {"RunInstances":
      {"resource": {"capacity": 5, "refill_rate": 2}}}}})");
  const std::string launch_two =
      "Action=RunInstances&Version=2016-11-15&ImageId=ami-12c6146b&InstanceType=t2.micro&"
      "MinCount=2&MaxCount=2";
  for (int i = 0; i < 2; ++i) {
    auto launched = ThroughProxy(launch_two);
    ASSERT_TRUE(launched);
    EXPECT_EQ(launched->status, 200) << launched->body;
  }
  auto refused = ThroughProxy(launch_two);  // one token left, two needed
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 503);
  EXPECT_THAT(refused->body, HasSubstr("<Code>RequestLimitExceeded</Code>"));
  EXPECT_EQ(Count(moto_->Ec2("Action=DescribeInstances&Version=2016-11-15"), "<instanceId>"), 4u);

  clock_.Advance(std::chrono::seconds(1));  // 1 + 2 tokens
  auto later = ThroughProxy(launch_two);
  ASSERT_TRUE(later);
  EXPECT_EQ(later->status, 200);
  EXPECT_EQ(Count(moto_->Ec2("Action=DescribeInstances&Version=2016-11-15"), "<instanceId>"), 6u);
  const auto counters = proxy_->throttle_model().ForAction(Service::kEc2, "RunInstances");
  EXPECT_EQ(counters.accepted, 3u);
  EXPECT_EQ(counters.throttled_on_resources, 1u);
  EXPECT_EQ(counters.resource_tokens, 6u);
}

}  // namespace
}  // namespace ohfp::chaos_proxy
