#pragma once

// The word splitter Netdata parents run on every child line (netdata-stream-protocol.md §5.3).

#include <cstddef>
#include <string_view>

namespace ndrelay::bridge {

// Most words kept per line by Netdata 2.x (spec §5.2); extra words are dropped.
inline constexpr size_t kMaxWords = 30;
// Netdata 1.37 kept 20 (PLUGINSD_MAX_WORDS); a sender must stay within this for old parents.
inline constexpr size_t kMaxWordsNetdata137 = 20;

// The bytes that separate words outside quotes: space, TAB, CR, LF, '=', FF and VT.
inline constexpr std::string_view kWordSeparators = " \t\r\n=\f\v";

// True for the bytes of kWordSeparators.
bool IsWordSeparator(char c);

// Splits `line` into at most `max_words` words, stored as views into `line` in words[0..n), and
// returns n. No allocation, no copy. Rules (spec §5.3):
//  * runs of separators (IsWordSeparator) count as one; leading/trailing ones are ignored;
//  * a word that starts with '"' or '\'' runs to the next same quote character (the other one is
//    literal inside it, and so are separators); the closing quote ends the word like a separator,
//    so "ab"cd gives two words; an unterminated quote runs to the end of the line;
//    "" and '' give an empty word;
//  * a quote in the middle of an unquoted word is literal;
//  * '\' makes the tokenizer skip the next byte (so it is neither a quote nor a separator) but is
//    not removed: it stays in the word;
//  * words past max_words are dropped; *words_dropped (if given) tells whether any were.
// REQUIRES: `words` has room for max_words views.
size_t Tokenize(std::string_view line, std::string_view* words, size_t max_words,
                bool* words_dropped = nullptr);

}  // namespace ndrelay::bridge
