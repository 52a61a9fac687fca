#include "ohfp/chaos_proxy/error_bodies.h"

#include <gtest/gtest.h>

#include <pugixml.hpp>
#include <set>

namespace ohfp::chaos_proxy {
namespace {

struct ParsedXml {
  pugi::xml_document doc;
  bool ok = false;
};

// Parses `body` strictly; the test fails if it is not well-formed XML.
std::unique_ptr<ParsedXml> Parse(const std::string& body) {
  auto parsed = std::make_unique<ParsedXml>();
  const pugi::xml_parse_result result = parsed->doc.load_string(body.c_str());
  parsed->ok = static_cast<bool>(result);
  EXPECT_TRUE(parsed->ok) << result.description() << "\n" << body;
  return parsed;
}

// xxxxxxxx-xxxx-4xxx-[89ab]xxx-xxxxxxxxxxxx, lowercase hex. (No std::regex: g++ 12 warns inside it
// under -O1.)
bool IsUuidV4(const std::string& id) {
  if (id.size() != 36) return false;
  for (std::size_t i = 0; i < id.size(); ++i) {
    const char c = id[i];
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash != (c == '-')) return false;
    if (!dash && !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return id[14] == '4' && std::string_view("89ab").find(id[19]) != std::string_view::npos;
}

std::string Header(const HttpResponse& response, std::string_view name) {
  return std::string(FindHeader(response.headers, name).value_or(""));
}

void ExpectEc2Error(const HttpResponse& response, int status, const std::string& code) {
  EXPECT_EQ(response.status, status);
  EXPECT_EQ(Header(response, "Content-Type"), "text/xml;charset=UTF-8");
  auto xml = Parse(response.body);
  const pugi::xml_node root = xml->doc.child("Response");
  ASSERT_TRUE(root) << response.body;
  EXPECT_EQ(std::string(root.child("Errors").child("Error").child_value("Code")), code);
  EXPECT_FALSE(std::string(root.child("Errors").child("Error").child_value("Message")).empty());
  const std::string request_id = root.child_value("RequestID");
  EXPECT_FALSE(request_id.empty());
  EXPECT_EQ(request_id, Header(response, "x-amzn-RequestId"));
}

void ExpectQueryError(const HttpResponse& response, int status, const std::string& type,
                      const std::string& code, const std::string& xmlns) {
  EXPECT_EQ(response.status, status);
  auto xml = Parse(response.body);
  const pugi::xml_node root = xml->doc.child("ErrorResponse");
  ASSERT_TRUE(root) << response.body;
  EXPECT_EQ(std::string(root.attribute("xmlns").value()), xmlns);
  EXPECT_EQ(std::string(root.child("Error").child_value("Type")), type);
  EXPECT_EQ(std::string(root.child("Error").child_value("Code")), code);
  EXPECT_FALSE(std::string(root.child("Error").child_value("Message")).empty());
  const std::string request_id = root.child_value("RequestId");
  EXPECT_FALSE(request_id.empty());
  EXPECT_EQ(request_id, Header(response, "x-amzn-RequestId"));
}

TEST(ErrorBodies, Ec2ThrottleIsRequestLimitExceeded503InTheEc2Shape) {
  const HttpResponse r = ThrottleResponse(Service::kEc2, "id-1", "");
  ExpectEc2Error(r, 503, "RequestLimitExceeded");
  EXPECT_EQ(Header(r, "x-ohfp-chaos-proxy"), "throttle");
}

TEST(ErrorBodies, AutoScalingThrottleIsThrottling400WithTypeSender) {
  ExpectQueryError(ThrottleResponse(Service::kAutoScaling, "id-2", ""), 400, "Sender", "Throttling",
                   "http://autoscaling.amazonaws.com/doc/2011-01-01/");
}

TEST(ErrorBodies, CloudWatchThrottleIsThrottling400WithTypeSender) {
  ExpectQueryError(ThrottleResponse(Service::kCloudWatch, "id-3", "Slow down"), 400, "Sender",
                   "Throttling", "http://monitoring.amazonaws.com/doc/2010-08-01/");
}

TEST(ErrorBodies, UnknownServicesGetTheGenericQueryShape) {
  ExpectQueryError(ThrottleResponse(Service::kUnknown, "id-4", ""), 400, "Sender", "Throttling",
                   "");
}

TEST(ErrorBodies, ErrorsUseTheServiceShapeAndTypeReceiverFor5xx) {
  ExpectEc2Error(ErrorResponse(Service::kEc2, 500, "InternalError", "", "id-5"), 500,
                 "InternalError");
  ExpectEc2Error(ErrorResponse(Service::kEc2, 503, "ServiceUnavailable", "", "id-6"), 503,
                 "ServiceUnavailable");
  ExpectQueryError(ErrorResponse(Service::kAutoScaling, 503, "ServiceUnavailable", "", "id-7"), 503,
                   "Receiver", "ServiceUnavailable",
                   "http://autoscaling.amazonaws.com/doc/2011-01-01/");
  ExpectQueryError(ErrorResponse(Service::kCloudWatch, 400, "InvalidParameterValue", "bad", "id-8"),
                   400, "Sender", "InvalidParameterValue",
                   "http://monitoring.amazonaws.com/doc/2010-08-01/");
}

TEST(ErrorBodies, CapacityIsInsufficientInstanceCapacity500InTheEc2Shape) {
  ExpectEc2Error(CapacityResponse("", "", "id-9"), 500, "InsufficientInstanceCapacity");
  ExpectEc2Error(CapacityResponse("InsufficientHostCapacity", "", "id-10"), 500,
                 "InsufficientHostCapacity");
}

TEST(ErrorBodies, MismatchIsIdempotentParameterMismatch400) {
  ExpectEc2Error(IdempotentMismatchResponse("id-11"), 400, "IdempotentParameterMismatch");
}

TEST(ErrorBodies, MessagesAreEscaped) {
  const HttpResponse r =
      ErrorResponse(Service::kEc2, 500, "Internal<Error>", "a < b & \"c\" 'd'", "id-12");
  auto xml = Parse(r.body);
  EXPECT_EQ(
      std::string(xml->doc.child("Response").child("Errors").child("Error").child_value("Message")),
      "a < b & \"c\" 'd'");
  EXPECT_EQ(
      std::string(xml->doc.child("Response").child("Errors").child("Error").child_value("Code")),
      "Internal<Error>");
}

TEST(ErrorBodies, HtmlErrorPagesAreNotXmlErrors) {
  const HttpResponse r = HtmlErrorResponse(502, "id-13");
  EXPECT_EQ(r.status, 502);
  EXPECT_EQ(Header(r, "Content-Type"), "text/html; charset=UTF-8");
  EXPECT_NE(r.body.find("<!DOCTYPE html>"), std::string::npos);
  EXPECT_NE(r.body.find("502 Bad Gateway"), std::string::npos);
  EXPECT_EQ(r.body.find("<Error>"), std::string::npos);
}

TEST(ErrorBodies, RequestIdsAreFreshUuidsReproducibleFromTheSeed) {
  RequestIdGenerator a(7);
  RequestIdGenerator b(7);
  RequestIdGenerator c(8);
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    const std::string id = a.Next();
    EXPECT_TRUE(IsUuidV4(id)) << id;
    EXPECT_EQ(id, b.Next());
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 1000u);
  EXPECT_EQ(seen.count(c.Next()), 0u);
}

}  // namespace
}  // namespace ohfp::chaos_proxy
