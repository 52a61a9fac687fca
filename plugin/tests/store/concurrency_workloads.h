// What the store's concurrency tests make their processes and threads do, the same on every
// backend: start processes together (RunTogether), increment one breaker and one quota record
// (Increment), spend tokens from one rate-limiter bucket (Spend), and say why a child failed
// (Fail). Each workload returns what a forked child exits with.
//
// Thread-safety: the functions share nothing; StoreErrors counts on the thread that owns it.
// RunTogether forks: call it from a single-threaded parent that holds no store connection.
//
// Example:
//   std::vector<int> codes = RunTogether(4, [&] { return Increment(*Open(location), 100); });
#pragma once

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "forked_child.h"
#include "ohfp/resilience/manual_clock.h"
#include "ohfp/resilience/rate_limiter.h"
#include "ohfp/resilience/state_store.h"

namespace ohfp::store::testing {

// Says on stderr why a child (or thread) failed, and returns `code` for it to exit with.
inline int Fail(int code, const std::string& what) {
  std::fprintf(stderr, "child %d: %s\n", static_cast<int>(getpid()), what.c_str());
  return code;
}

// Forks `processes` children, releases them together once all are forked, each running `child`,
// and returns their exit codes.
inline std::vector<int> RunTogether(int processes, const std::function<int()>& child) {
  ohfp::testing::Pipe start;
  std::vector<std::unique_ptr<ohfp::testing::Child>> children;
  for (int i = 0; i < processes; ++i) {
    children.push_back(std::make_unique<ohfp::testing::Child>([&] {
      start.CloseWrite();
      start.ReadByte();
      return child();
    }));
  }
  start.CloseWrite();
  std::vector<int> codes;
  for (auto& c : children) codes.push_back(c->Wait());
  return codes;
}

// Adds `count` failures to aws_ec2's breaker and `count` tokens to its quota, one
// read-modify-write each. 0, or 3 (breaker) / 4 (quota) on the first error.
inline int Increment(resilience::StateStore& store, int count) {
  for (int i = 0; i < count; ++i) {
    resilience::Result<resilience::BreakerRecord> b =
        store.UpdateBreaker("aws_ec2", [](resilience::BreakerRecord& r) {
          ++r.failure_count;
          return true;
        });
    if (!b.ok()) return Fail(3, b.error().ToString());
    resilience::Result<resilience::QuotaRecord> q =
        store.UpdateQuota("aws_ec2", [](resilience::QuotaRecord& r) {
          r.tokens = r.tokens.value_or(0) + 1;
          return true;
        });
    if (!q.ok()) return Fail(4, q.error().ToString());
  }
  return 0;
}

// A bucket of 50 tokens, refilled at 1 per second; every process's clock stands still at the
// same instant, so what the bucket allows is exactly its 50 tokens.
inline constexpr int kBucketTokens = 50;
inline constexpr std::string_view kBucketKey = "123456789012/us-east-1/ec2:DescribeInstances";
inline resilience::RateLimiterConfig OneBucket() {
  resilience::RateLimiterConfig c;
  c.enabled = true;
  c.scope = "123456789012/us-east-1";
  c.buckets = {{"ec2:DescribeInstances", {.capacity = kBucketTokens, .refill_rate = 1}}};
  c.operations = {{"ec2_describe_instances", {.buckets = {"ec2:DescribeInstances"}}}};
  return c;
}

// Counts the store errors the limiter reports (it carries on without the store).
class StoreErrors final : public resilience::ResilienceObserver {
 public:
  void OnStoreError(std::string_view, const resilience::Error& error) override {
    std::fprintf(stderr, "store error: %s\n", error.ToString().c_str());
    ++count_;
  }
  int count() const { return count_; }

 private:
  int count_ = 0;
};

// One ohfp process asking `count` times for a token it must have at once (a deadline of 1 ns:
// no waiting), then `reserve` times for one it may wait for. Returns the number of tokens it was
// granted at once (at most 200), or 251 when the store failed.
inline int Spend(resilience::StateStore& store, int count, int reserve) {
  resilience::ManualClock clock;  // every process at the same instant
  StoreErrors errors;
  resilience::RateLimiter limiter(OneBucket(), store, clock, &errors);
  const resilience::RateLimiter::Plan plan = limiter.PlanFor("ec2_describe_instances");
  int granted = 0;
  for (int i = 0; i < count; ++i) {
    if (limiter.Acquire(plan, 1, std::chrono::nanoseconds(1)).granted) ++granted;
  }
  for (int i = 0; i < reserve; ++i) (void)limiter.Acquire(plan, 1, resilience::Duration::max());
  if (errors.count() != 0) return Fail(251, "the store failed");
  return granted;
}

}  // namespace ohfp::store::testing
