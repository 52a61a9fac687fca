// ohfp/chaos_proxy/idempotency_cache.h
//
// IdempotencyCache emulates EC2's ClientToken semantics, which the moto emulator lacks. Requests
// are keyed by (action, token). The first request with a key runs; if the upstream answered 2xx,
// its response is recorded together with the request's parameter fingerprint. A later request with
// the same key and the same parameters is answered with the recorded response; with different
// parameters, it is an IdempotentParameterMismatch. Requests with one key are serialized: while one
// is in flight, the others wait for its outcome, so the upstream never runs the same token twice at
// once. A non-2xx outcome is not recorded, and the next waiter runs.
//
// The cache holds at most `capacity` recorded responses and forgets the oldest beyond that.
//
// Thread-safety: all methods are safe from any thread. Acquire() may block (without holding any
// lock other than its own wait) until the request in flight with the same key completes, or `stop`
// is requested.
//
// Example:
//   IdempotencyCache::Ticket ticket =
//       cache.Acquire("RunInstances", token, ParameterFingerprint(params), stop);
//   switch (ticket.verdict()) {
//     case Verdict::kExecute:  response = CallUpstream(); ticket.Complete(response); break;
//     case Verdict::kReplay:   response = ticket.recorded(); break;
//     case Verdict::kMismatch: response = IdempotentMismatchResponse(id); break;
//     case Verdict::kCancelled: return;  // shutting down
//   }
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <stop_token>
#include <string>
#include <string_view>
#include <unordered_map>

#include "ohfp/chaos_proxy/http_message.h"

namespace ohfp::chaos_proxy {

class IdempotencyCache {
 public:
  enum class Verdict { kExecute, kReplay, kMismatch, kCancelled };

  // The right to run (kExecute) or the answer to give (kReplay, kMismatch). Move-only. Destroying a
  // kExecute ticket without Complete() releases the key without recording anything (the request
  // failed).
  class Ticket {
   public:
    Ticket(Ticket&& other) noexcept;
    Ticket& operator=(Ticket&&) = delete;
    Ticket(const Ticket&) = delete;
    Ticket& operator=(const Ticket&) = delete;
    ~Ticket();

    Verdict verdict() const noexcept { return verdict_; }
    // kReplay only: the recorded response.
    const HttpResponse& recorded() const noexcept { return recorded_; }
    // kExecute only: records `response` if it is 2xx, and lets the requests waiting for this key
    // proceed.
    void Complete(const HttpResponse& response);

   private:
    friend class IdempotencyCache;
    Ticket(IdempotencyCache* cache, std::string key, std::string fingerprint, Verdict verdict,
           HttpResponse recorded);

    IdempotencyCache* cache_;  // null once released or for verdicts that hold nothing
    std::string key_;
    std::string fingerprint_;
    Verdict verdict_;
    HttpResponse recorded_;
  };

  explicit IdempotencyCache(std::size_t capacity = 10000)
      : capacity_(capacity == 0 ? 1 : capacity) {}
  IdempotencyCache(const IdempotencyCache&) = delete;
  IdempotencyCache& operator=(const IdempotencyCache&) = delete;

  [[nodiscard]] Ticket Acquire(std::string_view action, std::string_view token,
                               std::string fingerprint, std::stop_token stop);

  // Forgets every recorded response. Requests in flight finish normally (and may record theirs).
  void Clear();
  // Recorded responses.
  std::size_t size() const;
  // Requests currently waiting for another request with the same key.
  std::size_t waiting() const;

 private:
  struct Entry {
    bool in_flight = false;
    bool recorded = false;
    std::string fingerprint;
    HttpResponse response;
  };

  void Release(const std::string& key, const std::string& fingerprint,
               const HttpResponse* response);

  const std::size_t capacity_;
  mutable std::mutex mu_;
  std::condition_variable_any cv_;
  std::unordered_map<std::string, Entry> entries_;  // guarded by mu_
  std::deque<std::string> recorded_order_;          // guarded by mu_; oldest first
  std::size_t waiting_ = 0;                         // guarded by mu_
};

}  // namespace ohfp::chaos_proxy
