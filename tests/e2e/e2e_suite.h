// tests/e2e/e2e_suite.h
//
// E2eSuite<Suite>: the GoogleTest fixture of an end-to-end suite whose tests share one E2eWorld
// (moto behind ohfp-chaos-proxy). The world starts once, before the suite's first test, seeded
// with `kSeed` (when it cannot start, every test fails saying why); it is Reset() before each test,
// then AfterReset() runs (a suite's own preparation, e.g. world_->Use(case)); it is stopped after
// the suite. `Base` is ::testing::Test, or ::testing::TestWithParam<P> for a parameterized suite.
// Each Suite has its own world (the template is instantiated per Suite).
//
// Thread-safety: one suite at a time, as GoogleTest runs them.
//
// Example:
//   class CycleTest : public E2eSuite<CycleTest, 20260101, ::testing::TestWithParam<ProviderCase>>
//   {
//    protected:
//     void AfterReset() override { world_->Use(GetParam()); }
//   };
//   TEST_P(CycleTest, X) { PluginInstall install(world_->endpoint(), ...); ... }
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "e2e_world.h"

namespace ohfp::testing {

template <class Suite, std::uint64_t kSeed = 1, class Base = ::testing::Test>
class E2eSuite : public Base {
 protected:
  static void SetUpTestSuite() { world_ = E2eWorld::Start(&failure_, kSeed).release(); }
  static void TearDownTestSuite() {
    delete world_;
    world_ = nullptr;
  }
  void SetUp() override {
    ASSERT_NE(world_, nullptr) << failure_;
    ASSERT_TRUE(world_->Reset());
    AfterReset();
  }
  // What the suite does to the fresh world before each of its tests.
  virtual void AfterReset() {}

  static inline E2eWorld* world_ = nullptr;
  static inline std::string failure_;  // why the world did not start
};

}  // namespace ohfp::testing
