// ohfp/resilience/rate_limiter.h
//
// RateLimiter: client-side token buckets kept in the StateStore, so that every process on a host
// (the plugin's SQLite store) and every host of an installation (a shared store) spends from the
// same buckets and stays under the service's limits together, instead of sending requests that are
// certain to be throttled.
//
// The library knows no service: buckets (name, capacity, refill rate) and which buckets each
// operation spends from come from the configuration (RateLimiterConfig); the plugin supplies
// AWS's published limits. An operation needs one token per attempt from each of its `buckets`, and
// the call's resource count (e.g. instances launched) per attempt from each of its
// `resource_buckets`. A record's key is `scope/bucket`: processes and hosts with the same scope
// share the bucket (the plugin's scope is the AWS account and region).
//
// Decisions are separate from waiting, as in the pipeline: Acquire() reserves the tokens of every
// bucket of the plan in one atomic store update and says how long the caller must wait before
// sending (zero when the tokens are there), or, when that wait would not end within `limit` (the
// call's deadline), reserves nothing and says so. The caller waits (the pipeline's PipelineCall
// has a wait step; the simulator runs it on virtual time) and, when the wait ends, calls Recheck():
// if the rate was lowered meanwhile, the caller takes a new place at the new rate. Rates adapt
// (token_bucket.h): the caller reports OnThrottled() when the service throttled the attempt, and
// OnSuccess() when it succeeded while a bucket recovers (a success at full rate writes nothing).
//
// A store failure never blocks a call: the attempt is granted at once, and the first store error
// is reported to the observer (OnStoreError), once per RateLimiter.
//
// Thread-safety: all methods are safe from any thread; Plan and Grant are values.
//
// Example:
//   RateLimiter limiter(config, store, clock, &observer, &monitor);
//   RateLimiter::Plan plan = limiter.PlanFor("ec2_run_instances");
//   RateLimiter::Grant g = limiter.Acquire(plan, /*resources=*/10, deadline.Remaining(now));
//   if (!g.granted) return Error(ErrorKind::kThrottled, "ClientRateLimitExceeded", "...");
//   clock.SleepFor(g.wait, stop);
//   Result<Reservation> r = ec2.RunInstances(request);
//   if (!r.ok() && r.error().kind() == ErrorKind::kThrottled) limiter.OnThrottled(plan, g);
//   if (r.ok()) limiter.OnSuccess(plan, g);
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ohfp/resilience/clock.h"
#include "ohfp/resilience/monitor.h"
#include "ohfp/resilience/observer.h"
#include "ohfp/resilience/state_store.h"
#include "ohfp/resilience/token_bucket.h"

namespace ohfp::resilience {

// The buckets one operation spends from.
struct LimiterOperationConfig {
  std::vector<std::string> buckets{};           // one token per attempt from each
  std::vector<std::string> resource_buckets{};  // the call's resource count per attempt from each

  friend bool operator==(const LimiterOperationConfig&, const LimiterOperationConfig&) = default;
};

// The most buckets one operation may spend from (they are updated in one store transaction).
inline constexpr std::size_t kMaxBucketsPerOperation = 4;

struct RateLimiterConfig {
  bool enabled = false;
  std::string scope{};   // who shares the buckets: the first part of every record's key
  bool adaptive = true;  // lower a bucket's rate on throttles and raise it back (else fixed rates)
  double scale = 1.0;    // multiplies every bucket's capacity and refill rate
  std::map<std::string, TokenBucketOptions, std::less<>> buckets{};
  std::map<std::string, LimiterOperationConfig, std::less<>> operations{};

  // The bucket as the limiter uses it (scaled); nullopt for an unknown name.
  std::optional<TokenBucketOptions> Bucket(std::string_view name) const;
};

class RateLimiter {
 public:
  // The buckets of one operation, resolved once (the pipeline keeps one per operation).
  class Plan {
   public:
    bool empty() const noexcept { return entries_.empty(); }
    std::size_t size() const noexcept { return entries_.size(); }
    const std::string& bucket(std::size_t i) const noexcept { return entries_[i].name; }
    const std::string& key(std::size_t i) const noexcept { return keys_[i]; }

   private:
    friend class RateLimiter;
    struct Entry {
      std::string name;
      TokenBucketOptions options;
      bool per_resource = false;
      LimiterCounters* counters = nullptr;
    };
    std::vector<Entry> entries_;
    std::vector<std::string> keys_;  // scope/name, parallel to entries_
  };

  // What Acquire() decided.
  struct Grant {
    bool granted = true;      // false: nothing reserved; the wait would not end within the limit
    Duration wait{};          // how long to wait before sending (zero: send now)
    std::size_t bucket = 0;   // the plan's bucket that needs the longest wait
    bool recovering = false;  // a bucket's rate is below its configured rate: report successes
    SysTime reserved_at{};    // when the tokens were taken, at the rate of that moment
  };

  // `observer` and `monitor` may be null; they, the store and the clock must outlive the limiter.
  RateLimiter(RateLimiterConfig config, StateStore& store, Clock& clock,
              ResilienceObserver* observer = nullptr, ResilienceMonitor* monitor = nullptr);
  RateLimiter(const RateLimiter&) = delete;
  RateLimiter& operator=(const RateLimiter&) = delete;

  // The buckets `operation` spends from; empty when it has none or the limiter is disabled.
  Plan PlanFor(std::string_view operation);

  // Reserves one attempt's tokens, `resources` from each resource bucket, if the attempt can be
  // sent within `limit`. An empty plan is granted at once without touching the store.
  Grant Acquire(const Plan& plan, std::uint32_t resources, Duration limit);
  // When a wait for `previous` ends: if a bucket's rate was lowered since the tokens were taken,
  // they are given back and taken again at the new rate (then `wait` says how much longer; not
  // granted: the new wait would not end within `limit`, and nothing is held). Otherwise nothing
  // changes (no store write) and the caller sends. No store access when `previous` did not wait.
  Grant Recheck(const Plan& plan, const Grant& previous, std::uint32_t resources, Duration limit);
  // The service throttled the attempt `grant` sent. The answer does not say which bucket was
  // short: the plan's bucket closest to empty (lowest share of its capacity) is emptied and its
  // rate lowered (once per congestion event).
  void OnThrottled(const Plan& plan, const Grant& grant);
  // The attempt succeeded: raises the rates of recovering buckets. Nothing to do (no store access)
  // unless grant.recovering.
  void OnSuccess(const Plan& plan, const Grant& grant);

  const RateLimiterConfig& config() const noexcept { return config_; }

 private:
  Grant Decide(const Plan& plan, std::uint32_t resources, Duration limit, const Grant* previous);
  void StoreFailed(const Plan& plan, const Error& error);
  void Report(const Plan& plan, std::size_t i, const RateChange& change, bool lowered);

  const RateLimiterConfig config_;
  StateStore& store_;
  Clock& clock_;
  ResilienceObserver* const observer_;
  ResilienceMonitor* const monitor_;
  std::atomic<bool> store_error_reported_{false};
};

}  // namespace ohfp::resilience
