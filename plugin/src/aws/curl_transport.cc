#include "aws/curl_transport.h"

#include <curl/curl.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <climits>
#include <cstring>
#include <limits>
#include <utility>

namespace ohfp::aws {
namespace {

using resilience::Error;
using resilience::ErrorKind;
using resilience::Result;

// The largest wait in curl_multi_poll: a stop request wakes the poll at once anyway
// (curl_multi_wakeup).
constexpr int kPollCapMs = 1000;

struct SlistDeleter {
  void operator()(curl_slist* list) const noexcept { curl_slist_free_all(list); }
};
using Slist = std::unique_ptr<curl_slist, SlistDeleter>;

// What the callbacks read and fill in during one transfer.
struct Transfer {
  HttpResponse response;
  std::stop_token stop;
  std::string_view upload;  // the request body
  std::size_t uploaded = 0;
  std::size_t max_body = kDefaultMaxResponseBody;
  bool body_too_large = false;  // OnBody stopped the transfer at max_body
};

std::string_view TrimView(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

std::size_t OnBody(char* data, std::size_t size, std::size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  const std::size_t n = size * count;
  if (n > transfer->max_body - transfer->response.body.size()) {
    transfer->body_too_large = true;
    return 0;  // CURLE_WRITE_ERROR: the transfer stops here and the connection is closed
  }
  transfer->response.body.append(data, n);
  return n;
}

// The body goes through a read callback with no seek callback on purpose: when a reused connection
// dies after the body was sent, libcurl cannot rewind it, so it fails (CURLE_SEND_FAIL_REWIND)
// instead of silently sending the request a second time on a new connection.
std::size_t OnUpload(char* buffer, std::size_t size, std::size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  const std::size_t n = std::min(size * count, transfer->upload.size() - transfer->uploaded);
  std::memcpy(buffer, transfer->upload.data() + transfer->uploaded, n);
  transfer->uploaded += n;
  return n;
}

std::size_t OnHeader(char* data, std::size_t size, std::size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  const std::size_t total = size * count;
  std::string_view line(data, total);
  Headers& headers = transfer->response.headers;
  if (line.starts_with("HTTP/")) {
    headers.clear();  // a new header block (after 100 Continue or a proxy's CONNECT answer)
    return total;
  }
  if (!line.empty() && (line.front() == ' ' || line.front() == '\t')) {  // obsolete line folding
    const std::string_view more = TrimView(line);
    if (!headers.empty() && !more.empty()) {
      headers.back().second += ' ';
      headers.back().second += more;
    }
    return total;
  }
  line = TrimView(line);
  const std::size_t colon = line.find(':');
  if (line.empty() || colon == std::string_view::npos) return total;
  headers.emplace_back(std::string(TrimView(line.substr(0, colon))),
                       std::string(TrimView(line.substr(colon + 1))));
  return total;
}

int OnProgress(void* user, curl_off_t /*dltotal*/, curl_off_t /*dlnow*/, curl_off_t /*ultotal*/,
               curl_off_t /*ulnow*/) {
  const auto* transfer = static_cast<const Transfer*>(user);
  return transfer->stop.stop_requested() ? 1 : 0;
}

long ToCurlMillis(resilience::Duration d) {
  const auto ms = std::chrono::ceil<std::chrono::milliseconds>(d).count();
  return static_cast<long>(std::clamp<std::int64_t>(ms, 1, LONG_MAX));
}

Error MapCurlError(CURLcode code, bool stop_requested, std::string_view detail,
                   const HttpRequest& request) {
  ErrorKind kind = ErrorKind::kTransient;
  std::string_view name = "TransportError";
  switch (code) {
    case CURLE_OPERATION_TIMEDOUT:
      kind = ErrorKind::kTimeout;
      name = "Timeout";
      break;
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
      kind = ErrorKind::kTransient;
      name = "ConnectionFailed";
      break;
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
      kind = ErrorKind::kTransient;
      name = "ConnectionBroken";
      break;
    case CURLE_SEND_FAIL_REWIND:
      // A reused connection died after the request was sent; libcurl would have re-sent it.
      kind = ErrorKind::kTransient;
      name = "ConnectionBroken";
      detail = "the server closed a reused connection without answering; not sent again";
      break;
    case CURLE_ABORTED_BY_CALLBACK:
      kind = stop_requested ? ErrorKind::kCancelled : ErrorKind::kTransient;
      name = stop_requested ? "Cancelled" : "TransportError";
      break;
    case CURLE_PEER_FAILED_VERIFICATION:
      kind = ErrorKind::kValidation;
      name = "TlsVerificationFailed";
      break;
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_SSL_CACERT_BADFILE:
      kind = ErrorKind::kValidation;
      name = "InvalidRequest";
      break;
    case CURLE_OUT_OF_MEMORY:
    case CURLE_FAILED_INIT:
    case CURLE_BAD_FUNCTION_ARGUMENT:
      kind = ErrorKind::kInternal;
      name = "TransportError";
      break;
    default:
      break;
  }
  std::string message = DescribeRequest(request);
  message += ": ";
  message += curl_easy_strerror(code);
  message += " (curl error " + std::to_string(static_cast<int>(code)) + ")";
  if (!detail.empty()) {
    message += ": ";
    message += detail;
  }
  return Error(kind, std::string(name), std::move(message));
}

// The request's headers, no "Expect: 100-continue", and no Content-Type libcurl would invent;
// null when libcurl ran out of memory.
Slist HeaderListFor(const Headers& headers) {
  Slist list;
  const auto append = [&](const std::string& line) {
    curl_slist* next = curl_slist_append(list.get(), line.c_str());
    if (next == nullptr) return false;
    static_cast<void>(list.release());
    list.reset(next);
    return true;
  };
  bool ok = true;
  for (const auto& [name, value] : headers) {
    ok = ok && append(value.empty() ? name + ";" : name + ": " + value);
  }
  if (!FindHeader(headers, "Expect")) ok = ok && append("Expect:");
  if (!FindHeader(headers, "Content-Type")) ok = ok && append("Content-Type:");
  if (!ok) list.reset();
  return list;
}

// Protocols, TLS verification, the proxy and the user agent: the same for every exchange.
void SetConnectionOptions(CURL* easy, const TransportOptions& options) {
  curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 2L);
  if (!options.ca_bundle.empty()) curl_easy_setopt(easy, CURLOPT_CAINFO, options.ca_bundle.c_str());
  // An explicit proxy, or none: libcurl must not pick one from http_proxy & co.
  curl_easy_setopt(easy, CURLOPT_PROXY, options.proxy_host.c_str());
  if (!options.proxy_host.empty() && options.proxy_port) {
    curl_easy_setopt(easy, CURLOPT_PROXYPORT, static_cast<long>(*options.proxy_port));
  }
  curl_easy_setopt(easy, CURLOPT_USERAGENT, options.user_agent.c_str());
  // HTTP/1.1, as every AWS SDK uses for the Query APIs; one exchange per connection at a time.
  curl_easy_setopt(easy, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_1_1));
  curl_easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, 1L);
}

// What points at this exchange's locals: the headers, the error buffer, the callbacks' Transfer.
void SetExchangeOptions(CURL* easy, const TransportOptions& options, curl_slist* headers,
                        Transfer& transfer, char* error_buffer) {
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, error_buffer);
  // A Content-Length over the limit fails before the body is read (CURLE_FILESIZE_EXCEEDED); a
  // body without one is cut off by OnBody.
  curl_easy_setopt(easy, CURLOPT_MAXFILESIZE_LARGE,
                   static_cast<curl_off_t>(std::min<std::size_t>(
                       options.max_response_body,
                       static_cast<std::size_t>(std::numeric_limits<curl_off_t>::max()))));
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &OnBody);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, &transfer);
  curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, &OnHeader);
  curl_easy_setopt(easy, CURLOPT_HEADERDATA, &transfer);
  curl_easy_setopt(easy, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(easy, CURLOPT_XFERINFOFUNCTION, &OnProgress);
  curl_easy_setopt(easy, CURLOPT_XFERINFODATA, &transfer);
}

void SetMethodAndBody(CURL* easy, const HttpRequest& request, Transfer& transfer) {
  curl_easy_setopt(easy, CURLOPT_URL, request.url.c_str());
  const bool has_body = !request.body.empty();
  if (request.method == "GET" && !has_body) {
    curl_easy_setopt(easy, CURLOPT_HTTPGET, 1L);
  } else if (request.method == "HEAD" && !has_body) {
    curl_easy_setopt(easy, CURLOPT_NOBODY, 1L);
  } else if (request.method == "DELETE" && !has_body) {
    curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, "DELETE");
  } else {
    curl_easy_setopt(easy, CURLOPT_POST, 1L);
    curl_easy_setopt(easy, CURLOPT_READFUNCTION, &OnUpload);
    curl_easy_setopt(easy, CURLOPT_READDATA, &transfer);
    curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(request.body.size()));
    if (request.method != "POST") {
      curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    }
  }
}

// The transfer gets what is left of the deadline; connecting gets at most connect_timeout of it.
void SetTimeouts(CURL* easy, const TransportOptions& options, resilience::Deadline deadline,
                 resilience::Duration remaining) {
  const resilience::Duration connect_timeout =
      std::min<resilience::Duration>(options.connect_timeout, remaining);
  curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, ToCurlMillis(connect_timeout));
  curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, deadline.is_infinite() ? 0L : ToCurlMillis(remaining));
}

struct TransferOutcome {
  CURLcode result = CURLE_OK;  // meaningful when finished
  bool finished = false;       // libcurl reported the transfer done
  bool multi_failed = false;   // the multi interface itself failed
};

// Runs the transfer on `multi` until it is done, fails, or `stop` is requested.
TransferOutcome Perform(CURLM* multi, CURL* easy, const std::stop_token& stop) {
  TransferOutcome outcome;
  if (curl_multi_add_handle(multi, easy) != CURLM_OK) {
    outcome.multi_failed = true;
    return outcome;
  }
  // A stop request from another thread wakes the poll below at once.
  std::stop_callback wake(stop, [multi] { curl_multi_wakeup(multi); });
  while (true) {
    int running = 0;
    if (curl_multi_perform(multi, &running) != CURLM_OK) {
      outcome.multi_failed = true;
      break;
    }
    int queued = 0;
    while (CURLMsg* message = curl_multi_info_read(multi, &queued)) {
      if (message->msg == CURLMSG_DONE && message->easy_handle == easy) {
        outcome.result = message->data.result;
        outcome.finished = true;
      }
    }
    if (outcome.finished || running == 0) break;
    if (stop.stop_requested()) break;
    if (curl_multi_poll(multi, nullptr, 0, kPollCapMs, nullptr) != CURLM_OK) {
      outcome.multi_failed = true;
      break;
    }
  }
  curl_multi_remove_handle(multi, easy);  // returns the connection to the cache, or closes it
  return outcome;
}

// The Content-Length the server announced, when it is a number.
std::optional<std::uint64_t> AnnouncedLength(const Headers& headers) {
  const std::optional<std::string_view> length = FindHeader(headers, "Content-Length");
  if (!length) return std::nullopt;
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(length->data(), length->data() + length->size(), value);
  if (ec != std::errc() || end != length->data() + length->size()) return std::nullopt;
  return value;
}

}  // namespace

struct CurlTransport::Session {
  CURLM* multi = nullptr;  // owns the connection cache
  CURL* easy = nullptr;

  Session() : multi(curl_multi_init()), easy(curl_easy_init()) {}
  ~Session() {
    if (easy != nullptr) curl_easy_cleanup(easy);
    if (multi != nullptr) curl_multi_cleanup(multi);
  }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;
};

CurlTransport::CurlTransport(const resilience::Clock& clock, TransportOptions options)
    : clock_(clock),
      options_(std::move(options)),
      global_init_ok_(curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK) {}

CurlTransport::~CurlTransport() {
  idle_.clear();
  if (global_init_ok_) curl_global_cleanup();
}

std::size_t CurlTransport::idle_connections() const {
  std::lock_guard lock(mu_);
  return idle_.size();
}

std::unique_ptr<CurlTransport::Session> CurlTransport::Acquire() {
  {
    std::lock_guard lock(mu_);
    if (!idle_.empty()) {
      std::unique_ptr<Session> session = std::move(idle_.back());
      idle_.pop_back();
      return session;
    }
  }
  auto session = std::make_unique<Session>();
  if (session->multi == nullptr || session->easy == nullptr) return nullptr;
  return session;
}

void CurlTransport::Release(std::unique_ptr<Session> session) {
  std::unique_lock lock(mu_);
  if (idle_.size() < options_.max_idle_connections) idle_.push_back(std::move(session));
  lock.unlock();
  // A session that did not fit is destroyed here, outside the lock.
}

Result<HttpResponse> CurlTransport::Send(const HttpRequest& request, resilience::Deadline deadline,
                                         std::stop_token stop) {
  if (!global_init_ok_) {
    return Error(ErrorKind::kInternal, "TransportError", "libcurl failed to initialise");
  }
  const resilience::Status ready = CheckBeforeSending(request, deadline, clock_.Now(), stop);
  if (!ready.ok()) return ready.error();
  const resilience::Duration remaining = deadline.Remaining(clock_.Now());

  std::unique_ptr<Session> session = Acquire();
  if (!session) {
    return Error(ErrorKind::kInternal, "TransportError", "libcurl could not create a handle");
  }
  CURL* easy = session->easy;
  curl_easy_reset(easy);

  Slist header_list = HeaderListFor(request.headers);
  if (!header_list) {
    Release(std::move(session));
    return Error(ErrorKind::kInternal, "TransportError", "out of memory building the headers");
  }

  Transfer transfer{.response = {},
                    .stop = stop,
                    .upload = request.body,
                    .uploaded = 0,
                    .max_body = options_.max_response_body};
  std::array<char, CURL_ERROR_SIZE> error_buffer{};
  SetConnectionOptions(easy, options_);
  SetExchangeOptions(easy, options_, header_list.get(), transfer, error_buffer.data());
  SetMethodAndBody(easy, request, transfer);
  SetTimeouts(easy, options_, deadline, remaining);

  const TransferOutcome outcome = Perform(session->multi, easy, stop);

  long status = 0;
  if (outcome.finished && outcome.result == CURLE_OK) {
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
  }
  // Detach everything that points at this call's locals before the handle goes back to the pool.
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, static_cast<curl_slist*>(nullptr));
  curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, static_cast<char*>(nullptr));
  const std::string detail(error_buffer.data());
  Release(std::move(session));

  if (outcome.multi_failed) {
    return Error(ErrorKind::kInternal, "TransportError",
                 DescribeRequest(request) + ": libcurl's multi interface failed");
  }
  if (!outcome.finished) {
    if (stop.stop_requested()) {
      return Error(ErrorKind::kCancelled, "Cancelled",
                   DescribeRequest(request) + ": cancelled during the transfer");
    }
    return Error(ErrorKind::kTransient, "TransportError",
                 DescribeRequest(request) + ": the transfer ended without a result");
  }
  if (outcome.result == CURLE_FILESIZE_EXCEEDED) {  // refused from the Content-Length
    return ResponseTooLarge(request, options_.max_response_body,
                            AnnouncedLength(transfer.response.headers));
  }
  if (outcome.result == CURLE_WRITE_ERROR && transfer.body_too_large) {
    return ResponseTooLarge(request, options_.max_response_body, std::nullopt);
  }
  if (outcome.result != CURLE_OK) {
    return MapCurlError(outcome.result, stop.stop_requested(), detail, request);
  }
  transfer.response.status = static_cast<int>(status);
  return std::move(transfer.response);
}

}  // namespace ohfp::aws
