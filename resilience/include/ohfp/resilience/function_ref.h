// ohfp/resilience/function_ref.h
//
// FunctionRef<R(Args...)>: a non-owning reference to a callable, two pointers wide, never
// allocating. For parameters that are called during the call and not kept (a StateStore's update
// callback).
//
// Thread-safety: as the referenced callable. The callable must outlive the FunctionRef.
//
// Example:
//   void ForEach(FunctionRef<void(int)> f) { for (int i = 0; i < 3; ++i) f(i); }
//   int sum = 0;
//   ForEach([&](int i) { sum += i; });
#pragma once

#include <functional>
#include <memory>
#include <type_traits>
#include <utility>

namespace ohfp::resilience {

template <class Signature>
class FunctionRef;

template <class R, class... Args>
class FunctionRef<R(Args...)> {
 public:
  template <class F>
  requires(!std::is_same_v<std::remove_cvref_t<F>, FunctionRef> &&
           std::is_invocable_r_v<R, F&, Args...>) FunctionRef(F&& f)
  noexcept  // NOLINT(google-explicit-constructor): used like a function parameter
      : object_(const_cast<void*>(static_cast<const void*>(std::addressof(f)))),
        call_([](void* object, Args... args) -> R {
          return std::invoke(*static_cast<std::remove_reference_t<F>*>(object),
                             std::forward<Args>(args)...);
        }) {}

  R operator()(Args... args) const { return call_(object_, std::forward<Args>(args)...); }

 private:
  void* object_;
  R (*call_)(void*, Args...);
};

}  // namespace ohfp::resilience
