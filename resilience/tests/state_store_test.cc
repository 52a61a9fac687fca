#include "ohfp/resilience/state_store.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ohfp::resilience {
namespace {

TEST(InMemoryStateStore, AMissingRecordReadsAsFreshAndClosed) {
  InMemoryStateStore store;
  const BreakerRecord r = *store.ReadBreaker("aws_ec2");
  EXPECT_EQ(r, BreakerRecord{});
  EXPECT_EQ(r.state, CircuitState::kClosed);
  EXPECT_TRUE(store.ListBreakers()->empty());
}

TEST(InMemoryStateStore, UpdatesAreWrittenOnlyWhenTheCallbackSaysSo) {
  InMemoryStateStore store;
  BreakerRecord after = *store.UpdateBreaker("aws_ec2", [](BreakerRecord& r) {
    r.failure_count = 2;
    return false;
  });
  EXPECT_EQ(after.failure_count, 0U);
  EXPECT_TRUE(store.ListBreakers()->empty());
  after = *store.UpdateBreaker("aws_ec2", [](BreakerRecord& r) {
    r.failure_count = 2;
    return true;
  });
  EXPECT_EQ(after.failure_count, 2U);
  EXPECT_EQ(after.version, 1U);
  after = *store.UpdateBreaker("aws_ec2", [](BreakerRecord& r) {
    ++r.failure_count;
    return true;
  });
  EXPECT_EQ(after.version, 2U);
  EXPECT_EQ(store.ReadBreaker("aws_ec2")->failure_count, 3U);
  ASSERT_EQ(store.ListBreakers()->size(), 1U);
  EXPECT_EQ(store.ListBreakers()->front().first, "aws_ec2");
}

TEST(InMemoryStateStore, QuotasAreKeptPerService) {
  InMemoryStateStore store;
  EXPECT_FALSE(store.ReadQuota("aws_ec2")->tokens.has_value());
  (void)store.UpdateQuota("aws_ec2", [](QuotaRecord& q) {
    q.tokens = 495;
    return true;
  });
  EXPECT_EQ(store.ReadQuota("aws_ec2")->tokens, 495);
  EXPECT_FALSE(store.ReadQuota("aws_autoscaling")->tokens.has_value());
}

TEST(InMemoryStateStore, LimiterRecordsAreUpdatedTogetherOrNotAtAll) {
  InMemoryStateStore store;
  const std::vector<std::string> keys = {"acct/run", "acct/run_instances"};
  std::vector<LimiterRecord> records(2);
  ASSERT_TRUE(store
                  .UpdateLimiters(keys, records,
                                  [](std::span<LimiterRecord> r) {
                                    EXPECT_EQ(r[0], LimiterRecord{}) << "fresh";
                                    r[0].tokens = 4;
                                    r[1].tokens = 990;
                                    return true;
                                  })
                  .ok());
  EXPECT_EQ(records[0].version, 1U);
  EXPECT_EQ(records[1].tokens, 990);
  ASSERT_TRUE(store
                  .UpdateLimiters(keys, records,
                                  [](std::span<LimiterRecord> r) {
                                    r[0].tokens = -100;
                                    return false;
                                  })
                  .ok());
  std::vector<LimiterRecord> again(1);
  ASSERT_TRUE(store
                  .UpdateLimiters(std::vector<std::string>{"acct/run"}, again,
                                  [](std::span<LimiterRecord>) { return false; })
                  .ok());
  EXPECT_EQ(again[0].tokens, 4) << "the refused update wrote nothing";
  EXPECT_EQ(again[0].version, 1U);
  EXPECT_FALSE(
      store.UpdateLimiters(keys, again, [](std::span<LimiterRecord>) { return true; }).ok())
      << "one record per key";
}

}  // namespace
}  // namespace ohfp::resilience
