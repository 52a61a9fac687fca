#include "aws/aws_client.h"

#include <algorithm>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <optional>

#include "aws/aws_error.h"
#include "aws/resilience_tables.h"
#include "aws/sigv4.h"

namespace ohfp::aws {
namespace {

using resilience::Duration;
using resilience::Error;
using resilience::ErrorKind;
using resilience::Result;
using resilience::Status;

constexpr std::array<ServiceDescription, kAwsServiceCount> kServices = {{
    {"ec2", "2016-11-15", "aws_ec2"},
    {"autoscaling", "2011-01-01", "aws_autoscaling"},
    {"monitoring", "2010-08-01", "aws_cloudwatch"},
    {"ssm", "2014-11-06", "aws_ssm", "AmazonSSM"},
}};

// A correction smaller than this is noise (the Date header has whole seconds).
constexpr Duration kSkewResolution = std::chrono::seconds(2);

// True when an attempt's error means no answer came back, so the attempt may have done its work:
// a timeout, a cancellation, a network or 5xx fault, a 5xx or missing answer ohfp could not
// classify, or a success it could not read.
bool Unanswered(const Error& e) {
  switch (e.kind()) {
    case ErrorKind::kTimeout:
    case ErrorKind::kCancelled:
    case ErrorKind::kTransient:
      return true;
    case ErrorKind::kUnknown:
      return e.http_status() == 0 || e.http_status() >= 500;
    case ErrorKind::kInternal:
      return e.http_status() != 0;
    default:
      return false;
  }
}

constexpr std::size_t kFirstBytes = 80;

// At most `limit` bytes of untrusted `text`, printable ASCII only (control characters become
// spaces, other bytes '?'), "..." when cut: safe in a log line or a JSON message.
std::string FirstBytes(std::string_view text, std::size_t limit) {
  std::string out;
  out.reserve(std::min(text.size(), limit) + 3);
  for (char c : text.substr(0, limit)) {
    const auto byte = static_cast<unsigned char>(c);
    out.push_back(byte < 0x20 || byte == 0x7F ? ' ' : byte >= 0x80 ? '?' : c);
  }
  if (text.size() > limit) out.append("...");
  return out;
}

// " (Content-Type text/html)", or "" when the response has none.
std::string ContentTypeOf(const HttpResponse& response) {
  const std::optional<std::string_view> type = response.Header("Content-Type");
  if (!type) return {};
  return " (Content-Type " + FirstBytes(*type, kFirstBytes) + ")";
}

// Whether `uri` is the XML namespace AWS gives `service`'s answers:
// http://ec2.amazonaws.com/doc/2016-11-15/ (moto writes it without the last slash).
bool IsServiceNamespace(std::string_view uri, AwsService service) {
  const ServiceDescription& d = Describe(service);
  if (uri.starts_with("https://")) {
    uri.remove_prefix(8);
  } else if (uri.starts_with("http://")) {
    uri.remove_prefix(7);
  } else {
    return false;
  }
  if (uri.ends_with('/')) uri.remove_suffix(1);
  return uri == std::string(d.signing_name) + ".amazonaws.com/doc/" + std::string(d.api_version);
}

// A 200 is an answer to `action` only when its root element is <ActionResponse>, in the service's
// namespace when it names one. Anything else (another action's answer, a proxy's HTML page that
// happens to be well-formed, an unrelated document) is not an answer: read as one, its missing
// lists would look like "nothing there".
Status CheckIsAnswerTo(const XmlDocument& doc, AwsService service, std::string_view action,
                       const HttpResponse& response) {
  const XmlNode root = doc.Root();
  const std::string_view name = root.Name();
  const std::string_view uri = root.NamespaceUri();
  const bool named_right =
      name.size() == action.size() + 8 && name.starts_with(action) && name.ends_with("Response");
  if (named_right && (uri.empty() || IsServiceNamespace(uri, service))) {
    return resilience::OkStatus();
  }
  std::string what = std::string(action) + " answered HTTP " + std::to_string(response.status) +
                     ContentTypeOf(response) + " with <" + FirstBytes(name, kFirstBytes) + ">";
  if (!uri.empty()) what += " in namespace '" + FirstBytes(uri, kFirstBytes) + "'";
  what += " where <" + std::string(action) + "Response>";
  if (named_right) {
    what += " in namespace http://" + std::string(Describe(service).signing_name) +
            ".amazonaws.com/doc/" + std::string(Describe(service).api_version) + "/";
  }
  what += " was expected; body starts '" + FirstBytes(response.body, kFirstBytes) + "'";
  return Error(ErrorKind::kTransient, "MalformedResponse", std::move(what))
      .WithHttpStatus(response.status);
}

}  // namespace

const ServiceDescription& Describe(AwsService service) noexcept {
  return kServices[static_cast<std::size_t>(service)];
}

Result<std::array<Endpoint, kAwsServiceCount>> ResolveEndpoints(std::string_view region,
                                                                const EndpointOverrides& overrides,
                                                                const Environment& env) {
  std::array<Endpoint, kAwsServiceCount> out;
  for (std::size_t i = 0; i < kServices.size(); ++i) {
    Result<Endpoint> e = ResolveEndpoint(kServices[i].signing_name, region, overrides, env);
    if (!e.ok()) return e.error();
    out[i] = *e;
  }
  return out;
}

AwsClient::AwsClient(std::string region, std::array<Endpoint, kAwsServiceCount> endpoints,
                     AwsClientDependencies dependencies)
    : region_(std::move(region)),
      endpoints_(std::move(endpoints)),
      transport_(dependencies.transport),
      credentials_(dependencies.credentials),
      clock_(dependencies.clock),
      pipeline_(dependencies.pipeline) {}

// The breaker is the operation's when its name says (spot_fleet_* calls go to EC2's endpoint but
// have their own breaker, aws_spot_fleet, as the seed configures them), else the endpoint's.
const resilience::Operation& AwsClient::OperationFor(AwsService service,
                                                     std::string_view operation) {
  return pipeline_.operation(operation,
                             ServiceOf(operation).value_or(Describe(service).resilience_service));
}

// RunInstances and TerminateInstances also spend one token per instance (the rate limiter).
resilience::ResiliencePipeline::Resources AwsClient::ResourcesOf(std::string_view action,
                                                                 const QueryParams& params) {
  return resilience::ResiliencePipeline::Resources{ResourceCount(action, params)};
}

Result<XmlDocument> AwsClient::Call(AwsService service, std::string_view action,
                                    const QueryParams& params, std::string_view operation,
                                    std::stop_token stop) {
  const std::string body = params.EncodeForm(action, Describe(service).api_version);
  return pipeline_.Execute(
      OperationFor(service, operation), ResourcesOf(action, params),
      [&](const resilience::AttemptContext& attempt) {
        return Attempt(service, action, body, attempt.deadline, attempt.stop);
      },
      std::move(stop));
}

Result<XmlDocument> AwsClient::Create(AwsService service, std::string_view action,
                                      const QueryParams& params, std::string_view operation,
                                      std::stop_token stop) {
  const std::string body = params.EncodeForm(action, Describe(service).api_version);
  std::optional<Error> unanswered;
  int unanswered_attempt = 0;
  Result<XmlDocument> result = pipeline_.Execute(
      OperationFor(service, operation), ResourcesOf(action, params),
      [&](const resilience::AttemptContext& attempt) {
        Result<XmlDocument> r = Attempt(service, action, body, attempt.deadline, attempt.stop);
        if (!r.ok() && !unanswered && Unanswered(r.error())) {
          unanswered = r.error();
          unanswered_attempt = attempt.attempt;
        }
        return r;
      },
      std::move(stop));
  if (result.ok() || !unanswered || Unanswered(result.error())) return result;
  // An answer that the resource exists already settles what the unanswered attempt did.
  if (result.error().kind() == ErrorKind::kAlreadyExists ||
      result.error().kind() == ErrorKind::kIdempotencyMismatch) {
    return result;
  }
  return Error(unanswered->kind(), "OutcomeUnknown",
               std::string(action) + " attempt " + std::to_string(unanswered_attempt) +
                   " got no answer (" + unanswered->ToString() +
                   ") and may have succeeded; the last attempt: " + result.error().ToString());
}

Status AwsClient::CallPages(AwsService service, std::string_view action, QueryParams params,
                            std::string_view operation,
                            resilience::FunctionRef<Status(XmlNode result)> on_page,
                            std::stop_token stop, int max_pages) {
  std::optional<std::string> token;
  for (int page = 0; page < max_pages; ++page) {
    QueryParams page_params = params;
    if (token) page_params.AddString("NextToken", *token);
    Result<XmlDocument> doc = Call(service, action, page_params, operation, stop);
    if (!doc.ok()) return doc.error();
    const XmlNode result = ResultOf(*doc);
    if (Status s = on_page(result); !s.ok()) return s;
    token = NextTokenOf(result);
    if (!token || token->empty()) return resilience::OkStatus();
  }
  return Error(ErrorKind::kInternal, "TooManyPages",
               std::string(action) + " returned more than " + std::to_string(max_pages) + " pages");
}

Result<std::string> AwsClient::CallJson(AwsService service, std::string_view action,
                                        std::string body, std::string_view operation,
                                        std::stop_token stop) {
  const ServiceDescription& d = Describe(service);
  if (d.json_target_prefix.empty()) {
    return Error(ErrorKind::kInternal, "NotAJsonService",
                 std::string(d.signing_name) + " does not speak the JSON protocol");
  }
  const std::string target = std::string(d.json_target_prefix) + "." + std::string(action);
  return pipeline_.Execute(
      OperationFor(service, operation),
      [&](const resilience::AttemptContext& attempt) {
        return AttemptJson(service, target, body, attempt.deadline, attempt.stop);
      },
      std::move(stop));
}

Result<HttpResponse> AwsClient::SignAndSend(AwsService service, HttpRequest request,
                                            resilience::Deadline deadline, std::stop_token stop) {
  Result<Credentials> credentials = credentials_.Get();
  if (!credentials.ok()) return credentials.error();
  const Endpoint& endpoint = endpoints_[static_cast<std::size_t>(service)];
  request.method = "POST";
  request.url = endpoint.url + "/";
  request.headers.emplace_back("Host", endpoint.host);
  const resilience::SysTime now = clock_.SystemNow() + clock_offset();
  if (Status s =
          SignRequest(request, *credentials, endpoint.signing_region, endpoint.signing_name, now);
      !s.ok()) {
    return s.error();
  }
  return transport_.Send(request, deadline, std::move(stop));
}

Result<XmlDocument> AwsClient::Attempt(AwsService service, std::string_view action,
                                       const std::string& body, resilience::Deadline deadline,
                                       std::stop_token stop) {
  HttpRequest request;
  request.headers = {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}};
  request.body = body;
  Result<HttpResponse> response = SignAndSend(service, std::move(request), deadline, stop);
  if (!response.ok()) return response.error();
  if (IsErrorResponse(*response)) {
    Error error = MapErrorResponse(*response);
    if (error.kind() == ErrorKind::kClockSkew) return OnClockSkew(error, *response);
    return error;
  }
  Result<XmlDocument> doc = XmlDocument::Parse(response->body);
  if (!doc.ok()) {
    return doc.error()
        .WithMessage(std::string(action) + " answered HTTP " + std::to_string(response->status) +
                     ContentTypeOf(*response) + ": " + std::string(doc.error().message()))
        .WithHttpStatus(response->status);
  }
  if (Status s = CheckIsAnswerTo(*doc, service, action, *response); !s.ok()) return s.error();
  return doc;
}

Result<std::string> AwsClient::AttemptJson(AwsService service, const std::string& target,
                                           const std::string& body, resilience::Deadline deadline,
                                           std::stop_token stop) {
  HttpRequest request;
  request.headers = {{"Content-Type", "application/x-amz-json-1.1"}, {"X-Amz-Target", target}};
  request.body = body;
  Result<HttpResponse> response = SignAndSend(service, std::move(request), deadline, stop);
  if (!response.ok()) return response.error();
  if (response->status < 200 || response->status > 299) {
    Error error = MapJsonErrorResponse(*response);
    if (error.kind() == ErrorKind::kClockSkew) return OnClockSkew(error, *response);
    return error;
  }
  if (!nlohmann::json::accept(response->body)) {
    return Error(ErrorKind::kTransient, "MalformedResponse",
                 target + " answered HTTP " + std::to_string(response->status) +
                     " with a body that is not JSON")
        .WithHttpStatus(response->status);
  }
  return std::move(response->body);
}

Error AwsClient::OnClockSkew(const Error& error, const HttpResponse& response) {
  const std::optional<Duration> skew = ClockSkewFromResponse(response, clock_.SystemNow());
  const Duration applied = clock_offset();
  if (skew && std::chrono::abs(*skew - applied) >= kSkewResolution) {
    clock_offset_ns_.store(skew->count(), std::memory_order_relaxed);
    return error;  // kClockSkew: the pipeline retries, signed with the corrected time
  }
  return error.WithKind(ErrorKind::kAuthentication)
      .WithMessage(std::string(error.message()) +
                   (skew ? " (the clock offset from the response's Date header was already applied)"
                         : " (the response has no usable Date header to correct the clock from)"));
}

}  // namespace ohfp::aws
