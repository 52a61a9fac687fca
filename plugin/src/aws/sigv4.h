// aws/sigv4.h
//
// AWS Signature Version 4, as pure functions, plus the HTTP-date parsing the client needs to
// correct clock skew. SignRequest() is what the client calls; the steps it is made of
// (CanonicalRequest, StringToSign, Signature) are public so tests can compare each against AWS's
// own test suite.
//
// Canonicalization rules used here (those of every AWS service but S3):
//  - path: dot segments removed, repeated '/' collapsed, then every byte but A-Z a-z 0-9 - . _ ~
//    and '/' percent-encoded. The path is taken as it appears in the URL, so "%20" there is
//    signed as "%2520" (AWS's "encode twice" rule).
//  - query: split on '&', each name and value percent-decoded then encoded as above ('+' is a
//    literal plus), sorted by name then value; "a" is signed as "a=".
//  - headers: every header in the request (Authorization excluded), names lowercased, values
//    trimmed with runs of whitespace collapsed to one space, repeated names joined with ',',
//    sorted by name.
//  - payload hash: hex SHA-256 of the body.
//
// Thread-safety: pure functions; safe from any thread.
//
// Example:
//   HttpRequest req{.method = "POST", .url = "https://ec2.us-east-1.amazonaws.com/",
//                   .headers = {{"Content-Type", kFormContentType}},
//                   .body = "Action=DescribeRegions&Version=2016-11-15"};
//   Status s = SignRequest(req, credentials, "us-east-1", "ec2", clock.SystemNow() + skew);
//   // req now has Host, X-Amz-Date, [X-Amz-Security-Token] and Authorization.
//   // On RequestTimeTooSkewed: skew = ClockSkewFromResponse(response, clock.SystemNow())
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "aws/credentials.h"
#include "aws/http_transport.h"
#include "ohfp/resilience/clock.h"
#include "ohfp/resilience/result.h"

namespace ohfp::aws {

inline constexpr std::string_view kSigV4Algorithm = "AWS4-HMAC-SHA256";

// "20150830/us-east-1/service/aws4_request", from its parts.
struct CredentialScope {
  std::string date{};  // YYYYMMDD
  std::string region{};
  std::string service{};

  std::string ToString() const;
};

struct CanonicalForm {
  std::string request{};         // the canonical request, lines joined by '\n'
  std::string signed_headers{};  // "host;x-amz-date"
};

// The canonical request of `request` as it stands: no header is added, every header but
// Authorization is signed. `url` may be absolute (scheme://authority/path?query) or origin-form
// (/path?query).
CanonicalForm CanonicalRequest(const HttpRequest& request);

// "AWS4-HMAC-SHA256\n<amz_date>\n<scope>\n<hex sha256 of canonical_request>".
std::string StringToSign(std::string_view amz_date, const CredentialScope& scope,
                         std::string_view canonical_request);

// Hex HMAC-SHA256 of `string_to_sign` under the key derived from the secret and the scope; empty
// only if OpenSSL fails.
std::string Signature(std::string_view secret_access_key, const CredentialScope& scope,
                      std::string_view string_to_sign);

// Signs `request` in place for `now`: sets X-Amz-Date, adds Host from the URL if absent (with a
// non-default port), sets X-Amz-Security-Token when the credentials have a session token (and
// removes a stale one when they have none), replaces any Authorization. Signing a request twice is
// safe (retries re-sign). kAuthentication for empty credentials; kValidation when the request has
// neither a Host header nor an absolute URL.
[[nodiscard]] resilience::Status SignRequest(HttpRequest& request, const Credentials& credentials,
                                             std::string_view region, std::string_view service,
                                             resilience::SysTime now);

// "20150830T123600Z" (UTC, whole seconds).
std::string FormatAmzDate(resilience::SysTime time);

// Lowercase hex SHA-256 of `data`.
std::string HexSha256(std::string_view data);

// An HTTP Date header: RFC 1123 ("Sun, 30 Aug 2015 12:36:00 GMT"), and the obsolete RFC 850 and
// asctime forms HTTP/1.1 recipients must accept. kValidation for anything else.
[[nodiscard]] resilience::Result<resilience::SysTime> ParseHttpDate(std::string_view text);

// The offset to add to the local wall clock to match the server's: server_time - local_now.
constexpr resilience::Duration ClockSkew(resilience::SysTime server_time,
                                         resilience::SysTime local_now) noexcept {
  return server_time - local_now;
}

// ClockSkew from the response's Date header; nullopt when it has none or it does not parse.
std::optional<resilience::Duration> ClockSkewFromResponse(const HttpResponse& response,
                                                          resilience::SysTime local_now);

}  // namespace ohfp::aws
