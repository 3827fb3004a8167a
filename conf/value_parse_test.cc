#include "conf/value_parse.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace ndrelay::conf {
namespace {

TEST(ValueParseTest, Bool) {
  struct {
    const char* text;
    int want;  // 1 yes, 0 no, -1 error
  } cases[] = {
      {"yes", 1}, {"YES", 1}, {"true", 1},  {"True", 1},  {"on", 1},    {"1", 1},
      {"no", 0},  {"No", 0},  {"false", 0}, {"off", 0},   {"0", 0},     {"auto", -1},
      {"", -1},   {"y", -1},  {"2", -1},    {" yes", -1}, {"yes!", -1},
  };
  for (const auto& c : cases) {
    absl::StatusOr<bool> b = ParseBool(c.text);
    if (c.want < 0) {
      EXPECT_FALSE(b.ok()) << c.text;
    } else {
      ASSERT_TRUE(b.ok()) << c.text;
      EXPECT_EQ(*b, c.want == 1) << c.text;
    }
  }
}

TEST(ValueParseTest, Tristate) {
  EXPECT_EQ(*ParseTristate("auto"), Tristate::kAuto);
  EXPECT_EQ(*ParseTristate("AUTO"), Tristate::kAuto);
  EXPECT_EQ(*ParseTristate("on demand"), Tristate::kAuto);
  EXPECT_EQ(*ParseTristate("yes"), Tristate::kYes);
  EXPECT_EQ(*ParseTristate("off"), Tristate::kNo);
  EXPECT_FALSE(ParseTristate("maybe").ok());
}

TEST(ValueParseTest, Int) {
  struct {
    const char* text;
    int64_t min, max;
    bool ok;
    int64_t want;
  } cases[] = {
      {"0", 0, 10, true, 0},
      {"10", 0, 10, true, 10},
      {"11", 0, 10, false, 0},
      {"-1", 0, 10, false, 0},
      {"-5", -10, 10, true, -5},
      {"+5", 0, 10, true, 5},
      {"007", 0, 10, true, 7},
      {"", 0, 10, false, 0},
      {"-", 0, 10, false, 0},
      {"1.5", 0, 10, false, 0},
      {"5s", 0, 10, false, 0},
      {"99999999999999999999999", 0, 10, false, 0},
      {"9223372036854775807", 0, INT64_MAX, true, INT64_MAX},
  };
  for (const auto& c : cases) {
    absl::StatusOr<int64_t> v = ParseInt(c.text, c.min, c.max);
    EXPECT_EQ(v.ok(), c.ok) << c.text;
    if (c.ok && v.ok()) {
      EXPECT_EQ(*v, c.want) << c.text;
    }
  }
}

TEST(ValueParseTest, DurationSeconds) {
  struct {
    const char* text;
    bool ok;
    int64_t want;
  } cases[] = {
      {"60", true, 60},
      {"60s", true, 60},
      {"10m", true, 600},
      {"10min", true, 600},
      {"1h", true, 3600},
      {"1d", true, 86400},
      {"1w", true, 604800},
      {"1mo", true, int64_t{30} * 86400},
      {"1y", true, int64_t{365} * 86400},
      {"1h30m", true, 5400},
      {"1d1h1m1s", true, 90061},
      {"1500ms", true, 2},  // rounded
      {"400ms", true, 0},
      {"0", true, 0},
      {"", false, 0},
      {"s", false, 0},
      {"1x", false, 0},
      {"1h30", false, 0},  // a bare number only as the whole text
      {"-1", false, 0},
      {"1 h", false, 0},
      {"1.5h", false, 0},
      {"1000000y", false, 0},  // beyond the sanity cap
      {"99999999999999999999", false, 0},
  };
  for (const auto& c : cases) {
    absl::StatusOr<int64_t> v = ParseDurationSeconds(c.text, 0, INT64_MAX);
    EXPECT_EQ(v.ok(), c.ok) << c.text << " " << v.status();
    if (c.ok && v.ok()) {
      EXPECT_EQ(*v, c.want) << c.text;
    }
  }
  EXPECT_FALSE(ParseDurationSeconds("2d", 0, 86400).ok());
  EXPECT_NE(std::string(ParseDurationSeconds("2d", 0, 86400).status().message()).find("0..86400"),
            std::string::npos);
}

TEST(ValueParseTest, DurationMs) {
  EXPECT_EQ(*ParseDurationMs("5000", 1, 60000), 5000);
  EXPECT_EQ(*ParseDurationMs("5s", 1, 60000), 5000);
  EXPECT_EQ(*ParseDurationMs("1m", 1, 60000), 60000);
  EXPECT_FALSE(ParseDurationMs("2m", 1, 60000).ok());
  EXPECT_FALSE(ParseDurationMs("0", 1, 60000).ok());
}

TEST(ValueParseTest, Size) {
  struct {
    const char* text;
    int64_t plain;
    bool ok;
    int64_t want;
  } cases[] = {
      {"10485760", 1, true, 10485760},
      {"10MiB", 1, true, 10485760},
      {"10M", 1, true, 10485760},
      {"10MB", 1, true, 10485760},
      {"512KiB", 1, true, 524288},
      {"512k", 1, true, 524288},
      {"1GiB", 1, true, 1 << 30},
      {"100B", 1, true, 100},
      {"32", 1 << 20, true, 32 << 20},
      {"1G512M", 1, true, (1 << 30) + (512 << 20)},
      {"10Mi", 1, false, 0},
      {"", 1, false, 0},
      {"-1", 1, false, 0},
      {"2PiB", 1, false, 0},
  };
  for (const auto& c : cases) {
    absl::StatusOr<int64_t> v = ParseSizeBytes(c.text, c.plain, 0, INT64_MAX);
    EXPECT_EQ(v.ok(), c.ok) << c.text << " " << v.status();
    if (c.ok && v.ok()) {
      EXPECT_EQ(*v, c.want) << c.text;
    }
  }
  EXPECT_FALSE(ParseSizeBytes("1", 1, 1024, 2048).ok());
}

TEST(ValueParseTest, CompressionOrder) {
  struct {
    const char* text;
    std::vector<std::string> want;
    std::vector<std::string> unknown;
  } cases[] = {
      {"", {"zstd", "lz4", "brotli", "gzip"}, {}},
      {"lz4", {"lz4", "zstd", "brotli", "gzip"}, {}},
      {"GZIP,LZ4", {"gzip", "lz4", "zstd", "brotli"}, {}},
      {"lz4 lz4|zstd", {"lz4", "zstd", "brotli", "gzip"}, {}},
      {"snappy brotli", {"brotli", "zstd", "lz4", "gzip"}, {"snappy"}},
  };
  for (const auto& c : cases) {
    std::vector<std::string> unknown;
    EXPECT_EQ(ParseCompressionOrder(c.text, &unknown), c.want) << c.text;
    EXPECT_EQ(unknown, c.unknown) << c.text;
  }
  EXPECT_EQ(DefaultCompressionOrder(), (std::vector<std::string>{"zstd", "lz4", "brotli", "gzip"}));
}

}  // namespace
}  // namespace ndrelay::conf
