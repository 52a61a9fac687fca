#include "ohfp/chaos_proxy/log_sink.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <ctime>

namespace ohfp::chaos_proxy {
namespace {

std::string FormatSeconds(resilience::Duration d) {
  std::array<char, 32> text{};
  std::snprintf(text.data(), text.size(), "%.3f", resilience::ToSeconds(d));
  return text.data();
}

std::string Iso8601(resilience::SysTime time) {
  const auto since_epoch = time.time_since_epoch();
  const auto seconds = std::chrono::floor<std::chrono::seconds>(since_epoch);
  const auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch - seconds).count();
  const std::time_t t = static_cast<std::time_t>(seconds.count());
  std::tm utc{};
  gmtime_r(&t, &utc);
  std::array<char, 96> text{};
  std::snprintf(text.data(), text.size(), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                static_cast<int>(millis));
  return text.data();
}

// Values with spaces or quotes are quoted, so a line splits cleanly on spaces.
// Control characters are escaped too, so a request can never start a log line of its own.
std::string Value(std::string_view value) {
  const auto is_control = [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7F;
  };
  if (!value.empty() && value.find_first_of(" \"=\\") == std::string_view::npos &&
      std::none_of(value.begin(), value.end(), is_control)) {
    return std::string(value);
  }
  std::string out = "\"";
  for (char c : value) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (is_control(c)) {
      std::array<char, 8> escaped{};
      std::snprintf(escaped.data(), escaped.size(), "\\x%02x",
                    static_cast<unsigned>(static_cast<unsigned char>(c)));
      out += escaped.data();
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
  return out;
}

std::string RequestPart(const ProxyEvent& event) {
  std::string out = " action=" + Value(event.action.empty() ? "-" : event.action);
  out += " service=" + std::string(ServiceName(event.service));
  return out;
}

std::string StatusPart(const ProxyEvent& event) {
  return event.status == 0 ? " status=none" : " status=" + std::to_string(event.status);
}

}  // namespace

std::string FormatEvent(const ProxyEvent& event) {
  std::string line = "t=" + FormatSeconds(event.elapsed) + "s ";
  switch (event.kind) {
    case EventKind::kFault: {
      const FaultType type = event.fault.value_or(FaultType::kThrottle);
      line += "fault=" + std::string(FaultTypeName(type)) + " rule=" + Value(event.rule) +
              RequestPart(event);
      switch (type) {
        case FaultType::kLatency:
          line += " ms=" + std::to_string(event.delay.count()) + " (then forwarded)";
          break;
        case FaultType::kHang:
          line += " ms=" + std::to_string(event.delay.count()) + " status=none (then closed)";
          break;
        case FaultType::kReset:
          line += " status=none (connection reset)";
          break;
        case FaultType::kDropResponse:
          line += " (forwarded; the response will be dropped)";
          break;
        case FaultType::kThrottle:
        case FaultType::kError:
        case FaultType::kCapacity:
        case FaultType::kRespond:
          line += StatusPart(event);
          break;
      }
      break;
    }
    case EventKind::kModelThrottle:
      line += "throttled bucket=" + Value(event.detail) + RequestPart(event) + StatusPart(event);
      break;
    case EventKind::kIdempotentReplay:
      line += "idempotent-replay" + RequestPart(event) + " token=" + Value(event.client_token) +
              StatusPart(event);
      break;
    case EventKind::kIdempotencyMismatch:
      line += "idempotency-mismatch" + RequestPart(event) + " token=" + Value(event.client_token) +
              StatusPart(event);
      break;
    case EventKind::kUpstreamError:
      line += "upstream-error" + RequestPart(event) + StatusPart(event) +
              " error=" + Value(event.detail);
      break;
    case EventKind::kRulesReplaced:
      line += "rules-replaced " + Value(event.detail);
      break;
    case EventKind::kReset:
      line += "reset (statistics, time origin, idempotency cache, token buckets)";
      break;
  }
  return line;
}

void LogSink::OnEvent(const ProxyEvent& event) {
  const std::string line =
      Iso8601(clock_.SystemNow()) + " chaos-proxy " + FormatEvent(event) + "\n";
  std::lock_guard lock(mu_);
  out_ << line << std::flush;
}

}  // namespace ohfp::chaos_proxy
