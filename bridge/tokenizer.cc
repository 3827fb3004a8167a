#include "bridge/tokenizer.h"

#include <array>
#include <cstdint>

namespace ndrelay::bridge {
namespace {

constexpr std::array<bool, 256> MakeSeparatorTable() {
  std::array<bool, 256> t{};
  for (unsigned char c : {' ', '\t', '\r', '\n', '=', '\f', '\v'}) {
    t[c] = true;
  }
  return t;
}

constexpr std::array<bool, 256> kSeparator = MakeSeparatorTable();

inline bool Sep(char c) { return kSeparator[static_cast<uint8_t>(c)]; }

}  // namespace

bool IsWordSeparator(char c) { return Sep(c); }

size_t Tokenize(std::string_view line, std::string_view* words, size_t max_words,
                bool* words_dropped) {
  const char* p = line.data();
  const char* const end = p + line.size();
  size_t n = 0;
  for (;;) {
    while (p < end && Sep(*p)) {
      ++p;
    }
    if (p == end) {
      break;
    }
    if (n == max_words) {
      if (words_dropped != nullptr) {
        *words_dropped = true;
      }
      return n;
    }
    const char c = *p;
    if (c == '"' || c == '\'') {
      const char* start = ++p;
      while (p < end && *p != c) {
        // A backslash hides the next byte (even the closing quote) and stays in the word.
        p += (*p == '\\' && p + 1 < end) ? 2 : 1;
      }
      words[n++] = std::string_view(start, static_cast<size_t>(p - start));
      if (p < end) {
        ++p;  // the closing quote separates like a space
      }
    } else {
      const char* start = p;
      while (p < end && !Sep(*p)) {
        p += (*p == '\\' && p + 1 < end) ? 2 : 1;
      }
      words[n++] = std::string_view(start, static_cast<size_t>(p - start));
    }
  }
  if (words_dropped != nullptr) {
    *words_dropped = false;
  }
  return n;
}

}  // namespace ndrelay::bridge
