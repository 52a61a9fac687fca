#include "aws/xml.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace ohfp::aws {
namespace {

using resilience::Result;
using resilience::SysTime;
using std::chrono::seconds;

XmlDocument ParseOk(std::string_view body) {
  resilience::Result<XmlDocument> doc = XmlDocument::Parse(body);
  EXPECT_TRUE(doc.ok()) << (doc.ok() ? "" : doc.error().ToString());
  if (!doc.ok()) return std::move(*XmlDocument::Parse("<empty/>"));
  return std::move(doc).value();
}

std::vector<std::string> Texts(const std::vector<XmlNode>& nodes) {
  std::vector<std::string> out;
  for (const XmlNode& node : nodes) out.push_back(node.Text());
  return out;
}

constexpr std::string_view kDescribeInstances = R"(<?xml version="1.0" encoding="UTF-8"?>
<DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
    <requestId>8f7724cf-496f-496e-8fe3-example</requestId>
    <reservationSet>
        <item>
            <reservationId>r-1234567890abcdef0</reservationId>
            <instancesSet>
                <item>
                    <instanceId>i-1</instanceId>
                    <instanceState><code>16</code><name>running</name></instanceState>
                    <launchTime>2024-05-01T12:00:00.000Z</launchTime>
                    <ebsOptimized>false</ebsOptimized>
                </item>
                <item>
                    <instanceId>i-2</instanceId>
                    <instanceState><code>0</code><name>pending</name></instanceState>
                </item>
            </instancesSet>
        </item>
    </reservationSet>
    <nextToken>eyJ2IjoiMiJ9</nextToken>
</DescribeInstancesResponse>)";

constexpr std::string_view kDescribeAutoScalingGroups = R"(<DescribeAutoScalingGroupsResponse
    xmlns="http://autoscaling.amazonaws.com/doc/2011-01-01/">
  <DescribeAutoScalingGroupsResult>
    <AutoScalingGroups>
      <member>
        <AutoScalingGroupName>hf-asg</AutoScalingGroupName>
        <DesiredCapacity>3</DesiredCapacity>
        <AvailabilityZones><member>us-east-1a</member><member>us-east-1b</member></AvailabilityZones>
      </member>
    </AutoScalingGroups>
    <NextToken>page-2</NextToken>
  </DescribeAutoScalingGroupsResult>
  <ResponseMetadata>
    <RequestId>d5c3c3a1-0000-4a4e-9f0a-example</RequestId>
  </ResponseMetadata>
</DescribeAutoScalingGroupsResponse>)";

TEST(XmlDocument, WalksAnEc2ResponseIgnoringTheNamespace) {
  XmlDocument doc = ParseOk(kDescribeInstances);
  XmlNode result = ResultOf(doc);
  EXPECT_EQ(result.Name(), "DescribeInstancesResponse");
  std::vector<XmlNode> reservations = result.Child("reservationSet").Children("item");
  ASSERT_EQ(reservations.size(), 1u);
  EXPECT_EQ(reservations[0].ChildText("reservationId"), "r-1234567890abcdef0");
  std::vector<XmlNode> instances = reservations[0].Child("instancesSet").Children("item");
  ASSERT_EQ(instances.size(), 2u);
  EXPECT_EQ(instances[1].Child("instanceState").ChildText("name"), "pending");
  resilience::Result<std::int64_t> code = instances[0].Child("instanceState").ChildInt64("code");
  ASSERT_TRUE(code.ok());
  EXPECT_EQ(*code, 16);
  resilience::Result<SysTime> launch = instances[0].ChildTimestamp("launchTime");
  ASSERT_TRUE(launch.ok());
  EXPECT_EQ(*launch, SysTime(seconds(1714564800)));
  resilience::Result<bool> ebs = instances[0].ChildBool("ebsOptimized");
  ASSERT_TRUE(ebs.ok());
  EXPECT_FALSE(*ebs);
  EXPECT_EQ(RequestIdOf(doc), "8f7724cf-496f-496e-8fe3-example");
  EXPECT_EQ(NextTokenOf(result), "eyJ2IjoiMiJ9");
}

TEST(XmlDocument, WalksAQueryResponseThroughItsResultElement) {
  XmlDocument doc = ParseOk(kDescribeAutoScalingGroups);
  XmlNode result = ResultOf(doc);
  EXPECT_EQ(result.Name(), "DescribeAutoScalingGroupsResult");
  std::vector<XmlNode> groups = result.Child("AutoScalingGroups").Children("member");
  ASSERT_EQ(groups.size(), 1u);
  EXPECT_EQ(groups[0].ChildText("AutoScalingGroupName"), "hf-asg");
  EXPECT_EQ(Texts(groups[0].Child("AvailabilityZones").Children("member")),
            (std::vector<std::string>{"us-east-1a", "us-east-1b"}));
  EXPECT_EQ(RequestIdOf(doc), "d5c3c3a1-0000-4a4e-9f0a-example");
  EXPECT_EQ(NextTokenOf(result), "page-2");
}

TEST(XmlDocument, ResultOfAQueryResponseWithoutResultIsTheRoot) {
  XmlDocument doc = ParseOk(
      "<DeleteAutoScalingGroupResponse><ResponseMetadata><RequestId>r-1</RequestId></"
      "ResponseMetadata>"
      "</DeleteAutoScalingGroupResponse>");
  EXPECT_EQ(ResultOf(doc).Name(), "DeleteAutoScalingGroupResponse");
  EXPECT_EQ(RequestIdOf(doc), "r-1");
  EXPECT_FALSE(NextTokenOf(ResultOf(doc)).has_value());
}

TEST(XmlDocument, PrefixedNamesMatchByLocalName) {
  XmlDocument doc = ParseOk(
      R"(<ec2:Resp xmlns:ec2="urn:x"><ec2:list><ec2:item>a</ec2:item><item>b</item><other>c</other></ec2:list>)"
      R"(<ec2:RequestId> rid </ec2:RequestId></ec2:Resp>)");
  EXPECT_EQ(doc.Root().Name(), "Resp");
  EXPECT_EQ(Texts(doc.Root().Child("list").Children("item")), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(doc.Root().Child("list").Elements().size(), 3u);
  EXPECT_EQ(RequestIdOf(doc), "rid");
}

TEST(XmlDocument, FindSearchesAtAnyDepthInDocumentOrder) {
  XmlDocument doc = ParseOk("<a><b><c>first</c></b><c>second</c><Error>root-level</Error></a>");
  EXPECT_EQ(doc.Find("c").Text(), "first");
  EXPECT_EQ(doc.Find("a").Name(), "a");  // the root itself
  EXPECT_EQ(doc.Find("Error").Text(), "root-level");
  EXPECT_FALSE(doc.Find("missing"));
  EXPECT_FALSE(doc.Find("error"));  // element names are case-sensitive
}

TEST(XmlDocument, NestingUpToTheLimitIsReadAndDeeperIsRefusedWithoutRecursion) {
  const auto nested = [](int depth) {  // `depth` elements, the innermost <deep>
    std::string body;
    for (int i = 1; i < depth; ++i) body += "<n>";
    body += "<deep>x</deep>";
    for (int i = 1; i < depth; ++i) body += "</n>";
    return body;
  };
  XmlDocument doc = ParseOk(nested(kMaxXmlDepth));
  EXPECT_EQ(doc.Find("deep").Text(), "x");
  EXPECT_EQ(RequestIdOf(doc), "");
  for (const int depth : {kMaxXmlDepth + 1, 200'000}) {
    Result<XmlDocument> deep = XmlDocument::Parse(nested(depth));
    ASSERT_FALSE(deep.ok()) << depth;
    EXPECT_EQ(deep.error().kind(), resilience::ErrorKind::kTransient);
    EXPECT_EQ(deep.error().code(), "MalformedResponse");
    EXPECT_THAT(std::string(deep.error().message()),
                ::testing::HasSubstr("nested deeper than 64 levels"));
  }
  // Siblings do not add depth.
  std::string wide = "<r>";
  for (int i = 0; i < 10'000; ++i) wide += "<a><b/></a>";
  EXPECT_TRUE(XmlDocument::Parse(wide + "</r>").ok());
}

// Found by fuzz_aws_response: pugixml does not validate UTF-8, and text from an answer ends up in
// JSON output (a tag value, an error message), where invalid UTF-8 made the dump throw (exit 3).
TEST(XmlDocument, TextThatIsNotUtf8IsRefusedAndMessagesStayUtf8) {
  for (const std::string& body :
       {std::string("<r>\xff</r>"), std::string("<r a=\"\xc3\">x</r>"),
        std::string("<r><\xe9t\xe9/></r>"), std::string("<r>\xed\xa0\x80</r>")}) {
    Result<XmlDocument> doc = XmlDocument::Parse(body);
    ASSERT_FALSE(doc.ok()) << body;
    EXPECT_EQ(doc.error().code(), "MalformedResponse");
    EXPECT_THAT(std::string(doc.error().message()), ::testing::HasSubstr("not valid UTF-8"));
    EXPECT_NO_THROW(static_cast<void>(nlohmann::json(std::string(doc.error().message())).dump()));
  }
  // Another encoding, declared, is converted: valid.
  Result<XmlDocument> latin1 =
      XmlDocument::Parse("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><r>caf\xe9</r>");
  ASSERT_TRUE(latin1.ok()) << latin1.error().ToString();
  EXPECT_EQ(latin1->Root().Text(), "caf\xc3\xa9");
  EXPECT_EQ(ParseOk("<r>caf\xc3\xa9 \xf0\x9f\x99\x82</r>").Root().Text(),
            "caf\xc3\xa9 \xf0\x9f\x99\x82");
}

TEST(XmlDocument, ADocumentTypeDeclarationIsRefused) {
  for (const std::string_view body :
       {"<!DOCTYPE html><html/>",
        "<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY e \"x\">]><r>&e;</r>",
        "<!DOCTYPE r SYSTEM \"file:///etc/passwd\"><r/>"}) {
    Result<XmlDocument> doc = XmlDocument::Parse(body);
    ASSERT_FALSE(doc.ok()) << body;
    EXPECT_EQ(doc.error().code(), "MalformedResponse") << body;
  }
}

TEST(XmlNode, NamespaceUriResolvesTheDefaultAndPrefixedDeclarations) {
  XmlDocument doc = ParseOk(
      "<a xmlns=\"urn:d\" xmlns:p=\"urn:p\"><b/><p:c/><d xmlns=\"urn:e\"><e/></d><q:f/></a>");
  EXPECT_EQ(doc.Root().NamespaceUri(), "urn:d");
  EXPECT_EQ(doc.Root().Child("b").NamespaceUri(), "urn:d");
  EXPECT_EQ(doc.Root().Child("c").NamespaceUri(), "urn:p");
  EXPECT_EQ(doc.Root().Child("d").Child("e").NamespaceUri(), "urn:e");
  EXPECT_EQ(doc.Root().Child("f").NamespaceUri(), "") << "an undeclared prefix";
  EXPECT_EQ(ParseOk("<r/>").Root().NamespaceUri(), "");
  EXPECT_EQ(XmlNode().NamespaceUri(), "");
}

TEST(XmlNode, MissingElementsAreNullNodesWithEmptyValues) {
  XmlDocument doc = ParseOk("<r><a>1</a></r>");
  XmlNode missing = doc.Root().Child("nope").Child("deeper");
  EXPECT_FALSE(missing);
  EXPECT_EQ(missing.Name(), "");
  EXPECT_EQ(missing.Text(), "");
  EXPECT_FALSE(missing.ChildText("x").has_value());
  EXPECT_TRUE(missing.Children("x").empty());
  EXPECT_TRUE(missing.Elements().empty());
  EXPECT_FALSE(missing.Find("a"));
  EXPECT_FALSE(NextTokenOf(missing).has_value());
  EXPECT_FALSE(missing.AsInt64().ok());
}

TEST(XmlNode, TextDecodesEntitiesAndCdataAndKeepsEmptyElementsEmpty) {
  XmlDocument doc = ParseOk(
      "<r><a>x &amp; y &lt;z&gt; &#233;</a><b/><c></c><d><![CDATA[<raw>]]></d><e>  spaced  "
      "</e></r>");
  EXPECT_EQ(doc.Root().ChildText("a"), "x & y <z> é");
  EXPECT_EQ(doc.Root().ChildText("b"), "");
  EXPECT_EQ(doc.Root().ChildText("c"), "");
  EXPECT_EQ(doc.Root().ChildText("d"), "<raw>");
  EXPECT_EQ(doc.Root().ChildText("e"), "  spaced  ");  // strings are returned as sent
}

TEST(XmlNode, TypedReadsAcceptTheProtocolForms) {
  XmlDocument doc = ParseOk(
      "<r><i> 42 </i><n>-7</n><t>true</t><f>FALSE</f><one>1</one><d>6.5</d><nan>NaN</nan>"
      "<inf>Infinity</inf><ninf>-Infinity</ninf><exp>1e3</exp></r>");
  XmlNode r = doc.Root();
  EXPECT_EQ(r.ChildInt64("i").value_or(0), 42);
  EXPECT_EQ(r.ChildInt64("n").value_or(0), -7);
  EXPECT_TRUE(r.ChildBool("t").value_or(false));
  EXPECT_FALSE(r.ChildBool("f").value_or(true));
  EXPECT_TRUE(r.ChildBool("one").value_or(false));
  EXPECT_EQ(r.ChildDouble("d").value_or(0), 6.5);
  EXPECT_TRUE(std::isnan(r.ChildDouble("nan").value_or(0)));
  EXPECT_EQ(r.ChildDouble("inf").value_or(0), std::numeric_limits<double>::infinity());
  EXPECT_EQ(r.ChildDouble("ninf").value_or(0), -std::numeric_limits<double>::infinity());
  EXPECT_EQ(r.ChildDouble("exp").value_or(0), 1000.0);
}

TEST(XmlNode, TypedReadErrorsNameTheElementAndAreInternal) {
  XmlDocument doc =
      ParseOk("<item><count>12abc</count><flag>yes</flag><big>99999999999999999999</big></item>");
  resilience::Result<std::int64_t> count = doc.Root().ChildInt64("count");
  ASSERT_FALSE(count.ok());
  EXPECT_EQ(count.error().kind(), resilience::ErrorKind::kInternal);
  EXPECT_EQ(count.error().code(), "UnexpectedResponse");
  EXPECT_EQ(count.error().message(), "<count> is not an integer: '12abc'");
  EXPECT_FALSE(doc.Root().ChildBool("flag").ok());
  EXPECT_FALSE(doc.Root().ChildInt64("big").ok());  // out of range is not silently wrapped
  resilience::Result<double> missing = doc.Root().ChildDouble("price");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message(), "<item> has no <price> element");
}

TEST(XmlNode, TimestampsInEveryFormTheServicesUse) {
  XmlDocument doc = ParseOk(
      "<r><z>2014-04-29T18:30:38Z</z><frac>2000-01-02T20:34:56.123Z</frac>"
      "<neg>2019-12-16T22:48:18-01:00</neg><pos>2019-12-17T00:48:18+01:00</"
      "pos><compact>2019-12-17T00:48:18+0100</compact>"
      "<nozone>2014-04-29T18:30:38</nozone><epoch>1398796238</epoch><epochfrac>1398796238.5</"
      "epochfrac>"
      "<http>Tue, 29 Apr 2014 18:30:38 "
      "GMT</http><nano>2000-01-02T20:34:56.123456789123Z</nano></r>");
  XmlNode r = doc.Root();
  const SysTime t2014(seconds(1398796238));
  EXPECT_EQ(r.ChildTimestamp("z").value_or(SysTime()), t2014);
  EXPECT_EQ(r.ChildTimestamp("frac").value_or(SysTime()),
            SysTime(seconds(946845296) + std::chrono::milliseconds(123)));
  EXPECT_EQ(r.ChildTimestamp("neg").value_or(SysTime()), SysTime(seconds(1576540098)));
  EXPECT_EQ(r.ChildTimestamp("pos").value_or(SysTime()), SysTime(seconds(1576540098)));
  EXPECT_EQ(r.ChildTimestamp("compact").value_or(SysTime()), SysTime(seconds(1576540098)));
  EXPECT_EQ(r.ChildTimestamp("nozone").value_or(SysTime()), t2014);
  EXPECT_EQ(r.ChildTimestamp("epoch").value_or(SysTime()), t2014);
  EXPECT_EQ(r.ChildTimestamp("epochfrac").value_or(SysTime()),
            t2014 + std::chrono::milliseconds(500));
  EXPECT_EQ(r.ChildTimestamp("http").value_or(SysTime()), t2014);
  EXPECT_EQ(r.ChildTimestamp("nano").value_or(SysTime()),
            SysTime(seconds(946845296) + std::chrono::nanoseconds(123456789)));
}

TEST(XmlNode, MalformedTimestampsAreErrors) {
  for (std::string_view text :
       {"2014-13-01T00:00:00Z", "2014-02-30T00:00:00Z", "2014-04-29T24:00:00Z", "2014-04-29",
        "2014-04-29T18:30:38Zjunk", "yesterday", "", "1.2.3", "Tue, 29 Foo 2014 18:30:38 GMT",
        "2014-04-29T18:30:38.Z",
        // Years SysTime cannot hold (it would overflow): not a time AWS sends.
        "4030-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "1000-01-01T00:00:00Z",
        "Tue, 29 Apr 3014 18:30:38 GMT"}) {
    XmlDocument doc = ParseOk("<t>" + std::string(text) + "</t>");
    EXPECT_FALSE(doc.Root().AsTimestamp().ok()) << text;
  }
}

TEST(XmlDocument, MalformedBodiesAreTransientErrorsWithAReason) {
  for (std::string_view body :
       {"", "   \n", "not xml at all", "<a><b></a>", "<Response><Errors>", "{\"json\": true}"}) {
    resilience::Result<XmlDocument> doc = XmlDocument::Parse(body);
    ASSERT_FALSE(doc.ok()) << body;
    EXPECT_EQ(doc.error().kind(), resilience::ErrorKind::kTransient) << body;
    EXPECT_EQ(doc.error().code(), "MalformedResponse") << body;
  }
  resilience::Result<XmlDocument> doc = XmlDocument::Parse("<a><b></a>");
  ASSERT_FALSE(doc.ok());
  EXPECT_NE(doc.error().message().find("not well-formed XML"), std::string_view::npos);
  EXPECT_NE(doc.error().message().find("<a><b></a>"), std::string_view::npos);
}

TEST(XmlDocument, ParseAcceptsDeclarationBomAndComments) {
  XmlDocument doc = ParseOk("\xEF\xBB\xBF<?xml version=\"1.0\"?><!-- hi --><r><x>1</x></r>");
  EXPECT_EQ(doc.Root().Name(), "r");
}

TEST(XmlDocument, NodesStayValidAfterTheDocumentMoves) {
  XmlDocument doc = ParseOk("<r><x>kept</x></r>");
  XmlNode x = doc.Root().Child("x");
  XmlDocument moved = std::move(doc);
  EXPECT_EQ(x.Text(), "kept");
  EXPECT_EQ(moved.Root().ChildText("x"), "kept");
}

TEST(XmlDocument, NextTokenIsAbsentWhenEmpty) {
  XmlDocument ec2 = ParseOk("<DescribeFleetsResponse><nextToken/></DescribeFleetsResponse>");
  EXPECT_FALSE(NextTokenOf(ResultOf(ec2)).has_value());
  XmlDocument query = ParseOk("<XResponse><XResult><NextToken> </NextToken></XResult></XResponse>");
  EXPECT_FALSE(NextTokenOf(ResultOf(query)).has_value());
}

}  // namespace
}  // namespace ohfp::aws
