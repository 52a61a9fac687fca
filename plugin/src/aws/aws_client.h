// aws/aws_client.h
//
// AwsClient: one AWS API call through the resilience pipeline: the Query protocol (EC2, Auto
// Scaling, CloudWatch: form-encoded parameters, XML answers) with Call(), the JSON 1.1 protocol
// (SSM: a JSON body and an X-Amz-Target header, JSON answers) with CallJson(). Per call it encodes
// the parameters once; per attempt it signs afresh (a new X-Amz-Date, the learned clock offset),
// sends once through the HttpTransport with the attempt's deadline and stop token, and turns the
// answer into an XmlDocument or a classified Error. Retrying is the pipeline's job alone; every
// attempt sends the same body, so a ClientToken in the parameters is the same on every retry of the
// call.
//
// Clock skew: when AWS answers RequestTimeTooSkewed / RequestExpired, the client takes the offset
// from the response's Date header and the pipeline's retry is signed with the corrected time. If
// the correction does not change anything (the offset was already applied, or there is no usable
// Date), the error becomes a non-retryable authentication error: one retry, not max_attempts of
// them.
//
// Answers: a 2xx is the answer to the action sent only when it is well-formed XML (within the
// XmlDocument limits: no DOCTYPE, at most kMaxXmlDepth levels) whose root element is
// <ActionResponse>, in the service's namespace (http://ec2.amazonaws.com/doc/2016-11-15/, ...)
// when the root names one. Anything else is kTransient "MalformedResponse" whose message says what
// came back (status, Content-Type, root element and namespace, the first bytes): a damaged or
// foreign answer is the service path's failure, retried and counted by the circuit breaker, never
// an empty result. Every typed operation (ec2/, autoscaling/, cloudwatch/) goes through Call(), so
// this is the one place the check is made. Bodies over the transport's max_response_body never get
// here (kTransient "ResponseTooLarge").
//
// Thread-safety: Call() and CallPages() are safe from any thread; the dependencies must be too.
//
// Example:
//   AwsClient client(region, endpoints, {.transport = sockets, .credentials = chain, .clock =
//   clock,
//                                         .pipeline = pipeline});
//   QueryParams p;
//   p.AddString("InstanceId.1", "i-0abc");
//   Result<XmlDocument> doc = client.Call(AwsService::kEc2, "DescribeInstances", p,
//                                         "ec2_describe_instances");
//   Result<std::string> json = client.CallJson(AwsService::kSsm, "GetParameter",
//                                              R"({"Name":"/a/b"})", "ssm_get_parameter");
#pragma once

#include <array>
#include <atomic>
#include <stop_token>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "aws/credentials.h"
#include "aws/endpoints.h"
#include "aws/http_transport.h"
#include "aws/query_params.h"
#include "aws/xml.h"
#include "ohfp/resilience/clock.h"
#include "ohfp/resilience/deadline.h"
#include "ohfp/resilience/function_ref.h"
#include "ohfp/resilience/pipeline.h"
#include "ohfp/resilience/result.h"

namespace ohfp::aws {

enum class AwsService { kEc2 = 0, kAutoScaling = 1, kCloudWatch = 2, kSsm = 3 };
inline constexpr int kAwsServiceCount = 4;

struct ServiceDescription {
  std::string_view signing_name;  // "ec2", "autoscaling", "monitoring", "ssm"
  std::string_view api_version;   // Query: "2016-11-15", "2011-01-01", "2010-08-01"
  // the breaker: "aws_ec2", "aws_autoscaling", "aws_cloudwatch", "aws_ssm"
  std::string_view resilience_service;
  // JSON 1.1 services: the X-Amz-Target prefix ("AmazonSSM"); empty for Query services.
  std::string_view json_target_prefix{};
};
const ServiceDescription& Describe(AwsService service) noexcept;

struct AwsClientDependencies {
  HttpTransport& transport;
  CredentialsProvider& credentials;
  const resilience::Clock& clock;
  resilience::ResiliencePipeline& pipeline;
};

// The endpoints of every service, resolved for `region` from the overrides and the environment.
[[nodiscard]] resilience::Result<std::array<Endpoint, kAwsServiceCount>> ResolveEndpoints(
    std::string_view region, const EndpointOverrides& overrides, const Environment& env);

class AwsClient {
 public:
  AwsClient(std::string region, std::array<Endpoint, kAwsServiceCount> endpoints,
            AwsClientDependencies dependencies);

  // `action` of `service` with `params`, through the pipeline under `operation` (its breaker is the
  // operation's service: the seed's names map ec2_* to aws_ec2, ...). Returns the parsed answer or
  // the error that ended the call.
  [[nodiscard]] resilience::Result<XmlDocument> Call(AwsService service, std::string_view action,
                                                     const QueryParams& params,
                                                     std::string_view operation,
                                                     std::stop_token stop = {});

  // Call() for an action that creates something under an idempotency token (a ClientToken) or a
  // unique name. Retries of such a call are safe, but they hide what an earlier attempt did: when
  // an attempt got no answer (a timeout, a reset, a 5xx that says nothing more) and a later one
  // ended with an error answer (throttled, refused), the first may still have created the
  // resource. The call's error then says the outcome is unknown: the kind of the unanswered
  // attempt, code "OutcomeUnknown", and both errors in the message. (An answer that the resource
  // exists, kAlreadyExists or kIdempotencyMismatch, is returned as it is: it settles the question.)
  [[nodiscard]] resilience::Result<XmlDocument> Create(AwsService service, std::string_view action,
                                                       const QueryParams& params,
                                                       std::string_view operation,
                                                       std::stop_token stop = {});

  // Follows pagination: calls `action` with `params`, hands each page's result node to `on_page`,
  // and repeats with NextToken until a page has none (or `max_pages`, a guard against a service
  // that never stops). Each page is one pipeline call. Stops at the first error, from the call or
  // from `on_page`.
  [[nodiscard]] resilience::Status CallPages(
      AwsService service, std::string_view action, QueryParams params, std::string_view operation,
      resilience::FunctionRef<resilience::Status(XmlNode result)> on_page,
      std::stop_token stop = {}, int max_pages = 1000);

  // Where a Describe call lists its items in each page's result: the `element`s under `set`.
  struct ItemPath {
    std::string_view set;
    std::string_view element = "item";  // "member" for Auto Scaling and CloudWatch
  };

  // CallPages for a listing: every page's items at `path`, each turned into a T by `parse`
  // (const XmlNode& -> T, or -> Result<T> to reject a malformed item, which ends the call).
  //   client.CollectPages<Fleet>(AwsService::kEc2, "DescribeFleets", p, "ec2_describe_fleets",
  //                              {.set = "fleetSet"}, ParseFleet, stop);
  template <typename T, typename Parse>
  [[nodiscard]] resilience::Result<std::vector<T>> CollectPages(
      AwsService service, std::string_view action, QueryParams params, std::string_view operation,
      ItemPath path, const Parse& parse, std::stop_token stop = {}) {
    std::vector<T> out;
    const resilience::Status s = CallPages(
        service, action, std::move(params), operation,
        [&](XmlNode result) -> resilience::Status {
          for (const XmlNode& item : result.Child(path.set).Children(path.element)) {
            if constexpr (std::is_same_v<std::invoke_result_t<const Parse&, const XmlNode&>,
                                         resilience::Result<T>>) {
              resilience::Result<T> parsed = parse(item);
              if (!parsed.ok()) return parsed.error();
              out.push_back(std::move(*parsed));
            } else {
              out.push_back(parse(item));
            }
          }
          return resilience::OkStatus();
        },
        std::move(stop));
    if (!s.ok()) return s.error();
    return out;
  }

  // `action` of a JSON 1.1 service (`service` has a json_target_prefix) with the JSON document
  // `body`, through the pipeline under `operation` (breaker: the service's). Each attempt is a
  // signed POST / with "X-Amz-Target: <prefix>.<action>" and "Content-Type:
  // application/x-amz-json-1.1". Returns the answer's body, a JSON document (a body that is not
  // one is a kTransient MalformedResponse), or the error that ended the call: a non-2xx answer is
  // mapped by MapJsonErrorResponse (aws_error.h).
  [[nodiscard]] resilience::Result<std::string> CallJson(AwsService service,
                                                         std::string_view action, std::string body,
                                                         std::string_view operation,
                                                         std::stop_token stop = {});

  // One attempt, without the pipeline: sign, send, parse, check that the answer is the response
  // to `action` (see "Answers" above). What the pipeline runs per attempt.
  [[nodiscard]] resilience::Result<XmlDocument> Attempt(AwsService service, std::string_view action,
                                                        const std::string& body,
                                                        resilience::Deadline deadline,
                                                        std::stop_token stop);
  // The same for the JSON protocol: `target` is the X-Amz-Target value.
  [[nodiscard]] resilience::Result<std::string> AttemptJson(AwsService service,
                                                            const std::string& target,
                                                            const std::string& body,
                                                            resilience::Deadline deadline,
                                                            std::stop_token stop);

  const std::string& region() const noexcept { return region_; }
  const Endpoint& endpoint(AwsService service) const noexcept {
    return endpoints_[static_cast<std::size_t>(service)];
  }
  // The correction added to the local wall clock when signing (learned from clock-skew answers).
  resilience::Duration clock_offset() const noexcept {
    return resilience::Duration(clock_offset_ns_.load(std::memory_order_relaxed));
  }

 private:
  const resilience::Operation& OperationFor(AwsService service, std::string_view operation);
  static resilience::ResiliencePipeline::Resources ResourcesOf(std::string_view action,
                                                               const QueryParams& params);
  resilience::Error OnClockSkew(const resilience::Error& error, const HttpResponse& response);
  // Signs `request` for `service` and sends it once: the answer, or the transport's error.
  resilience::Result<HttpResponse> SignAndSend(AwsService service, HttpRequest request,
                                               resilience::Deadline deadline, std::stop_token stop);

  std::string region_;
  std::array<Endpoint, kAwsServiceCount> endpoints_;
  HttpTransport& transport_;
  CredentialsProvider& credentials_;
  const resilience::Clock& clock_;
  resilience::ResiliencePipeline& pipeline_;
  std::atomic<std::int64_t> clock_offset_ns_{0};
};

}  // namespace ohfp::aws
