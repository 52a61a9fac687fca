// Tests for aws/http/response_parser.h: HTTP/1.1 responses fed whole, byte by byte and in odd
// pieces; framing, keep-alive, interim answers, and every way a response can be malformed.
#include "aws/http/response_parser.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ohfp::aws::http {
namespace {

using ::testing::HasSubstr;
using State = ResponseParser::State;

// Feeds `wire` in pieces of `piece` bytes (0: whole), then the end of the stream if `eof`.
ResponseParser Parse(std::string_view wire, std::size_t piece = 0, bool eof = false,
                     ResponseLimits limits = {}) {
  ResponseParser parser(limits);
  if (piece == 0) piece = wire.size() == 0 ? 1 : wire.size();
  for (std::size_t at = 0; at < wire.size() && parser.state() == State::kReading; at += piece) {
    parser.Feed(wire.substr(at, piece));
  }
  if (eof) parser.FinishAtEof();
  return parser;
}

TEST(ResponseParserTest, ContentLengthBodyInAnyPieces) {
  const std::string wire =
      "HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nx-amzn-RequestId: r-1\r\n"
      "Content-Length: 11\r\n\r\nhello world";
  for (std::size_t piece : {0u, 1u, 2u, 7u, 64u}) {
    ResponseParser parser = Parse(wire, piece);
    ASSERT_EQ(parser.state(), State::kDone) << piece << ": " << parser.error();
    EXPECT_TRUE(parser.keep_alive());
    HttpResponse response = parser.Take();
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(response.body, "hello world");
    EXPECT_EQ(response.Header("X-Amzn-RequestId").value_or(""), "r-1");
    EXPECT_EQ(response.headers.size(), 3u);
  }
}

TEST(ResponseParserTest, ChunkedBodyWithExtensionsAndTrailers) {
  const std::string wire =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5;name=value\r\nhello\r\n1\r\n \r\nA\r\n0123456789\r\n0\r\nX-Trailer: t\r\n\r\n";
  for (std::size_t piece : {0u, 1u, 3u, 10u}) {
    ResponseParser parser = Parse(wire, piece);
    ASSERT_EQ(parser.state(), State::kDone) << piece << ": " << parser.error();
    EXPECT_TRUE(parser.keep_alive());
    EXPECT_EQ(parser.Take().body, "hello 0123456789");
  }
}

TEST(ResponseParserTest, ATransferCodingOtherThanChunkedReadsUntilTheEnd) {
  ResponseParser parser = Parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nzzz", 2);
  EXPECT_TRUE(parser.reading_until_eof());
  parser.FinishAtEof();
  ASSERT_EQ(parser.state(), State::kDone);
  EXPECT_FALSE(parser.keep_alive());
  EXPECT_EQ(parser.Take().body, "zzz");
}

TEST(ResponseParserTest, BodyUntilTheConnectionClosesIsNotReusable) {
  ResponseParser parser = Parse("HTTP/1.1 200 OK\r\n\r\nall of it", 4);
  EXPECT_EQ(parser.state(), State::kReading);
  parser.FinishAtEof();
  ASSERT_EQ(parser.state(), State::kDone);
  EXPECT_FALSE(parser.keep_alive());
  EXPECT_EQ(parser.Take().body, "all of it");
}

TEST(ResponseParserTest, NoBodyForHeadNoContentAndNotModified) {
  ResponseParser head =
      Parse("HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n", 0, false, {.no_body = true});
  EXPECT_EQ(head.state(), State::kDone);
  EXPECT_TRUE(head.keep_alive());
  EXPECT_EQ(Parse("HTTP/1.1 204 No Content\r\n\r\n").state(), State::kDone);
  EXPECT_EQ(Parse("HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n").state(), State::kDone);
}

TEST(ResponseParserTest, InterimAnswersAreSkipped) {
  ResponseParser parser = Parse(
      "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: x\r\n\r\n"
      "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 2\r\nContent-Length: 4\r\n\r\nbusy",
      5);
  ASSERT_EQ(parser.state(), State::kDone) << parser.error();
  HttpResponse response = parser.Take();
  EXPECT_EQ(response.status, 503);
  EXPECT_EQ(response.body, "busy");
  ASSERT_EQ(response.headers.size(), 2u);  // the interim answers' headers are gone
  EXPECT_EQ(response.Header("Retry-After").value_or(""), "2");
}

TEST(ResponseParserTest, KeepAliveFollowsVersionAndConnectionHeader) {
  EXPECT_FALSE(
      Parse("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n").keep_alive());
  EXPECT_FALSE(
      Parse("HTTP/1.1 200 OK\r\nConnection: foo, Close\r\nContent-Length: 0\r\n\r\n").keep_alive());
  EXPECT_FALSE(Parse("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n").keep_alive());
  EXPECT_TRUE(
      Parse("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n").keep_alive());
  // Bytes after the end of the message: the connection's framing is lost.
  EXPECT_FALSE(Parse("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nxJUNK").keep_alive());
  // A Content-Length next to a transfer coding.
  ResponseParser both = Parse(
      "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"
      "2\r\nok\r\n0\r\n\r\n");
  ASSERT_EQ(both.state(), State::kDone);
  EXPECT_FALSE(both.keep_alive());
  EXPECT_EQ(both.Take().body, "ok");
}

TEST(ResponseParserTest, BareLineFeedsFoldedLinesAndWhitespaceAreTolerated) {
  ResponseParser parser = Parse(
      "HTTP/1.1 200 OK\nX-Long: first\r\n  second\r\n\tthird\nX-Spaced:   v  \r\n"
      "Content-Length: 2\n\nok",
      3);
  ASSERT_EQ(parser.state(), State::kDone) << parser.error();
  HttpResponse response = parser.Take();
  EXPECT_EQ(response.Header("X-Long").value_or(""), "first second third");
  EXPECT_EQ(response.Header("X-Spaced").value_or(""), "v");
  EXPECT_EQ(response.body, "ok");
}

TEST(ResponseParserTest, MalformedResponsesFailWithAReason) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"SSH-2.0-OpenSSH_9.2\r\n\r\n", "malformed status line"},
      {"HTTP/1.1 2x0 OK\r\n\r\n", "malformed status code"},
      {"HTTP/1.1 101 Switching Protocols\r\n\r\n", "switched protocols"},
      {"HTTP/1.1 200 OK\r\nNo colon here\r\n\r\n", "malformed header line"},
      {"HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n", "malformed header line"},
      {"HTTP/1.1 200 OK\r\n folded first\r\n\r\n", "folded header line"},
      {"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nabc",
       "conflicting Content-Length"},
      {"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", "conflicting Content-Length"},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "malformed chunk size"},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n", "longer than its size"},
      {"HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\n",
       "conflicting Content-Length"},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFFFFF\r\n",
       "malformed chunk size"},
  };
  for (const auto& [wire, reason] : cases) {
    ResponseParser parser = Parse(wire);
    EXPECT_EQ(parser.state(), State::kFailed) << wire;
    EXPECT_THAT(parser.error(), HasSubstr(reason)) << wire;
    EXPECT_FALSE(parser.keep_alive());
  }
}

TEST(ResponseParserTest, TruncatedResponsesFailAtTheEndOfTheStream) {
  for (const std::string wire :
       {"HTTP/1.1 200 OK\r\nContent-Le", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nabc"}) {
    ResponseParser parser = Parse(wire, 0, /*eof=*/true);
    EXPECT_EQ(parser.state(), State::kFailed) << wire;
    EXPECT_TRUE(parser.started());
    EXPECT_THAT(parser.error(), HasSubstr("closed before the response ended")) << wire;
  }
  ResponseParser nothing = Parse("", 0, /*eof=*/true);
  EXPECT_EQ(nothing.state(), State::kFailed);
  EXPECT_FALSE(nothing.started());
  EXPECT_THAT(nothing.error(), HasSubstr("without a response"));
}

TEST(ResponseParserTest, LimitsOnTheHeadAndTheBody) {
  const std::string big_header = "HTTP/1.1 200 OK\r\nX-Big: " + std::string(200, 'x') + "\r\n\r\n";
  ResponseParser head = Parse(big_header, 16, false, {.max_head = 128});
  EXPECT_EQ(head.state(), State::kFailed);
  EXPECT_THAT(head.error(), HasSubstr("longer than 128 bytes"));

  ResponseParser declared =
      Parse("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n", 0, false, {.max_body = 100});
  EXPECT_EQ(declared.state(), State::kFailed);
  EXPECT_THAT(declared.error(), HasSubstr("larger than 100 bytes"));
  EXPECT_TRUE(declared.body_too_large());
  EXPECT_EQ(declared.announced_length(), 1000u);

  ResponseParser chunked = Parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n40\r\n" +
                                     std::string(64, 'a') + "\r\n40\r\n",
                                 0, false, {.max_body = 100});
  EXPECT_EQ(chunked.state(), State::kFailed);
  EXPECT_TRUE(chunked.body_too_large());
  EXPECT_FALSE(chunked.announced_length().has_value());

  ResponseParser until_eof =
      Parse("HTTP/1.1 200 OK\r\n\r\n" + std::string(101, 'b'), 10, false, {.max_body = 100});
  EXPECT_EQ(until_eof.state(), State::kFailed);
  EXPECT_TRUE(until_eof.body_too_large());
  EXPECT_FALSE(head.body_too_large()) << "a head over its limit is another failure";

  std::string trailers = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n";
  for (int i = 0; i < 20; ++i) trailers += "X-T: " + std::string(10, 't') + "\r\n";
  ResponseParser many = Parse(trailers, 0, false, {.max_head = 128});
  EXPECT_EQ(many.state(), State::kFailed);
  EXPECT_THAT(many.error(), HasSubstr("trailers are longer than 128 bytes"));
}

}  // namespace
}  // namespace ohfp::aws::http
