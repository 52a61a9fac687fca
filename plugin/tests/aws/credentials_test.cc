// Tests for aws/credentials.h: redaction, the environment and shared-file providers (temp files),
// the chain's order and messages, caching on a ManualClock, and IMDSv2 against a fake IMDS served
// by cpp-httplib.
#include "aws/credentials.h"

#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <deque>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "aws/socket_transport.h"
#include "loopback_server.h"
#include "ohfp/resilience/manual_clock.h"

namespace ohfp::aws {
namespace {

using resilience::ErrorKind;
using resilience::ManualClock;
using resilience::Result;
using ::testing::AllOf;
using ::testing::HasSubstr;
using namespace std::chrono_literals;

namespace fs = std::filesystem;

// A MapEnvironment from name/value pairs (`MapEnvironment({{...}})` is ambiguous with its copy
// constructor).
MapEnvironment Env(std::map<std::string, std::string, std::less<>> values) {
  return MapEnvironment(std::move(values));
}

constexpr std::string_view kKeyId = "AKIAIOSFODNN7EXAMPLE";
constexpr std::string_view kSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
constexpr std::string_view kToken =
    "IQoJb3JpZ2luX2VjEXAMPLETOKEN//////////wEaCXVzLWVhc3QtMSJHMEUCIQ";

// A directory under the system temp directory, unique to this process and test, removed at the end.
class TempDir {
 public:
  TempDir() {
    const auto* info = testing::UnitTest::GetInstance()->current_test_info();
    path_ = fs::temp_directory_path() / ("ohfp-credentials-" + std::to_string(::getpid()) + "-" +
                                         info->test_suite_name() + "-" + info->name());
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const fs::path& path() const { return path_; }
  fs::path Write(const std::string& name, std::string_view content) const {
    const fs::path file = path_ / name;
    fs::create_directories(file.parent_path());
    std::ofstream(file, std::ios::binary) << content;
    return file;
  }

 private:
  fs::path path_;
};

Credentials Example(std::string token = {},
                    std::optional<resilience::SysTime> expiration = std::nullopt) {
  return Credentials{.access_key_id = std::string(kKeyId),
                     .secret_access_key = std::string(kSecret),
                     .session_token = std::move(token),
                     .expiration = expiration,
                     .source = "test"};
}

void ExpectNoSecrets(std::string_view text) {
  EXPECT_THAT(std::string(text),
              AllOf(::testing::Not(HasSubstr(kSecret)), ::testing::Not(HasSubstr(kToken))));
}

// ----- Credentials value
// -----------------------------------------------------------------------------------------

TEST(CredentialsTest, ToStringAndPrintingHideSecretAndToken) {
  const Credentials credentials =
      Example(std::string(kToken), resilience::SysTime(std::chrono::seconds(1767232800)));
  const std::string text = credentials.ToString();
  EXPECT_THAT(text, HasSubstr("AKIA\u2026MPLE (secret hidden, session token hidden"));
  EXPECT_THAT(text, HasSubstr("expires 2026-01-01T02:00:00Z"));
  EXPECT_THAT(text, HasSubstr("from test"));
  ExpectNoSecrets(text);
  std::ostringstream streamed;
  streamed << credentials;
  EXPECT_EQ(streamed.str(), text);
  ExpectNoSecrets(testing::PrintToString(credentials));
}

TEST(CredentialsTest, ShortOrEmptyKeyIdsAreNotShownEither) {
  Credentials credentials = Example();
  credentials.access_key_id = "SHORTKEY";
  EXPECT_THAT(credentials.ToString(),
              AllOf(HasSubstr("****"), ::testing::Not(HasSubstr("SHORTKEY"))));
  credentials.access_key_id.clear();
  EXPECT_THAT(credentials.ToString(), HasSubstr("no access key id"));
}

TEST(CredentialsTest, StaticProviderAnswersItsCredentials) {
  StaticCredentialsProvider provider(Example());
  Result<Credentials> credentials = provider.Get();
  ASSERT_TRUE(credentials.ok());
  EXPECT_EQ(credentials->access_key_id, kKeyId);
  EXPECT_EQ(credentials->secret_access_key, kSecret);

  StaticCredentialsProvider empty(Credentials{});
  Result<Credentials> none = empty.Get();
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().kind(), ErrorKind::kValidation);
}

// ----- Environment
// ---------------------------------------------------------------------------------------------

TEST(CredentialsEnvironment, ReadsKeysAndSessionToken) {
  MapEnvironment env = Env({{"AWS_ACCESS_KEY_ID", std::string(kKeyId)},
                            {"AWS_SECRET_ACCESS_KEY", std::string(kSecret)},
                            {"AWS_SESSION_TOKEN", std::string(kToken)}});
  EnvironmentCredentialsProvider provider(env);
  Result<Credentials> credentials = provider.Get();
  ASSERT_TRUE(credentials.ok());
  EXPECT_EQ(credentials->access_key_id, kKeyId);
  EXPECT_EQ(credentials->secret_access_key, kSecret);
  EXPECT_EQ(credentials->session_token, kToken);
  EXPECT_FALSE(credentials->expiration.has_value());
  EXPECT_EQ(credentials->source, "environment");
}

TEST(CredentialsEnvironment, NothingSetIsNotFound) {
  MapEnvironment env = Env({{"AWS_SESSION_TOKEN", std::string(kToken)}});
  EnvironmentCredentialsProvider provider(env);
  Result<Credentials> credentials = provider.Get();
  ASSERT_FALSE(credentials.ok());
  EXPECT_EQ(credentials.error().kind(), ErrorKind::kNotFound);
  EXPECT_THAT(std::string(credentials.error().message()), HasSubstr("AWS_ACCESS_KEY_ID"));
}

TEST(CredentialsEnvironment, HalfSetIsAValidationErrorNamingTheMissingVariable) {
  MapEnvironment only_id = Env({{"AWS_ACCESS_KEY_ID", std::string(kKeyId)}});
  Result<Credentials> a = EnvironmentCredentialsProvider(only_id).Get();
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.error().kind(), ErrorKind::kValidation);
  EXPECT_THAT(std::string(a.error().message()), HasSubstr("AWS_SECRET_ACCESS_KEY is not"));

  MapEnvironment only_secret = Env({{"AWS_SECRET_ACCESS_KEY", std::string(kSecret)}});
  Result<Credentials> b = EnvironmentCredentialsProvider(only_secret).Get();
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.error().kind(), ErrorKind::kValidation);
  EXPECT_THAT(std::string(b.error().message()), HasSubstr("AWS_ACCESS_KEY_ID is not"));
  ExpectNoSecrets(b.error().message());
}

// ----- Shared credentials file
// ---------------------------------------------------------------------------------

constexpr std::string_view kTwoProfiles =
    "# AWS credentials\n"
    "; another comment\n"
    "\n"
    "[default]\n"
    "aws_access_key_id = AKIADEFAULTEXAMPLE01\n"
    "aws_secret_access_key = default/secret+key\n"
    "\n"
    "  [ dev ]   # the dev account\n"
    "\taws_access_key_id=AKIADEVEXAMPLE000002   \r\n"
    "AWS_SECRET_ACCESS_KEY =   dev/secret+key   ; inline comment\r\n"
    "aws_session_token = dev-session-token\n"
    "region = eu-west-1\n";

TEST(CredentialsFile, ReadsTheDefaultProfile) {
  Result<Credentials> credentials = ParseCredentialsFile(kTwoProfiles, "default", "creds");
  ASSERT_TRUE(credentials.ok()) << credentials.error().ToString();
  EXPECT_EQ(credentials->access_key_id, "AKIADEFAULTEXAMPLE01");
  EXPECT_EQ(credentials->secret_access_key, "default/secret+key");
  EXPECT_EQ(credentials->session_token, "");
  EXPECT_EQ(credentials->source, "shared credentials file creds [default]");
}

TEST(CredentialsFile, ToleratesWhitespaceCommentsCaseAndCrLf) {
  Result<Credentials> credentials = ParseCredentialsFile(kTwoProfiles, "dev", "creds");
  ASSERT_TRUE(credentials.ok()) << credentials.error().ToString();
  EXPECT_EQ(credentials->access_key_id, "AKIADEVEXAMPLE000002");
  EXPECT_EQ(credentials->secret_access_key, "dev/secret+key");
  EXPECT_EQ(credentials->session_token, "dev-session-token");
}

TEST(CredentialsFile, MissingProfileIsNotFound) {
  Result<Credentials> credentials = ParseCredentialsFile(kTwoProfiles, "prod", "/x/creds");
  ASSERT_FALSE(credentials.ok());
  EXPECT_EQ(credentials.error().kind(), ErrorKind::kNotFound);
  EXPECT_THAT(std::string(credentials.error().message()),
              AllOf(HasSubstr("[prod]"), HasSubstr("/x/creds")));
}

TEST(CredentialsFile, ProfileWithoutKeysIsNotFound) {
  Result<Credentials> credentials = ParseCredentialsFile(
      "[assume]\nrole_arn = arn:aws:iam::123456789012:role/x\nsource_profile = default\n", "assume",
      "f");
  ASSERT_FALSE(credentials.ok());
  EXPECT_EQ(credentials.error().kind(), ErrorKind::kNotFound);
  EXPECT_THAT(std::string(credentials.error().message()), HasSubstr("role_arn"));
}

TEST(CredentialsFile, ProfileWithHalfTheKeysIsAValidationError) {
  Result<Credentials> credentials =
      ParseCredentialsFile("[default]\naws_secret_access_key = s3cr3t/value\n", "default", "f");
  ASSERT_FALSE(credentials.ok());
  EXPECT_EQ(credentials.error().kind(), ErrorKind::kValidation);
  EXPECT_THAT(std::string(credentials.error().message()),
              AllOf(HasSubstr("no aws_access_key_id"), ::testing::Not(HasSubstr("s3cr3t/value"))));
}

TEST(CredentialsFile, MalformedLineNamesFileProfileAndLineButNotItsText) {
  const std::string text =
      "[default]\n"
      "aws_access_key_id = AKIADEFAULTEXAMPLE01\n"
      "[dev]\n"
      "aws_secret_access_key " +
      std::string(kSecret) + "\n";
  Result<Credentials> credentials =
      ParseCredentialsFile(text, "default", "/home/u/.aws/credentials");
  ASSERT_FALSE(credentials.ok());
  EXPECT_EQ(credentials.error().kind(), ErrorKind::kValidation);
  const std::string message(credentials.error().message());
  EXPECT_THAT(message, AllOf(HasSubstr("/home/u/.aws/credentials"), HasSubstr("line 4"),
                             HasSubstr("[dev]"), HasSubstr("[default]")));
  ExpectNoSecrets(message);
}

TEST(CredentialsFile, OtherMalformations) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"aws_access_key_id = AKIA\n[default]\n", "before any [profile]"},
      {"[default\naws_access_key_id = x\n", "closing ']'"},
      {"[]\n", "empty profile name"},
      {"[default] trailing\n", "text after a profile header"},
      {"[default]\n = value\n", "without a key"},
  };
  for (const auto& [text, why] : cases) {
    Result<Credentials> credentials = ParseCredentialsFile(text, "default", "f");
    ASSERT_FALSE(credentials.ok()) << text;
    EXPECT_EQ(credentials.error().kind(), ErrorKind::kValidation) << text;
    EXPECT_THAT(std::string(credentials.error().message()),
                AllOf(HasSubstr(why), HasSubstr("line")))
        << text;
  }
}

TEST(CredentialsFile, ProviderReadsTheFileNamedByTheEnvironment) {
  TempDir dir;
  const fs::path file = dir.Write("creds.ini", kTwoProfiles);
  MapEnvironment env =
      Env({{"AWS_SHARED_CREDENTIALS_FILE", file.string()}, {"AWS_PROFILE", "dev"}});
  ProfileFileCredentialsProvider provider(ProfileFileOptions::FromEnvironment(env));
  Result<Credentials> credentials = provider.Get();
  ASSERT_TRUE(credentials.ok()) << credentials.error().ToString();
  EXPECT_EQ(credentials->access_key_id, "AKIADEVEXAMPLE000002");
  EXPECT_THAT(credentials->source, AllOf(HasSubstr(file.string()), HasSubstr("[dev]")));
}

TEST(CredentialsFile, FileIsReadAgainOnEveryGet) {
  TempDir dir;
  const fs::path file = dir.Write("creds",
                                  "[default]\naws_access_key_id=AKIAFIRSTEXAMPLE0001\n"
                                  "aws_secret_access_key=first\n");
  ProfileFileCredentialsProvider provider(
      {.path = file, .path_source = "test", .profile = "default"});
  Result<Credentials> first = provider.Get();
  ASSERT_TRUE(first.ok());
  dir.Write("creds",
            "[default]\naws_access_key_id=AKIASECONDEXAMPLE002\naws_secret_access_key=second\n");
  Result<Credentials> second = provider.Get();
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(first->access_key_id, "AKIAFIRSTEXAMPLE0001");
  EXPECT_EQ(second->access_key_id, "AKIASECONDEXAMPLE002");
}

TEST(CredentialsFile, PathPrecedence) {
  MapEnvironment all =
      Env({{"AWS_SHARED_CREDENTIALS_FILE", "/a"}, {"AWS_CREDENTIAL_FILE", "/b"}, {"HOME", "/h"}});
  EXPECT_EQ(ProfileFileOptions::FromEnvironment(all).path, fs::path("/a"));
  EXPECT_EQ(ProfileFileOptions::FromEnvironment(all).path_source, "AWS_SHARED_CREDENTIALS_FILE");
  MapEnvironment ibm = Env({{"AWS_CREDENTIAL_FILE", "/b"}, {"HOME", "/h"}});
  EXPECT_EQ(ProfileFileOptions::FromEnvironment(ibm).path, fs::path("/b"));
  MapEnvironment home = Env({{"HOME", "/h"}});
  EXPECT_EQ(ProfileFileOptions::FromEnvironment(home).path, fs::path("/h/.aws/credentials"));
  EXPECT_EQ(ProfileFileOptions::FromEnvironment(home).profile, "default");
  MapEnvironment tilde =
      Env({{"AWS_SHARED_CREDENTIALS_FILE", "~/creds"}, {"HOME", "/h"}, {"AWS_PROFILE", "p"}});
  EXPECT_EQ(ProfileFileOptions::FromEnvironment(tilde).path, fs::path("/h/creds"));
  EXPECT_EQ(ProfileFileOptions::FromEnvironment(tilde).profile, "p");
  MapEnvironment nothing;
  EXPECT_TRUE(ProfileFileOptions::FromEnvironment(nothing).path.empty());
}

TEST(CredentialsFile, HomeFileIsUsedWhenNoVariableNamesOne) {
  TempDir dir;
  dir.Write(".aws/credentials", kTwoProfiles);
  MapEnvironment env = Env({{"HOME", dir.path().string()}});
  Result<Credentials> credentials =
      ProfileFileCredentialsProvider(ProfileFileOptions::FromEnvironment(env)).Get();
  ASSERT_TRUE(credentials.ok()) << credentials.error().ToString();
  EXPECT_EQ(credentials->access_key_id, "AKIADEFAULTEXAMPLE01");
}

TEST(CredentialsFile, MissingFileOrNoHomeIsNotFound) {
  TempDir dir;
  ProfileFileCredentialsProvider missing({.path = dir.path() / "nope",
                                          .path_source = "AWS_SHARED_CREDENTIALS_FILE",
                                          .profile = "default"});
  Result<Credentials> a = missing.Get();
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.error().kind(), ErrorKind::kNotFound);
  EXPECT_THAT(std::string(a.error().message()),
              AllOf(HasSubstr("does not exist"), HasSubstr("AWS_SHARED_CREDENTIALS_FILE")));

  ProfileFileCredentialsProvider no_home(ProfileFileOptions::FromEnvironment(MapEnvironment()));
  Result<Credentials> b = no_home.Get();
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.error().kind(), ErrorKind::kNotFound);
  EXPECT_THAT(std::string(b.error().message()), HasSubstr("HOME is not set"));
}

TEST(CredentialsFile, DirectoryInsteadOfFileIsAValidationError) {
  TempDir dir;
  ProfileFileCredentialsProvider provider(
      {.path = dir.path(), .path_source = "", .profile = "default"});
  Result<Credentials> credentials = provider.Get();
  ASSERT_FALSE(credentials.ok());
  EXPECT_EQ(credentials.error().kind(), ErrorKind::kValidation);
}

// ----- Chain
// ---------------------------------------------------------------------------------------------------

// Answers a scripted sequence of results (the last one repeats) and counts calls.
class ScriptedProvider final : public CredentialsProvider {
 public:
  ScriptedProvider(std::string name, std::vector<Result<Credentials>> script,
                   std::atomic<int>* calls)
      : name_(std::move(name)), script_(script.begin(), script.end()), calls_(calls) {}
  Result<Credentials> Get() override {
    calls_->fetch_add(1);
    std::lock_guard lock(mu_);
    Result<Credentials> next = script_.front();
    if (script_.size() > 1) script_.pop_front();
    return next;
  }
  std::string_view name() const noexcept override { return name_; }

 private:
  std::string name_;
  std::mutex mu_;
  std::deque<Result<Credentials>> script_;
  std::atomic<int>* calls_;
};

resilience::Error NotHere(std::string why) {
  return resilience::Error(ErrorKind::kNotFound, "CredentialsNotFound", std::move(why));
}

TEST(CredentialsChain, FirstSourceWithCredentialsWins) {
  std::atomic<int> first_calls{0};
  std::atomic<int> second_calls{0};
  std::atomic<int> third_calls{0};
  std::vector<std::unique_ptr<CredentialsProvider>> providers;
  providers.push_back(std::make_unique<ScriptedProvider>(
      "first", std::vector<Result<Credentials>>{NotHere("nothing")}, &first_calls));
  Credentials second = Example();
  second.access_key_id = "AKIASECONDEXAMPLE002";
  providers.push_back(std::make_unique<ScriptedProvider>(
      "second", std::vector<Result<Credentials>>{second}, &second_calls));
  providers.push_back(std::make_unique<ScriptedProvider>(
      "third", std::vector<Result<Credentials>>{Example()}, &third_calls));
  CredentialsProviderChain chain(std::move(providers));
  Result<Credentials> credentials = chain.Get();
  ASSERT_TRUE(credentials.ok());
  EXPECT_EQ(credentials->access_key_id, "AKIASECONDEXAMPLE002");
  EXPECT_EQ(first_calls.load(), 1);
  EXPECT_EQ(second_calls.load(), 1);
  EXPECT_EQ(third_calls.load(), 0);
}

TEST(CredentialsChain, BrokenSourceStopsTheChainWithWhatWasTried) {
  std::atomic<int> calls{0};
  std::atomic<int> later_calls{0};
  std::vector<std::unique_ptr<CredentialsProvider>> providers;
  providers.push_back(std::make_unique<ScriptedProvider>(
      "environment", std::vector<Result<Credentials>>{NotHere("variables not set")}, &calls));
  providers.push_back(std::make_unique<ScriptedProvider>(
      "shared credentials file",
      std::vector<Result<Credentials>>{resilience::Error(
          ErrorKind::kValidation, "MalformedCredentialsFile", "malformed at line 3")},
      &calls));
  providers.push_back(std::make_unique<ScriptedProvider>(
      "imds", std::vector<Result<Credentials>>{Example()}, &later_calls));
  CredentialsProviderChain chain(std::move(providers));
  Result<Credentials> credentials = chain.Get();
  ASSERT_FALSE(credentials.ok());
  EXPECT_EQ(credentials.error().kind(), ErrorKind::kValidation);
  EXPECT_THAT(std::string(credentials.error().message()),
              AllOf(HasSubstr("shared credentials file"), HasSubstr("line 3"),
                    HasSubstr("environment (variables not set)")));
  EXPECT_EQ(later_calls.load(), 0);
}

TEST(CredentialsChain, NothingAnywhereIsAuthenticationErrorListingEverySource) {
  TempDir dir;
  MapEnvironment env = Env(
      {{"HOME", dir.path().string()},
       {"AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:" + std::to_string(ClosedPort())}});
  ManualClock clock;
  SocketTransport transport(clock);
  std::unique_ptr<CredentialsProvider> chain = MakeDefaultCredentialsChain(env, transport, clock);
  Result<Credentials> credentials = chain->Get();
  ASSERT_FALSE(credentials.ok());
  EXPECT_EQ(credentials.error().kind(), ErrorKind::kAuthentication);
  const std::string message(credentials.error().message());
  EXPECT_THAT(message,
              HasSubstr("environment (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set)"));
  EXPECT_THAT(message, HasSubstr("shared credentials file (" +
                                 (dir.path() / ".aws/credentials").string() + " does not exist"));
  EXPECT_THAT(message, AllOf(HasSubstr("EC2 instance profile (IMDSv2) (IMDS at http://127.0.0.1:"),
                             HasSubstr("did not answer")));
  // What to do about it.
  EXPECT_THAT(message, AllOf(HasSubstr("Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"),
                             HasSubstr("AWS_SHARED_CREDENTIALS_FILE"), HasSubstr("AWS_PROFILE"),
                             HasSubstr("instance profile")));
}

TEST(CredentialsChain, EnvironmentBeatsTheFile) {
  TempDir dir;
  dir.Write(".aws/credentials", kTwoProfiles);
  MapEnvironment env = Env({{"HOME", dir.path().string()},
                            {"AWS_ACCESS_KEY_ID", std::string(kKeyId)},
                            {"AWS_SECRET_ACCESS_KEY", std::string(kSecret)},
                            {"AWS_EC2_METADATA_DISABLED", "true"}});
  ManualClock clock;
  SocketTransport transport(clock);
  Result<Credentials> credentials = MakeDefaultCredentialsChain(env, transport, clock)->Get();
  ASSERT_TRUE(credentials.ok());
  EXPECT_EQ(credentials->source, "environment");

  MapEnvironment file_only =
      Env({{"HOME", dir.path().string()}, {"AWS_EC2_METADATA_DISABLED", "true"}});
  Result<Credentials> from_file = MakeDefaultCredentialsChain(file_only, transport, clock)->Get();
  ASSERT_TRUE(from_file.ok());
  EXPECT_EQ(from_file->access_key_id, "AKIADEFAULTEXAMPLE01");
}

// ----- Caching
// -------------------------------------------------------------------------------------------------

TEST(CredentialsCache, KeepsExpiringCredentialsUntilFiveMinutesBeforeExpiry) {
  ManualClock clock;
  const resilience::SysTime expiry = clock.SystemNow() + 60min;
  Credentials first = Example("t1", expiry);
  Credentials second = Example("t2", expiry + 60min);
  std::atomic<int> calls{0};
  CachingCredentialsProvider cache(
      std::make_unique<ScriptedProvider>("inner", std::vector<Result<Credentials>>{first, second},
                                         &calls),
      clock);
  ASSERT_TRUE(cache.Get().ok());
  clock.Advance(54min);
  Result<Credentials> cached = cache.Get();
  ASSERT_TRUE(cached.ok());
  EXPECT_EQ(cached->session_token, "t1");
  EXPECT_EQ(calls.load(), 1);

  clock.Advance(1min);  // exactly five minutes before expiry: refresh
  Result<Credentials> refreshed = cache.Get();
  ASSERT_TRUE(refreshed.ok());
  EXPECT_EQ(refreshed->session_token, "t2");
  EXPECT_EQ(calls.load(), 2);
}

TEST(CredentialsCache, CredentialsWithoutExpirationAreNotCached) {
  ManualClock clock;
  std::atomic<int> calls{0};
  CachingCredentialsProvider cache(
      std::make_unique<ScriptedProvider>("inner", std::vector<Result<Credentials>>{Example()},
                                         &calls),
      clock);
  ASSERT_TRUE(cache.Get().ok());
  ASSERT_TRUE(cache.Get().ok());
  EXPECT_EQ(calls.load(), 2);
}

TEST(CredentialsCache, FailedRefreshFallsBackToUnexpiredCredentialsOnly) {
  ManualClock clock;
  const resilience::SysTime expiry = clock.SystemNow() + 10min;
  std::atomic<int> calls{0};
  CachingCredentialsProvider cache(
      std::make_unique<ScriptedProvider>(
          "inner",
          std::vector<Result<Credentials>>{
              Example("t1", expiry), resilience::Error(ErrorKind::kTransient, "ImdsUnavailable",
                                                       "IMDS answered HTTP 503")},
          &calls),
      clock);
  ASSERT_TRUE(cache.Get().ok());
  clock.Advance(6min);  // inside the refresh margin, not expired
  Result<Credentials> stale = cache.Get();
  ASSERT_TRUE(stale.ok());
  EXPECT_EQ(stale->session_token, "t1");
  EXPECT_EQ(calls.load(), 2);

  clock.Advance(4min);  // expired
  Result<Credentials> expired = cache.Get();
  ASSERT_FALSE(expired.ok());
  EXPECT_EQ(expired.error().kind(), ErrorKind::kTransient);
}

TEST(CredentialsCache, ConcurrentGetsAllSucceed) {
  ManualClock clock;
  std::atomic<int> calls{0};
  CachingCredentialsProvider cache(
      std::make_unique<ScriptedProvider>(
          "inner", std::vector<Result<Credentials>>{Example("t", clock.SystemNow() + 1h)}, &calls),
      clock);
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i) {
        if (cache.Get().ok()) ok.fetch_add(1);
        if (i % 50 == 0) clock.Advance(1min);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(ok.load(), 800);
  EXPECT_GE(calls.load(), 1);
}

// ----- IMDSv2
// --------------------------------------------------------------------------------------------------

// A fake instance metadata service: tokens required, one role, credentials that change on every
// fetch.
class FakeImds {
 public:
  struct Options {
    std::string role = "web-role";  // empty: no role attached
    int credentials_status = 200;
    std::string credentials_body{};  // overrides the JSON answer when set
  };

  explicit FakeImds(Options options)
      : options_(std::move(options)), server_([this](httplib::Server& s) { Routes(s); }) {}

  std::string Url() const { return server_.Url(); }
  int token_requests() const { return token_requests_.load(); }
  int credential_fetches() const { return credential_fetches_.load(); }
  int rejected_requests() const { return rejected_.load(); }
  int requests() const { return requests_.load(); }
  std::string last_ttl() const {
    std::lock_guard lock(mu_);
    return last_ttl_;
  }

 private:
  void Routes(httplib::Server& s) {
    s.Put("/latest/api/token", [this](const httplib::Request& req, httplib::Response& res) {
      requests_.fetch_add(1);
      if (!req.has_header("X-aws-ec2-metadata-token-ttl-seconds")) {
        res.status = 400;
        return;
      }
      std::lock_guard lock(mu_);
      last_ttl_ = req.get_header_value("X-aws-ec2-metadata-token-ttl-seconds");
      token_ = "token-" + std::to_string(token_requests_.fetch_add(1) + 1);
      res.set_content(token_, "text/plain");
    });
    s.Get(R"(/latest/meta-data/iam/security-credentials/(.*))", [this](const httplib::Request& req,
                                                                       httplib::Response& res) {
      requests_.fetch_add(1);
      {
        std::lock_guard lock(mu_);
        if (token_.empty() || req.get_header_value("X-aws-ec2-metadata-token") != token_) {
          rejected_.fetch_add(1);
          res.status = 401;
          return;
        }
      }
      const std::string role = req.matches[1];
      if (role.empty()) {
        if (options_.role.empty()) {
          res.status = 404;
        } else {
          res.set_content(options_.role + "\n", "text/plain");
        }
        return;
      }
      if (role != options_.role) {
        res.status = 404;
        return;
      }
      const int n = credential_fetches_.fetch_add(1) + 1;
      res.status = options_.credentials_status;
      if (!options_.credentials_body.empty()) {
        res.set_content(options_.credentials_body, "text/plain");
        return;
      }
      // ManualClock starts at 2026-01-01T00:00:00Z; fetch n expires n hours later.
      res.set_content(R"({"Code":"Success","LastUpdated":"2026-01-01T00:00:00Z","Type":"AWS-HMAC",)"
                      R"("AccessKeyId":"ASIAIMDSEXAMPLE0000)" +
                          std::to_string(n) + R"(","SecretAccessKey":"imds-secret-)" +
                          std::to_string(n) + R"(","Token":"imds-token-)" + std::to_string(n) +
                          R"(","Expiration":"2026-01-01T0)" + std::to_string(n) + R"(:00:00Z"})",
                      "application/json");
    });
  }

  Options options_;
  mutable std::mutex mu_;
  std::string token_;
  std::string last_ttl_;
  std::atomic<int> token_requests_{0};
  std::atomic<int> credential_fetches_{0};
  std::atomic<int> rejected_{0};
  std::atomic<int> requests_{0};
  TestServer server_;  // last: stops before the state its handlers use is destroyed
};

resilience::SysTime Wall(int hour) {
  return ManualClock::kDefaultWallStart + std::chrono::hours(hour);
}

TEST(ImdsTest, FetchesRoleCredentialsWithASessionToken) {
  FakeImds imds({});
  ManualClock clock;
  SocketTransport transport(clock);
  ImdsCredentialsProvider provider({.endpoint = imds.Url()}, transport, clock);
  Result<Credentials> credentials = provider.Get();
  ASSERT_TRUE(credentials.ok()) << credentials.error().ToString();
  EXPECT_EQ(credentials->access_key_id, "ASIAIMDSEXAMPLE00001");
  EXPECT_EQ(credentials->secret_access_key, "imds-secret-1");
  EXPECT_EQ(credentials->session_token, "imds-token-1");
  ASSERT_TRUE(credentials->expiration.has_value());
  EXPECT_EQ(*credentials->expiration, Wall(1));
  EXPECT_EQ(credentials->source, "IMDS role web-role");
  EXPECT_EQ(imds.token_requests(), 1);
  EXPECT_EQ(imds.rejected_requests(), 0);  // every GET carried the token
  EXPECT_EQ(imds.last_ttl(), "21600");
}

TEST(ImdsTest, FakeImdsRejectsRequestsWithoutTheToken) {
  // The fake enforces what the provider relies on: no token, no answer.
  FakeImds imds({});
  ManualClock clock;
  SocketTransport transport(clock);
  Result<HttpResponse> response =
      transport.Send({.method = "GET",
                      .url = imds.Url() + "/latest/meta-data/iam/security-credentials/",
                      .headers = {},
                      .body = {}},
                     resilience::Deadline::After(clock.Now(), 1s), {});
  ASSERT_TRUE(response.ok());
  EXPECT_EQ(response->status, 401);
  EXPECT_EQ(imds.rejected_requests(), 1);
}

TEST(ImdsTest, NoRoleAttachedIsNotFound) {
  FakeImds imds({.role = ""});
  ManualClock clock;
  SocketTransport transport(clock);
  Result<Credentials> credentials =
      ImdsCredentialsProvider({.endpoint = imds.Url()}, transport, clock).Get();
  ASSERT_FALSE(credentials.ok());
  EXPECT_EQ(credentials.error().kind(), ErrorKind::kNotFound);
  EXPECT_THAT(std::string(credentials.error().message()), HasSubstr("no IAM role"));
}

TEST(ImdsTest, DisabledFlagSendsNothing) {
  FakeImds imds({});
  MapEnvironment env = Env(
      {{"AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.Url()}, {"AWS_EC2_METADATA_DISABLED", "TRUE"}});
  ManualClock clock;
  SocketTransport transport(clock);
  ImdsCredentialsProvider provider(ImdsOptions::FromEnvironment(env), transport, clock);
  Result<Credentials> credentials = provider.Get();
  ASSERT_FALSE(credentials.ok());
  EXPECT_EQ(credentials.error().kind(), ErrorKind::kNotFound);
  EXPECT_THAT(std::string(credentials.error().message()), HasSubstr("AWS_EC2_METADATA_DISABLED"));
  EXPECT_EQ(imds.requests(), 0);
}

TEST(ImdsTest, OptionsFromTheEnvironment) {
  ImdsOptions defaults = ImdsOptions::FromEnvironment(MapEnvironment());
  EXPECT_EQ(defaults.endpoint, "http://169.254.169.254");
  EXPECT_FALSE(defaults.disabled);
  EXPECT_EQ(defaults.timeout, resilience::Duration(1s));
  EXPECT_EQ(ImdsOptions::FromEnvironment(Env({{"AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", "IPv6"}}))
                .endpoint,
            "http://[fd00:ec2::254]");
  ImdsOptions custom = ImdsOptions::FromEnvironment(
      Env({{"AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:1338"},
           {"AWS_EC2_METADATA_DISABLED", "false"}}),
      ImdsOptions{.timeout = 250ms});
  EXPECT_EQ(custom.endpoint, "http://127.0.0.1:1338");
  EXPECT_FALSE(custom.disabled);
  EXPECT_EQ(custom.timeout, resilience::Duration(250ms));
}

TEST(ImdsTest, ImdsDownIsNotFoundNamingTheEndpoint) {
  ManualClock clock;
  SocketTransport transport(clock);
  const std::string endpoint = "http://127.0.0.1:" + std::to_string(ClosedPort());
  Result<Credentials> credentials =
      ImdsCredentialsProvider({.endpoint = endpoint}, transport, clock).Get();
  ASSERT_FALSE(credentials.ok());
  EXPECT_EQ(credentials.error().kind(), ErrorKind::kNotFound);
  EXPECT_THAT(std::string(credentials.error().message()), HasSubstr(endpoint));
}

TEST(ImdsTest, InvalidEndpointIsAValidationError) {
  ManualClock clock;
  SocketTransport transport(clock);
  Result<Credentials> credentials =
      ImdsCredentialsProvider({.endpoint = "169.254.169.254"}, transport, clock).Get();
  ASSERT_FALSE(credentials.ok());
  EXPECT_EQ(credentials.error().kind(), ErrorKind::kValidation);
  EXPECT_THAT(std::string(credentials.error().message()),
              HasSubstr("AWS_EC2_METADATA_SERVICE_ENDPOINT"));
}

TEST(ImdsTest, ServerErrorIsTransient) {
  FakeImds imds({.credentials_status = 503});
  ManualClock clock;
  SocketTransport transport(clock);
  Result<Credentials> credentials =
      ImdsCredentialsProvider({.endpoint = imds.Url()}, transport, clock).Get();
  ASSERT_FALSE(credentials.ok());
  EXPECT_EQ(credentials.error().kind(), ErrorKind::kTransient);
  EXPECT_EQ(credentials.error().http_status(), 503);
}

TEST(ImdsTest, UnusableAnswersAreAuthenticationErrorsThatNeverQuoteTheBody) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {std::string(R"({"Code":"Success","AccessKeyId":"ASIAX","SecretAccessKey":")") +
           std::string(kSecret) + R"(","Token":)",
       "not a JSON object"},
      {std::string(R"({"Code":"Success","AccessKeyId":"ASIAX","SecretAccessKey":")") +
           std::string(kSecret) + R"("})",
       "without Token"},
      {std::string(R"({"Code":"AssumeRoleUnauthorizedAccess","Message":"denied"})"),
       "Code AssumeRoleUnauthorizedAccess"},
      {std::string(R"({"Code":"Success","AccessKeyId":"ASIAX","SecretAccessKey":")") +
           std::string(kSecret) + R"(","Token":")" + std::string(kToken) +
           R"(","Expiration":"tomorrow"})",
       "unreadable Expiration"},
  };
  for (const auto& [body, why] : cases) {
    FakeImds imds({.credentials_body = body});
    ManualClock clock;
    SocketTransport transport(clock);
    Result<Credentials> credentials =
        ImdsCredentialsProvider({.endpoint = imds.Url()}, transport, clock).Get();
    ASSERT_FALSE(credentials.ok()) << why;
    EXPECT_EQ(credentials.error().kind(), ErrorKind::kAuthentication) << why;
    EXPECT_THAT(std::string(credentials.error().message()), HasSubstr(why));
    ExpectNoSecrets(credentials.error().message());
  }
}

TEST(ImdsTest, DefaultChainCachesAndRefreshesBeforeExpiry) {
  FakeImds imds({});
  TempDir dir;
  MapEnvironment env =
      Env({{"HOME", dir.path().string()}, {"AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.Url()}});
  ManualClock clock;
  SocketTransport transport(clock);
  std::unique_ptr<CredentialsProvider> chain = MakeDefaultCredentialsChain(env, transport, clock);

  Result<Credentials> first = chain->Get();
  ASSERT_TRUE(first.ok()) << first.error().ToString();
  EXPECT_EQ(first->session_token, "imds-token-1");  // expires at 01:00

  clock.Advance(54min);
  Result<Credentials> cached = chain->Get();
  ASSERT_TRUE(cached.ok());
  EXPECT_EQ(cached->session_token, "imds-token-1");
  EXPECT_EQ(imds.credential_fetches(), 1);

  clock.Advance(1min);  // 00:55, five minutes before expiry
  Result<Credentials> refreshed = chain->Get();
  ASSERT_TRUE(refreshed.ok());
  EXPECT_EQ(refreshed->session_token, "imds-token-2");
  EXPECT_EQ(*refreshed->expiration, Wall(2));
  EXPECT_EQ(imds.credential_fetches(), 2);
  EXPECT_EQ(imds.token_requests(), 2);
}

TEST(ImdsTest, ChainFallsThroughToImdsAfterEnvironmentAndFile) {
  FakeImds imds({});
  TempDir dir;
  dir.Write(".aws/credentials",
            "[other]\naws_access_key_id=AKIAOTHEREXAMPLE0001\naws_secret_access_key=x\n");
  MapEnvironment env =
      Env({{"HOME", dir.path().string()}, {"AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.Url()}});
  ManualClock clock;
  SocketTransport transport(clock);
  Result<Credentials> credentials = MakeDefaultCredentialsChain(env, transport, clock)->Get();
  ASSERT_TRUE(credentials.ok()) << credentials.error().ToString();
  EXPECT_EQ(credentials->source, "IMDS role web-role");
}

}  // namespace
}  // namespace ohfp::aws
