#include "aws/aws_error.h"

#include <cctype>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "aws/xml.h"
#include "base/untrusted_text.h"
#include "ohfp/resilience/classifier.h"

namespace ohfp::aws {

using base::ValidUtf8;
namespace {

using resilience::Error;
using resilience::ErrorClassifier;
using resilience::ErrorKind;

constexpr std::size_t kBodyExcerptBytes = 200;

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

std::string_view Trim(std::string_view text) {
  while (!text.empty() && IsSpace(text.front())) text.remove_prefix(1);
  while (!text.empty() && IsSpace(text.back())) text.remove_suffix(1);
  return text;
}

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool EqualsIgnoringCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && Lower(a) == Lower(b);
}

std::string_view ReasonPhrase(int status) {
  switch (status) {
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 413:
      return "Payload Too Large";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return "";
  }
}

std::string StatusLine(int status) {
  std::string line = "HTTP " + std::to_string(status);
  if (std::string_view reason = ReasonPhrase(status); !reason.empty())
    line.append(" ").append(reason);
  return line;
}

// The readable text of a non-XML body: tags removed, runs of whitespace and control characters
// collapsed to one space, valid UTF-8, at most kBodyExcerptBytes bytes (cut on a character
// boundary, then "...").
std::string BodyExcerpt(std::string_view body) {
  std::string text;
  bool in_tag = false;
  bool pending_space = false;
  for (char c : body) {
    if (in_tag) {
      if (c == '>') {
        in_tag = false;
        pending_space = true;  // <p>a</p><p>b</p> reads "a b"
      }
      continue;
    }
    if (c == '<') {
      in_tag = true;
      continue;
    }
    if (IsSpace(c) || static_cast<unsigned char>(c) < 0x20 || c == 0x7F) {
      pending_space = true;
      continue;
    }
    if (pending_space && !text.empty()) text.push_back(' ');
    pending_space = false;
    text.push_back(c);
    if (text.size() > kBodyExcerptBytes + 4) break;  // enough to know whether to cut
  }
  text = ValidUtf8(text);
  if (text.size() > kBodyExcerptBytes) {
    std::size_t cut = kBodyExcerptBytes;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
    text.resize(cut);
    text.append("...");
  }
  return text;
}

// The local name of the first element in `body`, after any BOM, XML declaration, comment, DOCTYPE.
std::string_view RootElementName(std::string_view body) {
  if (body.starts_with("\xEF\xBB\xBF")) body.remove_prefix(3);
  while (true) {
    body = Trim(body);
    if (!body.starts_with('<')) return {};
    std::string_view terminator;
    if (body.starts_with("<?")) {
      terminator = "?>";
    } else if (body.starts_with("<!--")) {
      terminator = "-->";
    } else if (body.starts_with("<!")) {
      terminator = ">";
    }
    if (terminator.empty()) break;
    const std::size_t end = body.find(terminator);
    if (end == std::string_view::npos) return {};
    body.remove_prefix(end + terminator.size());
  }
  body.remove_prefix(1);
  std::size_t end = 0;
  while (end < body.size() && !IsSpace(body[end]) && body[end] != '>' && body[end] != '/') ++end;
  std::string_view name = body.substr(0, end);
  if (const std::size_t colon = name.rfind(':'); colon != std::string_view::npos)
    name.remove_prefix(colon + 1);
  return name;
}

XmlNode ChildIgnoringCase(XmlNode parent, std::string_view name) {
  for (XmlNode child : parent.Elements()) {
    if (EqualsIgnoringCase(child.Name(), name)) return child;
  }
  return {};
}

// The message rules documented in aws_error.h. `kind` is the classifier's answer for the code.
ErrorKind ApplyMessageRules(ErrorKind kind, std::string_view code, std::string_view message) {
  if (code != "ValidationError") return kind;
  const std::string text = Lower(message);
  const bool not_found = text.find("not found") != std::string::npos;
  // Rule 1: an Auto Scaling group that does not exist.
  const bool names_group = text.find("autoscalinggroup") != std::string::npos ||
                           text.find("autoscaling group") != std::string::npos ||
                           text.find("auto scaling group") != std::string::npos ||
                           text.starts_with("group ");
  if (not_found && names_group) return ErrorKind::kNotFound;
  // Rule 2: an instance that is not (or no longer) in any Auto Scaling group.
  if (text.starts_with("instance id not found")) return ErrorKind::kNotFound;
  // Rule 3: an instance that is not in the group named (a repeated DetachInstances, or the instance
  // is gone).
  if (text.find("is not part of auto scaling group") != std::string::npos)
    return ErrorKind::kNotFound;
  return kind;
}

std::optional<std::chrono::nanoseconds> RetryAfter(const HttpResponse& response) {
  const std::optional<std::string_view> header = response.Header("Retry-After");
  if (!header) return std::nullopt;
  const std::string_view text = Trim(*header);
  std::int64_t seconds = 0;
  const std::from_chars_result parsed =
      std::from_chars(text.data(), text.data() + text.size(), seconds);
  if (text.empty() || parsed.ec != std::errc() || parsed.ptr != text.data() + text.size() ||
      seconds < 0) {
    return std::nullopt;  // not delta-seconds (an HTTP-date, garbage): ignored
  }
  constexpr std::int64_t kMaxSeconds =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::nanoseconds::max()).count();
  if (seconds > kMaxSeconds) return std::nullopt;
  return std::chrono::seconds(seconds);
}

// Codes of the JSON services that the classifier's table does not know (aws_error.h).
std::optional<ErrorKind> JsonServiceKind(std::string_view code) {
  if (code == "ParameterNotFound" || code == "ParameterVersionNotFound")
    return ErrorKind::kNotFound;
  if (code == "ValidationException" || code == "InvalidKeyId" ||
      code == "ParameterVersionLabelLimitExceeded" || code == "UnsupportedParameterType") {
    return ErrorKind::kValidation;
  }
  if (code == "InvalidSignatureException") return ErrorKind::kAuthentication;
  return std::nullopt;
}

// "com.amazonaws.ssm#ParameterNotFound" -> "ParameterNotFound"; "X:http://..." -> "X".
std::string_view BareErrorType(std::string_view type) {
  if (const std::size_t hash = type.rfind('#'); hash != std::string_view::npos)
    type.remove_prefix(hash + 1);
  if (const std::size_t colon = type.find(':'); colon != std::string_view::npos)
    type = type.substr(0, colon);
  return Trim(type);
}

// The error's kind, request id and Retry-After: the same for both protocols.
Error Finish(std::string code, std::string message, const HttpResponse& response,
             std::string request_id) {
  ErrorKind kind;
  if (!code.empty()) {
    kind = ApplyMessageRules(ErrorClassifier::KindOf(code, response.status), code, message);
    if (kind == ErrorKind::kUnknown) kind = JsonServiceKind(code).value_or(kind);
  } else {
    // Not an AWS error body (a proxy's page, or nothing): only the status counts.
    kind = ErrorClassifier::KindOf("", response.status);
    code = "Http" + std::to_string(response.status);
    if (message.empty()) {
      const std::string excerpt = BodyExcerpt(response.body);
      message = StatusLine(response.status) + (excerpt.empty() ? " (empty body)" : ": " + excerpt);
    }
  }
  if (request_id.empty()) {
    std::optional<std::string_view> header = response.Header("x-amzn-RequestId");
    if (!header) header = response.Header("x-amz-request-id");
    if (header) request_id = ValidUtf8(Trim(*header));
  }
  Error error = Error(kind, std::move(code), std::move(message)).WithHttpStatus(response.status);
  if (!request_id.empty()) error = error.WithRequestId(std::move(request_id));
  if (std::optional<std::chrono::nanoseconds> delay = RetryAfter(response)) {
    error = error.WithRetryAfter(*delay);
  }
  return error;
}

}  // namespace

bool IsErrorResponse(const HttpResponse& response) {
  if (response.status < 200 || response.status > 299) return true;
  const std::string_view root = RootElementName(response.body);
  return root == "Response" || root == "ErrorResponse" || root == "Error";
}

Error MapErrorResponse(const HttpResponse& response) {
  std::string code;
  std::string message;
  std::string request_id;
  if (!Trim(response.body).empty()) {
    if (resilience::Result<XmlDocument> document =
            XmlDocument::Parse(response.body, Utf8Text::kAllowed);
        document.ok()) {
      if (XmlNode error = document->Find("Error")) {
        code = ValidUtf8(Trim(ChildIgnoringCase(error, "Code").Text()));
        message = ValidUtf8(Trim(ChildIgnoringCase(error, "Message").Text()));
      }
      request_id = ValidUtf8(RequestIdOf(*document));
    }
  }
  return Finish(std::move(code), std::move(message), response, std::move(request_id));
}

Error MapJsonErrorResponse(const HttpResponse& response) {
  std::string code;
  std::string message;
  const nlohmann::json body =
      nlohmann::json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_object()) {
    for (const char* key : {"__type", "code", "Code"}) {
      if (auto it = body.find(key); it != body.end() && it->is_string()) {
        code = ValidUtf8(BareErrorType(it->get<std::string>()));
        break;
      }
    }
    for (const char* key : {"message", "Message", "errorMessage"}) {
      if (auto it = body.find(key); it != body.end() && it->is_string()) {
        message = ValidUtf8(Trim(it->get<std::string>()));
        break;
      }
    }
  }
  if (code.empty()) {
    if (std::optional<std::string_view> type = response.Header("x-amzn-ErrorType"))
      code = ValidUtf8(BareErrorType(*type));
  }
  if (!code.empty() && message.empty()) message = code;
  return Finish(std::move(code), std::move(message), response, "");
}

}  // namespace ohfp::aws
