// The installation fixture itself: a command run through its shim sees the configuration and the
// templates written for it, and answers on stdout with one JSON document.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "moto.h"
#include "plugin_install.h"

namespace ohfp::testing {
namespace {

TEST(PluginInstallTest, AShimRunsOhfpWithTheInstallationsConfiguration) {
  // No AWS call is needed to list templates that give ncpus and nram.
  PluginInstall install("http://127.0.0.1:9", nlohmann::json::parse(R"({"templates": [
      {"templateId": "OnDemand", "maxNumber": 4, "imageId": "ami-12c6146b", "vmType": "c5.large",
       "attributes": {"type": ["String", "X86_64"], "ncpus": ["Numeric", "2"],
                      "nram": ["Numeric", "4096"]}}]})"));
  const CommandOutput r = install.Run("getAvailableTemplates");
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  ASSERT_TRUE(r.json_ok) << r.out;
  ASSERT_EQ(r.json["templates"].size(), 1U);
  EXPECT_EQ(r.json["templates"][0]["templateId"], "OnDemand");
  EXPECT_EQ(r.json["templates"][0]["availableNumber"], 4);
  EXPECT_THAT(install.Log(), ::testing::HasSubstr("getAvailableTemplates"));
}

}  // namespace
}  // namespace ohfp::testing
