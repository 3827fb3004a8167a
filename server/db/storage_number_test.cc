#include "server/db/storage_number.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "gtest/gtest.h"

namespace ndrelay::db {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

struct PackCase {
  double value;
  PointFlags flags;
  StorageNumber packed;
};

// Bit patterns worked out by hand from the layout in storage_number.h.
TEST(StorageNumberTest, PacksExactBitPatterns) {
  const PackCase cases[] = {
      // 0 is not a gap: only the "not anomalous" bit.
      {0.0, kPointNone, 0x01000000},
      {-0.0, kPointNone, 0x01000000},
      {0.0, kPointReset, 0x03000000},
      // 1.0 scales up 7 times: mantissa 10,000,000, divide by 10^7.
      {1.0, kPointNone, 0x39989680},
      // -1.5: sign bit, mantissa 15,000,000, divide by 10^7.
      {-1.5, kPointNone, 0xB9E4E1C0},
      // 123456789 scales down once: mantissa lrint(12345678.9) = 12345679, multiply by 10.
      {123456789.0, kPointNone, 0x49BC614F},
      // Gaps.
      {std::nan(""), kPointNone, kStorageNumberEmpty},
      {kInf, kPointNone, kStorageNumberEmpty},
      {-kInf, kPointReset, kStorageNumberEmpty},
      {5.0, kPointEmpty, kStorageNumberEmpty},
  };
  for (const PackCase& c : cases) {
    SCOPED_TRACE(c.value);
    EXPECT_EQ(PackStorageNumber(c.value, c.flags), c.packed);
  }
}

struct RoundTripCase {
  double in;
  double out;  // exactly what Netdata's /api/v1/data shows for it
};

TEST(StorageNumberTest, RoundTripsLikeNetdata) {
  const RoundTripCase cases[] = {
      // Values seen in the real captures (RSET text -> parent JSON).
      {3.5353540, 3.535354},
      {92.9292900, 92.92929},
      {0.5025126, 0.5025126},
      {100.0, 100.0},
      // 100/199 and 375/7: 7 significant digits, rounded half to even at the last one.
      {100.0 / 199.0, 0.5025126},
      {375.0 / 7.0, 53.57143},
      {1.0 / 0.995, 1.0050251},
      // Tiny values keep 7 decimals at most.
      {1e-8, 0.0},
      {4e-8, 0.0},
      {6e-8, 1e-7},
      {0.123456789, 0.1234568},
      // Subnormals are stored as an exact zero, not a gap.
      {1e-310, 0.0},
      // Large values keep ~7 significant digits.
      {123456789.0, 123456790.0},
      {-16777215.0, -16777215.0},
      {16777216.0, 16777220.0},
      // Past 0xFFFFFF * 10^7 the base becomes 100.
      {2e14, 2e14},
      // Saturation.
      {1e30, 16777215.0 * 1e14},
  };
  for (const RoundTripCase& c : cases) {
    SCOPED_TRACE(c.in);
    const double got = UnpackStorageNumber(PackStorageNumber(c.in, kPointNone));
    EXPECT_NEAR(got, c.out, std::abs(c.out) * 1e-15);
  }
}

TEST(StorageNumberTest, FlagsSurviveAndGapsAreNaN) {
  EXPECT_EQ(StorageNumberFlags(kStorageNumberEmpty), kPointEmpty);
  EXPECT_TRUE(std::isnan(UnpackStorageNumber(kStorageNumberEmpty)));

  const StorageNumber reset = PackStorageNumber(42.25, kPointReset);
  EXPECT_EQ(StorageNumberFlags(reset), kPointReset);
  EXPECT_DOUBLE_EQ(UnpackStorageNumber(reset), 42.25);

  const StorageNumber plain = PackStorageNumber(42.25, kPointNone);
  EXPECT_EQ(StorageNumberFlags(plain), kPointNone);
  EXPECT_DOUBLE_EQ(UnpackStorageNumber(plain), 42.25);

  // Zero with the reset flag is still a value, not a gap.
  const StorageNumber zero = PackStorageNumber(0.0, kPointReset);
  EXPECT_EQ(StorageNumberFlags(zero), kPointReset);
  EXPECT_EQ(UnpackStorageNumber(zero), 0.0);
}

// The documented precision bounds, checked over many magnitudes and both signs.
TEST(StorageNumberTest, PrecisionBounds) {
  std::mt19937_64 rng(20221205);
  std::uniform_real_distribution<double> mantissa(1.0, 10.0);
  for (int exponent = -12; exponent <= 20; ++exponent) {
    for (int i = 0; i < 2000; ++i) {
      const double magnitude = mantissa(rng) * std::pow(10.0, exponent);
      const double v = (i % 2 == 0) ? magnitude : -magnitude;
      const double got = UnpackStorageNumber(PackStorageNumber(v, kPointNone));
      ASSERT_FALSE(std::isnan(got)) << v;
      const double err = std::abs(got - v);
      if (magnitude < 0.1677726) {
        ASSERT_LE(err, 0.5e-7 + 1e-16) << v;
      } else if (magnitude <= 1.6777215e14) {
        ASSERT_LE(err / magnitude, 3.0e-7) << v;
      } else if (magnitude <= 1.6777215e21) {
        ASSERT_LE(err / magnitude, 3.0e-6) << v;
      }
    }
  }
}

// The mantissa never spills into the flag bits, whatever the rounding.
TEST(StorageNumberTest, MantissaStaysInItsBits) {
  const double edges[] = {16777215.4, 16777215.5, 16777215.6,  1677721.55,   1677725.99,
                          167772.155, 0.16777215, 0.167772155, 1.6777215e14, 1.67772155e14};
  for (double v : edges) {
    SCOPED_TRACE(v);
    const StorageNumber n = PackStorageNumber(v, kPointNone);
    EXPECT_EQ(n & kStorageNumberReset, 0u);
    EXPECT_NE(n & kStorageNumberNotAnomalous, 0u);
    EXPECT_NEAR(UnpackStorageNumber(n), v, v * 3.0e-6);
  }
}

// Netdata's packing written as its loops (the reference PackStorageNumber() must equal).
StorageNumber PackWithLoops(double value) {
  if (!std::isfinite(value)) {
    return kStorageNumberEmpty;
  }
  StorageNumber r = kStorageNumberNotAnomalous;
  const int cls = std::fpclassify(value);
  if (cls == FP_ZERO || cls == FP_SUBNORMAL) {
    return r;
  }
  double n = value;
  if (n < 0) {
    r += kStorageNumberNegative;
    n = -n;
  }
  double base = 10;
  if (n / 1e7 > kStorageNumberMantissaMaxValue) {
    base = 100;
    r |= kStorageNumberBase100;
  }
  int m = 0;
  while (m < kStorageNumberMaxExponent && n > kStorageNumberMantissaMaxValue) {
    n /= base;
    ++m;
  }
  if (m > 0) {
    r += kStorageNumberMultiply + (static_cast<StorageNumber>(m) << kStorageNumberExponentShift);
    if (n > kStorageNumberMantissaMaxValue) {
      return r + 0x00FFFFFFu;
    }
  } else {
    while (m < kStorageNumberMaxExponent && n < kStorageNumberScaleUpLimit) {
      n *= 10;
      ++m;
    }
    if (n > kStorageNumberMantissaMaxValue) {
      n /= 10;
      --m;
    }
    r += static_cast<StorageNumber>(m) << kStorageNumberExponentShift;
  }
  r += static_cast<StorageNumber>(std::lrint(n));
  return r;
}

// n random values of 1..10 times 10^e (e a whole number in [min_exp, max_exp)), alternately
// negated, each followed by itself rounded to an integer.
void AppendRandomMagnitudes(std::mt19937_64* rng, int n, double min_exp, double max_exp,
                            std::vector<double>* values) {
  std::uniform_real_distribution<double> exponent(min_exp, max_exp);
  std::uniform_real_distribution<double> unit(1, 10);
  for (int i = 0; i < n; ++i) {
    const double v = unit(*rng) * std::pow(10.0, std::floor(exponent(*rng)));
    values->push_back((i & 1) != 0 ? -v : v);
    values->push_back(std::round(v));
  }
}

TEST(StorageNumberTest, EqualsNetdatasLoopsEverywhere) {
  std::vector<double> values;
  // Around every threshold the loops compare against, scaled by each power of ten they can
  // reach, with the neighbouring doubles on both sides.
  for (double edge : {kStorageNumberScaleUpLimit, kStorageNumberMantissaMaxValue,
                      kStorageNumberMantissaMaxValue * 1e7, 1677721.5, 0.5, 1.0}) {
    for (int e = -9; e <= 9; ++e) {
      const double v = edge * std::pow(10.0, e);
      double lo = v, hi = v;
      for (int k = 0; k < 4; ++k) {
        values.push_back(lo);
        values.push_back(hi);
        lo = std::nextafter(lo, 0.0);
        hi = std::nextafter(hi, kInf);
      }
    }
  }
  // Integers of every size (collected counters and gauges), and random magnitudes.
  for (int64_t v = -2000; v <= 2000; ++v) {
    values.push_back(static_cast<double>(v));
  }
  std::mt19937_64 rng(42);
  AppendRandomMagnitudes(&rng, 2000000, -12, 20, &values);
  size_t mismatches = 0;
  for (double v : values) {
    const StorageNumber want = PackWithLoops(v);
    const StorageNumber got = PackStorageNumber(v, kPointNone);
    if (got != want && ++mismatches <= 10) {
      ADD_FAILURE() << "value " << v << ": got 0x" << std::hex << got << ", want 0x" << want;
    }
  }
  EXPECT_EQ(mismatches, 0u) << "of " << values.size();
}

// The row pack (two values at a time on x86-64) equals the point pack for every value, flag and
// row length, whatever shares a pair with it.
TEST(StorageNumberTest, RowPackEqualsThePointPack) {
  std::vector<double> values = {0.0,
                                -0.0,
                                std::numeric_limits<double>::denorm_min(),
                                -std::numeric_limits<double>::min() / 2,
                                std::numeric_limits<double>::min(),
                                std::numeric_limits<double>::quiet_NaN(),
                                kInf,
                                -kInf,
                                kStorageNumberMantissaMaxValue,
                                std::nextafter(kStorageNumberMantissaMaxValue, kInf),
                                -kStorageNumberMantissaMaxValue,
                                kStorageNumberScaleUpLimit,
                                std::nextafter(kStorageNumberScaleUpLimit, 0.0),
                                1677721.5,
                                167772.15,
                                1e-8,
                                0.5e-7,
                                1e300,
                                -1e21};
  std::mt19937_64 rng(7);
  AppendRandomMagnitudes(&rng, 1000000, -12, 12, &values);
  for (double edge : {kStorageNumberScaleUpLimit, kStorageNumberMantissaMaxValue, 1677721.5}) {
    for (int e = -9; e <= 0; ++e) {
      double v = edge * std::pow(10.0, e);
      for (int k = 0; k < 8; ++k) {
        values.push_back(v);
        v = std::nextafter(v, kInf);
      }
    }
  }
  const PointFlags flag_choices[] = {kPointNone, kPointNone, kPointNone, kPointReset, kPointEmpty};
  std::vector<PointFlags> flags(values.size());
  for (PointFlags& f : flags) {
    f = flag_choices[rng() % 5];
  }
  size_t mismatches = 0;
  std::vector<StorageNumber> row(16);
  for (size_t at = 0; at < values.size();) {
    const size_t n = std::min<size_t>(1 + rng() % 9, values.size() - at);
    PackStorageRow(values.data() + at, flags.data() + at, row.data(), n);
    for (size_t i = 0; i < n; ++i) {
      const StorageNumber want = PackStorageNumber(values[at + i], flags[at + i]);
      if (row[i] != want && ++mismatches <= 10) {
        ADD_FAILURE() << "value " << values[at + i] << " flags " << int{flags[at + i]} << ": got 0x"
                      << std::hex << row[i] << ", want 0x" << want;
      }
    }
    at += n;
  }
  EXPECT_EQ(mismatches, 0u) << "of " << values.size();
  // Without flags, so that every pair of plain values takes the two-at-a-time path.
  std::fill(flags.begin(), flags.end(), kPointNone);
  std::vector<StorageNumber> all(values.size());
  PackStorageRow(values.data(), flags.data(), all.data(), values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    if (all[i] != PackStorageNumber(values[i], kPointNone) && ++mismatches <= 10) {
      ADD_FAILURE() << "value " << values[i];
    }
  }
  EXPECT_EQ(mismatches, 0u);
}

}  // namespace
}  // namespace ndrelay::db
