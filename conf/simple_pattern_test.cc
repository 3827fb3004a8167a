#include "conf/simple_pattern.h"

#include <atomic>
#include <cstdlib>
#include <new>
#include <string>

#include "gtest/gtest.h"

// Counts heap allocations so that the test below can prove Match() never allocates. Replacing
// the global operator new affects the whole test binary, but only by counting.
namespace {
std::atomic<long> g_allocations{0};
}  // namespace

void* operator new(size_t n) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  void* p = std::malloc(n == 0 ? 1 : n);
  if (p == nullptr) {
    std::abort();
  }
  return p;
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }

namespace ndrelay::conf {
namespace {

using R = SimplePattern::Result;

struct Case {
  const char* pattern;
  const char* input;
  R expected;
};

// Spec §14, one row per behaviour.
const Case kCases[] = {
    // Seed examples.
    {"!10.1.2.3 10.*", "10.1.2.3", R::kNegative},
    {"!10.1.2.3 10.*", "10.1.2.4", R::kPositive},
    {"!10.1.2.3 10.*", "10.0.0.1", R::kPositive},
    {"!10.1.2.3 10.*", "192.168.1.1", R::kNoMatch},
    {"!10.1.2.3 10.*", "10.1.2.33", R::kPositive},  // exact negative does not cover a longer IP
    {"!apps.cpu *", "apps.cpu", R::kNegative},
    {"!apps.cpu *", "apps.cpu_user", R::kPositive},
    {"!apps.cpu *", "system.cpu", R::kPositive},
    // Exact, prefix, suffix, substring.
    {"abc", "abc", R::kPositive},
    {"abc", "abcd", R::kNoMatch},
    {"abc", "xabc", R::kNoMatch},
    {"abc*", "abc", R::kPositive},
    {"abc*", "abcdef", R::kPositive},
    {"abc*", "xabc", R::kNoMatch},
    {"*abc", "abc", R::kPositive},
    {"*abc", "xxabc", R::kPositive},
    {"*abc", "abcx", R::kNoMatch},
    {"*abc*", "abc", R::kPositive},
    {"*abc*", "xxabcyy", R::kPositive},
    {"*abc*", "xxabyy", R::kNoMatch},
    {"*", "x", R::kPositive},
    {"*", "anything at all", R::kPositive},
    {"**", "x", R::kPositive},
    // Empty input never matches, not even `*`.
    {"*", "", R::kNoMatch},
    {"!*", "", R::kNoMatch},
    {"!*", "x", R::kNegative},
    // Inner stars: greedy-leftmost chain, no backtracking.
    {"a*b*c", "abc", R::kPositive},
    {"a*b*c", "aXbYc", R::kPositive},
    {"a*b*c", "aXbYcZ", R::kNoMatch},  // must end with c
    {"a*b*c", "ac", R::kNoMatch},
    {"a*b*c", "abbc", R::kPositive},
    {"a*b*c", "acbc", R::kPositive},
    {"a*b", "ab", R::kPositive},
    {"a*b", "a", R::kNoMatch},
    {"a*b", "ba", R::kNoMatch},
    {"a*bc*d", "abcbcd", R::kPositive},
    // No backtracking: the first "b" after "a" is taken, then "bc" must follow it.
    {"a*b*c*", "aXbYcZ", R::kPositive},
    {"*b*c", "abc", R::kPositive},
    {"*b*c", "bc", R::kPositive},
    {"*b*c", "cb", R::kNoMatch},
    {"x*ab*ab", "xab", R::kNoMatch},  // first "ab" consumed; "ab" suffix no longer fits
    {"x*ab*ab", "xabab", R::kPositive},
    {"x*ab*ab", "xabZab", R::kPositive},
    // Netdata quirk kept: in "a**b" the tail is the literal suffix "*b".
    {"a**b", "aXb", R::kNoMatch},
    {"a**b", "aX*b", R::kPositive},
    // First match decides, left to right.
    {"abc !abc", "abc", R::kPositive},
    {"!abc abc", "abc", R::kNegative},
    {"!a* a*", "ab", R::kNegative},
    {"x y z", "y", R::kPositive},
    // Separators: any whitespace, runs count as one.
    {"  a \t\r\n\f\v b  ", "b", R::kPositive},
    {"  a \t\r\n\f\v b  ", "a", R::kPositive},
    // Escapes: the backslash is removed; an escaped space stays in the token.
    {"hello\\ world", "hello world", R::kPositive},
    {"hello\\ world", "hello", R::kNoMatch},
    {"\\!abc", "!abc", R::kPositive},
    {"\\!abc", "abc", R::kNoMatch},
    {"a\\\\b", "a\\b", R::kPositive},
    {"a\\*", "ab", R::kPositive},  // an escaped star is still a wildcard (Netdata)
    {"trailing\\", "trailing", R::kPositive},
    // A lone `!` is ignored; `!!x` is a negative for "!x".
    {"! abc", "abc", R::kPositive},
    {"!", "x", R::kNoMatch},
    {"!!x", "!x", R::kNegative},
    {"!!x", "x", R::kNoMatch},
    // Case-sensitive.
    {"ABC", "abc", R::kNoMatch},
    // Empty list = no pattern.
    {"", "x", R::kNoMatch},
    {"   ", "x", R::kNoMatch},
};

TEST(SimplePatternTest, Table) {
  for (const Case& c : kCases) {
    const SimplePattern p = SimplePattern::Parse(c.pattern);
    EXPECT_EQ(p.Match(c.input), c.expected)
        << "pattern '" << c.pattern << "' input '" << c.input << "'";
    EXPECT_EQ(p.Matches(c.input), c.expected == R::kPositive) << c.pattern << " / " << c.input;
  }
}

TEST(SimplePatternTest, EmptyAndSource) {
  struct {
    const char* list;
    bool empty;
    size_t size;
  } cases[] = {
      {"", true, 0},   {" \t ", true, 0},      {"!", true, 0},    {"! !", true, 0},
      {"*", false, 1}, {"!a b \\ ", false, 3}, {"a,b", false, 1},  // commas are not separators here
  };
  for (const auto& c : cases) {
    const SimplePattern p = SimplePattern::Parse(c.list);
    EXPECT_EQ(p.empty(), c.empty) << "'" << c.list << "'";
    EXPECT_EQ(p.size(), c.size) << "'" << c.list << "'";
    EXPECT_EQ(p.source(), c.list);
  }
  EXPECT_TRUE(SimplePattern().empty());
  EXPECT_EQ(SimplePattern().Match("x"), R::kNoMatch);
}

TEST(SimplePatternTest, EmbeddedNulIsAnOrdinaryByte) {
  const SimplePattern p = SimplePattern::Parse(std::string("a\0b*", 4));
  EXPECT_TRUE(p.Matches(std::string("a\0bc", 4)));
  EXPECT_FALSE(p.Matches("a"));
}

TEST(SimplePatternTest, CopiesAreIndependent) {
  SimplePattern a = SimplePattern::Parse("!x *");
  SimplePattern b = a;
  a = SimplePattern::Parse("x");
  EXPECT_EQ(b.Match("x"), R::kNegative);
  EXPECT_EQ(a.Match("x"), R::kPositive);
  EXPECT_EQ(b.source(), "!x *");
}

TEST(SimplePatternTest, MatchDoesNotAllocate) {
  const SimplePattern p = SimplePattern::Parse("!apps.cpu !*bad* a*b*c x*ab*ab *abc* abc* *");
  const std::string inputs[] = {"apps.cpu", "very bad one", "aXbYc",
                                "xabZab",   "zzabczz",      std::string(4096, 'q')};
  const long before = g_allocations.load();
  int positives = 0;
  for (int i = 0; i < 100; ++i) {
    for (const std::string& s : inputs) {
      positives += p.Matches(s) ? 1 : 0;
    }
  }
  const long after = g_allocations.load();
  EXPECT_EQ(after, before);
  EXPECT_EQ(positives, 400);
}

// Long inputs and many stars stay linear-ish (no backtracking blow-up).
TEST(SimplePatternTest, ManyStarsOnLongInput) {
  std::string pat;
  for (int i = 0; i < 200; ++i) {
    pat += "a*";
  }
  pat += "b";
  const SimplePattern p = SimplePattern::Parse(pat);
  EXPECT_FALSE(p.Matches(std::string(100000, 'a')));
  EXPECT_TRUE(p.Matches(std::string(1000, 'a') + "b"));
}

}  // namespace
}  // namespace ndrelay::conf
