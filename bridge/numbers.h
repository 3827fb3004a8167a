#pragma once

// Number parsing and printing for the legacy line protocol (netdata-stream-protocol.md §5.4).
// All parsers read exactly the given view (no terminator needed), never allocate, never use the
// C locale, and succeed only when the whole view is one number. Thread-safe.

#include <cstdint>
#include <string>
#include <string_view>

namespace ndrelay::bridge {

// How a plain digit string is read by the integer parsers.
enum class IntBase : uint8_t {
  kDecimal,  // "010" is ten (Netdata reads BEGIN, CHART, REND, ... this way)
  kAuto,     // C strtoll base 0: "010" is octal eight (Netdata 1.37 SET values, DIMENSION
             // multiplier/divisor)
};

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

}  // namespace ndrelay::bridge
