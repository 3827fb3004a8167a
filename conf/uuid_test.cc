#include "conf/uuid.h"

#include "gtest/gtest.h"

namespace ndrelay::conf {
namespace {

TEST(UuidTest, Shapes) {
  struct {
    const char* text;
    bool want;
  } cases[] = {
      {"11111111-2222-3333-4444-555555555555", true},
      {"abcdefab-cdef-abcd-efab-cdefabcdefab", true},
      {"ABCDEFAB-CDEF-ABCD-EFAB-CDEFABCDEFAB", true},
      {"", false},
      {"11111111-2222-3333-4444-55555555555", false},    // 35 chars
      {"11111111-2222-3333-4444-5555555555555", false},  // 37 chars
      {"11111111x2222-3333-4444-555555555555", false},
      {"1111111g-2222-3333-4444-555555555555", false},
      {"111111112222-3333-4444-5555555555555", false},
      {"API_KEY", false},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(IsUuid(c.text), c.want) << c.text;
  }
}

}  // namespace
}  // namespace ndrelay::conf
