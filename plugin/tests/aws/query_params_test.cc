#include "aws/query_params.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace ohfp::aws {
namespace {

using std::chrono::milliseconds;
using std::chrono::nanoseconds;
using std::chrono::seconds;

resilience::SysTime At(std::int64_t epoch_seconds) {
  return resilience::SysTime(seconds(epoch_seconds));
}

TEST(QueryParams, EncodeFormPutsActionAndVersionFirstThenInsertionOrder) {
  QueryParams params;
  params.AddString("Zeta", "1").AddString("Alpha", "2").AddString("Mid", "3");
  EXPECT_EQ(params.EncodeForm("DescribeInstances", "2016-11-15"),
            "Action=DescribeInstances&Version=2016-11-15&Zeta=1&Alpha=2&Mid=3");
}

TEST(QueryParams, EncodeFormWithoutParametersHasOnlyActionAndVersion) {
  EXPECT_EQ(QueryParams().EncodeForm("DescribeRegions", "2016-11-15"),
            "Action=DescribeRegions&Version=2016-11-15");
}

TEST(QueryParams, PercentEncodeKeepsOnlyUnreservedCharacters) {
  EXPECT_EQ(PercentEncode("AZaz09-_.~"), "AZaz09-_.~");
  EXPECT_EQ(PercentEncode("a b"), "a%20b");  // never '+'
  EXPECT_EQ(PercentEncode("a+b"), "a%2Bb");
  EXPECT_EQ(PercentEncode("k=v&x"), "k%3Dv%26x");
  EXPECT_EQ(PercentEncode("2015-01-25T08:00:00Z"), "2015-01-25T08%3A00%3A00Z");
  EXPECT_EQ(PercentEncode("/?#[]@!$'()*,;%"), "%2F%3F%23%5B%5D%40%21%24%27%28%29%2A%2C%3B%25");
  EXPECT_EQ(PercentEncode("\n\t"), "%0A%09");
}

TEST(QueryParams, PercentEncodeWritesUtf8ByteByByteInUpperCaseHex) {
  EXPECT_EQ(PercentEncode("é"), "%C3%A9");
  EXPECT_EQ(PercentEncode("日本"), "%E6%97%A5%E6%9C%AC");
  EXPECT_EQ(PercentEncode("🙂"), "%F0%9F%99%82");
  EXPECT_EQ(PercentEncode(std::string("\x00\xff", 2)), "%00%FF");
}

TEST(QueryParams, EncodeFormEncodesNamesAndValues) {
  QueryParams params;
  params.AddString("Tag.1.Value", "a b=c&d/é");
  EXPECT_EQ(params.EncodeForm("CreateTags", "2016-11-15"),
            "Action=CreateTags&Version=2016-11-15&Tag.1.Value=a+b%3Dc%26d%2F%C3%A9");
}

// The expected strings are what botocore sends (Python's urllib.parse.urlencode of the same
// bytes): moto checks signatures against that body, not the one it received.
TEST(QueryParams, EncodeFormWritesTheBodyByteForByteAsBotocore) {
  QueryParams tag;
  tag.AddString("Tag.1.Value", "a b+c/d=e~f*g%h é日");
  EXPECT_EQ(
      tag.EncodeForm("CreateTags", "2016-11-15"),
      "Action=CreateTags&Version=2016-11-15&Tag.1.Value=a+b%2Bc%2Fd%3De~f%2Ag%25h+%C3%A9%E6%97%A5");
  std::string every_byte;
  for (int b = 0; b < 256; ++b) every_byte.push_back(static_cast<char>(b));
  EXPECT_EQ(
      FormEncode(every_byte),
      "%00%01%02%03%04%05%06%07%08%09%0A%0B%0C%0D%0E%0F%10%11%12%13%14%15%16%17%18%19%1A%1B%1C%1D%"
      "1E%1F+%21%22%23%24%25%26%27%28%29%2A%2B%2C-.%2F0123456789%3A%3B%3C%3D%3E%3F%"
      "40ABCDEFGHIJKLMNOPQRSTUVWXYZ%5B%5C%5D%5E_%60abcdefghijklmnopqrstuvwxyz%7B%7C%7D~%7F%80%81%"
      "82%83%84%85%86%87%88%89%8A%8B%8C%8D%8E%8F%90%91%92%93%94%95%96%97%98%99%9A%9B%9C%9D%9E%9F%"
      "A0%A1%A2%A3%A4%A5%A6%A7%A8%A9%AA%AB%AC%AD%AE%AF%B0%B1%B2%B3%B4%B5%B6%B7%B8%B9%BA%BB%BC%BD%"
      "BE%BF%C0%C1%C2%C3%C4%C5%C6%C7%C8%C9%CA%CB%CC%CD%CE%CF%D0%D1%D2%D3%D4%D5%D6%D7%D8%D9%DA%DB%"
      "DC%DD%DE%DF%E0%E1%E2%E3%E4%E5%E6%E7%E8%E9%EA%EB%EC%ED%EE%EF%F0%F1%F2%F3%F4%F5%F6%F7%F8%F9%"
      "FA%FB%FC%FD%FE%FF");
  EXPECT_EQ(PercentEncode(" "), "%20") << "SigV4's canonical strings keep %20";
}

TEST(QueryParams, EmptyValueIsSentAsNameEquals) {
  QueryParams params;
  params.AddString("Description", "");
  EXPECT_EQ(params.EncodeForm("A", "1"), "Action=A&Version=1&Description=");
}

TEST(QueryParams, IntegersOfAnyWidthAndSign) {
  QueryParams params;
  params.AddInt("A", 10).AddInt("B", -3).AddInt("C", std::size_t{42});
  params.AddInt("D", std::numeric_limits<std::int64_t>::min());
  params.AddInt("E", std::numeric_limits<std::uint64_t>::max());
  EXPECT_EQ(params.Find("A"), "10");
  EXPECT_EQ(params.Find("B"), "-3");
  EXPECT_EQ(params.Find("C"), "42");
  EXPECT_EQ(params.Find("D"), "-9223372036854775808");
  EXPECT_EQ(params.Find("E"), "18446744073709551615");
}

TEST(QueryParams, BooleansAreLowerCaseWords) {
  QueryParams params;
  params.AddBool("DryRun", false).AddBool("Encrypted", true);
  EXPECT_EQ(params.EncodeForm("A", "1"), "Action=A&Version=1&DryRun=false&Encrypted=true");
}

TEST(QueryParams, DoublesUseTheShortestRoundTripForm) {
  QueryParams params;
  params.AddDouble("A", 10.8).AddDouble("B", 0.1).AddDouble("C", 2.0).AddDouble("D", -0.5);
  params.AddDouble("E", 1e20).AddDouble("F", 0.00001).AddDouble("G", 0.0);
  EXPECT_EQ(params.Find("A"), "10.8");
  EXPECT_EQ(params.Find("B"), "0.1");
  EXPECT_EQ(params.Find("C"), "2");
  EXPECT_EQ(params.Find("D"), "-0.5");
  EXPECT_EQ(params.Find("E"), "1e+20");
  EXPECT_EQ(params.Find("F"), "1e-05");
  EXPECT_EQ(params.Find("G"), "0");
}

TEST(QueryParams, DoubleSpecialValuesUseTheProtocolSpelling) {
  QueryParams params;
  params.AddDouble("N", std::nan(""));
  params.AddDouble("P", std::numeric_limits<double>::infinity());
  params.AddDouble("M", -std::numeric_limits<double>::infinity());
  EXPECT_EQ(params.EncodeForm("A", "1"), "Action=A&Version=1&N=NaN&P=Infinity&M=-Infinity");
}

TEST(QueryParams, TimestampsAreIso8601Utc) {
  QueryParams params;
  params.AddTimestamp("T", At(1422172800));
  EXPECT_EQ(params.Find("T"), "2015-01-25T08:00:00Z");
  EXPECT_EQ(params.EncodeForm("A", "1"), "Action=A&Version=1&T=2015-01-25T08%3A00%3A00Z");
}

TEST(QueryParams, TimestampsKeepMillisecondsAndTruncateBelow) {
  QueryParams params;
  params.AddTimestamp("Ms", At(946845296) + milliseconds(123));
  params.AddTimestamp("Sub", At(946845296) + milliseconds(5) + nanoseconds(999'999));
  params.AddTimestamp("Micro", At(946845296) + nanoseconds(999'999));
  EXPECT_EQ(params.Find("Ms"), "2000-01-02T20:34:56.123Z");
  EXPECT_EQ(params.Find("Sub"), "2000-01-02T20:34:56.005Z");
  EXPECT_EQ(params.Find("Micro"), "2000-01-02T20:34:56Z");
}

TEST(QueryParams, TimestampsAtCalendarEdges) {
  QueryParams params;
  params.AddTimestamp("Epoch", At(0));
  params.AddTimestamp("Leap", At(951782400));    // 2000-02-29
  params.AddTimestamp("Before", At(-1));         // 1969-12-31T23:59:59Z
  params.AddTimestamp("Y2038", At(2147483648));  // past 32-bit time_t
  EXPECT_EQ(params.Find("Epoch"), "1970-01-01T00:00:00Z");
  EXPECT_EQ(params.Find("Leap"), "2000-02-29T00:00:00Z");
  EXPECT_EQ(params.Find("Before"), "1969-12-31T23:59:59Z");
  EXPECT_EQ(params.Find("Y2038"), "2038-01-19T03:14:08Z");
}

TEST(QueryParams, FlatListUsesEc2Numbering) {
  const std::vector<std::string> ids = {"i-1", "i-2", "i-3"};
  QueryParams params;
  params.AddFlatList("InstanceId", ids);
  EXPECT_EQ(params.EncodeForm("TerminateInstances", "2016-11-15"),
            "Action=TerminateInstances&Version=2016-11-15&InstanceId.1=i-1&InstanceId.2=i-2&"
            "InstanceId.3=i-3");
}

TEST(QueryParams, MemberListUsesQueryNumbering) {
  const std::vector<std::string> zones = {"us-east-1a", "us-east-1b"};
  QueryParams params;
  params.AddMemberList("AvailabilityZones", zones);
  EXPECT_EQ(params.EncodeForm("CreateAutoScalingGroup", "2011-01-01"),
            "Action=CreateAutoScalingGroup&Version=2011-01-01"
            "&AvailabilityZones.member.1=us-east-1a&AvailabilityZones.member.2=us-east-1b");
}

TEST(QueryParams, EntryMapWritesKeyAndValuePerEntry) {
  const std::vector<QueryParams::Entry> entries = {{"env", "prod"}, {"team", "hpc"}};
  QueryParams params;
  params.AddEntryMap("Attributes", entries);
  EXPECT_EQ(params.EncodeForm("A", "1"),
            "Action=A&Version=1&Attributes.entry.1.key=env&Attributes.entry.1.value=prod"
            "&Attributes.entry.2.key=team&Attributes.entry.2.value=hpc");
}

TEST(QueryParams, EmptyListsAddNothingUnlessExplicitlyEmpty) {
  const std::vector<std::string> none;
  const std::vector<QueryParams::Entry> no_entries;
  QueryParams params;
  params.AddFlatList("A", none).AddMemberList("B", none).AddEntryMap("C", no_entries);
  EXPECT_TRUE(params.empty());
  params.AddEmptyList("TerminationPolicies");
  EXPECT_EQ(params.EncodeForm("X", "1"), "Action=X&Version=1&TerminationPolicies=");
}

TEST(QueryParams, KeyHelpersBuildNestedEc2Names) {
  QueryParams params;
  const std::string config = QueryParams::FlatKey("LaunchTemplateConfigs", 1);
  params.AddString(config + ".LaunchTemplateSpecification.LaunchTemplateName", "lt-web");
  params.AddString(QueryParams::FlatKey(config + ".Overrides", 2) + ".InstanceType", "m5.large");
  EXPECT_EQ(params.EncodeForm("CreateFleet", "2016-11-15"),
            "Action=CreateFleet&Version=2016-11-15"
            "&LaunchTemplateConfigs.1.LaunchTemplateSpecification.LaunchTemplateName=lt-web"
            "&LaunchTemplateConfigs.1.Overrides.2.InstanceType=m5.large");
}

TEST(QueryParams, KeyHelpersBuildNestedQueryNames) {
  QueryParams params;
  const std::string datum = QueryParams::MemberKey("MetricData", 1);
  params.AddString(datum + ".MetricName", "Requests");
  params.AddString(QueryParams::MemberKey(datum + ".Dimensions", 1) + ".Name", "Provider");
  params.AddString(QueryParams::EntryKey("Tags", 3) + ".key", "k");
  EXPECT_EQ(params.entries()[0].first, "MetricData.member.1.MetricName");
  EXPECT_EQ(params.entries()[1].first, "MetricData.member.1.Dimensions.member.1.Name");
  EXPECT_EQ(params.entries()[2].first, "Tags.entry.3.key");
}

TEST(QueryParams, FindReturnsNulloptForMissingNames) {
  QueryParams params;
  params.AddString("ClientToken", "abc");
  EXPECT_EQ(params.Find("ClientToken"), "abc");
  EXPECT_FALSE(params.Find("clienttoken").has_value());
  EXPECT_EQ(params.size(), 1u);
}

}  // namespace
}  // namespace ohfp::aws
