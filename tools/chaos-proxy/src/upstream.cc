#include "ohfp/chaos_proxy/upstream.h"

#include <httplib.h>

#include <array>
#include <charconv>

namespace ohfp::chaos_proxy {
namespace {

using resilience::Error;
using resilience::ErrorKind;

constexpr std::array<std::string_view, 10> kHopByHopHeaders = {"Connection",
                                                               "Keep-Alive",
                                                               "Proxy-Connection",
                                                               "Proxy-Authenticate",
                                                               "Proxy-Authorization",
                                                               "TE",
                                                               "Trailer",
                                                               "Transfer-Encoding",
                                                               "Upgrade",
                                                               "Expect"};

Error BadUrl(std::string_view url, std::string_view why) {
  return Error(ErrorKind::kValidation, "InvalidUpstreamUrl",
               "invalid upstream URL \"" + std::string(url) + "\": " + std::string(why) +
                   " (expected http://HOST:PORT, e.g. http://127.0.0.1:5000)");
}

template <class Rep, class Period>
std::pair<time_t, time_t> SecondsAndMicros(std::chrono::duration<Rep, Period> d) {
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(d).count();
  return {static_cast<time_t>(us / 1'000'000), static_cast<time_t>(us % 1'000'000)};
}

}  // namespace

bool IsHopByHopHeader(std::string_view name) noexcept {
  for (std::string_view header : kHopByHopHeaders) {
    if (EqualsIgnoreCase(header, name)) return true;
  }
  return false;
}

std::string UpstreamUrl::ToString() const {
  const bool ipv6 = host.find(':') != std::string::npos;
  return scheme + "://" + (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

resilience::Result<UpstreamUrl> ParseUpstreamUrl(std::string_view url) {
  UpstreamUrl out;
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return BadUrl(url, "missing scheme");
  out.scheme = std::string(url.substr(0, scheme_end));
  if (out.scheme != "http" && out.scheme != "https")
    return BadUrl(url, "the scheme must be http or https");
  std::string_view rest = url.substr(scheme_end + 3);
  if (const auto slash = rest.find('/'); slash != std::string_view::npos) {
    if (rest.substr(slash) != "/") return BadUrl(url, "a path is not supported");
    rest = rest.substr(0, slash);
  }
  if (rest.find_first_of("?#@") != std::string_view::npos) {
    return BadUrl(url, "queries, fragments and user info are not supported");
  }
  std::string_view port_text;
  if (!rest.empty() && rest.front() == '[') {
    const auto close = rest.find(']');
    if (close == std::string_view::npos) return BadUrl(url, "unterminated IPv6 address");
    out.host = std::string(rest.substr(1, close - 1));
    const std::string_view after = rest.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return BadUrl(url, "unexpected text after the IPv6 address");
      port_text = after.substr(1);
    }
  } else {
    const auto colon = rest.find(':');
    out.host = std::string(rest.substr(0, colon));
    if (colon != std::string_view::npos) port_text = rest.substr(colon + 1);
  }
  if (out.host.empty()) return BadUrl(url, "missing host");
  if (port_text.empty()) {
    out.port = out.scheme == "https" ? 443 : 80;
  } else {
    const auto [end, ec] =
        std::from_chars(port_text.data(), port_text.data() + port_text.size(), out.port);
    if (ec != std::errc() || end != port_text.data() + port_text.size() || out.port < 1 ||
        out.port > 65535) {
      return BadUrl(url, "the port must be a number from 1 to 65535");
    }
  }
  return out;
}

resilience::Result<std::unique_ptr<HttplibUpstream>> HttplibUpstream::Create(
    UpstreamOptions options) {
  auto url = ParseUpstreamUrl(options.url);
  if (!url.ok()) return url.error();
  if (url->scheme == "https") {
#ifndef CPPHTTPLIB_OPENSSL_SUPPORT
    return BadUrl(options.url, "this build of cpp-httplib has no TLS support");
#endif
  }
  return std::unique_ptr<HttplibUpstream>(new HttplibUpstream(std::move(*url), std::move(options)));
}

UpstreamResult HttplibUpstream::Forward(const HttpRequest& request, std::stop_token stop) {
  UpstreamResult result;
  if (stop.stop_requested()) {
    result.cancelled = true;
    result.error = "the proxy is shutting down";
    return result;
  }
  httplib::Client client(url_.ToString());
  client.set_keep_alive(false);
  client.set_decompress(false);  // pass bodies through exactly as the upstream encoded them
  client.set_url_encode(false);  // the target is forwarded byte for byte
  client.set_follow_location(false);
  const auto [connect_s, connect_us] = SecondsAndMicros(options_.connect_timeout);
  client.set_connection_timeout(connect_s, connect_us);
  const auto [read_s, read_us] = SecondsAndMicros(options_.read_timeout);
  client.set_read_timeout(read_s, read_us);
  client.set_write_timeout(read_s, read_us);

  httplib::Request upstream_request;
  upstream_request.method = request.method;
  upstream_request.path = request.target;
  upstream_request.body = request.body;
  for (const auto& [name, value] : request.headers) {
    if (IsHopByHopHeader(name) || EqualsIgnoreCase(name, "Content-Length")) continue;
    upstream_request.headers.emplace(name, value);
  }
  // cpp-httplib asks for compression when the request does not say; keep the client's choice
  // instead.
  if (!upstream_request.has_header("Accept-Encoding")) {
    upstream_request.headers.emplace("Accept-Encoding", "identity");
  }

  // Shutting down interrupts the call: Client::stop() closes its socket from this callback's
  // thread.
  std::stop_callback on_stop(stop, [&client] { client.stop(); });
  httplib::Result answer = client.send(upstream_request);
  if (!answer) {
    result.cancelled = stop.stop_requested();
    result.error =
        result.cancelled ? "the proxy is shutting down" : httplib::to_string(answer.error());
    return result;
  }
  HttpResponse response;
  response.status = answer->status;
  response.body = std::move(answer->body);
  for (const auto& [name, value] : answer->headers) {
    if (IsHopByHopHeader(name) || EqualsIgnoreCase(name, "Content-Length")) continue;
    response.headers.emplace_back(name, value);
  }
  result.response = std::move(response);
  return result;
}

}  // namespace ohfp::chaos_proxy
