#pragma once

// Test-only: one canonical text for LegacyEvents fields, so decoder and encoder tests can compare
// whole event streams as lines ("SET a|i:5"). Not part of ndrelay_bridge.

#include <charconv>
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>

#include "bridge/legacy_events.h"

namespace ndrelay::bridge::event_text {

inline std::string Str(double v) {
  if (std::isnan(v)) {
    return "nan";
  }
  if (v == 0) {
    v = 0;  // -0 == 0 (the decimal printer writes "0"; numbers_test checks -0.0 bit patterns)
  }
  char buf[40];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);  // shortest round-trip form
  return std::string(buf, end);
}
inline std::string Str(int64_t v) { return std::to_string(v); }
inline std::string Str(uint64_t v) { return std::to_string(v); }
inline std::string Str(bool v) { return v ? "1" : "0"; }
inline std::string Str(uint8_t v) { return std::to_string(static_cast<int>(v)); }
inline std::string Str(std::string_view v) { return std::string(v); }
inline std::string Str(const char* v) { return v; }
inline std::string Str(const CollectedValue& v) {
  switch (v.kind) {
    case CollectedValue::Kind::kInt:
      return "i:" + std::to_string(v.i);
    case CollectedValue::Kind::kDouble:
      return "d:" + Str(v.d);
    case CollectedValue::Kind::kEmpty:
      break;
  }
  return "empty";
}
template <typename E>
std::string Enum(E e) {
  return std::to_string(static_cast<int>(e));
}
// "<KIND> f1|f2|..."
template <typename... T>
std::string Rec(std::string_view kind, const T&... fields) {
  std::string s(kind);
  const char* sep = " ";
  ((s += sep, s += Str(fields), sep = "|"), ...);
  return s;
}

}  // namespace ndrelay::bridge::event_text
