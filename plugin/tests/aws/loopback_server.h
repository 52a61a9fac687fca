// plugin/tests/aws/loopback_server.h
//
// What the AWS client's tests serve their answers with: TestServer, a cpp-httplib server on
// 127.0.0.1 and an ephemeral port that serves in a thread until destroyed (HTTPS with an
// httplib::SSLServer), and the raw sockets behind servers cpp-httplib cannot play (BindLoopback)
// or a port nothing listens on (ClosedPort).
//
// Thread-safety: a TestServer's handlers run on its own thread; the object is used by the test's.
//
// Example:
//   TestServer server([](httplib::Server& s) {
//     s.Get("/", [](const httplib::Request&, httplib::Response& res) {
//       res.set_content("hi", "text/plain");
//     });
//   });
//   transport.Send(Get(server.Url("/")), ...);
#pragma once

#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <utility>

namespace ohfp::aws {

class TestServer {
 public:
  explicit TestServer(const std::function<void(httplib::Server&)>& setup,
                      std::unique_ptr<httplib::Server> server = std::make_unique<httplib::Server>())
      : server_(std::move(server)) {
    setup(*server_);
    server_->set_tcp_nodelay(true);  // no Nagle delay between its header and body writes
    port_ = server_->bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_->listen_after_bind(); });
    while (!server_->is_running()) std::this_thread::yield();
  }
  ~TestServer() {
    server_->stop();
    thread_.join();
  }
  TestServer(const TestServer&) = delete;
  TestServer& operator=(const TestServer&) = delete;

  int port() const { return port_; }
  std::string Url(std::string_view path = "") const {
    return "http://127.0.0.1:" + std::to_string(port_) + std::string(path);
  }
  std::string HttpsUrl(std::string_view path) const {
    return "https://127.0.0.1:" + std::to_string(port_) + std::string(path);
  }

 private:
  std::unique_ptr<httplib::Server> server_;
  int port_ = 0;
  std::thread thread_;
};

// A TCP socket bound to 127.0.0.1 on an ephemeral port, listening when `listening`; its port in
// `port`.
inline int BindLoopback(int& port, bool listening = true) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));  // NOLINT: POSIX sockets API
  if (listening) ::listen(fd, 8);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);  // NOLINT: POSIX sockets API
  port = ntohs(addr.sin_port);
  return fd;
}

// A port nothing listens on: bound, read, closed.
inline int ClosedPort() {
  int port = 0;
  ::close(BindLoopback(port, /*listening=*/false));
  return port;
}

}  // namespace ohfp::aws
