#include "bridge/numbers.h"

#include <bit>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <random>
#include <string>
#include <string_view>

#include "gtest/gtest.h"

namespace ndrelay::bridge {
namespace {

constexpr uint64_t kU64Max = std::numeric_limits<uint64_t>::max();
constexpr int64_t kI64Max = std::numeric_limits<int64_t>::max();
constexpr int64_t kI64Min = std::numeric_limits<int64_t>::min();

TEST(NumbersTest, ParseUint64Table) {
  struct Case {
    std::string_view text;
    IntBase base;
    bool ok;
    uint64_t value;
  };
  const Case cases[] = {
      {"0", IntBase::kDecimal, true, 0},
      {"4711", IntBase::kDecimal, true, 4711},
      {"+5", IntBase::kDecimal, true, 5},
      {"18446744073709551615", IntBase::kDecimal, true, kU64Max},
      {"18446744073709551616", IntBase::kDecimal, false, 0},
      {"010", IntBase::kDecimal, true, 10},
      {"010", IntBase::kAuto, true, 8},
      {"0", IntBase::kAuto, true, 0},
      {"0777", IntBase::kAuto, true, 511},
      {"08", IntBase::kAuto, false, 0},
      // hex, spec examples
      {"0x0", IntBase::kDecimal, true, 0},
      {"0x1F", IntBase::kDecimal, true, 31},
      {"0X1f", IntBase::kDecimal, true, 31},
      {"0x66851E00", IntBase::kDecimal, true, 1720000000},
      {"0x1267", IntBase::kDecimal, true, 4711},
      {"0x66851E00", IntBase::kAuto, true, 1720000000},
      {"0xFFFFFFFFFFFFFFFF", IntBase::kDecimal, true, kU64Max},
      {"0x000000000000000000FF", IntBase::kDecimal, true, 255},
      {"0x10000000000000000", IntBase::kDecimal, false, 0},
      {"0x", IntBase::kDecimal, false, 0},
      {"0xG", IntBase::kDecimal, false, 0},
      // base64, spec examples
      {"#A", IntBase::kDecimal, true, 0},
      {"#B", IntBase::kDecimal, true, 1},
      {"#D", IntBase::kDecimal, true, 3},
      {"#BJn", IntBase::kDecimal, true, 4711},
      {"#BmhR4A", IntBase::kDecimal, true, 1720000000},
      {"#/", IntBase::kDecimal, true, 63},
      {"#+", IntBase::kDecimal, true, 62},
      {"#P//////////", IntBase::kDecimal, true, kU64Max},
      {"#Q//////////", IntBase::kDecimal, false, 0},
      {"#", IntBase::kDecimal, false, 0},
      {"#B=", IntBase::kDecimal, false, 0},
      // garbage
      {"", IntBase::kDecimal, false, 0},
      {"-1", IntBase::kDecimal, false, 0},
      {"12a", IntBase::kDecimal, false, 0},
      {" 5", IntBase::kDecimal, false, 0},
      {"5 ", IntBase::kDecimal, false, 0},
      {"+", IntBase::kDecimal, false, 0},
      {"1.0", IntBase::kDecimal, false, 0},
  };
  for (const Case& c : cases) {
    uint64_t v = 12345;
    EXPECT_EQ(ParseUint64(c.text, &v, c.base), c.ok) << c.text;
    if (c.ok) {
      EXPECT_EQ(v, c.value) << c.text;
    }
  }
}

TEST(NumbersTest, ParseInt64Table) {
  struct Case {
    std::string_view text;
    IntBase base;
    bool ok;
    int64_t value;
  };
  const Case cases[] = {
      {"0", IntBase::kDecimal, true, 0},
      {"-0", IntBase::kDecimal, true, 0},
      {"-1", IntBase::kDecimal, true, -1},
      {"+7", IntBase::kDecimal, true, 7},
      {"1795519588000131", IntBase::kDecimal, true, 1795519588000131},
      {"9223372036854775807", IntBase::kDecimal, true, kI64Max},
      {"-9223372036854775808", IntBase::kDecimal, true, kI64Min},
      {"9223372036854775808", IntBase::kDecimal, false, 0},
      {"-9223372036854775809", IntBase::kDecimal, false, 0},
      {"-010", IntBase::kAuto, true, -8},
      {"-010", IntBase::kDecimal, true, -10},
      {"-0x1F", IntBase::kDecimal, true, -31},
      {"-#B", IntBase::kDecimal, true, -1},
      {"#BJn", IntBase::kDecimal, true, 4711},
      {"0xFFFFFFFFFFFFFFFF", IntBase::kDecimal, true, -1},  // a 64-bit pattern, as Netdata casts
      {"0x8000000000000000", IntBase::kDecimal, true, kI64Min},
      {"-0x8000000000000000", IntBase::kDecimal, true, kI64Min},
      {"-", IntBase::kDecimal, false, 0},
      {"--1", IntBase::kDecimal, false, 0},
      {"-+1", IntBase::kDecimal, false, 0},
      {"1-", IntBase::kDecimal, false, 0},
      {"", IntBase::kDecimal, false, 0},
      {"NULL", IntBase::kDecimal, false, 0},
      {"1e3", IntBase::kDecimal, false, 0},
  };
  for (const Case& c : cases) {
    int64_t v = 12345;
    EXPECT_EQ(ParseInt64(c.text, &v, c.base), c.ok) << c.text;
    if (c.ok) {
      EXPECT_EQ(v, c.value) << c.text;
    }
  }
}

TEST(NumbersTest, ParseDoubleTable) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  struct Case {
    std::string_view text;
    bool ok;
    double value;
  };
  const Case cases[] = {
      {"4.2", true, 4.2},
      {"0", true, 0},
      {"12.5000000", true, 12.5},
      {"7.5234140", true, 7.5234140},
      {"-1.0000000", true, -1},
      {"+2.5", true, 2.5},
      {".5", true, 0.5},
      {"5.", true, 5},
      {"1e3", true, 1000},
      {"1.5E-3", true, 0.0015},
      {"-2.5e+2", true, -250},
      {"123456789012345678901234567890", true, 123456789012345678901234567890.0},
      {"0.1", true, 0.1},
      {"1e400", true, inf},
      {"-1e400", true, -inf},
      {"1e-400", true, 0},
      // IEEE-754 bit patterns (spec example: 4.2)
      {"@EAQzMzMzMzN", true, 4.2},
      {"%4010CCCCCCCCCCCD", true, 4.2},
      {"%4010cccccccccccd", true, 4.2},
      {"@A", true, 0},
      // integers in double fields
      {"0x10", true, 16},
      {"-0x10", true, -16},
      {"#BJn", true, 4711},
      {"-#B", true, -1},
      // specials, any case (1.37 sends upper-case NAN in RSET)
      {"nan", true, nan},
      {"NAN", true, nan},
      {"NaN", true, nan},
      {"-nan", true, nan},
      {"null", true, nan},
      {"inf", true, inf},
      {"-inf", true, -inf},
      {"Infinity", true, inf},
      // garbage
      {"", false, 0},
      {"-", false, 0},
      {"+", false, 0},
      {"--1", false, 0},
      {"+-1", false, 0},
      {".", false, 0},
      {"1.2.3", false, 0},
      {"1e", false, 0},
      {"abc", false, 0},
      {"4.2x", false, 0},
      {" 4.2", false, 0},
      {"@", false, 0},
      {"%", false, 0},
      {"@!", false, 0},
      {"%4010CCCCCCCCCCCD0", false, 0},
      {"NANA", false, 0},
  };
  for (const Case& c : cases) {
    double v = 12345;
    EXPECT_EQ(ParseDouble(c.text, &v), c.ok) << c.text;
    if (!c.ok) {
      continue;
    }
    if (std::isnan(c.value)) {
      EXPECT_TRUE(std::isnan(v)) << c.text;
    } else {
      EXPECT_EQ(v, c.value) << c.text;
    }
  }
}

TEST(NumbersTest, DecimalDoublesMatchStrtodExactly) {
  std::mt19937_64 rng(42);
  for (int i = 0; i < 20000; ++i) {
    std::string s;
    if (rng() % 2) {
      s += '-';
    }
    const int int_digits = static_cast<int>(rng() % 12);
    for (int d = 0; d < int_digits; ++d) {
      s += static_cast<char>('0' + rng() % 10);
    }
    const int frac_digits = static_cast<int>(rng() % 20);
    if (frac_digits > 0 || int_digits == 0) {
      s += '.';
      for (int d = 0; d < std::max(frac_digits, 1); ++d) {
        s += static_cast<char>('0' + rng() % 10);
      }
    }
    if (rng() % 5 == 0) {
      s += 'e';
      s += std::to_string(static_cast<int>(rng() % 40) - 20);
    }
    double got = 0;
    ASSERT_TRUE(ParseDouble(s, &got)) << s;
    const double want = std::strtod(s.c_str(), nullptr);
    ASSERT_EQ(std::bit_cast<uint64_t>(got), std::bit_cast<uint64_t>(want)) << s;
  }
}

TEST(NumbersTest, IntegerPrinters) {
  struct Case {
    int64_t v;
    std::string_view dec, hex, b64;
  };
  const Case cases[] = {
      {0, "0", "0x0", "#A"},
      {1, "1", "0x1", "#B"},
      {3, "3", "0x3", "#D"},
      {31, "31", "0x1F", "#f"},
      {4711, "4711", "0x1267", "#BJn"},
      {1720000000, "1720000000", "0x66851E00", "#BmhR4A"},
      {-1, "-1", "-0x1", "-#B"},
      {-31, "-31", "-0x1F", "-#f"},
      {kI64Max, "9223372036854775807", "0x7FFFFFFFFFFFFFFF", "#H//////////"},
      {kI64Min, "-9223372036854775808", "-0x8000000000000000", "-#IAAAAAAAAAA"},
  };
  for (const Case& c : cases) {
    std::string dec, hex, b64;
    AppendDecimal(&dec, c.v);
    AppendHex(&hex, c.v);
    AppendBase64(&b64, c.v);
    EXPECT_EQ(dec, c.dec);
    EXPECT_EQ(hex, c.hex);
    EXPECT_EQ(b64, c.b64);
    for (const std::string& s : {dec, hex, b64}) {
      int64_t back = 0;
      ASSERT_TRUE(ParseInt64(s, &back)) << s;
      EXPECT_EQ(back, c.v) << s;
    }
  }
  std::string u;
  AppendHex(&u, kU64Max);
  u += ' ';
  AppendBase64(&u, kU64Max);
  u += ' ';
  AppendDecimal(&u, kU64Max);
  EXPECT_EQ(u, "0xFFFFFFFFFFFFFFFF #P////////// 18446744073709551615");
}

TEST(NumbersTest, IntegerRoundTripsRandom) {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 20000; ++i) {
    const uint64_t bits = rng() >> (rng() % 64);
    const int64_t v = static_cast<int64_t>(rng() % 2 ? bits : 0 - bits);
    std::string s;
    for (int enc = 0; enc < 3; ++enc) {
      s.clear();
      if (enc == 0) {
        AppendDecimal(&s, v);
      } else if (enc == 1) {
        AppendHex(&s, v);
      } else {
        AppendBase64(&s, v);
      }
      int64_t back = 0;
      ASSERT_TRUE(ParseInt64(s, &back, IntBase::kAuto)) << s;
      ASSERT_EQ(back, v) << s;
      uint64_t ub = 0;
      s.clear();
      if (enc == 1) {
        AppendHex(&s, bits);
      } else {
        AppendBase64(&s, bits);
      }
      ASSERT_TRUE(ParseUint64(s, &ub)) << s;
      ASSERT_EQ(ub, bits) << s;
    }
  }
}

TEST(NumbersTest, DoubleBitPrinters) {
  std::string s;
  AppendDoubleBase64(&s, 4.2);
  EXPECT_EQ(s, "@EAQzMzMzMzN");  // spec §7.9 example
  s.clear();
  AppendDoubleHex(&s, 4.2);
  EXPECT_EQ(s, "%4010CCCCCCCCCCCD");
  s.clear();
  AppendDoubleBase64(&s, 0.0);
  EXPECT_EQ(s, "@A");

  const double specials[] = {0.0,
                             -0.0,
                             1.0,
                             -4.2,
                             std::numeric_limits<double>::min(),
                             std::numeric_limits<double>::denorm_min(),
                             std::numeric_limits<double>::max(),
                             std::numeric_limits<double>::infinity(),
                             -std::numeric_limits<double>::infinity(),
                             std::numeric_limits<double>::quiet_NaN()};
  std::mt19937_64 rng(3);
  for (int i = 0; i < 10000 + 10; ++i) {
    const double v = i < 10 ? specials[i] : std::bit_cast<double>(rng());
    for (int enc = 0; enc < 2; ++enc) {
      s.clear();
      if (enc == 0) {
        AppendDoubleBase64(&s, v);
      } else {
        AppendDoubleHex(&s, v);
      }
      double back = 0;
      ASSERT_TRUE(ParseDouble(s, &back)) << s;
      ASSERT_EQ(std::bit_cast<uint64_t>(back), std::bit_cast<uint64_t>(v)) << s;
    }
  }
}

TEST(NumbersTest, DecimalDoublePrinter) {
  struct Case {
    double v;
    std::string_view text;
  };
  const Case cases[] = {
      {0.0, "0"},
      {-0.0, "0"},
      {1.0, "1"},
      {-1.0, "-1"},
      {12.5, "12.5"},
      {4.2, "4.2"},
      {7.523414, "7.523414"},
      {1.0 / 3, "0.3333333"},
      {2.0 / 3, "0.6666667"},
      {2.00000001, "2"},
      {0.00000005, "0.0000001"},
      {0.00000004, "0"},
      {-0.00000004, "0"},
      {-0.5, "-0.5"},
      {32768.0, "32768"},
      {1024000000.0, "1024000000"},
      {123456789012.5, "123456789012.5"},
      {1e18, "1e+18"},
      {-1.5e20, "-1.5e+20"},
      {std::numeric_limits<double>::quiet_NaN(), "null"},
      {std::numeric_limits<double>::infinity(), "null"},
      {-std::numeric_limits<double>::infinity(), "null"},
  };
  for (const Case& c : cases) {
    std::string s;
    AppendDoubleDecimal(&s, c.v);
    EXPECT_EQ(s, c.text) << c.v;
  }
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> dist(-1e11, 1e11);
  for (int i = 0; i < 20000; ++i) {
    const double v = i % 2 ? dist(rng) : dist(rng) / 1e9;
    std::string s;
    AppendDoubleDecimal(&s, v);
    ASSERT_EQ(s.find_first_not_of("-0123456789."), std::string::npos) << s;
    ASSERT_FALSE(s.back() == '0' && s.find('.') != std::string::npos) << s;
    double back = 0;
    ASSERT_TRUE(ParseDouble(s, &back)) << s;
    ASSERT_NEAR(back, v, 5.0001e-8 + std::fabs(v) * 1e-15) << s;
  }
  for (double v : {1e11 + 0.25, 5e15 + 1, 9.2e17, 999999999999999.9}) {
    std::string s;
    AppendDoubleDecimal(&s, v);
    double back = 0;
    ASSERT_TRUE(ParseDouble(s, &back)) << s;
    EXPECT_NEAR(back, v, std::fabs(v) * 1e-15 + 1e-7) << s;
  }
}

}  // namespace
}  // namespace ndrelay::bridge
