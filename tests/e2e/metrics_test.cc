// CloudWatch publishing (docs/configuration.md `metrics.cloudwatch`, docs/operations.md "Metrics"),
// through the shims against moto behind the proxy:
//  - with `metrics.cloudwatch` on, every command's counters reach moto's CloudWatch: ListMetrics
//    shows ohfp_commands_total with the dimensions command, exit_code and provider
//    (HF_PROVIDER_NAME), and the resilience counters of the AWS calls the command made;
//    GetMetricStatistics sums one per command run;
//  - with CloudWatch failing (a proxy error rule on the monitoring service), the command still
//    succeeds and follows the contract, app.log says "cannot publish metrics to CloudWatch", and
//    nothing reaches moto's CloudWatch;
//  - with it off (the default), no PutMetricData is sent.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "e2e_suite.h"
#include "e2e_world.h"

namespace ohfp::testing {
namespace {

using hf_simulator::Simulator;
using ::testing::Contains;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr const char* kNamespace = "OHFP/E2E";
constexpr const char* kProvider = "e2e-metrics";
constexpr std::chrono::milliseconds kPoll(200);
constexpr std::chrono::seconds kWait(60);

class MetricsTest : public E2eSuite<MetricsTest> {
 protected:
  static nlohmann::json CloudWatchOn() {
    nlohmann::json config = FastTestConfig();
    config["metrics"]["cloudwatch"] = true;
    config["metrics"]["cloudwatch_namespace"] = kNamespace;
    return config;
  }
  static std::vector<MotoMetric> Metrics() {
    std::string why;
    std::vector<MotoMetric> metrics = MotoMetrics(world_->moto(), kNamespace, &why);
    EXPECT_EQ(why, "");
    return metrics;
  }
  static double CommandsTotal(const std::string& command) {
    std::string why;
    const double sum =
        MotoMetricSum(world_->moto(), kNamespace, "ohfp_commands_total",
                      {{"command", command}, {"exit_code", "0"}, {"provider", kProvider}}, &why);
    EXPECT_EQ(why, "");
    return sum;
  }
  // A requestMachines of one machine, polled to complete: two commands.
  static std::string RequestOne(Simulator& sim) {
    const hf_simulator::CallResult r = sim.RequestMachines("OnDemand", 1);
    EXPECT_TRUE(r.ok()) << r.Describe();
    if (!r.ok()) return "";
    const std::string id = r.json["requestId"];
    const auto done = sim.WaitFor({id}, {.poll_interval = kPoll, .timeout = kWait});
    EXPECT_TRUE(done.finished());
    if (done.finished()) {
      EXPECT_EQ(done.last.at(id).value("status", ""), "complete");
    }
    return id;
  }
};

TEST_F(MetricsTest, EachCommandsCountersReachCloudWatchWithTheirDimensions) {
  PluginInstall install(world_->endpoint(), RunInstancesCase().templates, CloudWatchOn());
  install.SetEnv("HF_PROVIDER_NAME", kProvider);
  Simulator sim(SimulatorFor(install));
  RequestOne(sim);
  ASSERT_FALSE(HasFailure());
  const int polls = sim.Stats().at(hf_simulator::Command::kGetRequestStatus).calls;

  const std::vector<MotoMetric> metrics = Metrics();
  EXPECT_THAT(metrics,
              Contains(AllOf(Field(&MotoMetric::name, "ohfp_commands_total"),
                             Field(&MotoMetric::dimensions, std::map<std::string, std::string>{
                                                                {"command", "requestMachines"},
                                                                {"exit_code", "0"},
                                                                {"provider", kProvider}}))));
  EXPECT_THAT(metrics, Contains(AllOf(Field(&MotoMetric::name, "ohfp_commands_total"),
                                      Field(&MotoMetric::dimensions,
                                            Contains(std::pair<const std::string, std::string>(
                                                "command", "getRequestStatus"))))));
  // The resilience counters of the AWS calls made, per operation and service.
  EXPECT_THAT(
      metrics,
      Contains(AllOf(Field(&MotoMetric::name, "ohfp_resilience_total_operations"),
                     Field(&MotoMetric::dimensions,
                           std::map<std::string, std::string>{{"operation", "ec2_run_instances"},
                                                              {"service", "aws_ec2"},
                                                              {"provider", kProvider}}))))
      << "the resilience counters are published too";
  EXPECT_EQ(CommandsTotal("requestMachines"), 1);
  EXPECT_EQ(CommandsTotal("getRequestStatus"), polls);

  // Each process adds its own data point: one more requestMachines, one more in the Sum.
  RequestOne(sim);
  EXPECT_EQ(CommandsTotal("requestMachines"), 2);
  EXPECT_EQ(world_->ProxyRequests("PutMetricData"),
            sim.Stats().at(hf_simulator::Command::kGetRequestStatus).calls + 2)
      << "one PutMetricData per command";
  EXPECT_THAT(install.Log(), ::testing::Not(HasSubstr("cannot publish metrics to CloudWatch")));
}

TEST_F(MetricsTest, ACloudWatchFailureIsAWarningAndTheCommandStillSucceeds) {
  world_->SetRules(R"({"rules": [{"name": "cloudwatch-down", "match": {"service": "monitoring"},
                                  "fault": {"type": "error", "status": 500,
                                            "code": "InternalFailure"}}]})");
  PluginInstall install(world_->endpoint(), RunInstancesCase().templates, CloudWatchOn());
  install.SetEnv("HF_PROVIDER_NAME", kProvider);
  Simulator sim(SimulatorFor(install));
  const std::string id = RequestOne(sim);
  ASSERT_FALSE(HasFailure());
  EXPECT_THAT(sim.violations(), IsEmpty());
  EXPECT_THAT(LiveInstances(TaggedFor(world_->Instances(), kProvider)), ::testing::SizeIs(1));

  EXPECT_GT(world_->ProxyRequests("PutMetricData"), 0) << "publishing was tried";
  EXPECT_THAT(install.Log(), HasSubstr("cannot publish metrics to CloudWatch"));
  EXPECT_THAT(Metrics(), IsEmpty()) << "nothing reached moto's CloudWatch";
  // The counters are still kept locally.
  const CommandOutput local = install.Ohfp({"metrics", "--format", "json"});
  EXPECT_EQ(local.exit_code, 0) << local.out << local.err;
  EXPECT_THAT(local.out, HasSubstr("ohfp_commands_total"));
  EXPECT_FALSE(id.empty());
}

TEST_F(MetricsTest, WithoutTheSettingNothingIsSentToCloudWatch) {
  PluginInstall install(world_->endpoint(), RunInstancesCase().templates);
  Simulator sim(SimulatorFor(install));
  RequestOne(sim);
  ASSERT_FALSE(HasFailure());
  EXPECT_EQ(world_->ProxyRequests("PutMetricData"), 0) << world_->Stats().dump();
  EXPECT_THAT(MotoMetrics(world_->moto(), "OHFP/HostFactory"), IsEmpty());
}

}  // namespace
}  // namespace ohfp::testing
