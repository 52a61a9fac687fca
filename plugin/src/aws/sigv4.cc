#include "aws/sigv4.h"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <map>
#include <utility>
#include <vector>

#include "base/time_text.h"

namespace ohfp::aws {
namespace {

using resilience::Error;
using resilience::ErrorKind;
using resilience::SysTime;

constexpr std::string_view kHexDigits = "0123456789abcdef";
constexpr std::string_view kUpperHexDigits = "0123456789ABCDEF";

char ToLowerAscii(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string ToLowerAscii(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = ToLowerAscii(c);
  return out;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return ToLowerAscii(x) == ToLowerAscii(y);
         });
}

bool IsUnreserved(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

bool IsHttpSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// Percent-encodes every byte but the unreserved ones (and '/' when `keep_slash`), with uppercase
// hex.
std::string UriEncode(std::string_view s, bool keep_slash) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (IsUnreserved(c) || (keep_slash && c == '/')) {
      out += c;
    } else {
      const auto byte = static_cast<unsigned char>(c);
      out += '%';
      out += kUpperHexDigits[byte >> 4];
      out += kUpperHexDigits[byte & 0x0F];
    }
  }
  return out;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Decodes valid %XX escapes; a '%' not followed by two hex digits stays as it is.
std::string PercentDecode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      const int hi = HexValue(s[i + 1]);
      const int lo = HexValue(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out += static_cast<char>((hi << 4) | lo);
        i += 2;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}

std::string ToHex(const unsigned char* data, std::size_t size) {
  std::string out;
  out.reserve(size * 2);
  for (std::size_t i = 0; i < size; ++i) {
    out += kHexDigits[data[i] >> 4];
    out += kHexDigits[data[i] & 0x0F];
  }
  return out;
}

using Digest = std::array<unsigned char, 32>;

bool HmacSha256(std::string_view key, std::string_view data, Digest& out) {
  char digest_name[] = "SHA256";
  std::size_t out_size = 0;
  const unsigned char* result =
      EVP_Q_mac(nullptr, "HMAC", nullptr, digest_name, nullptr, key.data(), key.size(),
                reinterpret_cast<const unsigned char*>(data.data()),  // NOLINT: byte view
                data.size(), out.data(), out.size(), &out_size);
  return result != nullptr && out_size == out.size();
}

std::string_view AsView(const Digest& d) {
  return {reinterpret_cast<const char*>(d.data()), d.size()};  // NOLINT: byte view
}

// The parts of a request URL SigV4 needs. Works on absolute and origin-form URLs and tolerates raw
// bytes.
struct UrlParts {
  std::string_view scheme;
  std::string_view authority;  // empty for origin-form
  std::string_view path;
  std::string_view query;
};

UrlParts SplitUrl(std::string_view url) {
  UrlParts parts;
  std::string_view rest = url;
  if (const std::size_t fragment = rest.find('#'); fragment != std::string_view::npos) {
    rest = rest.substr(0, fragment);
  }
  const std::size_t scheme_end = rest.find("://");
  if (scheme_end != std::string_view::npos && rest.find_first_of("/?") > scheme_end) {
    parts.scheme = rest.substr(0, scheme_end);
    rest.remove_prefix(scheme_end + 3);
    const std::size_t authority_end = rest.find_first_of("/?");
    parts.authority = rest.substr(0, authority_end);
    rest =
        authority_end == std::string_view::npos ? std::string_view() : rest.substr(authority_end);
  }
  const std::size_t query_start = rest.find('?');
  parts.path = rest.substr(0, query_start);
  if (query_start != std::string_view::npos) parts.query = rest.substr(query_start + 1);
  return parts;
}

// Removes "." and ".." segments and empty segments; keeps a trailing '/' of a non-root path.
std::string NormalizePath(std::string_view path) {
  std::vector<std::string_view> segments;
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    const std::string_view segment = path.substr(start, end - start);
    if (segment == "..") {
      if (!segments.empty()) segments.pop_back();
    } else if (!segment.empty() && segment != ".") {
      segments.push_back(segment);
    }
    start = end + 1;
  }
  std::string out = "/";
  for (std::size_t i = 0; i < segments.size(); ++i) {
    if (i > 0) out += '/';
    out += segments[i];
  }
  if (!segments.empty() && !path.empty() && path.back() == '/') out += '/';
  return out;
}

std::string CanonicalQuery(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> params;
  std::size_t start = 0;
  while (start <= query.size() && !query.empty()) {
    std::size_t end = query.find('&', start);
    if (end == std::string_view::npos) end = query.size();
    const std::string_view param = query.substr(start, end - start);
    if (!param.empty()) {
      const std::size_t eq = param.find('=');
      const std::string_view name = param.substr(0, eq);
      const std::string_view value =
          eq == std::string_view::npos ? std::string_view() : param.substr(eq + 1);
      params.emplace_back(UriEncode(PercentDecode(name), false),
                          UriEncode(PercentDecode(value), false));
    }
    start = end + 1;
  }
  std::sort(params.begin(), params.end());
  std::string out;
  for (const auto& [name, value] : params) {
    if (!out.empty()) out += '&';
    out += name;
    out += '=';
    out += value;
  }
  return out;
}

// Trims and collapses runs of whitespace (including folded lines) to one space.
std::string CanonicalHeaderValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  bool pending_space = false;
  for (char c : value) {
    if (IsHttpSpace(c)) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out += ' ';
    pending_space = false;
    out += c;
  }
  return out;
}

// Sets the first header named `name` to `value` (removing later ones), or appends it.
void SetHeader(Headers& headers, std::string_view name, std::string value) {
  bool found = false;
  for (auto it = headers.begin(); it != headers.end();) {
    if (EqualsIgnoreCase(it->first, name)) {
      if (found) {
        it = headers.erase(it);
        continue;
      }
      it->second = value;
      found = true;
    }
    ++it;
  }
  if (!found) headers.emplace_back(std::string(name), std::move(value));
}

void RemoveHeader(Headers& headers, std::string_view name) {
  std::erase_if(headers, [&](const auto& h) { return EqualsIgnoreCase(h.first, name); });
}

// The Host header for an authority: user info dropped, default port for the scheme dropped.
std::string HostFromAuthority(std::string_view scheme, std::string_view authority) {
  if (const std::size_t at = authority.rfind('@'); at != std::string_view::npos) {
    authority.remove_prefix(at + 1);
  }
  const std::size_t bracket = authority.rfind(']');
  const std::size_t colon = authority.rfind(':');
  if (colon != std::string_view::npos && (bracket == std::string_view::npos || colon > bracket)) {
    const std::string_view port = authority.substr(colon + 1);
    const bool is_default = port.empty() || (EqualsIgnoreCase(scheme, "http") && port == "80") ||
                            (EqualsIgnoreCase(scheme, "https") && port == "443");
    if (is_default) authority = authority.substr(0, colon);
  }
  return ToLowerAscii(authority);
}

constexpr std::array<std::string_view, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

std::optional<unsigned> ParseMonth(std::string_view name) {
  for (std::size_t i = 0; i < kMonths.size(); ++i) {
    if (name == kMonths[i]) return static_cast<unsigned>(i + 1);
  }
  return std::nullopt;
}

std::optional<int> ParseNumber(std::string_view digits, std::size_t min_len, std::size_t max_len) {
  if (digits.size() < min_len || digits.size() > max_len) return std::nullopt;
  int value = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (ec != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
  return value;
}

bool IsAlphaWord(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
  });
}

std::vector<std::string_view> SplitSpaces(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && s[i] == ' ') ++i;
    const std::size_t start = i;
    while (i < s.size() && s[i] != ' ') ++i;
    if (i > start) out.push_back(s.substr(start, i - start));
  }
  return out;
}

constexpr int kMinYear = 1900;
constexpr int kMaxYear = 2200;

std::optional<SysTime> MakeTime(int year, std::optional<unsigned> month, std::optional<int> day,
                                std::string_view hms) {
  using namespace std::chrono;
  if (!month || !day || hms.size() != 8 || hms[2] != ':' || hms[5] != ':') return std::nullopt;
  const auto hour = ParseNumber(hms.substr(0, 2), 2, 2);
  const auto minute = ParseNumber(hms.substr(3, 2), 2, 2);
  const auto second = ParseNumber(hms.substr(6, 2), 2, 2);
  if (!hour || !minute || !second || *hour > 23 || *minute > 59 || *second > 60 || *day < 1) {
    return std::nullopt;
  }
  // SysTime counts nanoseconds in 64 bits: 1677 to 2262. A Date beyond that (found by fuzzing:
  // "4030" overflowed) is not one to correct the clock from.
  if (year < kMinYear || year > kMaxYear) return std::nullopt;
  const year_month_day ymd{std::chrono::year{year}, std::chrono::month{*month},
                           std::chrono::day{static_cast<unsigned>(*day)}};
  if (!ymd.ok()) return std::nullopt;
  return SysTime(sys_days(ymd)) + hours(*hour) + minutes(*minute) + seconds(*second);
}

std::optional<SysTime> ParseHttpDateImpl(std::string_view text) {
  const std::vector<std::string_view> tokens = SplitSpaces(text);
  if (tokens.empty()) return std::nullopt;
  const std::string_view first = tokens[0];
  if (first.size() > 1 && first.back() == ',' && IsAlphaWord(first.substr(0, first.size() - 1))) {
    if (tokens.size() == 6 && tokens[5] == "GMT") {  // Sun, 06 Nov 1994 08:49:37 GMT
      const auto year = ParseNumber(tokens[3], 4, 4);
      if (!year) return std::nullopt;
      return MakeTime(*year, ParseMonth(tokens[2]), ParseNumber(tokens[1], 1, 2), tokens[4]);
    }
    if (tokens.size() == 4 && tokens[3] == "GMT") {  // Sunday, 06-Nov-94 08:49:37 GMT
      const std::string_view dmy = tokens[1];
      if (dmy.size() != 9 || dmy[2] != '-' || dmy[6] != '-') return std::nullopt;
      const auto yy = ParseNumber(dmy.substr(7, 2), 2, 2);
      if (!yy) return std::nullopt;
      const int year = *yy < 70 ? 2000 + *yy : 1900 + *yy;
      return MakeTime(year, ParseMonth(dmy.substr(3, 3)), ParseNumber(dmy.substr(0, 2), 2, 2),
                      tokens[2]);
    }
    return std::nullopt;
  }
  if (tokens.size() == 5 && IsAlphaWord(first)) {  // Sun Nov  6 08:49:37 1994
    const auto year = ParseNumber(tokens[4], 4, 4);
    if (!year) return std::nullopt;
    return MakeTime(*year, ParseMonth(tokens[1]), ParseNumber(tokens[2], 1, 2), tokens[3]);
  }
  return std::nullopt;
}

}  // namespace

std::string CredentialScope::ToString() const {
  std::string out;
  out.reserve(date.size() + region.size() + service.size() + 16);
  out += date;
  out += '/';
  out += region;
  out += '/';
  out += service;
  out += "/aws4_request";
  return out;
}

std::string HexSha256(std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned int size = 0;
  if (EVP_Digest(data.data(), data.size(), md.data(), &size, EVP_sha256(), nullptr) != 1) {
    return std::string();
  }
  return ToHex(md.data(), size);
}

CanonicalForm CanonicalRequest(const HttpRequest& request) {
  const UrlParts url = SplitUrl(request.url);

  // Lowercased name -> values in order of appearance; the map sorts the names.
  std::map<std::string, std::vector<std::string>> headers;
  for (const auto& [name, value] : request.headers) {
    std::string lower = ToLowerAscii(name);
    if (lower == "authorization") continue;  // a previous signature is never signed
    headers[std::move(lower)].push_back(CanonicalHeaderValue(value));
  }

  CanonicalForm form;
  std::string& out = form.request;
  out += request.method;
  out += '\n';
  out += UriEncode(NormalizePath(url.path), true);
  out += '\n';
  out += CanonicalQuery(url.query);
  out += '\n';
  for (const auto& [name, values] : headers) {
    out += name;
    out += ':';
    for (std::size_t i = 0; i < values.size(); ++i) {
      if (i > 0) out += ',';
      out += values[i];
    }
    out += '\n';
    if (!form.signed_headers.empty()) form.signed_headers += ';';
    form.signed_headers += name;
  }
  out += '\n';
  out += form.signed_headers;
  out += '\n';
  out += HexSha256(request.body);
  return form;
}

std::string StringToSign(std::string_view amz_date, const CredentialScope& scope,
                         std::string_view canonical_request) {
  std::string out(kSigV4Algorithm);
  out += '\n';
  out += amz_date;
  out += '\n';
  out += scope.ToString();
  out += '\n';
  out += HexSha256(canonical_request);
  return out;
}

std::string Signature(std::string_view secret_access_key, const CredentialScope& scope,
                      std::string_view string_to_sign) {
  std::string key = "AWS4";
  key += secret_access_key;
  Digest k_date{};
  Digest k_region{};
  Digest k_service{};
  Digest k_signing{};
  Digest signature{};
  const bool ok = HmacSha256(key, scope.date, k_date) &&
                  HmacSha256(AsView(k_date), scope.region, k_region) &&
                  HmacSha256(AsView(k_region), scope.service, k_service) &&
                  HmacSha256(AsView(k_service), "aws4_request", k_signing) &&
                  HmacSha256(AsView(k_signing), string_to_sign, signature);
  std::fill(key.begin(), key.end(), '\0');
  if (!ok) return std::string();
  return ToHex(signature.data(), signature.size());
}

std::string FormatAmzDate(SysTime time) { return base::FormatIso8601Basic(time); }

resilience::Status SignRequest(HttpRequest& request, const Credentials& credentials,
                               std::string_view region, std::string_view service,
                               resilience::SysTime now) {
  if (credentials.access_key_id.empty() || credentials.secret_access_key.empty()) {
    return Error(ErrorKind::kAuthentication, "MissingCredentials",
                 "cannot sign the request: the access key id or the secret access key is empty");
  }
  if (region.empty() || service.empty()) {
    return Error(ErrorKind::kValidation, "InvalidSigningScope",
                 "cannot sign the request: the region or the service name is empty");
  }
  if (!FindHeader(request.headers, "Host")) {
    const UrlParts url = SplitUrl(request.url);
    const std::string host = HostFromAuthority(url.scheme, url.authority);
    if (host.empty()) {
      return Error(ErrorKind::kValidation, "InvalidUrl",
                   "cannot sign the request: it has no Host header and its URL has no host");
    }
    request.headers.emplace_back("Host", host);
  }

  RemoveHeader(request.headers, "Authorization");
  const std::string amz_date = FormatAmzDate(now);
  SetHeader(request.headers, "X-Amz-Date", amz_date);
  if (credentials.session_token.empty()) {
    RemoveHeader(request.headers, "X-Amz-Security-Token");
  } else {
    SetHeader(request.headers, "X-Amz-Security-Token", credentials.session_token);
  }

  const CanonicalForm form = CanonicalRequest(request);
  const CredentialScope scope{amz_date.substr(0, 8), std::string(region), std::string(service)};
  const std::string signature =
      Signature(credentials.secret_access_key, scope, StringToSign(amz_date, scope, form.request));
  if (signature.empty()) {
    return Error(ErrorKind::kInternal, "SigningFailed", "OpenSSL could not compute HMAC-SHA256");
  }

  std::string authorization(kSigV4Algorithm);
  authorization += " Credential=";
  authorization += credentials.access_key_id;
  authorization += '/';
  authorization += scope.ToString();
  authorization += ", SignedHeaders=";
  authorization += form.signed_headers;
  authorization += ", Signature=";
  authorization += signature;
  request.headers.emplace_back("Authorization", std::move(authorization));
  return resilience::OkStatus();
}

resilience::Result<SysTime> ParseHttpDate(std::string_view text) {
  if (std::optional<SysTime> time = ParseHttpDateImpl(text)) return *time;
  return Error(ErrorKind::kValidation, "InvalidHttpDate",
               "not an HTTP date (expected e.g. 'Sun, 30 Aug 2015 12:36:00 GMT'): '" +
                   std::string(text.substr(0, 64)) + "'");
}

std::optional<resilience::Duration> ClockSkewFromResponse(const HttpResponse& response,
                                                          SysTime local_now) {
  const std::optional<std::string_view> date = response.Header("Date");
  if (!date) return std::nullopt;
  resilience::Result<SysTime> server_time = ParseHttpDate(*date);
  if (!server_time.ok()) return std::nullopt;
  return ClockSkew(*server_time, local_now);
}

}  // namespace ohfp::aws
