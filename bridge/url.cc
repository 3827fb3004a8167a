#include "bridge/url.h"

#include <cstdint>

namespace ndrelay::bridge {
namespace {

constexpr unsigned char kFirstPrintable = 0x20;
constexpr unsigned char kDelete = 0x7F;
constexpr char kHexDigits[] = "0123456789abcdef";

int HexValue(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

bool IsContinuation(unsigned char c) { return (c & 0xC0) == 0x80; }

// Length of the UTF-8 sequence at in[i], or 0 if it is invalid or a control byte.
size_t SequenceLength(std::string_view in, size_t i) {
  const auto b0 = static_cast<unsigned char>(in[i]);
  if (b0 < 0x80) {
    return (b0 < kFirstPrintable || b0 == kDelete) ? 0 : 1;
  }
  size_t len = 0;
  unsigned char lo = 0x80;  // allowed range of the second byte (rules out overlongs/surrogates)
  unsigned char hi = 0xBF;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    len = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    len = 3;
    if (b0 == 0xE0) {
      lo = 0xA0;
    } else if (b0 == 0xED) {
      hi = 0x9F;
    }
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    len = 4;
    if (b0 == 0xF0) {
      lo = 0x90;
    } else if (b0 == 0xF4) {
      hi = 0x8F;
    }
  } else {
    return 0;
  }
  if (in.size() - i < len) {
    return 0;
  }
  const auto b1 = static_cast<unsigned char>(in[i + 1]);
  if (b1 < lo || b1 > hi) {
    return 0;
  }
  for (size_t k = 2; k < len; ++k) {
    if (!IsContinuation(static_cast<unsigned char>(in[i + k]))) {
      return 0;
    }
  }
  return len;
}

bool KeepsAsIs(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.' || c == '~';
}

}  // namespace

bool IsPrintableUtf8(std::string_view in) {
  for (size_t i = 0; i < in.size();) {
    size_t len = SequenceLength(in, i);
    if (len == 0) {
      return false;
    }
    i += len;
  }
  return true;
}

bool UrlDecode(std::string_view in, std::string* out) {
  out->clear();
  out->reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '+') {
      out->push_back(' ');
    } else if (c == '%') {
      if (in.size() - i < 3) {
        return false;
      }
      int hi = HexValue(in[i + 1]);
      int lo = HexValue(in[i + 2]);
      if (hi < 0 || lo < 0) {
        return false;
      }
      out->push_back(static_cast<char>((hi << 4) | lo));
      i += 2;
    } else {
      out->push_back(c);
    }
  }
  return IsPrintableUtf8(*out);
}

std::string UrlEncode(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (char ch : in) {
    const auto c = static_cast<unsigned char>(ch);
    if (KeepsAsIs(c)) {
      out.push_back(ch);
    } else if (c == ' ') {
      out.push_back('+');
    } else {
      out.push_back('%');
      out.push_back(kHexDigits[c >> 4]);
      out.push_back(kHexDigits[c & 0x0F]);
    }
  }
  return out;
}

}  // namespace ndrelay::bridge
