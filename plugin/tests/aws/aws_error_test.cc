#include "aws/aws_error.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

namespace ohfp::aws {
namespace {

using resilience::Error;
using resilience::ErrorKind;

HttpResponse Response(int status, std::string body, Headers headers = {}) {
  return HttpResponse{.status = status, .headers = std::move(headers), .body = std::move(body)};
}

std::string Ec2Error(std::string_view code, std::string_view message,
                     std::string_view request_id = "ec2-rid") {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error><Code>" +
         std::string(code) + "</Code><Message>" + std::string(message) +
         "</Message></Error></Errors><RequestID>" + std::string(request_id) +
         "</RequestID></Response>";
}

std::string QueryError(std::string_view type, std::string_view code, std::string_view message) {
  return "<ErrorResponse xmlns=\"http://autoscaling.amazonaws.com/doc/2011-01-01/\">\n  <Error>\n  "
         "  <Type>" +
         std::string(type) + "</Type>\n    <Code>" + std::string(code) + "</Code>\n    <Message>" +
         std::string(message) +
         "</Message>\n  </Error>\n  <RequestId>asg-rid</RequestId>\n</ErrorResponse>\n";
}

bool IsValidUtf8(std::string_view text) {
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    const std::size_t length = c < 0x80           ? 1
                               : (c >> 5) == 0x6  ? 2
                               : (c >> 4) == 0xE  ? 3
                               : (c >> 3) == 0x1E ? 4
                                                  : 0;
    if (length == 0 || i + length > text.size()) return false;
    for (std::size_t k = 1; k < length; ++k) {
      if ((static_cast<unsigned char>(text[i + k]) & 0xC0) != 0x80) return false;
    }
    i += length;
  }
  return true;
}

TEST(AwsError, Ec2RequestLimitExceededIsThrottledWithEverythingKept) {
  Error e = MapErrorResponse(
      Response(503, Ec2Error("RequestLimitExceeded", "Request limit exceeded.", "7a62c49f")));
  EXPECT_EQ(e.kind(), ErrorKind::kThrottled);
  EXPECT_EQ(e.code(), "RequestLimitExceeded");
  EXPECT_EQ(e.message(), "Request limit exceeded.");
  EXPECT_EQ(e.request_id(), "7a62c49f");
  EXPECT_EQ(e.http_status(), 503);
  EXPECT_FALSE(e.retry_after().has_value());
}

TEST(AwsError, AutoScalingThrottlingSenderIsThrottled) {
  Error e = MapErrorResponse(Response(400, QueryError("Sender", "Throttling", "Rate exceeded")));
  EXPECT_EQ(e.kind(), ErrorKind::kThrottled);
  EXPECT_EQ(e.code(), "Throttling");
  EXPECT_EQ(e.message(), "Rate exceeded");
  EXPECT_EQ(e.request_id(), "asg-rid");
  EXPECT_EQ(e.http_status(), 400);
}

TEST(AwsError, CodesMapThroughTheClassifierTable) {
  struct Case {
    int status;
    std::string_view code;
    ErrorKind kind;
  };
  for (const Case& c : {
           Case{500, "InsufficientInstanceCapacity",
                ErrorKind::kCapacity},  // the code wins over the 5xx
           Case{400, "InvalidAMIID.NotFound", ErrorKind::kValidation},
           Case{400, "InvalidAMIID.Malformed", ErrorKind::kValidation},
           Case{403, "UnauthorizedOperation", ErrorKind::kAuthorization},
           Case{401, "AuthFailure", ErrorKind::kAuthentication},
           Case{400, "IdempotentParameterMismatch", ErrorKind::kIdempotencyMismatch},
           Case{400, "InvalidInstanceID.NotFound", ErrorKind::kNotFound},
           Case{400, "InstanceLimitExceeded", ErrorKind::kQuota},
           Case{400, "RequestExpired", ErrorKind::kClockSkew},
           Case{500, "InternalError", ErrorKind::kTransient},
       }) {
    Error e = MapErrorResponse(Response(c.status, Ec2Error(c.code, "details")));
    EXPECT_EQ(e.kind(), c.kind) << c.code;
    EXPECT_EQ(e.code(), c.code);
    EXPECT_EQ(e.http_status(), c.status);
  }
}

TEST(AwsError, UnknownCodeKeepsTheCodeAndIsUnknownOn4xx) {
  Error e = MapErrorResponse(Response(400, Ec2Error("SomethingNew", "new failure")));
  EXPECT_EQ(e.kind(), ErrorKind::kUnknown);
  EXPECT_EQ(e.code(), "SomethingNew");
  EXPECT_EQ(e.message(), "new failure");
}

TEST(AwsError, UnknownCodeOn5xxIsTransientByStatus) {
  Error e = MapErrorResponse(Response(503, QueryError("Receiver", "SomethingNew", "try later")));
  EXPECT_EQ(e.kind(), ErrorKind::kTransient);
  EXPECT_EQ(e.code(), "SomethingNew");
}

TEST(AwsError, AutoScalingGroupNotFoundValidationErrorsAreNotFound) {
  for (std::string_view message : {
           "AutoScalingGroup name not found - AutoScalingGroup 'hf-asg' not found",
           "AutoScalingGroup name not found - null",
           "AutoScalingGroup not found - AutoScaling Group hf-asg not found",
           "Group hf-asg not found",
           "Instance Id not found - No managed instance found for instance ID: i-0123456789abcdef0",
       }) {
    Error e = MapErrorResponse(Response(400, QueryError("Sender", "ValidationError", message)));
    EXPECT_EQ(e.kind(), ErrorKind::kNotFound) << message;
    EXPECT_EQ(e.code(), "ValidationError");
    EXPECT_EQ(e.message(), message);
  }
}

TEST(AwsError, OtherValidationErrorsStayValidation) {
  for (std::string_view message : {
           "Launch configuration name not found - Launch configuration lc-1 not found",
           "1 validation error detected: Value null at 'maxSize' failed to satisfy constraint",
           "The parameter MetricData.member.1.Value is required.",
       }) {
    Error e = MapErrorResponse(Response(400, QueryError("Sender", "ValidationError", message)));
    EXPECT_EQ(e.kind(), ErrorKind::kValidation) << message;
  }
}

TEST(AwsError, NotFoundRuleAppliesOnlyToValidationError) {
  // The same words under another code are left to the classifier table.
  Error e = MapErrorResponse(
      Response(400, QueryError("Sender", "AlreadyExists", "Group hf-asg not found")));
  EXPECT_EQ(e.kind(), ErrorKind::kAlreadyExists);
}

TEST(AwsError, FindsTheFirstErrorAtAnyDepth) {
  // moto's Query errors: <ErrorResponse><Errors><Error>; lower-case child names are accepted too.
  Error e = MapErrorResponse(Response(
      400,
      "<?xml version=\"1.0\"?><ErrorResponse><Errors><Error><code>InvalidParameterValue</code>"
      "<message>bad</message><Type>Sender</Type></Error></Errors><RequestId>moto-rid</RequestId></"
      "ErrorResponse>"));
  EXPECT_EQ(e.kind(), ErrorKind::kValidation);
  EXPECT_EQ(e.code(), "InvalidParameterValue");
  EXPECT_EQ(e.message(), "bad");
  EXPECT_EQ(e.request_id(), "moto-rid");
}

TEST(AwsError, Html502PageIsTransientWithStatusCodeAndExcerpt) {
  const std::string page =
      "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad "
      "Gateway</h1>"
      "</center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";
  Error e = MapErrorResponse(Response(502, page, {{"Content-Type", "text/html"}}));
  EXPECT_EQ(e.kind(), ErrorKind::kTransient);
  EXPECT_EQ(e.code(), "Http502");
  EXPECT_EQ(e.message(), "HTTP 502 Bad Gateway: 502 Bad Gateway 502 Bad Gateway nginx");
  EXPECT_EQ(e.http_status(), 502);
  EXPECT_TRUE(e.request_id().empty());
}

TEST(AwsError, WerkzeugHtml500PageFromTheEmulatorIsTransient) {
  const std::string page =
      "<!doctype html>\n<html lang=en>\n<title>500 Internal Server Error</title>\n<h1>Internal "
      "Server Error</h1>\n"
      "<p>The server encountered an internal error and was unable to complete your request.</p>\n";
  Error e = MapErrorResponse(Response(500, page));
  EXPECT_EQ(e.kind(), ErrorKind::kTransient);
  EXPECT_EQ(e.code(), "Http500");
  EXPECT_EQ(e.message(),
            "HTTP 500 Internal Server Error: 500 Internal Server Error Internal Server Error The "
            "server encountered "
            "an internal error and was unable to complete your request.");
}

TEST(AwsError, EmptyBody500IsTransient) {
  Error e = MapErrorResponse(Response(500, ""));
  EXPECT_EQ(e.kind(), ErrorKind::kTransient);
  EXPECT_EQ(e.code(), "Http500");
  EXPECT_EQ(e.message(), "HTTP 500 Internal Server Error (empty body)");
}

TEST(AwsError, NonXml4xxMapsByStatus) {
  struct Case {
    int status;
    ErrorKind kind;
    std::string_view message;
  };
  for (const Case& c : {Case{429, ErrorKind::kThrottled, "HTTP 429 Too Many Requests: slow down"},
                        Case{401, ErrorKind::kAuthentication, "HTTP 401 Unauthorized: slow down"},
                        Case{403, ErrorKind::kAuthorization, "HTTP 403 Forbidden: slow down"},
                        Case{404, ErrorKind::kUnknown, "HTTP 404 Not Found: slow down"},
                        Case{418, ErrorKind::kUnknown, "HTTP 418: slow down"}}) {
    Error e = MapErrorResponse(Response(c.status, "slow down\n"));
    EXPECT_EQ(e.kind(), c.kind) << c.status;
    EXPECT_EQ(e.code(), "Http" + std::to_string(c.status));
    EXPECT_EQ(e.message(), c.message);
  }
}

TEST(AwsError, WellFormedXmlWithoutErrorElementMapsByStatus) {
  Error e = MapErrorResponse(Response(503, "<html><body><p>Service Unavailable</p></body></html>"));
  EXPECT_EQ(e.kind(), ErrorKind::kTransient);
  EXPECT_EQ(e.code(), "Http503");
  EXPECT_EQ(e.message(), "HTTP 503 Service Unavailable: Service Unavailable");
}

TEST(AwsError, RetryAfterSecondsIsHonoured) {
  Error throttled = MapErrorResponse(Response(429, "Too Many Requests", {{"retry-after", " 7 "}}));
  EXPECT_EQ(throttled.kind(), ErrorKind::kThrottled);
  ASSERT_TRUE(throttled.retry_after().has_value());
  EXPECT_EQ(*throttled.retry_after(), std::chrono::seconds(7));

  Error xml = MapErrorResponse(Response(
      503, Ec2Error("RequestLimitExceeded", "Request limit exceeded."), {{"Retry-After", "0"}}));
  ASSERT_TRUE(xml.retry_after().has_value());
  EXPECT_EQ(*xml.retry_after(), std::chrono::seconds(0));
}

TEST(AwsError, RetryAfterThatIsNotDeltaSecondsIsIgnored) {
  for (std::string_view value :
       {"Wed, 21 Oct 2015 07:28:00 GMT", "-1", "1.5", "", "99999999999999999999"}) {
    Error e = MapErrorResponse(Response(503, "", {{"Retry-After", std::string(value)}}));
    EXPECT_FALSE(e.retry_after().has_value()) << value;
  }
}

TEST(AwsError, RequestIdFromBodyWinsOverHeaders) {
  Error e = MapErrorResponse(Response(400, Ec2Error("InvalidParameterValue", "bad", "body-rid"),
                                      {{"x-amzn-RequestId", "header-rid"}}));
  EXPECT_EQ(e.request_id(), "body-rid");
}

TEST(AwsError, RequestIdFromHeadersWhenTheBodyHasNone) {
  Error amzn = MapErrorResponse(
      Response(502, "<html>bad gateway</html>", {{"X-Amzn-RequestId", "amzn-rid"}}));
  EXPECT_EQ(amzn.request_id(), "amzn-rid");
  Error amz = MapErrorResponse(Response(500, "", {{"x-amz-request-id", "amz-rid"}}));
  EXPECT_EQ(amz.request_id(), "amz-rid");
  Error both = MapErrorResponse(
      Response(500, "", {{"x-amz-request-id", "second"}, {"x-amzn-requestid", "first"}}));
  EXPECT_EQ(both.request_id(), "first");
}

TEST(AwsError, QueryRequestIdSpellingIsAccepted) {
  Error e = MapErrorResponse(Response(400, QueryError("Sender", "ValidationError", "x")));
  EXPECT_EQ(e.request_id(), "asg-rid");
  Error lower = MapErrorResponse(Response(400,
                                          "<Response><Errors><Error><Code>AuthFailure</Code></"
                                          "Error></Errors><requestId>lr</requestId></Response>"));
  EXPECT_EQ(lower.request_id(), "lr");
  EXPECT_EQ(lower.message(), "");
}

TEST(AwsError, ErrorWithMessageButNoCodeUsesStatusCodeAndTheMessage) {
  Error e = MapErrorResponse(
      Response(503, "<ErrorResponse><Error><Message>overloaded</Message></Error></ErrorResponse>"));
  EXPECT_EQ(e.kind(), ErrorKind::kTransient);
  EXPECT_EQ(e.code(), "Http503");
  EXPECT_EQ(e.message(), "overloaded");
}

TEST(AwsError, LongBodiesAreCutOnACharacterBoundaryAndInvalidUtf8IsReplaced) {
  std::string body = "<p>";
  for (int i = 0; i < 300; ++i) body += "é";
  body += "</p>";
  Error e = MapErrorResponse(Response(500, body));
  const std::string_view message = e.message();
  EXPECT_TRUE(IsValidUtf8(message));
  EXPECT_TRUE(message.ends_with("..."));
  EXPECT_LE(message.size(), std::string_view("HTTP 500 Internal Server Error: ").size() + 200 + 3);

  Error bad = MapErrorResponse(Response(500, "oops \xff\xfe end"));
  EXPECT_EQ(bad.message(), "HTTP 500 Internal Server Error: oops ?? end");
  Error bad_xml =
      MapErrorResponse(Response(400, Ec2Error("InvalidParameterValue", "bad \xc3 value")));
  EXPECT_TRUE(IsValidUtf8(bad_xml.message()));
  EXPECT_EQ(bad_xml.message(), "bad ? value");
}

TEST(AwsError, IsErrorResponseUsesStatusAndErrorEnvelopes) {
  EXPECT_FALSE(IsErrorResponse(
      Response(200, "<RunInstancesResponse><requestId>r</requestId></RunInstancesResponse>")));
  EXPECT_FALSE(IsErrorResponse(Response(200, "")));
  EXPECT_FALSE(IsErrorResponse(Response(204, "")));
  EXPECT_FALSE(IsErrorResponse(Response(200, "<ResponseMetadataOnly/>")));
  EXPECT_TRUE(IsErrorResponse(Response(200, Ec2Error("InternalError", "x"))));
  EXPECT_TRUE(IsErrorResponse(
      Response(200, "\xEF\xBB\xBF<?xml version=\"1.0\"?>\n<!-- c -->\n<ErrorResponse/>")));
  EXPECT_TRUE(
      IsErrorResponse(Response(200, "<aws:Error xmlns:aws=\"x\"><Code>X</Code></aws:Error>")));
  EXPECT_TRUE(IsErrorResponse(Response(400, "")));
  EXPECT_TRUE(IsErrorResponse(Response(302, "")));
  EXPECT_TRUE(IsErrorResponse(Response(503, "<DescribeInstancesResponse/>")));
}

TEST(AwsError, A2xxErrorEnvelopeMapsByItsCode) {
  Error e = MapErrorResponse(Response(200, Ec2Error("InternalError", "hidden failure")));
  EXPECT_EQ(e.kind(), ErrorKind::kTransient);
  EXPECT_EQ(e.code(), "InternalError");
  EXPECT_EQ(e.http_status(), 200);
}

TEST(AwsError, AnInstanceNotInTheGroupIsNotFound) {
  Error e = MapErrorResponse(Response(
      400, QueryError("Sender", "ValidationError",
                      "The instance i-0abc is not part of Auto Scaling group ohfp-req-1.")));
  EXPECT_EQ(e.kind(), ErrorKind::kNotFound);
  EXPECT_EQ(e.code(), "ValidationError");
}

}  // namespace
}  // namespace ohfp::aws
