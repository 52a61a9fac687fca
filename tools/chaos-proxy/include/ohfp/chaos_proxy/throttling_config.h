// ohfp/chaos_proxy/throttling_config.h
//
// The chaos proxy's model of AWS request throttling: the limits EC2 publishes in "Request
// throttling for the Amazon EC2 API" (https://docs.aws.amazon.com/ec2/latest/devguide/
// ec2-api-throttling.html), the limit chosen for Auto Scaling (which publishes no number), and the
// "throttling" section of the rules document that switches the model on, scales it and overrides
// it.
//
//   "throttling": {"model": "ec2-published", "scale": 0.05,
//     "categories": {"mutating": {"capacity": 10, "refill_rate": 1}},
//     "actions": {"DescribeInstances": {"capacity": 20, "unfiltered": {"capacity": 5}},
//                 "RunInstances": {"resource": {"capacity": 100, "refill_rate": 1}}}}
//
// EC2 gives every action its own request token bucket, sized by the action's category (or by its
// own line in the table of uncategorized actions). DescribeInstances and six other Describe
// actions called without a filter or pagination take their token from a second, smaller bucket.
// RunInstances, StartInstances, StopInstances and TerminateInstances also take one token per
// instance from a resource token bucket. Auto Scaling has one bucket for all its actions.
//
// BucketsFor() turns a configuration and one request into the buckets the request must take tokens
// from, with their sizes, rates and costs; ThrottleModel (throttle_model.h) keeps the buckets.
//
// Thread-safety: value types and pure functions; safe from any thread.
//
// Example:
//   ThrottlingConfig config;            // the published limits, unscaled
//   config.scale = 0.05;
//   std::optional<RequestBuckets> plan = BucketsFor(config, ParseAwsRequest(request));
//   // plan->uses[0]: {"ec2:DescribeInstances", capacity 5, refill 1/s, cost 1}
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ohfp/chaos_proxy/aws_request.h"

namespace ohfp::chaos_proxy {

struct ConfigError;

// The published categories, plus kUncategorized (an action with its own line in the table) and
// kAutoScaling (the one bucket every Auto Scaling action shares).
enum class ThrottleCategory {
  kNonMutating,
  kUnfilteredNonMutating,
  kMutating,
  kResourceIntensive,
  kConsoleNonMutating,
  kUncategorized,
  kAutoScaling,
};

// "non-mutating", "unfiltered-non-mutating", "mutating", "resource-intensive",
// "console-non-mutating", "uncategorized", "autoscaling".
std::string_view ThrottleCategoryName(ThrottleCategory category) noexcept;
std::optional<ThrottleCategory> ThrottleCategoryFromName(std::string_view name) noexcept;

// A token bucket's size (tokens) and refill rate (tokens per second).
struct BucketLimits {
  double capacity = 0;
  double refill_rate = 0;
  bool operator==(const BucketLimits&) const = default;
};

// One line of a published table.
struct PublishedLimit {
  std::string_view action;
  BucketLimits limits;
};

// The published table (see the README for its source and date):
// category limits (kUncategorized has none: nullopt; kAutoScaling is our choice, not published),
std::optional<BucketLimits> PublishedCategoryLimits(ThrottleCategory category) noexcept;
// the request buckets of the uncategorized actions,
std::span<const PublishedLimit> PublishedUncategorizedLimits() noexcept;
// the resource buckets (RunInstances, TerminateInstances, StartInstances, StopInstances),
std::span<const PublishedLimit> PublishedResourceLimits() noexcept;
// and the members of the two listed categories.
std::span<const std::string_view> ResourceIntensiveActions() noexcept;
std::span<const std::string_view> UnfilteredNonMutatingActions() noexcept;

// The category of an EC2 action's request bucket: uncategorized when it has its own line, then the
// listed resource-intensive actions, then Describe*/List*/Search*/Get* as non-mutating, and
// everything else mutating. (Unfiltered calls are a property of the request, see BucketsFor().)
ThrottleCategory Ec2Category(std::string_view action) noexcept;

// Limits as written in the configuration; a missing number comes from the published table (scaled).
struct BucketOverride {
  std::optional<std::int64_t> capacity;
  std::optional<double> refill_rate;
  bool operator==(const BucketOverride&) const = default;
};

struct ActionOverride {
  BucketOverride request;                    // the action's request bucket
  std::optional<BucketOverride> unfiltered;  // its unfiltered bucket (the seven listed actions)
  std::optional<BucketOverride> resource;    // its resource bucket (the four resource actions)
  bool operator==(const ActionOverride&) const = default;
};

inline constexpr std::string_view kPublishedModelName = "ec2-published";

struct ThrottlingConfig {
  std::string model = std::string(kPublishedModelName);  // the only model there is
  // Multiplies every published capacity and rate. Capacities are then rounded to whole tokens,
  // at least 1; rates are not rounded. Overridden numbers are taken as written.
  double scale = 1.0;
  std::map<ThrottleCategory, BucketOverride> categories;
  std::map<std::string, ActionOverride, std::less<>> actions;  // EC2 action names
  bool operator==(const ThrottlingConfig&) const = default;
};

enum class BucketKind { kRequest, kUnfiltered, kResource };
std::string_view BucketKindName(BucketKind kind) noexcept;  // "request", "unfiltered", "resource"

// One bucket a request takes tokens from.
struct BucketUse {
  std::string name;  // "ec2:DescribeInstances", "ec2:DescribeInstances:unfiltered",
                     // "ec2:RunInstances:resource", "autoscaling"
  Service service = Service::kUnknown;
  std::string action;  // "*" for the shared Auto Scaling bucket
  BucketKind kind = BucketKind::kRequest;
  ThrottleCategory category = ThrottleCategory::kNonMutating;
  BucketLimits limits;  // after scale and overrides
  double cost = 1;      // tokens the request needs; never more than limits.capacity
};

struct RequestBuckets {
  std::vector<BucketUse> uses;  // the request bucket, then the resource bucket if any
  std::uint64_t resources = 0;  // instances the request names (before capping at capacity)
};

// The buckets `request` takes tokens from under `config`; nullopt for requests the model does not
// throttle (CloudWatch, unknown services, requests without an Action).
std::optional<RequestBuckets> BucketsFor(const ThrottlingConfig& config, const AwsRequest& request);

// The resources a request affects: RunInstances' MaxCount (MinCount without it, else 1); the
// InstanceId.N parameters of TerminateInstances, StartInstances and StopInstances; 0 otherwise.
std::uint64_t ResourceCount(const AwsRequest& request);

// True when one of the listed Describe actions is called without Filter.N, MaxResults or
// NextToken.
bool IsUnfilteredUnpaginated(const AwsRequest& request);

// The "throttling" section: validates it (errors appended with "$.throttling..." paths) and
// returns the configuration when it has no errors.
std::optional<ThrottlingConfig> ParseThrottlingSection(const nlohmann::json& section,
                                                       std::vector<ConfigError>& errors);
// The section's JSON form; ParseThrottlingSection(ThrottlingToJson(c)) gives c back.
nlohmann::json ThrottlingToJson(const ThrottlingConfig& config);

}  // namespace ohfp::chaos_proxy
