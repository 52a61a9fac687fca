// The pure decisions about a template: how much of a request is on-demand, the instance types a
// request launches and their priorities, and the Name tag of its instances.
#include "model/template.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace ohfp::model {
namespace {

using ::testing::ElementsAre;

Template Fleet() {
  Template t;
  t.template_id = "T";
  t.vm_types = {{"c5.large", 1}, {"c5.xlarge", 2}, {"m5.large", 1}};
  t.vm_type = "c5.large";
  t.price_type = PriceType::kHeterogeneous;
  t.provider_api = ProviderApi::kEc2Fleet;
  return t;
}

TEST(OnDemandUnits, AllForOnDemandThenTheBaseThenThePercentageOfTheRestRoundedUp) {
  Template t = Fleet();
  t.price_type = PriceType::kOnDemand;
  EXPECT_EQ(OnDemandUnits(t, 7), 7);
  t.price_type = PriceType::kSpot;
  EXPECT_EQ(OnDemandUnits(t, 7), 0);
  t.percent_on_demand = 50;
  EXPECT_EQ(OnDemandUnits(t, 3), 2) << "ceil(1.5): at least that share never interrupted";
  t.on_demand_base = 2;
  EXPECT_EQ(OnDemandUnits(t, 5), 2 + 2) << "2 base, then ceil(50% of 3)";
  EXPECT_EQ(OnDemandUnits(t, 1), 1) << "the base is at most the request";
  t.percent_on_demand = 100;
  EXPECT_EQ(OnDemandUnits(t, 9), 9);
  EXPECT_EQ(OnDemandUnits(t, 0), 0);
}

TEST(LaunchTypes, FileOrderWithoutPriorities) {
  const Template t = Fleet();
  EXPECT_FALSE(UsesPriorities(t));
  EXPECT_THAT(LaunchTypes(t), ElementsAre(LaunchType{"c5.large", 1, std::nullopt},
                                          LaunchType{"c5.xlarge", 2, std::nullopt},
                                          LaunchType{"m5.large", 1, std::nullopt}));
  Template one;
  one.vm_type = "c5.large";
  EXPECT_THAT(LaunchTypes(one), ElementsAre(LaunchType{"c5.large", std::nullopt, std::nullopt}));
  Template launch_template_alone;
  EXPECT_THAT(LaunchTypes(launch_template_alone),
              ElementsAre(LaunchType{"", std::nullopt, std::nullopt}));
}

TEST(LaunchTypes, APrioritizedStrategyRanksTypesInFileOrder) {
  Template t = Fleet();
  t.allocation_strategy = AllocationStrategy::kCapacityOptimizedPrioritized;
  EXPECT_THAT(LaunchTypes(t),
              ElementsAre(LaunchType{"c5.large", 1, 0}, LaunchType{"c5.xlarge", 2, 1},
                          LaunchType{"m5.large", 1, 2}));
}

TEST(LaunchTypes, OnDemandTypesComeFirstAndAreAddedWhenMissing) {
  Template t = Fleet();
  t.vm_types_on_demand = {{"m5.large", 1}, {"r5.large", 2}};
  EXPECT_TRUE(UsesPriorities(t));
  EXPECT_THAT(LaunchTypes(t),
              ElementsAre(LaunchType{"m5.large", 1, 0}, LaunchType{"r5.large", 2, 1},
                          LaunchType{"c5.large", 1, 2}, LaunchType{"c5.xlarge", 2, 3}));
}

TEST(LaunchTypes, GivenPrioritiesWinAndTheRestFollow) {
  Template t = Fleet();
  t.vm_types_priority = {{"m5.large", 0}, {"c5.large", 5}};
  t.vm_types_on_demand = {{"c5.xlarge", 2}};
  EXPECT_THAT(LaunchTypes(t),
              ElementsAre(LaunchType{"m5.large", 1, 0}, LaunchType{"c5.large", 1, 5},
                          LaunchType{"c5.xlarge", 2, 6}));
}

TEST(Strategies, TheOnDemandStrategyIsItsOwnFieldElseAllocationStrategyForOnDemand) {
  Template t = Fleet();
  t.allocation_strategy = AllocationStrategy::kDiversified;
  EXPECT_EQ(SpotStrategyOf(t), AllocationStrategy::kDiversified);
  EXPECT_EQ(OnDemandStrategyOf(t), std::nullopt);
  t.on_demand_allocation_strategy = AllocationStrategy::kPrioritized;
  EXPECT_EQ(OnDemandStrategyOf(t), AllocationStrategy::kPrioritized);
  t = Fleet();
  t.price_type = PriceType::kOnDemand;
  t.allocation_strategy = AllocationStrategy::kPrioritized;
  EXPECT_EQ(SpotStrategyOf(t), std::nullopt);
  EXPECT_EQ(OnDemandStrategyOf(t), AllocationStrategy::kPrioritized);
  EXPECT_TRUE(UsesPriorities(t));
}

TEST(IbmDefaultApi, RunInstancesForOnDemandASpotFleetForSpot) {
  EXPECT_EQ(IbmDefaultApi(PriceType::kOnDemand), ProviderApi::kRunInstances);
  EXPECT_EQ(IbmDefaultApi(PriceType::kSpot), ProviderApi::kSpotFleet);
  EXPECT_EQ(IbmDefaultApi(PriceType::kHeterogeneous), ProviderApi::kSpotFleet);
}

TEST(InstanceName, ReplacesThePlaceholdersAndKeepsTheRest) {
  EXPECT_EQ(InstanceName("ohfp-{templateId}-{requestId}", "OnDemand", "req-1", "aws"),
            "ohfp-OnDemand-req-1");
  EXPECT_EQ(InstanceName("{provider}/{templateId}", "T", "req-1", "awsinst"), "awsinst/T");
  EXPECT_EQ(InstanceName("hpc {unknown} {", "T", "r", "p"), "hpc {unknown} {");
  EXPECT_EQ(InstanceName("", "T", "r", "p"), "");
}

TEST(InstanceName, IsCutAt256CharactersNeverInsideACharacter) {
  const std::string long_id(300, 'a');
  EXPECT_EQ(InstanceName("{templateId}", long_id, "r", "p").size(), 256u);
  // 255 ASCII characters then a two-byte one: the two-byte character does not fit whole.
  const std::string name = InstanceName(std::string(255, 'x') + "\xC3\xA9", "T", "r", "p");
  EXPECT_EQ(name, std::string(255, 'x'));
}

TEST(Template, SetsRootVolumeAndLaunchTemplateVersion) {
  Template t;
  EXPECT_FALSE(t.SetsRootVolume());
  t.iops = 3000;
  EXPECT_TRUE(t.SetsRootVolume());
  EXPECT_EQ(t.LaunchTemplateVersion(), "$Default");
  t.launch_template_version = "$Latest";
  EXPECT_EQ(t.LaunchTemplateVersion(), "$Latest");
  EXPECT_EQ(TenancyFromName("dedicated"), Tenancy::kDedicated);
  EXPECT_EQ(TenancyName(Tenancy::kHost), "host");
  EXPECT_EQ(TenancyFromName("Dedicated"), std::nullopt);
}

}  // namespace
}  // namespace ohfp::model
