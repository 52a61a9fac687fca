// `ohfp serve`'s HTTP API (serve/http_server.h, serve/api.h) over a real installation directory and
// state database: what an operator's client sees, the bearer token's rules, and readers answering
// beside a writer. Labelled concurrency: the server's threads also run under ThreadSanitizer.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include "app/plugin_app.h"
#include "aws/environment.h"
#include "serve/http_server.h"
#include "serve/serve.h"
#include "store/sqlite_request_store.h"
#include "subprocess.h"

namespace ohfp::serve {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* kToken = "s3cret-token-0123456789";
constexpr const char* kTemplates =
    R"({"templates": [{"templateId": "OnDemand", "maxNumber": 10, "imageId": "ami-12c6146b",
        "vmType": "c5.large", "attributes": {"type": ["String", "X86_64"],
        "ncpus": ["Numeric", "2"], "nram": ["Numeric", "4096"]}}]})";

const model::Timestamp kT0 = model::FromEpochMillis(1'767'225'600'000);  // 2026-01-01T00:00:00Z

// An installation with a filled store and a running server.
class ServeHttpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directories(dir_.path() + "/conf");
    std::filesystem::copy_file(
        std::string(OHFP_SOURCE_DIR) + "/config/examples/seed-resilience.json",
        dir_.path() + "/conf/config.json");
    dir_.Write("conf/awsprov_templates.json", kTemplates);
    env_.Set("HF_PROVIDER_CONFDIR", dir_.path() + "/conf");
    env_.Set("HF_PROVIDER_WORKDIR", dir_.path() + "/work");
    env_.Set("HF_PROVIDER_LOGDIR", dir_.path() + "/logs");
    auto app = app::PluginApp::Create({.need_templates = false, .need_aws = false}, env_);
    ASSERT_TRUE(app.ok()) << app.error().ToString();
    app_ = std::move(*app);
    auto writer = store::SqliteRequestStore::Open(db());
    ASSERT_TRUE(writer.ok()) << writer.error().ToString();
    writer_ = std::move(*writer);
    for (int i = 1; i <= 3; ++i) AddRequest("req-" + std::to_string(i), i);
    ASSERT_TRUE(writer_->SetRequestState("req-1", model::RequestState::kComplete, "", kT0).ok());
    ASSERT_TRUE(writer_
                    ->AddMetrics(
                        {{"ohfp_commands_total", R"(command="getRequestStatus",exit_code="0")", 7}})
                    .ok());
    stores_ = std::make_unique<StorePool>(
        [file = db()]() -> resilience::Result<std::unique_ptr<store::RequestStore>> {
          auto s = store::SqliteRequestStore::Open(file, {.read_only = true});
          if (!s.ok()) return s.error();
          return std::unique_ptr<store::RequestStore>(std::move(*s));
        });
    events_ = std::make_unique<LogEvents>(LogEventsOptions{.file = app_->log().file()}, clock_);
    actions_ = std::make_unique<AppOperatorActions>(*app_, app::AppOptions{}, env_);
    api_ = std::make_unique<ServeApi>(ApiDependencies{.stores = *stores_,
                                                      .state = app_->state_store(),
                                                      .config = app_->config(),
                                                      .paths = app_->paths(),
                                                      .events = *events_,
                                                      .clock = clock_,
                                                      .actions = *actions_});
    port_ = Start(server_, runner_, kToken);
  }

  void TearDown() override {
    for (auto* s : {&server_, &tokenless_}) {
      if (*s) (*s)->Stop();
    }
    for (auto* t : {&runner_, &tokenless_runner_}) {
      if (t->joinable()) t->join();
    }
  }

  int Start(std::unique_ptr<HttpServer>& server, std::thread& runner,
            std::optional<std::string> token) {
    auto created = HttpServer::Create(*api_, app_->log(),
                                      {.host = "127.0.0.1", .port = 0, .token = std::move(token)});
    EXPECT_TRUE(created.ok());
    server = std::move(*created);
    auto port = server->Bind();
    EXPECT_TRUE(port.ok()) << port.error().ToString();
    runner = std::thread([s = server.get()] { s->Run(); });
    return *port;
  }

  std::string db() const { return dir_.path() + "/work/ohfp-state.db"; }

  void AddRequest(const std::string& id, int minutes) {
    auto r = writer_->CreateAcquire({.id = id,
                                     .template_id = "OnDemand",
                                     .machine_count = 1,
                                     .client_token = id + "-1",
                                     .owner = {1, "b"},
                                     .now = kT0 + std::chrono::minutes(minutes)});
    ASSERT_TRUE(r.ok()) << r.error().ToString();
    model::Machine m = model::NewMachine(*r, "i-" + id, kT0);
    m.result = model::MachineResult::kSucceed;
    ASSERT_TRUE(writer_->SaveMachines({m}).ok());
  }

  httplib::Result Get(const std::string& path, int port = 0) {
    httplib::Client c("127.0.0.1", port ? port : port_);
    return c.Get(path.c_str());
  }
  httplib::Result Post(const std::string& path, const std::string& authorization, int port = 0) {
    httplib::Client c("127.0.0.1", port ? port : port_);
    httplib::Headers headers;
    if (!authorization.empty()) headers.emplace("Authorization", authorization);
    return c.Post(path.c_str(), headers, "", "application/json");
  }
  static json Json(const httplib::Result& r) {
    return r ? json::parse(r->body, nullptr, false) : json();
  }
  std::string Ec2State() {
    auto r = app_->state_store().ReadBreaker("aws_ec2");
    return r.ok() ? std::string(resilience::CircuitStateName(r->state)) : "?";
  }

  testing::TempDir dir_;
  aws::MapEnvironment env_;
  resilience::SystemClock clock_;
  std::unique_ptr<app::PluginApp> app_;
  std::unique_ptr<store::SqliteRequestStore> writer_;
  std::unique_ptr<StorePool> stores_;
  std::unique_ptr<LogEvents> events_;
  std::unique_ptr<AppOperatorActions> actions_;
  std::unique_ptr<ServeApi> api_;
  std::unique_ptr<HttpServer> server_, tokenless_;
  std::thread runner_, tokenless_runner_;
  int port_ = 0;
};

TEST_F(ServeHttpTest, ReadEndpointsAnswerWithoutATokenFromTheStore) {
  auto health = Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  const json all = Json(Get("/api/v1/requests"));
  EXPECT_EQ(all["total"], 3);
  ASSERT_EQ(all["requests"].size(), 3u);
  EXPECT_EQ(all["requests"][0]["id"], "req-3") << "newest first";
  EXPECT_EQ(all["requests"][2]["state"], "complete");
  const json running = Json(Get("/api/v1/requests?state=running&limit=1&offset=1"));
  EXPECT_EQ(running["total"], 2);
  ASSERT_EQ(running["requests"].size(), 1u);
  EXPECT_EQ(running["requests"][0]["id"], "req-2");
  const json window =
      Json(Get("/api/v1/requests?since=2026-01-01T00:02:00Z&until=2026-01-01T00:03:00Z"));
  EXPECT_EQ(window["total"], 1);
  const json one = Json(Get("/api/v1/requests/req-2"));
  EXPECT_EQ(one["template_id"], "OnDemand");
  ASSERT_EQ(one["machines"].size(), 1u);
  EXPECT_EQ(one["machines"][0]["instance_id"], "i-req-2");
  ASSERT_EQ(one["attempts"].size(), 1u);
  EXPECT_EQ(one["attempts"][0]["client_token"], "req-2-1");
  EXPECT_EQ(Get("/api/v1/requests/req-404")->status, 404);
  EXPECT_EQ(Json(Get("/api/v1/machines?result=succeed"))["total"], 3);
  const json templates = Json(Get("/api/v1/templates"));
  ASSERT_EQ(templates["templates"].size(), 1u);
  EXPECT_EQ(templates["templates"][0]["held"], 3)
      << "two running requests of one machine, and the live machine of the complete one";
  EXPECT_EQ(templates["templates"][0]["availableNumber"], 7);
  auto metrics = Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_THAT(metrics->get_header_value("Content-Type"), HasSubstr("text/plain"));
  EXPECT_THAT(metrics->body,
              HasSubstr(R"(ohfp_commands_total{command="getRequestStatus",exit_code="0"} 7)"));
  const json overview = Json(Get("/api/v1/overview"));
  EXPECT_EQ(overview["counts"]["acquire"]["running"], 2);
  EXPECT_EQ(overview["counts"]["machines"]["succeed"], 3);
  EXPECT_EQ(overview["timeline"].size(), 60u);
}

TEST_F(ServeHttpTest, ThePageAndItsAssetsComeFromTheBinaryWithAStrictPolicy) {
  auto page = Get("/");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_THAT(page->body, HasSubstr(R"(<script defer src="/assets/dashboard.js">)"));
  EXPECT_THAT(page->get_header_value("Content-Security-Policy"), HasSubstr("default-src 'self'"));
  auto script = Get("/assets/dashboard.js");
  ASSERT_TRUE(script);
  EXPECT_THAT(script->body, HasSubstr("var uPlot"));
  EXPECT_THAT(script->body, HasSubstr("/api/v1/overview"));
  EXPECT_THAT(script->body, Not(HasSubstr("http://"))) << "nothing from elsewhere";
  EXPECT_EQ(Get("/assets/dashboard.css")->status, 200);
}

TEST_F(ServeHttpTest, BadParametersAndUnknownPathsAreClearErrors) {
  auto bad = Get("/api/v1/requests?state=sleeping");
  EXPECT_EQ(bad->status, 400);
  EXPECT_THAT(bad->body, HasSubstr("state must be"));
  EXPECT_EQ(Get("/api/v1/requests?limit=-1")->status, 400);
  EXPECT_EQ(Get("/api/v1/requests?since=yesterday")->status, 400);
  EXPECT_EQ(Get("/api/v1/timeline?minutes=0")->status, 400);
  auto unknown = Get("/api/v2/requests");
  EXPECT_EQ(unknown->status, 404);
  EXPECT_THAT(unknown->body, HasSubstr("no such endpoint"));
}

TEST_F(ServeHttpTest, AnActionWithoutTheRightTokenIs401AndChangesNothing) {
  auto none = Post("/api/v1/breakers/aws_ec2/force-open", "");
  ASSERT_TRUE(none);
  EXPECT_EQ(none->status, 401);
  EXPECT_EQ(none->get_header_value("WWW-Authenticate"), R"(Bearer realm="ohfp")");
  auto wrong = Post("/api/v1/breakers/aws_ec2/force-open", "Bearer not-the-token-at-all");
  EXPECT_EQ(wrong->status, 401);
  auto basic = Post("/api/v1/breakers/aws_ec2/force-open", std::string("Basic ") + kToken);
  EXPECT_EQ(basic->status, 401);
  EXPECT_EQ(Post("/api/v1/reconcile", "")->status, 401);
  EXPECT_EQ(Ec2State(), "closed");
}

TEST_F(ServeHttpTest, TheRightTokenActsOnTheSharedBreakerAndTheActionIsLogged) {
  auto open = Post("/api/v1/breakers/aws_ec2/force-open", std::string("Bearer ") + kToken);
  ASSERT_TRUE(open);
  EXPECT_EQ(open->status, 200) << open->body;
  EXPECT_EQ(Json(open)["breaker"]["state"], "open");
  EXPECT_EQ(Ec2State(), "open") << "in the store every process reads";
  const json listed = Json(Get("/api/v1/breakers"));
  ASSERT_EQ(listed["breakers"].size(), 1u);
  EXPECT_EQ(listed["breakers"][0]["override"], "forced_open");
  EXPECT_EQ(Post("/api/v1/breakers/aws_ec2/reset", std::string("Bearer ") + kToken)->status, 200);
  EXPECT_EQ(Ec2State(), "closed");
  EXPECT_EQ(Post("/api/v1/breakers/aws_nothing/reset", std::string("Bearer ") + kToken)->status,
            404);
  EXPECT_EQ(Post("/api/v1/breakers/aws_ec2/explode", std::string("Bearer ") + kToken)->status, 404);
  app_->log().Flush();
  const std::string log = testing::ReadFileText(app_->log().file());
  EXPECT_THAT(log, HasSubstr(R"("by":"api")"));
  EXPECT_THAT(log, HasSubstr("operator: circuit breaker aws_ec2 force-open"));
  EXPECT_THAT(log, Not(HasSubstr(kToken))) << "the token is never logged";
  const json events = Json(Get("/api/v1/events?kind=operator"));
  ASSERT_GE(events["events"].size(), 2u);
  EXPECT_EQ(events["events"][0]["action"], "reset");
}

TEST_F(ServeHttpTest, WithoutATokenFileActionsAreForbiddenAndReadsStillWork) {
  const int port = Start(tokenless_, tokenless_runner_, std::nullopt);
  auto r = Post("/api/v1/breakers/aws_ec2/force-open", std::string("Bearer ") + kToken, port);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 403);
  EXPECT_THAT(r->body, HasSubstr("--token-file"));
  EXPECT_EQ(Get("/api/v1/breakers", port)->status, 200);
  EXPECT_EQ(Ec2State(), "closed");
}

TEST_F(ServeHttpTest, ReadersAnswerBesideAWriterWithoutErrors) {
  std::atomic<int> failures{0};
  std::atomic<int> answers{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 4; ++t) {
    readers.emplace_back([&] {
      httplib::Client c("127.0.0.1", port_);
      for (int i = 0; i < 25; ++i) {
        auto r = c.Get(i % 2 == 0 ? "/api/v1/overview" : "/api/v1/requests?state=running");
        if (!r || r->status != 200) ++failures;
        ++answers;
      }
    });
  }
  for (int i = 10; i < 40; ++i) AddRequest("req-" + std::to_string(i), i);
  for (auto& t : readers) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(answers.load(), 100);
  EXPECT_EQ(Json(Get("/api/v1/requests?limit=0"))["total"], 33);
}

TEST_F(ServeHttpTest, WithACertificateAndKeyItServesHttpsOnly) {
  const std::string cert = dir_.path() + "/cert.pem";
  const std::string key = dir_.path() + "/key.pem";
  const testing::ProcessResult made = testing::RunProcess(
      {"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
       "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  EXPECT_FALSE(HttpServer::Create(*api_, app_->log(), {.tls_cert = cert}).ok())
      << "a certificate without its key";
  EXPECT_FALSE(
      HttpServer::Create(*api_, app_->log(), {.tls_cert = dir_.path() + "/none", .tls_key = key})
          .ok());
  auto tls = HttpServer::Create(*api_, app_->log(),
                                {.host = "127.0.0.1", .port = 0, .tls_cert = cert, .tls_key = key});
  ASSERT_TRUE(tls.ok()) << tls.error().ToString();
  tokenless_ = std::move(*tls);
  auto port = tokenless_->Bind();
  ASSERT_TRUE(port.ok());
  tokenless_runner_ = std::thread([s = tokenless_.get()] { s->Run(); });
  httplib::SSLClient verified("127.0.0.1", *port);
  verified.set_ca_cert_path(cert.c_str());
  verified.enable_server_certificate_verification(true);
  auto r = verified.Get("/healthz");
  ASSERT_TRUE(r) << httplib::to_string(r.error());
  EXPECT_EQ(r->status, 200);
  EXPECT_FALSE(Get("/healthz", *port)) << "no plain HTTP on the TLS port";
}

TEST(ParseListen, HostAndPortIncludingIpv6) {
  EXPECT_EQ(*ParseListen("127.0.0.1:8451"), std::make_pair(std::string("127.0.0.1"), 8451));
  EXPECT_EQ(*ParseListen("[::1]:0"), std::make_pair(std::string("::1"), 0));
  EXPECT_FALSE(ParseListen("127.0.0.1").ok());
  EXPECT_FALSE(ParseListen(":80").ok());
  EXPECT_FALSE(ParseListen("host:99999").ok());
}

}  // namespace
}  // namespace ohfp::serve
