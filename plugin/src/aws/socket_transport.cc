#include "aws/socket_transport.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <optional>
#include <utility>

#include "aws/endpoints.h"
#include "aws/http/connection.h"
#include "aws/http/response_parser.h"
#include "aws/http/tls_context.h"
#include "aws/http/waiter.h"

namespace ohfp::aws {
namespace {

using http::Connection;
using http::IoResult;
using http::IoStatus;
using resilience::Deadline;
using resilience::Error;
using resilience::ErrorKind;
using resilience::Result;

// An idle connection older than this is closed rather than reused: servers drop idle connections
// after a while (AWS endpoints after about 20-60 s), and a reuse that fails costs an attempt.
constexpr resilience::Duration kMaxIdle = std::chrono::seconds(30);
// The default port of a proxy given without one (libcurl's, so configurations behave the same).
constexpr std::uint16_t kDefaultProxyPort = 1080;
constexpr std::size_t kReadBuffer = 16 * 1024;

// Where a request goes: the URL taken apart.
struct Target {
  bool https = false;
  std::string host;  // for connecting and TLS: no IPv6 brackets
  std::uint16_t port = 0;
  bool port_given = false;  // the URL names its port
  std::string authority;    // the Host header: host[:port], brackets kept
  std::string path;         // the request target in origin form: "/path?query"
  std::string origin;       // scheme://authority: the pool key and the absolute form's prefix
};

Error Invalid(std::string message) {
  return Error(ErrorKind::kValidation, "InvalidRequest", std::move(message));
}

Result<Target> ParseTarget(std::string_view url, std::string_view source) {
  const std::size_t scheme_end = url.find("://");
  const std::size_t authority_end =
      scheme_end == std::string_view::npos ? url.size() : url.find_first_of("/?#", scheme_end + 3);
  Result<EndpointUrl> base = ParseEndpointUrl(url.substr(0, authority_end), source);
  if (!base.ok()) return Invalid(std::string(base.error().message()));
  std::string_view rest =
      authority_end == std::string_view::npos ? std::string_view() : url.substr(authority_end);
  rest = rest.substr(0, rest.find('#'));  // a fragment is never sent
  if (std::any_of(rest.begin(), rest.end(), [](char c) {
        const auto byte = static_cast<unsigned char>(c);
        return byte <= 0x20 || byte >= 0x7F;
      })) {
    return Invalid(std::string(source) + " has a space, a control or a non-ASCII character");
  }
  Target target;
  target.https = base->scheme == "https";
  target.port = base->port.value_or(target.https ? 443 : 80);
  target.port_given = base->port.has_value();
  target.host = base->host;
  if (target.host.starts_with('[')) target.host = target.host.substr(1, target.host.size() - 2);
  target.authority = base->Authority();
  target.origin = base->scheme + "://" + target.authority;
  target.path = rest.empty() || rest.front() == '?' ? "/" + std::string(rest) : std::string(rest);
  return target;
}

Result<std::optional<Target>> ParseProxy(const TransportOptions& options) {
  if (options.proxy_host.empty()) return std::optional<Target>();
  const std::string url = options.proxy_host.find("://") == std::string::npos
                              ? "http://" + options.proxy_host
                              : options.proxy_host;
  Result<Target> proxy = ParseTarget(url, "the proxy");
  if (!proxy.ok()) return proxy.error();
  if (proxy->https) return Invalid("the proxy '" + url + "' must be an http:// proxy");
  proxy->port = options.proxy_port.value_or(proxy->port_given ? proxy->port : kDefaultProxyPort);
  return std::optional<Target>(std::move(*proxy));
}

bool NeedsContentLength(const HttpRequest& request) {
  return !request.body.empty() || request.method == "POST" || request.method == "PUT" ||
         request.method == "PATCH";
}

// The request line and headers. `absolute`: the request line names the whole URL (a plain-HTTP
// request to a proxy).
std::string RequestHead(const HttpRequest& request, const Target& target, bool absolute,
                        const std::string& user_agent) {
  std::string head;
  head.reserve(256 + request.headers.size() * 64);
  head += request.method;
  head += ' ';
  if (absolute) head += target.origin;
  head += target.path;
  head += " HTTP/1.1\r\n";
  if (!FindHeader(request.headers, "Host")) head += "Host: " + target.authority + "\r\n";
  for (const auto& [name, value] : request.headers) {
    head += name;
    head += value.empty() ? ":" : ": ";
    head += value;
    head += "\r\n";
  }
  if (!FindHeader(request.headers, "User-Agent")) head += "User-Agent: " + user_agent + "\r\n";
  if (NeedsContentLength(request) && !FindHeader(request.headers, "Content-Length")) {
    head += "Content-Length: " + std::to_string(request.body.size()) + "\r\n";
  }
  head += "\r\n";
  return head;
}

// Framing is the transport's: a Content-Length that disagrees with the body, or a
// Transfer-Encoding, would desynchronise the connection.
resilience::Status CheckFraming(const HttpRequest& request) {
  if (FindHeader(request.headers, "Transfer-Encoding")) {
    return Invalid("the Transfer-Encoding header is the transport's to set");
  }
  const auto lengths =
      std::count_if(request.headers.begin(), request.headers.end(), [](const auto& header) {
        constexpr std::string_view kName = "content-length";
        return std::equal(
            header.first.begin(), header.first.end(), kName.begin(), kName.end(),
            [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == b; });
      });
  if (lengths > 1) return Invalid("the request has more than one Content-Length header");
  const std::optional<std::string_view> length = FindHeader(request.headers, "Content-Length");
  if (length && *length != std::to_string(request.body.size())) {
    return Invalid("Content-Length " + std::string(length->substr(0, 20)) +
                   " does not match the body's " + std::to_string(request.body.size()) + " bytes");
  }
  return resilience::OkStatus();
}

// An I/O failure as the transport's error. `connecting`: before the request was sent.
Error IoError(const HttpRequest& request, const IoResult& io, bool connecting) {
  const std::string what = DescribeRequest(request) + ": ";
  switch (io.status) {
    case IoStatus::kTimeout:
      return Error(ErrorKind::kTimeout, "Timeout", what + "timed out " + io.detail);
    case IoStatus::kCancelled:
      return Error(ErrorKind::kCancelled, "Cancelled", what + "cancelled " + io.detail);
    case IoStatus::kRejected:
      return Error(ErrorKind::kValidation, "TlsVerificationFailed", what + io.detail);
    case IoStatus::kClosed:
      return Error(ErrorKind::kTransient, "ConnectionBroken",
                   what + "the server closed the connection " + io.detail);
    case IoStatus::kOk:
    case IoStatus::kFailed:
      break;
  }
  return Error(ErrorKind::kTransient, connecting ? "ConnectionFailed" : "ConnectionBroken",
               what + io.detail);
}

// Reads one response from `connection` into `parser`; kOk when the parser is done or failed.
IoResult ReadResponse(Connection& connection, http::ResponseParser& parser,
                      const http::Waiter& waiter, Deadline limit = Deadline::Infinite()) {
  std::array<char, kReadBuffer> buffer;
  while (parser.state() == http::ResponseParser::State::kReading) {
    IoResult r = connection.Read(buffer.data(), buffer.size(), waiter, limit);
    if (r.ok()) {
      parser.Feed(std::string_view(buffer.data(), r.bytes));
    } else if (r.status == IoStatus::kClosed && !connection.closed_cleanly() &&
               parser.reading_until_eof()) {
      // Only TLS's close_notify tells a complete body from a cut one here.
      return IoResult{.status = IoStatus::kFailed,
                      .bytes = 0,
                      .detail =
                          "the TLS connection ended without close_notify before a response "
                          "delimited by the end of the connection: it may be truncated"};
    } else if (r.status == IoStatus::kClosed) {
      parser.FinishAtEof();
    } else {
      return r;
    }
  }
  return {};
}

// Opens a CONNECT tunnel through the proxy `connection` is connected to.
IoResult OpenTunnel(Connection& connection, const Target& target, const std::string& user_agent,
                    const http::Waiter& waiter, Deadline limit) {
  const bool ipv6 = target.host.find(':') != std::string::npos;
  const std::string authority =
      (ipv6 ? "[" + target.host + "]" : target.host) + ":" + std::to_string(target.port);
  const std::string head = "CONNECT " + authority + " HTTP/1.1\r\nHost: " + authority +
                           "\r\nUser-Agent: " + user_agent + "\r\n\r\n";
  IoResult r = connection.Write(head, waiter, limit);
  if (!r.ok()) return r;
  http::ResponseParser parser({.no_body = true});
  r = ReadResponse(connection, parser, waiter, limit);
  if (!r.ok()) return r;
  if (parser.state() != http::ResponseParser::State::kDone) {
    return IoResult{.status = IoStatus::kFailed,
                    .bytes = 0,
                    .detail = "the proxy's answer to CONNECT " + authority + ": " + parser.error()};
  }
  const int status = parser.Take().status;
  if (status < 200 || status > 299) {
    return IoResult{.status = IoStatus::kFailed,
                    .bytes = 0,
                    .detail = "the proxy refused CONNECT " + authority + " with HTTP " +
                              std::to_string(status)};
  }
  return {};
}

}  // namespace

struct SocketTransport::Idle {
  std::string key;
  std::unique_ptr<Connection> connection;
  resilience::MonoTime since;
};

SocketTransport::SocketTransport(const resilience::Clock& clock, TransportOptions options)
    : clock_(clock), options_(std::move(options)) {}

SocketTransport::~SocketTransport() = default;

std::size_t SocketTransport::idle_connections() const {
  std::lock_guard lock(mu_);
  return idle_.size();
}

std::unique_ptr<Connection> SocketTransport::TakeIdle(const std::string& key) {
  while (true) {
    Idle idle;
    {
      std::lock_guard lock(mu_);
      const auto it = std::find_if(idle_.rbegin(), idle_.rend(),
                                   [&](const Idle& entry) { return entry.key == key; });
      if (it == idle_.rend()) return nullptr;
      idle = std::move(*it);
      idle_.erase(std::next(it).base());
    }
    if (clock_.Now() - idle.since < kMaxIdle && idle.connection->ReadyForReuse()) {
      return std::move(idle.connection);
    }
    // Stale: closed here, outside the lock; try the next one.
  }
}

void SocketTransport::PutIdle(std::string key, std::unique_ptr<Connection> connection) {
  std::unique_lock lock(mu_);
  if (options_.max_idle_connections == 0) return;
  Idle evicted;
  if (idle_.size() >= options_.max_idle_connections) {
    evicted = std::move(idle_.front());
    idle_.erase(idle_.begin());
  }
  idle_.push_back(Idle{std::move(key), std::move(connection), clock_.Now()});
  lock.unlock();
  // An evicted connection closes here, outside the lock.
}

Result<const http::TlsContext*> SocketTransport::Tls() {
  std::lock_guard lock(mu_);
  if (!tls_) {
    Result<std::unique_ptr<http::TlsContext>> created =
        http::TlsContext::Create(options_.ca_bundle);
    if (!created.ok()) return created.error();
    tls_ = std::move(*created);
  }
  return static_cast<const http::TlsContext*>(tls_.get());
}

Result<HttpResponse> SocketTransport::Send(const HttpRequest& request, Deadline deadline,
                                           std::stop_token stop) {
  Result<Target> target = ParseTarget(request.url, "the URL '" + request.url.substr(0, 256) + "'");
  if (!target.ok()) return target.error();
  Result<std::optional<Target>> proxy = ParseProxy(options_);
  if (!proxy.ok()) return proxy.error();
  if (resilience::Status framing = CheckFraming(request); !framing.ok()) return framing.error();
  const resilience::Status ready = CheckBeforeSending(request, deadline, clock_.Now(), stop);
  if (!ready.ok()) return ready.error();

  const http::TlsContext* tls = nullptr;
  if (target->https) {
    Result<const http::TlsContext*> context = Tls();
    if (!context.ok()) return context.error();
    tls = *context;
  }

  http::Waiter waiter(clock_, deadline, stop);
  std::unique_ptr<Connection> connection = TakeIdle(target->origin);
  const bool reused = connection != nullptr;
  if (!reused) {
    connection = std::make_unique<Connection>();
    const Deadline connect_limit = Deadline::After(clock_.Now(), options_.connect_timeout);
    const Target& peer = proxy->has_value() ? **proxy : *target;
    IoResult r = connection->Dial(peer.host, peer.port, waiter, connect_limit);
    if (r.ok() && target->https && proxy->has_value()) {
      r = OpenTunnel(*connection, *target, options_.user_agent, waiter, connect_limit);
    }
    if (r.ok() && target->https)
      r = connection->StartTls(tls->get(), target->host, waiter, connect_limit);
    if (!r.ok()) return IoError(request, r, /*connecting=*/true);
  }

  // The request, in one write when it is small (one segment with TCP_NODELAY).
  const bool absolute = proxy->has_value() && !target->https;
  std::string head = RequestHead(request, *target, absolute, options_.user_agent);
  IoResult sent;
  if (request.body.size() <= 64 * 1024) {
    head += request.body;
    sent = connection->Write(head, waiter);
  } else {
    sent = connection->Write(head, waiter);
    if (sent.ok()) sent = connection->Write(request.body, waiter);
  }
  if (!sent.ok()) {
    if (reused && sent.status == IoStatus::kFailed) {
      sent.detail += " (on a reused connection; not sent again)";
    }
    return IoError(request, sent, /*connecting=*/false);
  }

  http::ResponseParser parser(
      {.no_body = request.method == "HEAD", .max_body = options_.max_response_body});
  IoResult received = ReadResponse(*connection, parser, waiter);
  if (!received.ok()) {
    if (reused && !parser.started() && received.status == IoStatus::kFailed) {
      // The keep-alive race: the server closed the connection as the request went out.
      received.detail += " (on a reused connection, before any answer; not sent again)";
    }
    return IoError(request, received, /*connecting=*/false);
  }
  if (parser.state() == http::ResponseParser::State::kFailed) {
    if (parser.body_too_large()) {
      return ResponseTooLarge(request, options_.max_response_body, parser.announced_length());
    }
    std::string detail = parser.error();
    if (!parser.started() && reused) {
      detail = "the server closed a reused connection without answering; not sent again";
    }
    return Error(ErrorKind::kTransient, "ConnectionBroken",
                 DescribeRequest(request) + ": " + detail);
  }
  const bool keep = parser.keep_alive();
  HttpResponse response = parser.Take();
  if (keep) PutIdle(target->origin, std::move(connection));
  return response;
}

}  // namespace ohfp::aws
