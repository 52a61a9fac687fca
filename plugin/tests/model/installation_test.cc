// What a command may do with the store it finds (model/installation.h).
#include "model/installation.h"

#include <gtest/gtest.h>

namespace ohfp::model {
namespace {

TEST(JudgeStore, TheTable) {
  EXPECT_EQ(JudgeStore("inst-1", "inst-1"), StoreStanding::kEstablished);
  EXPECT_EQ(JudgeStore("inst-1", std::nullopt), StoreStanding::kEstablished);
  EXPECT_EQ(JudgeStore("inst-1", "inst-2"), StoreStanding::kForeign);
  EXPECT_EQ(JudgeStore(std::nullopt, "inst-1"), StoreStanding::kLost);
  EXPECT_EQ(JudgeStore(std::nullopt, std::nullopt), StoreStanding::kNew);
}

}  // namespace
}  // namespace ohfp::model
