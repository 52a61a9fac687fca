// Fuzz target: the chaos proxy's reading of a request (tools/chaos-proxy aws_request.h): Action,
// Version, service, every parameter of the query string and form body, the ClientToken.
//
// Input: byte 0 says which headers the request has (Content-Type form or other, Authorization,
// Host); their values, the request target and the body follow (FuzzedDataProvider strings).
//
// Checked: no crash, no sanitizer report; the parameters come out sorted; the fingerprint of the
// same parameters is the same; a ClientToken is only reported for EC2 and is one of the parameters.
#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "ohfp/chaos_proxy/aws_request.h"

namespace cp = ohfp::chaos_proxy;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  cp::HttpRequest request;
  request.method = "POST";
  const auto headers = in.ConsumeIntegral<std::uint8_t>();
  if ((headers & 1) != 0) {
    request.headers.emplace_back("Content-Type", (headers & 2) != 0
                                                     ? "application/x-www-form-urlencoded"
                                                     : in.ConsumeRandomLengthString(64));
  }
  if ((headers & 4) != 0) {
    request.headers.emplace_back("Authorization", in.ConsumeRandomLengthString(200));
  }
  if ((headers & 8) != 0) request.headers.emplace_back("Host", in.ConsumeRandomLengthString(64));
  request.target = in.ConsumeRandomLengthString(256);
  request.body = in.ConsumeRemainingBytesAsString();

  const cp::AwsRequest aws = cp::ParseAwsRequest(request);
  if (!std::is_sorted(aws.params.begin(), aws.params.end())) __builtin_trap();
  if (cp::ParameterFingerprint(aws.params) !=
      cp::ParameterFingerprint(cp::ParseAwsRequest(request).params)) {
    __builtin_trap();
  }
  if (!aws.client_token.empty()) {
    if (aws.service != cp::Service::kEc2) __builtin_trap();
    const cp::Param token{aws.client_token_param, aws.client_token};
    if (std::find(aws.params.begin(), aws.params.end(), token) == aws.params.end()) {
      __builtin_trap();
    }
  }
  static_cast<void>(cp::ServiceName(aws.service));
  return 0;
}
