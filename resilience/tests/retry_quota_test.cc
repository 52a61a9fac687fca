#include "ohfp/resilience/retry_quota.h"

#include <gtest/gtest.h>

#include "ohfp/resilience/testing/flaky_store.h"

namespace ohfp::resilience {
namespace {

TEST(RetryQuota, TheAwsNumbersAllowAHundredRetriesFromFull) {
  InMemoryStateStore store;
  RetryQuota quota("aws_ec2", {.enabled = true}, store);
  int paid = 0;
  while (quota.TryAcquire(ErrorKind::kThrottled)) ++paid;
  EXPECT_EQ(paid, 100);  // 500 tokens / 5 per retry
  EXPECT_EQ(quota.available(), 0);
  EXPECT_EQ(store.ReadQuota("aws_ec2")->tokens, 0);
}

TEST(RetryQuota, TimeoutsCostDouble) {
  InMemoryStateStore store;
  RetryQuota quota("aws_ec2", {.enabled = true, .max_tokens = 25}, store);
  EXPECT_EQ(quota.TryAcquire(ErrorKind::kTimeout), 10);
  EXPECT_EQ(quota.TryAcquire(ErrorKind::kTimeout), 10);
  EXPECT_EQ(quota.TryAcquire(ErrorKind::kTimeout), std::nullopt) << "5 tokens left cannot pay 10";
  EXPECT_EQ(quota.TryAcquire(ErrorKind::kTransient), 5);
}

TEST(RetryQuota, SuccessRefundsTheRetryCostOrOne) {
  InMemoryStateStore store;
  RetryQuota quota("aws_ec2", {.enabled = true, .max_tokens = 20}, store);
  ASSERT_EQ(quota.TryAcquire(ErrorKind::kThrottled), 5);
  ASSERT_EQ(quota.TryAcquire(ErrorKind::kThrottled), 5);
  EXPECT_EQ(quota.available(), 10);
  quota.Release(5);  // a success after a retry gives that retry's cost back
  EXPECT_EQ(quota.available(), 15);
  quota.Release(0);  // a success without retry gives one token
  EXPECT_EQ(quota.available(), 16);
  for (int i = 0; i < 10; ++i) quota.Release(0);
  EXPECT_EQ(quota.available(), 20) << "never above the maximum";
}

TEST(RetryQuota, AFullBucketWritesNothing) {
  InMemoryStateStore store;
  RetryQuota quota("aws_ec2", {.enabled = true}, store);
  for (int i = 0; i < 50; ++i) quota.Release(0);
  EXPECT_EQ(store.ReadQuota("aws_ec2")->version, 0U);
}

TEST(RetryQuota, IsSharedThroughTheStore) {
  InMemoryStateStore memory;
  testing::FlakyStore shared(memory, true);
  RetryQuota a("aws_ec2", {.enabled = true, .max_tokens = 10}, shared);
  RetryQuota b("aws_ec2", {.enabled = true, .max_tokens = 10}, shared);
  EXPECT_TRUE(a.TryAcquire(ErrorKind::kThrottled));
  EXPECT_TRUE(b.TryAcquire(ErrorKind::kThrottled));
  EXPECT_FALSE(a.TryAcquire(ErrorKind::kThrottled));
}

TEST(RetryQuota, AFailingStoreAllowsTheRetry) {
  InMemoryStateStore memory;
  testing::FlakyStore store(memory, true);
  RetryQuota quota("aws_ec2", {.enabled = true, .max_tokens = 5}, store);
  store.set_failing(true);
  EXPECT_EQ(quota.TryAcquire(ErrorKind::kThrottled), 0);
}

}  // namespace
}  // namespace ohfp::resilience
