#include "aws/ssm/parameters.h"

#include <chrono>
#include <cmath>
#include <nlohmann/json.hpp>

#include "aws/xml.h"

namespace ohfp::aws::ssm {

using resilience::Result;

Result<Parameter> GetParameter(AwsClient& client, const GetParameterRequest& request,
                               std::stop_token stop) {
  nlohmann::json body = {{"Name", request.name}};
  if (request.with_decryption) body["WithDecryption"] = true;
  Result<std::string> answer = client.CallJson(AwsService::kSsm, "GetParameter", body.dump(),
                                               "ssm_get_parameter", std::move(stop));
  if (!answer.ok()) return answer.error();
  const nlohmann::json doc = nlohmann::json::parse(*answer, nullptr, /*allow_exceptions=*/false);
  const nlohmann::json* p = nullptr;
  if (doc.is_object()) {
    if (auto it = doc.find("Parameter"); it != doc.end() && it->is_object()) p = &*it;
  }
  if (p == nullptr || !p->contains("Value") || !(*p)["Value"].is_string()) {
    return UnexpectedResponse("GetParameter answered without Parameter.Value for " + request.name);
  }
  const auto text = [&](const char* key) {
    auto it = p->find(key);
    return it != p->end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  Parameter out;
  out.name = text("Name");
  out.type = text("Type");
  out.value = text("Value");
  out.data_type = text("DataType");
  out.arn = text("ARN");
  if (auto it = p->find("Version"); it != p->end() && it->is_number_integer())
    out.version = it->get<std::int64_t>();
  // LastModifiedDate: epoch seconds, with a fraction.
  if (auto it = p->find("LastModifiedDate"); it != p->end() && it->is_number()) {
    const double seconds = it->get<double>();
    if (std::isfinite(seconds) && seconds >= 0) {
      out.last_modified =
          resilience::SysTime(std::chrono::duration_cast<resilience::SysTime::duration>(
              std::chrono::duration<double>(seconds)));
    }
  }
  return out;
}

}  // namespace ohfp::aws::ssm
