#include "bridge/url.h"

#include <cctype>
#include <string>

#include "gtest/gtest.h"

namespace ndrelay::bridge {
namespace {

struct DecodeCase {
  std::string in;
  bool ok;
  std::string want;
};

TEST(UrlTest, DecodeTable) {
  const DecodeCase cases[] = {
      {"", true, ""},
      {"plain", true, "plain"},
      {"Debian+GNU%2fLinux", true, "Debian GNU/Linux"},  // real capture value
      {"12+%28bookworm%29", true, "12 (bookworm)"},      // real capture value
      {"Debian GNU/Linux", true, "Debian GNU/Linux"},    // raw space stays
      {"%2F%2f", true, "//"},
      {"a%26b%3Dc", true, "a&b=c"},
      {"%25", true, "%"},
      {"%2B+", true, "+ "},
      {"caf%c3%a9", true, "caf\xc3\xa9"},
      {"\xe2\x82\xac", true, "\xe2\x82\xac"},      // raw UTF-8 (euro)
      {"%f0%9f%98%80", true, "\xf0\x9f\x98\x80"},  // 4-byte sequence
      {"%", false, ""},                            // truncated escape
      {"%2", false, ""},                           // truncated escape
      {"ab%", false, ""},                          // truncated escape
      {"%zz", false, ""},                          // not hex
      {"%2g", false, ""},                          // not hex
      {"%00", false, ""},                          // NUL
      {"%0a", false, ""},                          // LF (header injection)
      {"%0D", false, ""},                          // CR
      {"%09", false, ""},                          // TAB is a control byte
      {"%7f", false, ""},                          // DEL
      {"a\x01", false, ""},                        // raw control byte
      {"%c3", false, ""},                          // truncated UTF-8
      {"%c3%28", false, ""},                       // bad continuation
      {"%c0%af", false, ""},                       // overlong '/'
      {"%e0%80%af", false, ""},                    // overlong
      {"%ed%a0%80", false, ""},                    // surrogate
      {"%f4%90%80%80", false, ""},                 // above U+10FFFF
      {"%ff", false, ""},                          // never valid
      {"%80", false, ""},                          // lone continuation
  };
  for (const auto& c : cases) {
    std::string out = "garbage";
    EXPECT_EQ(UrlDecode(c.in, &out), c.ok) << c.in;
    if (c.ok) {
      EXPECT_EQ(out, c.want) << c.in;
    }
  }
}

TEST(UrlTest, EncodeTable) {
  const struct {
    std::string in;
    std::string want;
  } cases[] = {
      {"", ""},
      {"AZaz09-_.~", "AZaz09-_.~"},
      {"Debian GNU/Linux", "Debian+GNU%2fLinux"},  // what 1.37.1 sends (real capture)
      {"12 (bookworm)", "12+%28bookworm%29"},
      {"a&b=c+d%", "a%26b%3dc%2bd%25"},
      {"Etc/UTC", "Etc%2fUTC"},
      {std::string("\0\n\xff", 3), "%00%0a%ff"},
      {"caf\xc3\xa9", "caf%c3%a9"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(UrlEncode(c.in), c.want) << c.in;
  }
}

TEST(UrlTest, EncodeThenDecodeRoundTripsEveryPrintableByte) {
  std::string all;
  for (int c = 0x20; c < 0x7F; ++c) {
    all.push_back(static_cast<char>(c));
  }
  all += "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80";
  std::string out;
  ASSERT_TRUE(UrlDecode(UrlEncode(all), &out));
  EXPECT_EQ(out, all);
}

TEST(UrlTest, EncodedOutputHasOnlySafeBytes) {
  for (int c = 0; c < 256; ++c) {
    std::string enc = UrlEncode(std::string(1, static_cast<char>(c)));
    for (char e : enc) {
      EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(e)) || e == '-' || e == '_' || e == '.' ||
                  e == '~' || e == '+' || e == '%')
          << c;
      EXPECT_FALSE(e >= 'A' && e <= 'F' && enc[0] == '%') << "uppercase hex for " << c;
    }
  }
}

}  // namespace
}  // namespace ndrelay::bridge
