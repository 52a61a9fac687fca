// Issue 12 in the commands: getAvailableTemplates never prints a template HostFactory cannot size
// (ncpus, nram), requestMachines launches the root volume on the image's own root device (read
// once per image, cached in the store) and records the image, the instances get a Name tag, and
// an inline userData is what they boot with.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "service_fixture.h"

namespace ohfp::hostfactory {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;

class IbmServiceTest : public testing::ServiceTest {
 protected:
  // A template that sizes its root volume.
  void AddSizedRoot(const std::string& id, const std::string& image) {
    model::Template t = testing::MakeTemplate(id, 10);
    t.image_id = image;
    t.root_device_volume_size = 100;
    t.volume_type = "gp3";
    templates_.templates.push_back(t);
  }
  CommandResult RequestOf(const std::string& tmpl, int count = 1) {
    return service_->RequestMachines({tmpl, count});
  }
  static std::vector<std::string> Ids(const nlohmann::ordered_json& templates) {
    std::vector<std::string> ids;
    for (const auto& t : templates) ids.push_back(t["templateId"]);
    return ids;
  }
};

// ---- getAvailableTemplates ----

TEST_F(IbmServiceTest, ATemplateThatCannotBeSizedIsLeftOutNamedAndTheCommandFails) {
  model::Template unknown = testing::MakeTemplate("Unknown", 5);
  unknown.vm_type = "c5.nosuchsize";
  templates_.templates.push_back(unknown);
  cloud_.unknown_types = {"c5.nosuchsize"};
  const CommandResult r = service_->GetAvailableTemplates();
  EXPECT_EQ(r.exit_code, kExitFailed);
  EXPECT_THAT(Ids(r.output["templates"]), ::testing::ElementsAre("OnDemand-C5", "Zones"))
      << "the others, sized one by one once the batch was refused";
  for (const auto& t : r.output["templates"]) {
    EXPECT_TRUE(t["attributes"].contains("ncpus") && t["attributes"].contains("nram")) << t;
  }
  EXPECT_THAT(r.output["message"].get<std::string>(),
              HasSubstr("template Unknown is left out: it gives no ncpus and its instance type's "
                        "cannot be read (DescribeInstanceTypes failed: InvalidInstanceType: The "
                        "following supplied instance types do not exist: [c5.nosuchsize]"));
  EXPECT_THAT(r.output["message"].get<std::string>(), HasSubstr("give ncpus and nram"));
}

TEST_F(IbmServiceTest, WhenDescribeInstanceTypesFailsOnlyTemplatesThatSizeThemselvesArePrinted) {
  templates_.templates[1].attributes.push_back({"ncpus", "Numeric", "4"});
  templates_.templates[1].attributes.push_back({"nram", "Numeric", "8192"});
  cloud_.instance_type_error =
      resilience::Error(resilience::ErrorKind::kThrottled, "RequestLimitExceeded", "slow down");
  const CommandResult r = service_->GetAvailableTemplates();
  EXPECT_EQ(r.exit_code, kExitFailed);
  EXPECT_THAT(Ids(r.output["templates"]), ::testing::ElementsAre("Zones"));
  EXPECT_THAT(r.output["message"].get<std::string>(),
              HasSubstr("template OnDemand-C5 is left out: it gives no ncpus and its instance "
                        "type's cannot be read (DescribeInstanceTypes failed: "));
  // Once the cloud answers, both are there, and the answer is cached.
  cloud_.instance_type_error.reset();
  const CommandResult ok = service_->GetAvailableTemplates();
  EXPECT_EQ(ok.exit_code, kExitOk);
  EXPECT_THAT(Ids(ok.output["templates"]), ::testing::ElementsAre("OnDemand-C5", "Zones"));
  EXPECT_EQ(ok.output["message"], "");
}

TEST_F(IbmServiceTest, NcpusCountsCoresNotHyperthreadsAndNramIsMebibytes) {
  const nlohmann::ordered_json t = service_->GetAvailableTemplates().output["templates"][0];
  EXPECT_EQ(t["attributes"]["ncpus"], nlohmann::ordered_json::array({"Numeric", "1"}));
  EXPECT_EQ(t["attributes"]["ncores"], nlohmann::ordered_json::array({"Numeric", "1"}));
  EXPECT_EQ(t["attributes"]["nram"], nlohmann::ordered_json::array({"Numeric", "4096"}));
}

// ---- The root device ----

TEST_F(IbmServiceTest, TheRootVolumeGoesToTheImagesOwnRootDeviceReadOncePerImage) {
  cloud_.images = {{"ami-0000000a", "/dev/sda1"}, {"ami-0000000b", "/dev/xvda"}};
  AddSizedRoot("Ubuntu", "ami-0000000a");
  AddSizedRoot("AmazonLinux", "ami-0000000b");
  ASSERT_EQ(RequestOf("Ubuntu").exit_code, kExitOk);
  ASSERT_EQ(RequestOf("AmazonLinux").exit_code, kExitOk);
  ASSERT_EQ(RequestOf("Ubuntu").exit_code, kExitOk);
  ASSERT_THAT(cloud_.launches, ::testing::SizeIs(3));
  EXPECT_EQ(cloud_.launches[0].image_id, "ami-0000000a");
  EXPECT_EQ(cloud_.launches[0].root_device_name, "/dev/sda1");
  EXPECT_EQ(cloud_.launches[1].root_device_name, "/dev/xvda");
  EXPECT_EQ(cloud_.launches[2].root_device_name, "/dev/sda1");
  EXPECT_EQ(cloud_.image_calls, 2) << "the third request used the store's cache";
  // Another process (another service on the same store) uses the cache too.
  auto other = MakeService({2, "other"});
  ASSERT_EQ(other->RequestMachines({"AmazonLinux", 1}).exit_code, kExitOk);
  EXPECT_EQ(cloud_.image_calls, 2);
}

TEST_F(IbmServiceTest, AnImageThatCannotBeDescribedRequestsNothing) {
  AddSizedRoot("Gone", "ami-0000dead");
  CommandResult r = RequestOf("Gone");
  EXPECT_EQ(r.exit_code, kExitFailed);
  EXPECT_THAT(r.output["message"].get<std::string>(),
              HasSubstr("cannot read the root device of image ami-0000dead"));
  EXPECT_THAT(r.output["message"].get<std::string>(), HasSubstr("nothing was requested"));
  EXPECT_FALSE(r.output.contains("requestId"));
  cloud_.images["ami-0000dead"] = "/dev/sda1";
  cloud_.image_error =
      resilience::Error(resilience::ErrorKind::kThrottled, "RequestLimitExceeded", "slow down");
  r = RequestOf("Gone");
  EXPECT_EQ(r.exit_code, kExitFailed);
  EXPECT_THAT(r.output["message"].get<std::string>(), HasSubstr("RequestLimitExceeded"));
  EXPECT_THAT(cloud_.launches, ::testing::IsEmpty()) << "never a guessed device";
  EXPECT_EQ(RequestsInStore(), 0);
}

TEST_F(IbmServiceTest, ATemplateWithoutARootVolumeNeedsNoDescribeImages) {
  ASSERT_EQ(RequestOf("OnDemand-C5").exit_code, kExitOk);
  EXPECT_EQ(cloud_.image_calls, 0);
  EXPECT_EQ(cloud_.launches.at(0).root_device_name, "");
  EXPECT_EQ(cloud_.launches.at(0).image_id, "ami-12345678");
}

TEST_F(IbmServiceTest, ARequestRecordsItsImageAndASendAgainLaunchesThatOne) {
  AddSizedRoot("Sized", "ami-12345678");
  cloud_.images["ami-0000000c"] = "/dev/sda1";
  cloud_.NextLaunch([](const provider::LaunchSpec&) -> resilience::Result<provider::LaunchOutcome> {
    return resilience::Error(resilience::ErrorKind::kTimeout, "timeout",
                             "no answer before the deadline");
  });
  const CommandResult r = RequestOf("Sized");
  ASSERT_EQ(r.exit_code, kExitOk) << r.output.dump();
  const std::string id = r.output["requestId"];
  EXPECT_EQ((*store_->GetRequest(id))->image_id, "ami-12345678");
  // The template is edited before the outcome is known: the send again keeps the first image.
  templates_.templates.back().image_id = "ami-0000000c";
  alive_.clear();
  (void)MakeService({9, "later"})->GetRequestStatus({id});
  ASSERT_THAT(cloud_.launches, ::testing::SizeIs(2));
  EXPECT_EQ(cloud_.launches[1].image_id, "ami-12345678");
  EXPECT_EQ(cloud_.launches[1].root_device_name, "/dev/xvda");
  EXPECT_EQ(cloud_.launches[1].client_token, cloud_.launches[0].client_token);
}

// ---- SSM parameters ----

TEST_F(IbmServiceTest, AnSsmParameterIsResolvedRecordedAndCachedForTheTtl) {
  const std::string path = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64";
  cloud_.parameters[path] = "ami-0ed094fb1304fd857";
  cloud_.images["ami-0ed094fb1304fd857"] = "/dev/xvda";
  AddSizedRoot("Latest", "");
  templates_.templates.back().image_parameter = path;
  CommandResult r = RequestOf("Latest");
  ASSERT_EQ(r.exit_code, kExitOk) << r.output.dump();
  EXPECT_EQ(cloud_.launches.at(0).image_id, "ami-0ed094fb1304fd857");
  EXPECT_EQ(cloud_.launches.at(0).root_device_name, "/dev/xvda") << "of the resolved image";
  EXPECT_EQ((*store_->GetRequest(r.output["requestId"].get<std::string>()))->image_id,
            "ami-0ed094fb1304fd857");
  // AWS publishes a new image: within the TTL (300 s) requests keep the cached value.
  cloud_.parameters[path] = "ami-0aaaaaaaaaaaaaaaa";
  cloud_.images["ami-0aaaaaaaaaaaaaaaa"] = "/dev/sda1";
  clock_.Advance(std::chrono::seconds(299));
  ASSERT_EQ(RequestOf("Latest").exit_code, kExitOk);
  EXPECT_EQ(cloud_.launches.at(1).image_id, "ami-0ed094fb1304fd857");
  EXPECT_EQ(cloud_.parameter_calls, 1);
  clock_.Advance(std::chrono::seconds(2));
  ASSERT_EQ(RequestOf("Latest").exit_code, kExitOk);
  EXPECT_EQ(cloud_.launches.at(2).image_id, "ami-0aaaaaaaaaaaaaaaa");
  EXPECT_EQ(cloud_.launches.at(2).root_device_name, "/dev/sda1");
  EXPECT_EQ(cloud_.parameter_calls, 2);
}

TEST_F(IbmServiceTest, AParameterThatCannotBeReadOrNamesNoImageRequestsNothing) {
  model::Template t = testing::MakeTemplate("Ssm", 10);
  t.image_id.clear();
  t.image_parameter = "golden-ami";
  templates_.templates.push_back(t);
  CommandResult r = RequestOf("Ssm");
  EXPECT_EQ(r.exit_code, kExitFailed);
  EXPECT_THAT(r.output["message"].get<std::string>(),
              HasSubstr("cannot read SSM parameter golden-ami (imageId of template Ssm): "
                        "ParameterNotFound"));
  cloud_.parameters["golden-ami"] = "not-an-image";
  r = RequestOf("Ssm");
  EXPECT_EQ(r.exit_code, kExitFailed);
  EXPECT_THAT(r.output["message"].get<std::string>(),
              HasSubstr("SSM parameter golden-ami (imageId of template Ssm) holds "
                        "\"not-an-image\", not an AMI id"));
  EXPECT_THAT(cloud_.launches, ::testing::IsEmpty());
  EXPECT_EQ(RequestsInStore(), 0);
}

// ---- Name tag, inline user data ----

TEST_F(IbmServiceTest, InstancesAreNamedAfterTheTemplateAndTheRequest) {
  const std::string id = Request(1);
  const std::vector<model::Tag>& tags = cloud_.launches.at(0).tags;
  EXPECT_THAT(tags, Contains(model::Tag{"Name", "ohfp-OnDemand-C5-" + id}));
  // A Name the template gives wins.
  templates_.templates[0].instance_tags = {{"Name", "compute"}};
  (void)Request(1);
  const std::vector<model::Tag>& named = cloud_.launches.at(1).tags;
  EXPECT_THAT(named, Contains(model::Tag{"Name", "compute"}));
  EXPECT_EQ(std::count_if(named.begin(), named.end(),
                          [](const model::Tag& t) { return t.key == "Name"; }),
            1);
}

TEST_F(IbmServiceTest, TheNamePatternIsConfigurableAndEmptyMeansNone) {
  ServiceOptions o = Options();
  o.instance_name = "{provider}/{templateId}";
  o.provider_name = "awsinst";
  CommandContext ctx(Dependencies(self_), o);
  EXPECT_THAT(ctx.TagsFor(templates_.templates[0], "req-1"),
              Contains(model::Tag{"Name", "awsinst/OnDemand-C5"}));
  o.instance_name = "";
  CommandContext none(Dependencies(self_), o);
  for (const model::Tag& t : none.TagsFor(templates_.templates[0], "req-1")) {
    EXPECT_NE(t.key, "Name");
  }
}

TEST_F(IbmServiceTest, InlineUserDataIsWhatTheInstancesBootWith) {
  templates_.templates[0].user_data = "#!/bin/sh\necho ready\n";
  (void)Request(1);
  EXPECT_EQ(cloud_.launches.at(0).user_data, "#!/bin/sh\necho ready\n");
}

}  // namespace
}  // namespace ohfp::hostfactory
