#include "ohfp/resilience/observer.h"

namespace ohfp::resilience {

void ObserverList::OnAttempt(const AttemptEvent& e) {
  for (ResilienceObserver* o : observers_) o->OnAttempt(e);
}
void ObserverList::OnRetry(const RetryEvent& e) {
  for (ResilienceObserver* o : observers_) o->OnRetry(e);
}
void ObserverList::OnCircuitStateChange(const CircuitStateChange& e) {
  for (ResilienceObserver* o : observers_) o->OnCircuitStateChange(e);
}
void ObserverList::OnCircuitFailure(const CircuitFailureEvent& e) {
  for (ResilienceObserver* o : observers_) o->OnCircuitFailure(e);
}
void ObserverList::OnRejected(const RejectedEvent& e) {
  for (ResilienceObserver* o : observers_) o->OnRejected(e);
}
void ObserverList::OnTimeout(const TimeoutEvent& e) {
  for (ResilienceObserver* o : observers_) o->OnTimeout(e);
}
void ObserverList::OnResult(const ResultEvent& e) {
  for (ResilienceObserver* o : observers_) o->OnResult(e);
}
void ObserverList::OnAlert(const AlertEvent& e) {
  for (ResilienceObserver* o : observers_) o->OnAlert(e);
}
void ObserverList::OnRateLimitWait(const RateLimitWaitEvent& e) {
  for (ResilienceObserver* o : observers_) o->OnRateLimitWait(e);
}
void ObserverList::OnRateChange(const RateChangeEvent& e) {
  for (ResilienceObserver* o : observers_) o->OnRateChange(e);
}
void ObserverList::OnStoreError(std::string_view service, const Error& error) {
  for (ResilienceObserver* o : observers_) o->OnStoreError(service, error);
}

}  // namespace ohfp::resilience
