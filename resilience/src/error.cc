#include "ohfp/resilience/error.h"

#include <array>
#include <string>
#include <utility>

#include "enum_names.h"

namespace ohfp::resilience {
namespace {

constexpr std::array<std::string_view, kErrorKindCount> kKindNames = {
    "throttled",      "transient",      "timeout",       "capacity",  "quota",
    "validation",     "authentication", "authorization", "not_found", "idempotency_mismatch",
    "already_exists", "clock_skew",     "circuit_open",  "cancelled", "internal",
    "unknown",
};

}  // namespace

std::string_view ErrorKindName(ErrorKind kind) noexcept {
  return internal::NameOf(kKindNames, kind);
}

std::optional<ErrorKind> ErrorKindFromName(std::string_view name) noexcept {
  return internal::ValueOf<ErrorKind>(kKindNames, name);
}

Error::Error(ErrorKind kind, std::string code, std::string message) : kind_(kind) {
  auto detail = std::make_shared<Detail>();
  detail->code = std::move(code);
  detail->message = std::move(message);
  detail_ = std::move(detail);
}

std::string_view Error::code() const noexcept {
  if (detail_ && !detail_->code.empty()) return detail_->code;
  return ErrorKindName(kind_);
}
std::string_view Error::message() const noexcept {
  return detail_ ? std::string_view(detail_->message) : "";
}
std::string_view Error::request_id() const noexcept {
  return detail_ ? std::string_view(detail_->request_id) : "";
}
int Error::http_status() const noexcept { return detail_ ? detail_->http_status : 0; }
std::optional<std::chrono::nanoseconds> Error::retry_after() const noexcept {
  return detail_ ? detail_->retry_after : std::nullopt;
}

Error::Detail& Error::MutableDetail() {
  // Copy on write: details may be shared by copies of this error.
  auto copy = detail_ ? std::make_shared<Detail>(*detail_) : std::make_shared<Detail>();
  Detail& ref = *copy;
  detail_ = std::move(copy);
  return ref;
}

Error Error::WithCode(std::string code) const {
  Error e = *this;
  e.MutableDetail().code = std::move(code);
  return e;
}
Error Error::WithMessage(std::string message) const {
  Error e = *this;
  e.MutableDetail().message = std::move(message);
  return e;
}
Error Error::WithRequestId(std::string request_id) const {
  Error e = *this;
  e.MutableDetail().request_id = std::move(request_id);
  return e;
}
Error Error::WithHttpStatus(int status) const {
  Error e = *this;
  e.MutableDetail().http_status = status;
  return e;
}
Error Error::WithRetryAfter(std::chrono::nanoseconds delay) const {
  Error e = *this;
  e.MutableDetail().retry_after = delay;
  return e;
}
Error Error::WithKind(ErrorKind kind) const {
  Error e = *this;
  e.kind_ = kind;
  return e;
}

std::string Error::ToString() const {
  std::string out(code());
  if (!message().empty()) {
    out += ": ";
    out += message();
  }
  const bool has_status = http_status() != 0;
  const bool has_id = !request_id().empty();
  if (has_status || has_id) {
    out += " (";
    if (has_status) out += "HTTP " + std::to_string(http_status());
    if (has_status && has_id) out += ", ";
    if (has_id) {
      out += "request id ";
      out += request_id();
    }
    out += ")";
  }
  return out;
}

bool operator==(const Error& a, const Error& b) noexcept {
  return a.kind() == b.kind() && a.code() == b.code() && a.message() == b.message() &&
         a.request_id() == b.request_id() && a.http_status() == b.http_status() &&
         a.retry_after() == b.retry_after();
}

}  // namespace ohfp::resilience
