#include "bridge/set_lines.h"

#include <string>

#include "gtest/gtest.h"

namespace ndrelay::bridge {
namespace {

// A line in a buffer as the decoder's fast window gives it: at least kMaxReadBytes readable.
std::string Window(std::string_view line) {
  std::string w(line);
  w.resize(line.size() + SetLines::kMaxReadBytes, '\n');
  return w;
}

TEST(SetLinesTest, IdsPrefixesAndLookup) {
  SetLines lines;
  EXPECT_EQ(lines.size(), 0u);
  EXPECT_EQ(lines.IndexOf("user"), -1);
  lines.Add("user");
  lines.Add("system");
  lines.Add("a\"b");
  lines.Add("");
  lines.Add("user");  // a repeated id: IndexOf finds the first
  ASSERT_EQ(lines.size(), 5u);
  EXPECT_EQ(lines.id(0), "user");
  EXPECT_EQ(lines.id(1), "system");
  EXPECT_EQ(lines.id(2), "a\"b");
  EXPECT_EQ(lines.id(3), "");
  EXPECT_TRUE(lines.matchable(0));
  EXPECT_TRUE(lines.matchable(1));
  EXPECT_FALSE(lines.matchable(2));  // no line matches these
  EXPECT_FALSE(lines.matchable(3));
  EXPECT_EQ(lines.IndexOf("user"), 0);
  EXPECT_EQ(lines.IndexOf("system"), 1);
  EXPECT_EQ(lines.IndexOf("a\"b"), 2);
  EXPECT_EQ(lines.IndexOf(""), 3);
  EXPECT_EQ(lines.IndexOf("use"), -1);
  EXPECT_TRUE(lines.IdIs(0, "user"));
  EXPECT_FALSE(lines.IdIs(0, "usex"));
  EXPECT_FALSE(lines.IdIs(0, "use"));
  EXPECT_TRUE(lines.IdIs(3, ""));
  EXPECT_FALSE(lines.IdIs(3, "u"));
  EXPECT_TRUE(lines.IdIs(2, "a\"b"));
  lines.ShrinkToFit();
  EXPECT_EQ(lines.id(4), "user");
  EXPECT_EQ(lines.ids_bytes(), 4u + 6u + 3u + 0u + 4u);
}

// Every id length the fast path takes, and a mismatch at every byte of every prefix.
TEST(SetLinesTest, MatchesExactlyTheBytesOfThePrefix) {
  SetLines lines;
  std::vector<std::string> ids;
  for (size_t n = 1; n <= SetLines::kMaxIdBytes; ++n) {
    std::string id;
    for (size_t i = 0; i < n; ++i) {
      id += static_cast<char>('a' + (n + i) % 26);
    }
    ids.push_back(id);
    lines.Add(id);
  }
  for (size_t i = 0; i < ids.size(); ++i) {
    const std::string line = "SET \"" + ids[i] + "\" = 12345";
    const std::string w = Window(line);
    const char* value = lines.MatchPrefix(i, w.data());
    ASSERT_NE(value, nullptr) << i;
    EXPECT_EQ(std::string_view(value, 5), "12345");
    const size_t prefix = line.size() - 5;
    for (size_t at = 0; at < prefix; ++at) {
      std::string bad = w;
      bad[at] ^= 0x20;
      EXPECT_EQ(lines.MatchPrefix(i, bad.data()), nullptr) << i << " " << at;
    }
    EXPECT_TRUE(lines.IdIs(i, ids[i])) << i;
    for (size_t at = 0; at < ids[i].size(); ++at) {
      std::string other = ids[i];
      other[at] ^= 0x20;
      EXPECT_FALSE(lines.IdIs(i, other)) << i << " " << at;
    }
    // Another dimension's prefix never matches (different lengths, or bytes).
    if (i > 0) {
      EXPECT_EQ(lines.MatchPrefix(i - 1, w.data()), nullptr) << i;
    }
  }
}

TEST(SetLinesTest, IdsTheFastPathLeavesAloneNeverMatch) {
  const std::string id95(95, 'x');
  const std::string id96(96, 'x');
  SetLines lines;
  for (const std::string& id : {std::string("a\"b"), std::string("a\\b"), std::string("a\nb"),
                                std::string(""), id96, id95}) {
    lines.Add(id);
  }
  for (size_t i = 0; i < 5; ++i) {
    const std::string w = Window("SET \"" + std::string(lines.id(i)) + "\" = 1");
    EXPECT_EQ(lines.MatchPrefix(i, w.data()), nullptr) << i;
    EXPECT_FALSE(lines.matchable(i)) << i;
  }
  const std::string w = Window("SET \"" + id95 + "\" = 1");
  EXPECT_NE(lines.MatchPrefix(5, w.data()), nullptr);
  // Ids with any other byte match as they are.
  SetLines bytes;
  bytes.Add(std::string_view("a\0b \xFF'", 6));
  const std::string line = Window(std::string_view("SET \"a\0b \xFF'\" = 1", 17));
  EXPECT_NE(bytes.MatchPrefix(0, line.data()), nullptr);
}

}  // namespace
}  // namespace ndrelay::bridge
