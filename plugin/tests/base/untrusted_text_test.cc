#include "base/untrusted_text.h"

#include <gtest/gtest.h>

#include <string>

namespace ohfp::base {
namespace {

TEST(ValidUtf8, KeepsWellFormedTextAndReplacesEveryBadByte) {
  EXPECT_EQ(ValidUtf8("caf\xc3\xa9 \xe6\x97\xa5 \xf0\x9f\x99\x82"),
            "caf\xc3\xa9 \xe6\x97\xa5 \xf0\x9f\x99\x82");
  EXPECT_EQ(ValidUtf8("a\xff"
                      "b"),
            "a?b");
  EXPECT_EQ(ValidUtf8("\xc3"), "?");                 // truncated
  EXPECT_EQ(ValidUtf8("\xc0\xaf"), "??");            // overlong '/'
  EXPECT_EQ(ValidUtf8("\xed\xa0\x80"), "???");       // a surrogate
  EXPECT_EQ(ValidUtf8("\xf4\x90\x80\x80"), "????");  // beyond U+10FFFF
  EXPECT_EQ(ValidUtf8(std::string("\0x", 2)), std::string("\0x", 2));
  EXPECT_TRUE(IsValidUtf8("caf\xc3\xa9"));
  EXPECT_FALSE(IsValidUtf8("caf\xe9"));
  EXPECT_TRUE(IsValidUtf8(""));
}

TEST(FindExcessiveJsonNesting, CountsBracketsOutsideStrings) {
  const std::string four = R"({"a": [1, {"b": []}]})";  // { [ { [ : four levels
  EXPECT_FALSE(FindExcessiveJsonNesting(four, 4).has_value());
  EXPECT_EQ(FindExcessiveJsonNesting(four, 3), 16U);
  EXPECT_EQ(FindExcessiveJsonNesting(four, 2), 10U);
  // Brackets in strings, escaped quotes included, do not count.
  EXPECT_FALSE(FindExcessiveJsonNesting(R"({"a": "[[[[\"[[[["})", 1).has_value());
  EXPECT_FALSE(FindExcessiveJsonNesting(std::string(64, '[') + std::string(64, ']')).has_value());
  EXPECT_EQ(FindExcessiveJsonNesting(std::string(200'000, '[')), std::size_t{kMaxJsonDepth});
  // Unbalanced closers never go below zero.
  EXPECT_FALSE(FindExcessiveJsonNesting("]]]]}}}}[", 1).has_value());
}

}  // namespace
}  // namespace ohfp::base
