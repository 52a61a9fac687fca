// Issue 12 end to end: IBM-format provider directories (tests/data/ibm/, the IBM corpus) installed
// as a site has them — IBM's <provider>prov_config.json and <provider>prov_templates.json beside
// ohfp's config.json, HF_PROVIDER_NAME set — and HostFactory's whole cycle (request, poll, return
// half, poll, return the rest, poll) through the shims, one process per command, against moto
// behind ohfp-chaos-proxy, once for each API:
//
//   RunInstances  IBM's on-demand example (no providerApi: IBM's choice), on an image whose root
//                 device is /dev/sda1, and a pair-form template on an image whose root device is
//                 /dev/xvda: the one volume each instance has is the image's root device, sized;
//                 and an imageId naming AWS's public SSM parameter of the latest Amazon Linux
//                 (moto answers it): resolved, recorded on the request, its root device used
//   SpotFleet     IBM's Spot and heterogeneous examples (no providerApi: a Spot Fleet, with IBM's
//                 defaults), and IBM LSF's spellings (interruptible, spotPrice, pgrpName, userData)
//   EC2Fleet      a maintain fleet (moto has no ModifyFleet: the proxy answers it, as the other
//                 EC2 Fleet tests do) and an instant, heterogeneous one with priorities
//   ASG           Spot with an on-demand base, pools and a percentage
//
// What names a particular account in the corpus is replaced by moto's before the cycle: the image,
// the subnets, and what moto would look up and refuse (security groups, instance profiles, the
// user's launch templates); the IBM file's proxy is emptied and its endpoint and credentials are
// those HostFactory's environment gives (the environment wins over the files). Everything else is
// the corpus as written. moto ignores placement groups, tenancy, EBS optimisation, Spot pools and
// IOPS (it accepts them); the wire test (plugin/tests/provider/launch_wire_test.cc) checks they are
// sent. What moto (5.2.1) lacks decides which corpus templates run here:
//  - it creates an instance's io1/io2 volume without the mapping's Iops and then refuses the call
//    (InvalidParameterDependency, the instance left running): the RunInstances cases use gp3;
//  - it lowers a group's desired capacity by 1 per detached instance whatever its weight, so a
//    weighted group relaunches, and it launches too few instances for a group whose
//    OnDemandPercentageAboveBaseCapacity is between 0 and 100: the corpus's ASG template weighs
//    its types equally and gives an on-demand base (onDemandCapacity) without a percentage;
//  - it applies a launch template's block device mappings inconsistently (a fleet ignores them, a
//    group adds them beside a default root): the root volume is checked on moto for RunInstances.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "e2e_suite.h"
#include "e2e_world.h"

namespace ohfp::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::SizeIs;

const fs::path kCorpus = OHFP_IBM_CORPUS;
constexpr const char* kSdaImage = "ami-12c6146b";   // moto: RootDeviceName /dev/sda1
constexpr const char* kXvdaImage = "ami-760aaa0f";  // moto: RootDeviceName /dev/xvda

struct IbmCase {
  std::string name;         // in the test's name
  std::string provider;     // the corpus directory, HF_PROVIDER_NAME
  std::string template_id;  // the corpus template the cycle requests
  std::string image;        // the moto image replacing the corpus's
  bool check_root_volume = false;
  bool ssm_image = false;  // the corpus's imageId names an SSM parameter: kept (moto answers it)
  bool ec2_fleet_workaround = false;  // the proxy answers ModifyFleet (moto lacks it)
};

void PrintTo(const IbmCase& c, std::ostream* os) { *os << c.name; }

nlohmann::json ReadJson(const fs::path& file) {
  std::ifstream in(file);
  return nlohmann::json::parse(in);
}

std::string ProviderFile(const IbmCase& c, const std::string& suffix) {
  return c.provider + "prov_" + suffix;
}

// The corpus template, with what names another account replaced by moto's.
nlohmann::json ForMoto(nlohmann::json t, const IbmCase& c,
                       const std::vector<std::string>& subnets) {
  if (!c.ssm_image) t["imageId"] = c.image;
  if (t.contains("subnetId")) {
    t["subnetId"] = t["subnetId"].is_array() ? nlohmann::json(subnets) : nlohmann::json(subnets[0]);
  }
  for (const char* key :
       {"securityGroupIds", "instanceProfile", "launchTemplateId", "launchTemplateVersion"}) {
    t.erase(key);
  }
  if (t.contains("userDataScript")) t["userDataScript"] = "post_provision.sh";
  return t;
}

class IbmCycleTest : public E2eSuite<IbmCycleTest, 12, ::testing::TestWithParam<IbmCase>> {
 protected:
  void AfterReset() override {
    if (GetParam().ec2_fleet_workaround) world_->Use(Ec2FleetCase());
  }

  // The installation: ohfp's config.json (the fast test configuration), IBM's files of the case's
  // directory, HF_PROVIDER_NAME.
  std::unique_ptr<PluginInstall> Install(const IbmCase& c) {
    const fs::path dir = kCorpus / c.provider;
    const std::string templates_name =
        c.provider == "aws" ? "awsprov_templates.json" : ProviderFile(c, "templates.json");
    nlohmann::json chosen;
    const nlohmann::json corpus = ReadJson(dir / templates_name);
    for (const nlohmann::json& t : corpus["templates"]) {
      if (t["templateId"] == c.template_id) chosen = t;
    }
    EXPECT_FALSE(chosen.is_null()) << c.template_id << " is not in " << templates_name;
    const nlohmann::json templates = {
        {"templates", {ForMoto(chosen, c, MotoDefaultSubnets(world_->moto()))}}};
    auto install = std::make_unique<PluginInstall>(world_->endpoint(), templates);
    install->SetEnv("HF_PROVIDER_NAME", c.provider);
    install->WriteConf(templates_name, templates.dump(2));
    nlohmann::json ibm = ReadJson(
        dir / (c.provider == "aws" ? "awsprov_config.json" : ProviderFile(c, "config.json")));
    ibm["AWS_PROXY_HOST"] = "";  // the site's proxy: none between the tests and moto
    install->WriteConf(c.provider == "aws" ? "awsprov_config.json" : ProviderFile(c, "config.json"),
                       ibm.dump(2));
    install->WriteConf("post_provision.sh", "#!/bin/sh\necho joined\n");
    return install;
  }
};

TEST_P(IbmCycleTest, TheCorpusTemplateGoesThroughAWholeCycle) {
  const IbmCase& c = GetParam();
  std::unique_ptr<PluginInstall> install = Install(c);
  // The configuration loads as ohfp config validate shows it: IBM's file is read and named.
  const CommandOutput validate = install->Ohfp({"config", "validate"});
  ASSERT_EQ(validate.exit_code, 0) << validate.err;
  EXPECT_EQ(validate.json["provider_name"], c.provider);
  EXPECT_EQ(validate.json["files"][0],
            install->confdir() + "/" +
                (c.provider == "aws" ? "awsprov_config.json" : ProviderFile(c, "config.json")));

  hf_simulator::Simulator sim(SimulatorFor(*install));
  std::string root_device = MotoRootDevice(world_->moto(), c.image);
  int volumes_checked = 0;
  const auto between = [&](const hf_simulator::RequestSummary& returned) {
    EXPECT_EQ(returned.status, "complete") << returned.message;
    if (c.ssm_image) {
      // The image the parameter named when the request was made, recorded on the request.
      const std::vector<Row> rows =
          ReadRows(install->state_db(), "SELECT image_id FROM requests WHERE kind = 'acquire'");
      ASSERT_THAT(rows, SizeIs(1));
      EXPECT_EQ(rows[0].at("image_id").rfind("ami-", 0), 0u) << rows[0].at("image_id");
      root_device = MotoRootDevice(world_->moto(), rows[0].at("image_id"));
    }
    if (!c.check_root_volume) return;
    // The machines still held: each has one volume, on the image's own root device, sized.
    std::set<std::string> gone;
    for (const auto& m : returned.machines) gone.insert(m.machine_id);
    const std::vector<MotoVolume> volumes = MotoVolumes(world_->moto());
    for (const MotoInstance& i : LiveInstances(TaggedFor(world_->Instances(), c.provider))) {
      if (gone.count(i.instance_id) != 0) continue;
      std::vector<MotoVolume> own;
      for (const MotoVolume& v : volumes) {
        if (v.instance_id == i.instance_id) own.push_back(v);
      }
      ASSERT_THAT(own, SizeIs(1)) << i.instance_id;
      EXPECT_EQ(own[0].device, root_device) << i.instance_id;
      EXPECT_GT(own[0].size_gib, 8) << "the template's size, not the image's default";
      ++volumes_checked;
    }
  };
  const hf_simulator::CycleReport r =
      sim.Cycle({{c.template_id, 2}}, {.poll_interval = std::chrono::milliseconds(200),
                                       .timeout = std::chrono::seconds(60),
                                       .return_batches = 2,
                                       .after_return = between});
  EXPECT_TRUE(r.ok()) << r.ToText();
  ASSERT_THAT(r.acquires, SizeIs(1));
  EXPECT_EQ(r.acquires[0].status, "complete") << r.acquires[0].message;
  EXPECT_FALSE(r.returns.empty());
  if (c.check_root_volume) {
    EXPECT_GT(volumes_checked, 0);
  }

  // Nothing ohfp created is left running; the instances carried the provider's name.
  const std::vector<MotoInstance> ours = TaggedFor(world_->Instances(), c.provider);
  EXPECT_FALSE(ours.empty()) << "tagged ohfp:provider=" << c.provider;
  EXPECT_THAT(LiveInstances(ours), ::testing::IsEmpty()) << Describe(ours);
  for (const MotoInstance& i : ours) {
    EXPECT_EQ(i.Tag("Name").rfind("ohfp-" + c.template_id + "-req-", 0), 0u) << i.Tag("Name");
  }
  for (const MotoResource& res : world_->Resources()) {
    EXPECT_FALSE(res.live && res.kind != MotoResource::Kind::kLaunchTemplate) << res.ToString();
    EXPECT_FALSE(res.kind == MotoResource::Kind::kLaunchTemplate && res.name.starts_with("ohfp-"))
        << res.ToString();
  }
}

INSTANTIATE_TEST_SUITE_P(
    Corpus, IbmCycleTest,
    ::testing::Values(IbmCase{.name = "RunInstances_IbmOnDemandExample_SdaRootDevice",
                              .provider = "aws",
                              .template_id = "Template-VM-SYMsmall",
                              .image = kSdaImage,
                              .check_root_volume = true},
                      IbmCase{.name = "RunInstances_OneTimeSpotGp3_XvdaRootDevice",
                              .provider = "awsinst",
                              .template_id = "Spot-RunInstances",
                              .image = kXvdaImage,
                              .check_root_volume = true},
                      IbmCase{.name = "RunInstances_SsmParameterImage_RecordedOnTheRequest",
                              .provider = "awsinst",
                              .template_id = "Latest-AmazonLinux",
                              .image = "",
                              .check_root_volume = true,
                              .ssm_image = true},
                      IbmCase{.name = "SpotFleet_IbmSpotExample",
                              .provider = "aws",
                              .template_id = "SpotTemplate-VM-SYM",
                              .image = kSdaImage},
                      IbmCase{.name = "SpotFleet_IbmHeterogeneousExample",
                              .provider = "aws",
                              .template_id = "HeteroTemplate-VM-SYM",
                              .image = kSdaImage},
                      IbmCase{.name = "SpotFleet_LsfSpellings",
                              .provider = "lsfaws",
                              .template_id = "lsf-spot",
                              .image = kXvdaImage},
                      IbmCase{.name = "EC2FleetMaintainModifyFleetViaProxy",
                              .provider = "awsinst",
                              .template_id = "Spot-EC2Fleet-Maintain",
                              .image = kXvdaImage,
                              .ec2_fleet_workaround = true},
                      IbmCase{.name = "EC2FleetInstantHeterogeneous",
                              .provider = "awsinst",
                              .template_id = "Mixed-EC2Fleet-Instant",
                              .image = kSdaImage},
                      IbmCase{.name = "ASG_SpotWithOnDemandBase",
                              .provider = "awsinst",
                              .template_id = "Spot-ASG",
                              .image = kXvdaImage}),
    [](const ::testing::TestParamInfo<IbmCase>& param) { return param.param.name; });

}  // namespace
}  // namespace ohfp::testing
