#include "ohfp/chaos_proxy/aws_request.h"

#include <algorithm>
#include <array>

namespace ohfp::chaos_proxy {
namespace {

struct ServiceInfo {
  Service service;
  std::string_view name;
  std::string_view version;
};

constexpr std::array<ServiceInfo, 3> kServices = {{
    {Service::kEc2, "ec2", "2016-11-15"},
    {Service::kAutoScaling, "autoscaling", "2011-01-01"},
    {Service::kCloudWatch, "monitoring", "2010-08-01"},
}};

// The parameters that carry an EC2 idempotency token, in the order they are looked for.
constexpr std::array<std::string_view, 2> kClientTokenParams = {
    "ClientToken", "SpotFleetRequestConfig.ClientToken"};

int HexValue(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<Service> ServiceFromVersion(std::string_view version) noexcept {
  for (const auto& info : kServices) {
    if (info.version == version) return info.service;
  }
  return std::nullopt;
}

// "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/ec2/aws4_request, SignedHeaders=..." -> ec2.
std::optional<Service> ServiceFromAuthorization(std::string_view authorization) noexcept {
  constexpr std::string_view kCredential = "Credential=";
  const auto start = authorization.find(kCredential);
  if (start == std::string_view::npos) return std::nullopt;
  std::string_view scope = authorization.substr(start + kCredential.size());
  scope = scope.substr(0, scope.find_first_of(", "));
  // key/date/region/service/aws4_request: the service is the fourth of five parts.
  std::array<std::string_view, 5> parts{};
  std::size_t count = 0;
  while (count < parts.size()) {
    const auto slash = scope.find('/');
    parts[count++] = scope.substr(0, slash);
    if (slash == std::string_view::npos) break;
    scope.remove_prefix(slash + 1);
  }
  if (count != parts.size()) return std::nullopt;
  return ServiceFromName(parts[3]);
}

// "ec2.us-east-1.amazonaws.com:443" -> ec2; also "autoscaling.amazonaws.com", "monitoring...".
std::optional<Service> ServiceFromHost(std::string_view host) noexcept {
  const auto dot = host.find('.');
  if (dot == std::string_view::npos) return std::nullopt;
  return ServiceFromName(host.substr(0, dot));
}

// "/ec2/..." -> ec2 (some local endpoints route by path).
std::optional<Service> ServiceFromPath(std::string_view path) noexcept {
  if (path.empty() || path.front() != '/') return std::nullopt;
  path.remove_prefix(1);
  return ServiceFromName(path.substr(0, path.find('/')));
}

std::string_view FindParam(const std::vector<Param>& params, std::string_view name) noexcept {
  for (const auto& [key, value] : params) {
    if (key == name) return value;
  }
  return {};
}

}  // namespace

std::string_view ServiceName(Service service) noexcept {
  for (const auto& info : kServices) {
    if (info.service == service) return info.name;
  }
  return "unknown";
}

std::optional<Service> ServiceFromName(std::string_view name) noexcept {
  for (const auto& info : kServices) {
    if (info.name == name) return info.service;
  }
  return std::nullopt;
}

std::string PercentDecode(std::string_view text, bool plus_as_space) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '%' && i + 2 < text.size()) {
      const int hi = HexValue(text[i + 1]);
      const int lo = HexValue(text[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(plus_as_space && c == '+' ? ' ' : c);
  }
  return out;
}

std::vector<Param> ParseFormUrlEncoded(std::string_view text) {
  std::vector<Param> params;
  while (!text.empty()) {
    const auto amp = text.find('&');
    const std::string_view piece = text.substr(0, amp);
    if (!piece.empty()) {
      const auto eq = piece.find('=');
      if (eq == std::string_view::npos) {
        params.emplace_back(PercentDecode(piece, true), std::string());
      } else {
        params.emplace_back(PercentDecode(piece.substr(0, eq), true),
                            PercentDecode(piece.substr(eq + 1), true));
      }
    }
    if (amp == std::string_view::npos) break;
    text.remove_prefix(amp + 1);
  }
  return params;
}

std::string ParameterFingerprint(const std::vector<Param>& sorted_params) {
  // Length-prefixed, so no choice of names or values can make two different sets collide.
  std::string out;
  for (const auto& [name, value] : sorted_params) {
    out += std::to_string(name.size());
    out += ':';
    out += name;
    out += std::to_string(value.size());
    out += ':';
    out += value;
  }
  return out;
}

AwsRequest ParseAwsRequest(const HttpRequest& request) {
  AwsRequest aws;
  aws.params = ParseFormUrlEncoded(TargetQuery(request.target));
  const auto content_type = FindHeader(request.headers, "Content-Type");
  // AWS requires the form content type; tolerate its absence, but never parse JSON or XML bodies as
  // forms.
  if (!content_type || content_type->find("x-www-form-urlencoded") != std::string_view::npos) {
    auto body_params = ParseFormUrlEncoded(request.body);
    aws.params.insert(aws.params.end(), std::make_move_iterator(body_params.begin()),
                      std::make_move_iterator(body_params.end()));
  }
  std::sort(aws.params.begin(), aws.params.end());
  aws.action = std::string(FindParam(aws.params, "Action"));
  aws.version = std::string(FindParam(aws.params, "Version"));

  std::optional<Service> service = ServiceFromVersion(aws.version);
  if (!service) {
    if (auto authorization = FindHeader(request.headers, "Authorization")) {
      service = ServiceFromAuthorization(*authorization);
    }
  }
  if (!service) {
    if (auto host = FindHeader(request.headers, "Host")) service = ServiceFromHost(*host);
  }
  if (!service) service = ServiceFromPath(TargetPath(request.target));
  aws.service = service.value_or(Service::kUnknown);

  if (aws.service == Service::kEc2) {
    for (std::string_view param : kClientTokenParams) {
      const std::string_view token = FindParam(aws.params, param);
      if (!token.empty()) {
        aws.client_token = std::string(token);
        aws.client_token_param = std::string(param);
        break;
      }
    }
  }
  return aws;
}

}  // namespace ohfp::chaos_proxy
