#include "server/db/storage_number.h"

#include <array>
#include <cmath>

namespace ndrelay::db {
namespace {

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
