// Fuzz target: the AWS error mapper (aws/aws_error.h) on any HTTP answer: IsErrorResponse, then
// MapErrorResponse, as AwsClient uses them.
//
// Input (FuzzedDataProvider): the last two bytes the status (100-599), the byte before them which
// headers the answer has (Retry-After, x-amzn-RequestId, Date); their values are strings from the
// front, the rest is the body.
//
// Checked: no crash, no sanitizer report; an error's code, message and request id are valid UTF-8
// (they go into JSON output); a non-2xx answer is always an error; a 2xx mapped anyway has a code.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "aws/aws_error.h"

namespace {

// Throws nlohmann::json::type_error (an uncaught exception: a crash to the fuzzer) when `text` is
// not valid UTF-8, as printing it in a JSON document would.
void MustBeJsonText(const std::string& text) { static_cast<void>(nlohmann::json(text).dump()); }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  ohfp::aws::HttpResponse response;
  response.status = in.ConsumeIntegralInRange<int>(100, 599);
  const auto headers = in.ConsumeIntegral<std::uint8_t>();
  if ((headers & 1) != 0)
    response.headers.emplace_back("Retry-After", in.ConsumeRandomLengthString(32));
  if ((headers & 2) != 0) {
    response.headers.emplace_back("x-amzn-RequestId", in.ConsumeRandomLengthString(64));
  }
  if ((headers & 4) != 0) response.headers.emplace_back("Date", in.ConsumeRandomLengthString(40));
  response.body = in.ConsumeRemainingBytesAsString();

  const bool is_error = ohfp::aws::IsErrorResponse(response);
  if ((response.status < 200 || response.status > 299) && !is_error) __builtin_trap();
  const ohfp::resilience::Error error = ohfp::aws::MapErrorResponse(response);
  if (error.code().empty()) __builtin_trap();
  MustBeJsonText(std::string(error.code()));
  MustBeJsonText(std::string(error.message()));
  MustBeJsonText(std::string(error.request_id()));
  static_cast<void>(error.ToString());
  return 0;
}
