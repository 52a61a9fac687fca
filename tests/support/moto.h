// tests/support/moto.h
//
// Test fixtures for the local AWS world: MotoServer runs the moto emulator (`python3 -m
// moto.server`) on a free 127.0.0.1 port, ChaosProxyProcess runs ohfp-chaos-proxy in front of it.
// Both stop their process when destroyed. moto's output goes to a log file, so a chatty server
// never blocks on a full pipe; the file is kept for diagnostics.
//
// Thread-safety: one fixture object per thread; the servers themselves serve any number of clients.
//
// Example:
//   std::string why;
//   std::unique_ptr<MotoServer> moto = MotoServer::Start({}, &why);
//   ASSERT_TRUE(moto) << why;
//   moto->Reset();
//   ChaosProxyProcess proxy = ...; proxy.SetRules(R"({"rules": []})");
#pragma once

#include <sys/types.h>

#include <map>
#include <memory>
#include <optional>
#include <string>

namespace ohfp::testing {

// True when `python3 -c 'import moto.server'` works; tests that need moto fail with
// MotoMissingMessage() otherwise.
bool MotoAvailable();
std::string MotoMissingMessage();

struct HttpAnswer {
  int status = 0;  // 0: no answer (connection failed)
  std::string body;
};

// A plain, unsigned HTTP request to 127.0.0.1:port (moto's own API, the proxy's control endpoint).
HttpAnswer HttpCall(int port, const std::string& method, const std::string& path,
                    const std::string& body = "",
                    const std::string& content_type = "application/json");

struct MotoOptions {
  std::map<std::string, std::string>
      env{};  // e.g. INITIAL_NO_AUTH_ACTION_COUNT, MOTO_ENABLE_AMI_VALIDATION
};

class MotoServer {
 public:
  // Starts moto and waits until it listens. nullptr (and `why`) when it cannot start.
  static std::unique_ptr<MotoServer> Start(const MotoOptions& options = {},
                                           std::string* why = nullptr);
  ~MotoServer();
  MotoServer(const MotoServer&) = delete;
  MotoServer& operator=(const MotoServer&) = delete;

  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  // Forgets every resource (POST /moto-api/reset). False when moto does not answer.
  bool Reset() const;
  // moto's state dump (GET /moto-api/data.json), for assertions on what exists.
  std::string Data() const;
  const std::string& log_file() const { return log_; }

 private:
  MotoServer(pid_t pid, int port, std::string log) : pid_(pid), port_(port), log_(std::move(log)) {}
  pid_t pid_;
  int port_;
  std::string log_;
};

struct ChaosProxyOptions {
  std::string upstream{};    // e.g. moto->url()
  std::string rules_json{};  // initial rules; empty: none
  std::uint64_t seed = 1;
};

class ChaosProxyProcess {
 public:
  static std::unique_ptr<ChaosProxyProcess> Start(const ChaosProxyOptions& options,
                                                  std::string* why = nullptr);
  ~ChaosProxyProcess();
  ChaosProxyProcess(const ChaosProxyProcess&) = delete;
  ChaosProxyProcess& operator=(const ChaosProxyProcess&) = delete;

  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  // Replaces the rules (PUT /__chaos/rules); false with the proxy's message in `why` when refused.
  bool SetRules(const std::string& rules_json, std::string* why = nullptr) const;
  // GET /__chaos/stats.
  std::string Stats() const;
  // POST /__chaos/reset: stats, time origin, idempotency cache.
  bool Reset() const;

 private:
  ChaosProxyProcess(pid_t pid, int port, std::string dir)
      : pid_(pid), port_(port), dir_(std::move(dir)) {}
  pid_t pid_;
  int port_;
  std::string dir_;
};

std::string ChaosProxyBinary();

}  // namespace ohfp::testing
