// Tests of the HttpTransport contract (aws/http_transport.h), run against both implementations:
// SocketTransport (what ohfp uses) and CurlTransport. Servers are cpp-httplib's (plain and TLS), a
// bare TCP server for what cpp-httplib hides, and a CONNECT proxy, all on 127.0.0.1 and ephemeral
// ports. No test sleeps or measures time: blocking handlers are released by the test, and
// timeouts are observed by their error kind.
#include <arpa/inet.h>
#include <curl/curl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "aws/curl_transport.h"
#include "aws/socket_transport.h"
#include "loopback_server.h"
#include "ohfp/resilience/manual_clock.h"

namespace ohfp::aws {
namespace {

using resilience::Deadline;
using resilience::ErrorKind;
using resilience::SystemClock;
using ::testing::HasSubstr;
using namespace std::chrono_literals;

// A bare TCP server for what cpp-httplib hides. It records the raw head of every request and
// answers the n-th request (counting from 0, across connections) with script[n] (the last entry
// repeats); an empty answer closes the connection without answering.
class RawServer {
 public:
  // `close_after_answer`: the connection is closed after each answer (without saying so in it).
  explicit RawServer(std::vector<std::string> script, bool close_after_answer = false)
      : script_(std::move(script)), close_after_answer_(close_after_answer) {
    listen_fd_ = BindLoopback(port_);
    thread_ = std::thread([this] { Serve(); });
  }
  ~RawServer() {
    ::shutdown(listen_fd_, SHUT_RDWR);  // wakes accept()
    thread_.join();
    ::close(listen_fd_);
  }
  RawServer(const RawServer&) = delete;
  RawServer& operator=(const RawServer&) = delete;

  std::string Url(std::string_view path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + std::string(path);
  }
  std::vector<std::string> requests() const {
    std::lock_guard lock(mu_);
    return requests_;
  }
  // Connections the server has closed so far.
  int closed() const { return closed_.load(std::memory_order_acquire); }

 private:
  static std::size_t ContentLength(std::string head) {
    std::transform(head.begin(), head.end(), head.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    const std::size_t at = head.find("\r\ncontent-length:");
    if (at == std::string::npos) return 0;
    return std::stoul(head.substr(at + 17));
  }

  void Serve() {
    while (true) {
      const int fd = ::accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) return;
      std::string data;
      const auto receive = [&] {
        char buffer[4096];
        const ssize_t n = ::recv(fd, buffer, sizeof(buffer), 0);
        if (n <= 0) return false;
        data.append(buffer, static_cast<std::size_t>(n));
        return true;
      };
      while (true) {
        const std::size_t head_end = data.find("\r\n\r\n");
        if (head_end == std::string::npos) {
          if (!receive()) break;
          continue;
        }
        const std::string head = data.substr(0, head_end + 4);
        const std::size_t total = head.size() + ContentLength(head);
        bool complete = true;
        while (complete && data.size() < total) complete = receive();
        if (!complete) break;
        data.erase(0, total);
        std::string answer;
        {
          std::lock_guard lock(mu_);
          requests_.push_back(head);
          answer = script_[std::min(requests_.size(), script_.size()) - 1];
        }
        if (answer.empty()) break;
        static_cast<void>(::send(fd, answer.data(), answer.size(), MSG_NOSIGNAL));
        if (close_after_answer_) break;
      }
      ::close(fd);
      closed_.fetch_add(1, std::memory_order_release);
    }
  }

  const std::vector<std::string> script_;
  const bool close_after_answer_;
  std::atomic<int> closed_{0};
  int listen_fd_ = -1;
  int port_ = 0;
  mutable std::mutex mu_;
  std::vector<std::string> requests_;
  std::thread thread_;
};

// Lets a handler block until the test releases it, and tells the test when the handler was entered.
class Gate {
 public:
  void Enter() {
    entered_.set_value();
    released_future_.wait();
    finished_.store(true, std::memory_order_release);
  }
  void WaitEntered() { entered_future_.wait(); }
  void Release() { released_.set_value(); }
  bool finished() const { return finished_.load(std::memory_order_acquire); }

 private:
  std::promise<void> entered_;
  std::shared_future<void> entered_future_ = entered_.get_future().share();
  std::promise<void> released_;
  std::shared_future<void> released_future_ = released_.get_future().share();
  std::atomic<bool> finished_{false};
};

// A server whose GET `path` counts the requests it gets; with a gate, it answers each ("late") only
// once the gate is released. With `server`, an httplib::SSLServer: HTTPS.
class CountingServer {
 public:
  explicit CountingServer(
      const std::string& path = "/", Gate* gate = nullptr,
      std::unique_ptr<httplib::Server> server = std::make_unique<httplib::Server>())
      : server_(
            [this, path, gate](httplib::Server& s) {
              s.Get(path, [this, gate](const httplib::Request&, httplib::Response& res) {
                requests_.fetch_add(1);
                if (gate == nullptr) return;
                gate->Enter();
                res.set_content("late", "text/plain");
              });
            },
            std::move(server)) {}

  std::string Url(std::string_view path) const { return server_.Url(path); }
  std::string HttpsUrl(std::string_view path) const { return server_.HttpsUrl(path); }
  int requests() const { return requests_.load(); }

 private:
  std::atomic<int> requests_{0};  // before server_: its handler counts into it
  TestServer server_;
};

// A self-signed certificate (its own CA) for `san` ("IP:127.0.0.1", "DNS:other.example") and its
// key, made in memory; Pem() writes the certificate to a file a transport can use as its CA bundle.
class TestCertificate {
 public:
  explicit TestCertificate(const std::string& san)
      : key_(EVP_EC_gen("P-256"), EVP_PKEY_free), cert_(X509_new(), X509_free) {
    X509* x = cert_.get();
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), -60);
    X509_gmtime_adj(X509_getm_notAfter(x), 3600);
    X509_set_pubkey(x, key_.get());
    X509_NAME* name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("ohfp test"), -1, -1, 0);
    X509_set_issuer_name(x, name);
    X509V3_CTX context;
    X509V3_set_ctx_nodb(&context);
    X509V3_set_ctx(&context, x, x, nullptr, nullptr, 0);
    for (const auto& [nid, value] : {std::pair<int, std::string>{NID_subject_alt_name, san},
                                     {NID_basic_constraints, "critical,CA:TRUE"}}) {
      X509_EXTENSION* extension = X509V3_EXT_conf_nid(nullptr, &context, nid, value.c_str());
      X509_add_ext(x, extension, -1);
      X509_EXTENSION_free(extension);
    }
    X509_sign(x, key_.get(), EVP_sha256());
    static std::atomic<int> counter{0};
    pem_path_ = std::filesystem::temp_directory_path() /
                ("ohfp-test-ca-" + std::to_string(::getpid()) + "-" +
                 std::to_string(counter.fetch_add(1)) + ".pem");
    std::FILE* file = std::fopen(pem_path_.c_str(), "w");
    PEM_write_X509(file, x);
    std::fclose(file);
  }
  ~TestCertificate() {
    std::error_code ignored;
    std::filesystem::remove(pem_path_, ignored);
  }
  TestCertificate(const TestCertificate&) = delete;
  TestCertificate& operator=(const TestCertificate&) = delete;

  // An HTTPS server presenting this certificate.
  std::unique_ptr<httplib::Server> Server() const {
    return std::make_unique<httplib::SSLServer>(cert_.get(), key_.get());
  }
  std::string pem_path() const { return pem_path_.string(); }
  X509* cert() const { return cert_.get(); }
  EVP_PKEY* key() const { return key_.get(); }

 private:
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key_;
  std::unique_ptr<X509, decltype(&X509_free)> cert_;
  std::filesystem::path pem_path_;
};

// A bare TLS server: for every connection it completes the handshake, reads one record of the
// request, then either resets the connection (SO_LINGER 0; an empty `answer`) or writes `answer`
// and closes, with TLS close_notify when `close_notify`.
class RawTlsServer {
 public:
  explicit RawTlsServer(const TestCertificate& certificate, std::string answer = {},
                        bool close_notify = true)
      : answer_(std::move(answer)),
        close_notify_(close_notify),
        context_(SSL_CTX_new(TLS_server_method()), SSL_CTX_free) {
    SSL_CTX_use_certificate(context_.get(), certificate.cert());
    SSL_CTX_use_PrivateKey(context_.get(), certificate.key());
    listen_fd_ = BindLoopback(port_);
    thread_ = std::thread([this] { Serve(); });
  }
  ~RawTlsServer() {
    ::shutdown(listen_fd_, SHUT_RDWR);
    thread_.join();
    ::close(listen_fd_);
  }
  RawTlsServer(const RawTlsServer&) = delete;
  RawTlsServer& operator=(const RawTlsServer&) = delete;

  int port() const { return port_; }
  int accepted() const { return accepted_.load(); }

 private:
  void Serve() {
    while (true) {
      const int fd = ::accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) return;
      accepted_.fetch_add(1);
      SSL* ssl = SSL_new(context_.get());
      SSL_set_fd(ssl, fd);
      if (SSL_accept(ssl) == 1) {
        char buffer[1024];
        static_cast<void>(SSL_read(ssl, buffer, sizeof(buffer)));
        if (!answer_.empty()) {
          SSL_write(ssl, answer_.data(), static_cast<int>(answer_.size()));
          if (close_notify_) SSL_shutdown(ssl);
        }
      }
      if (answer_.empty()) {
        const linger reset{1, 0};
        ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof(reset));
      }
      SSL_free(ssl);
      ::close(fd);
    }
  }

  const std::string answer_;
  const bool close_notify_;
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> context_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<int> accepted_{0};
  std::thread thread_;
};

// An HTTP proxy that only tunnels: it answers CONNECT host:port with 200 and relays bytes both
// ways, one connection at a time, and records each CONNECT line.
class TunnelProxy {
 public:
  TunnelProxy() {
    listen_fd_ = BindLoopback(port_);
    thread_ = std::thread([this] { Serve(); });
  }
  ~TunnelProxy() {
    stopping_.store(true);
    ::shutdown(listen_fd_, SHUT_RDWR);
    thread_.join();
    ::close(listen_fd_);
  }
  TunnelProxy(const TunnelProxy&) = delete;
  TunnelProxy& operator=(const TunnelProxy&) = delete;

  int port() const { return port_; }
  std::vector<std::string> connects() const {
    std::lock_guard lock(mu_);
    return connects_;
  }

 private:
  void Serve() {
    while (true) {
      const int client = ::accept(listen_fd_, nullptr, nullptr);
      if (client < 0) return;
      std::string head;
      char c = 0;
      while (head.find("\r\n\r\n") == std::string::npos && ::recv(client, &c, 1, 0) == 1) {
        head += c;
      }
      const std::string line = head.substr(0, head.find("\r\n"));
      {
        std::lock_guard lock(mu_);
        connects_.push_back(line);
      }
      const std::size_t colon = line.rfind(':');
      const int target_port = colon == std::string::npos ? 0 : std::atoi(line.c_str() + colon + 1);
      const int upstream = ::socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in addr{};
      addr.sin_family = AF_INET;
      addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      addr.sin_port = htons(static_cast<std::uint16_t>(target_port));
      if (!line.starts_with("CONNECT ") ||
          ::connect(upstream, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {  // NOLINT
        const std::string refused = "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n";
        static_cast<void>(::send(client, refused.data(), refused.size(), MSG_NOSIGNAL));
      } else {
        const std::string ok = "HTTP/1.1 200 Connection established\r\n\r\n";
        static_cast<void>(::send(client, ok.data(), ok.size(), MSG_NOSIGNAL));
        Relay(client, upstream);
      }
      ::close(upstream);
      ::close(client);
    }
  }

  void Relay(int a, int b) {
    char buffer[16384];
    while (!stopping_.load()) {
      pollfd fds[2] = {{a, POLLIN, 0}, {b, POLLIN, 0}};
      if (::poll(fds, 2, 100) <= 0) continue;
      for (int i = 0; i < 2; ++i) {
        if (fds[i].revents == 0) continue;
        const ssize_t n = ::recv(fds[i].fd, buffer, sizeof(buffer), 0);
        if (n <= 0) return;
        const int to = i == 0 ? b : a;
        if (::send(to, buffer, static_cast<std::size_t>(n), MSG_NOSIGNAL) != n) return;
      }
    }
  }

  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  mutable std::mutex mu_;
  std::vector<std::string> connects_;
  std::thread thread_;
};

template <typename T>
class HttpTransportTest : public ::testing::Test {};
using Transports = ::testing::Types<SocketTransport, CurlTransport>;
TYPED_TEST_SUITE(HttpTransportTest, Transports);

HttpRequest Get(std::string url) {
  return HttpRequest{.method = "GET", .url = std::move(url), .headers = {}, .body = {}};
}

TYPED_TEST(HttpTransportTest, RoundTripsStatusBodyAndHeaders) {
  std::mutex mu;
  httplib::Headers seen_headers;
  std::string seen_method;
  TestServer server([&](httplib::Server& s) {
    s.Post("/echo", [&](const httplib::Request& req, httplib::Response& res) {
      {
        std::lock_guard lock(mu);
        seen_headers = req.headers;
        seen_method = req.method;
      }
      res.status = 201;
      res.set_header("X-Reply", "yes");
      res.set_content("got:" + req.body + ";" + req.get_header_value("X-Test"), "text/plain");
    });
  });
  SystemClock clock;
  TypeParam transport(clock);
  HttpRequest request{
      .method = "POST",
      .url = server.Url("/echo"),
      .headers = {{"X-Test", "hello"},
                  {"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}},
      .body = "Action=DescribeRegions&Version=2016-11-15"};
  resilience::Result<HttpResponse> response =
      transport.Send(request, Deadline::After(clock.Now(), 10s), {});
  ASSERT_TRUE(response.ok()) << response.error().ToString();
  EXPECT_EQ(response->status, 201);
  EXPECT_EQ(response->body, "got:Action=DescribeRegions&Version=2016-11-15;hello");
  EXPECT_EQ(response->Header("x-reply").value_or(""), "yes");
  EXPECT_EQ(response->Header("Content-Type").value_or(""), "text/plain");

  std::lock_guard lock(mu);
  EXPECT_EQ(seen_method, "POST");
  auto header = [&](const std::string& name) {
    auto it = seen_headers.find(name);
    return it == seen_headers.end() ? std::string("<absent>") : it->second;
  };
  EXPECT_EQ(header("Content-Type"), "application/x-www-form-urlencoded; charset=utf-8");
  EXPECT_EQ(header("User-Agent"), "ohfp/0.1");
  EXPECT_EQ(header("Expect"), "<absent>");
  EXPECT_EQ(header("Content-Length"), "41");
}

TYPED_TEST(HttpTransportTest, ServerErrorIsAResponseAndOnlyOneRequestIsSent) {
  std::atomic<int> requests{0};
  TestServer server([&](httplib::Server& s) {
    s.Get("/busy", [&](const httplib::Request&, httplib::Response& res) {
      requests.fetch_add(1);
      res.status = 503;
      res.set_header("Retry-After", "2");
      res.set_content(
          "<Response><Errors><Error><Code>RequestLimitExceeded</Code></Error></Errors>"
          "</Response>",
          "text/xml");
    });
  });
  SystemClock clock;
  TypeParam transport(clock);
  resilience::Result<HttpResponse> response =
      transport.Send(Get(server.Url("/busy")), Deadline::After(clock.Now(), 10s), {});
  ASSERT_TRUE(response.ok()) << response.error().ToString();
  EXPECT_EQ(response->status, 503);
  EXPECT_EQ(response->Header("Retry-After").value_or(""), "2");
  EXPECT_THAT(response->body, HasSubstr("RequestLimitExceeded"));
  EXPECT_EQ(requests.load(), 1);
}

TYPED_TEST(HttpTransportTest, RedirectsAreNotFollowed) {
  std::atomic<int> target_requests{0};
  TestServer server([&](httplib::Server& s) {
    s.Get("/from",
          [](const httplib::Request&, httplib::Response& res) { res.set_redirect("/to"); });
    s.Get("/to", [&](const httplib::Request&, httplib::Response& res) {
      target_requests.fetch_add(1);
      res.set_content("moved here", "text/plain");
    });
  });
  SystemClock clock;
  TypeParam transport(clock);
  resilience::Result<HttpResponse> response =
      transport.Send(Get(server.Url("/from")), Deadline::After(clock.Now(), 10s), {});
  ASSERT_TRUE(response.ok());
  EXPECT_EQ(response->status, 302);
  EXPECT_EQ(response->Header("Location").value_or(""), "/to");
  EXPECT_EQ(target_requests.load(), 0);
}

TYPED_TEST(HttpTransportTest, DeadlinePassingDuringTheTransferIsTimeout) {
  Gate gate;
  CountingServer server("/slow", &gate);
  SystemClock clock;
  TypeParam transport(clock);
  resilience::Result<HttpResponse> response =
      transport.Send(Get(server.Url("/slow")), Deadline::After(clock.Now(), 200ms), {});
  const bool handler_finished_before_return = gate.finished();
  gate.Release();
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().kind(), ErrorKind::kTimeout) << response.error().ToString();
  EXPECT_FALSE(handler_finished_before_return);
  EXPECT_EQ(server.requests(), 1);
}

TYPED_TEST(HttpTransportTest, StopRequestedFromAnotherThreadIsCancelled) {
  Gate gate;
  CountingServer server("/hang", &gate);
  SystemClock clock;
  TypeParam transport(clock);
  std::stop_source stop;
  std::thread canceller([&] {
    gate.WaitEntered();
    stop.request_stop();
  });
  resilience::Result<HttpResponse> response =
      transport.Send(Get(server.Url("/hang")), Deadline::Infinite(), stop.get_token());
  const bool handler_finished_before_return = gate.finished();
  gate.Release();
  canceller.join();
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().kind(), ErrorKind::kCancelled) << response.error().ToString();
  EXPECT_FALSE(handler_finished_before_return);
  EXPECT_EQ(server.requests(), 1);
}

TYPED_TEST(HttpTransportTest, StopRequestedBeforeSendingSendsNothing) {
  CountingServer server;
  SystemClock clock;
  TypeParam transport(clock);
  std::stop_source stop;
  stop.request_stop();
  resilience::Result<HttpResponse> response =
      transport.Send(Get(server.Url("/")), Deadline::Infinite(), stop.get_token());
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().kind(), ErrorKind::kCancelled);
  EXPECT_EQ(server.requests(), 0);
}

TYPED_TEST(HttpTransportTest, ExpiredDeadlineIsTimeoutAndSendsNothing) {
  CountingServer server;
  resilience::ManualClock clock;
  TypeParam transport(clock);
  const Deadline deadline = Deadline::After(clock.Now(), 5s);
  clock.Advance(5s);
  resilience::Result<HttpResponse> response = transport.Send(Get(server.Url("/")), deadline, {});
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().kind(), ErrorKind::kTimeout);
  EXPECT_EQ(server.requests(), 0);
  EXPECT_EQ(transport.idle_connections(), 0u);  // not even a connection was made
}

TYPED_TEST(HttpTransportTest, ConnectionRefusedIsTransient) {
  SystemClock clock;
  TypeParam transport(clock);
  const std::string url = "http://127.0.0.1:" + std::to_string(ClosedPort()) + "/";
  resilience::Result<HttpResponse> response =
      transport.Send(Get(url), Deadline::After(clock.Now(), 10s), {});
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().kind(), ErrorKind::kTransient);
  EXPECT_THAT(std::string(response.error().message()), HasSubstr("127.0.0.1"));
}

TYPED_TEST(HttpTransportTest, HostNamesAreResolved) {
  TestServer server([](httplib::Server& s) {
    s.Get("/", [](const httplib::Request& req, httplib::Response& res) {
      res.set_content(req.get_header_value("Host"), "text/plain");
    });
  });
  SystemClock clock;
  TypeParam transport(clock);
  const std::string authority = "localhost:" + std::to_string(server.port());
  resilience::Result<HttpResponse> response =
      transport.Send(Get("http://" + authority + "/"), Deadline::After(clock.Now(), 10s), {});
  ASSERT_TRUE(response.ok()) << response.error().ToString();
  EXPECT_EQ(response->body, authority);
}

TYPED_TEST(HttpTransportTest, ReusesTheConnectionForSequentialCalls) {
  std::mutex mu;
  std::vector<int> remote_ports;
  TestServer server([&](httplib::Server& s) {
    s.Get("/", [&](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard lock(mu);
      remote_ports.push_back(req.remote_port);
      res.set_content("ok", "text/plain");
    });
  });
  SystemClock clock;
  TypeParam transport(clock);
  for (int i = 0; i < 3; ++i) {
    resilience::Result<HttpResponse> response =
        transport.Send(Get(server.Url("/")), Deadline::After(clock.Now(), 10s), {});
    ASSERT_TRUE(response.ok()) << response.error().ToString();
  }
  std::lock_guard lock(mu);
  ASSERT_EQ(remote_ports.size(), 3u);
  EXPECT_EQ(remote_ports[0], remote_ports[1]);
  EXPECT_EQ(remote_ports[1], remote_ports[2]);
  EXPECT_EQ(transport.idle_connections(), 1u);
}

TYPED_TEST(HttpTransportTest, ProxyOptionSendsTheRequestToTheProxy) {
  std::mutex mu;
  std::string seen_target;
  std::string seen_host;
  TestServer proxy([&](httplib::Server& s) {
    s.Get(".*", [&](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard lock(mu);
      seen_target = req.target;
      seen_host = req.get_header_value("Host");
      res.set_content("via proxy", "text/plain");
    });
  });
  SystemClock clock;
  TypeParam transport(
      clock, {.proxy_host = "127.0.0.1", .proxy_port = static_cast<std::uint16_t>(proxy.port())});
  // The target host does not resolve: only a proxy can answer.
  resilience::Result<HttpResponse> response = transport.Send(
      Get("http://ec2.example.invalid:8080/some/path?x=1"), Deadline::After(clock.Now(), 10s), {});
  ASSERT_TRUE(response.ok()) << response.error().ToString();
  EXPECT_EQ(response->body, "via proxy");
  std::lock_guard lock(mu);
  EXPECT_EQ(seen_target, "http://ec2.example.invalid:8080/some/path?x=1");  // absolute form
  EXPECT_EQ(seen_host, "ec2.example.invalid:8080");
}

TYPED_TEST(HttpTransportTest, MalformedUrlsAndUnsupportedSchemesAreValidationErrors) {
  SystemClock clock;
  TypeParam transport(clock);
  for (std::string url : {"http://", "not a url", "ftp://127.0.0.1/file", "file:///etc/passwd"}) {
    resilience::Result<HttpResponse> response =
        transport.Send(Get(url), Deadline::After(clock.Now(), 10s), {});
    ASSERT_FALSE(response.ok()) << url;
    EXPECT_EQ(response.error().kind(), ErrorKind::kValidation)
        << url << ": " << response.error().ToString();
  }
}

TYPED_TEST(HttpTransportTest, HeaderInjectionIsRejectedBeforeSending) {
  CountingServer server;
  SystemClock clock;
  TypeParam transport(clock);
  HttpRequest request = Get(server.Url("/"));
  request.headers.emplace_back("X-Evil", "a\r\nX-Injected: 1");
  resilience::Result<HttpResponse> response =
      transport.Send(request, Deadline::After(clock.Now(), 10s), {});
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().kind(), ErrorKind::kValidation);
  HttpRequest bad_method = Get(server.Url("/"));
  bad_method.method = "GET /x";
  response = transport.Send(bad_method, Deadline::After(clock.Now(), 10s), {});
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().kind(), ErrorKind::kValidation);
  EXPECT_EQ(server.requests(), 0);
}

TYPED_TEST(HttpTransportTest, PutWithoutBodySendsContentLengthZero) {
  std::mutex mu;
  std::string seen_method;
  std::string seen_length;
  TestServer server([&](httplib::Server& s) {
    s.Put("/latest/api/token", [&](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard lock(mu);
      seen_method = req.method;
      seen_length = req.get_header_value("Content-Length");
      res.set_content("token", "text/plain");
    });
  });
  SystemClock clock;
  TypeParam transport(clock);
  HttpRequest request{.method = "PUT",
                      .url = server.Url("/latest/api/token"),
                      .headers = {{"X-aws-ec2-metadata-token-ttl-seconds", "21600"}},
                      .body = {}};
  resilience::Result<HttpResponse> response =
      transport.Send(request, Deadline::After(clock.Now(), 10s), {});
  ASSERT_TRUE(response.ok()) << response.error().ToString();
  EXPECT_EQ(response->body, "token");
  std::lock_guard lock(mu);
  EXPECT_EQ(seen_method, "PUT");
  EXPECT_EQ(seen_length, "0");
}

TYPED_TEST(HttpTransportTest, SendsExactlyTheRequestsHeadersIncludingEmptyOnes) {
  RawServer server({"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n"});
  SystemClock clock;
  TypeParam transport(clock);
  HttpRequest request{.method = "PUT",
                      .url = server.Url("/x"),
                      .headers = {{"X-Empty", ""}, {"X-Full", "v"}},
                      .body = {}};
  resilience::Result<HttpResponse> response =
      transport.Send(request, Deadline::After(clock.Now(), 10s), {});
  ASSERT_TRUE(response.ok()) << response.error().ToString();
  EXPECT_EQ(response->status, 204);
  const std::vector<std::string> requests = server.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_THAT(requests[0], HasSubstr("PUT /x HTTP/1.1\r\n"));
  EXPECT_THAT(requests[0], HasSubstr("\r\nX-Empty:\r\n"));
  EXPECT_THAT(requests[0], HasSubstr("\r\nX-Full: v\r\n"));
  EXPECT_THAT(requests[0], HasSubstr("\r\nUser-Agent: ohfp/0.1\r\n"));
  EXPECT_THAT(requests[0], ::testing::Not(HasSubstr("Content-Type")));  // not invented by libcurl
  EXPECT_THAT(requests[0], ::testing::Not(HasSubstr("Expect")));
}

TYPED_TEST(HttpTransportTest, ServerClosingWithoutAnAnswerIsTransientAfterOneRequest) {
  RawServer server({""});  // reads the request, then closes the connection
  SystemClock clock;
  TypeParam transport(clock);
  HttpRequest request{.method = "POST",
                      .url = server.Url("/"),
                      .headers = {{"Content-Type", "application/x-www-form-urlencoded"}},
                      .body = "Action=RunInstances"};
  resilience::Result<HttpResponse> response =
      transport.Send(request, Deadline::After(clock.Now(), 10s), {});
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().kind(), ErrorKind::kTransient) << response.error().ToString();
  EXPECT_EQ(server.requests().size(), 1u);
}

TYPED_TEST(HttpTransportTest, RequestIsNotSentTwiceWhenAReusedConnectionDiesWithoutAnswer) {
  // The first request is answered and the connection kept alive; the server then reads the second
  // request on that connection and closes it without answering. libcurl would re-send such a
  // request on a new connection by itself; a POST must reach the server once per Send.
  RawServer server({"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", "",
                    "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"});
  SystemClock clock;
  TypeParam transport(clock);
  HttpRequest request{.method = "POST",
                      .url = server.Url("/"),
                      .headers = {{"Content-Type", "application/x-www-form-urlencoded"}},
                      .body = "Action=RunInstances&ClientToken=abc"};
  resilience::Result<HttpResponse> first =
      transport.Send(request, Deadline::After(clock.Now(), 10s), {});
  ASSERT_TRUE(first.ok()) << first.error().ToString();
  resilience::Result<HttpResponse> second =
      transport.Send(request, Deadline::After(clock.Now(), 10s), {});
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().kind(), ErrorKind::kTransient) << second.error().ToString();
  EXPECT_EQ(server.requests().size(), 2u);
  EXPECT_THAT(std::string(second.error().message()), HasSubstr("not sent again"));

  // The next Send works again, on a new connection.
  resilience::Result<HttpResponse> third =
      transport.Send(request, Deadline::After(clock.Now(), 10s), {});
  ASSERT_TRUE(third.ok()) << third.error().ToString();
  EXPECT_EQ(server.requests().size(), 3u);
}

TYPED_TEST(HttpTransportTest, LargeBodyIsSentWithoutExpectContinue) {
  std::mutex mu;
  std::size_t seen_size = 0;
  bool saw_expect = true;
  TestServer server([&](httplib::Server& s) {
    s.Post("/", [&](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard lock(mu);
      seen_size = req.body.size();
      saw_expect = req.has_header("Expect");
      res.set_content(std::string(3 << 20, 'r'), "application/octet-stream");
    });
  });
  SystemClock clock;
  TypeParam transport(clock);
  HttpRequest request{.method = "POST",
                      .url = server.Url("/"),
                      .headers = {{"Content-Type", "application/octet-stream"}},
                      .body = std::string(2 << 20, 'x')};
  resilience::Result<HttpResponse> response =
      transport.Send(request, Deadline::After(clock.Now(), 30s), {});
  ASSERT_TRUE(response.ok()) << response.error().ToString();
  EXPECT_EQ(response->body.size(), std::size_t{3} << 20);
  std::lock_guard lock(mu);
  EXPECT_EQ(seen_size, std::size_t{2} << 20);
  EXPECT_FALSE(saw_expect);
}

TYPED_TEST(HttpTransportTest, ConcurrentSendsFromManyThreads) {
  std::atomic<int> requests{0};
  TestServer server([&](httplib::Server& s) {
    s.Get("/n", [&](const httplib::Request& req, httplib::Response& res) {
      requests.fetch_add(1);
      res.set_content(req.get_param_value("i"), "text/plain");
    });
  });
  SystemClock clock;
  TypeParam transport(clock, {.max_idle_connections = 3});
  constexpr int kThreads = 6;
  constexpr int kPerThread = 15;
  std::atomic<int> correct{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const std::string id = std::to_string(t * 1000 + i);
        resilience::Result<HttpResponse> response =
            transport.Send(Get(server.Url("/n?i=" + id)), Deadline::After(clock.Now(), 30s), {});
        if (response.ok() && response->status == 200 && response->body == id) correct.fetch_add(1);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(correct.load(), kThreads * kPerThread);
  EXPECT_EQ(requests.load(), kThreads * kPerThread);
  EXPECT_LE(transport.idle_connections(), 3u);
}

TYPED_TEST(HttpTransportTest, ChunkedResponsesAreDecoded) {
  TestServer server([](httplib::Server& s) {
    s.Get("/chunked", [](const httplib::Request&, httplib::Response& res) {
      res.set_chunked_content_provider("text/xml", [](std::size_t offset, httplib::DataSink& sink) {
        if (offset < 3 * 5000) {
          const std::string piece(5000, static_cast<char>('a' + offset / 5000));
          sink.write(piece.data(), piece.size());
        } else {
          sink.done();
        }
        return true;
      });
    });
  });
  SystemClock clock;
  TypeParam transport(clock);
  for (int i = 0; i < 2; ++i) {  // the second on the kept-alive connection
    resilience::Result<HttpResponse> response =
        transport.Send(Get(server.Url("/chunked")), Deadline::After(clock.Now(), 10s), {});
    ASSERT_TRUE(response.ok()) << response.error().ToString();
    EXPECT_EQ(response->body,
              std::string(5000, 'a') + std::string(5000, 'b') + std::string(5000, 'c'));
  }
  EXPECT_EQ(transport.idle_connections(), 1u);
}

// --- The response body limit (TransportOptions::max_response_body)

TYPED_TEST(HttpTransportTest, AContentLengthOverTheLimitIsRefusedBeforeTheBodyIsRead) {
  // The server announces more than the limit and sends a few bytes, then waits with the connection
  // open: a transport that tried to read the body would wait for the deadline (kTimeout).
  for (const auto& [announced, limit] :
       std::vector<std::pair<std::uint64_t, std::size_t>>{{(std::uint64_t{1} << 20) + 1, 1 << 20},
                                                          {kDefaultMaxResponseBody + 1, 0},
                                                          {std::uint64_t{1} << 40, 0}}) {
    RawServer server({"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: " +
                      std::to_string(announced) + "\r\n\r\n<DescribeInstancesResponse>"});
    SystemClock clock;
    TransportOptions options;
    if (limit != 0) options.max_response_body = limit;
    TypeParam transport(clock, options);
    resilience::Result<HttpResponse> response =
        transport.Send(Get(server.Url("/")), Deadline::After(clock.Now(), 30s), {});
    ASSERT_FALSE(response.ok()) << announced;
    EXPECT_EQ(response.error().kind(), ErrorKind::kTransient) << response.error().ToString();
    EXPECT_EQ(response.error().code(), "ResponseTooLarge") << response.error().ToString();
    EXPECT_THAT(std::string(response.error().message()),
                HasSubstr("(" + std::to_string(announced) + " bytes, announced)"));
  }
}

TYPED_TEST(HttpTransportTest, ABodyOfExactlyTheLimitIsAccepted) {
  constexpr std::size_t kLimit = 64 << 10;
  RawServer server({"HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(kLimit) + "\r\n\r\n" +
                    std::string(kLimit, 'x')});
  SystemClock clock;
  TypeParam transport(clock, {.max_response_body = kLimit});
  resilience::Result<HttpResponse> response =
      transport.Send(Get(server.Url("/")), Deadline::After(clock.Now(), 30s), {});
  ASSERT_TRUE(response.ok()) << response.error().ToString();
  EXPECT_EQ(response->body.size(), kLimit);
}

TYPED_TEST(HttpTransportTest, AChunkedBodyIsCutOffWhenItPassesTheLimit) {
  // An endless chunked body: without the limit the transfer would run until the deadline.
  std::atomic<std::size_t> written{0};
  TestServer server([&](httplib::Server& s) {
    s.Get("/endless", [&](const httplib::Request&, httplib::Response& res) {
      res.set_chunked_content_provider("text/xml", [&](std::size_t, httplib::DataSink& sink) {
        const std::string piece(16 << 10, 'a');
        written.fetch_add(piece.size());
        return sink.write(piece.data(), piece.size());
      });
    });
  });
  SystemClock clock;
  TypeParam transport(clock, {.max_response_body = 1 << 20});
  resilience::Result<HttpResponse> response =
      transport.Send(Get(server.Url("/endless")), Deadline::After(clock.Now(), 60s), {});
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().kind(), ErrorKind::kTransient) << response.error().ToString();
  EXPECT_EQ(response.error().code(), "ResponseTooLarge") << response.error().ToString();
  EXPECT_THAT(std::string(response.error().message()), HasSubstr("cut off"));
}

TYPED_TEST(HttpTransportTest, ABodyDelimitedByTheEndOfTheConnectionIsCutOffAtTheLimit) {
  RawServer server(
      {"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n" + std::string(3 << 20, 'h')},
      /*close_after_answer=*/true);
  SystemClock clock;
  TypeParam transport(clock, {.max_response_body = 1 << 20});
  resilience::Result<HttpResponse> response =
      transport.Send(Get(server.Url("/")), Deadline::After(clock.Now(), 30s), {});
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().code(), "ResponseTooLarge") << response.error().ToString();
  // Under the limit, the same framing is read to the end.
  RawServer small({"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<html/>"},
                  /*close_after_answer=*/true);
  resilience::Result<HttpResponse> read =
      transport.Send(Get(small.Url("/")), Deadline::After(clock.Now(), 30s), {});
  ASSERT_TRUE(read.ok()) << read.error().ToString();
  EXPECT_EQ(read->body, "<html/>");
}

TYPED_TEST(HttpTransportTest, TlsVerifiesThePeerAgainstTheCaBundle) {
  const TestCertificate certificate("IP:127.0.0.1");
  std::atomic<int> requests{0};
  std::mutex mu;
  std::vector<int> remote_ports;
  TestServer server(
      [&](httplib::Server& s) {
        s.Post("/", [&](const httplib::Request& req, httplib::Response& res) {
          requests.fetch_add(1);
          {
            std::lock_guard lock(mu);
            remote_ports.push_back(req.remote_port);
          }
          res.set_content("secure:" + req.body, "text/plain");
        });
      },
      certificate.Server());
  SystemClock clock;
  TypeParam transport(clock, {.ca_bundle = certificate.pem_path()});
  HttpRequest request{.method = "POST",
                      .url = server.HttpsUrl("/"),
                      .headers = {{"Content-Type", "application/x-www-form-urlencoded"}},
                      .body = "Action=DescribeInstances"};
  for (int i = 0; i < 2; ++i) {
    resilience::Result<HttpResponse> response =
        transport.Send(request, Deadline::After(clock.Now(), 10s), {});
    ASSERT_TRUE(response.ok()) << response.error().ToString();
    EXPECT_EQ(response->body, "secure:Action=DescribeInstances");
  }
  EXPECT_EQ(requests.load(), 2);
  std::lock_guard lock(mu);
  ASSERT_EQ(remote_ports.size(), 2u);
  EXPECT_EQ(remote_ports[0], remote_ports[1]);  // one TLS connection, kept alive
  EXPECT_EQ(transport.idle_connections(), 1u);
}

// A GET to an HTTPS server presenting `certificate`, through a transport made with `options`: the
// result and how many requests reached the server.
template <typename Transport>
std::pair<resilience::Result<HttpResponse>, int> GetOverTls(const TestCertificate& certificate,
                                                            TransportOptions options) {
  CountingServer server("/", nullptr, certificate.Server());
  SystemClock clock;
  Transport transport(clock, std::move(options));
  resilience::Result<HttpResponse> response =
      transport.Send(Get(server.HttpsUrl("/")), Deadline::After(clock.Now(), 10s), {});
  return {std::move(response), server.requests()};
}

TYPED_TEST(HttpTransportTest, TlsPeerOutsideTheTrustStoreIsRejectedBeforeAnyRequest) {
  // The system's trust store, which does not know this certificate.
  const auto [response, requests] =
      GetOverTls<TypeParam>(TestCertificate("IP:127.0.0.1"), TransportOptions{});
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().kind(), ErrorKind::kValidation) << response.error().ToString();
  EXPECT_EQ(response.error().code(), "TlsVerificationFailed");
  EXPECT_EQ(requests, 0);
}

TYPED_TEST(HttpTransportTest, TlsCertificateForAnotherNameIsRejected) {
  const TestCertificate certificate("DNS:other.example");
  const auto [response, requests] =
      GetOverTls<TypeParam>(certificate, TransportOptions{.ca_bundle = certificate.pem_path()});
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().kind(), ErrorKind::kValidation) << response.error().ToString();
  EXPECT_EQ(response.error().code(), "TlsVerificationFailed");
  EXPECT_EQ(requests, 0);
}

TYPED_TEST(HttpTransportTest, HttpsThroughAProxyGoesThroughAConnectTunnel) {
  const TestCertificate certificate("IP:127.0.0.1");
  TestServer server(
      [](httplib::Server& s) {
        s.Get("/tunnelled", [](const httplib::Request&, httplib::Response& res) {
          res.set_content("end to end", "text/plain");
        });
      },
      certificate.Server());
  TunnelProxy proxy;
  SystemClock clock;
  TypeParam transport(clock, {.ca_bundle = certificate.pem_path(),
                              .proxy_host = "http://127.0.0.1",
                              .proxy_port = static_cast<std::uint16_t>(proxy.port())});
  resilience::Result<HttpResponse> response =
      transport.Send(Get(server.HttpsUrl("/tunnelled")), Deadline::After(clock.Now(), 10s), {});
  ASSERT_TRUE(response.ok()) << response.error().ToString();
  EXPECT_EQ(response->body, "end to end");
  const std::vector<std::string> connects = proxy.connects();
  ASSERT_EQ(connects.size(), 1u);
  EXPECT_EQ(connects[0], "CONNECT 127.0.0.1:" + std::to_string(server.port()) + " HTTP/1.1");
}

TYPED_TEST(HttpTransportTest, TlsServerResettingMidUploadIsTransientAndNothingIsResent) {
  // The server completes the handshake, reads a little and resets the connection while 8 MiB are
  // still to be sent: each Send fails on its own connection, and the process survives the broken
  // writes (no SIGPIPE).
  const TestCertificate certificate("IP:127.0.0.1");
  RawTlsServer server(certificate);
  SystemClock clock;
  TypeParam transport(clock, {.ca_bundle = certificate.pem_path()});
  HttpRequest request{.method = "POST",
                      .url = "https://127.0.0.1:" + std::to_string(server.port()) + "/",
                      .headers = {{"Content-Type", "application/octet-stream"}},
                      .body = std::string(8 << 20, 'x')};
  for (int i = 0; i < 3; ++i) {
    resilience::Result<HttpResponse> response =
        transport.Send(request, Deadline::After(clock.Now(), 30s), {});
    ASSERT_FALSE(response.ok());
    EXPECT_EQ(response.error().kind(), ErrorKind::kTransient) << response.error().ToString();
  }
  EXPECT_EQ(server.accepted(), 3);
}

TYPED_TEST(HttpTransportTest, AnIdleConnectionTheServerClosedIsReplacedBeforeSending) {
  // The server answers without "Connection: close" and then closes: the next request must go out
  // once, on a new connection, and succeed.
  RawServer server({"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"}, /*close_after_answer=*/true);
  SystemClock clock;
  TypeParam transport(clock);
  HttpRequest request{.method = "POST",
                      .url = server.Url("/"),
                      .headers = {{"Content-Type", "application/x-www-form-urlencoded"}},
                      .body = "Action=RunInstances&ClientToken=abc"};
  for (int i = 0; i < 3; ++i) {
    // The server's close must come before the next request (on loopback its FIN is delivered
    // within close()); otherwise this is the keep-alive race, which fails the call by design.
    while (server.closed() < i) std::this_thread::yield();
    resilience::Result<HttpResponse> response =
        transport.Send(request, Deadline::After(clock.Now(), 10s), {});
    ASSERT_TRUE(response.ok()) << i << ": " << response.error().ToString();
    EXPECT_EQ(response->body, "ok");
  }
  EXPECT_EQ(server.requests().size(), 3u);
}

TYPED_TEST(HttpTransportTest, AProxyRefusingTheTunnelIsAnError) {
  TunnelProxy proxy;  // answers 502 when it cannot reach the target
  SystemClock clock;
  TypeParam transport(
      clock, {.proxy_host = "127.0.0.1", .proxy_port = static_cast<std::uint16_t>(proxy.port())});
  resilience::Result<HttpResponse> response =
      transport.Send(Get("https://127.0.0.1:" + std::to_string(ClosedPort()) + "/"),
                     Deadline::After(clock.Now(), 10s), {});
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().kind(), ErrorKind::kTransient) << response.error().ToString();
  EXPECT_EQ(proxy.connects().size(), 1u);
}

TYPED_TEST(HttpTransportTest, UnreadableCaBundleIsAValidationError) {
  TestServer server([](httplib::Server& s) {
    s.Get("/", [](const httplib::Request&, httplib::Response& res) {
      res.set_content("x", "text/plain");
    });
  });
  SystemClock clock;
  TypeParam transport(clock, {.ca_bundle = "/nonexistent/ohfp-ca-bundle.pem"});
  // TLS towards a plain-HTTP port: the CA bundle is loaded (and fails) before any handshake.
  resilience::Result<HttpResponse> response =
      transport.Send(Get("https://127.0.0.1:" + std::to_string(server.port()) + "/"),
                     Deadline::After(clock.Now(), 10s), {});
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().kind(), ErrorKind::kValidation) << response.error().ToString();
}

// What only the socket transport promises (CurlTransport passes framing headers through and keeps
// handles, not connections, in its pool).

TEST(SocketTransportTest, FramingHeadersAreTheTransportsAndBadOnesAreRefusedBeforeSending) {
  RawServer server({"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"});
  SystemClock clock;
  SocketTransport transport(clock);
  const std::vector<Headers> refused = {
      {{"Content-Length", "5"}, {"content-length", "50"}},  // two lengths: request smuggling
      {{"Content-Length", "50"}},                           // disagrees with the body
      {{"Transfer-Encoding", "chunked"}},
  };
  for (const Headers& headers : refused) {
    HttpRequest request{
        .method = "POST", .url = server.Url("/"), .headers = headers, .body = "hello"};
    resilience::Result<HttpResponse> response =
        transport.Send(request, Deadline::After(clock.Now(), 10s), {});
    ASSERT_FALSE(response.ok()) << headers.front().first;
    EXPECT_EQ(response.error().kind(), ErrorKind::kValidation) << response.error().ToString();
  }
  EXPECT_EQ(server.requests().size(), 0u);
  HttpRequest matching{.method = "POST",
                       .url = server.Url("/"),
                       .headers = {{"Content-Length", "5"}},
                       .body = "hello"};
  ASSERT_TRUE(transport.Send(matching, Deadline::After(clock.Now(), 10s), {}).ok());
  const std::vector<std::string> sent = server.requests();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_THAT(sent[0], HasSubstr("\r\nContent-Length: 5\r\n"));
  EXPECT_EQ(sent[0].find("Content-Length"), sent[0].rfind("Content-Length")) << sent[0];  // once
}

TEST(SocketTransportTest, ConnectionsThatCannotCarryAnotherRequestAreNotKept) {
  SystemClock clock;
  const std::vector<std::pair<std::string, std::size_t>> cases = {
      {"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", 1},
      {"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok", 0},
      {"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA", 0},  // bytes past the response
      {"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok", 0},
  };
  for (const auto& [answer, kept] : cases) {
    RawServer server({answer});
    SocketTransport transport(clock);
    resilience::Result<HttpResponse> response =
        transport.Send(Get(server.Url("/")), Deadline::After(clock.Now(), 10s), {});
    ASSERT_TRUE(response.ok()) << answer << ": " << response.error().ToString();
    EXPECT_EQ(response->body, "ok");
    EXPECT_EQ(transport.idle_connections(), kept) << answer;
  }
}

TEST(SocketTransportTest, ATlsBodyEndedWithoutCloseNotifyIsRefusedAsPossiblyTruncated) {
  const TestCertificate certificate("IP:127.0.0.1");
  const std::string answer = "HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\n\r\n<all/>";
  SystemClock clock;
  {
    RawTlsServer server(certificate, answer, /*close_notify=*/true);
    SocketTransport transport(clock, {.ca_bundle = certificate.pem_path()});
    resilience::Result<HttpResponse> response =
        transport.Send(Get("https://127.0.0.1:" + std::to_string(server.port()) + "/"),
                       Deadline::After(clock.Now(), 10s), {});
    ASSERT_TRUE(response.ok()) << response.error().ToString();
    EXPECT_EQ(response->body, "<all/>");
  }
  {
    RawTlsServer server(certificate, answer, /*close_notify=*/false);
    SocketTransport transport(clock, {.ca_bundle = certificate.pem_path()});
    resilience::Result<HttpResponse> response =
        transport.Send(Get("https://127.0.0.1:" + std::to_string(server.port()) + "/"),
                       Deadline::After(clock.Now(), 10s), {});
    ASSERT_FALSE(response.ok());
    EXPECT_EQ(response.error().kind(), ErrorKind::kTransient);
    EXPECT_THAT(std::string(response.error().message()), HasSubstr("may be truncated"));
  }
}

TEST(CurlTransportOnlyTest, LibcurlGlobalInitIsThreadSafe) {
  // The transport relies on libcurl counting curl_global_init/cleanup itself, safely across
  // threads.
  const curl_version_info_data* info = curl_version_info(CURLVERSION_NOW);
  ASSERT_NE(info, nullptr);
  EXPECT_NE(info->features & CURL_VERSION_THREADSAFE, 0);
  // Transports created and destroyed on several threads at once.
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([] {
      SystemClock clock;
      for (int i = 0; i < 10; ++i) CurlTransport transport(clock);
    });
  }
  for (std::thread& thread : threads) thread.join();
}

}  // namespace
}  // namespace ohfp::aws
