#include "ohfp/chaos_proxy/proxy_server.h"

#include <httplib.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <stop_token>
#include <system_error>
#include <unordered_map>
#include <vector>

namespace ohfp::chaos_proxy {
namespace {

using resilience::Error;
using resilience::ErrorKind;

constexpr std::size_t kReadBufferSize = 4096;
constexpr int kListenBacklog = 128;

// Headers cpp-httplib's server adds to every request for its own handlers; never forwarded.
constexpr std::array<std::string_view, 4> kServerPseudoHeaders = {"REMOTE_ADDR", "REMOTE_PORT",
                                                                  "LOCAL_ADDR", "LOCAL_PORT"};

int ToPollTimeout(std::chrono::milliseconds timeout) {
  if (timeout.count() < 0) return 0;
  if (timeout.count() > std::numeric_limits<int>::max()) return std::numeric_limits<int>::max();
  return static_cast<int>(timeout.count());
}

void AddressToString(const sockaddr_storage& address, socklen_t length, std::string& ip,
                     int& port) {
  std::array<char, NI_MAXHOST> host{};
  std::array<char, NI_MAXSERV> service{};
  if (getnameinfo(reinterpret_cast<const sockaddr*>(&address), length, host.data(),
                  static_cast<socklen_t>(host.size()), service.data(),
                  static_cast<socklen_t>(service.size()), NI_NUMERICHOST | NI_NUMERICSERV) == 0) {
    ip = host.data();
    port = std::atoi(service.data());
  }
}

// One client connection, as cpp-httplib's request parser and response writer see it. Unlike
// httplib's own socket stream it can be told to drop the response (every later write fails, so
// nothing reaches the client), its waits end when the server stops, and it never raises SIGPIPE.
class Connection final : public httplib::Stream {
 public:
  Connection(int sock, int wake_fd, const ServerOptions& options)
      : sock_(sock), wake_fd_(wake_fd), options_(options), buffer_(kReadBufferSize) {}

  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  bool is_readable() const override {
    return buffered() > 0 || Wait(POLLIN, options_.read_timeout) == Ready::kYes;
  }
  bool is_writable() const override { return Wait(POLLOUT, options_.write_timeout) == Ready::kYes; }

  ssize_t read(char* ptr, size_t size) override {
    if (buffered() == 0) {
      if (!is_readable()) return -1;
      const ssize_t n = Receive(buffer_.data(), buffer_.size());
      if (n <= 0) return n;
      begin_ = 0;
      end_ = static_cast<std::size_t>(n);
    }
    const std::size_t count = std::min(size, buffered());
    std::memcpy(ptr, buffer_.data() + begin_, count);
    begin_ += count;
    return static_cast<ssize_t>(count);
  }

  ssize_t write(const char* ptr, size_t size) override {
    if (disposition_ != Disposition::kRespond) return -1;  // the response is being dropped
    if (!is_writable()) return -1;
    while (true) {
      const ssize_t n = ::send(sock_, ptr, size, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      return n;
    }
  }

  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    sockaddr_storage address{};
    socklen_t length = sizeof(address);
    if (getpeername(sock_, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
      AddressToString(address, length, ip, port);
    }
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    sockaddr_storage address{};
    socklen_t length = sizeof(address);
    if (getsockname(sock_, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
      AddressToString(address, length, ip, port);
    }
  }
  socket_t socket() const override { return sock_; }

  // Waits for the next request on a kept-alive connection.
  bool WaitForRequest() const {
    return buffered() > 0 || Wait(POLLIN, options_.keep_alive_timeout) == Ready::kYes;
  }

  void set_disposition(Disposition disposition) noexcept { disposition_ = disposition; }
  Disposition disposition() const noexcept { return disposition_; }

  // The Accept-Encoding headers of the current request, hidden from cpp-httplib's response writer.
  std::vector<std::string>& accept_encodings() noexcept { return accept_encodings_; }

  void Close() {
    if (disposition_ == Disposition::kReset) {
      // A zero linger time makes close() send RST instead of FIN.
      linger abort_now{1, 0};
      setsockopt(sock_, SOL_SOCKET, SO_LINGER, &abort_now, sizeof(abort_now));
    } else {
      ::shutdown(sock_, SHUT_RDWR);
    }
    ::close(sock_);
  }

 private:
  enum class Ready { kYes, kTimeout, kStopping };

  std::size_t buffered() const noexcept { return end_ - begin_; }

  Ready Wait(short events, std::chrono::milliseconds timeout) const {
    std::array<pollfd, 2> fds = {{{sock_, events, 0}, {wake_fd_, POLLIN, 0}}};
    while (true) {
      const int n = ::poll(fds.data(), fds.size(), ToPollTimeout(timeout));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return Ready::kStopping;
      if (n == 0) return Ready::kTimeout;
      if (fds[1].revents != 0) return Ready::kStopping;
      return Ready::kYes;  // readable, writable, or an error/hang-up the next call will report
    }
  }

  ssize_t Receive(char* ptr, std::size_t size) {
    while (true) {
      const ssize_t n = ::recv(sock_, ptr, size, 0);
      if (n < 0 && errno == EINTR) continue;
      return n;
    }
  }

  const int sock_;
  const int wake_fd_;
  const ServerOptions& options_;
  std::vector<char> buffer_;
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
  Disposition disposition_ = Disposition::kRespond;
  std::vector<std::string> accept_encodings_;
};

}  // namespace

// cpp-httplib's server with its connection loop replaced (process_and_close_socket is its
// customization point): the loop runs the library's own request parser and response writer over a
// Connection.
class ProxyServer::HttpServer final : public httplib::Server {
 public:
  HttpServer(ChaosProxy& proxy, const ServerOptions& options)
      : proxy_(proxy), options_(options), wake_fd_(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
    const std::size_t threads = options.threads == 0 ? 1 : options.threads;
    new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
    // Only for the Keep-Alive header cpp-httplib writes; the connection loop below enforces both.
    set_keep_alive_max_count(options.max_requests_per_connection);
    set_keep_alive_timeout(std::max<time_t>(
        1, static_cast<time_t>(
               std::chrono::ceil<std::chrono::seconds>(options.keep_alive_timeout).count())));
    // SO_REUSEADDR only: httplib's default adds SO_REUSEPORT, which would let two proxies share a
    // port.
    set_socket_options([](socket_t sock) {
      int yes = 1;
      setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    });
    const auto handler = [this](const httplib::Request& request, httplib::Response& response) {
      Serve(request, response);
    };
    // Bodies are read through a content reader: cpp-httplib refuses a form-encoded body over 8 KiB
    // (CPPHTTPLIB_FORM_URL_ENCODED_PAYLOAD_MAX_LENGTH, compiled into Debian's library) when it
    // reads the body itself, and AWS Query requests (PutMetricData, large UserData, fleet
    // configurations) are often bigger.
    const auto reading = [this](const httplib::Request& request, httplib::Response& response,
                                const httplib::ContentReader& reader) {
      httplib::Request whole = request;
      reader([&](const char* data, std::size_t length) {
        whole.body.append(data, length);
        return true;
      });
      Serve(whole, response);
    };
    constexpr const char* kEverything = "[\\s\\S]*";
    Get(kEverything, handler);
    Post(kEverything, reading);
    Put(kEverything, reading);
    Patch(kEverything, handler);
    Delete(kEverything, handler);
    Options(kEverything, handler);
  }

  ~HttpServer() override {
    CloseListeningSocket();
    if (wake_fd_ >= 0) ::close(wake_fd_);
  }

  bool valid() const noexcept { return wake_fd_ >= 0; }

  // After bind: raise cpp-httplib's small listen backlog (5), so bursts of connections are not
  // refused.
  void RaiseBacklog() {
    const socket_t sock = svr_sock_;
    if (sock != INVALID_SOCKET) ::listen(sock, kListenBacklog);
  }

  // Stops accepting, wakes every connection wait and cancels every request wait. Unlike
  // Server::stop(), it also works when the accept loop has not started yet.
  void Shutdown() {
    stopping_.store(true, std::memory_order_release);
    stop_source_.request_stop();
    const std::uint64_t one = 1;
    [[maybe_unused]] const ssize_t written = ::write(wake_fd_, &one, sizeof(one));
    CloseListeningSocket();
  }

 private:
  void CloseListeningSocket() {
    const socket_t sock = svr_sock_.exchange(INVALID_SOCKET);
    if (sock != INVALID_SOCKET) {
      ::shutdown(sock, SHUT_RDWR);  // wakes a blocked accept()
      ::close(sock);
    }
  }

  bool process_and_close_socket(socket_t sock) override {
    Connection connection(sock, wake_fd_, options_);
    {
      std::lock_guard lock(mu_);
      connections_[std::this_thread::get_id()] = &connection;
    }
    const auto hide_encoding_and_ranges = [&connection](httplib::Request& request) {
      auto& encodings = connection.accept_encodings();
      encodings.clear();
      const auto [first, last] = request.headers.equal_range("Accept-Encoding");
      for (auto it = first; it != last; ++it) encodings.push_back(it->second);
      request.headers.erase(first, last);
      request.ranges.clear();
    };
    bool ok = false;
    for (std::size_t served = 0; served < options_.max_requests_per_connection; ++served) {
      if (stopping_.load(std::memory_order_acquire) || !connection.WaitForRequest()) break;
      const bool last = served + 1 == options_.max_requests_per_connection ||
                        stopping_.load(std::memory_order_acquire);
      bool client_closes = false;
      ok = process_request(connection, last, client_closes, hide_encoding_and_ranges);
      if (!ok || client_closes || connection.disposition() != Disposition::kRespond) break;
    }
    {
      std::lock_guard lock(mu_);
      connections_.erase(std::this_thread::get_id());
    }
    connection.Close();
    return ok;
  }

  Connection* CurrentConnection() {
    std::lock_guard lock(mu_);
    const auto it = connections_.find(std::this_thread::get_id());
    return it == connections_.end() ? nullptr : it->second;
  }

  void Serve(const httplib::Request& in, httplib::Response& out) {
    Connection* connection = CurrentConnection();
    HttpRequest request{in.method, in.target, {}, in.body};
    request.headers.reserve(in.headers.size() + 1);
    for (const auto& [name, value] : in.headers) {
      if (std::find(kServerPseudoHeaders.begin(), kServerPseudoHeaders.end(), name) !=
          kServerPseudoHeaders.end()) {
        continue;
      }
      request.headers.emplace_back(name, value);
    }
    if (connection != nullptr) {
      for (const auto& encoding : connection->accept_encodings()) {
        request.headers.emplace_back("Accept-Encoding", encoding);
      }
    }
    Outcome outcome = proxy_.Handle(request, stop_source_.get_token());
    if (outcome.disposition != Disposition::kRespond) {
      if (connection != nullptr) connection->set_disposition(outcome.disposition);
      out.status = 500;  // never sent: the connection drops every write from now on
      return;
    }
    out.status = outcome.response.status;
    for (auto& [name, value] : outcome.response.headers)
      out.headers.emplace(name, std::move(value));
    out.body = std::move(outcome.response.body);
  }

  ChaosProxy& proxy_;
  const ServerOptions& options_;
  const int wake_fd_;
  std::atomic<bool> stopping_{false};
  std::stop_source stop_source_;
  std::mutex mu_;
  std::unordered_map<std::thread::id, Connection*>
      connections_;  // guarded by mu_; by serving thread
};

ProxyServer::ProxyServer(ChaosProxy& proxy, ServerOptions options)
    : proxy_(proxy),
      options_(std::move(options)),
      http_(std::make_unique<HttpServer>(proxy_, options_)) {}

ProxyServer::~ProxyServer() { Stop(); }

resilience::Result<int> ProxyServer::Bind() {
  if (!http_->valid()) {
    return Error(ErrorKind::kInternal, "EventFdFailed",
                 "eventfd: " + std::error_code(errno, std::generic_category()).message());
  }
  const std::string where = options_.host + ":" + std::to_string(options_.port);
  if (options_.port < 0 || options_.port > 65535) {
    return Error(ErrorKind::kValidation, "InvalidPort",
                 "cannot listen on " + where + ": invalid port");
  }
  int port = options_.port;
  if (port == 0) {
    port = http_->bind_to_any_port(options_.host);
  } else if (!http_->bind_to_port(options_.host, port)) {
    port = -1;
  }
  if (port <= 0) {
    return Error(ErrorKind::kInternal, "BindFailed",
                 "cannot listen on " + where +
                     " (is the port in use, or the host not an address of this machine?)");
  }
  http_->RaiseBacklog();
  port_ = port;
  return port;
}

bool ProxyServer::Run() { return http_->listen_after_bind(); }

resilience::Status ProxyServer::Start() {
  auto port = Bind();
  if (!port.ok()) return port.error();
  thread_ = std::thread([this] { Run(); });
  return resilience::OkStatus();
}

void ProxyServer::Stop() {
  http_->Shutdown();
  std::lock_guard lock(join_mu_);
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
}

}  // namespace ohfp::chaos_proxy
