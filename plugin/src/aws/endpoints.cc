#include "aws/endpoints.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <utility>

namespace ohfp::aws {
namespace {

using resilience::Error;
using resilience::ErrorKind;

struct ServiceInfo {
  std::string_view signing_name;
  std::string_view env_variable;
};

constexpr std::array<ServiceInfo, 4> kServices = {{
    {"ec2", "AWS_ENDPOINT_URL_EC2"},
    {"autoscaling", "AWS_ENDPOINT_URL_AUTO_SCALING"},
    {"monitoring", "AWS_ENDPOINT_URL_CLOUDWATCH"},
    {"ssm", "AWS_ENDPOINT_URL_SSM"},
}};

constexpr std::string_view kRegionHint =
    "expected an AWS region name such as us-east-1, eu-west-2, us-gov-west-1 or cn-north-1";

bool IsLower(char c) { return c >= 'a' && c <= 'z'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlnum(char c) { return IsLower(c) || IsDigit(c) || (c >= 'A' && c <= 'Z'); }

bool AllOf(std::string_view s, bool (*pred)(char)) {
  return !s.empty() && std::all_of(s.begin(), s.end(), pred);
}

std::string ToLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

Error InvalidUrl(std::string_view url, std::string_view source, std::string_view why) {
  std::string message;
  message += source;
  message += "='";
  message += url;
  message += "' is not a valid endpoint URL: ";
  message += why;
  message += " (expected http(s)://host[:port][/path], e.g. http://127.0.0.1:5000)";
  return Error(ErrorKind::kValidation, "InvalidEndpoint", std::move(message));
}

bool IsValidHostName(std::string_view host) {
  return std::all_of(host.begin(), host.end(),
                     [](char c) { return IsAlnum(c) || c == '-' || c == '.' || c == '_'; });
}

bool IsValidIpv6Literal(std::string_view inside) {
  return !inside.empty() && std::all_of(inside.begin(), inside.end(), [](char c) {
    return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':' || c == '.';
  });
}

}  // namespace

resilience::Status ValidateRegion(std::string_view region) {
  // [a-z]{2}(-gov)?-[a-z]+-[0-9]{1,2}
  std::array<std::string_view, 5> parts{};
  std::size_t count = 0;
  std::size_t start = 0;
  bool too_many = false;
  while (start <= region.size()) {
    std::size_t end = region.find('-', start);
    if (end == std::string_view::npos) end = region.size();
    if (count == parts.size()) {
      too_many = true;
      break;
    }
    parts[count++] = region.substr(start, end - start);
    start = end + 1;
  }
  bool ok = !too_many && (count == 3 || count == 4);
  if (ok) {
    const std::string_view country = parts[0];
    const std::string_view word = parts[count - 2];
    const std::string_view number = parts[count - 1];
    ok = country.size() == 2 && AllOf(country, IsLower) && (count == 3 || parts[1] == "gov") &&
         AllOf(word, IsLower) && number.size() <= 2 && AllOf(number, IsDigit);
  }
  if (ok) return resilience::OkStatus();
  std::string message = "invalid AWS region '";
  message += region.substr(0, 64);
  message += "': ";
  message += kRegionHint;
  return Error(ErrorKind::kValidation, "InvalidRegion", std::move(message));
}

resilience::Result<std::string> ResolveRegion(const Environment& env,
                                              std::string_view configured_default) {
  std::string region;
  std::string source;
  if (std::optional<std::string> value = env.Get("AWS_REGION")) {
    region = std::move(*value);
    source = "AWS_REGION";
  } else if (std::optional<std::string> fallback = env.Get("AWS_DEFAULT_REGION")) {
    region = std::move(*fallback);
    source = "AWS_DEFAULT_REGION";
  } else if (!configured_default.empty()) {
    region = std::string(configured_default);
    source = "the configuration";
  } else {
    return Error(ErrorKind::kValidation, "MissingRegion",
                 "no AWS region: set AWS_REGION (or AWS_DEFAULT_REGION), or the region in the "
                 "plugin configuration");
  }
  if (resilience::Status valid = ValidateRegion(region); !valid.ok()) {
    const Error& error = valid.error();
    return error.WithMessage(std::string(error.message()) + " (from " + source + ")");
  }
  return region;
}

std::string EndpointUrl::Authority() const {
  std::string out = host;
  const bool is_default_port =
      !port || (scheme == "http" && *port == 80) || (scheme == "https" && *port == 443);
  if (!is_default_port) {
    out += ':';
    out += std::to_string(*port);
  }
  return out;
}

std::string EndpointUrl::ToString() const { return scheme + "://" + Authority() + path; }

resilience::Result<EndpointUrl> ParseEndpointUrl(std::string_view url, std::string_view source) {
  if (url.empty()) return InvalidUrl(url, source, "it is empty");
  for (char c : url) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte >= 0x7F) {
      return InvalidUrl(url, source, "it contains a space, a control or a non-ASCII character");
    }
  }
  const std::size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) {
    return InvalidUrl(url, source, "it has no scheme (http:// or https://)");
  }
  EndpointUrl parsed;
  parsed.scheme = ToLower(url.substr(0, scheme_end));
  if (parsed.scheme != "http" && parsed.scheme != "https") {
    return InvalidUrl(url, source, "the scheme must be http or https");
  }
  std::string_view rest = url.substr(scheme_end + 3);
  if (rest.find_first_of("?#") != std::string_view::npos) {
    return InvalidUrl(url, source, "it must not have a query or a fragment");
  }
  const std::size_t authority_end = rest.find('/');
  std::string_view authority = rest.substr(0, authority_end);
  std::string_view path =
      authority_end == std::string_view::npos ? std::string_view() : rest.substr(authority_end);
  if (authority.find('@') != std::string_view::npos) {
    return InvalidUrl(url, source, "it must not contain user info (user@host)");
  }

  std::string_view host;
  std::string_view port;
  bool has_port = false;
  if (!authority.empty() && authority.front() == '[') {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos || !IsValidIpv6Literal(authority.substr(1, close - 1))) {
      return InvalidUrl(url, source, "the IPv6 address is malformed");
    }
    host = authority.substr(0, close + 1);
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return InvalidUrl(url, source, "unexpected text after the host");
      port = after.substr(1);
      has_port = true;
    }
  } else {
    const std::size_t colon = authority.find(':');
    host = authority.substr(0, colon);
    if (colon != std::string_view::npos) {
      port = authority.substr(colon + 1);
      has_port = true;
    }
    if (!IsValidHostName(host)) {
      return InvalidUrl(url, source,
                        "the host name has characters other than letters, digits, '-', '.'");
    }
  }
  if (host.empty()) return InvalidUrl(url, source, "it has no host");
  parsed.host = ToLower(host);

  if (has_port) {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (port.empty() || port.size() > 5 || ec != std::errc() || end != port.data() + port.size() ||
        value == 0 || value > 65535) {
      return InvalidUrl(url, source, "the port must be a number from 1 to 65535");
    }
    parsed.port = static_cast<std::uint16_t>(value);
  }

  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  parsed.path = std::string(path);
  return parsed;
}

std::optional<std::string_view> EndpointEnvVariable(std::string_view service) noexcept {
  for (const ServiceInfo& info : kServices) {
    if (info.signing_name == service) return info.env_variable;
  }
  return std::nullopt;
}

resilience::Result<Endpoint> ResolveEndpoint(std::string_view service, std::string_view region,
                                             const EndpointOverrides& overrides,
                                             const Environment& env) {
  const std::optional<std::string_view> env_variable = EndpointEnvVariable(service);
  if (!env_variable) {
    return Error(ErrorKind::kValidation, "UnknownService",
                 "unknown AWS service '" + std::string(service.substr(0, 64)) +
                     "': expected ec2, autoscaling, monitoring or ssm");
  }
  if (resilience::Status valid = ValidateRegion(region); !valid.ok()) return valid.error();

  std::string url;
  std::string source;
  if (auto it = overrides.per_service.find(service);
      it != overrides.per_service.end() && !it->second.empty()) {
    url = it->second;
    source = "config (" + std::string(service) + ")";
  } else if (std::optional<std::string> per_service = env.Get(*env_variable)) {
    url = std::move(*per_service);
    source = std::string(*env_variable);
  } else if (std::optional<std::string> global = env.Get("AWS_ENDPOINT_URL")) {
    url = std::move(*global);
    source = "AWS_ENDPOINT_URL";
  } else if (!overrides.global.empty()) {
    url = overrides.global;
    source = "config (AWS_ENDPOINT_URL)";
  } else {
    url = "https://" + std::string(service) + "." + std::string(region) + ".amazonaws.com";
    if (region.starts_with("cn-")) url += ".cn";
    source = "default";
  }

  resilience::Result<EndpointUrl> parsed = ParseEndpointUrl(url, source);
  if (!parsed.ok()) return parsed.error();
  return Endpoint{.url = parsed->ToString(),
                  .host = parsed->Authority(),
                  .signing_name = std::string(service),
                  .signing_region = std::string(region),
                  .source = std::move(source)};
}

}  // namespace ohfp::aws
