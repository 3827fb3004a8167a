#pragma once

// Number parsing and printing for the legacy line protocol (netdata-stream-protocol.md §5.4).
// All parsers read exactly the given view (no terminator needed), never allocate, never use the
// C locale, and succeed only when the whole view is one number. Thread-safe.

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace ndrelay::bridge {

// How a plain digit string is read by the integer parsers.
enum class IntBase : uint8_t {
  kDecimal,  // "010" is ten (Netdata reads BEGIN, CHART, REND, ... this way)
  kAuto,     // C strtoll base 0: "010" is octal eight (Netdata 1.37 SET values, DIMENSION
             // multiplier/divisor)
};

// Longest run of decimal digits ScanDecimal() reads: 18 digits always fit an int64.
inline constexpr size_t kMaxFastDecimalDigits = 18;

// The common case of every integer parser, for hot paths: reads the decimal digits at the start
// of [p, end), never past `end`. Returns how many there are and sets *value, or returns 0 (value
// untouched) when there is none or when there are more than kMaxFastDecimalDigits (then use the
// full parsers). Does not look at what follows the digits, nor at signs, prefixes or leading
// zeros (ParseInt64 with IntBase::kAuto reads "010" as octal: callers check p[0] != '0').
// Reads 8 bytes at once when that many are left before `end`.
inline size_t ScanDecimal(const char* p, const char* end, uint64_t* value);

// Unsigned integer, any encoding of §5.4:
//   decimal digits (optional leading '+'); with IntBase::kAuto a leading '0' means octal;
//   "0x"/"0X" + hex digits (either case); "#" + base64 digits ("A-Za-z0-9+/", most significant
//   first, no padding; "#A" is 0).
// False on an empty view, stray bytes, a missing digit after a prefix, a '-' sign, or overflow.
bool ParseUint64(std::string_view s, uint64_t* out, IntBase base = IntBase::kDecimal);

// Signed integer: optional '-' (or '+') then any ParseUint64 form ("-0x1F", "-#B").
// Decimal/octal values must fit int64. Hex/base64 bodies are 64-bit patterns and wrap like
// Netdata's cast (so "0xFFFFFFFFFFFFFFFF" is -1).
bool ParseInt64(std::string_view s, int64_t* out, IntBase base = IntBase::kDecimal);

// Double, any encoding of §5.4:
//   "@" + base64 digits / "%" + hex digits: the 64-bit IEEE-754 bit pattern;
//   optional sign, then "0x"/"#" integers (converted to double);
//   decimal with optional sign, fraction and exponent (".5", "5.", "1e-3");
//   "nan", "null" -> NaN and "inf", "infinity" -> infinity, in any letter case (upper-case "NAN"
//   is what Netdata 1.37 sends in RSET for a gap; its strtod reads it as NaN).
bool ParseDouble(std::string_view s, double* out);

// Printers: append to *out (no allocation beyond the string's growth).
void AppendDecimal(std::string* out, int64_t v);
void AppendDecimal(std::string* out, uint64_t v);
// "0x" + upper-case hex digits without leading zeros ("0x0" for zero); negative: "-0x1F".
void AppendHex(std::string* out, int64_t v);
void AppendHex(std::string* out, uint64_t v);
// "#" + base64 digits without leading zero digits ("#A" for zero); negative: "-#B".
void AppendBase64(std::string* out, int64_t v);
void AppendBase64(std::string* out, uint64_t v);
// "@" + base64 of the IEEE-754 bits.
void AppendDoubleBase64(std::string* out, double v);
// "%" + upper-case hex of the IEEE-754 bits.
void AppendDoubleHex(std::string* out, double v);
// Netdata's decimal double: optional '-', the integer part, then '.' and up to 7 fraction digits
// with trailing zeros removed (no '.' when they are all zero); values of 1e18 and above in
// shortest scientific form ("1.5e+20"); NaN and infinities print "null".
void AppendDoubleDecimal(std::string* out, double v);

// ---- implementation details of ScanDecimal (inline: it runs once per sample) ----

namespace numbers_internal {

constexpr uint64_t Bytes(uint8_t b) { return 0x0101010101010101ULL * b; }

inline uint64_t Load64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

// Byte at a time: continues a run of n digits worth v at p + n.
inline size_t ScanDecimalBytes(const char* p, const char* end, size_t n, uint64_t v,
                               uint64_t* value) {
  for (const char* q = p + n; q < end; ++q) {
    const unsigned d = static_cast<unsigned>(static_cast<uint8_t>(*q)) - '0';
    if (d > 9) {
      break;
    }
    if (++n > kMaxFastDecimalDigits) {
      return 0;
    }
    v = v * 10 + d;
  }
  if (n != 0) {
    *value = v;
  }
  return n;
}

// How many of the 8 bytes of `v` (the first byte in memory is the lowest) are decimal digits
// before the first one that is not. A byte is a digit when its high nibble is 3 and its low
// nibble plus 6 stays below 16. The +6 carries into the next byte only out of a byte >= 0xFA,
// itself a non-digit, so only bytes after the first non-digit can be misjudged.
inline int LeadingDigits(uint64_t v) {
  const uint64_t bad =
      ((v & Bytes(0xF0)) ^ Bytes(0x30)) | (((v + Bytes(0x06)) & Bytes(0xF0)) ^ Bytes(0x30));
  return bad == 0 ? 8 : std::countr_zero(bad) >> 3;
}

// The value of the first n (1..8) digit bytes of `v`. The shift drops the bytes after them and
// puts zero digits in front; then each multiply-shift joins neighbours (digit pairs, then pairs
// of pairs, then quads): lane = high * 10^k + low, which always fits the lane.
inline uint64_t DigitsValue(uint64_t v, int n) {
  v = (v & Bytes(0x0F)) << (8 * (8 - n));
  v = ((v * (1 + (10 << 8))) >> 8) & 0x00FF00FF00FF00FFULL;
  v = ((v * (1 + (100 << 16))) >> 16) & 0x0000FFFF0000FFFFULL;
  return (v * (1 + (10000ULL << 32))) >> 32;
}

}  // namespace numbers_internal

inline size_t ScanDecimal(const char* p, const char* end, uint64_t* value) {
  // Most values on the wire have at most 8 digits (a real 1.37 capture: 62% are one digit, 99%
  // at most 8): one 8-byte step covers them; longer ones continue a byte at a time.
  if constexpr (std::endian::native == std::endian::little) {
    if (end - p >= 8) {
      const uint64_t first = numbers_internal::Load64(p);
      const int n = numbers_internal::LeadingDigits(first);
      if (n == 0) {
        return 0;
      }
      const uint64_t v = numbers_internal::DigitsValue(first, n);
      if (n < 8) {
        *value = v;
        return static_cast<size_t>(n);
      }
      return numbers_internal::ScanDecimalBytes(p, end, 8, v, value);
    }
  }
  return numbers_internal::ScanDecimalBytes(p, end, 0, 0, value);
}

}  // namespace ndrelay::bridge
