// RunInstances end to end, in process: the HostFactory service over AwsProvider and moto behind
// ohfp-chaos-proxy. Request, poll to complete, return half, return the rest; afterwards moto holds
// nothing ohfp launched. The model for the other providerApi tests in this binary.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "aws/ec2/instances.h"
#include "plugin_world.h"
#include "world_suite.h"

namespace ohfp::testing {
namespace {

using model::ProviderApi;
using ::testing::HasSubstr;
using ::testing::SizeIs;

class RunInstancesProviderTest : public WorldSuite<RunInstancesProviderTest> {
 public:
  static AwsWorldOptions WorldOptions() { return {.with_proxy = true}; }
};

TEST_F(RunInstancesProviderTest, RequestPollReturnHalfThenTheRestLeavesNothing) {
  PluginWorld plugin(*world_, {BasicTemplate("OnDemand", ProviderApi::kRunInstances)});
  const std::string id = plugin.Request("OnDemand", 4);
  ASSERT_FALSE(id.empty());
  const nlohmann::ordered_json done = plugin.PollUntilDone(id);
  ASSERT_EQ(done["status"], "complete") << done.dump();
  ASSERT_THAT(done["machines"], SizeIs(4));
  for (const auto& m : done["machines"]) EXPECT_EQ(m["result"], "succeed");

  const auto [first, rest] = Split(done["machines"], 2);
  const nlohmann::ordered_json returned = plugin.PollReturnUntilDone(plugin.Return(first));
  EXPECT_EQ(returned["status"], "complete") << returned.dump();
  EXPECT_THAT(plugin.LeftInMoto().instances, SizeIs(2)) << "exactly the returned two are gone";
  for (const auto& m : rest) {
    auto live = aws::ec2::DescribeInstances(world_->client(),
                                            {.instance_ids = {m["machineId"].get<std::string>()}});
    ASSERT_TRUE(live.ok());
    ASSERT_THAT(*live, SizeIs(1));
    EXPECT_EQ((*live)[0].state, "running") << "a machine not returned must keep running";
  }

  EXPECT_EQ(plugin.PollReturnUntilDone(plugin.Return(rest))["status"], "complete");
  const Leftovers left = plugin.LeftInMoto();
  EXPECT_TRUE(left.Empty()) << left.ToString();
}

TEST_F(RunInstancesProviderTest, ThrottlingOnTheWayIsRetriedAndLaunchesOnce) {
  Rules({Rule("RunInstances", {{"type", "throttle"}}, 2)});
  PluginWorld plugin(*world_, {BasicTemplate("OnDemand", ProviderApi::kRunInstances)});
  const std::string id = plugin.Request("OnDemand", 3);
  const nlohmann::ordered_json done = plugin.PollUntilDone(id);
  EXPECT_EQ(done["status"], "complete") << done.dump();
  EXPECT_THAT(plugin.LeftInMoto().instances, SizeIs(3));
  EXPECT_THAT(plugin.Log(), HasSubstr("\"request_id\":\"" + id + "\""));
}

}  // namespace
}  // namespace ohfp::testing
