// CloudWatch metric operations against moto, round trip; faults through ohfp-chaos-proxy.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>

#include "aws/cloudwatch/metrics.h"
#include "aws_world.h"
#include "world_suite.h"

namespace ohfp::testing {
namespace {

namespace cloudwatch = aws::cloudwatch;
using ::testing::ElementsAre;

// Whole seconds: moto compares GetMetricStatistics' StartTime without its fraction.
resilience::SysTime NowSeconds() {
  return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
}

// One world per suite: moto alone, or moto behind ohfp-chaos-proxy. The splitting tests talk to
// moto directly: the proxy (cpp-httplib's server) answers 413 to any form body over 8192 bytes,
// which a PutMetricData of a few dozen data points already is.
template <bool kWithProxy>
class CloudWatchWorld : public WorldSuite<CloudWatchWorld<kWithProxy>> {
 public:
  static AwsWorldOptions WorldOptions() {
    return {.with_proxy = kWithProxy, .resilience = FastRetries(4, std::chrono::seconds(60))};
  }

 protected:
  void SetUp() override {
    WorldSuite<CloudWatchWorld<kWithProxy>>::SetUp();
    if (this->HasFatalFailure()) return;
    now_ = NowSeconds();
    attempts_at_start_ = AllAttempts();
  }
  // Attempts (HTTP requests) the pipeline made for `operation` in this test.
  std::uint64_t Attempts(const std::string& operation) {
    const std::map<std::string, std::uint64_t> now = AllAttempts();
    const auto at = now.find(operation);
    const auto start = attempts_at_start_.find(operation);
    return (at == now.end() ? 0 : at->second) -
           (start == attempts_at_start_.end() ? 0 : start->second);
  }
  std::map<std::string, std::uint64_t> AllAttempts() {
    std::map<std::string, std::uint64_t> out;
    for (const auto& op : this->world_->pipeline().monitor().Operations())
      out[op.operation] = op.attempts;
    return out;
  }
  // Sample count and sum of `name` with `dimensions` over the last hour (all datapoints added up,
  // since AWS and moto cut periods differently).
  std::pair<double, double> CountAndSum(const std::string& name,
                                        const std::vector<cloudwatch::Dimension>& dimensions) {
    auto points = aws::cloudwatch::GetMetricStatistics(
        this->client(),
        cloudwatch::GetMetricStatisticsRequest{
            .metric_namespace = "ohfp/test",
            .metric_name = name,
            .dimensions = dimensions,
            .start_time = now_ - std::chrono::hours(1),
            .end_time = now_ + std::chrono::hours(1),
            .period = std::chrono::seconds(7200),
            .statistics = {cloudwatch::Statistic::kSampleCount, cloudwatch::Statistic::kSum}});
    EXPECT_TRUE(points.ok()) << points.error().ToString();
    double count = 0;
    double sum = 0;
    if (!points.ok()) return {count, sum};
    for (const aws::cloudwatch::Datapoint& d : *points) {
      count += d.sample_count.value_or(0);
      sum += d.sum.value_or(0);
    }
    return {count, sum};
  }

  resilience::SysTime now_{};
  std::map<std::string, std::uint64_t> attempts_at_start_;
};

class AwsCloudWatchTest : public CloudWatchWorld<false> {};
class AwsCloudWatchThroughProxyTest : public CloudWatchWorld<true> {};

TEST_F(AwsCloudWatchTest, PublishedMetricsAreListedAndTheirStatisticsReadBack) {
  const std::vector<cloudwatch::Dimension> aws_provider = {{"Provider", "aws"},
                                                           {"Template", "t-1"}};
  // One MachinesRequested count, `minutes` ago.
  const auto requested = [&](double value, int minutes) {
    return cloudwatch::MetricDatum{.metric_name = "MachinesRequested",
                                   .value = value,
                                   .unit = "Count",
                                   .timestamp = now_ - std::chrono::minutes(minutes),
                                   .dimensions = aws_provider};
  };
  cloudwatch::PutMetricDataRequest put{.metric_namespace = "ohfp/test",
                                       .data = {requested(4, 3),
                                                requested(6, 2),
                                                requested(1.5, 1),
                                                {.metric_name = "RequestLatency",
                                                 .value = 0.25,
                                                 .unit = "Seconds",
                                                 .timestamp = now_ - std::chrono::minutes(1),
                                                 .dimensions = {{"Provider", "aws"}},
                                                 .storage_resolution = std::chrono::seconds(1)}}};
  auto sent = aws::cloudwatch::PutMetricData(client(), put);
  ASSERT_TRUE(sent.ok()) << sent.error().ToString();
  EXPECT_EQ(sent->requests, 1U);
  EXPECT_EQ(sent->data_points, 4U);

  auto metrics = aws::cloudwatch::ListMetrics(client(), {.metric_namespace = "ohfp/test"});
  ASSERT_TRUE(metrics.ok()) << metrics.error().ToString();
  std::set<std::string> names;
  for (const aws::cloudwatch::Metric& m : *metrics) {
    EXPECT_EQ(m.metric_namespace, "ohfp/test");
    names.insert(m.metric_name);
    if (m.metric_name == "MachinesRequested") {
      EXPECT_THAT(m.dimensions,
                  ::testing::UnorderedElementsAre(cloudwatch::Dimension{"Provider", "aws"},
                                                  cloudwatch::Dimension{"Template", "t-1"}));
    } else {
      EXPECT_THAT(m.dimensions, ElementsAre(cloudwatch::Dimension{"Provider", "aws"}));
    }
  }
  EXPECT_THAT(names, ElementsAre("MachinesRequested", "RequestLatency"));

  auto points = aws::cloudwatch::GetMetricStatistics(
      client(), cloudwatch::GetMetricStatisticsRequest{
                    .metric_namespace = "ohfp/test",
                    .metric_name = "MachinesRequested",
                    .dimensions = aws_provider,
                    .start_time = now_ - std::chrono::minutes(10),
                    .end_time = now_ + std::chrono::minutes(10),
                    .period = std::chrono::seconds(1200),
                    .statistics = {cloudwatch::Statistic::kSampleCount, cloudwatch::Statistic::kSum,
                                   cloudwatch::Statistic::kAverage, cloudwatch::Statistic::kMinimum,
                                   cloudwatch::Statistic::kMaximum},
                    .unit = "Count"});
  ASSERT_TRUE(points.ok()) << points.error().ToString();
  ASSERT_EQ(points->size(), 1U);
  const aws::cloudwatch::Datapoint& d = points->front();
  EXPECT_EQ(d.sample_count, 3.0);
  EXPECT_EQ(d.sum, 11.5);
  ASSERT_TRUE(d.average.has_value());
  EXPECT_DOUBLE_EQ(*d.average, 11.5 / 3);
  EXPECT_EQ(d.minimum, 1.5);
  EXPECT_EQ(d.maximum, 6.0);
  EXPECT_EQ(d.unit, "Count");
  EXPECT_LE(d.timestamp, now_);

  // Only what was asked for comes back.
  auto sums = aws::cloudwatch::GetMetricStatistics(
      client(),
      cloudwatch::GetMetricStatisticsRequest{.metric_namespace = "ohfp/test",
                                             .metric_name = "RequestLatency",
                                             .dimensions = {{"Provider", "aws"}},
                                             .start_time = now_ - std::chrono::minutes(10),
                                             .end_time = now_ + std::chrono::minutes(10),
                                             .period = std::chrono::seconds(1200),
                                             .statistics = {cloudwatch::Statistic::kSum}});
  ASSERT_TRUE(sums.ok()) << sums.error().ToString();
  ASSERT_EQ(sums->size(), 1U);
  EXPECT_EQ(sums->front().sum, 0.25);
  EXPECT_FALSE(sums->front().sample_count.has_value());
  EXPECT_FALSE(sums->front().maximum.has_value());
}

TEST_F(AwsCloudWatchTest, ListMetricsFiltersByNameAndDimension) {
  cloudwatch::PutMetricDataRequest put{
      .metric_namespace = "ohfp/test",
      .data = {{.metric_name = "A", .value = 1, .dimensions = {{"Provider", "aws"}}},
               {.metric_name = "A", .value = 1, .dimensions = {{"Provider", "gcp"}}},
               {.metric_name = "B", .value = 1, .dimensions = {{"Provider", "aws"}}}}};
  ASSERT_TRUE(aws::cloudwatch::PutMetricData(client(), put).ok());

  auto by_name =
      aws::cloudwatch::ListMetrics(client(), {.metric_namespace = "ohfp/test", .metric_name = "A"});
  ASSERT_TRUE(by_name.ok()) << by_name.error().ToString();
  EXPECT_EQ(by_name->size(), 2U);

  auto by_value = aws::cloudwatch::ListMetrics(
      client(),
      {.metric_namespace = "ohfp/test", .dimensions = {{"Provider", std::string("aws")}}});
  ASSERT_TRUE(by_value.ok()) << by_value.error().ToString();
  std::set<std::string> names;
  for (const aws::cloudwatch::Metric& m : *by_value) {
    names.insert(m.metric_name);
    EXPECT_THAT(m.dimensions, ElementsAre(cloudwatch::Dimension{"Provider", "aws"}));
  }
  EXPECT_THAT(names, ElementsAre("A", "B"));

  auto other = aws::cloudwatch::ListMetrics(client(), {.metric_namespace = "ohfp/other"});
  ASSERT_TRUE(other.ok());
  EXPECT_THAT(*other, ::testing::IsEmpty());
}

// moto takes time quadratic in the number of parameters of a PutMetricData (~10-30 s for 1000
// points with a unit, a timestamp and a dimension each), so the round trip sends the fewest points
// that need two calls, each with a name and a value only; AwsCloudWatchSplitTest below checks the
// limits exactly, without moto.
TEST_F(AwsCloudWatchTest, AThousandAndOneDataPointsTakeTwoCallsAndAllArrive) {
  cloudwatch::PutMetricDataRequest put{.metric_namespace = "ohfp/test"};
  double expected_sum = 0;
  for (int i = 0; i < 1001; ++i) {
    put.data.push_back({.metric_name = "Split", .value = static_cast<double>(i)});
    expected_sum += i;
  }
  auto sent = aws::cloudwatch::PutMetricData(client(), put);
  ASSERT_TRUE(sent.ok()) << sent.error().ToString();
  EXPECT_EQ(sent->requests, 2U);  // 1000 + 1
  EXPECT_EQ(sent->data_points, 1001U);
  EXPECT_EQ(Attempts("cloudwatch_put_metric_data"), 2U);
  const auto [count, sum] = CountAndSum("Split", {});
  EXPECT_EQ(count, 1001);
  EXPECT_EQ(sum, expected_sum);
}

TEST_F(AwsCloudWatchTest, ListMetricsFollowsPages) {
  // 501 distinct metrics (one per dimension value): moto and AWS list 500 per page. Published
  // 100 at a time, which moto digests much faster than 501 at once.
  for (int first = 0; first < 501; first += 100) {
    cloudwatch::PutMetricDataRequest put{.metric_namespace = "ohfp/test"};
    for (int i = first; i < std::min(first + 100, 501); ++i) {
      put.data.push_back(
          {.metric_name = "Paged", .value = 1, .dimensions = {{"Index", std::to_string(i)}}});
    }
    ASSERT_TRUE(aws::cloudwatch::PutMetricData(client(), put).ok());
  }
  auto metrics = aws::cloudwatch::ListMetrics(
      client(), {.metric_namespace = "ohfp/test", .metric_name = "Paged"});
  ASSERT_TRUE(metrics.ok()) << metrics.error().ToString();
  EXPECT_EQ(metrics->size(), 501U);
  std::set<std::string> values;
  for (const aws::cloudwatch::Metric& m : *metrics) {
    ASSERT_EQ(m.dimensions.size(), 1U);
    values.insert(m.dimensions[0].value);
  }
  EXPECT_EQ(values.size(), 501U);
  EXPECT_EQ(Attempts("cloudwatch_list_metrics"), 2U);
}

TEST_F(AwsCloudWatchTest, NoDataMakesNoCall) {
  auto sent = aws::cloudwatch::PutMetricData(client(), {.metric_namespace = "ohfp/test"});
  ASSERT_TRUE(sent.ok()) << sent.error().ToString();
  EXPECT_EQ(sent->requests, 0U);
  EXPECT_EQ(sent->data_points, 0U);
  EXPECT_EQ(Attempts("cloudwatch_put_metric_data"), 0U);
}

TEST_F(AwsCloudWatchThroughProxyTest, ThrottledPutIsRetriedUnderTheCloudWatchBreaker) {
  Rules({Rule("PutMetricData", {{"type", "throttle"}}, 1)});
  auto sent = aws::cloudwatch::PutMetricData(client(), {.metric_namespace = "ohfp/test",
                                                        .data = {{.metric_name = "Throttled",
                                                                  .value = 7,
                                                                  .timestamp = now_,
                                                                  .dimensions = {{"Run", "t"}}}}});
  ASSERT_TRUE(sent.ok()) << sent.error().ToString();
  EXPECT_EQ(sent->requests, 1U) << "one call, two attempts";
  EXPECT_EQ(Count("PutMetricData"), 2);
  EXPECT_EQ(CountAndSum("Throttled", {{"Run", "t"}}), std::make_pair(1.0, 7.0));
  bool seen = false;
  for (const auto& op : world_->pipeline().monitor().Operations()) {
    if (op.operation.starts_with("cloudwatch_")) {
      EXPECT_EQ(op.service, "aws_cloudwatch") << op.operation;
    }
    if (op.operation == "cloudwatch_put_metric_data") seen = op.retry_attempts >= 1;
  }
  EXPECT_TRUE(seen);
}

TEST_F(AwsCloudWatchTest, AnEmptyTimeRangeIsAValidationErrorThatIsNotRetried) {
  auto points = aws::cloudwatch::GetMetricStatistics(
      client(),
      cloudwatch::GetMetricStatisticsRequest{.metric_namespace = "ohfp/test",
                                             .metric_name = "Any",
                                             .start_time = now_,
                                             .end_time = now_,
                                             .statistics = {cloudwatch::Statistic::kSum}});
  ASSERT_FALSE(points.ok());
  EXPECT_EQ(points.error().kind(), resilience::ErrorKind::kValidation) << points.error().ToString();
  EXPECT_EQ(Attempts("cloudwatch_get_metric_statistics"), 1U);
}

TEST_F(AwsCloudWatchTest, NoDataInTheRangeIsAnEmptyList) {
  auto points = aws::cloudwatch::GetMetricStatistics(
      client(),
      cloudwatch::GetMetricStatisticsRequest{.metric_namespace = "ohfp/test",
                                             .metric_name = "Nothing",
                                             .start_time = now_ - std::chrono::minutes(5),
                                             .end_time = now_,
                                             .statistics = {cloudwatch::Statistic::kSum}});
  ASSERT_TRUE(points.ok()) << points.error().ToString();
  EXPECT_THAT(*points, ::testing::IsEmpty());
}

// PutMetricData's splitting, exactly, over a transport that records each body and answers success.
class RecordingTransport final : public aws::HttpTransport {
 public:
  resilience::Result<aws::HttpResponse> Send(const aws::HttpRequest& request, resilience::Deadline,
                                             std::stop_token) override {
    bodies.push_back(request.body);
    return aws::HttpResponse{
        .status = 200,
        .headers = {},
        .body =
            "<PutMetricDataResponse xmlns=\"http://monitoring.amazonaws.com/doc/2010-08-01/\">"
            "<ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata>"
            "</PutMetricDataResponse>"};
  }
  std::vector<std::string> bodies;
};

// Data points in a form body: one MetricName each.
std::size_t PointsIn(const std::string& body) {
  std::size_t n = 0;
  for (std::size_t at = body.find(".MetricName="); at != std::string::npos;
       at = body.find(".MetricName=", at + 1)) {
    ++n;
  }
  return n;
}

class AwsCloudWatchSplitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto endpoints = aws::ResolveEndpoints(
        "us-east-1", aws::EndpointOverrides{.global = "http://127.0.0.1:9"}, env_);
    ASSERT_TRUE(endpoints.ok()) << endpoints.error().ToString();
    client_ =
        std::make_unique<aws::AwsClient>("us-east-1", *endpoints,
                                         aws::AwsClientDependencies{.transport = transport_,
                                                                    .credentials = credentials_,
                                                                    .clock = clock_,
                                                                    .pipeline = pipeline_});
  }
  resilience::Result<aws::cloudwatch::PutMetricDataSummary> Put(
      const cloudwatch::PutMetricDataRequest& r) {
    return aws::cloudwatch::PutMetricData(*client_, r);
  }

  aws::MapEnvironment env_;
  resilience::SystemClock clock_;
  resilience::SeededRandom random_{1};
  resilience::InMemoryStateStore store_;
  resilience::ResiliencePipeline pipeline_{
      resilience::ResilienceConfig{}, resilience::PipelineDependencies{clock_, random_, store_}};
  aws::StaticCredentialsProvider credentials_{
      aws::Credentials{.access_key_id = "testing", .secret_access_key = "testing"}};
  RecordingTransport transport_;
  std::unique_ptr<aws::AwsClient> client_;
};

TEST_F(AwsCloudWatchSplitTest, ThousandsOfPointsGoAThousandPerCallInOrder) {
  cloudwatch::PutMetricDataRequest put{.metric_namespace = "ohfp/test"};
  for (int i = 0; i < 2500; ++i) {
    put.data.push_back({.metric_name = "Split", .value = static_cast<double>(i), .unit = "Count"});
  }
  auto sent = Put(put);
  ASSERT_TRUE(sent.ok()) << sent.error().ToString();
  EXPECT_EQ(sent->requests, 3U);
  EXPECT_EQ(sent->data_points, 2500U);
  ASSERT_EQ(transport_.bodies.size(), 3U);
  EXPECT_EQ(PointsIn(transport_.bodies[0]), 1000U);
  EXPECT_EQ(PointsIn(transport_.bodies[1]), 1000U);
  EXPECT_EQ(PointsIn(transport_.bodies[2]), 500U);
  for (const std::string& body : transport_.bodies) {
    EXPECT_THAT(body, ::testing::StartsWith(
                          "Action=PutMetricData&Version=2010-08-01&Namespace=ohfp%2Ftest&"));
    EXPECT_LE(body.size(), aws::cloudwatch::kMaxPutBodyBytes);
  }
  // Each call numbers its points from 1, and the points keep their order across calls.
  EXPECT_THAT(transport_.bodies[1], ::testing::HasSubstr("&MetricData.member.1.Value=1000&"));
  EXPECT_THAT(transport_.bodies[2], ::testing::HasSubstr("&MetricData.member.500.Value=2499&"));
  EXPECT_THAT(transport_.bodies[2], ::testing::Not(::testing::HasSubstr("MetricData.member.501.")));

  transport_.bodies.clear();
  put.data.resize(1000);
  sent = Put(put);
  ASSERT_TRUE(sent.ok());
  EXPECT_EQ(sent->requests, 1U) << "exactly a thousand is one call";
}

TEST_F(AwsCloudWatchSplitTest, BodiesStayWithinOneMegabyteWithFewerThanAThousandPoints) {
  // ~5 KB of dimensions per point: ~197 points fill a 1 MB body.
  std::vector<cloudwatch::Dimension> wide;
  for (int k = 0; k < 5; ++k) {
    wide.push_back({"D" + std::to_string(k), std::string(900, static_cast<char>('a' + k))});
  }
  cloudwatch::PutMetricDataRequest put{.metric_namespace = "ohfp/test"};
  for (int i = 0; i < 400; ++i)
    put.data.push_back({.metric_name = "Wide", .value = 1, .dimensions = wide});
  auto sent = Put(put);
  ASSERT_TRUE(sent.ok()) << sent.error().ToString();
  EXPECT_EQ(sent->data_points, 400U);
  ASSERT_EQ(transport_.bodies.size(), 3U);
  std::size_t points = 0;
  for (std::size_t i = 0; i < transport_.bodies.size(); ++i) {
    const std::string& body = transport_.bodies[i];
    EXPECT_LE(body.size(), aws::cloudwatch::kMaxPutBodyBytes) << "call " << i;
    // Full: one more point (~5.1 KB) would not have fitted.
    if (i + 1 < transport_.bodies.size()) {
      EXPECT_GT(body.size() + 5200, aws::cloudwatch::kMaxPutBodyBytes) << "call " << i;
    }
    points += PointsIn(body);
  }
  EXPECT_EQ(points, 400U);
}

TEST_F(AwsCloudWatchSplitTest, APointTooBigForAnyCallGoesAloneAndAwsJudgesIt) {
  cloudwatch::PutMetricDataRequest put{
      .metric_namespace = "ohfp/test",
      .data = {
          {.metric_name = "Before", .value = 1},
          {.metric_name = "Huge", .value = 2, .dimensions = {{"D", std::string(1'100'000, 'x')}}},
          {.metric_name = "After", .value = 3}}};
  auto sent = Put(put);
  ASSERT_TRUE(sent.ok()) << sent.error().ToString();
  ASSERT_EQ(transport_.bodies.size(), 3U);
  EXPECT_EQ(PointsIn(transport_.bodies[0]), 1U);
  EXPECT_THAT(transport_.bodies[1], ::testing::HasSubstr("MetricName=Huge"));
  EXPECT_EQ(PointsIn(transport_.bodies[1]), 1U);
  EXPECT_THAT(transport_.bodies[2], ::testing::HasSubstr("MetricData.member.1.MetricName=After"));
}

TEST(AwsCloudWatchStatisticName, NamesEveryStatistic) {
  EXPECT_EQ(aws::cloudwatch::StatisticName(cloudwatch::Statistic::kSampleCount), "SampleCount");
  EXPECT_EQ(aws::cloudwatch::StatisticName(cloudwatch::Statistic::kAverage), "Average");
  EXPECT_EQ(aws::cloudwatch::StatisticName(cloudwatch::Statistic::kSum), "Sum");
  EXPECT_EQ(aws::cloudwatch::StatisticName(cloudwatch::Statistic::kMinimum), "Minimum");
  EXPECT_EQ(aws::cloudwatch::StatisticName(cloudwatch::Statistic::kMaximum), "Maximum");
}

}  // namespace
}  // namespace ohfp::testing
