// Fuzz target: the Query serializer (aws/query_params.h) round trip against a form parser: what
// QueryParams::EncodeForm writes, the chaos proxy's form parser (as a service reads a form body)
// must read back as exactly the parameters that were added, whatever bytes they hold.
//
// Input: FuzzedDataProvider: up to 64 (name, value) pairs of arbitrary bytes.
//
// Checked: the decoded body is Action, Version and every pair, byte for byte, in order; the body
// holds only unreserved characters, '%', '+', '=' and '&'.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "aws/query_params.h"
#include "ohfp/chaos_proxy/aws_request.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  const std::string action = in.ConsumeRandomLengthString(32);
  ohfp::aws::QueryParams params;
  std::vector<std::pair<std::string, std::string>> added;
  std::set<std::string> names;
  const int count = in.ConsumeIntegralInRange(0, 64);
  for (int i = 0; i < count && in.remaining_bytes() > 0; ++i) {
    std::string name = in.ConsumeRandomLengthString(32);
    std::string value = in.ConsumeRandomLengthString(128);
    // Names are non-empty and unique (QueryParams asserts it), and never Action or Version.
    if (name.empty() || name == "Action" || name == "Version" || !names.insert(name).second)
      continue;
    params.AddString(name, value);
    added.emplace_back(std::move(name), std::move(value));
  }
  const std::string body = params.EncodeForm(action, "2016-11-15");
  for (const char c : body) {
    const bool allowed = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                         (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' || c == '~' ||
                         c == '%' || c == '+' || c == '=' || c == '&';
    if (!allowed) __builtin_trap();
  }
  const std::vector<ohfp::chaos_proxy::Param> read = ohfp::chaos_proxy::ParseFormUrlEncoded(body);
  std::vector<std::pair<std::string, std::string>> expected = {{"Action", action},
                                                               {"Version", "2016-11-15"}};
  expected.insert(expected.end(), added.begin(), added.end());
  if (read != expected) __builtin_trap();
  return 0;
}
