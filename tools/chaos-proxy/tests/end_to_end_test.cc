// End-to-end tests through real sockets on 127.0.0.1: a fake AWS upstream (cpp-httplib server), the
// proxy (ProxyServer over HttplibUpstream, real clock) and plain HTTP clients in front
// (cpp-httplib, or a raw socket where the test must see exactly how a connection ended).
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <nlohmann/json.hpp>
#include <pugixml.hpp>

#include "ohfp/chaos_proxy/chaos_proxy.h"
#include "ohfp/chaos_proxy/proxy_server.h"
#include "ohfp/chaos_proxy/upstream.h"
#include "ohfp/resilience/clock.h"
#include "ohfp/resilience/manual_clock.h"
#include "ohfp/resilience/random.h"
#include "test_support.h"

namespace ohfp::chaos_proxy {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testing::WaitUntil;

constexpr std::string_view kFormType = "application/x-www-form-urlencoded; charset=utf-8";

// A stand-in for moto: counts requests, launches a new reservation for every RunInstances it
// executes, and answers like EC2 / Auto Scaling. Tells what it received.
class FakeAwsServer {
 public:
  struct Seen {
    std::string method;
    std::string target;
    httplib::Headers headers;
    std::string body;
  };

  FakeAwsServer() {
    const auto handler = [this](const httplib::Request& request, httplib::Response& response) {
      Handle(request, response);
    };
    server_.Post(".*", handler);
    server_.Get(".*", handler);
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    // httplib's stop() is ignored until the accept loop runs; wait for it so the destructor can
    // stop it.
    EXPECT_TRUE(WaitUntil([this] { return server_.is_running(); }));
  }
  ~FakeAwsServer() {
    server_.stop();
    thread_.join();
  }

  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int launches() const { return launches_.load(); }
  std::size_t requests() const {
    std::lock_guard lock(mu_);
    return seen_.size();
  }
  Seen last() const {
    std::lock_guard lock(mu_);
    return seen_.back();
  }

 private:
  void Handle(const httplib::Request& request, httplib::Response& response) {
    {
      std::lock_guard lock(mu_);
      seen_.push_back(Seen{request.method, request.target, request.headers, request.body});
    }
    std::string action;
    for (const auto& [name, value] : ParseFormUrlEncoded(request.body)) {
      if (name == "Action") action = value;
    }
    response.set_header("X-Upstream", "fake-aws");
    if (action == "RunInstances") {
      const int n = ++launches_;
      response.set_content(
          "<RunInstancesResponse "
          "xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\"><requestId>up-" +
              std::to_string(n) + "</requestId><reservationId>r-" + std::to_string(n) +
              "</reservationId></RunInstancesResponse>",
          "text/xml;charset=UTF-8");
    } else if (action == "DescribeAutoScalingGroups") {
      response.set_content(
          "<DescribeAutoScalingGroupsResponse "
          "xmlns=\"http://autoscaling.amazonaws.com/doc/2011-01-01/\">"
          "<DescribeAutoScalingGroupsResult><AutoScalingGroups/></DescribeAutoScalingGroupsResult>"
          "<ResponseMetadata><RequestId>up-asg</RequestId></ResponseMetadata></"
          "DescribeAutoScalingGroupsResponse>",
          "text/xml");
    } else if (action == "BadRequest") {
      response.status = 400;
      response.set_content(
          "<Response><Errors><Error><Code>InvalidParameterValue</Code></Error></Errors></Response>",
          "text/xml");
    } else {
      response.set_content(
          "<" + action + "Response><requestId>up</requestId></" + action + "Response>", "text/xml");
    }
  }

  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::atomic<int> launches_{0};
  mutable std::mutex mu_;
  std::vector<Seen> seen_;
};

// A client socket that shows how the proxy ended the exchange: an answer, a close (FIN) or a reset
// (RST).
class RawConnection {
 public:
  struct Reply {
    std::string bytes;
    bool reset = false;   // ECONNRESET
    bool closed = false;  // orderly end of stream
  };

  explicit RawConnection(int port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    timeval bound{30, 0};  // a safety net for broken builds, not an expectation
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &bound, sizeof(bound));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
  }
  ~RawConnection() { ::close(fd_); }

  bool Send(const std::string& text) {
    std::size_t sent = 0;
    while (connected_ && sent < text.size()) {
      const ssize_t n = ::send(fd_, text.data() + sent, text.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return false;
      sent += static_cast<std::size_t>(n);
    }
    return connected_;
  }

  // Reads until the proxy ends the connection.
  Reply ReadToEnd() {
    Reply reply;
    std::array<char, 4096> buffer{};
    while (true) {
      const ssize_t n = ::recv(fd_, buffer.data(), buffer.size(), 0);
      if (n > 0) {
        reply.bytes.append(buffer.data(), static_cast<std::size_t>(n));
      } else if (n == 0) {
        reply.closed = true;
        return reply;
      } else {
        reply.reset = errno == ECONNRESET;
        return reply;
      }
    }
  }

 private:
  int fd_;
  bool connected_ = false;
};

std::string RawPost(const std::string& body, const std::string& extra_headers = "") {
  return "POST / HTTP/1.1\r\nHost: ec2.us-east-1.amazonaws.com\r\nContent-Type: " +
         std::string(kFormType) + "\r\nConnection: close\r\n" + extra_headers +
         "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

class EndToEndTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    signal(SIGPIPE, SIG_IGN);  // sockets closed under a writer must be errors, not a dead test
  }

  void StartProxy(std::string_view rules_json, const std::string& upstream_url = "",
                  resilience::Clock* clock = nullptr) {
    ParsedRules parsed = ParseRules(rules_json);
    ASSERT_TRUE(parsed.ok()) << parsed.errors.front().ToString();
    UpstreamOptions upstream_options;
    upstream_options.url = upstream_url.empty() ? upstream_.url() : upstream_url;
    auto upstream = HttplibUpstream::Create(upstream_options);
    ASSERT_TRUE(upstream.ok());
    http_upstream_ = std::move(*upstream);
    proxy_ = std::make_unique<ChaosProxy>(clock == nullptr ? clock_ : *clock, random_,
                                          *http_upstream_, std::move(*parsed.rules));
    ServerOptions server_options;
    server_options.threads = 8;
    server_ = std::make_unique<ProxyServer>(*proxy_, server_options);
    const auto started = server_->Start();
    ASSERT_TRUE(started.ok()) << started.error().message();
    ASSERT_GT(server_->port(), 0);
  }

  void TearDown() override {
    if (server_) server_->Stop();
  }

  httplib::Client Client() {
    httplib::Client client("127.0.0.1", server_->port());
    client.set_read_timeout(30, 0);  // a safety net, as above
    return client;
  }

  httplib::Result PostForm(httplib::Client& client, const std::string& body,
                           const std::string& host = "ec2.us-east-1.amazonaws.com") {
    return client.Post("/", httplib::Headers{{"Host", host}}, body, std::string(kFormType).c_str());
  }

  nlohmann::json Stats() {
    auto client = Client();
    auto result = client.Get("/__chaos/stats");
    EXPECT_TRUE(result);
    return result ? nlohmann::json::parse(result->body) : nlohmann::json{};
  }

  FakeAwsServer upstream_;
  resilience::SystemClock clock_;
  resilience::SeededRandom random_{11};
  std::unique_ptr<HttplibUpstream> http_upstream_;
  std::unique_ptr<ChaosProxy> proxy_;
  std::unique_ptr<ProxyServer> server_;
};

TEST_F(EndToEndTest, PassesRequestsAndAnswersThroughUnchangedIncludingHost) {
  StartProxy(R"({"rules": []})");
  auto client = Client();
  const std::string body =
      "Action=DescribeInstances&Version=2016-11-15&Filter.1.Name=tag%3AName&Filter.1.Value.1=a+b";
  const httplib::Headers headers = {
      {"Host", "ec2.us-east-1.amazonaws.com"},
      {"X-Amz-Date", "20260101T000000Z"},
      {"Authorization",
       "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/ec2/aws4_request, "
       "SignedHeaders=content-type;host;x-amz-date, Signature=0123abcd"},
      {"User-Agent", "ohfp/0.1"}};
  auto result = client.Post("/some/path?list-type=2&prefix=a%2Fb", headers, body,
                            std::string(kFormType).c_str());
  ASSERT_TRUE(result) << httplib::to_string(result.error());
  EXPECT_EQ(result->status, 200);
  EXPECT_EQ(result->body,
            "<DescribeInstancesResponse><requestId>up</requestId></DescribeInstancesResponse>");
  EXPECT_EQ(result->get_header_value("X-Upstream"), "fake-aws");
  EXPECT_FALSE(result->has_header("x-ohfp-chaos-proxy"));

  const FakeAwsServer::Seen seen = upstream_.last();
  EXPECT_EQ(seen.method, "POST");
  EXPECT_EQ(seen.target, "/some/path?list-type=2&prefix=a%2Fb");
  EXPECT_EQ(seen.body, body);
  for (const auto& [name, value] : headers) {
    EXPECT_EQ(httplib::detail::get_header_value(seen.headers, name, 0, ""), value) << name;
    EXPECT_EQ(seen.headers.count(name), 1u) << name;
  }
  EXPECT_EQ(httplib::detail::get_header_value(seen.headers, "Content-Type", 0, ""), kFormType);
}

TEST_F(EndToEndTest, PassesErrorStatusesThrough) {
  StartProxy(R"({"rules": []})");
  auto client = Client();
  auto result = PostForm(client, "Action=BadRequest&Version=2016-11-15");
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 400);
  EXPECT_THAT(result->body, HasSubstr("InvalidParameterValue"));
}

TEST_F(EndToEndTest, LeavesContentEncodingToTheClientAndTheUpstream) {
  StartProxy(R"({"rules": []})");
  // Without Accept-Encoding the upstream must not compress, and neither must the proxy.
  RawConnection plain(server_->port());
  ASSERT_TRUE(plain.Send(RawPost("Action=DescribeRegions&Version=2016-11-15")));
  const auto reply = plain.ReadToEnd();
  EXPECT_THAT(reply.bytes, HasSubstr("<DescribeRegionsResponse>"));
  EXPECT_THAT(reply.bytes, Not(HasSubstr("Content-Encoding")));
  EXPECT_EQ(std::string(httplib::detail::get_header_value(upstream_.last().headers,
                                                          "Accept-Encoding", 0, "")),
            "identity");

  // With Accept-Encoding: gzip the upstream compresses once; the proxy passes the bytes on, not
  // compressing again.
  auto client = Client();
  client.set_decompress(true);
  auto result =
      client.Post("/", httplib::Headers{{"Accept-Encoding", "gzip"}},
                  "Action=DescribeRegions&Version=2016-11-15", std::string(kFormType).c_str());
  ASSERT_TRUE(result);
  EXPECT_EQ(result->body,
            "<DescribeRegionsResponse><requestId>up</requestId></DescribeRegionsResponse>");
  EXPECT_EQ(result->get_header_value_count("Content-Encoding"), 1u);
  EXPECT_EQ(std::string(httplib::detail::get_header_value(upstream_.last().headers,
                                                          "Accept-Encoding", 0, "")),
            "gzip");
}

TEST_F(EndToEndTest, ThrottlesEc2AndAutoScalingInTheirOwnShapes) {
  StartProxy(R"({"rules": [{"fault": {"type": "throttle"}}]})");
  auto client = Client();
  auto ec2 = PostForm(client, "Action=DescribeInstances&Version=2016-11-15");
  ASSERT_TRUE(ec2);
  EXPECT_EQ(ec2->status, 503);
  EXPECT_THAT(ec2->body, HasSubstr("<Response><Errors><Error><Code>RequestLimitExceeded</Code>"));
  EXPECT_EQ(ec2->get_header_value("Content-Type"), "text/xml;charset=UTF-8");
  auto asg = PostForm(client, "Action=DescribeAutoScalingGroups&Version=2011-01-01",
                      "autoscaling.us-east-1.amazonaws.com");
  ASSERT_TRUE(asg);  // the same kept-alive connection still works after a fault
  EXPECT_EQ(asg->status, 400);
  EXPECT_THAT(asg->body, HasSubstr("<Error><Type>Sender</Type><Code>Throttling</Code>"));
  EXPECT_EQ(upstream_.requests(), 0u);
}

TEST_F(EndToEndTest, InjectsErrorsCapacityHtmlAndDirectAnswers) {
  StartProxy(R"({"rules": [
    {"match": {"action": "DescribeInstances"}, "fault": {"type": "error", "status": 500, "code": "InternalError"}},
    {"match": {"action": "RunInstances"}, "fault": {"type": "capacity"}},
    {"match": {"action": "DescribeAutoScalingGroups"}, "fault": {"type": "error", "status": 502, "html": true}},
    {"match": {"action": "ModifyFleet"}, "fault": {"type": "respond", "body": "<ModifyFleetResponse><requestId>{{request_id}}</requestId><return>true</return></ModifyFleetResponse>"}}]})");
  auto client = Client();
  auto error = PostForm(client, "Action=DescribeInstances&Version=2016-11-15");
  ASSERT_TRUE(error);
  EXPECT_EQ(error->status, 500);
  EXPECT_THAT(error->body, HasSubstr("<Code>InternalError</Code>"));
  auto capacity = PostForm(client, "Action=RunInstances&Version=2016-11-15&MinCount=1&MaxCount=1");
  ASSERT_TRUE(capacity);
  EXPECT_EQ(capacity->status, 500);
  EXPECT_THAT(capacity->body, HasSubstr("<Code>InsufficientInstanceCapacity</Code>"));
  auto html = PostForm(client, "Action=DescribeAutoScalingGroups&Version=2011-01-01");
  ASSERT_TRUE(html);
  EXPECT_EQ(html->status, 502);
  EXPECT_THAT(html->get_header_value("Content-Type"), HasSubstr("text/html"));
  auto modify = PostForm(client, "Action=ModifyFleet&Version=2016-11-15&FleetId=fleet-1");
  ASSERT_TRUE(modify);
  EXPECT_EQ(modify->status, 200);
  EXPECT_EQ(modify->body, "<ModifyFleetResponse><requestId>" +
                              modify->get_header_value("x-amzn-RequestId") +
                              "</requestId><return>true</return></ModifyFleetResponse>");
  EXPECT_EQ(upstream_.requests(), 0u);
  EXPECT_EQ(upstream_.launches(), 0);
}

TEST_F(EndToEndTest, LatencyStillForwards) {
  StartProxy(R"({"rules": [{"fault": {"type": "latency", "ms": 1}}]})");
  auto client = Client();
  auto result = PostForm(client, "Action=DescribeInstances&Version=2016-11-15");
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 200);
  EXPECT_EQ(upstream_.requests(), 1u);
  EXPECT_EQ(Stats()["totals"]["faults_by_type"]["latency"], 1);
}

TEST_F(EndToEndTest, ResetAbortsTheConnectionWithoutAnAnswer) {
  StartProxy(R"({"rules": [{"fault": {"type": "reset"}}]})");
  RawConnection connection(server_->port());
  ASSERT_TRUE(connection.Send(RawPost("Action=DescribeInstances&Version=2016-11-15")));
  const auto reply = connection.ReadToEnd();
  EXPECT_TRUE(reply.reset);
  EXPECT_EQ(reply.bytes, "");
  EXPECT_EQ(upstream_.requests(), 0u);
}

TEST_F(EndToEndTest, HangClosesTheConnectionWithoutAnAnswerAfterItsTime) {
  StartProxy(R"({"rules": [{"fault": {"type": "hang", "ms": 20}}]})");
  RawConnection connection(server_->port());
  ASSERT_TRUE(connection.Send(RawPost("Action=DescribeInstances&Version=2016-11-15")));
  const auto reply = connection.ReadToEnd();
  EXPECT_TRUE(reply.closed);
  EXPECT_EQ(reply.bytes, "");
  EXPECT_EQ(upstream_.requests(), 0u);
}

TEST_F(EndToEndTest, StoppingTheProxyEndsAHangAtOnce) {
  StartProxy(
      R"({"rules": [{"match": {"action": "DescribeInstances"}, "fault": {"type": "hang", "ms": 3600000}}]})");
  RawConnection connection(server_->port());
  ASSERT_TRUE(connection.Send(RawPost("Action=DescribeInstances&Version=2016-11-15")));
  ASSERT_TRUE(WaitUntil(
      [&] { return proxy_->stats().Totals().faults[FaultIndex(FaultType::kHang)] == 1; }));
  server_->Stop();  // would wait for an hour if the hang ignored the shutdown
  const auto reply = connection.ReadToEnd();
  EXPECT_EQ(reply.bytes, "");
  EXPECT_TRUE(reply.closed || reply.reset);
}

TEST_F(EndToEndTest, ADroppedLaunchRetriedWithItsTokenLaunchesOnce) {
  StartProxy(R"({"rules": [{"name": "lost", "match": {"action": "RunInstances"}, "max_hits": 1,
                            "fault": {"type": "drop_response"}}]})");
  auto client = Client();
  const std::string launch =
      "Action=RunInstances&Version=2016-11-15&ImageId=ami-12345678&MinCount=2&MaxCount=2&"
      "ClientToken=launch-0001";
  auto first = PostForm(client, launch);
  EXPECT_FALSE(first);                 // the connection closed without an answer
  EXPECT_EQ(upstream_.launches(), 1);  // ...but the upstream did launch

  auto retry = PostForm(client, launch);
  ASSERT_TRUE(retry) << httplib::to_string(retry.error());
  EXPECT_EQ(retry->status, 200);
  EXPECT_THAT(retry->body, HasSubstr("<reservationId>r-1</reservationId>"));  // the original answer
  EXPECT_EQ(retry->get_header_value("X-Upstream"), "fake-aws");
  EXPECT_EQ(upstream_.launches(), 1);

  auto changed = PostForm(client,
                          "Action=RunInstances&Version=2016-11-15&ImageId=ami-12345678&MinCount=3"
                          "&MaxCount=3&ClientToken=launch-0001");
  ASSERT_TRUE(changed);
  EXPECT_EQ(changed->status, 400);
  EXPECT_THAT(changed->body, HasSubstr("<Code>IdempotentParameterMismatch</Code>"));
  EXPECT_EQ(upstream_.launches(), 1);

  const auto stats = Stats();
  EXPECT_EQ(stats["actions"]["RunInstances"]["requests"], 3);
  EXPECT_EQ(stats["actions"]["RunInstances"]["forwarded"], 1);
  EXPECT_EQ(stats["actions"]["RunInstances"]["faults_by_type"]["drop_response"], 1);
  EXPECT_EQ(stats["actions"]["RunInstances"]["idempotent_replays"], 1);
  EXPECT_EQ(stats["actions"]["RunInstances"]["idempotency_mismatches"], 1);
  EXPECT_EQ(stats["rules"][0]["hits"], 1);
}

TEST_F(EndToEndTest, RulesChangeAtRunTimeThroughTheControlEndpoint) {
  StartProxy(R"({"rules": []})");
  auto client = Client();
  auto before = PostForm(client, "Action=DescribeInstances&Version=2016-11-15");
  ASSERT_TRUE(before);
  EXPECT_EQ(before->status, 200);

  auto bad = client.Put("/__chaos/rules",
                        R"({"rules": [{"fault": {"type": "throttle"}, "probabilty": 1}]})",
                        "application/json");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
  EXPECT_THAT(bad->body, HasSubstr("$.rules[0].probabilty: unknown key"));
  auto still = PostForm(client, "Action=DescribeInstances&Version=2016-11-15");
  ASSERT_TRUE(still);
  EXPECT_EQ(still->status, 200);

  auto put =
      client.Put("/__chaos/rules", R"({"rules": [{"name": "now", "fault": {"type": "throttle"}}]})",
                 "application/json");
  ASSERT_TRUE(put);
  EXPECT_EQ(put->status, 200);
  auto after = PostForm(client, "Action=DescribeInstances&Version=2016-11-15");
  ASSERT_TRUE(after);
  EXPECT_EQ(after->status, 503);
  auto rules = client.Get("/__chaos/rules");
  ASSERT_TRUE(rules);
  EXPECT_EQ(nlohmann::json::parse(rules->body)["rules"][0]["name"], "now");
  EXPECT_EQ(upstream_.requests(), 2u);
}

TEST_F(EndToEndTest, StatsAndResetOverHttp) {
  StartProxy(
      R"({"rules": [{"match": {"action": "DescribeInstances"}, "max_hits": 1, "fault": {"type": "throttle"}}]})");
  auto client = Client();
  for (int i = 0; i < 3; ++i)
    ASSERT_TRUE(PostForm(client, "Action=DescribeInstances&Version=2016-11-15"));
  auto alias = client.Get("/stats");
  ASSERT_TRUE(alias);
  const auto stats = nlohmann::json::parse(alias->body);
  EXPECT_EQ(stats["totals"]["requests"], 3);
  EXPECT_EQ(stats["totals"]["forwarded"], 2);
  EXPECT_EQ(stats["actions"]["DescribeInstances"]["faults_by_type"]["throttle"], 1);
  EXPECT_EQ(upstream_.requests(), 2u);

  auto reset = client.Post("/__chaos/reset", "", "application/json");
  ASSERT_TRUE(reset);
  EXPECT_EQ(reset->status, 200);
  EXPECT_EQ(Stats()["totals"]["requests"], 0);
  auto throttled_again = PostForm(client, "Action=DescribeInstances&Version=2016-11-15");
  ASSERT_TRUE(throttled_again);
  EXPECT_EQ(throttled_again->status, 503);  // rule hits were reset too
}

TEST_F(EndToEndTest, AnUnreachableUpstreamIsA502) {
  StartProxy(R"({"rules": []})", "http://127.0.0.1:" + std::to_string(testing::UnusedPort()));
  auto client = Client();
  auto result = PostForm(client, "Action=DescribeInstances&Version=2016-11-15");
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 502);
  EXPECT_EQ(result->get_header_value("x-ohfp-chaos-proxy"), "upstream-error");
  EXPECT_EQ(Stats()["totals"]["upstream_errors"], 1);
}

TEST_F(EndToEndTest, ConcurrentLaunchesWithOneTokenReachTheUpstreamOnce) {
  StartProxy(R"({"rules": []})");
  const std::string launch =
      "Action=RunInstances&Version=2016-11-15&MinCount=1&MaxCount=1&ClientToken=same";
  std::vector<std::string> bodies(6);
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < bodies.size(); ++i) {
    threads.emplace_back([&, i] {
      auto client = Client();
      auto result = PostForm(client, launch);
      if (result) bodies[i] = result->body;
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(upstream_.launches(), 1);
  for (const auto& body : bodies)
    EXPECT_THAT(body, HasSubstr("<reservationId>r-1</reservationId>"));
}

TEST_F(EndToEndTest, BindingABusyPortFailsWithAClearMessage) {
  StartProxy(R"({"rules": []})");
  ServerOptions options;
  options.port = server_->port();
  ProxyServer second(*proxy_, options);
  const auto bound = second.Bind();
  ASSERT_FALSE(bound.ok());
  EXPECT_THAT(std::string(bound.error().message()), HasSubstr("cannot listen on 127.0.0.1:"));
}

TEST_F(EndToEndTest, ABurstOverThePublishedDescribeBucketGetsExactlyTheExcessAs503s) {
  // The published limits, unscaled: DescribeRegions is a non-mutating action, 100 tokens refilled
  // at 20 per second. The proxy's clock is a ManualClock, so nothing refills during the burst.
  resilience::ManualClock clock;
  StartProxy(R"({"rules": [], "throttling": {"model": "ec2-published"}})", "", &clock);
  constexpr std::size_t kClients = 6;
  constexpr int kEach = 25;  // 150 requests at once over 6 connections
  std::array<std::vector<httplib::Result>, kClients> results;
  std::vector<std::thread> clients;
  for (std::size_t c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      auto client = Client();
      for (int i = 0; i < kEach; ++i) {
        results[c].push_back(PostForm(client, "Action=DescribeRegions&Version=2016-11-15"));
      }
    });
  }
  for (auto& client : clients) client.join();

  int ok = 0;
  int throttled = 0;
  for (const auto& per_client : results) {
    for (const auto& result : per_client) {
      ASSERT_TRUE(result) << httplib::to_string(result.error());
      if (result->status == 200) {
        ++ok;
        continue;
      }
      ++throttled;
      ASSERT_EQ(result->status, 503);
      EXPECT_EQ(result->get_header_value("Content-Type"), "text/xml;charset=UTF-8");
      EXPECT_EQ(result->get_header_value("x-ohfp-chaos-proxy"), "throttle-model");
      pugi::xml_document xml;
      ASSERT_TRUE(xml.load_string(result->body.c_str())) << result->body;
      const pugi::xml_node error = xml.child("Response").child("Errors").child("Error");
      EXPECT_STREQ(error.child_value("Code"), "RequestLimitExceeded");
      EXPECT_STREQ(error.child_value("Message"), "Request limit exceeded.");
      EXPECT_EQ(std::string(xml.child("Response").child_value("RequestID")),
                result->get_header_value("x-amzn-RequestId"));
    }
  }
  EXPECT_EQ(ok, 100);
  EXPECT_EQ(throttled, 50);
  EXPECT_EQ(upstream_.requests(), 100u);

  // One second later, twenty more.
  clock.Advance(std::chrono::seconds(1));
  auto client = Client();
  int later = 0;
  for (int i = 0; i < 25; ++i) {
    auto result = PostForm(client, "Action=DescribeRegions&Version=2016-11-15");
    ASSERT_TRUE(result);
    later += result->status == 200 ? 1 : 0;
  }
  EXPECT_EQ(later, 20);

  const auto stats = Stats();
  EXPECT_EQ(stats["totals"]["requests"], 175);
  EXPECT_EQ(stats["totals"]["forwarded"], 120);
  EXPECT_EQ(stats["totals"]["throttled_by_model"], 55);
  const auto& model = stats["throttling"];
  EXPECT_EQ(model["enabled"], true);
  EXPECT_EQ(model["services"]["ec2"]["actions"]["DescribeRegions"]["accepted"], 120);
  EXPECT_EQ(model["services"]["ec2"]["actions"]["DescribeRegions"]["throttled"], 55);
  EXPECT_EQ(model["buckets"]["ec2:DescribeRegions"]["capacity"], 100);
  EXPECT_EQ(model["buckets"]["ec2:DescribeRegions"]["refill_rate"], 20);
  EXPECT_EQ(model["buckets"]["ec2:DescribeRegions"]["level"], 0);
  ASSERT_EQ(model["series"]["points"].size(), 2u);
  EXPECT_EQ(model["series"]["points"][0]["accepted"], 100);
  EXPECT_EQ(model["series"]["points"][0]["throttled"], 50);
  EXPECT_EQ(model["series"]["points"][1]["second"], 1);
  EXPECT_EQ(model["series"]["points"][1]["accepted"], 20);
  EXPECT_EQ(model["series"]["points"][1]["throttled"], 5);
}

}  // namespace
}  // namespace ohfp::chaos_proxy
