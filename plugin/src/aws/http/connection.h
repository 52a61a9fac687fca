// aws/http/connection.h
//
// Connection: one TCP connection, optionally with TLS over it (OpenSSL), on a non-blocking socket
// whose every wait goes through a Waiter (deadline, stop token). What the HTTP/1.1 transport is
// built from; it knows nothing about HTTP.
//
// - Dial() resolves the host (numeric addresses at once; names on a helper thread, so the
//   deadline and the stop token bound the lookup too) and connects to each address in turn, within
//   `limit`. TCP_NODELAY is set: a request goes out in as few segments as possible, at once.
// - StartTls() performs the handshake: SNI for a host name, the peer's chain verified against the
//   TlsContext's trust store, and its name (or IP address) checked against `host`. A chain or name
//   that does not verify is kRejected, with OpenSSL's reason.
// - Write() sends everything or fails; Read() returns what arrived (kClosed at the end of the
//   stream). A TLS peer that ends the stream without close_notify is closed too, but
//   closed_cleanly() is then false: framing that relies on the end of the stream cannot trust it.
//   Both take an optional `limit` earlier than the exchange's deadline (a proxy's CONNECT answer
//   counts against the connect timeout).
// - ReadyForReuse() tells whether an idle connection can carry another request: nothing to read
//   (a TLS 1.3 session ticket is consumed and ignored), nothing buffered by OpenSSL, no hang-up.
// - Dial() gives each address an equal share of what is left of `limit`, so one unreachable
//   address (a broken IPv6 route) does not use up the time the next one needs.
//
// Thread-safety: none; a Connection is used by one exchange at a time.
//
// Example:
//   Connection c;
//   IoResult r = c.Dial("ec2.us-east-1.amazonaws.com", 443, waiter, connect_limit);
//   if (r.ok()) r = c.StartTls(tls.get(), "ec2.us-east-1.amazonaws.com", waiter);
//   if (r.ok()) r = c.Write(request_bytes, waiter);
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "aws/http/waiter.h"
#include "ohfp/resilience/deadline.h"

using SSL = struct ssl_st;
using SSL_CTX = struct ssl_ctx_st;

namespace ohfp::aws::http {

enum class IoStatus : std::uint8_t {
  kOk,
  kTimeout,    // the deadline (or the limit) passed
  kCancelled,  // the stop token was triggered
  kClosed,     // the peer ended the stream
  kRejected,   // the TLS peer's certificate did not verify
  kFailed,     // resolution, connection, TLS or socket failure; `detail` says which
};

struct IoResult {
  IoStatus status = IoStatus::kOk;
  std::size_t bytes = 0;  // Read(): how many bytes arrived
  std::string detail{};   // what went wrong, for messages

  bool ok() const noexcept { return status == IoStatus::kOk; }
};

class Connection {
 public:
  Connection() = default;
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // `host` without IPv6 brackets.
  IoResult Dial(const std::string& host, std::uint16_t port, const Waiter& waiter,
                resilience::Deadline limit);
  IoResult StartTls(SSL_CTX* context, const std::string& host, const Waiter& waiter,
                    resilience::Deadline limit);
  IoResult Write(std::string_view data, const Waiter& waiter,
                 resilience::Deadline limit = resilience::Deadline::Infinite());
  IoResult Read(char* buffer, std::size_t size, const Waiter& waiter,
                resilience::Deadline limit = resilience::Deadline::Infinite());
  bool ReadyForReuse();
  // After Read() returned kClosed: false when a TLS peer ended the stream without close_notify.
  bool closed_cleanly() const noexcept { return closed_cleanly_; }

 private:
  // Runs one OpenSSL call until it stops asking to wait for the socket.
  template <typename Op>
  IoResult RunTls(Op&& op, const Waiter& waiter, resilience::Deadline limit, std::string_view what);

  int fd_ = -1;
  SSL* ssl_ = nullptr;
  bool closed_cleanly_ = true;
};

}  // namespace ohfp::aws::http
