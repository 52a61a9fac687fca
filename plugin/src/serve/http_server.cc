#include "serve/http_server.h"

#include <httplib.h>

#include <thread>

#include "serve/dashboard_assets.h"
#include "serve/token.h"

namespace ohfp::serve {
namespace {

using resilience::Error;
using resilience::ErrorKind;

constexpr const char* kPagePolicy =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

void Send(httplib::Response& res, const ApiResponse& r) {
  res.status = r.status;
  res.set_content(r.body, r.content_type.c_str());
}

void SendAsset(httplib::Response& res, std::string_view bytes, const char* type) {
  res.set_content(bytes.data(), bytes.size(), type);
}

}  // namespace

resilience::Result<std::unique_ptr<HttpServer>> HttpServer::Create(ServeApi& api,
                                                                   logging::AppLog& log,
                                                                   HttpOptions options) {
  if (options.tls_cert.has_value() != options.tls_key.has_value()) {
    return Error(ErrorKind::kValidation, "TlsOptions", "TLS needs both --tls-cert and --tls-key");
  }
  std::unique_ptr<httplib::Server> server;
  if (options.tls_cert) {
    auto tls =
        std::make_unique<httplib::SSLServer>(options.tls_cert->c_str(), options.tls_key->c_str());
    if (!tls->is_valid()) {
      return Error(ErrorKind::kValidation, "TlsOptions",
                   "cannot load the TLS certificate " + options.tls_cert->string() + " and key " +
                       options.tls_key->string() + " (PEM files, the key unencrypted)");
    }
    server = std::move(tls);
  } else {
    server = std::make_unique<httplib::Server>();
  }
  std::unique_ptr<HttpServer> out(new HttpServer(api, log, std::move(options), std::move(server)));
  out->Route();
  return out;
}

HttpServer::HttpServer(ServeApi& api, logging::AppLog& log, HttpOptions options,
                       std::unique_ptr<httplib::Server> server)
    : api_(api), log_(log), options_(std::move(options)), server_(std::move(server)) {}

HttpServer::~HttpServer() { Stop(); }

resilience::Result<int> HttpServer::Bind() {
  const int port = options_.port == 0 ? server_->bind_to_any_port(options_.host)
                   : server_->bind_to_port(options_.host, options_.port) ? options_.port
                                                                         : -1;
  if (port <= 0) {
    return Error(ErrorKind::kInternal, "ListenFailed",
                 "cannot listen on " + options_.host + ":" + std::to_string(options_.port) +
                     " (in use, or not an address of this host)");
  }
  return port;
}

void HttpServer::Run() {
  {
    std::lock_guard lock(run_mu_);
    if (stop_requested_) return;
    run_started_ = true;
  }
  server_->listen_after_bind();
  run_finished_.store(true);
}

void HttpServer::Stop() {
  if (!server_) return;
  {
    std::lock_guard lock(run_mu_);
    stop_requested_ = true;
    if (!run_started_) return;  // Run() will not listen
  }
  // Run() is listening, or about to: cpp-httplib ignores a stop until it is.
  while (!server_->is_running() && !run_finished_.load()) std::this_thread::yield();
  server_->stop();
}

void HttpServer::Route() {
  const int threads = std::max(1, options_.threads);
  server_->new_task_queue = [threads] {
    return new httplib::ThreadPool(static_cast<std::size_t>(threads));
  };
  server_->set_read_timeout(std::chrono::seconds(10));
  server_->set_write_timeout(std::chrono::seconds(10));
  server_->set_payload_max_length(64 * 1024);
  server_->set_default_headers(
      {{"X-Content-Type-Options", "nosniff"}, {"Cache-Control", "no-store"}});
  server_->set_logger([this](const httplib::Request& req, const httplib::Response& res) {
    const bool action = req.method == "POST";
    log_.Log(action ? spdlog::level::info : spdlog::level::debug,
             "api: " + req.method + " " + req.path + " from " + req.remote_addr + ": " +
                 std::to_string(res.status),
             {{"event", "api"},
              {"method", req.method},
              {"path", req.path},
              {"client", req.remote_addr},
              {"status", res.status}});
  });
  server_->set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (res.body.empty()) {
      Send(res, ErrorResponse(res.status, res.status == 404
                                              ? "no such endpoint: " + req.method + " " + req.path
                                              : "HTTP status " + std::to_string(res.status)));
    }
  });

  RouteReads();
  RouteActions();
}

void HttpServer::RouteReads() {
  server_->Get("/", [](const httplib::Request&, httplib::Response& res) {
    res.set_header("Content-Security-Policy", kPagePolicy);
    SendAsset(res, DashboardPage(), "text/html; charset=utf-8");
  });
  server_->Get("/assets/dashboard.js", [](const httplib::Request&, httplib::Response& res) {
    SendAsset(res, DashboardScript(), "text/javascript; charset=utf-8");
  });
  server_->Get("/assets/dashboard.css", [](const httplib::Request&, httplib::Response& res) {
    SendAsset(res, DashboardStyle(), "text/css; charset=utf-8");
  });

  auto get = [this](const char* pattern, auto answer) {
    server_->Get(pattern, [this, answer](const httplib::Request& req, httplib::Response& res) {
      Send(res, answer(api_, req));
    });
  };
  get("/healthz", [](ServeApi& a, const httplib::Request&) { return a.Health(); });
  get("/metrics", [](ServeApi& a, const httplib::Request&) { return a.Metrics(); });
  get("/api/v1", [](ServeApi& a, const httplib::Request&) { return a.Index(); });
  get("/api/v1/overview", [](ServeApi& a, const httplib::Request&) { return a.Overview(); });
  get("/api/v1/templates", [](ServeApi& a, const httplib::Request&) { return a.Templates(); });
  get("/api/v1/requests",
      [](ServeApi& a, const httplib::Request& r) { return a.Requests(r.params); });
  get(R"(/api/v1/requests/([^/]+))",
      [](ServeApi& a, const httplib::Request& r) { return a.Request(r.matches[1].str()); });
  get("/api/v1/machines",
      [](ServeApi& a, const httplib::Request& r) { return a.Machines(r.params); });
  get("/api/v1/breakers", [](ServeApi& a, const httplib::Request&) { return a.Breakers(); });
  get("/api/v1/quota", [](ServeApi& a, const httplib::Request&) { return a.Quota(); });
  get("/api/v1/events", [](ServeApi& a, const httplib::Request& r) { return a.Events(r.params); });
  get("/api/v1/timeline",
      [](ServeApi& a, const httplib::Request& r) { return a.Timeline(r.params); });
}

// Operator actions: a bearer token first.
void HttpServer::RouteActions() {
  auto post = [this](const char* pattern, auto answer) {
    server_->Post(pattern, [this, answer](const httplib::Request& req, httplib::Response& res) {
      if (!options_.token) {
        Send(res, ErrorResponse(403,
                                "operator actions are disabled: ohfp serve was started "
                                "without --token-file"));
        return;
      }
      const std::string authorization = req.get_header_value("Authorization");
      const std::optional<std::string_view> presented = BearerToken(authorization);
      if (!presented || !TokenMatches(*options_.token, *presented)) {
        res.set_header("WWW-Authenticate", R"(Bearer realm="ohfp")");
        Send(res,
             ErrorResponse(401, presented ? "wrong bearer token"
                                          : "this action needs Authorization: Bearer <token>"));
        return;
      }
      Send(res, answer(api_, req));
    });
  };
  post(R"(/api/v1/breakers/([^/]+)/([a-z-]+))", [](ServeApi& a, const httplib::Request& r) {
    return a.BreakerAction(r.matches[1].str(), r.matches[2].str());
  });
  post("/api/v1/reconcile/dry-run",
       [](ServeApi& a, const httplib::Request&) { return a.Reconcile(/*dry_run=*/true); });
  post("/api/v1/reconcile",
       [](ServeApi& a, const httplib::Request&) { return a.Reconcile(/*dry_run=*/false); });
}

}  // namespace ohfp::serve
