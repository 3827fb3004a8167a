#pragma once

#include <string>
#include <string_view>
#include <type_traits>

#include "absl/strings/string_view.h"

// Small string helpers for conf/. Debian's abseil is built with absl::string_view as its own
// type (ABSL_OPTION_USE_STD_STRING_VIEW 0), so absl::StrCat does not take std::string_view and
// Status::message() is not a std::string_view; these bridge the two.
namespace ndrelay::conf {
namespace strings_internal {

inline void Append(std::string& out, std::string_view s) { out.append(s); }
inline void Append(std::string& out, const char* s) { out.append(s); }
inline void Append(std::string& out, const std::string& s) { out.append(s); }
inline void Append(std::string& out, char c) { out.push_back(c); }
void Append(std::string& out, bool b) = delete;  // say what a bool means at the call site
#ifndef ABSL_USES_STD_STRING_VIEW
inline void Append(std::string& out, absl::string_view s) { out.append(s.data(), s.size()); }
#endif
template <typename T>
requires(std::is_integral_v<T> && !std::is_same_v<T, char> &&
         !std::is_same_v<T, bool>) inline void Append(std::string& out, T v) {
  out.append(std::to_string(v));
}

}  // namespace strings_internal

// Concatenates strings (std or absl views, C strings, chars) and integers.
template <typename... Args>
std::string Cat(const Args&... args) {
  std::string out;
  (strings_internal::Append(out, args), ...);
  return out;
}

inline std::string_view ToStd(absl::string_view s) { return std::string_view(s.data(), s.size()); }

// ASCII lower-case copy.
inline std::string AsciiLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
  }
  return out;
}

}  // namespace ndrelay::conf
