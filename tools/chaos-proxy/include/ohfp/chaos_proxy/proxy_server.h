// ohfp/chaos_proxy/proxy_server.h
//
// ProxyServer puts a ChaosProxy on a TCP socket (cpp-httplib underneath). It turns each HTTP
// request into a ChaosProxy::Handle() call and carries out the outcome: send the response, close
// the connection without an answer (FIN), or abort it (RST). Connections are kept alive between
// requests as HTTP/1.1 allows.
//
// Stop() is prompt: it stops accepting, wakes idle keep-alive connections, and cancels every wait
// in flight (latency, hang, the upstream call, a request queued behind the same ClientToken).
//
// The server never lets cpp-httplib compress a response or apply a Range header: the client's
// Accept-Encoding goes to the upstream, and the upstream's bytes come back as they were.
//
// Thread-safety: Bind(), Start() and Run() are called once, from one thread; Stop() and port() are
// safe from any thread, and Stop() may be called any number of times. The destructor stops and
// joins.
//
// Example:
//   ServerOptions options;                  // 127.0.0.1, any free port
//   ProxyServer server(proxy, options);
//   auto status = server.Start();           // binds, then serves on a background thread
//   if (!status.ok()) Fail(status.error().message());
//   httplib::Client client("127.0.0.1", server.port());
//   server.Stop();
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "ohfp/chaos_proxy/chaos_proxy.h"
#include "ohfp/resilience/result.h"

namespace ohfp::chaos_proxy {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 0;              // 0: any free port
  std::size_t threads = 64;  // connections served at once (a hanging request holds one)
  std::chrono::milliseconds keep_alive_timeout{5000};
  std::chrono::milliseconds read_timeout{30000};   // waiting for the rest of a request
  std::chrono::milliseconds write_timeout{30000};  // waiting for the client to take the response
  std::size_t max_requests_per_connection = 1000;
};

class ProxyServer {
 public:
  ProxyServer(ChaosProxy& proxy, ServerOptions options);
  ~ProxyServer();
  ProxyServer(const ProxyServer&) = delete;
  ProxyServer& operator=(const ProxyServer&) = delete;

  // Binds and listens; returns the port (the chosen one when options.port was 0).
  [[nodiscard]] resilience::Result<int> Bind();
  // Serves connections until Stop(). Returns false if the accept loop failed.
  bool Run();
  // Bind(), then Run() on a background thread.
  [[nodiscard]] resilience::Status Start();
  void Stop();

  int port() const noexcept { return port_; }

 private:
  class HttpServer;

  ChaosProxy& proxy_;
  const ServerOptions options_;
  std::unique_ptr<HttpServer> http_;
  int port_ = 0;
  std::mutex join_mu_;
  std::thread thread_;  // guarded by join_mu_ once started
};

}  // namespace ohfp::chaos_proxy
