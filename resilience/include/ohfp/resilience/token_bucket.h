// ohfp/resilience/token_bucket.h
//
// Token buckets as pure functions of a record and `now`: no store, no clock, no waiting. The
// RateLimiter (rate_limiter.h) runs the client-side functions inside one StateStore update; the
// simulator's server model runs TokenBucket on virtual time.
//
// A bucket holds up to `capacity` tokens and refills continuously at `refill_rate` tokens per
// second (the semantics of EC2's request and resource buckets). A request takes `cost` tokens.
//
// Client side (LimiterRecord, shared through a StateStore):
//  - Reserve(): the tokens are taken at once even when the bucket lacks them; the balance goes
//    negative (a debt that refills like any balance) and the caller is told how long to wait
//    before sending. Callers served one after another wait in line (the n-th caller of an empty
//    bucket waits n x cost / rate) without polling the store.
//  - The fill rate adapts as in the AWS SDKs' adaptive retry mode (CUBIC): OnThrottle() lowers it
//    to kBeta x min(measured send rate, current rate) and empties the bucket (the service just said
//    its bucket is empty); OnSuccess() raises it along kScale x (t - K)^3 + W_max, never above the
//    configured rate. The capacity follows the rate in proportion. docs/resilience.md lists where
//    this departs from AWS's algorithm.
// Server side (TokenBucket): takes tokens only when it has them; a request that finds too few is
// throttled and takes nothing.
//
// Time is wall time (SysTime) because records are shared by processes and hosts. A clock that
// moves back never adds tokens; a step back larger than a full refill restarts the timeline.
//
// Thread-safety: pure functions on values; TokenBucket is used by one thread at a time.
//
// Example:
//   LimiterRecord r;                                   // never used: full
//   const TokenBucketOptions o{.capacity = 5, .refill_rate = 2};
//   Duration wait = Reserve(r, o, 1.0, now);           // zero: 4 tokens left
//   ...                                                // five more calls at `now`:
//   Duration later = Reserve(r, o, 1.0, now);          // 0.5 s, then 1 s, ...
#pragma once

#include <cstdint>
#include <optional>

#include "ohfp/resilience/clock.h"

namespace ohfp::resilience {

struct TokenBucketOptions {
  double capacity = 1.0;     // tokens when full: the burst
  double refill_rate = 1.0;  // tokens added per second: the sustained rate

  friend bool operator==(const TokenBucketOptions&, const TokenBucketOptions&) = default;
};

// One bucket's client-side state, as a StateStore keeps it. A fresh record (never used) is full.
struct LimiterRecord {
  double tokens = 0.0;             // may be negative: tokens reserved by callers still waiting
  std::optional<SysTime> updated;  // when `tokens` was last refilled; nullopt: never used (full)
  double fill_rate = 0.0;          // the adapted rate; 0: the configured rate (not lowered)
  double last_max_rate = 0.0;      // CUBIC's W_max: the rate when it was last lowered
  std::optional<SysTime> last_throttle;  // when the rate was last lowered
  double measured_rate = 0.0;            // smoothed tokens per second spent by every user
  std::optional<SysTime> measure_start;  // start of the current half-second measurement slot
  double measure_count = 0.0;            // tokens spent since measure_start
  std::uint64_t version = 0;             // incremented by the store on every write

  friend bool operator==(const LimiterRecord&, const LimiterRecord&) = default;
};

// The AWS SDKs' adaptive-mode constants.
inline constexpr double kLimiterBeta = 0.7;         // the rate kept after a throttle
inline constexpr double kLimiterScale = 0.4;        // how fast the rate grows back (CUBIC's C)
inline constexpr double kLimiterSmooth = 0.8;       // weight of the newest send-rate sample
inline constexpr double kLimiterMinFillRate = 0.5;  // tokens per second, at least
inline constexpr double kLimiterMinCapacity = 1.0;  // tokens, at least

// The rate the bucket refills at now: the adapted rate, never above the configured one.
double CurrentRate(const LimiterRecord& r, const TokenBucketOptions& o) noexcept;
// The capacity at the current rate: the configured capacity scaled by rate / configured rate.
double CurrentCapacity(const LimiterRecord& r, const TokenBucketOptions& o) noexcept;
// True while the rate is below the configured rate (after a throttle, before recovery).
bool Recovering(const LimiterRecord& r, const TokenBucketOptions& o) noexcept;

// Adds the tokens earned since `updated`, up to the current capacity. A fresh record becomes full.
void Refill(LimiterRecord& r, const TokenBucketOptions& o, SysTime now) noexcept;
// How long until `cost` tokens are there, after Refill(). Zero when they are there now.
Duration WaitFor(const LimiterRecord& r, const TokenBucketOptions& o, double cost) noexcept;
// Takes `cost` tokens (the balance may go negative) and counts them in the measured send rate.
void Take(LimiterRecord& r, const TokenBucketOptions& o, double cost, SysTime now) noexcept;
// Gives back tokens taken by Take() and not spent (never above the capacity).
void Return(LimiterRecord& r, const TokenBucketOptions& o, double cost) noexcept;
// Refill, WaitFor, Take: reserves `cost` tokens and returns how long to wait before sending.
Duration Reserve(LimiterRecord& r, const TokenBucketOptions& o, double cost, SysTime now) noexcept;

struct RateChange {
  double from;
  double to;
};
// The service throttled a request whose tokens were taken at `reserved_at`: empties the bucket and,
// with `adapt`, lowers the rate. A throttle of a request admitted before the last lowering (at the
// old rate, even if it waited and was sent after) belongs to the same congestion event and does
// not lower it again. Returns the change, if the rate changed.
std::optional<RateChange> OnThrottle(LimiterRecord& r, const TokenBucketOptions& o, SysTime now,
                                     SysTime reserved_at, bool adapt) noexcept;
// A request succeeded: while recovering, raises the rate along the CUBIC curve (never lowers it).
// Returns the change, if the rate changed; `to` equals the configured rate when recovered.
std::optional<RateChange> OnSuccess(LimiterRecord& r, const TokenBucketOptions& o,
                                    SysTime now) noexcept;

// A server's bucket (the simulator's model of EC2): starts full, refills continuously, and takes
// tokens only when it has them. `background_rate` tokens per second are spent by other clients.
class TokenBucket {
 public:
  TokenBucket(TokenBucketOptions options, MonoTime start, double background_rate = 0.0) noexcept
      : options_(options),
        background_rate_(background_rate),
        tokens_(options.capacity),
        updated_(start) {}

  // Takes `cost` tokens if the bucket has them at `now`; false (nothing taken) otherwise. A cost
  // above the capacity needs a full bucket.
  bool TryTake(double cost, MonoTime now) noexcept;
  double tokens(MonoTime now) noexcept;
  const TokenBucketOptions& options() const noexcept { return options_; }

 private:
  void Advance(MonoTime now) noexcept;

  TokenBucketOptions options_;
  double background_rate_;
  double tokens_;
  MonoTime updated_;
};

}  // namespace ohfp::resilience
