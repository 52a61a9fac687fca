// ohfp/resilience/retry_quota.h
//
// RetryQuota: a per-service budget for retries (the AWS SDKs' standard retry mode). The bucket
// starts full at max_tokens; a retry costs retry_cost (timeout_retry_cost after a timeout); when
// the bucket cannot pay, the error is returned instead of retried. A success gives back the cost of
// the retry that led to it, or no_retry_increment when it needed none, up to max_tokens. During an
// outage the quota empties and retries stop, so retries cannot multiply the load on a struggling
// service. Numbers default to the AWS SDKs': 500, 5, 10, 1.
//
// The bucket lives in a StateStore (shared stores share it across processes). A success on a full
// bucket writes nothing.
//
// Thread-safety: all methods are safe from any thread.
//
// Example:
//   RetryQuota quota("aws_ec2", {.enabled = true}, store);
//   std::optional<int> cost = quota.TryAcquire(error.kind());   // nullopt: no budget left,
//                                                               // do not retry
//   ...
//   quota.Release(cost.value_or(0));                            // after the call succeeded
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>

#include "ohfp/resilience/error.h"
#include "ohfp/resilience/observer.h"
#include "ohfp/resilience/state_store.h"

namespace ohfp::resilience {

struct RetryQuotaOptions {
  bool enabled = false;
  int max_tokens = 500;
  int retry_cost = 5;
  int timeout_retry_cost = 10;
  int no_retry_increment = 1;

  friend bool operator==(const RetryQuotaOptions&, const RetryQuotaOptions&) = default;
};

class RetryQuota {
 public:
  RetryQuota(std::string service, RetryQuotaOptions options, StateStore& store,
             ResilienceObserver* observer = nullptr);
  RetryQuota(const RetryQuota&) = delete;
  RetryQuota& operator=(const RetryQuota&) = delete;

  // Pays for one retry after an error of `kind`. Returns the cost paid, or nullopt when the quota
  // cannot pay (then do not retry). If the store fails the retry is allowed and costs nothing.
  std::optional<int> TryAcquire(ErrorKind kind);
  // A call succeeded; `last_retry_cost` is what TryAcquire() returned for its last retry, 0 if it
  // had none.
  void Release(int last_retry_cost);
  // Tokens left as this process last saw them.
  int available() const noexcept { return available_.load(std::memory_order_relaxed); }

  const RetryQuotaOptions& options() const noexcept { return options_; }

 private:
  const std::string service_;
  const RetryQuotaOptions options_;
  StateStore& store_;
  ResilienceObserver* observer_;
  std::atomic<int> available_;
};

}  // namespace ohfp::resilience
