// serve/http_server.h
//
// HttpServer: `ohfp serve`'s HTTP(S) front, over cpp-httplib (Debian's build, which has OpenSSL:
// httplib::SSLServer serves TLS when a certificate and key are given). Routes:
//   GET  /                  the dashboard (serve/dashboard_assets.h), /assets/dashboard.{js,css}
//   GET  /healthz, /metrics, /api/v1, /api/v1/...   ServeApi's read answers; no token needed
//   POST /api/v1/breakers/{service}/{force-open|force-closed|reset}, /api/v1/reconcile/dry-run,
//        /api/v1/reconcile   operator actions: need "Authorization: Bearer <token>"; 401 without
//        one or with a wrong one, 403 when serve was started without a token file
// Every answer carries X-Content-Type-Options: nosniff and Cache-Control: no-store; the page a
// Content-Security-Policy that allows only its own origin. Every POST is logged (path, client,
// answer; never the token), GETs at debug level.
//
// Thread-safety: Run() blocks on the calling thread while a small pool answers requests; Stop()
// may be called from any thread. Handlers only call thread-safe objects (ServeApi, AppLog).
//
// Example:
//   auto server = HttpServer::Create(api, log, {.host = "127.0.0.1", .port = 0});
//   Result<int> port = (*server)->Bind();
//   std::thread t([&] { (*server)->Run(); });
//   ...
//   (*server)->Stop();
//   t.join();
#pragma once

#include <atomic>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "logging/app_log.h"
#include "ohfp/resilience/result.h"
#include "serve/api.h"

namespace httplib {
class Server;
}

namespace ohfp::serve {

struct HttpOptions {
  std::string host = "127.0.0.1";
  int port = 8451;  // 0: any free port (Bind() says which)
  std::optional<std::filesystem::path> tls_cert{};
  std::optional<std::filesystem::path> tls_key{};
  std::optional<std::string> token{};  // no token: operator actions are refused (403)
  int threads = 4;
};

class HttpServer {
 public:
  // kValidation when the TLS certificate or key cannot be loaded, or only one of them is given.
  [[nodiscard]] static resilience::Result<std::unique_ptr<HttpServer>> Create(ServeApi& api,
                                                                              logging::AppLog& log,
                                                                              HttpOptions options);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds host:port; returns the port bound. kInternal when it cannot.
  [[nodiscard]] resilience::Result<int> Bind();
  // Answers requests until Stop(). Stop() may come from another thread at any time, even before
  // Run() starts (then Run() returns at once): a stop is never lost.
  void Run();
  void Stop();
  bool tls() const noexcept { return options_.tls_cert.has_value(); }

 private:
  HttpServer(ServeApi& api, logging::AppLog& log, HttpOptions options,
             std::unique_ptr<httplib::Server> server);
  void Route();
  void RouteReads();
  void RouteActions();

  ServeApi& api_;
  logging::AppLog& log_;
  const HttpOptions options_;
  std::unique_ptr<httplib::Server> server_;
  // cpp-httplib's stop() does nothing until listening has begun: Run and Stop agree through these.
  std::mutex run_mu_;
  bool stop_requested_ = false;  // guarded by run_mu_
  bool run_started_ = false;     // guarded by run_mu_
  std::atomic<bool> run_finished_{false};
};

}  // namespace ohfp::serve
