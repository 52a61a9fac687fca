// aws/credentials.h
//
// AWS credentials and where they come from. A CredentialsProvider answers Get() with a Credentials
// value or an error; the default chain tries, in order, the environment (AWS_ACCESS_KEY_ID,
// AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN), the shared credentials file
// (AWS_SHARED_CREDENTIALS_FILE, the IBM plugin's AWS_CREDENTIAL_FILE, else $HOME/.aws/credentials;
// profile AWS_PROFILE, else "default") and the EC2 instance profile through IMDSv2, and caches
// credentials that expire until `refresh_margin` (5 min) before they do.
//
// A provider that has nothing to offer answers ErrorKind::kNotFound ("not found here") and the
// chain moves on; any other error (a malformed file, half-set variables) stops the chain. When no
// source has credentials the chain answers kAuthentication, naming every source it tried, why each
// had nothing, and what to set. Secrets never appear in messages: Credentials::ToString() and
// operator<< show "AKIA…MPLE (secret hidden)".
//
// Environment values are read when a provider is built (the options' FromEnvironment); the
// credentials file and IMDS are read on every Get() that is not answered from the cache.
//
// Thread-safety: every provider's Get() is safe to call from any thread. The Clock and
// HttpTransport passed to a provider must outlive it.
//
// Example:
//   MapEnvironment env;
//   env.Set("AWS_PROFILE", "dev");
//   auto provider = MakeDefaultCredentialsChain(env, transport, clock);
//   Result<Credentials> creds = provider->Get();  // kAuthentication: "no AWS credentials found..."
//   if (creds.ok()) log(creds->ToString());       // "AKIA…MPLE (secret hidden, from ...)"
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "aws/environment.h"
#include "aws/http_transport.h"
#include "ohfp/resilience/clock.h"
#include "ohfp/resilience/result.h"

namespace ohfp::aws {

struct Credentials {
  std::string access_key_id{};
  std::string secret_access_key{};
  std::string session_token{};                      // empty for long-term credentials
  std::optional<resilience::SysTime> expiration{};  // nullopt: does not expire
  std::string source{};  // where they came from, for logs: "environment", "IMDS role web-role", ...

  // "AKIA…MPLE (secret hidden)" plus ", session token hidden", expiry and source when present.
  // Never the secret or the token.
  std::string ToString() const;

  friend bool operator==(const Credentials&, const Credentials&) = default;
};

// Prints ToString(): safe in logs and in test failure messages.
std::ostream& operator<<(std::ostream& out, const Credentials& credentials);

class CredentialsProvider {
 public:
  virtual ~CredentialsProvider() = default;
  // Credentials, or kNotFound when this source has none, or another kind when the source is broken.
  [[nodiscard]] virtual resilience::Result<Credentials> Get() = 0;
  // A short name for messages: "environment", "shared credentials file", ...
  virtual std::string_view name() const noexcept = 0;
};

// Always answers the credentials it was given.
class StaticCredentialsProvider final : public CredentialsProvider {
 public:
  explicit StaticCredentialsProvider(Credentials credentials);
  resilience::Result<Credentials> Get() override;
  std::string_view name() const noexcept override { return "static credentials"; }

 private:
  Credentials credentials_;
};

// AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN, read once at construction.
// Neither key set: kNotFound. Only one of the two: kValidation naming the missing variable.
class EnvironmentCredentialsProvider final : public CredentialsProvider {
 public:
  explicit EnvironmentCredentialsProvider(const Environment& env);
  resilience::Result<Credentials> Get() override;
  std::string_view name() const noexcept override { return "environment"; }

 private:
  std::optional<std::string> access_key_id_;
  std::optional<std::string> secret_access_key_;
  std::optional<std::string> session_token_;
};

struct ProfileFileOptions {
  std::filesystem::path path{};  // empty: no file to read (HOME unset and no variable names one)
  std::string
      path_source{};  // what named the path, for messages: "AWS_SHARED_CREDENTIALS_FILE", ...
  std::string profile = "default";

  // Path from AWS_SHARED_CREDENTIALS_FILE, else AWS_CREDENTIAL_FILE, else $HOME/.aws/credentials
  // (a leading "~/" is expanded with HOME); profile from AWS_PROFILE, else "default".
  static ProfileFileOptions FromEnvironment(const Environment& env);
};

// The shared credentials file, an INI file:
//   # comment            ; comment
//   [default]
//   aws_access_key_id = AKIA...
//   aws_secret_access_key = ...
//   aws_session_token = ...        (optional)
// A missing file, a missing profile, or a profile without keys (role_arn, sso_...) is kNotFound. A
// malformed file is kValidation naming the file, the profile and the line (never the line's text,
// which may hold a secret). The file is read on every Get().
class ProfileFileCredentialsProvider final : public CredentialsProvider {
 public:
  explicit ProfileFileCredentialsProvider(ProfileFileOptions options);
  resilience::Result<Credentials> Get() override;
  std::string_view name() const noexcept override { return "shared credentials file"; }

 private:
  ProfileFileOptions options_;
};

// Parses the text of a shared credentials file (what ProfileFileCredentialsProvider does after
// reading it). `file_name` is only used in messages.
[[nodiscard]] resilience::Result<Credentials> ParseCredentialsFile(std::string_view text,
                                                                   std::string_view profile,
                                                                   std::string_view file_name);

struct ImdsOptions {
  std::string endpoint = "http://169.254.169.254";  // scheme://host[:port], no path
  bool disabled = false;
  resilience::Duration timeout = std::chrono::seconds(1);  // per IMDS request
  std::chrono::seconds token_ttl = std::chrono::hours(6);

  // AWS_EC2_METADATA_SERVICE_ENDPOINT (else http://[fd00:ec2::254] when
  // AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE is IPv6), AWS_EC2_METADATA_DISABLED=true; other fields
  // from `defaults` (default-constructed if omitted).
  static ImdsOptions FromEnvironment(const Environment& env, ImdsOptions defaults);
  static ImdsOptions FromEnvironment(const Environment& env);
};

// The EC2 instance profile through IMDSv2: PUT /latest/api/token, GET
// /latest/meta-data/iam/security-credentials/ (the role), GET .../<role> (the JSON credentials).
// Every request gets its own `timeout` deadline on the injected clock, which must be the clock the
// transport reads. Disabled, unreachable, refusing tokens, or no role attached: kNotFound. IMDS
// answering 5xx: kTransient. An unusable answer (bad JSON, Code other than Success):
// kAuthentication. No caching here: wrap it in a CachingCredentialsProvider (the default chain
// does).
class ImdsCredentialsProvider final : public CredentialsProvider {
 public:
  ImdsCredentialsProvider(ImdsOptions options, HttpTransport& transport,
                          const resilience::Clock& clock);
  resilience::Result<Credentials> Get() override;
  std::string_view name() const noexcept override { return "EC2 instance profile (IMDSv2)"; }

 private:
  resilience::Result<HttpResponse> Call(std::string method, std::string url, Headers headers);

  ImdsOptions options_;
  HttpTransport& transport_;
  const resilience::Clock& clock_;
};

// Tries each provider in order; the first that answers wins. kNotFound moves on to the next; any
// other error stops the chain and is returned (same kind) with the sources tried so far in its
// message. All kNotFound: kAuthentication naming each source and its reason, followed by `hint`
// (what the user should set).
class CredentialsProviderChain final : public CredentialsProvider {
 public:
  explicit CredentialsProviderChain(std::vector<std::unique_ptr<CredentialsProvider>> providers,
                                    std::string hint = {});
  resilience::Result<Credentials> Get() override;
  std::string_view name() const noexcept override { return "credentials chain"; }

 private:
  std::vector<std::unique_ptr<CredentialsProvider>> providers_;
  std::string hint_;
};

// Caches credentials that have an expiration until `refresh_margin` before it (by
// clock.SystemNow()), then asks `inner` again. Credentials without an expiration are not cached. If
// a refresh fails while the cached credentials have not yet expired, the cached ones are returned.
// The inner provider is called without the lock held, so two threads may refresh at the same time;
// both results are valid.
class CachingCredentialsProvider final : public CredentialsProvider {
 public:
  static constexpr resilience::Duration kDefaultRefreshMargin = std::chrono::minutes(5);

  CachingCredentialsProvider(std::unique_ptr<CredentialsProvider> inner,
                             const resilience::Clock& clock,
                             resilience::Duration refresh_margin = kDefaultRefreshMargin);
  resilience::Result<Credentials> Get() override;
  std::string_view name() const noexcept override { return inner_->name(); }

 private:
  std::unique_ptr<CredentialsProvider> inner_;
  const resilience::Clock& clock_;
  resilience::Duration refresh_margin_;
  std::mutex mu_;
  std::optional<Credentials> cached_;  // guarded by mu_; always has an expiration
};

// Caching(Chain(environment, shared credentials file, IMDSv2)), configured from `env`.
// `imds_defaults` supplies what the environment does not (timeout, TTL). `transport` is used for
// IMDS only.
std::unique_ptr<CredentialsProvider> MakeDefaultCredentialsChain(const Environment& env,
                                                                 HttpTransport& transport,
                                                                 const resilience::Clock& clock,
                                                                 ImdsOptions imds_defaults = {});

}  // namespace ohfp::aws
