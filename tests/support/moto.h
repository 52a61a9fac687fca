// tests/support/moto.h
//
// Test fixtures for the local AWS world: MotoServer runs the moto emulator (`python3 -m
// moto.server`) on a free 127.0.0.1 port, ChaosProxyProcess runs ohfp-chaos-proxy in front of it.
// Both stop their process when destroyed. moto's output goes to a log file, so a chatty server
// never blocks on a full pipe; the file is kept for diagnostics.
//
// Signatures: by default moto checks every request's SigV4 signature, as AWS does, against an IAM
// user's access key, as a site's test account would be used. moto starts with
// INITIAL_NO_AUTH_ACTION_COUNT=3: those three free requests create the IAM user "ohfp", its access
// key and an allow-all inline policy; every later request must be signed with that key
// (credentials()). Reset() forgets IAM too, so it re-opens three free requests
// (/moto-api/reset-auth) and creates a new user and key: read credentials() again after a
// Reset(). Call() is a signed Query call for tests that inspect moto directly.
//
// Thread-safety: Reset() must not run concurrently with anything else on the fixture; the other
// methods may be called from any thread. The servers themselves serve any number of clients.
//
// Example:
//   std::string why;
//   std::unique_ptr<MotoServer> moto = MotoServer::Start({}, &why);
//   ASSERT_TRUE(moto) << why;
//   moto->Reset();
//   MotoCredentials key = moto->credentials();   // AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY
//   HttpAnswer a = moto->Call("ec2", "Action=DescribeInstances&Version=2016-11-15");
//   ChaosProxyProcess proxy = ...; proxy.SetRules(R"({"rules": []})");
#pragma once

#include <sys/types.h>

#include <map>
#include <memory>
#include <mutex>
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
  std::map<std::string, std::string> env{};  // e.g. MOTO_ENABLE_AMI_VALIDATION
  // Check every request's signature against an IAM user's key (see above). Off: moto accepts any
  // signature and credentials() is testing/testing.
  bool check_signatures = true;
};

struct MotoCredentials {
  std::string access_key_id;
  std::string secret_access_key;
};

class MotoServer {
 public:
  // Starts moto, waits until it listens and, when it checks signatures, creates the IAM user and
  // key. nullptr (and `why`) when it cannot start.
  static std::unique_ptr<MotoServer> Start(const MotoOptions& options = {},
                                           std::string* why = nullptr);
  ~MotoServer();
  MotoServer(const MotoServer&) = delete;
  MotoServer& operator=(const MotoServer&) = delete;

  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  bool checks_signatures() const { return check_signatures_; }
  // The key every request must be signed with (a new one after each Reset()).
  MotoCredentials credentials() const;
  // Forgets every resource (POST /moto-api/reset) and, when moto checks signatures, creates a new
  // IAM user and key. False (and `why`) when moto does not answer or the key cannot be made.
  bool Reset(std::string* why = nullptr);
  // A Query API call straight to moto, signed with credentials() for `service` (ec2, autoscaling,
  // monitoring, iam) in us-east-1. `form_body` must be encoded as AWS's SDKs encode it (a space is
  // '+': aws::FormEncode).
  HttpAnswer Call(const std::string& service, const std::string& form_body) const;
  // moto's state dump (GET /moto-api/data.json), for assertions on what exists.
  std::string Data() const;
  const std::string& log_file() const { return log_; }

 private:
  MotoServer(pid_t pid, int port, std::string log, bool check_signatures)
      : pid_(pid), port_(port), log_(std::move(log)), check_signatures_(check_signatures) {}
  // Creates the IAM user "ohfp", an access key and an allow-all policy with the three requests moto
  // takes without a signature.
  bool CreateKey(std::string* why);

  pid_t pid_;
  int port_;
  std::string log_;
  bool check_signatures_;
  mutable std::mutex mu_;
  MotoCredentials credentials_{"testing", "testing"};  // guarded by mu_
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
