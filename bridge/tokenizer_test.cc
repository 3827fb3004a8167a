#include "bridge/tokenizer.h"

#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ndrelay::bridge {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;

std::vector<std::string> Words(std::string_view line, size_t max_words = kMaxWords,
                               bool* dropped = nullptr) {
  std::string_view words[64];
  const size_t n = Tokenize(line, words, max_words, dropped);
  return std::vector<std::string>(words, words + n);
}

TEST(TokenizerTest, Table) {
  struct Case {
    std::string_view line;
    std::vector<std::string> words;
  };
  const Case cases[] = {
      // '=' is a separator: how SET and LABEL work (spec §5.3).
      {R"(SET "x" = 5)", {"SET", "x", "5"}},
      {R"(LABEL "k" = 1 "v")", {"LABEL", "k", "1", "v"}},
      {R"(SET "x"=5)", {"SET", "x", "5"}},
      {"x=\"y z\"", {"x", "y z"}},
      {R"("=")", {"="}},
      // The closing quote separates.
      {R"("ab"cd)", {"ab", "cd"}},
      {R"("a""b")", {"a", "b"}},
      {R"("a"'b')", {"a", "b"}},
      // A quote inside an unquoted word is literal.
      {R"(ab"cd")", {"ab\"cd\""}},
      {R"(it's)", {"it's"}},
      // The other quote character is literal inside quotes; separators too.
      {R"("it's")", {"it's"}},
      {R"('say "hi"')", {"say \"hi\""}},
      {"\"a b\t=c\"", {"a b\t=c"}},
      // Empty quoted words.
      {R"("")", {""}},
      {R"('')", {""}},
      {R"(RBEGIN '' 1795519522 1795519523 1795519588)",
       {"RBEGIN", "", "1795519522", "1795519523", "1795519588"}},
      {R"(SET2 'user' 0x1267 4.2 '')", {"SET2", "user", "0x1267", "4.2", ""}},
      {R"(a "" b)", {"a", "", "b"}},
      // Backslash: skips the next byte, stays in the value.
      {R"(a\ b)", {"a\\ b"}},
      {R"("a\"b")", {"a\\\"b"}},
      {R"(\"x)", {"\\\"x"}},
      {R"(a\=b)", {"a\\=b"}},
      {R"("a\\" b)", {"a\\\\", "b"}},
      {R"(trailing\)", {"trailing\\"}},
      {R"("trailing\)", {"trailing\\"}},
      // Unterminated quote runs to the end of the line.
      {R"("unterminated word)", {"unterminated word"}},
      // Every separator, runs of them, leading and trailing ones.
      {"a\tb\rc\nd\fe\vf=g h", {"a", "b", "c", "d", "e", "f", "g", "h"}},
      {"  lead \t trail  ", {"lead", "trail"}},
      {"", {}},
      {" = \t= \r", {}},
      // Real lines from a Netdata 1.37.1 capture.
      {R"(CHART "disk_space._dev" "" "Disk Space Usage" "GiB" "/dev" "disk.space" "stacked" 2023 1 "   " "diskspace.plugin" "")",
       {"CHART", "disk_space._dev", "", "Disk Space Usage", "GiB", "/dev", "disk.space", "stacked",
        "2023", "1", "   ", "diskspace.plugin", ""}},
      {R"(DIMENSION "reserved_for_root" "reserved for root" "absolute" 4096 1073741824 "  ")",
       {"DIMENSION", "reserved_for_root", "reserved for root", "absolute", "4096", "1073741824",
        "  "}},
      {R"(RSET "user" 0.0000000 "")", {"RSET", "user", "0.0000000", ""}},
      {R"(VARIABLE HOST tcp_max_connections = -1.0000000)",
       {"VARIABLE", "HOST", "tcp_max_connections", "-1.0000000"}},
      {"CLAIMED_ID 00000000-0000-0000-0000-0000000000c1 NULL",
       {"CLAIMED_ID", "00000000-0000-0000-0000-0000000000c1", "NULL"}},
      {R"(DIMENSION 'x' 'x' 'absolute' 1 1 'type=float')",
       {"DIMENSION", "x", "x", "absolute", "1", "1", "type=float"}},
  };
  for (const Case& c : cases) {
    EXPECT_THAT(Words(c.line), ElementsAreArray(c.words)) << c.line;
  }
}

TEST(TokenizerTest, WordsAreViewsIntoTheLine) {
  const std::string line = R"(SET "user" = 42)";
  std::string_view words[4];
  ASSERT_EQ(Tokenize(line, words, 4), 3u);
  EXPECT_EQ(words[1].data(), line.data() + 5);
  EXPECT_EQ(words[2].data(), line.data() + 13);
}

TEST(TokenizerTest, MaxWordsDropsTheRest) {
  bool dropped = true;
  EXPECT_THAT(Words("a b c", 3, &dropped), ElementsAre("a", "b", "c"));
  EXPECT_FALSE(dropped);
  EXPECT_THAT(Words("a b c   ", 3, &dropped), ElementsAre("a", "b", "c"));
  EXPECT_FALSE(dropped);  // trailing separators are not words
  EXPECT_THAT(Words("a b c d e", 3, &dropped), ElementsAre("a", "b", "c"));
  EXPECT_TRUE(dropped);
  EXPECT_THAT(Words("a b c ''", 3, &dropped), ElementsAre("a", "b", "c"));
  EXPECT_TRUE(dropped);  // an empty quoted word is a word
  EXPECT_THAT(Words("a", 0, &dropped), ElementsAre());
  EXPECT_TRUE(dropped);

  std::string many;
  for (int i = 0; i < 35; ++i) {
    many += 'w';
    many += std::to_string(i);
    many += ' ';
  }
  EXPECT_EQ(Words(many, kMaxWords, &dropped).size(), 30u);
  EXPECT_TRUE(dropped);
  const auto old = Words(many, kMaxWordsNetdata137, &dropped);
  ASSERT_EQ(old.size(), 20u);
  EXPECT_EQ(old.back(), "w19");
}

TEST(TokenizerTest, SeparatorSet) {
  for (int c = 0; c < 256; ++c) {
    const bool expected =
        c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '=' || c == '\f' || c == '\v';
    EXPECT_EQ(IsWordSeparator(static_cast<char>(c)), expected) << c;
    EXPECT_EQ(kWordSeparators.find(static_cast<char>(c)) != std::string_view::npos, expected) << c;
  }
}

// Words longer than 16 bytes are scanned 16 bytes at a time while 16 are left in the line: the
// byte that ends them (a separator, a backslash, the closing quote) at every offset of a block,
// and the bytes just outside the '\t'..'\r' range, must be seen exactly as byte by byte.
TEST(TokenizerTest, LongWordsEndAtTheRightByte) {
  struct Case {
    std::string_view line;
    std::vector<std::string> words;
  };
  const std::string long_word(40, 'w');
  const Case cases[] = {
      {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa b", {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "b"}},
      {"aaaaaaaaaaaaaaaa=bbbbbbbbbbbbbbbbbbbbbb", {"aaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbbbbbbbb"}},
      {"aaaaaaaaaaaaaaa\tbbbbbbbbbbbbbbbbbbbbbb", {"aaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbbbbbbbb"}},
      {"aaaaaaaaaaaaaaaaa\rbbbbbbbbbbbbbbbbbbbb", {"aaaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbbbbbb"}},
      {"aaaaaaaaaaaaaaaaaa\vbbbbbbbbbbbbbbbbbbbb", {"aaaaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbbbbbb"}},
      {"aaaaaaaaaaaaaaaaaaa\fbbbbbbbbbbbbbbbbbb", {"aaaaaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbbbb"}},
      // '\b' (8) and 0x0E are just below and above the range: word bytes.
      {"aaaaaaaaaaaaaaaaaa\bb\x0E\x1F!\"'#bbbbbbbbbbbbbbbbb",
       {"aaaaaaaaaaaaaaaaaa\bb\x0E\x1F!\"'#bbbbbbbbbbbbbbbbb"}},
      {"aaaaaaaaaaaaaaaaaaa\\ bbbbbbbbbbbbbbbbbbbbbb",
       {"aaaaaaaaaaaaaaaaaaa\\ bbbbbbbbbbbbbbbbbbbbbb"}},
      {"\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa b = c\" d",
       {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa b = c", "d"}},
      {"\"aaaaaaaaaaaaaaaaaaaa'aaaaaaaaaa\\\"aaaa\" d",
       {"aaaaaaaaaaaaaaaaaaaa'aaaaaaaaaa\\\"aaaa", "d"}},
      {"'aaaaaaaaaaaaaaaaaaaaaa\"aaaaaaaaaa' d", {"aaaaaaaaaaaaaaaaaaaaaa\"aaaaaaaaaa", "d"}},
      {"\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
       {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}},
      {"\xC3\xA9t\xC3\xA9\xFF\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80 x",
       {"\xC3\xA9t\xC3\xA9\xFF\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80", "x"}},
  };
  for (const Case& c : cases) {
    EXPECT_THAT(Words(c.line), ElementsAreArray(c.words)) << c.line;
  }
}

// The rules of spec §5.3 written out a byte at a time, as the reference.
std::vector<std::string> ReferenceWords(std::string_view line, size_t max_words, bool* dropped) {
  auto sep = [](char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '=' || c == '\f' || c == '\v';
  };
  std::vector<std::string> out;
  *dropped = false;
  size_t i = 0;
  for (;;) {
    while (i < line.size() && sep(line[i])) {
      ++i;
    }
    if (i == line.size()) {
      return out;
    }
    if (out.size() == max_words) {
      *dropped = true;
      return out;
    }
    const char q = line[i];
    const bool quoted = q == '"' || q == '\'';
    const size_t start = quoted ? ++i : i;
    while (i < line.size() && (quoted ? line[i] != q : !sep(line[i]))) {
      i += (line[i] == '\\' && i + 1 < line.size()) ? 2 : 1;
    }
    out.emplace_back(line.substr(start, i - start));
    if (quoted && i < line.size()) {
      ++i;
    }
  }
}

// Random lines from an alphabet rich in separators, quotes and backslashes, 0..100 bytes long (so
// both the 16-byte scans and the byte loop run, with every kind of byte at every offset).
TEST(TokenizerTest, MatchesReferenceOnRandomLines) {
  std::mt19937 rng(1337);
  const std::string_view alphabet("ab \t\r\n\f\v=\"'\\\b\x0E\x80\xFF\0", 17);
  for (int iter = 0; iter < 20000; ++iter) {
    std::string line;
    const size_t size = rng() % 101;
    // Mostly word bytes, so words get long.
    for (size_t i = 0; i < size; ++i) {
      line += rng() % 4 != 0 ? 'a' : alphabet[rng() % alphabet.size()];
    }
    for (size_t max_words : {size_t{2}, kMaxWords}) {
      bool want_dropped = false;
      bool got_dropped = true;
      const std::vector<std::string> want = ReferenceWords(line, max_words, &want_dropped);
      ASSERT_EQ(Words(line, max_words, &got_dropped), want) << testing::PrintToString(line);
      ASSERT_EQ(got_dropped, want_dropped) << testing::PrintToString(line);
    }
  }
}

}  // namespace
}  // namespace ndrelay::bridge
