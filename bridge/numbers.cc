#include "bridge/numbers.h"

#include <array>
#include <bit>
#include <charconv>
#include <cmath>
#include <limits>

namespace ndrelay::bridge {
namespace {

constexpr uint8_t kBad = 0xFF;

constexpr std::array<uint8_t, 256> MakeBase64Table() {
  std::array<uint8_t, 256> t{};
  for (auto& v : t) {
    v = kBad;
  }
  for (int i = 0; i < 26; ++i) {
    t['A' + i] = static_cast<uint8_t>(i);
    t['a' + i] = static_cast<uint8_t>(26 + i);
  }
  for (int i = 0; i < 10; ++i) {
    t['0' + i] = static_cast<uint8_t>(52 + i);
  }
  t['+'] = 62;
  t['/'] = 63;
  return t;
}

constexpr std::array<uint8_t, 256> MakeHexTable() {
  std::array<uint8_t, 256> t{};
  for (auto& v : t) {
    v = kBad;
  }
  for (int i = 0; i < 10; ++i) {
    t['0' + i] = static_cast<uint8_t>(i);
  }
  for (int i = 0; i < 6; ++i) {
    t['a' + i] = static_cast<uint8_t>(10 + i);
    t['A' + i] = static_cast<uint8_t>(10 + i);
  }
  return t;
}

constexpr std::array<uint8_t, 256> kBase64Value = MakeBase64Table();
constexpr std::array<uint8_t, 256> kHexValue = MakeHexTable();
constexpr char kBase64Digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr char kHexDigits[] = "0123456789ABCDEF";

// Powers of ten that are exact doubles (Clinger's fast path).
constexpr double kExactPow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                  1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                  1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

bool ParseBase64Body(std::string_view s, uint64_t* out) {
  if (s.empty()) {
    return false;
  }
  uint64_t v = 0;
  for (char c : s) {
    const uint8_t d = kBase64Value[static_cast<uint8_t>(c)];
    if (d == kBad || v > (std::numeric_limits<uint64_t>::max() >> 6)) {
      return false;
    }
    v = (v << 6) | d;
  }
  *out = v;
  return true;
}

bool ParseHexBody(std::string_view s, uint64_t* out) {
  if (s.empty()) {
    return false;
  }
  uint64_t v = 0;
  for (char c : s) {
    const uint8_t d = kHexValue[static_cast<uint8_t>(c)];
    if (d == kBad || v > (std::numeric_limits<uint64_t>::max() >> 4)) {
      return false;
    }
    v = (v << 4) | d;
  }
  *out = v;
  return true;
}

bool ParseRadixBody(std::string_view s, unsigned radix, uint64_t* out) {
  if (s.empty()) {
    return false;
  }
  constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
  uint64_t v = 0;
  for (char c : s) {
    const unsigned d = static_cast<unsigned>(static_cast<uint8_t>(c) - '0');
    if (d >= radix) {
      return false;
    }
    if (v > (kMax - d) / radix) {
      return false;
    }
    v = v * radix + d;
  }
  *out = v;
  return true;
}

bool HasHexPrefix(std::string_view s) {
  return s.size() >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
}

enum class Form : uint8_t { kPlain, kPattern };  // kPattern: hex/base64 (64-bit bit pattern)

// Any unsigned form of ParseUint64 after the sign.
bool ParseMagnitude(std::string_view s, IntBase base, uint64_t* out, Form* form) {
  if (s.empty()) {
    return false;
  }
  if (s[0] == '#') {
    *form = Form::kPattern;
    return ParseBase64Body(s.substr(1), out);
  }
  if (HasHexPrefix(s)) {
    *form = Form::kPattern;
    return ParseHexBody(s.substr(2), out);
  }
  *form = Form::kPlain;
  if (base == IntBase::kAuto && s.size() > 1 && s[0] == '0') {
    return ParseRadixBody(s.substr(1), 8, out);
  }
  return ParseRadixBody(s, 10, out);
}

bool EqualsIgnoreCase(std::string_view a, std::string_view lower) {
  if (a.size() != lower.size()) {
    return false;
  }
  for (size_t i = 0; i < a.size(); ++i) {
    char c = a[i];
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
    if (c != lower[i]) {
      return false;
    }
  }
  return true;
}

// "[digits][.digits]" with at most 15 significant digits: exact by Clinger's fast path.
bool FastDecimal(std::string_view s, double* out) {
  uint64_t mantissa = 0;
  int digits = 0;
  int fraction = 0;
  bool dot = false;
  for (char c : s) {
    if (c == '.' && !dot) {
      dot = true;
      continue;
    }
    const unsigned d = static_cast<unsigned>(static_cast<uint8_t>(c) - '0');
    if (d > 9) {
      return false;
    }
    if (mantissa != 0 || d != 0) {
      ++digits;
    }
    if (digits > 15) {
      return false;
    }
    mantissa = mantissa * 10 + d;
    if (dot) {
      ++fraction;
    }
  }
  if (s.size() == (dot ? 1u : 0u) || fraction > 22) {
    return false;
  }
  *out = static_cast<double>(mantissa) / kExactPow10[fraction];
  return true;
}

void AppendHexDigits(std::string* out, uint64_t v) {
  char tmp[16];
  char* const end = tmp + sizeof(tmp);
  char* p = end;
  do {
    *--p = kHexDigits[v & 0xF];
    v >>= 4;
  } while (v != 0);
  out->append(p, static_cast<size_t>(end - p));
}

void AppendBase64Digits(std::string* out, uint64_t v) {
  char tmp[11];
  char* const end = tmp + sizeof(tmp);
  char* p = end;
  do {
    *--p = kBase64Digits[v & 0x3F];
    v >>= 6;
  } while (v != 0);
  out->append(p, static_cast<size_t>(end - p));
}

// from_chars found a decimal number too large or too small for a double. Netdata's strtod then
// gives +-HUGE_VAL or 0; tell which one it was.
bool IsUnderflow(std::string_view s) {
  const size_t e = s.find_first_of("eE");
  if (e != std::string_view::npos) {
    return e + 1 < s.size() && s[e + 1] == '-';
  }
  for (char c : s) {
    if (c == '.') {
      return true;
    }
    if (c != '0') {
      return false;
    }
  }
  return true;
}

}  // namespace

bool ParseUint64(std::string_view s, uint64_t* out, IntBase base) {
  if (!s.empty() && s[0] == '+') {
    s.remove_prefix(1);
  }
  // Fast path: plain decimal (not octal) that cannot overflow.
  uint64_t v;
  if (!s.empty() && ScanDecimal(s.data(), s.data() + s.size(), &v) == s.size() &&
      (base == IntBase::kDecimal || s[0] != '0' || s.size() == 1)) {
    *out = v;
    return true;
  }
  Form form;
  return ParseMagnitude(s, base, out, &form);
}

bool ParseInt64(std::string_view s, int64_t* out, IntBase base) {
  bool negative = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  uint64_t mag;
  // Fast path: plain decimal (not octal) of at most 18 digits, which always fits.
  if (!s.empty() && ScanDecimal(s.data(), s.data() + s.size(), &mag) == s.size() &&
      (base == IntBase::kDecimal || s[0] != '0' || s.size() == 1)) {
    *out = negative ? -static_cast<int64_t>(mag) : static_cast<int64_t>(mag);
    return true;
  }
  Form form;
  if (!ParseMagnitude(s, base, &mag, &form)) {
    return false;
  }
  if (form == Form::kPlain) {
    constexpr uint64_t kMaxPositive = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
    if (mag > kMaxPositive + (negative ? 1 : 0)) {
      return false;
    }
  }
  // Two's complement wrap: exact for every in-range value, Netdata's cast for bit patterns.
  *out = static_cast<int64_t>(negative ? 0 - mag : mag);
  return true;
}

bool ParseDouble(std::string_view s, double* out) {
  if (s.empty()) {
    return false;
  }
  if (s[0] == '@') {
    uint64_t bits;
    if (!ParseBase64Body(s.substr(1), &bits)) {
      return false;
    }
    *out = std::bit_cast<double>(bits);
    return true;
  }
  if (s[0] == '%') {
    uint64_t bits;
    if (!ParseHexBody(s.substr(1), &bits)) {
      return false;
    }
    *out = std::bit_cast<double>(bits);
    return true;
  }
  bool negative = false;
  if (s[0] == '-' || s[0] == '+') {
    negative = s[0] == '-';
    s.remove_prefix(1);
    if (s.empty() || s[0] == '-' || s[0] == '+') {
      return false;
    }
  }
  double v;
  if (FastDecimal(s, &v)) {
    // common case: plain digits, no libc
  } else if (s[0] == '#' || HasHexPrefix(s)) {
    uint64_t u;
    Form form;
    if (!ParseMagnitude(s, IntBase::kDecimal, &u, &form)) {
      return false;
    }
    v = static_cast<double>(u);
  } else if (EqualsIgnoreCase(s, "nan") || EqualsIgnoreCase(s, "null")) {
    v = std::numeric_limits<double>::quiet_NaN();
  } else if (EqualsIgnoreCase(s, "inf") || EqualsIgnoreCase(s, "infinity")) {
    v = std::numeric_limits<double>::infinity();
  } else {
    const char* end = s.data() + s.size();
    auto [ptr, ec] = std::from_chars(s.data(), end, v, std::chars_format::general);
    if (ptr != end) {
      return false;
    }
    if (ec == std::errc::result_out_of_range) {
      v = IsUnderflow(s) ? 0.0 : std::numeric_limits<double>::infinity();
    } else if (ec != std::errc()) {
      return false;
    }
  }
  *out = negative ? -v : v;
  return true;
}

void AppendDecimal(std::string* out, int64_t v) {
  char tmp[24];
  auto [p, ec] = std::to_chars(tmp, tmp + sizeof(tmp), v);
  out->append(tmp, static_cast<size_t>(p - tmp));
}

void AppendDecimal(std::string* out, uint64_t v) {
  char tmp[24];
  auto [p, ec] = std::to_chars(tmp, tmp + sizeof(tmp), v);
  out->append(tmp, static_cast<size_t>(p - tmp));
}

void AppendHex(std::string* out, uint64_t v) {
  out->append("0x", 2);
  AppendHexDigits(out, v);
}

void AppendHex(std::string* out, int64_t v) {
  if (v < 0) {
    out->push_back('-');
    AppendHex(out, 0 - static_cast<uint64_t>(v));
  } else {
    AppendHex(out, static_cast<uint64_t>(v));
  }
}

void AppendBase64(std::string* out, uint64_t v) {
  out->push_back('#');
  AppendBase64Digits(out, v);
}

void AppendBase64(std::string* out, int64_t v) {
  if (v < 0) {
    out->push_back('-');
    AppendBase64(out, 0 - static_cast<uint64_t>(v));
  } else {
    AppendBase64(out, static_cast<uint64_t>(v));
  }
}

void AppendDoubleBase64(std::string* out, double v) {
  out->push_back('@');
  AppendBase64Digits(out, std::bit_cast<uint64_t>(v));
}

void AppendDoubleHex(std::string* out, double v) {
  out->push_back('%');
  AppendHexDigits(out, std::bit_cast<uint64_t>(v));
}

void AppendDoubleDecimal(std::string* out, double v) {
  if (!std::isfinite(v)) {
    out->append("null", 4);
    return;
  }
  const bool negative = v < 0;
  const double a = std::fabs(v);
  if (a >= 1e18) {
    char tmp[32];
    auto [p, ec] = std::to_chars(tmp, tmp + sizeof(tmp), v, std::chars_format::scientific);
    out->append(tmp, static_cast<size_t>(p - tmp));
    return;
  }
  constexpr uint64_t kScale = 10000000;  // 7 fraction digits
  uint64_t whole;
  uint64_t fraction;
  if (a < 1e11) {
    const uint64_t scaled = static_cast<uint64_t>(std::llround(a * static_cast<double>(kScale)));
    whole = scaled / kScale;
    fraction = scaled % kScale;
  } else {
    whole = static_cast<uint64_t>(a);
    fraction = static_cast<uint64_t>(
        std::llround((a - static_cast<double>(whole)) * static_cast<double>(kScale)));
    if (fraction >= kScale) {
      ++whole;
      fraction -= kScale;
    }
  }
  if (negative && (whole != 0 || fraction != 0)) {
    out->push_back('-');
  }
  AppendDecimal(out, whole);
  if (fraction == 0) {
    return;
  }
  char digits[7];
  for (int i = 6; i >= 0; --i) {
    digits[i] = static_cast<char>('0' + fraction % 10);
    fraction /= 10;
  }
  int len = 7;
  while (digits[len - 1] == '0') {
    --len;
  }
  out->push_back('.');
  out->append(digits, static_cast<size_t>(len));
}

}  // namespace ndrelay::bridge
