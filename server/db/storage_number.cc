#include "server/db/storage_number.h"

#include <array>
#include <cmath>

namespace ndrelay::db {
namespace {

constexpr double kMantissaMax = 0x00FFFFFF;
// The smallest mantissa that can still be multiplied by 10 without leaving 24 bits; values are
// scaled up until they reach it, which is what gives every number ~7 significant digits.
constexpr double kScaleUpLimit = 0x0019999E;
constexpr int kMaxExponent = 7;

// Decoding multiplies by a precomputed factor (not a division), as Netdata does, so the last bit
// of the decoded double matches Netdata's. Index: base100 * 16 + multiply * 8 + exponent.
std::array<double, 32> MakeScaleTable() {
  std::array<double, 32> t{};
  for (int i = 0; i <= kMaxExponent; ++i) {
    t[0 * 8 + i] = 1 / std::pow(10, i);
    t[1 * 8 + i] = std::pow(10, i);
    t[2 * 8 + i] = 1 / std::pow(100, i);
    t[3 * 8 + i] = std::pow(100, i);
  }
  return t;
}

const std::array<double, 32>& ScaleTable() {
  static const std::array<double, 32> table = MakeScaleTable();
  return table;
}

}  // namespace

StorageNumber PackStorageNumber(double value, PointFlags flags) {
  if (!std::isfinite(value) || (flags & kPointEmpty) != 0) {
    return kStorageNumberEmpty;
  }
  StorageNumber r = kStorageNumberNotAnomalous;
  if ((flags & kPointReset) != 0) {
    r |= kStorageNumberReset;
  }
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
  // Past 0xFFFFFF * 10^7 seven divisions by 10 are not enough: divide by 100 instead.
  if (n / 1e7 > kMantissaMax) {
    base = 100;
    r |= kStorageNumberBase100;
  }

  int m = 0;
  // Each step is a separate multiplication/division, in this order: the rounding of every step
  // is part of the result Netdata shows.
  while (m < kMaxExponent && n > kMantissaMax) {
    n /= base;
    ++m;
  }
  if (m > 0) {
    r += kStorageNumberMultiply + (static_cast<StorageNumber>(m) << kStorageNumberExponentShift);
    if (n > kMantissaMax) {
      return r + 0x00FFFFFFu;  // saturated
    }
  } else {
    while (m < kMaxExponent && n < kScaleUpLimit) {
      n *= 10;
      ++m;
    }
    if (n > kMantissaMax) {
      n /= 10;
      --m;
    }
    r += static_cast<StorageNumber>(m) << kStorageNumberExponentShift;
  }
  // n <= 0xFFFFFF here, so the rounded mantissa stays within its 24 bits.
  r += static_cast<StorageNumber>(std::lrint(n));
  return r;
}

double UnpackStorageNumber(StorageNumber n) {
  if (n == kStorageNumberEmpty) {
    return std::nan("");
  }
  const int sign = (n & kStorageNumberNegative) != 0 ? -1 : 1;
  const int multiply = (n & kStorageNumberMultiply) != 0 ? 1 : 0;
  const int base100 = (n & kStorageNumberBase100) != 0 ? 1 : 0;
  const int m = static_cast<int>((n & kStorageNumberExponentMask) >> kStorageNumberExponentShift);
  const double mantissa = static_cast<double>(n & kStorageNumberMantissaMask);
  return sign * ScaleTable()[base100 * 16 + multiply * 8 + m] * mantissa;
}

PointFlags StorageNumberFlags(StorageNumber n) {
  if (n == kStorageNumberEmpty) {
    return kPointEmpty;
  }
  return (n & kStorageNumberReset) != 0 ? kPointReset : kPointNone;
}

}  // namespace ndrelay::db
