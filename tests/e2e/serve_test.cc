// `ohfp serve` beside an installation whose store was filled by real HostFactory cycles against
// moto through ohfp-chaos-proxy (throttling, then EC2 failing until its breaker opens): the API
// answers what the store holds, operator actions need the token, and the dashboard, loaded in
// headless Chromium, shows the store and follows a breaker forced open without a reload.
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "e2e_suite.h"
#include "e2e_world.h"

extern char** environ;

namespace ohfp::testing {
namespace {

using nlohmann::json;

// Throttling that surely happens: the first launch and the first two describes (fewer in a row
// than the breaker's threshold of 3, so the cycle finishes).
constexpr const char* kThrottle =
    R"({"rules": [{"name": "throttle-launch", "match": {"action": "RunInstances"}, "max_hits": 1,
                   "fault": {"type": "throttle"}},
                  {"name": "throttle-describe", "match": {"action": "DescribeInstances"},
                   "max_hits": 2, "fault": {"type": "throttle"}}]})";
constexpr const char* kEc2Fails =
    R"({"rules": [{"name": "ec2-500", "match": {"service": "ec2"},
                   "fault": {"type": "error", "status": 500, "code": "InternalError"}}]})";
constexpr const char* kToken = "e2e-serve-token-0123456789abcdef";

// `ohfp serve` as a process: started with the installation's environment on a free port, stopped
// (SIGTERM) when destroyed.
class ServeProcess {
 public:
  ServeProcess(const PluginInstall& install, const std::vector<std::string>& extra) {
    port_file_ = install.root() + "/serve.port";
    std::vector<std::string> args = {OhfpBinary(),  "serve",       "--listen",
                                     "127.0.0.1:0", "--port-file", port_file_};
    args.insert(args.end(), extra.begin(), extra.end());
    std::map<std::string, std::string> env;
    for (char** e = environ; *e != nullptr; ++e) {
      const std::string kv = *e;
      env[kv.substr(0, kv.find('='))] = kv.substr(kv.find('=') + 1);
    }
    for (const auto& [k, v] : install.Env()) env[k] = v;
    std::vector<std::string> env_text;
    for (const auto& [k, v] : env) env_text.push_back(k + "=" + v);
    std::vector<char*> argv, envp;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    for (auto& e : env_text) envp.push_back(e.data());
    envp.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    const std::string err = install.root() + "/serve.err";
    posix_spawn_file_actions_addopen(&actions, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), envp.data()) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&actions);
    for (int i = 0; i < 200 && pid_ > 0 && port_ == 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      const std::string text = ReadFileText(port_file_);
      if (!text.empty()) port_ = std::stoi(text);
    }
  }
  ~ServeProcess() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    int status = 0;
    waitpid(pid_, &status, 0);
  }
  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/"; }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
  std::string port_file_;
};

class ServeE2eTest : public E2eSuite<ServeE2eTest> {
 protected:
  void AfterReset() override { world_->Use(RunInstancesCase()); }

  static json Get(int port, const std::string& path) {
    httplib::Client c("127.0.0.1", port);
    auto r = c.Get(path.c_str());
    EXPECT_TRUE(r && r->status == 200) << path << ": " << (r ? r->body : "no answer");
    return r ? json::parse(r->body, nullptr, false) : json();
  }
  static int Post(int port, const std::string& path, const std::string& token,
                  std::string* body = nullptr) {
    httplib::Client c("127.0.0.1", port);
    c.set_read_timeout(std::chrono::seconds(60));
    httplib::Headers headers;
    if (!token.empty()) headers.emplace("Authorization", "Bearer " + token);
    auto r = c.Post(path.c_str(), headers, "", "application/json");
    if (body != nullptr && r) *body = r->body;
    return r ? r->status : 0;
  }
  static std::vector<std::string> Column(const std::vector<Row>& rows, const std::string& name) {
    std::vector<std::string> out;
    for (const Row& r : rows) out.push_back(r.at(name));
    return out;
  }
};

TEST_F(ServeE2eTest, TheApiAndTheDashboardShowWhatRealCyclesLeftInTheStore) {
  PluginInstall install(world_->endpoint(), world_->Templates(RunInstancesCase()),
                        ConfigWith(nullptr, {{"failure_threshold", 3}, {"reset_timeout", 600}}));
  hf_simulator::Simulator sim(SimulatorFor(install));
  // A cycle under throttling, a request left running, then EC2 fails until its breaker opens.
  world_->SetRules(kThrottle);
  const hf_simulator::CycleReport cycle = sim.Cycle(
      {{"OnDemand", 2}},
      {.poll_interval = std::chrono::milliseconds(300), .timeout = std::chrono::seconds(120)});
  EXPECT_TRUE(cycle.ok()) << cycle.ToText();
  const hf_simulator::CallResult running = sim.RequestMachines("OnDemand", 1);
  EXPECT_EQ(running.exit_code, 0) << running.Describe();
  world_->SetRules(kEc2Fails);
  const std::vector<hf_simulator::MachineRef> held = {
      {"ip-10-0-0-1.ec2.internal", "i-0123456789abcdef0"}};
  for (int i = 0; i < 5 && install.BreakerState("aws_ec2") != "open"; ++i)
    sim.GetReturnRequests(held);
  ASSERT_EQ(install.BreakerState("aws_ec2"), "open");
  world_->SetRules(R"({"rules": []})");

  const std::string token_file = install.root() + "/serve.token";
  std::ofstream(token_file) << kToken << "\n";
  ::chmod(token_file.c_str(), 0600);
  ServeProcess serve(install, {"--token-file", token_file});
  ASSERT_GT(serve.port(), 0) << ReadFileText(install.root() + "/serve.err");
  const int port = serve.port();

  // Requests: the same ids as the store, newest first, with their machines and attempts.
  const std::vector<Row> rows =
      ReadRows(install.state_db(), "SELECT id FROM requests ORDER BY created_at DESC, id DESC");
  ASSERT_GE(rows.size(), 3u) << "one acquire, one return, one running acquire";
  const json listed = Get(port, "/api/v1/requests?limit=1000");
  std::vector<std::string> api_ids;
  for (const auto& r : listed["requests"]) api_ids.push_back(r["id"]);
  EXPECT_EQ(api_ids, Column(rows, "id"));
  EXPECT_EQ(listed["total"], rows.size());
  const std::string first = cycle.acquires.empty() ? "" : cycle.acquires[0].request_id;
  const json detail = Get(port, "/api/v1/requests/" + first);
  EXPECT_EQ(
      detail["machines"].size(),
      ReadRows(install.state_db(), "SELECT 1 FROM machines WHERE request_id = '" + first + "'")
          .size());
  EXPECT_GE(detail["attempts"].size(), 1u);
  EXPECT_EQ(Get(port, "/api/v1/requests?state=running&kind=acquire")["total"], 1);

  // Breakers as `ohfp breaker status` says; the transitions, throttles and retries from app.log.
  const json breakers = Get(port, "/api/v1/breakers")["breakers"];
  ASSERT_EQ(breakers.size(), 1u) << breakers.dump();
  EXPECT_EQ(breakers[0]["state"], "open");
  EXPECT_FALSE(breakers[0]["next_half_open_time"].is_null());
  const json opened = Get(port, "/api/v1/events?kind=breaker")["events"];
  ASSERT_FALSE(opened.empty());
  EXPECT_EQ(opened[0]["to"], "open");
  int throttles = 0;
  int retries = 0;
  const json timeline = Get(port, "/api/v1/timeline?minutes=30");
  for (const auto& m : timeline["minutes"]) {
    throttles += m["throttles"].get<int>();
    retries += m["retries"].get<int>();
  }
  EXPECT_GE(throttles, 3) << world_->Stats().dump() << "\n" << timeline.dump();
  EXPECT_GE(retries, 3) << "every throttled call was retried";
  // /metrics is the textfile's text.
  httplib::Client c("127.0.0.1", port);
  EXPECT_EQ(c.Get("/metrics")->body, install.Ohfp({"metrics"}).out);

  // Actions: 401 without the token or with a wrong one, and nothing changes; the right one acts.
  EXPECT_EQ(Post(port, "/api/v1/breakers/aws_ec2/reset", ""), 401);
  EXPECT_EQ(Post(port, "/api/v1/breakers/aws_ec2/reset", "not-the-token-0123456789"), 401);
  EXPECT_EQ(install.BreakerState("aws_ec2"), "open");
  EXPECT_EQ(Post(port, "/api/v1/breakers/aws_ec2/reset", kToken), 200);
  EXPECT_EQ(install.BreakerState("aws_ec2"), "closed") << "every process sees it";
  std::string report;
  EXPECT_EQ(Post(port, "/api/v1/reconcile/dry-run", kToken, &report), 200) << report;
  const json sweep = json::parse(report, nullptr, false);
  EXPECT_EQ(sweep.value("sweep_ran", false), true) << report;
  EXPECT_EQ(sweep.value("dry_run", false), true) << report;

  // The dashboard in Chromium: the store's breakers, newest requests and counts; then aws_ec2
  // forced open through the API shows without a reload.
  json expect;
  expect["breakers"] = {{"aws_ec2", "closed"}};
  std::vector<std::string> newest = Column(rows, "id");
  if (newest.size() > 25) newest.resize(25);
  expect["requests"] = newest;
  const auto count = [&](const std::string& sql) {
    return static_cast<int>(ReadRows(install.state_db(), sql).size());
  };
  expect["counts"] = {
      {"count-acquire-running",
       count("SELECT 1 FROM requests WHERE kind = 'acquire' AND state = 'running'")},
      {"count-acquire-complete",
       count("SELECT 1 FROM requests WHERE kind = 'acquire' AND state = 'complete'")},
      {"count-machines-succeed", count("SELECT 1 FROM machines WHERE result = 'succeed'")}};
  const std::string expect_file = install.root() + "/expect.json";
  std::ofstream(expect_file) << expect.dump();
  const std::string shots = std::string(OHFP_BINARY_DIR) + "/serve-dashboard";
  const ProcessResult browser = RunProcess(
      {"python3", std::string(OHFP_SOURCE_DIR) + "/tests/browser/dashboard_check.py", "--url",
       serve.url(), "--expect", expect_file, "--token-file", token_file, "--screenshot",
       shots + "-before.png", "--screenshot-after", shots + "-after.png"},
      {.timeout = std::chrono::seconds(120)});
  EXPECT_EQ(browser.exit_code, 0) << browser.err << browser.out;
  EXPECT_EQ(ReadFileText(shots + "-after.png").substr(0, 4), "\x89PNG");
  EXPECT_EQ(install.BreakerState("aws_ec2"), "open");
}

}  // namespace
}  // namespace ohfp::testing
