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

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>

#if defined(__SSE2__) && defined(__x86_64__)
#include <emmintrin.h>
#endif

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

inline constexpr double kStorageNumberMantissaMaxValue = 0x00FFFFFF;
// The smallest mantissa that can still be multiplied by 10 without leaving 24 bits; values are
// scaled up until they reach it, which is what gives every number ~7 significant digits.
inline constexpr double kStorageNumberScaleUpLimit = 0x0019999E;
inline constexpr int kStorageNumberMaxExponent = 7;

namespace internal_storage_number {
// lrint() in the default rounding mode (round half to even), without the libm call.
inline long RoundHalfEven(double n) {
#if defined(__SSE2__) && defined(__x86_64__)
  return _mm_cvtsd_si64(_mm_set_sd(n));
#else
  return std::lrint(n);
#endif
}
}  // namespace internal_storage_number

// Encodes value; only kPointReset of flags is kept (kPointEmpty encodes the empty slot). Inline:
// the ram engine packs one per stored point.
inline StorageNumber PackStorageNumber(double value, PointFlags flags) {
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
  if (n / 1e7 > kStorageNumberMantissaMaxValue) {
    base = 100;
    r |= kStorageNumberBase100;
  }

  int m = 0;
  // Each step is a separate multiplication/division, in this order: the rounding of every step
  // is part of the result Netdata shows.
  while (m < kStorageNumberMaxExponent && n > kStorageNumberMantissaMaxValue) {
    n /= base;
    ++m;
  }
  if (m > 0) {
    r += kStorageNumberMultiply + (static_cast<StorageNumber>(m) << kStorageNumberExponentShift);
    if (n > kStorageNumberMantissaMaxValue) {
      return r + 0x00FFFFFFu;  // saturated
    }
  } else {
    // Netdata's loop, `while (m < 7 && n < kStorageNumberScaleUpLimit) { n *= 10; ++m; }`,
    // without its data-dependent exit (mispredicted when consecutive values differ in
    // magnitude): the products
    // n*10, n*10*10, ... are computed in the same order (so with the same rounding at every
    // step), and as they only grow, the loop would stop after as many steps as there are
    // products below the limit among n and the first six.
    double scaled[kStorageNumberMaxExponent + 1];
    scaled[0] = n;
    for (int k = 1; k <= kStorageNumberMaxExponent; ++k) {
      scaled[k] = scaled[k - 1] * 10;
    }
    for (int k = 0; k < kStorageNumberMaxExponent; ++k) {
      m += scaled[k] < kStorageNumberScaleUpLimit ? 1 : 0;
    }
    n = scaled[m];
    if (n > kStorageNumberMantissaMaxValue) {
      n /= 10;
      --m;
    }
    r += static_cast<StorageNumber>(m) << kStorageNumberExponentShift;
  }
  // n <= 0xFFFFFF here, so the rounded mantissa stays within its 24 bits.
  r += static_cast<StorageNumber>(internal_storage_number::RoundHalfEven(n));
  return r;
}

// PackStorageNumber() for values[0, n) with their flags into out[0, n), bit for bit. Inline: the
// ram engine packs one row per chart round. On x86-64 two values are packed at a time (SSE2,
// which every x86-64 CPU has): the scale-up products are computed for both lanes in the same
// order as the scalar code computes them, so every rounding step is the same; a pair holding
// anything else (a flag, NaN or infinity, a magnitude above the mantissa's, which needs the
// divisions) is packed by PackStorageNumber().
inline void PackStorageRow(const double* values, const PointFlags* flags, StorageNumber* out,
                           size_t n) {
  size_t i = 0;
#if defined(__SSE2__) && defined(__x86_64__)
  const __m128d abs_mask = _mm_castsi128_pd(_mm_set1_epi64x(0x7FFFFFFFFFFFFFFF));
  const __m128d max = _mm_set1_pd(kStorageNumberMantissaMaxValue);
  const __m128d limit = _mm_set1_pd(kStorageNumberScaleUpLimit);
  const __m128d ten = _mm_set1_pd(10);
  const __m128d smallest_normal = _mm_set1_pd(std::numeric_limits<double>::min());
  const __m128i not_anomalous = _mm_set1_epi64x(kStorageNumberNotAnomalous);
  for (; i + 2 <= n; i += 2) {
    const __m128d v = _mm_loadu_pd(values + i);
    const __m128d a = _mm_and_pd(v, abs_mask);
    if ((flags[i] | flags[i + 1]) != 0 || _mm_movemask_pd(_mm_cmple_pd(a, max)) != 3) {
      out[i] = PackStorageNumber(values[i], flags[i]);  // (NaN compares false: here too)
      out[i + 1] = PackStorageNumber(values[i + 1], flags[i + 1]);
      continue;
    }
    // Zero and subnormals: the "not anomalous" bit alone (set below, for every lane).
    const __m128i zero = _mm_castpd_si128(_mm_cmplt_pd(a, smallest_normal));
    // m = how many of n, n*10, ..., n*10^6 are below the limit; then n*10^m, as products taken
    // one after the other (see PackStorageNumber()). The products only grow, so the largest one
    // taken is the last: max() selects it.
    __m128d scaled = a;
    __m128d picked = a;
    __m128i m = _mm_setzero_si128();
    for (int k = 1; k <= kStorageNumberMaxExponent; ++k) {
      const __m128d below = _mm_cmplt_pd(scaled, limit);
      scaled = _mm_mul_pd(scaled, ten);
      picked = _mm_max_pd(picked, _mm_and_pd(below, scaled));
      m = _mm_sub_epi64(m, _mm_castpd_si128(below));
    }
    const __m128d over = _mm_cmpgt_pd(picked, max);
    if (_mm_movemask_pd(over) != 0) [[unlikely]] {
      picked = _mm_or_pd(_mm_and_pd(over, _mm_div_pd(picked, ten)), _mm_andnot_pd(over, picked));
      m = _mm_add_epi64(m, _mm_castpd_si128(over));
    }
    // Round half to even (the default rounding mode) into 32 bits: n <= 0xFFFFFF here.
    const __m128i mantissa = _mm_unpacklo_epi32(_mm_cvtpd_epi32(picked), _mm_setzero_si128());
    const __m128i sign = _mm_slli_epi64(_mm_srli_epi64(_mm_castpd_si128(v), 63), 31);
    __m128i r =
        _mm_or_si128(_mm_or_si128(mantissa, sign), _mm_slli_epi64(m, kStorageNumberExponentShift));
    r = _mm_or_si128(_mm_andnot_si128(zero, r), not_anomalous);
    // The low 32 bits of both 64-bit lanes, next to each other.
    _mm_storel_epi64(reinterpret_cast<__m128i*>(out + i),
                     _mm_shuffle_epi32(r, _MM_SHUFFLE(3, 1, 2, 0)));
  }
#endif
  for (; i < n; ++i) {
    out[i] = PackStorageNumber(values[i], flags[i]);
  }
}

// Decodes; the empty slot gives NaN.
double UnpackStorageNumber(StorageNumber n);

// kPointEmpty for the empty slot, kPointReset when the reset bit is set, else kPointNone.
PointFlags StorageNumberFlags(StorageNumber n);

}  // namespace ndrelay::db
