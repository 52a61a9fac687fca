#include "ohfp/resilience/monitor.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace ohfp::resilience {
namespace {

using ::testing::HasSubstr;

TEST(ResilienceMonitor, SuccessRateIsZeroBeforeAnyOperation) {
  ResilienceMonitor monitor;
  EXPECT_EQ(monitor.GetSuccessRate(), 0.0);
  const MetricsSummary s = monitor.GetMetricsSummary();
  EXPECT_EQ(s.total_operations, 0U);
}

TEST(ResilienceMonitor, CountsLikeTheSeed) {
  ResilienceMonitor monitor;
  monitor.RecordOperationSuccess("ec2_run_instances");
  monitor.RecordOperationSuccess("ec2_run_instances", /*after_retry=*/true);
  monitor.RecordOperationFailure("ec2_run_instances", Error(ErrorKind::kTimeout));
  monitor.RecordOperationFailure("ec2_describe_instances", Error(ErrorKind::kCircuitOpen));
  monitor.RecordRetryAttempt("ec2_run_instances", 1);
  monitor.RecordRetryAttempt("ec2_run_instances", 2);
  monitor.RecordCircuitBreakerOpen("aws_ec2");
  monitor.RecordCircuitBreakerClose("aws_ec2");
  const MetricsSummary s = monitor.GetMetricsSummary();
  EXPECT_EQ(s.total_operations, 4U);
  EXPECT_EQ(s.successful_operations, 2U);
  EXPECT_DOUBLE_EQ(s.success_rate, 0.5);
  EXPECT_DOUBLE_EQ(monitor.GetSuccessRate(), 0.5);
  EXPECT_EQ(s.retry_attempts, 2U);
  EXPECT_EQ(s.retry_successes, 1U);
  EXPECT_EQ(s.timeout_errors, 1U);
  EXPECT_EQ(s.rejected_calls, 1U);
  EXPECT_EQ(s.circuit_breaker_opens, 1U);
  EXPECT_EQ(s.circuit_breaker_closes, 1U);
}

TEST(ResilienceMonitor, KeepsCountersPerOperationAndService) {
  ResilienceMonitor monitor;
  OperationCounters& run = monitor.Operation("ec2_run_instances", "aws_ec2");
  EXPECT_EQ(&run, &monitor.Operation("ec2_run_instances"));
  run.successful_operations += 3;
  run.failed_attempts += 2;
  monitor.Service("aws_ec2").rejections += 4;
  const std::vector<OperationMetrics> ops = monitor.Operations();
  ASSERT_EQ(ops.size(), 1U);
  EXPECT_EQ(ops[0].service, "aws_ec2");
  EXPECT_EQ(ops[0].attempts, 5U);
  EXPECT_EQ(monitor.Services()[0].rejections, 4U);
}

TEST(ResilienceMonitor, ExportsJson) {
  ResilienceMonitor monitor;
  monitor.Operation("ec2_run_instances", "aws_ec2");
  monitor.RecordOperationSuccess("ec2_run_instances");
  monitor.RecordCircuitBreakerOpen("aws_ec2");
  const nlohmann::json j = nlohmann::json::parse(monitor.ToJson());
  EXPECT_EQ(j["summary"]["success_rate"], 1.0);
  EXPECT_EQ(j["summary"]["total_operations"], 1);
  EXPECT_EQ(j["summary"]["circuit_breaker_opens"], 1);
  EXPECT_EQ(j["operations"]["ec2_run_instances"]["service"], "aws_ec2");
  EXPECT_EQ(j["operations"]["ec2_run_instances"]["successful_operations"], 1);
  EXPECT_EQ(j["services"]["aws_ec2"]["circuit_breaker_opens"], 1);
}

TEST(ResilienceMonitor, ExportsPrometheusText) {
  ResilienceMonitor monitor;
  monitor.Operation("ec2_run_instances", "aws_ec2");
  monitor.RecordOperationSuccess("ec2_run_instances");
  monitor.RecordCircuitBreakerOpen("aws_ec2");
  const std::string text = monitor.ToPrometheus();
  EXPECT_THAT(text, HasSubstr("# TYPE ohfp_resilience_total_operations counter\n"));
  EXPECT_THAT(text, HasSubstr("ohfp_resilience_total_operations{operation=\"ec2_run_instances\","
                              "service=\"aws_ec2\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("ohfp_resilience_circuit_breaker_opens{service=\"aws_ec2\"} 1\n"));
  EXPECT_THAT(monitor.ToPrometheus("x"), HasSubstr("x_attempts{"));
}

}  // namespace
}  // namespace ohfp::resilience
