#include "aws/cloudwatch/metrics.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "aws/wire_names.h"

namespace ohfp::aws::cloudwatch {
namespace {

using resilience::Error;
using resilience::ErrorKind;
using resilience::Result;
using resilience::Status;

constexpr std::string_view kPutAction = "PutMetricData";
constexpr std::string_view kApiVersion = "2010-08-01";
// In the order of Statistic's values.
constexpr auto kStatistics =
    WireNamesOf<Statistic>("SampleCount", "Average", "Sum", "Minimum", "Maximum");

void AddDimensions(QueryParams& p, const std::string& prefix,
                   const std::vector<Dimension>& dimensions) {
  std::size_t m = 0;
  for (const Dimension& d : dimensions) {
    const std::string key = QueryParams::MemberKey(prefix, ++m);
    p.AddString(key + ".Name", d.name);
    p.AddString(key + ".Value", d.value);
  }
}

// MetricData.member.<position>.* for `datum`.
void AddDatum(QueryParams& p, std::size_t position, const MetricDatum& datum) {
  const std::string key = QueryParams::MemberKey("MetricData", position);
  p.AddString(key + ".MetricName", datum.metric_name);
  AddDimensions(p, key + ".Dimensions", datum.dimensions);
  if (datum.timestamp) p.AddTimestamp(key + ".Timestamp", *datum.timestamp);
  p.AddDouble(key + ".Value", datum.value);
  if (!datum.unit.empty()) p.AddString(key + ".Unit", datum.unit);
  if (datum.storage_resolution) {
    p.AddInt(key + ".StorageResolution", datum.storage_resolution->count());
  }
}

// What `params` add to a form body after what is already there: "&name=value" per entry.
std::size_t EncodedSize(const QueryParams& params) {
  std::size_t size = 0;
  for (const QueryParams::Entry& e : params.entries()) {
    size += 2 + FormEncode(e.first).size() + FormEncode(e.second).size();
  }
  return size;
}

// One PutMetricData call under construction.
class Batch {
 public:
  explicit Batch(const std::string& metric_namespace) {
    params_.AddString("Namespace", metric_namespace);
    bytes_ = params_.EncodeForm(kPutAction, kApiVersion).size();
  }
  std::size_t count() const noexcept { return count_; }
  // Whether `datum` fits as the next data point, and its parameters at that position.
  bool Fits(const MetricDatum& datum, QueryParams& entries) const {
    AddDatum(entries, count_ + 1, datum);
    return count_ < kMaxDataPointsPerPut && bytes_ + EncodedSize(entries) <= kMaxPutBodyBytes;
  }
  void Add(const QueryParams& entries) {
    for (const QueryParams::Entry& e : entries.entries()) params_.AddString(e.first, e.second);
    bytes_ += EncodedSize(entries);
    ++count_;
  }
  const QueryParams& params() const noexcept { return params_; }

 private:
  QueryParams params_;
  std::size_t bytes_ = 0;
  std::size_t count_ = 0;
};

std::optional<double> OptionalDouble(XmlNode parent, std::string_view name) {
  const XmlNode child = parent.Child(name);
  if (!child) return std::nullopt;
  Result<double> value = child.AsDouble();
  if (!value.ok()) return std::nullopt;
  return *value;
}

}  // namespace

std::string_view StatisticName(Statistic statistic) noexcept {
  return NameIn(kStatistics, statistic, "");
}

Result<PutMetricDataSummary> PutMetricData(AwsClient& client, const PutMetricDataRequest& r,
                                           std::stop_token stop) {
  PutMetricDataSummary summary;
  std::optional<Batch> batch;
  const auto flush = [&]() -> Status {
    Result<XmlDocument> doc = client.Call(AwsService::kCloudWatch, kPutAction, batch->params(),
                                          "cloudwatch_put_metric_data", stop);
    if (!doc.ok()) return doc.error();
    ++summary.requests;
    summary.data_points += batch->count();
    batch.reset();
    return resilience::OkStatus();
  };
  for (const MetricDatum& datum : r.data) {
    if (!batch) batch.emplace(r.metric_namespace);
    QueryParams entries;
    if (!batch->Fits(datum, entries) && batch->count() > 0) {
      if (Status s = flush(); !s.ok()) return s.error();
      batch.emplace(r.metric_namespace);
      entries = QueryParams();
      // A data point too big for an empty call on its own still goes alone: AWS will say why.
      (void)batch->Fits(datum, entries);
    }
    batch->Add(entries);
  }
  if (batch) {
    if (Status s = flush(); !s.ok()) return s.error();
  }
  return summary;
}

Result<std::vector<Metric>> ListMetrics(AwsClient& client, const ListMetricsRequest& r,
                                        std::stop_token stop) {
  QueryParams p;
  if (!r.metric_namespace.empty()) p.AddString("Namespace", r.metric_namespace);
  if (!r.metric_name.empty()) p.AddString("MetricName", r.metric_name);
  std::size_t m = 0;
  for (const DimensionFilter& d : r.dimensions) {
    const std::string key = QueryParams::MemberKey("Dimensions", ++m);
    p.AddString(key + ".Name", d.name);
    if (d.value) p.AddString(key + ".Value", *d.value);
  }
  const auto parse = [](const XmlNode& member) -> Result<Metric> {
    Metric metric;
    metric.metric_namespace = member.ChildText("Namespace").value_or("");
    metric.metric_name = member.ChildText("MetricName").value_or("");
    if (metric.metric_name.empty()) {
      return UnexpectedResponse("ListMetrics answered a metric without MetricName");
    }
    for (const XmlNode& d : member.Child("Dimensions").Children("member")) {
      metric.dimensions.push_back(
          {d.ChildText("Name").value_or(""), d.ChildText("Value").value_or("")});
    }
    return metric;
  };
  return client.CollectPages<Metric>(
      AwsService::kCloudWatch, "ListMetrics", std::move(p), "cloudwatch_list_metrics",
      {.set = "Metrics", .element = "member"}, parse, std::move(stop));
}

Result<std::vector<Datapoint>> GetMetricStatistics(AwsClient& client,
                                                   const GetMetricStatisticsRequest& r,
                                                   std::stop_token stop) {
  QueryParams p;
  p.AddString("Namespace", r.metric_namespace).AddString("MetricName", r.metric_name);
  AddDimensions(p, "Dimensions", r.dimensions);
  p.AddTimestamp("StartTime", r.start_time).AddTimestamp("EndTime", r.end_time);
  p.AddInt("Period", r.period.count());
  std::size_t n = 0;
  for (Statistic statistic : r.statistics) {
    p.AddString(QueryParams::MemberKey("Statistics", ++n), StatisticName(statistic));
  }
  if (!r.unit.empty()) p.AddString("Unit", r.unit);
  Result<XmlDocument> doc = client.Call(AwsService::kCloudWatch, "GetMetricStatistics", p,
                                        "cloudwatch_get_metric_statistics", std::move(stop));
  if (!doc.ok()) return doc.error();
  std::vector<Datapoint> out;
  for (const XmlNode& member : ResultOf(*doc).Child("Datapoints").Children("member")) {
    Result<resilience::SysTime> when = member.ChildTimestamp("Timestamp");
    if (!when.ok()) {
      return UnexpectedResponse("GetMetricStatistics: " + std::string(when.error().message()));
    }
    Datapoint d;
    d.timestamp = *when;
    d.sample_count = OptionalDouble(member, "SampleCount");
    d.average = OptionalDouble(member, "Average");
    d.sum = OptionalDouble(member, "Sum");
    d.minimum = OptionalDouble(member, "Minimum");
    d.maximum = OptionalDouble(member, "Maximum");
    d.unit = member.ChildText("Unit").value_or("");
    out.push_back(std::move(d));
  }
  std::stable_sort(out.begin(), out.end(), [](const Datapoint& a, const Datapoint& b) {
    return a.timestamp < b.timestamp;
  });
  return out;
}

}  // namespace ohfp::aws::cloudwatch
