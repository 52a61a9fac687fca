#include "ohfp/resilience/retry_quota.h"

#include <algorithm>

namespace ohfp::resilience {

RetryQuota::RetryQuota(std::string service, RetryQuotaOptions options, StateStore& store,
                       ResilienceObserver* observer)
    : service_(std::move(service)),
      options_(options),
      store_(store),
      observer_(observer),
      available_(options.max_tokens) {}

std::optional<int> RetryQuota::TryAcquire(ErrorKind kind) {
  const int cost = kind == ErrorKind::kTimeout ? options_.timeout_retry_cost : options_.retry_cost;
  bool paid = false;
  Result<QuotaRecord> stored = store_.UpdateQuota(service_, [&](QuotaRecord& q) {
    const int tokens = q.tokens.value_or(options_.max_tokens);
    paid = tokens >= cost;
    if (!paid) return false;
    q.tokens = tokens - cost;
    return true;
  });
  if (!stored.ok()) {
    if (observer_ != nullptr) observer_->OnStoreError(service_, stored.error());
    return 0;
  }
  available_.store(stored->tokens.value_or(options_.max_tokens), std::memory_order_relaxed);
  return paid ? std::optional<int>(cost) : std::nullopt;
}

void RetryQuota::Release(int last_retry_cost) {
  const int amount = last_retry_cost > 0 ? last_retry_cost : options_.no_retry_increment;
  if (amount <= 0) return;
  // A full bucket (the normal case) needs no write.
  if (available_.load(std::memory_order_relaxed) >= options_.max_tokens) return;
  Result<QuotaRecord> stored = store_.UpdateQuota(service_, [&](QuotaRecord& q) {
    const int tokens = q.tokens.value_or(options_.max_tokens);
    if (tokens >= options_.max_tokens) return false;
    q.tokens = std::min(options_.max_tokens, tokens + amount);
    return true;
  });
  if (!stored.ok()) {
    if (observer_ != nullptr) observer_->OnStoreError(service_, stored.error());
    return;
  }
  available_.store(stored->tokens.value_or(options_.max_tokens), std::memory_order_relaxed);
}

}  // namespace ohfp::resilience
