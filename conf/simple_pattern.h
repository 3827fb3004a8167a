#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ndrelay::conf {

// A Netdata "simple pattern" list (spec §14), as used by `allow from`, `allow streaming from`
// and `send charts matching`.
//
// Parsing: tokens are separated by runs of space, TAB, CR, LF, FF or VT. A token may start with
// `!` (negative). `\` makes the next character part of the token (it is removed; `\*` is still a
// wildcard, exactly as in Netdata). Empty tokens (including a lone `!`) are skipped. An empty
// list gives an empty pattern, which matches nothing; callers decide what "no pattern" means
// (e.g. `allow from` skips the check, `send charts matching` sends nothing).
//
// Each token may contain `*` anywhere; it is cut at every inner `*` into a chain matched
// greedy-leftmost without backtracking (`a*b*c`: starts with `a`, then the first `b` after it,
// then ends with `c`). `*` alone matches any non-empty string. Netdata's quirks for runs of
// `*` are kept (e.g. in `a**b` the tail is the literal suffix `*b`).
//
// Evaluation: tokens are tried left to right and the first one that matches decides. An empty
// input never matches. Matching is case-sensitive and never allocates.
//
// A value type: cheap to copy for the sizes found in configuration files; thread-compatible
// (const methods may be called concurrently).
class SimplePattern {
 public:
  enum class Result : uint8_t { kNoMatch, kPositive, kNegative };

  SimplePattern() = default;

  static SimplePattern Parse(std::string_view list);

  // True when the list had no (non-empty) token.
  bool empty() const { return tokens_.empty(); }
  // Number of tokens kept.
  size_t size() const { return tokens_.size(); }

  Result Match(std::string_view s) const;
  // True only for a positive match.
  bool Matches(std::string_view s) const { return Match(s) == Result::kPositive; }

  // The list exactly as given to Parse().
  const std::string& source() const { return source_; }

 private:
  enum class Mode : uint8_t { kExact, kPrefix, kSuffix, kSubstring };
  struct Piece {
    Mode mode;
    uint32_t offset;  // into text_
    uint32_t len;
  };
  struct Token {
    bool negative;
    uint32_t first_piece;
    uint32_t piece_count;
  };

  void AddToken(std::string_view token, bool negative);
  bool MatchToken(const Token& token, std::string_view s) const;

  std::string source_;
  std::string text_;  // the bytes of every piece, back to back
  std::vector<Piece> pieces_;
  std::vector<Token> tokens_;
};

}  // namespace ndrelay::conf
