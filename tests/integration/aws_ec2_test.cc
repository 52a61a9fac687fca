// EC2 instance and network operations against moto, round trip; SSM's GetParameter (the JSON
// protocol) too.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "aws/ec2/instances.h"
#include "aws/ec2/networks.h"
#include "aws/ssm/parameters.h"
#include "aws_world.h"
#include "world_suite.h"

namespace ohfp::testing {
namespace {

using aws::ec2::DescribeInstancesRequest;
using aws::ec2::Instance;

class AwsEc2Test : public WorldSuite<AwsEc2Test> {
 public:
  static AwsWorldOptions WorldOptions() { return {}; }

 protected:
};

TEST_F(AwsEc2Test, RunDescribeTerminateRoundTrip) {
  aws::ec2::RunInstancesRequest run{.image_id = "ami-12345678",
                                    .instance_type = "c5.large",
                                    .min_count = 3,
                                    .max_count = 3,
                                    .client_token = "req-1-a1",
                                    .tags = {{"ohfp:request-id", "req-1"}, {"Name", "worker"}}};
  auto reservation = aws::ec2::RunInstances(client(), run);
  ASSERT_TRUE(reservation.ok()) << reservation.error().ToString();
  ASSERT_EQ(reservation->instances.size(), 3U);
  EXPECT_FALSE(reservation->reservation_id.empty());
  for (const Instance& i : reservation->instances) {
    EXPECT_EQ(i.instance_type, "c5.large");
    EXPECT_EQ(i.image_id, "ami-12345678");
    EXPECT_EQ(i.TagValue("ohfp:request-id"), "req-1");
  }

  auto found = aws::ec2::DescribeInstances(
      client(), DescribeInstancesRequest{.filters = {{"tag:ohfp:request-id", {"req-1"}}}});
  ASSERT_TRUE(found.ok()) << found.error().ToString();
  ASSERT_EQ(found->size(), 3U);
  for (const Instance& i : *found) {
    EXPECT_EQ(i.state, "running");
    EXPECT_FALSE(i.private_dns_name.empty());
    EXPECT_FALSE(i.private_ip_address.empty());
    EXPECT_TRUE(i.launch_time.has_value());
    EXPECT_EQ(i.TagValue("Name"), "worker");
  }

  std::vector<std::string> ids;
  for (const Instance& i : *found) ids.push_back(i.instance_id);
  auto changes = aws::ec2::TerminateInstances(client(), ids);
  ASSERT_TRUE(changes.ok()) << changes.error().ToString();
  ASSERT_EQ(changes->size(), 3U);
  EXPECT_EQ((*changes)[0].previous_state, "running");

  auto after = aws::ec2::DescribeInstances(client(), DescribeInstancesRequest{.instance_ids = ids});
  ASSERT_TRUE(after.ok());
  for (const Instance& i : *after)
    EXPECT_THAT(i.state, ::testing::AnyOf("shutting-down", "terminated"));
}

TEST_F(AwsEc2Test, DescribeFiltersAndCreateTags) {
  auto a = aws::ec2::RunInstances(client(), {.image_id = "ami-12345678",
                                             .instance_type = "t3.micro",
                                             .tags = {{"ohfp:request-id", "req-a"}}});
  auto b = aws::ec2::RunInstances(client(), {.image_id = "ami-12345678",
                                             .instance_type = "t3.micro",
                                             .tags = {{"ohfp:request-id", "req-b"}}});
  ASSERT_TRUE(a.ok() && b.ok());
  const std::string id = a->instances[0].instance_id;
  ASSERT_TRUE(aws::ec2::CreateTags(client(), {id}, {{"ohfp:return-request-id", "ret-1"}}).ok());
  auto tagged = aws::ec2::DescribeInstances(
      client(), DescribeInstancesRequest{.filters = {{"tag:ohfp:return-request-id", {"ret-1"}}}});
  ASSERT_TRUE(tagged.ok());
  ASSERT_EQ(tagged->size(), 1U);
  EXPECT_EQ((*tagged)[0].instance_id, id);
  auto none = aws::ec2::DescribeInstances(
      client(), DescribeInstancesRequest{.filters = {{"tag:ohfp:request-id", {"nope"}}}});
  ASSERT_TRUE(none.ok());
  EXPECT_THAT(*none, ::testing::IsEmpty());
}

TEST_F(AwsEc2Test, DescribeAnUnknownInstanceIsNotFound) {
  auto r = aws::ec2::DescribeInstances(
      client(), DescribeInstancesRequest{.instance_ids = {"i-0123456789abcdef0"}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind(), resilience::ErrorKind::kNotFound);
  EXPECT_EQ(r.error().code(), "InvalidInstanceID.NotFound");
}

TEST_F(AwsEc2Test, DescribeInstanceTypesGivesCpusAndMemory) {
  auto r = aws::ec2::DescribeInstanceTypes(client(), {"c5.large", "m5.xlarge"});
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  ASSERT_EQ(r->size(), 2U);
  for (const auto& t : *r) {
    if (t.instance_type == "c5.large") {
      EXPECT_EQ(t.vcpus, 2);
      EXPECT_EQ(t.memory_mib, 4096);
    } else {
      EXPECT_EQ(t.instance_type, "m5.xlarge");
      EXPECT_EQ(t.vcpus, 4);
      EXPECT_EQ(t.memory_mib, 16384);
    }
  }
}

TEST_F(AwsEc2Test, UserDataAndSpotOptionsAreAccepted) {
  auto r = aws::ec2::RunInstances(
      client(),
      {.image_id = "ami-12345678",
       .instance_type = "c5.large",
       .user_data = "#!/bin/sh\necho hello\n",
       .root_volume =
           aws::ec2::EbsVolume{.device_name = "/dev/xvda", .size_gib = 50, .volume_type = "gp3"},
       .spot = true,
       .max_spot_price = "0.10"});
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->instances.size(), 1U);
}

TEST(Base64, EncodesLikeRfc4648) {
  EXPECT_EQ(aws::ec2::Base64Encode(""), "");
  EXPECT_EQ(aws::ec2::Base64Encode("f"), "Zg==");
  EXPECT_EQ(aws::ec2::Base64Encode("fo"), "Zm8=");
  EXPECT_EQ(aws::ec2::Base64Encode("foobar"), "Zm9vYmFy");
}

TEST_F(AwsEc2Test, TheDefaultVpcItsSubnetsAndSecurityGroup) {
  auto vpcs = aws::ec2::DescribeVpcs(client(), {{"is-default", {"true"}}});
  ASSERT_TRUE(vpcs.ok()) << vpcs.error().ToString();
  ASSERT_EQ(vpcs->size(), 1U);
  const std::string vpc = vpcs->at(0).vpc_id;
  EXPECT_TRUE(vpcs->at(0).is_default);
  auto subnets =
      aws::ec2::DescribeSubnets(client(), {{"vpc-id", {vpc}}, {"default-for-az", {"true"}}});
  ASSERT_TRUE(subnets.ok()) << subnets.error().ToString();
  ASSERT_THAT(*subnets, ::testing::Not(::testing::IsEmpty()));
  for (const aws::ec2::Subnet& s : *subnets) {
    EXPECT_EQ(s.vpc_id, vpc);
    EXPECT_TRUE(s.default_for_az);
    EXPECT_THAT(s.availability_zone, ::testing::StartsWith("us-east-1"));
  }
  auto groups =
      aws::ec2::DescribeSecurityGroups(client(), {{"vpc-id", {vpc}}, {"group-name", {"default"}}});
  ASSERT_TRUE(groups.ok()) << groups.error().ToString();
  ASSERT_EQ(groups->size(), 1U);
  EXPECT_THAT(groups->at(0).group_id, ::testing::StartsWith("sg-"));
  EXPECT_EQ(groups->at(0).vpc_id, vpc);
}

TEST_F(AwsEc2Test, SsmPublicAmiParameterAndAMissingOne) {
  auto ami = aws::ssm::GetParameter(client(), {.name = aws::ssm::kAmazonLinux2023Parameter});
  ASSERT_TRUE(ami.ok()) << ami.error().ToString();
  EXPECT_THAT(ami->value, ::testing::StartsWith("ami-"));
  EXPECT_EQ(ami->name, aws::ssm::kAmazonLinux2023Parameter);
  auto missing = aws::ssm::GetParameter(client(), {.name = "/ohfp/no/such/parameter"});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().kind(), resilience::ErrorKind::kNotFound) << missing.error().ToString();
  EXPECT_EQ(missing.error().code(), "ParameterNotFound");
}

}  // namespace
}  // namespace ohfp::testing
