// Answers that are not what was asked for (issue 9, item 4), end to end through the real socket
// transport and an HTTP server on 127.0.0.1: a typed DescribeInstances must fail, never return an
// empty list (which the application would read as "the instances are gone").
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "aws/aws_client.h"
#include "aws/ec2/instances.h"
#include "aws/socket_transport.h"
#include "loopback_server.h"
#include "ohfp/resilience/state_store.h"

namespace ohfp::aws {
namespace {

using resilience::ErrorKind;
using resilience::Result;
using ::testing::HasSubstr;

struct Answer {
  std::string name;
  std::string content_type;
  std::string body;
  std::size_t provider_length = 0;  // > 0: a streamed body of this many bytes instead of `body`
  std::string code;                 // the error code the typed call must fail with
  std::string says;                 // what the message must name
};

// Serves `answer` to every POST /.
class AnsweringServer {
 public:
  explicit AnsweringServer(const Answer& answer)
      : answer_(answer), server_([this](httplib::Server& s) {
          s.Post("/", [this](const httplib::Request&, httplib::Response& res) { Serve(res); });
        }) {}

  std::string url() const { return server_.Url(); }
  std::string host() const { return "127.0.0.1:" + std::to_string(server_.port()); }

 private:
  void Serve(httplib::Response& res) const {
    if (answer_.provider_length == 0) {
      res.set_content(answer_.body, answer_.content_type);
      return;
    }
    res.set_content_provider(answer_.provider_length, answer_.content_type,
                             [](std::size_t offset, std::size_t length, httplib::DataSink& sink) {
                               const std::string piece(std::min<std::size_t>(length, 64 << 10),
                                                       offset == 0 ? '<' : 'x');
                               return sink.write(piece.data(), piece.size());
                             });
  }

  const Answer& answer_;  // before server_: its handler reads it
  TestServer server_;
};

std::string Nested(int depth) {
  std::string body = "<DescribeInstancesResponse>";
  for (int i = 1; i < depth; ++i) body += "<item>";
  for (int i = 1; i < depth; ++i) body += "</item>";
  return body + "</DescribeInstancesResponse>";
}

std::vector<Answer> Answers() {
  return {
      {"another action's XML", "text/xml;charset=UTF-8",
       "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<DescribeSpotFleetRequestsResponse "
       "xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\"><requestId>r</requestId>"
       "<spotFleetRequestConfigSet/></DescribeSpotFleetRequestsResponse>",
       0, "MalformedResponse", "with <DescribeSpotFleetRequestsResponse>"},
      {"a corporate proxy's HTML login page", "text/html; charset=utf-8",
       "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Sign in</title>"
       "</head><body><form method=\"post\" action=\"/login\"><input name=\"user\"><input "
       "type=\"password\" name=\"password\"></form></body></html>",
       0, "MalformedResponse", "(Content-Type text/html; charset=utf-8)"},
      {"a document 200,000 deep", "text/xml", Nested(200'000), 0, "MalformedResponse",
       "deeper than 64 levels"},
      {"a 19 MB body", "application/octet-stream", "", 19'000'000, "MalformedResponse",
       "not well-formed XML"},
      {"a body over the transport's limit", "text/xml", "", kDefaultMaxResponseBody + 1,
       "ResponseTooLarge", "announced"},
  };
}

class HostileAnswersTest : public ::testing::TestWithParam<Answer> {
 protected:
  static resilience::ResilienceConfig Config() {
    resilience::ResilienceConfig c;
    c.retry.enabled = false;  // one attempt: the answer, not the retry policy, is under test
    return c;
  }

  resilience::SystemClock clock_;
  resilience::SeededRandom random_{1};
  resilience::InMemoryStateStore store_;
  resilience::ResiliencePipeline pipeline_{Config(), {clock_, random_, store_}};
  StaticCredentialsProvider credentials_{
      Credentials{.access_key_id = "AKIDEXAMPLE", .secret_access_key = "secret"}};
};

TEST_P(HostileAnswersTest, TheTypedCallFailsInsteadOfReturningNoInstances) {
  const Answer& answer = GetParam();
  AnsweringServer server(answer);
  SocketTransport transport(clock_);  // after the server: its idle connection closes first
  std::array<Endpoint, kAwsServiceCount> endpoints;
  for (Endpoint& e : endpoints) e = {server.url(), server.host(), "ec2", "us-east-1", "test"};
  AwsClient client("us-east-1", endpoints,
                   {.transport = transport,
                    .credentials = credentials_,
                    .clock = clock_,
                    .pipeline = pipeline_});
  Result<std::vector<ec2::Instance>> instances =
      ec2::DescribeInstances(client, {.instance_ids = {"i-0123456789abcdef0"}});
  ASSERT_FALSE(instances.ok()) << answer.name << " read as " << instances->size() << " instances";
  EXPECT_EQ(instances.error().kind(), ErrorKind::kTransient) << instances.error().ToString();
  EXPECT_EQ(instances.error().code(), answer.code) << instances.error().ToString();
  EXPECT_THAT(std::string(instances.error().message()), HasSubstr(answer.says));
}

INSTANTIATE_TEST_SUITE_P(BadBodies, HostileAnswersTest, ::testing::ValuesIn(Answers()),
                         [](const ::testing::TestParamInfo<Answer>& param) {
                           std::string name;
                           for (char c : param.param.name) {
                             if (std::isalnum(static_cast<unsigned char>(c)) != 0) name += c;
                           }
                           return name;
                         });

}  // namespace
}  // namespace ohfp::aws
