#include "aws/http/connection.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <mutex>
#include <system_error>
#include <thread>
#include <utility>

#include "aws/http/tls_context.h"

namespace ohfp::aws::http {
namespace {

using resilience::Deadline;

struct AddrInfoDeleter {
  void operator()(addrinfo* list) const noexcept { freeaddrinfo(list); }
};
using AddrInfoList = std::unique_ptr<addrinfo, AddrInfoDeleter>;

std::string ErrnoText(int error) {
  std::string text = std::strerror(error);
  return text;
}

IoResult Failed(std::string detail) {
  return IoResult{.status = IoStatus::kFailed, .bytes = 0, .detail = std::move(detail)};
}

IoResult FromWait(WaitResult wait, std::string_view what) {
  if (wait == WaitResult::kTimeout) {
    return IoResult{.status = IoStatus::kTimeout, .bytes = 0, .detail = std::string(what)};
  }
  return IoResult{.status = IoStatus::kCancelled, .bytes = 0, .detail = std::string(what)};
}

// A host-name lookup on its own thread: the caller waits for `done_fd` with its deadline and stop
// token, and walks away if either ends the wait; the thread then finishes alone and the last owner
// frees the state.
struct Lookup {
  std::mutex mu;
  int rc = EAI_AGAIN;   // guarded by mu
  AddrInfoList result;  // guarded by mu
  int done_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

  ~Lookup() {
    if (done_fd >= 0) ::close(done_fd);
  }
};

// The addresses of host:port. Numeric hosts need no lookup and no thread.
IoResult Resolve(const std::string& host, std::uint16_t port, const Waiter& waiter, Deadline limit,
                 AddrInfoList& out) {
  const std::string service = std::to_string(port);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
  addrinfo* list = nullptr;
  if (::getaddrinfo(host.c_str(), service.c_str(), &hints, &list) == 0) {
    out.reset(list);
    return {};
  }
  auto lookup = std::make_shared<Lookup>();
  if (lookup->done_fd < 0) return Failed("cannot create an eventfd: " + ErrnoText(errno));
  hints.ai_flags = AI_NUMERICSERV | AI_ADDRCONFIG;
  try {
    std::thread([lookup, host, service, hints] {
      addrinfo* found = nullptr;
      const int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &found);
      std::lock_guard lock(lookup->mu);
      lookup->rc = rc;
      lookup->result.reset(found);
      const std::uint64_t one = 1;
      [[maybe_unused]] const ssize_t written = ::write(lookup->done_fd, &one, sizeof(one));
    }).detach();
  } catch (const std::system_error& e) {
    return Failed("cannot start a thread to resolve host " + host + ": " + e.what());
  }
  const WaitResult wait = waiter.Wait(lookup->done_fd, POLLIN, limit);
  if (wait != WaitResult::kReady) {
    return FromWait(wait, "while resolving host " + host);
  }
  std::lock_guard lock(lookup->mu);
  if (lookup->rc != 0) {
    return Failed("cannot resolve host " + host + ": " + ::gai_strerror(lookup->rc));
  }
  out = std::move(lookup->result);
  return {};
}

std::string AddressText(const sockaddr* address) {
  char text[INET6_ADDRSTRLEN] = {};
  const void* raw =
      address->sa_family == AF_INET6
          ? static_cast<const void*>(&reinterpret_cast<const sockaddr_in6*>(address)->sin6_addr)
          : static_cast<const void*>(&reinterpret_cast<const sockaddr_in*>(address)->sin_addr);
  ::inet_ntop(address->sa_family, raw, text, sizeof(text));
  return text;
}

// OpenSSL writes to the socket with write(), which raises SIGPIPE when the peer has gone; that
// would kill the process. For the duration of one OpenSSL call the signal is blocked on this
// thread, and one it raised is taken back before the mask is restored.
class SigpipeBlock {
 public:
  SigpipeBlock() {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    sigset_t pending;
    sigpending(&pending);
    was_pending_ = sigismember(&pending, SIGPIPE) == 1;
    pthread_sigmask(SIG_BLOCK, &pipe_, &old_);
  }
  ~SigpipeBlock() {
    if (!was_pending_) {
      sigset_t pending;
      sigpending(&pending);
      if (sigismember(&pending, SIGPIPE) == 1) {
        const timespec zero{};
        while (sigtimedwait(&pipe_, nullptr, &zero) < 0 && errno == EINTR) {
        }
      }
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }
  SigpipeBlock(const SigpipeBlock&) = delete;
  SigpipeBlock& operator=(const SigpipeBlock&) = delete;

 private:
  sigset_t pipe_{};
  sigset_t old_{};
  bool was_pending_ = false;
};

bool IsIpLiteral(const std::string& host) {
  in6_addr v6{};
  in_addr v4{};
  return ::inet_pton(AF_INET, host.c_str(), &v4) == 1 ||
         ::inet_pton(AF_INET6, host.c_str(), &v6) == 1;
}

}  // namespace

Connection::~Connection() {
  if (ssl_ != nullptr) SSL_free(ssl_);
  if (fd_ >= 0) ::close(fd_);
}

IoResult Connection::Dial(const std::string& host, std::uint16_t port, const Waiter& waiter,
                          Deadline limit) {
  AddrInfoList addresses;
  IoResult resolved = Resolve(host, port, waiter, limit, addresses);
  if (!resolved.ok()) return resolved;
  IoResult last = Failed("no address for host " + host);
  std::int64_t left = 0;
  for (const addrinfo* a = addresses.get(); a != nullptr; a = a->ai_next) ++left;
  for (const addrinfo* a = addresses.get(); a != nullptr; a = a->ai_next, --left) {
    // This address's share of the time left; the last one gets all of it.
    const Deadline until = limit.Min(waiter.deadline());
    const resilience::MonoTime now = waiter.clock().Now();
    const Deadline share =
        until.is_infinite() || left <= 1 ? until : Deadline::At(now + until.Remaining(now) / left);
    const int fd = ::socket(a->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      last = Failed("cannot create a socket: " + ErrnoText(errno));
      continue;
    }
    const int yes = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof(yes));
    ::setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &yes, sizeof(yes));
    int error = 0;
    if (::connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
      error = errno;
      if (error == EINPROGRESS) {
        const WaitResult wait = waiter.Wait(fd, POLLOUT, share);
        if (wait == WaitResult::kTimeout && !until.Expired(waiter.clock().Now())) {
          ::close(fd);  // this address's share is over; the next one gets its turn
          last = FromWait(wait, "while connecting to " + AddressText(a->ai_addr) + " port " +
                                    std::to_string(port));
          continue;
        }
        if (wait != WaitResult::kReady) {
          ::close(fd);
          return FromWait(wait, "while connecting to " + AddressText(a->ai_addr) + " port " +
                                    std::to_string(port));
        }
        socklen_t length = sizeof(error);
        if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0) error = errno;
      }
    }
    if (error == 0) {
      fd_ = fd;
      return {};
    }
    ::close(fd);
    last = Failed("cannot connect to " + AddressText(a->ai_addr) + " port " + std::to_string(port) +
                  ": " + ErrnoText(error));
  }
  return last;
}

template <typename Op>
IoResult Connection::RunTls(Op&& op, const Waiter& waiter, Deadline limit, std::string_view what) {
  while (true) {
    ERR_clear_error();
    int rc = 0;
    int error = SSL_ERROR_NONE;
    int op_errno = 0;  // errno as the call left it, before the signal mask is restored
    {
      const SigpipeBlock no_sigpipe;
      errno = 0;
      rc = op();
      op_errno = errno;
      error = rc > 0 ? SSL_ERROR_NONE : SSL_get_error(ssl_, rc);
    }
    if (rc > 0) return IoResult{.status = IoStatus::kOk, .bytes = static_cast<std::size_t>(rc)};
    if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) {
      const WaitResult wait =
          waiter.Wait(fd_, error == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, limit);
      if (wait != WaitResult::kReady) return FromWait(wait, what);
      continue;
    }
    if (error == SSL_ERROR_ZERO_RETURN) return IoResult{.status = IoStatus::kClosed};
    if (error == SSL_ERROR_SSL &&
        ERR_GET_REASON(ERR_peek_error()) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
      ERR_clear_error();
      closed_cleanly_ = false;  // the peer closed the TCP connection without close_notify
      return IoResult{.status = IoStatus::kClosed};
    }
    if (error == SSL_ERROR_SYSCALL) {
      const int saved = op_errno;
      const std::string queued = TakeTlsErrors();
      if (saved == 0 && queued.empty()) {
        closed_cleanly_ = false;
        return IoResult{.status = IoStatus::kClosed};
      }
      return Failed(std::string(what) + ": " + (queued.empty() ? ErrnoText(saved) : queued));
    }
    return Failed(std::string(what) + ": " + TakeTlsErrors());
  }
}

IoResult Connection::StartTls(SSL_CTX* context, const std::string& host, const Waiter& waiter,
                              Deadline limit) {
  ssl_ = SSL_new(context);
  if (ssl_ == nullptr || SSL_set_fd(ssl_, fd_) != 1) {
    return Failed("cannot start TLS: " + TakeTlsErrors());
  }
  // The name (or address) the certificate must carry.
  const bool ip = IsIpLiteral(host);
  bool named = false;
  if (ip) {
    named = X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_), host.c_str()) == 1;
  } else {
    // SNI; SSL_set_tlsext_host_name is a macro over SSL_ctrl.
    SSL_set_hostflags(ssl_, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    named = SSL_set1_host(ssl_, host.c_str()) == 1 &&
            SSL_ctrl(ssl_, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                     const_cast<char*>(host.c_str())) == 1;
  }
  if (!named) return Failed("cannot set the TLS peer name '" + host + "': " + TakeTlsErrors());
  SSL_set_connect_state(ssl_);
  IoResult handshake = RunTls([this] { return SSL_do_handshake(ssl_); }, waiter, limit,
                              "during the TLS handshake with " + host);
  const long verified = SSL_get_verify_result(ssl_);
  if (verified != X509_V_OK) {
    return IoResult{.status = IoStatus::kRejected,
                    .bytes = 0,
                    .detail = "the certificate of " + host +
                              " did not verify: " + X509_verify_cert_error_string(verified)};
  }
  if (handshake.status == IoStatus::kClosed) {
    return Failed("the server closed the connection during the TLS handshake with " + host);
  }
  return handshake;
}

IoResult Connection::Write(std::string_view data, const Waiter& waiter, Deadline limit) {
  std::size_t sent = 0;
  while (sent < data.size()) {
    const std::string_view rest = data.substr(sent);
    if (ssl_ != nullptr) {
      const int chunk = static_cast<int>(std::min<std::size_t>(rest.size(), 1 << 30));
      IoResult r = RunTls([&] { return SSL_write(ssl_, rest.data(), chunk); }, waiter, limit,
                          "while sending the request");
      if (r.status == IoStatus::kClosed) return Failed("the server closed the connection");
      if (!r.ok()) return r;
      sent += r.bytes;
      continue;
    }
    const ssize_t n = ::send(fd_, rest.data(), rest.size(), MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      const WaitResult wait = waiter.Wait(fd_, POLLOUT, limit);
      if (wait != WaitResult::kReady) return FromWait(wait, "while sending the request");
      continue;
    }
    return Failed("cannot send the request: " + ErrnoText(errno));
  }
  return IoResult{.status = IoStatus::kOk, .bytes = sent};
}

IoResult Connection::Read(char* buffer, std::size_t size, const Waiter& waiter, Deadline limit) {
  if (ssl_ != nullptr) {
    const int chunk = static_cast<int>(std::min<std::size_t>(size, 1 << 30));
    return RunTls([&] { return SSL_read(ssl_, buffer, chunk); }, waiter, limit,
                  "while waiting for the response");
  }
  while (true) {
    const ssize_t n = ::recv(fd_, buffer, size, 0);
    if (n > 0) return IoResult{.status = IoStatus::kOk, .bytes = static_cast<std::size_t>(n)};
    if (n == 0) return IoResult{.status = IoStatus::kClosed};
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      const WaitResult wait = waiter.Wait(fd_, POLLIN, limit);
      if (wait != WaitResult::kReady) return FromWait(wait, "while waiting for the response");
      continue;
    }
    return Failed("cannot read the response: " + ErrnoText(errno));
  }
}

bool Connection::ReadyForReuse() {
  if (fd_ < 0) return false;
  // Bytes after the last response, decrypted or not yet.
  if (ssl_ != nullptr && (SSL_pending(ssl_) > 0 || SSL_has_pending(ssl_) == 1)) return false;
  pollfd p{fd_, POLLIN, 0};
  const int ready = ::poll(&p, 1, 0);
  if (ready == 0) return true;  // quiet: nothing arrived while idle
  if (ready < 0 || (p.revents & (POLLERR | POLLHUP | POLLNVAL)) != 0 || ssl_ == nullptr) {
    return false;  // plain TCP: readable while idle means closed or garbage
  }
  // TLS: a post-handshake record (a TLS 1.3 session ticket) is fine; data or a close is not.
  ERR_clear_error();
  const SigpipeBlock no_sigpipe;  // reading may make OpenSSL answer, e.g. a key update
  char byte = 0;
  const int rc = SSL_read(ssl_, &byte, 1);
  const bool only_handshake = rc <= 0 && SSL_get_error(ssl_, rc) == SSL_ERROR_WANT_READ &&
                              SSL_has_pending(ssl_) == 0;  // not the start of a record
  ERR_clear_error();
  return only_handshake;
}

}  // namespace ohfp::aws::http
