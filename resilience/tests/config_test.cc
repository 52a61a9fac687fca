#include "ohfp/resilience/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace ohfp::resilience {
namespace {

using std::chrono::seconds;

// The seed's example configuration, written as structs (the plugin's JSON reader produces the
// same).
ResilienceConfig SeedExample() {
  ResilienceConfig c;
  c.circuit_breaker.defaults.failure_threshold = 5;
  c.circuit_breaker.defaults.reset_timeout = seconds(60);
  c.circuit_breaker.defaults.half_open_timeout = seconds(30);
  c.circuit_breaker.services["aws_ec2"] = {
      .failure_threshold = 3, .reset_timeout = seconds(30), .half_open_timeout = seconds(15)};
  c.circuit_breaker.services["aws_autoscaling"] = {
      .failure_threshold = 5, .reset_timeout = seconds(60), .half_open_timeout = seconds(30)};
  c.circuit_breaker.services["aws_spot_fleet"] = {
      .failure_threshold = 3, .reset_timeout = seconds(45), .half_open_timeout = seconds(20)};
  c.retry.operations["ec2_run_instances"] = {
      .max_attempts = 5, .base_delay = seconds(2), .max_delay = seconds(120)};
  c.retry.operations["autoscaling_create_group"] = {
      .max_attempts = 3, .base_delay = seconds(5), .max_delay = seconds(180)};
  c.retry.operations["spot_fleet_request"] = {
      .max_attempts = 4, .base_delay = seconds(3), .max_delay = seconds(240)};
  c.timeout.operations = {
      {"ec2_run_instances", seconds(180)},        {"ec2_terminate_instances", seconds(60)},
      {"ec2_describe_instances", seconds(30)},    {"autoscaling_create_group", seconds(120)},
      {"autoscaling_delete_group", seconds(180)}, {"spot_fleet_request", seconds(300)},
      {"spot_fleet_cancel", seconds(120)}};
  return c;
}

TEST(ResilienceConfig, DefaultsAreTheSeedsConstructorDefaults) {
  const ResilienceConfig c;
  EXPECT_TRUE(c.circuit_breaker.enabled);
  EXPECT_EQ(c.circuit_breaker.defaults.failure_threshold, 5);
  EXPECT_EQ(c.circuit_breaker.defaults.reset_timeout, seconds(60));
  EXPECT_EQ(c.circuit_breaker.defaults.half_open_timeout, seconds(30));
  EXPECT_EQ(c.retry.default_max_attempts, 3);
  EXPECT_EQ(c.retry.default_backoff.base_delay, seconds(1));
  EXPECT_EQ(c.retry.default_backoff.max_delay, seconds(60));
  EXPECT_EQ(c.retry.default_backoff.exponential_base, 2.0);
  EXPECT_EQ(c.retry.default_backoff.jitter, JitterMode::kSeed);
  EXPECT_EQ(c.timeout.default_timeout, seconds(30));
  EXPECT_TRUE(c.error_handling.log_retries);
  EXPECT_EQ(c.error_handling.max_consecutive_failures_before_alert, 10);
  EXPECT_THAT(Validate(c), ::testing::IsEmpty());
}

TEST(ResilienceConfig, PolicyForAppliesServiceAndOperationOverrides) {
  const ResilienceConfig c = SeedExample();
  EXPECT_THAT(Validate(c), ::testing::IsEmpty());
  const OperationPolicy run = c.PolicyFor("ec2_run_instances", "aws_ec2");
  EXPECT_EQ(run.retry.max_attempts, 5);
  EXPECT_EQ(run.retry.backoff.base_delay, seconds(2));
  EXPECT_EQ(run.retry.backoff.max_delay, seconds(120));
  EXPECT_EQ(run.retry.backoff.exponential_base, 2.0);  // from default_exponential_base
  EXPECT_EQ(run.retry.backoff.jitter, JitterMode::kSeed);
  EXPECT_EQ(run.timeout, seconds(180));
  EXPECT_EQ(run.breaker.failure_threshold, 3);
  EXPECT_EQ(run.breaker.reset_timeout, seconds(30));
  EXPECT_EQ(run.breaker.half_open_timeout, seconds(15));
  EXPECT_EQ(run.retry.retryable, kAwsRetryableKinds);

  const OperationPolicy describe = c.PolicyFor("ec2_describe_instances", "aws_ec2");
  EXPECT_EQ(describe.retry.max_attempts, 3);
  EXPECT_EQ(describe.timeout, seconds(30));

  const OperationPolicy other = c.PolicyFor("cloudwatch_put_metric_data", "aws_cloudwatch");
  EXPECT_EQ(other.breaker.failure_threshold, 5);
  EXPECT_EQ(other.timeout, seconds(30));
}

TEST(ResilienceConfig, DisabledRetryMeansOneAttemptAndNoQuota) {
  ResilienceConfig c = SeedExample();
  c.retry.enabled = false;
  c.retry.quota.enabled = true;
  c.retry.retry_on_circuit_open = true;
  const OperationPolicy p = c.PolicyFor("ec2_run_instances", "aws_ec2");
  EXPECT_EQ(p.retry.max_attempts, 1);
  EXPECT_FALSE(p.quota.enabled);
  EXPECT_FALSE(p.retry_on_circuit_open);
}

TEST(ResilienceConfig, CapacityErrorsAreRetriedOnlyWhenAskedFor) {
  ResilienceConfig c;
  EXPECT_FALSE(
      c.PolicyFor("ec2_run_instances", "aws_ec2").retry.retryable.contains(ErrorKind::kCapacity));
  c.retry.retry_capacity_errors = true;
  EXPECT_TRUE(
      c.PolicyFor("ec2_run_instances", "aws_ec2").retry.retryable.contains(ErrorKind::kCapacity));
}

TEST(ResilienceConfig, ValidateReportsEveryProblemWithItsPath) {
  ResilienceConfig c = SeedExample();
  c.circuit_breaker.defaults.failure_threshold = 0;
  c.circuit_breaker.services["aws_ec2"].reset_timeout = seconds(-1);
  c.circuit_breaker.services["aws_ec2"].failure_rate_threshold = 150;
  c.retry.default_backoff.exponential_base = 0.5;
  c.retry.operations["ec2_run_instances"].max_attempts = 0;
  c.timeout.operations["spot_fleet_cancel"] = Duration::zero();
  c.timeout.default_timeout = std::chrono::hours(24 * 400);
  c.error_handling.max_consecutive_failures_before_alert = -1;
  const std::vector<ConfigProblem> problems = Validate(c);
  std::vector<std::string> paths;
  for (const ConfigProblem& p : problems) paths.push_back(p.path);
  EXPECT_THAT(paths, ::testing::UnorderedElementsAre(
                         "resilience.circuit_breaker.default_failure_threshold",
                         "resilience.circuit_breaker.services.aws_ec2.reset_timeout",
                         "resilience.circuit_breaker.services.aws_ec2.failure_rate_threshold",
                         "resilience.retry.default_exponential_base",
                         "resilience.retry.operations.ec2_run_instances.max_attempts",
                         "resilience.timeout.operations.spot_fleet_cancel",
                         "resilience.timeout.default_timeout",
                         "resilience.error_handling.max_consecutive_failures_before_alert"));
  for (const ConfigProblem& p : problems) EXPECT_FALSE(p.message.empty()) << p.path;
}

TEST(ResilienceConfig, ProblemsNameTheRangeAndTheValue) {
  ResilienceConfig c;
  c.retry.default_max_attempts = 0;
  EXPECT_THAT(Validate(c, "config.resilience"),
              ::testing::ElementsAre(ConfigProblem{"config.resilience.retry.default_max_attempts",
                                                   "must be between 1 and 100, got 0"}));
}

TEST(ResilienceConfig, ServiceOverridesAreCheckedOnlyWhereSet) {
  ResilienceConfig c;
  c.circuit_breaker.defaults.failure_threshold = 0;
  c.circuit_breaker.services["aws_ec2"] = {.reset_timeout = seconds(10)};
  EXPECT_THAT(Validate(c),
              ::testing::ElementsAre(::testing::Field(
                  &ConfigProblem::path, "resilience.circuit_breaker.default_failure_threshold")));
}

TEST(ServiceFor, MapsTheSeedsOperationNamesWithTheCallersTable) {
  ResilienceConfig c;
  c.operation_services = {{"ec2_*", "aws_ec2"},
                          {"autoscaling_*", "aws_autoscaling"},
                          {"spot_fleet_*", "aws_spot_fleet"},
                          {"cloudwatch_*", "aws_cloudwatch"}};
  EXPECT_EQ(c.ServiceFor("ec2_run_instances"), "aws_ec2");
  EXPECT_EQ(c.ServiceFor("ec2_terminate_instances"), "aws_ec2");
  EXPECT_EQ(c.ServiceFor("autoscaling_create_group"), "aws_autoscaling");
  EXPECT_EQ(c.ServiceFor("spot_fleet_request"), "aws_spot_fleet");
  EXPECT_EQ(c.ServiceFor("cloudwatch_put_metric_data"), "aws_cloudwatch");
  EXPECT_EQ(c.ServiceFor("provision"), std::nullopt);
}

TEST(ServiceFor, ExactNamesWinThenTheLongestPrefix) {
  ResilienceConfig c;
  c.operation_services = {
      {"ec2_*", "aws_ec2"}, {"ec2_spot_*", "aws_spot"}, {"ec2_spot_odd", "odd"}, {"*", "any"}};
  EXPECT_EQ(c.ServiceFor("ec2_spot_odd"), "odd");
  EXPECT_EQ(c.ServiceFor("ec2_spot_request"), "aws_spot");
  EXPECT_EQ(c.ServiceFor("ec2_run_instances"), "aws_ec2");
  EXPECT_EQ(c.ServiceFor("other"), "any");
}

TEST(ServiceFor, TheLibraryKnowsNoServiceByItself) {
  EXPECT_EQ(ResilienceConfig{}.ServiceFor("ec2_run_instances"), std::nullopt);
}

}  // namespace
}  // namespace ohfp::resilience
