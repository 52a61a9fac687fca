// aws/cloudwatch/metrics.h
//
// Typed CloudWatch metric operations (API 2010-08-01), each call through the resilience pipeline
// under its operation name (breaker aws_cloudwatch):
//   PutMetricData        cloudwatch_put_metric_data        (split: <= 1000 data points, <= 1 MB)
//   ListMetrics          cloudwatch_list_metrics           (pagination followed)
//   GetMetricStatistics  cloudwatch_get_metric_statistics
//
// PutMetricData is not idempotent: a retry after a lost answer may record its data points twice.
// That is acceptable for the plugin's counters and gauges; do not publish through it anything
// whose sum must be exact.
//
// Thread-safety: stateless functions over a thread-safe AwsClient.
//
// Example:
//   PutMetricDataRequest put{.metric_namespace = "ohfp"};
//   put.data.push_back({.metric_name = "RequestsFulfilled", .value = 3, .unit = "Count",
//                       .dimensions = {{"Provider", "aws"}}});
//   Result<PutMetricDataSummary> sent = PutMetricData(client, put);
//   Result<std::vector<Metric>> metrics = ListMetrics(client, {.metric_namespace = "ohfp"});
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "aws/aws_client.h"
#include "ohfp/resilience/clock.h"
#include "ohfp/resilience/result.h"

namespace ohfp::aws::cloudwatch {

// What one PutMetricData call may carry: 1000 data points, and an HTTP POST body of 1 MB.
inline constexpr std::size_t kMaxDataPointsPerPut = 1000;
inline constexpr std::size_t kMaxPutBodyBytes = 1'000'000;

struct Dimension {
  std::string name{};
  std::string value{};
  friend bool operator==(const Dimension&, const Dimension&) = default;
};

// One data point.
struct MetricDatum {
  std::string metric_name{};
  double value = 0.0;  // must be finite (AWS rejects NaN and infinities)
  // Seconds, Microseconds, Milliseconds, Bytes, Kilobytes, ..., Percent, Count, Bytes/Second, ...,
  // Count/Second, None; empty: none sent (AWS records "None").
  std::string unit{};
  std::optional<resilience::SysTime> timestamp{};  // unset: when AWS receives it
  std::vector<Dimension> dimensions{};             // at most 30
  // 1 s: a high-resolution metric; 60 s (or unset): standard resolution.
  std::optional<std::chrono::seconds> storage_resolution{};
};

struct PutMetricDataRequest {
  std::string metric_namespace{};   // e.g. "ohfp"; must not start with "AWS/"
  std::vector<MetricDatum> data{};  // any number: split over as many calls as needed, in order
};

struct PutMetricDataSummary {
  std::size_t requests = 0;     // PutMetricData calls made
  std::size_t data_points = 0;  // data points sent
};

// A ListMetrics dimension filter: a name and, optionally, the value it must have.
struct DimensionFilter {
  std::string name{};
  std::optional<std::string> value{};
};

struct ListMetricsRequest {
  std::string metric_namespace{};  // empty: any
  std::string metric_name{};       // empty: any
  std::vector<DimensionFilter> dimensions{};
};

// A metric: namespace, name and dimensions (one metric per distinct combination).
struct Metric {
  std::string metric_namespace{};
  std::string metric_name{};
  std::vector<Dimension> dimensions{};
};

// In the order of the names in metrics.cc (aws/wire_names.h).
enum class Statistic { kSampleCount, kAverage, kSum, kMinimum, kMaximum };

struct GetMetricStatisticsRequest {
  std::string metric_namespace{};
  std::string metric_name{};
  std::vector<Dimension> dimensions{};  // the metric's exact dimensions
  resilience::SysTime start_time{};     // inclusive
  resilience::SysTime end_time{};       // exclusive; must be after start_time
  std::chrono::seconds period{60};      // 1, 5, 10, 30 or a multiple of 60
  std::vector<Statistic> statistics{};  // at least one
  std::string unit{};                   // empty: any
};

// One period's statistics; only the requested ones are set.
struct Datapoint {
  resilience::SysTime timestamp{};  // the start of the period
  std::optional<double> sample_count{};
  std::optional<double> average{};
  std::optional<double> sum{};
  std::optional<double> minimum{};
  std::optional<double> maximum{};
  std::string unit{};
};

// PutMetricData, in as many calls as the limits need (each at most kMaxDataPointsPerPut points
// and kMaxPutBodyBytes of body), in order. No data: no call. On an error the calls before it
// stay done.
[[nodiscard]] resilience::Result<PutMetricDataSummary> PutMetricData(
    AwsClient& client, const PutMetricDataRequest& request, std::stop_token stop = {});

// ListMetrics, every page. CloudWatch lists metrics that received data in the last two weeks.
[[nodiscard]] resilience::Result<std::vector<Metric>> ListMetrics(AwsClient& client,
                                                                  const ListMetricsRequest& request,
                                                                  std::stop_token stop = {});

// GetMetricStatistics; the datapoints sorted by timestamp (AWS answers them in no order).
[[nodiscard]] resilience::Result<std::vector<Datapoint>> GetMetricStatistics(
    AwsClient& client, const GetMetricStatisticsRequest& request, std::stop_token stop = {});

// "SampleCount", "Average", "Sum", "Minimum", "Maximum".
std::string_view StatisticName(Statistic statistic) noexcept;

}  // namespace ohfp::aws::cloudwatch
