#include "aws/wire_names.h"

#include <gtest/gtest.h>

#include <set>
#include <string_view>

#include "aws/cloudwatch/metrics.h"
#include "aws/ec2/fleets.h"
#include "aws/ec2/spot_fleet.h"

namespace ohfp::aws {
namespace {

enum class Color { kRed, kGreen, kUnknown };
constexpr auto kColors = WireNamesOf<Color>("red", "green");

TEST(WireNamesTest, NamesAValueAndFindsTheValueOfAName) {
  EXPECT_EQ(NameIn(kColors, Color::kGreen), "green");
  EXPECT_EQ(ValueIn(kColors, "red"), Color::kRed);
  static_assert(NameIn(kColors, Color::kRed) == "red");
}

TEST(WireNamesTest, AValuePastTheListIsTheFallbackAndAnUnlistedNameIsNone) {
  EXPECT_EQ(NameIn(kColors, Color::kUnknown), "unknown");
  EXPECT_EQ(NameIn(kColors, Color::kUnknown, ""), "");
  EXPECT_EQ(ValueIn(kColors, "unknown"), std::nullopt);
  EXPECT_EQ(ValueIn(kColors, "blue"), std::nullopt);
  EXPECT_EQ(ValueIn(kColors, ""), std::nullopt);
}

// Every value up to `last` (inclusive) has its own name, none of them "unknown" or empty: a list
// one name short (or long) of its enumeration shows here.
template <class Enum>
void ExpectEachValueNamedOnce(Enum last) {
  std::set<std::string_view> seen;
  for (int i = 0; i <= static_cast<int>(last); ++i) {
    const std::string_view name = ec2::WireName(static_cast<Enum>(i));
    EXPECT_NE(name, "unknown") << "value " << i;
    EXPECT_FALSE(name.empty()) << "value " << i;
    EXPECT_TRUE(seen.insert(name).second) << name << " twice";
  }
}

// The same for the enumerations whose last values are `lasts`.
template <class... Enums>
void ExpectEachValueNamedOnce(Enums... lasts) {
  (ExpectEachValueNamedOnce<Enums>(lasts), ...);
}

TEST(WireNamesTest, EveryFleetAndSpotFleetValueHasItsOwnName) {
  ExpectEachValueNamedOnce(ec2::FleetType::kMaintain, ec2::CapacityType::kSpot,
                           ec2::ExcessCapacityTerminationPolicy::kNoTermination,
                           ec2::SpotAllocationStrategy::kPriceCapacityOptimized,
                           ec2::OnDemandAllocationStrategy::kPrioritized,
                           ec2::InstanceInterruptionBehavior::kHibernate,
                           ec2::FleetState::kDeletedTerminating,
                           ec2::FleetActivityStatus::kFulfilled, ec2::InstanceHealth::kUnhealthy);
  ExpectEachValueNamedOnce(
      ec2::SpotFleetAllocationStrategy::kPriceCapacityOptimized,
      ec2::SpotFleetOnDemandAllocationStrategy::kPrioritized, ec2::SpotFleetType::kMaintain,
      ec2::SpotFleetExcessCapacityTerminationPolicy::kNoTermination,
      ec2::SpotFleetState::kModifying, ec2::SpotFleetActivityStatus::kFulfilled,
      ec2::SpotFleetEventType::kInformation);
  EXPECT_EQ(ec2::WireName(ec2::FleetState::kUnknown), "unknown");
  EXPECT_EQ(ec2::WireName(ec2::SpotFleetState::kUnknown), "unknown");
  EXPECT_EQ(ec2::WireName(ec2::FleetState::kDeletedRunning), "deleted_running");
  EXPECT_EQ(ec2::WireName(ec2::SpotFleetState::kCancelledTerminating), "cancelled_terminating");
}

TEST(WireNamesTest, StatisticsAreSpelledAsCloudWatchSpellsThem) {
  EXPECT_EQ(cloudwatch::StatisticName(cloudwatch::Statistic::kSampleCount), "SampleCount");
  EXPECT_EQ(cloudwatch::StatisticName(cloudwatch::Statistic::kMaximum), "Maximum");
}

}  // namespace
}  // namespace ohfp::aws
