// ohfp/chaos_proxy/throttle_model.h
//
// ThrottleModel plays the AWS account behind the proxy: one set of token buckets shared by every
// client, as EC2 throttles per account and Region. For each EC2 or Auto Scaling request it takes
// one token from the action's request bucket and, for RunInstances, StartInstances, StopInstances
// and TerminateInstances, one token per instance from the action's resource bucket (which buckets,
// sizes and costs: throttling_config.h). When a bucket lacks tokens the request is throttled and
// takes nothing from any bucket. Buckets start full and refill continuously at their rate, up to
// their size: after one second a bucket has gained exactly its published per-second rate.
//
// It counts accepted and throttled requests per service and action, in total and per second since
// the time origin (construction or Reset()), and reports bucket levels: ToJson() is the
// "throttling" part of GET /__chaos/stats.
//
// Time comes from the injected Clock, so tests run the model on a ManualClock without sleeping.
//
// Thread-safety: every method is safe from any number of threads (one mutex; no I/O under it). The
// clock must outlive the model.
//
// Example:
//   ThrottleModel model(clock, ThrottlingConfig{});   // the published EC2 limits
//   ThrottleDecision d = model.Admit(ParseAwsRequest(request));
//   if (d.throttled) return ThrottleResponse(aws.service, ids.Next(), "");  // 503 for EC2
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "ohfp/chaos_proxy/aws_request.h"
#include "ohfp/chaos_proxy/throttling_config.h"
#include "ohfp/resilience/clock.h"

namespace ohfp::chaos_proxy {

// One token bucket: starts full, refills continuously at limits.refill_rate tokens per second up
// to limits.capacity. A value type; ThrottleModel guards its buckets.
class TokenBucket {
 public:
  // Tokens within this of a whole number count as that number: refills are computed in floating
  // point (0.1 s at 20 tokens/s is 1.9999999999999998 tokens).
  static constexpr double kEpsilon = 1e-9;

  TokenBucket(BucketLimits limits, resilience::MonoTime now) noexcept
      : limits_(limits), level_(limits.capacity), updated_(now) {}

  // The level at `now` (no earlier than the last update), without changing the bucket.
  double Level(resilience::MonoTime now) const noexcept;
  // Brings the level up to date; a `now` before the last update changes nothing.
  void Refill(resilience::MonoTime now) noexcept;
  // After Refill(): whether `tokens` are there, and taking them.
  bool Has(double tokens) const noexcept { return level_ + kEpsilon >= tokens; }
  void Take(double tokens) noexcept;

  const BucketLimits& limits() const noexcept { return limits_; }

 private:
  BucketLimits limits_;
  double level_;
  resilience::MonoTime updated_;
};

struct ThrottleDecision {
  bool modelled = false;   // the model is on and covers the request's service (EC2, Auto Scaling)
  bool throttled = false;  // a bucket lacked tokens; nothing was taken
  std::string bucket;      // throttled: the first bucket that lacked tokens
  BucketKind kind = BucketKind::kRequest;  // throttled: that bucket's kind
};

struct ThrottleCounters {
  std::uint64_t accepted = 0;
  std::uint64_t throttled = 0;
  std::uint64_t throttled_on_resources = 0;  // of `throttled`: the resource bucket was short
  std::uint64_t resource_tokens = 0;         // taken from resource buckets by accepted requests
  bool operator==(const ThrottleCounters&) const = default;
};

class ThrottleModel {
 public:
  // nullopt: off; every request passes and nothing is counted.
  ThrottleModel(const resilience::Clock& clock, std::optional<ThrottlingConfig> config);
  ThrottleModel(const ThrottleModel&) = delete;
  ThrottleModel& operator=(const ThrottleModel&) = delete;

  // Decides for one request, taking its tokens when it is accepted, and counts it.
  [[nodiscard]] ThrottleDecision Admit(const AwsRequest& request);

  // Replaces the configuration. A different one starts every bucket full and the statistics from
  // zero; the same one keeps both. The time origin stays.
  void Configure(std::optional<ThrottlingConfig> config);
  // Moves the time origin to now, fills every bucket, zeroes the statistics.
  void Reset();

  bool enabled() const;
  std::optional<ThrottlingConfig> config() const;

  ThrottleCounters Totals() const;
  // All zero for an action never seen.
  ThrottleCounters ForAction(Service service, std::string_view action) const;
  // The level now of a bucket by name ("ec2:DescribeInstances"); nullopt if no request used it
  // yet (it is full).
  std::optional<double> BucketLevel(std::string_view name) const;

  // {"enabled": false} when off; otherwise model, scale, totals, services.<svc>.{totals,actions},
  // buckets.<name>.{service,action,kind,category,capacity,refill_rate,level}, and series (see the
  // README).
  nlohmann::json ToJson() const;

  // Seconds of per-second history kept; older seconds are forgotten first.
  static constexpr std::size_t kMaxSeriesSeconds = 86'400;

 private:
  struct BucketState {
    TokenBucket bucket;
    BucketUse use;  // the description of the bucket when it was first used
  };
  using ActionKey = std::pair<Service, std::string>;
  struct SeriesCounts {
    std::uint64_t accepted = 0;
    std::uint64_t throttled = 0;
  };

  void ClearLocked();
  void CountLocked(const ActionKey& key, bool throttled, BucketKind kind,
                   std::uint64_t resource_tokens, resilience::MonoTime now);

  const resilience::Clock& clock_;
  mutable std::mutex mu_;
  std::optional<ThrottlingConfig> config_;                            // guarded by mu_
  resilience::MonoTime origin_;                                       // guarded by mu_
  std::map<std::string, BucketState, std::less<>> buckets_;           // guarded by mu_
  ThrottleCounters totals_;                                           // guarded by mu_
  std::map<ActionKey, ThrottleCounters> actions_;                     // guarded by mu_
  std::map<std::int64_t, std::map<ActionKey, SeriesCounts>> series_;  // guarded by mu_
};

}  // namespace ohfp::chaos_proxy
