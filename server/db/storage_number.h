#pragma once

// The 4-byte point encoding of Netdata's tier 0 ("storage number"), bit for bit, so that what
// ndrelay stores and serves equals what Netdata 1.37.1 stores and shows in /api/v1/data.
//
// Layout of the 32 bits (bit 31 is the most significant):
//   31     sign (1 = negative)
//   30     the scale multiplies (1) or divides (0)
//   29..27 scale exponent m, 0..7
//   26     the scale base is 100 instead of 10 (only for very large values)
//   25     reset flag (kPointReset)
//   24     "not anomalous"; always set by ndrelay (no ML), which also keeps 0.0 distinct from a gap
//   23..0  unsigned mantissa, 0..0xFFFFFF
// The all-zero word is the empty slot (a gap). value = sign * mantissa * base^(+/-m).
//
// Precision (what a round trip through Pack/Unpack keeps):
//   * |v| in [0.1677726, 16777215]: the mantissa is scaled to >= 1677726 (0x19999E), so the
//     relative error is at most 0.5 / 1677726 ~= 3.0e-7 (about 7 significant digits);
//   * |v| < 0.1677726: the scale stops at 10^-7, so the absolute error is at most 0.5e-7 and
//     values below 0.5e-7 read back as 0;
//   * 16777215 < |v| <= 1.6777215e14: divided by 10 until it fits, relative error at most
//     0.5 / 1677721.5 ~= 3.0e-7;
//   * |v| > 1.6777215e14: divided by 100 until it fits, relative error at most
//     0.5 / 167772.15 ~= 3.0e-6; above 16777215 * 100^7 (~1.68e21) the mantissa saturates at
//     0xFFFFFF (the value reads back as ~1.68e21);
//   * NaN and +/-infinity become the empty slot; zero and subnormals become an exact 0.
// Rounding is lrint (round half to even), as Netdata builds it (STORAGE_WITH_MATH).

#include <cstdint>

#include "server/db/storage.h"

namespace ndrelay::db {

using StorageNumber = uint32_t;

inline constexpr StorageNumber kStorageNumberEmpty = 0;
inline constexpr StorageNumber kStorageNumberNegative = 1u << 31;
inline constexpr StorageNumber kStorageNumberMultiply = 1u << 30;
inline constexpr int kStorageNumberExponentShift = 27;
inline constexpr StorageNumber kStorageNumberExponentMask = 7u << kStorageNumberExponentShift;
inline constexpr StorageNumber kStorageNumberBase100 = 1u << 26;
inline constexpr StorageNumber kStorageNumberReset = 1u << 25;
inline constexpr StorageNumber kStorageNumberNotAnomalous = 1u << 24;
inline constexpr StorageNumber kStorageNumberMantissaMask = 0x00FFFFFFu;

// Encodes value; only kPointReset of flags is kept (kPointEmpty encodes the empty slot).
StorageNumber PackStorageNumber(double value, PointFlags flags);

// Decodes; the empty slot gives NaN.
double UnpackStorageNumber(StorageNumber n);

// kPointEmpty for the empty slot, kPointReset when the reset bit is set, else kPointNone.
PointFlags StorageNumberFlags(StorageNumber n);

}  // namespace ndrelay::db
