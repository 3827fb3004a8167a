#pragma once

// URL encoding as Netdata's streaming handshake uses it (netdata-stream-protocol.md §2.3, §2.4).
// Pure functions, thread-safe.

#include <string>
#include <string_view>

namespace ndrelay::bridge {

// Decodes `in` into *out (replacing its contents): "%XX" (hex, either case) becomes that byte and
// '+' becomes a space. Returns false (and leaves *out unspecified) when a '%' is not followed by
// two hex digits, when the decoded text holds a non-printable byte (a control byte < 0x20 or
// 0x7F, e.g. "%00", "%0a", "%09"), or when it is not valid UTF-8 (overlong forms, surrogates and
// code points above U+10FFFF are invalid). Netdata answers such a request with HTTP 400.
bool UrlDecode(std::string_view in, std::string* out);

// Encodes `in`: ASCII letters, digits and "-_.~" stay, a space becomes '+', every other byte
// becomes '%' and two lowercase hex digits.
std::string UrlEncode(std::string_view in);

// True when `in` is valid UTF-8 with no control bytes (< 0x20 or 0x7F): what UrlDecode accepts
// as decoded text.
bool IsPrintableUtf8(std::string_view in);

}  // namespace ndrelay::bridge
