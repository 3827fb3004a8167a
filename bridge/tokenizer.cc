#include "bridge/tokenizer.h"

#include <array>
#include <bit>
#include <cstdint>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace ndrelay::bridge {
namespace {

// One table answers every question the loops ask about a byte (spec §5.3).
enum : uint8_t {
  kSeparator = 1 << 0,        // ends an unquoted word; skipped between words
  kBackslash = 1 << 1,        // hides the next byte
  kDoubleQuoteStop = 1 << 2,  // ends the scan inside "...": the double quote or a backslash
  kSingleQuoteStop = 1 << 3,  // ends the scan inside '...': the single quote or a backslash
  kQuote = 1 << 4,            // starts a quoted word
};

constexpr std::array<uint8_t, 256> MakeClassTable() {
  std::array<uint8_t, 256> t{};
  for (char c : kWordSeparators) {
    t[static_cast<uint8_t>(c)] = kSeparator;
  }
  t['\\'] = kBackslash | kDoubleQuoteStop | kSingleQuoteStop;
  t['"'] = kQuote | kDoubleQuoteStop;
  t['\''] = kQuote | kSingleQuoteStop;
  return t;
}

constexpr std::array<uint8_t, 256> kClass = MakeClassTable();

inline uint8_t Class(const char* p) { return kClass[static_cast<uint8_t>(*p)]; }

// Word bodies are scanned 16 bytes at a time while that many are left in the line, then a byte
// at a time with the table.
#if defined(__SSE2__)
static_assert(kWordSeparators == " \t\r\n=\f\v", "UnquotedStops() knows the separators");

inline __m128i Load16(const char* p) {
  return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
}

// Bit i set when p[i] ends an unquoted word: a separator ('\t'..'\r' are contiguous) or '\\'.
inline uint32_t UnquotedStops(const char* p) {
  const __m128i b = Load16(p);
  const __m128i control = _mm_sub_epi8(b, _mm_set1_epi8('\t'));
  const __m128i in_control =
      _mm_cmpeq_epi8(_mm_min_epu8(control, _mm_set1_epi8('\r' - '\t')), control);
  const __m128i hit = _mm_or_si128(
      _mm_or_si128(in_control, _mm_cmpeq_epi8(b, _mm_set1_epi8(' '))),
      _mm_or_si128(_mm_cmpeq_epi8(b, _mm_set1_epi8('=')), _mm_cmpeq_epi8(b, _mm_set1_epi8('\\'))));
  return static_cast<uint32_t>(_mm_movemask_epi8(hit));
}

// Bit i set when p[i] ends a scan inside a word quoted with `quote`: that quote or '\\'.
inline uint32_t QuotedStops(const char* p, __m128i quote) {
  const __m128i b = Load16(p);
  const __m128i hit =
      _mm_or_si128(_mm_cmpeq_epi8(b, quote), _mm_cmpeq_epi8(b, _mm_set1_epi8('\\')));
  return static_cast<uint32_t>(_mm_movemask_epi8(hit));
}
#endif

// The first byte in [p, end) that is a separator or a backslash, or end.
inline const char* FindUnquotedStop(const char* p, const char* end) {
#if defined(__SSE2__)
  for (; end - p >= 16; p += 16) {
    if (const uint32_t m = UnquotedStops(p); m != 0) {
      return p + std::countr_zero(m);
    }
  }
#endif
  while (p < end && (Class(p) & (kSeparator | kBackslash)) == 0) {
    ++p;
  }
  return p;
}

// The first byte in [p, end) that is `quote` or a backslash, or end. `stop` is the class bits of
// those two.
inline const char* FindQuotedStop(const char* p, const char* end, char quote, uint8_t stop) {
#if defined(__SSE2__)
  if (end - p >= 16) {
    const __m128i q = _mm_set1_epi8(quote);
    for (; end - p >= 16; p += 16) {
      if (const uint32_t m = QuotedStops(p, q); m != 0) {
        return p + std::countr_zero(m);
      }
    }
  }
#else
  (void)quote;
#endif
  while (p < end && (Class(p) & stop) == 0) {
    ++p;
  }
  return p;
}

}  // namespace

bool IsWordSeparator(char c) { return (kClass[static_cast<uint8_t>(c)] & kSeparator) != 0; }

size_t Tokenize(std::string_view line, std::string_view* words, size_t max_words,
                bool* words_dropped) {
  const char* p = line.data();
  const char* const end = p + line.size();
  size_t n = 0;
  bool dropped = false;
  for (;;) {
    while (p < end && Class(p) == kSeparator) {
      ++p;
    }
    if (p == end) {
      break;
    }
    if (n == max_words) {
      dropped = true;
      break;
    }
    const uint8_t first = Class(p);
    if ((first & kQuote) != 0) {
      // Runs to the same quote character; a backslash hides the next byte (even that quote) and
      // stays in the word.
      const uint8_t stop = (first & (kDoubleQuoteStop | kSingleQuoteStop)) | kBackslash;
      const char quote = *p;
      const char* const start = ++p;
      for (;;) {
        p = FindQuotedStop(p, end, quote, stop);
        if (p == end || (Class(p) & kBackslash) == 0) {
          break;
        }
        p += p + 1 < end ? 2 : 1;
      }
      words[n++] = std::string_view(start, static_cast<size_t>(p - start));
      if (p < end) {
        ++p;  // the closing quote separates like a space
      }
    } else {
      // Runs to the next separator; quotes inside are literal; a backslash hides the next byte.
      const char* const start = p;
      for (;;) {
        p = FindUnquotedStop(p, end);
        if (p == end || (Class(p) & kBackslash) == 0) {
          break;
        }
        p += p + 1 < end ? 2 : 1;
      }
      words[n++] = std::string_view(start, static_cast<size_t>(p - start));
    }
  }
  if (words_dropped != nullptr) {
    *words_dropped = dropped;
  }
  return n;
}

}  // namespace ndrelay::bridge
