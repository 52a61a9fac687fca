#include "moto.h"

#include <fcntl.h>
#include <httplib.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>
#include <vector>

#include "aws/query_params.h"
#include "aws/sigv4.h"
#include "ohfp/resilience/clock.h"
#include "subprocess.h"

extern char** environ;  // NOLINT: POSIX

namespace ohfp::testing {
namespace {

namespace fs = std::filesystem;

std::string UniqueFile(const std::string& stem) {
  static_cast<void>(stem);
  return (fs::temp_directory_path() /
          ("ohfp-" + stem + "-" + std::to_string(::getpid()) + "-" +
           std::to_string(std::chrono::steady_clock::now().time_since_epoch().count())))
      .string();
}

// Spawns argv with stdout and stderr appended to `log`, with `env` added to the environment.
pid_t SpawnLogged(const std::vector<std::string>& argv,
                  const std::map<std::string, std::string>& env, const std::string& log) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string entry(*e);
    const std::string name = entry.substr(0, entry.find('='));
    if (env.count(name) == 0) env_strings.push_back(entry);
  }
  for (const auto& [k, v] : env) env_strings.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (std::string& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  if (posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), envp.data()) != 0) pid = -1;
  posix_spawn_file_actions_destroy(&actions);
  return pid;
}

void Stop(pid_t pid) {
  if (pid <= 0) return;
  kill(pid, SIGTERM);
  for (int i = 0; i < 100; ++i) {
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
}

bool Exited(pid_t pid) {
  int status = 0;
  return waitpid(pid, &status, WNOHANG) == pid;
}

// Waits (bounded) until `log` holds a line matching `pattern`; returns its first capture as a
// number.
int WaitForPort(pid_t pid, const std::string& log, const std::regex& pattern, std::string* why) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    std::smatch m;
    const std::string text = ReadFileText(log);
    if (std::regex_search(text, m, pattern)) return std::stoi(m[1].str());
    if (Exited(pid)) {
      if (why != nullptr) *why = "the process exited before it listened:\n" + text;
      return 0;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (why != nullptr) *why = "no listening line within 60 s:\n" + ReadFileText(log);
  return 0;
}

// The requests moto serves without a signature before it starts checking: CreateUser,
// CreateAccessKey, PutUserPolicy.
constexpr int kFreeRequests = 3;

// The text of the first <name> element in `xml`; "" when there is none.
std::string ElementText(const std::string& xml, const std::string& name) {
  const std::regex pattern("<" + name + ">([^<]*)</" + name + ">");
  std::smatch m;
  return std::regex_search(xml, m, pattern) ? m[1].str() : std::string();
}

// An IAM call moto takes without a signature (one of the free requests). moto routes a request by
// the service in its credential scope, so the Authorization header names iam.
HttpAnswer UnsignedIamCall(int port, const std::string& body) {
  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(5);
  client.set_read_timeout(60);
  const httplib::Headers headers = {
      {"Authorization",
       "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20260101/us-east-1/iam/aws4_request, "
       "SignedHeaders=host, Signature=0"}};
  httplib::Result r =
      client.Post("/", headers, body + "&Version=2010-05-08", "application/x-www-form-urlencoded");
  if (!r) return {};
  return {r->status, r->body};
}

}  // namespace

bool MotoAvailable() { return std::system("python3 -c 'import moto.server' >/dev/null 2>&1") == 0; }

std::string MotoMissingMessage() {
  return "these tests need the moto AWS emulator: `python3 -c 'import moto.server'` failed. moto 5 "
         "is expected in the python3 on PATH: scripts/install-deps.sh installs it (see "
         "docs/aws-notes.md)";
}

HttpAnswer HttpCall(int port, const std::string& method, const std::string& path,
                    const std::string& body, const std::string& content_type) {
  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(5);
  client.set_read_timeout(60);
  httplib::Result r = method == "GET"   ? client.Get(path)
                      : method == "PUT" ? client.Put(path, body, content_type)
                                        : client.Post(path, body, content_type);
  if (!r) return {};
  return {r->status, r->body};
}

std::unique_ptr<MotoServer> MotoServer::Start(const MotoOptions& options, std::string* why) {
  if (!MotoAvailable()) {
    if (why != nullptr) *why = MotoMissingMessage();
    return nullptr;
  }
  const std::string log = UniqueFile("moto") + ".log";
  std::map<std::string, std::string> env = options.env;
  if (options.check_signatures) env["INITIAL_NO_AUTH_ACTION_COUNT"] = std::to_string(kFreeRequests);
  const pid_t pid =
      SpawnLogged({"python3", "-m", "moto.server", "-H", "127.0.0.1", "-p", "0"}, env, log);
  if (pid <= 0) {
    if (why != nullptr) *why = "cannot start python3";
    return nullptr;
  }
  const int port =
      WaitForPort(pid, log, std::regex(R"(Running on http://127\.0\.0\.1:(\d+))"), why);
  if (port == 0) {
    Stop(pid);
    return nullptr;
  }
  std::unique_ptr<MotoServer> moto(new MotoServer(pid, port, log, options.check_signatures));
  if (options.check_signatures && !moto->CreateKey(why)) return nullptr;
  return moto;
}

bool MotoServer::CreateKey(std::string* why) {
  const auto fail = [&](const std::string& step, const HttpAnswer& a) {
    if (why != nullptr) {
      *why =
          "moto: " + step + " answered " + std::to_string(a.status) + ": " + a.body.substr(0, 500);
    }
    return false;
  };
  const HttpAnswer opened =
      HttpCall(port_, "POST", "/moto-api/reset-auth", std::to_string(kFreeRequests), "text/plain");
  if (opened.status != 200) return fail("POST /moto-api/reset-auth", opened);
  const HttpAnswer user = UnsignedIamCall(port_, "Action=CreateUser&UserName=ohfp");
  if (user.status != 200) return fail("CreateUser", user);
  const HttpAnswer key = UnsignedIamCall(port_, "Action=CreateAccessKey&UserName=ohfp");
  MotoCredentials created{ElementText(key.body, "AccessKeyId"),
                          ElementText(key.body, "SecretAccessKey")};
  if (key.status != 200 || created.access_key_id.empty() || created.secret_access_key.empty()) {
    return fail("CreateAccessKey", key);
  }
  const HttpAnswer policy = UnsignedIamCall(
      port_, "Action=PutUserPolicy&UserName=ohfp&PolicyName=allow-all&PolicyDocument=" +
                 aws::FormEncode(R"({"Version":"2012-10-17","Statement":)"
                                 R"([{"Effect":"Allow","Action":"*","Resource":"*"}]})"));
  if (policy.status != 200) return fail("PutUserPolicy", policy);
  std::lock_guard lock(mu_);
  credentials_ = std::move(created);
  return true;
}

MotoCredentials MotoServer::credentials() const {
  std::lock_guard lock(mu_);
  return credentials_;
}

HttpAnswer MotoServer::Call(const std::string& service, const std::string& form_body) const {
  const MotoCredentials key = credentials();
  aws::HttpRequest request{
      .method = "POST",
      .url = url() + "/",
      .headers = {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"},
                  {"Host", "127.0.0.1:" + std::to_string(port_)}},
      .body = form_body};
  const resilience::SystemClock clock;
  if (!aws::SignRequest(
           request,
           {.access_key_id = key.access_key_id, .secret_access_key = key.secret_access_key},
           "us-east-1", service, clock.SystemNow())
           .ok()) {
    return {};
  }
  httplib::Client client("127.0.0.1", port_);
  client.set_connection_timeout(5);
  client.set_read_timeout(60);
  httplib::Headers headers;
  std::string content_type;
  for (const auto& [name, value] : request.headers) {
    if (name == "Content-Type") {
      content_type = value;
    } else {
      headers.emplace(name, value);
    }
  }
  httplib::Result r = client.Post("/", headers, request.body, content_type);
  if (!r) return {};
  return {r->status, r->body};
}

MotoServer::~MotoServer() {
  Stop(pid_);
  std::error_code ec;
  fs::remove(log_, ec);
}

bool MotoServer::Reset(std::string* why) {
  const HttpAnswer reset = HttpCall(port_, "POST", "/moto-api/reset");
  if (reset.status != 200) {
    if (why != nullptr)
      *why = "moto: POST /moto-api/reset answered " + std::to_string(reset.status);
    return false;
  }
  return !check_signatures_ || CreateKey(why);
}

std::string MotoServer::Data() const { return HttpCall(port_, "GET", "/moto-api/data.json").body; }

std::string ChaosProxyBinary() {
  return std::string(OHFP_BINARY_DIR) + "/tools/chaos-proxy/ohfp-chaos-proxy";
}

std::unique_ptr<ChaosProxyProcess> ChaosProxyProcess::Start(const ChaosProxyOptions& options,
                                                            std::string* why) {
  const std::string dir = UniqueFile("chaos");
  fs::create_directories(dir);
  std::vector<std::string> argv = {ChaosProxyBinary(),
                                   "--upstream",
                                   options.upstream,
                                   "--listen",
                                   "127.0.0.1:0",
                                   "--seed",
                                   std::to_string(options.seed),
                                   "--port-file",
                                   dir + "/port"};
  if (!options.rules_json.empty()) {
    std::ofstream(dir + "/rules.json") << options.rules_json;
    argv.insert(argv.end(), {"--config", dir + "/rules.json"});
  }
  const std::string log = dir + "/proxy.log";
  const pid_t pid = SpawnLogged(argv, {}, log);
  if (pid <= 0) {
    if (why != nullptr) *why = "cannot start " + ChaosProxyBinary();
    return nullptr;
  }
  const int port =
      WaitForPort(pid, log, std::regex(R"re("listening":"127\.0\.0\.1:(\d+)")re"), why);
  if (port == 0) {
    Stop(pid);
    fs::remove_all(dir);
    return nullptr;
  }
  return std::unique_ptr<ChaosProxyProcess>(new ChaosProxyProcess(pid, port, dir));
}

ChaosProxyProcess::~ChaosProxyProcess() {
  Stop(pid_);
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

bool ChaosProxyProcess::SetRules(const std::string& rules_json, std::string* why) const {
  const HttpAnswer a = HttpCall(port_, "PUT", "/__chaos/rules", rules_json);
  if (a.status != 200 && why != nullptr) *why = std::to_string(a.status) + ": " + a.body;
  return a.status == 200;
}

std::string ChaosProxyProcess::Stats() const {
  return HttpCall(port_, "GET", "/__chaos/stats").body;
}

bool ChaosProxyProcess::Reset() const {
  return HttpCall(port_, "POST", "/__chaos/reset").status == 200;
}

}  // namespace ohfp::testing
