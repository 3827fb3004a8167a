#include "bridge/numbers.h"

#include <bit>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
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

// The boundaries of the decimal fast path inside ParseInt64/ParseUint64 (<= 18 digits, optional
// sign, no octal leading zero with kAuto): either side must give what the full parser gives.
TEST(NumbersTest, IntegerFastPathBoundaries) {
  struct Case {
    std::string_view text;
    IntBase base;
    bool ok;
    int64_t value;
  };
  const Case cases[] = {
      {"999999999999999999", IntBase::kAuto, true, 999999999999999999},    // 18: fast
      {"-999999999999999999", IntBase::kAuto, true, -999999999999999999},  // 18: fast
      {"1000000000000000000", IntBase::kAuto, true, 1000000000000000000},  // 19: full
      {"9223372036854775807", IntBase::kAuto, true, kI64Max},              // 19: full
      {"9223372036854775808", IntBase::kAuto, false, 0},                   // overflow
      {"-9223372036854775808", IntBase::kAuto, true, kI64Min},             // 19: full
      {"18446744073709551616", IntBase::kAuto, false, 0},                  // 20 digits
      {"99999999999999999999", IntBase::kDecimal, false, 0},               // 20 digits
      {"0000000000000000001", IntBase::kDecimal, true, 1},                 // 19 with zeros
      {"0000000000000000001", IntBase::kAuto, true, 1},                    // octal 1
      {"00000000", IntBase::kAuto, true, 0},                               // 8 zeros: octal
      {"010", IntBase::kAuto, true, 8},                                    // octal, not fast
      {"010", IntBase::kDecimal, true, 10},                                // decimal, fast
      {"08", IntBase::kAuto, false, 0},                                    // bad octal digit
      {"08", IntBase::kDecimal, true, 8},                                  //
      {"0", IntBase::kAuto, true, 0},                                      // "0" is fast
      {"12345678", IntBase::kAuto, true, 12345678},                        // one 8-byte step
      {"123456789", IntBase::kAuto, true, 123456789},                      // step + a byte
      {"1234567x", IntBase::kAuto, false, 0},                              // stray byte
      {"12345678x", IntBase::kAuto, false, 0},                             // stray after 8
      {"1234567:", IntBase::kAuto, false, 0},                              // '9' + 1
      {"1234567/", IntBase::kAuto, false, 0},                              // '0' - 1
      {std::string_view("1234567\xFA", 8), IntBase::kAuto, false, 0},      // +6 carries
      {std::string_view("1234567\0", 8), IntBase::kAuto, false, 0},        // NUL
      {"0x10", IntBase::kAuto, true, 16},                                  // hex: full
      {"+12", IntBase::kAuto, true, 12},                                   // '+': full
      {"- 1", IntBase::kAuto, false, 0},                                   //
  };
  for (const Case& c : cases) {
    int64_t v = 12345;
    EXPECT_EQ(ParseInt64(c.text, &v, c.base), c.ok) << c.text;
    if (c.ok) {
      EXPECT_EQ(v, c.value) << c.text;
    }
    uint64_t u = 12345;
    const bool unsigned_ok = c.ok && c.value >= 0 && !c.text.starts_with('-');
    if (!c.text.starts_with('-') && c.text != "9223372036854775808") {
      EXPECT_EQ(ParseUint64(c.text, &u, c.base), unsigned_ok) << c.text;
      if (unsigned_ok) {
        EXPECT_EQ(u, static_cast<uint64_t>(c.value)) << c.text;
      }
    }
  }
}

// Digits the way a reader of the spec would count them: a byte at a time.
size_t ReferenceScanDecimal(std::string_view s, uint64_t* value) {
  size_t n = 0;
  uint64_t v = 0;
  while (n < s.size() && s[n] >= '0' && s[n] <= '9') {
    v = v * 10 + static_cast<uint64_t>(s[n] - '0');
    ++n;
  }
  if (n == 0 || n > kMaxFastDecimalDigits) {
    return 0;
  }
  *value = v;
  return n;
}

TEST(NumbersTest, ScanDecimalTable) {
  struct Case {
    std::string_view text;
    size_t count;
    uint64_t value;
  };
  const Case cases[] = {
      {"", 0, 0},
      {"x", 0, 0},
      {"0", 1, 0},
      {"7\n", 1, 7},
      {"42 = 1", 2, 42},
      {"1234567", 7, 1234567},
      {"12345678", 8, 12345678},
      {"12345678\n", 8, 12345678},
      {"123456789\n", 9, 123456789},
      {"000000000000000123", 18, 123},
      {"999999999999999999", 18, 999999999999999999},
      {"999999999999999999\n", 18, 999999999999999999},
      {"1000000000000000000", 0, 0},  // 19 digits: the full parsers' job
      {"12345678901234567890", 0, 0},
      {"-1", 0, 0},
      {"+1", 0, 0},
      {"1.5", 1, 1},
      {"09", 2, 9},  // leading zeros are the caller's business
      {std::string_view("12\0\0\0\0\0\0", 8), 2, 12},
      {"99999999:", 8, 99999999},
      {"/9999999", 0, 0},
  };
  for (const Case& c : cases) {
    uint64_t v = 777;
    EXPECT_EQ(ScanDecimal(c.text.data(), c.text.data() + c.text.size(), &v), c.count) << c.text;
    EXPECT_EQ(v, c.count != 0 ? c.value : 777) << c.text;
  }
}

// Every length of digit run, followed by every kind of byte, and every distance to `end` (which
// switches between the 8-byte step and single bytes): ScanDecimal never reads past `end` (ASan
// checks the heap copy) and agrees with the byte-at-a-time reference.
TEST(NumbersTest, ScanDecimalMatchesReferenceAtEveryEnd) {
  std::mt19937_64 rng(42);
  const std::string_view stoppers("\n =.x/:\0\xFA\xFF\x80-+", 13);
  for (size_t digits = 0; digits <= 21; ++digits) {
    for (char stop : stoppers) {
      std::string text;
      for (size_t i = 0; i < digits; ++i) {
        text += static_cast<char>('0' + rng() % 10);
      }
      text += stop;
      text += "123456789012345678901234";  // more digits after the stop byte
      for (size_t size = 0; size <= text.size(); ++size) {
        const std::unique_ptr<char[]> copy(new char[size]);  // exactly `size` readable bytes
        std::memcpy(copy.get(), text.data(), size);
        const std::string_view view(copy.get(), size);
        uint64_t want = 1;
        uint64_t got = 1;
        const size_t want_n = ReferenceScanDecimal(view, &want);
        ASSERT_EQ(ScanDecimal(view.data(), view.data() + view.size(), &got), want_n)
            << text << " size " << size;
        ASSERT_EQ(got, want) << text << " size " << size;
      }
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
