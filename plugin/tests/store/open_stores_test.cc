// OpenStores on PostgreSQL with a command's deadline (StoreLocation::ends_by): a HostFactory
// command's store calls end by it, however much of store.timeout_ms a call would have left; without
// it (a server, a store migration) only store.timeout_ms bounds a call. On a manual clock, against
// the test binary's own server (tests/support/postgres.h).
#include "store/open_stores.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "ohfp/resilience/manual_clock.h"
#include "store_backends.h"

namespace ohfp::store {
namespace {

using std::chrono::seconds;

class OpenStoresTest : public testing::PostgresTest {
 protected:
  StoreLocation Location(std::optional<resilience::Deadline> ends_by) const {
    return {
        .url = pg_->Url(), .schema = pg_->NewSchema(), .timeout = seconds(30), .ends_by = ends_by};
  }

  resilience::ManualClock clock_;
};

TEST_F(OpenStoresTest, ACommandsStoreCallsEndByItsDeadline) {
  resilience::Result<Stores> stores =
      OpenStores(Location(resilience::Deadline::After(clock_.Now(), seconds(110))), clock_);
  ASSERT_TRUE(stores.ok()) << stores.error().ToString();
  ASSERT_TRUE(stores->requests->GetRequest("req-1").ok());
  clock_.Advance(seconds(111));  // 30 s of store.timeout_ms would be left to a call starting now
  resilience::Result<std::optional<model::Request>> late = stores->requests->GetRequest("req-1");
  ASSERT_FALSE(late.ok());
  EXPECT_EQ(late.error().kind(), resilience::ErrorKind::kTimeout) << late.error().ToString();
  EXPECT_THAT(late.error().ToString(), ::testing::HasSubstr("no answer before the deadline"));
}

TEST_F(OpenStoresTest, WithoutACommandDeadlineEachCallHasStoreTimeout) {
  resilience::Result<Stores> stores = OpenStores(Location(std::nullopt), clock_);
  ASSERT_TRUE(stores.ok()) << stores.error().ToString();
  clock_.Advance(seconds(3600));
  resilience::Result<std::optional<model::Request>> later = stores->requests->GetRequest("req-1");
  ASSERT_TRUE(later.ok()) << later.error().ToString();
  EXPECT_FALSE(later->has_value());
}

}  // namespace
}  // namespace ohfp::store
