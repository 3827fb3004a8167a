#pragma once

// The SET lines of one chart as a Netdata child writes them every round (spec §7.8):
//
//   SET "<dimension id>" = <collected>\n
//
// one per dimension, in definition order, round after round. A receiver keeps one SetLines per
// chart and offers it to the decoder when the chart's BEGIN opens a scope
// (LegacyEvents::ChartSetLines()). The decoder's fast path then takes a line that starts with the
// next expected dimension's exact bytes, `SET "<id>" = `, with one comparison (no quote search,
// no id handed over to be looked up), and hands the values of consecutive such lines over in one
// OnSetRun() call instead of one OnSet() each.

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/attributes.h"

namespace ndrelay::bridge {

namespace internal_set_lines {
// Four bytes as one 32-bit load from memory reads them.
constexpr uint32_t Bytes4(const char (&s)[5]) {
  return std::endian::native == std::endian::little
             ? static_cast<uint32_t>(static_cast<uint8_t>(s[0])) |
                   static_cast<uint32_t>(static_cast<uint8_t>(s[1])) << 8 |
                   static_cast<uint32_t>(static_cast<uint8_t>(s[2])) << 16 |
                   static_cast<uint32_t>(static_cast<uint8_t>(s[3])) << 24
             : static_cast<uint32_t>(static_cast<uint8_t>(s[3])) |
                   static_cast<uint32_t>(static_cast<uint8_t>(s[2])) << 8 |
                   static_cast<uint32_t>(static_cast<uint8_t>(s[1])) << 16 |
                   static_cast<uint32_t>(static_cast<uint8_t>(s[0])) << 24;
}
}  // namespace internal_set_lines

class SetLines {
 public:
  // An id the decoder's fast path takes: 1..kMaxIdBytes bytes without '"', '\\' or '\n' (longer
  // or other ids are still kept, and found by IndexOf(), but no line matches their prefix).
  static constexpr size_t kMaxIdBytes = 95;
  // The longest prefix: `SET "` + id + `" = `.
  static constexpr size_t kMaxPrefixBytes = 5 + kMaxIdBytes + 4;
  // MatchPrefix() reads up to this many bytes from a line start.
  static constexpr size_t kMaxReadBytes = kMaxPrefixBytes;

  // Appends dimension size() with this id.
  void Add(std::string_view id);
  // Gives back growth slack (once a chart's dimensions are all defined).
  void ShrinkToFit();

  size_t size() const { return ends_.size(); }
  std::string_view id(size_t i) const {
    const size_t begin = Begin(i);
    return std::string_view(ids_.data() + begin, End(i) - begin);
  }
  // Whether dimension i's id is `id` (the receiver's check of the expected dimension of a SET
  // that did not match whole). Inline: once per such line.
  bool IdIs(size_t i, std::string_view id) const {
    const size_t begin = Begin(i);
    const size_t n = End(i) - begin;
    return n == id.size() && (n == 0 || SameBytes(ids_.data() + begin, id.data(), n));
  }
  // The index of the dimension with this id (the first if two share it), or -1.
  int64_t IndexOf(std::string_view id) const;
  // Whether a line can match dimension i's prefix (its id is one the fast path takes).
  bool matchable(size_t i) const { return (ends_[i] & kNoMatch) == 0; }

  // Where the value starts when `line` begins with dimension i's prefix, `SET "<id>" = `, else
  // nullptr. Reads up to kMaxReadBytes bytes at `line`, which must be readable. Inline: the
  // decoder calls it once per SET line.
  ABSL_ATTRIBUTE_ALWAYS_INLINE const char* MatchPrefix(size_t i, const char* line) const {
    const uint32_t e = ends_[i];
    if ((e & kNoMatch) != 0 || Load32(line) != kSetQuote || line[4] != '"') {
      return nullptr;
    }
    const size_t begin = Begin(i);
    const size_t n = e - begin;
    const char* id = line + 5;
    if (!SameBytes(id, ids_.data() + begin, n) || Load32(id + n) != kQuoteEquals) {
      return nullptr;
    }
    return id + n + 4;
  }

  // The id bytes and their ends, for prefetching.
  const char* ids_data() const { return ids_.data(); }
  size_t ids_bytes() const { return ids_.size(); }
  const void* ends_data() const { return ends_.data(); }
  size_t ends_bytes() const { return ends_.size() * sizeof(uint32_t); }

 private:
  static constexpr uint32_t kNoMatch = 1u << 31;

  static uint32_t Load32(const char* p) {
    uint32_t v;
    std::memcpy(&v, p, sizeof(v));
    return v;
  }
  static uint64_t Load64(const char* p) {
    uint64_t v;
    std::memcpy(&v, p, sizeof(v));
    return v;
  }
  // a[0, n) == b[0, n), n >= 1, reading nothing outside either range: ids are short, so two
  // overlapping loads cover most of them without a call.
  static bool SameBytes(const char* a, const char* b, size_t n) {
    if (n >= 8) {
      if (n > 16) {
        return std::memcmp(a, b, n) == 0;
      }
      return ((Load64(a) ^ Load64(b)) | (Load64(a + n - 8) ^ Load64(b + n - 8))) == 0;
    }
    if (n >= 4) {
      return ((Load32(a) ^ Load32(b)) | (Load32(a + n - 4) ^ Load32(b + n - 4))) == 0;
    }
    return a[0] == b[0] && a[n / 2] == b[n / 2] && a[n - 1] == b[n - 1];
  }
  static constexpr uint32_t kSetQuote = internal_set_lines::Bytes4("SET ");
  static constexpr uint32_t kQuoteEquals = internal_set_lines::Bytes4("\" = ");

  size_t End(size_t i) const { return ends_[i] & ~kNoMatch; }
  size_t Begin(size_t i) const { return i == 0 ? 0 : End(i - 1); }

  std::string ids_;  // every id, back to back: dimension i is [End(i - 1), End(i))
  std::vector<uint32_t> ends_;
};

}  // namespace ndrelay::bridge
