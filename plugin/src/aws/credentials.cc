#include "aws/credentials.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <system_error>
#include <utility>

#include "aws/endpoints.h"
#include "base/time_text.h"
#include "ohfp/resilience/deadline.h"

namespace ohfp::aws {
namespace {

using resilience::Error;
using resilience::ErrorKind;
using resilience::Result;
using resilience::SysTime;

constexpr std::string_view kNoCredentialsHint =
    "Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (plus AWS_SESSION_TOKEN for temporary "
    "credentials); or write aws_access_key_id and aws_secret_access_key to the shared credentials "
    "file ($HOME/.aws/credentials, or the file named by AWS_SHARED_CREDENTIALS_FILE or "
    "AWS_CREDENTIAL_FILE) under the profile named by AWS_PROFILE (default \"default\"); or run on "
    "an "
    "EC2 instance with an IAM instance profile.";

Error NotFound(std::string message) {
  return Error(ErrorKind::kNotFound, "CredentialsNotFound", std::move(message));
}

std::string_view Trim(std::string_view s) {
  const auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

std::string ToLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string MaskKeyId(std::string_view key_id) {
  if (key_id.empty()) return "<no access key id>";
  if (key_id.size() < 12) return "****";
  std::string out(key_id.substr(0, 4));
  out += "\u2026";
  out += key_id.substr(key_id.size() - 4);
  return out;
}

std::string ExpandHome(std::string path, const Environment& env) {
  if (path == "~" || path.starts_with("~/")) {
    if (std::optional<std::string> home = env.Get("HOME")) return *home + path.substr(1);
  }
  return path;
}

bool IsRoleNameChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
         std::string_view("+=,.@_-").find(c) != std::string_view::npos;
}

// The string at `key` in a JSON object, or nullptr when absent or not a string.
const std::string* JsonString(const nlohmann::json& object, std::string_view key) {
  const auto it = object.find(key);
  if (it == object.end() || !it->is_string()) return nullptr;
  return it->get_ptr<const std::string*>();
}

}  // namespace

// ----- Credentials
// ---------------------------------------------------------------------------------------------

std::string Credentials::ToString() const {
  std::string out = MaskKeyId(access_key_id);
  out += " (secret hidden";
  if (!session_token.empty()) out += ", session token hidden";
  if (expiration) out += ", expires " + base::FormatIso8601(*expiration);
  if (!source.empty()) out += ", from " + source;
  out += ')';
  return out;
}

std::ostream& operator<<(std::ostream& out, const Credentials& credentials) {
  return out << credentials.ToString();
}

// ----- Static
// --------------------------------------------------------------------------------------------------

StaticCredentialsProvider::StaticCredentialsProvider(Credentials credentials)
    : credentials_(std::move(credentials)) {
  if (credentials_.source.empty()) credentials_.source = "static credentials";
}

Result<Credentials> StaticCredentialsProvider::Get() {
  if (credentials_.access_key_id.empty() || credentials_.secret_access_key.empty()) {
    return Error(ErrorKind::kValidation, "InvalidCredentials",
                 "the static credentials have an empty access key id or secret access key");
  }
  return credentials_;
}

// ----- Environment
// ---------------------------------------------------------------------------------------------

EnvironmentCredentialsProvider::EnvironmentCredentialsProvider(const Environment& env)
    : access_key_id_(env.Get("AWS_ACCESS_KEY_ID")),
      secret_access_key_(env.Get("AWS_SECRET_ACCESS_KEY")),
      session_token_(env.Get("AWS_SESSION_TOKEN")) {}

Result<Credentials> EnvironmentCredentialsProvider::Get() {
  if (!access_key_id_ && !secret_access_key_) {
    return NotFound("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set");
  }
  if (!secret_access_key_) {
    return Error(ErrorKind::kValidation, "IncompleteCredentials",
                 "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not: set both, or neither");
  }
  if (!access_key_id_) {
    return Error(ErrorKind::kValidation, "IncompleteCredentials",
                 "AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not: set both, or neither");
  }
  return Credentials{.access_key_id = *access_key_id_,
                     .secret_access_key = *secret_access_key_,
                     .session_token = session_token_.value_or(std::string()),
                     .expiration = std::nullopt,
                     .source = "environment"};
}

// ----- Shared credentials file
// ---------------------------------------------------------------------------------

ProfileFileOptions ProfileFileOptions::FromEnvironment(const Environment& env) {
  ProfileFileOptions options;
  if (std::optional<std::string> file = env.Get("AWS_SHARED_CREDENTIALS_FILE")) {
    options.path = ExpandHome(std::move(*file), env);
    options.path_source = "AWS_SHARED_CREDENTIALS_FILE";
  } else if (std::optional<std::string> ibm_file = env.Get("AWS_CREDENTIAL_FILE")) {
    options.path = ExpandHome(std::move(*ibm_file), env);
    options.path_source = "AWS_CREDENTIAL_FILE";
  } else if (std::optional<std::string> home = env.Get("HOME")) {
    options.path = std::filesystem::path(*home) / ".aws" / "credentials";
    options.path_source = "$HOME/.aws/credentials";
  }
  if (std::optional<std::string> profile = env.Get("AWS_PROFILE")) options.profile = *profile;
  return options;
}

ProfileFileCredentialsProvider::ProfileFileCredentialsProvider(ProfileFileOptions options)
    : options_(std::move(options)) {}

Result<Credentials> ProfileFileCredentialsProvider::Get() {
  if (options_.path.empty()) {
    return NotFound(
        "no file to read: HOME is not set and neither AWS_SHARED_CREDENTIALS_FILE nor "
        "AWS_CREDENTIAL_FILE names one");
  }
  const std::string file_name = options_.path.string();
  std::error_code ec;
  const std::filesystem::file_status status = std::filesystem::status(options_.path, ec);
  if (status.type() == std::filesystem::file_type::not_found) {
    std::string message = file_name + " does not exist";
    if (options_.path_source.starts_with("AWS_")) message += ", named by " + options_.path_source;
    return NotFound(std::move(message));
  }
  if (ec || status.type() != std::filesystem::file_type::regular) {
    return Error(ErrorKind::kValidation, "UnreadableCredentialsFile",
                 "cannot read the shared credentials file " + file_name +
                     (ec ? ": " + ec.message() : std::string(": not a regular file")));
  }
  std::ifstream in(options_.path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in) {
    return Error(ErrorKind::kValidation, "UnreadableCredentialsFile",
                 "cannot read the shared credentials file " + file_name);
  }
  return ParseCredentialsFile(text.str(), options_.profile, file_name);
}

namespace {

// ParseCredentialsFile's state: which profile is being read and the keys of the one asked for.
class CredentialsFileReader {
 public:
  CredentialsFileReader(std::string_view profile, std::string_view file_name)
      : profile_(profile),
        file_name_(file_name),
        profile_label_("[" + std::string(profile) + "]") {}

  // One line, trimmed, not empty and no comment.
  resilience::Status ReadLine(std::string_view line, std::size_t line_number) {
    if (line.front() == '[') return ReadHeader(line, line_number);
    return ReadKeyValue(line, line_number);
  }

  Result<Credentials> Finish() {
    if (!found_) {
      return NotFound("profile " + profile_label_ + " not found in " + std::string(file_name_));
    }
    if (!access_key_id_ && !secret_access_key_) {
      return NotFound("profile " + profile_label_ + " in " + std::string(file_name_) +
                      " has no aws_access_key_id / aws_secret_access_key (profiles using role_arn, "
                      "sso_* or credential_process are not supported)");
    }
    if (!access_key_id_ || !secret_access_key_) {
      return Error(ErrorKind::kValidation, "IncompleteCredentials",
                   "profile " + profile_label_ + " in " + std::string(file_name_) + " has " +
                       (access_key_id_ ? "aws_access_key_id but no aws_secret_access_key"
                                       : "aws_secret_access_key but no aws_access_key_id"));
    }
    return Credentials{
        .access_key_id = std::move(*access_key_id_),
        .secret_access_key = std::move(*secret_access_key_),
        .session_token = session_token_.value_or(std::string()),
        .expiration = std::nullopt,
        .source = "shared credentials file " + std::string(file_name_) + " " + profile_label_};
  }

 private:
  resilience::Status ReadHeader(std::string_view line, std::size_t line_number) {
    const std::size_t close = line.find(']');
    if (close == std::string_view::npos) {
      return Malformed(line_number, "a profile header without a closing ']'");
    }
    const std::string_view after = Trim(line.substr(close + 1));
    if (!after.empty() && after.front() != '#' && after.front() != ';') {
      return Malformed(line_number, "text after a profile header");
    }
    const std::string_view name = Trim(line.substr(1, close - 1));
    if (name.empty()) return Malformed(line_number, "an empty profile name");
    section_ = std::string(name);
    if (name == profile_) found_ = true;
    return {};
  }

  resilience::Status ReadKeyValue(std::string_view line, std::size_t line_number) {
    const std::size_t eq = line.find('=');
    if (eq == std::string_view::npos) {
      return Malformed(line_number, "expected 'key = value', a [profile] header or a comment");
    }
    if (!section_) return Malformed(line_number, "'key = value' before any [profile] header");
    const std::string key = ToLower(Trim(line.substr(0, eq)));
    if (key.empty()) return Malformed(line_number, "'=' without a key");
    const std::string_view value = WithoutInlineComment(Trim(line.substr(eq + 1)));
    if (*section_ != profile_) return {};
    std::optional<std::string> stored =
        value.empty() ? std::nullopt : std::optional<std::string>(std::string(value));
    if (key == "aws_access_key_id") {
      access_key_id_ = std::move(stored);
    } else if (key == "aws_secret_access_key") {
      secret_access_key_ = std::move(stored);
    } else if (key == "aws_session_token") {
      session_token_ = std::move(stored);
    }
    return {};
  }

  // Inline comments: '#' or ';' after whitespace (keys, secrets and tokens never contain
  // whitespace).
  static std::string_view WithoutInlineComment(std::string_view value) {
    for (std::size_t i = 1; i < value.size(); ++i) {
      if ((value[i] == '#' || value[i] == ';') && (value[i - 1] == ' ' || value[i - 1] == '\t')) {
        return Trim(value.substr(0, i));
      }
    }
    return value;
  }

  Error Malformed(std::size_t line_number, std::string_view what) const {
    std::string message = "malformed shared credentials file ";
    message += file_name_;
    message += " at line " + std::to_string(line_number);
    message +=
        section_ ? " (in profile [" + *section_ + "])" : std::string(" (before any profile)");
    message += ": ";
    message += what;
    message += "; looking for profile " + profile_label_;
    return Error(ErrorKind::kValidation, "MalformedCredentialsFile", std::move(message));
  }

  std::string_view profile_;
  std::string_view file_name_;
  std::string profile_label_;
  std::optional<std::string> section_;  // the profile being read
  bool found_ = false;                  // the profile asked for has a header
  std::optional<std::string> access_key_id_;
  std::optional<std::string> secret_access_key_;
  std::optional<std::string> session_token_;
};

}  // namespace

Result<Credentials> ParseCredentialsFile(std::string_view text, std::string_view profile,
                                         std::string_view file_name) {
  CredentialsFileReader reader(profile, file_name);
  std::size_t line_number = 0;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = Trim(text.substr(start, end - start));
    start = end + 1;
    ++line_number;
    if (line.empty() || line.front() == '#' || line.front() == ';') continue;
    if (resilience::Status read = reader.ReadLine(line, line_number); !read.ok()) {
      return read.error();
    }
  }
  return reader.Finish();
}

// ----- IMDSv2
// --------------------------------------------------------------------------------------------------

ImdsOptions ImdsOptions::FromEnvironment(const Environment& env, ImdsOptions defaults) {
  ImdsOptions options = std::move(defaults);
  if (std::optional<std::string> endpoint = env.Get("AWS_EC2_METADATA_SERVICE_ENDPOINT")) {
    options.endpoint = std::move(*endpoint);
  } else if (std::optional<std::string> mode = env.Get("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE");
             mode && ToLower(*mode) == "ipv6") {
    options.endpoint = "http://[fd00:ec2::254]";
  }
  if (std::optional<std::string> disabled = env.Get("AWS_EC2_METADATA_DISABLED")) {
    options.disabled = ToLower(Trim(*disabled)) == "true";
  }
  return options;
}

ImdsOptions ImdsOptions::FromEnvironment(const Environment& env) {
  return FromEnvironment(env, ImdsOptions());
}

ImdsCredentialsProvider::ImdsCredentialsProvider(ImdsOptions options, HttpTransport& transport,
                                                 const resilience::Clock& clock)
    : options_(std::move(options)), transport_(transport), clock_(clock) {}

Result<HttpResponse> ImdsCredentialsProvider::Call(std::string method, std::string url,
                                                   Headers headers) {
  HttpRequest request{.method = std::move(method),
                      .url = std::move(url),
                      .headers = std::move(headers),
                      .body = {}};
  return transport_.Send(request, resilience::Deadline::After(clock_.Now(), options_.timeout),
                         std::stop_token());
}

namespace {

// A failure of an exchange with IMDS (`at`): off EC2 an unreachable IMDS is the normal "not here".
Error ImdsExchangeFailed(const std::string& at, const Error& error, std::string_view step,
                         bool reached) {
  if (error.kind() == ErrorKind::kCancelled || error.kind() == ErrorKind::kValidation) return error;
  std::string message = at + (reached ? " failed while " : " did not answer ") + std::string(step);
  message += ": " + std::string(error.message());
  if (!reached) return NotFound(std::move(message));
  return Error(ErrorKind::kTransient, "ImdsUnavailable", std::move(message));
}

// An HTTP status from IMDS (`at`) that is no answer.
Error ImdsBadStatus(const std::string& at, int status, std::string_view step) {
  std::string message = at + " answered HTTP " + std::to_string(status) + " " + std::string(step);
  if (status >= 500) {
    return Error(ErrorKind::kTransient, "ImdsUnavailable", std::move(message))
        .WithHttpStatus(status);
  }
  if (status == 401) {
    return Error(ErrorKind::kAuthentication, "ImdsTokenRejected",
                 std::move(message) + " (the session token was rejected)")
        .WithHttpStatus(status);
  }
  return Error(ErrorKind::kAuthentication, "ImdsUnexpectedAnswer", std::move(message))
      .WithHttpStatus(status);
}

// The credentials of `role` from IMDS's (`at`) JSON answer. Never quotes the body: it holds the
// secret.
Result<Credentials> ImdsRoleCredentials(std::string_view body, const std::string& at,
                                        const std::string& role) {
  const nlohmann::json json = nlohmann::json::parse(body, nullptr, false);
  if (json.is_discarded() || !json.is_object()) {
    return Error(ErrorKind::kAuthentication, "ImdsUnexpectedAnswer",
                 at + " answered credentials of role " + role + " that are not a JSON object");
  }
  if (const std::string* code = JsonString(json, "Code"); code != nullptr && *code != "Success") {
    return Error(
        ErrorKind::kAuthentication, "ImdsCredentialsUnavailable",
        at + " could not provide credentials of role " + role + ": Code " + code->substr(0, 64));
  }
  const std::string* access_key_id = JsonString(json, "AccessKeyId");
  const std::string* secret = JsonString(json, "SecretAccessKey");
  const std::string* session_token = JsonString(json, "Token");
  for (const auto& [field, value] :
       {std::pair{"AccessKeyId", access_key_id}, std::pair{"SecretAccessKey", secret},
        std::pair{"Token", session_token}}) {
    if (value == nullptr || value->empty()) {
      return Error(ErrorKind::kAuthentication, "ImdsUnexpectedAnswer",
                   at + " answered credentials of role " + role + " without " + field);
    }
  }
  std::optional<SysTime> expiration;
  if (const std::string* text = JsonString(json, "Expiration"); text != nullptr) {
    expiration = base::ParseIso8601(*text);
    if (!expiration) {
      return Error(ErrorKind::kAuthentication, "ImdsUnexpectedAnswer",
                   at + " answered credentials of role " + role +
                       " with an unreadable Expiration '" + text->substr(0, 40) + "'");
    }
  }
  return Credentials{.access_key_id = *access_key_id,
                     .secret_access_key = *secret,
                     .session_token = *session_token,
                     .expiration = expiration,
                     .source = "IMDS role " + role};
}

}  // namespace

Result<Credentials> ImdsCredentialsProvider::Get() {
  if (options_.disabled) return NotFound("disabled by AWS_EC2_METADATA_DISABLED=true");
  Result<EndpointUrl> endpoint =
      ParseEndpointUrl(options_.endpoint, "the IMDS endpoint (AWS_EC2_METADATA_SERVICE_ENDPOINT)");
  if (!endpoint.ok()) return endpoint.error();
  const std::string base = endpoint->ToString();
  const std::string at = "IMDS at " + base;

  // 1. A session token.
  Result<HttpResponse> token_response =
      Call("PUT", base + "/latest/api/token",
           {{"X-aws-ec2-metadata-token-ttl-seconds", std::to_string(options_.token_ttl.count())}});
  if (!token_response.ok()) {
    return ImdsExchangeFailed(at, token_response.error(), "to the token request", false);
  }
  if (token_response->status >= 500) {
    return ImdsBadStatus(at, token_response->status, "to the token request");
  }
  const std::string token(Trim(token_response->body));
  if (token_response->status != 200 || token.empty()) {
    return NotFound(at + " did not give an IMDSv2 session token (HTTP " +
                    std::to_string(token_response->status) + ")");
  }
  const Headers token_header = {{"X-aws-ec2-metadata-token", token}};

  // 2. The role.
  const std::string roles_path = base + "/latest/meta-data/iam/security-credentials/";
  Result<HttpResponse> roles = Call("GET", roles_path, token_header);
  if (!roles.ok()) {
    return ImdsExchangeFailed(at, roles.error(), "listing the instance's IAM role", true);
  }
  if (roles->status == 404) {
    return NotFound("no IAM role is attached to this instance (" + at + ")");
  }
  if (roles->status != 200) {
    return ImdsBadStatus(at, roles->status, "when listing the instance's IAM role");
  }
  std::string_view listing = Trim(roles->body);
  const std::string role(Trim(listing.substr(0, listing.find('\n'))));
  if (role.empty()) return NotFound("no IAM role is attached to this instance (" + at + ")");
  if (!std::all_of(role.begin(), role.end(), IsRoleNameChar) || role.size() > 128) {
    return Error(ErrorKind::kAuthentication, "ImdsUnexpectedAnswer",
                 at + " answered a role name with characters IAM does not allow");
  }

  // 3. The role's credentials.
  Result<HttpResponse> answer = Call("GET", roles_path + role, token_header);
  if (!answer.ok()) {
    return ImdsExchangeFailed(at, answer.error(), "fetching credentials of role " + role, true);
  }
  if (answer->status == 404) {
    return NotFound("role " + role + " has no credentials (" + at + " answered HTTP 404)");
  }
  if (answer->status != 200) {
    return ImdsBadStatus(at, answer->status, "when fetching credentials of role " + role);
  }
  return ImdsRoleCredentials(answer->body, at, role);
}

// ----- Chain
// ---------------------------------------------------------------------------------------------------

CredentialsProviderChain::CredentialsProviderChain(
    std::vector<std::unique_ptr<CredentialsProvider>> providers, std::string hint)
    : providers_(std::move(providers)), hint_(std::move(hint)) {}

Result<Credentials> CredentialsProviderChain::Get() {
  std::string tried;
  for (const std::unique_ptr<CredentialsProvider>& provider : providers_) {
    Result<Credentials> result = provider->Get();
    if (result.ok()) return result;
    const Error& error = result.error();
    if (error.kind() != ErrorKind::kNotFound) {
      std::string message = "AWS credentials from the ";
      message += provider->name();
      message += " are unusable: ";
      message += error.message();
      if (!tried.empty()) message += ". Tried before it: " + tried;
      return error.WithMessage(std::move(message));
    }
    if (!tried.empty()) tried += "; ";
    tried += provider->name();
    tried += " (";
    tried += error.message();
    tried += ")";
  }
  std::string message = "no AWS credentials found. Tried: ";
  message += tried.empty() ? std::string("no sources") : tried;
  message += '.';
  if (!hint_.empty()) message += " " + hint_;
  return Error(ErrorKind::kAuthentication, "NoCredentials", std::move(message));
}

// ----- Caching
// -------------------------------------------------------------------------------------------------

CachingCredentialsProvider::CachingCredentialsProvider(std::unique_ptr<CredentialsProvider> inner,
                                                       const resilience::Clock& clock,
                                                       resilience::Duration refresh_margin)
    : inner_(std::move(inner)), clock_(clock), refresh_margin_(refresh_margin) {}

Result<Credentials> CachingCredentialsProvider::Get() {
  const SysTime now = clock_.SystemNow();
  {
    std::lock_guard lock(mu_);
    if (cached_ && now < *cached_->expiration - refresh_margin_) return *cached_;
  }
  Result<Credentials> fresh = inner_->Get();  // not under the lock: may do I/O
  std::lock_guard lock(mu_);
  if (fresh.ok()) {
    if (fresh->expiration) {
      cached_ = *fresh;
    } else {
      cached_.reset();
    }
    return fresh;
  }
  // The refresh failed; credentials that have not expired yet are still good.
  if (cached_ && now < *cached_->expiration) return *cached_;
  return fresh;
}

std::unique_ptr<CredentialsProvider> MakeDefaultCredentialsChain(const Environment& env,
                                                                 HttpTransport& transport,
                                                                 const resilience::Clock& clock,
                                                                 ImdsOptions imds_defaults) {
  std::vector<std::unique_ptr<CredentialsProvider>> providers;
  providers.push_back(std::make_unique<EnvironmentCredentialsProvider>(env));
  providers.push_back(
      std::make_unique<ProfileFileCredentialsProvider>(ProfileFileOptions::FromEnvironment(env)));
  providers.push_back(std::make_unique<ImdsCredentialsProvider>(
      ImdsOptions::FromEnvironment(env, std::move(imds_defaults)), transport, clock));
  return std::make_unique<CachingCredentialsProvider>(
      std::make_unique<CredentialsProviderChain>(std::move(providers),
                                                 std::string(kNoCredentialsHint)),
      clock);
}

}  // namespace ohfp::aws
