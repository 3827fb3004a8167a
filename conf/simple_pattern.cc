#include "conf/simple_pattern.h"

namespace ndrelay::conf {
namespace {

// The default separator set of Netdata's pattern lists (C isspace() in the "C" locale).
bool IsSeparator(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

}  // namespace

SimplePattern SimplePattern::Parse(std::string_view list) {
  SimplePattern p;
  p.source_ = std::string(list);
  std::string token;
  token.reserve(list.size());
  size_t i = 0;
  const size_t n = list.size();
  while (i < n) {
    while (i < n && IsSeparator(list[i])) {
      ++i;
    }
    bool negative = false;
    if (i < n && list[i] == '!') {
      negative = true;
      ++i;
    }
    if (i >= n) {
      break;
    }
    token.clear();
    bool escape = false;
    while (i < n) {
      const char c = list[i];
      if (c == '\\' && !escape) {
        escape = true;
        ++i;
        continue;
      }
      if (IsSeparator(c) && !escape) {
        ++i;
        break;
      }
      token.push_back(c);
      escape = false;
      ++i;
    }
    // A `!` directly followed by a separator leaves an empty token: Netdata skips it.
    if (!token.empty()) {
      p.AddToken(token, negative);
    }
  }
  return p;
}

// Cuts one token into its chain of pieces. Each step takes the text up to and including the
// first `*` that follows at least one non-`*` character (when more text follows it); the rest,
// starting at that `*`, becomes the next step. A piece is then classified by its first and last
// character, as Netdata does.
void SimplePattern::AddToken(std::string_view token, bool negative) {
  Token t{negative, static_cast<uint32_t>(pieces_.size()), 0};
  size_t pos = 0;
  const size_t n = token.size();
  while (true) {
    size_t c = pos;
    while (c < n && token[c] == '*') {
      ++c;
    }
    while (c < n && token[c] != '*') {
      ++c;
    }
    const bool has_next = c < n && c + 1 < n;  // token[c] == '*' with more after it
    std::string_view cur = has_next ? token.substr(pos, c + 1 - pos) : token.substr(pos);
    Mode mode;
    if (cur.size() >= 2 && cur.front() == '*' && cur.back() == '*') {
      cur = cur.substr(1, cur.size() - 2);
      mode = Mode::kSubstring;
    } else if (!cur.empty() && cur.front() == '*') {
      cur.remove_prefix(1);
      mode = Mode::kSuffix;
    } else if (!cur.empty() && cur.back() == '*') {
      cur.remove_suffix(1);
      mode = Mode::kPrefix;
    } else {
      mode = Mode::kExact;
    }
    if (cur.empty()) {
      mode = Mode::kSubstring;  // an empty piece matches anything
    }
    pieces_.push_back(
        Piece{mode, static_cast<uint32_t>(text_.size()), static_cast<uint32_t>(cur.size())});
    text_.append(cur);
    ++t.piece_count;
    if (!has_next) {
      break;
    }
    pos = c;
  }
  tokens_.push_back(t);
}

bool SimplePattern::MatchToken(const Token& token, std::string_view s) const {
  for (uint32_t k = 0; k < token.piece_count; ++k) {
    const Piece& p = pieces_[token.first_piece + k];
    const bool last = k + 1 == token.piece_count;
    const std::string_view m(text_.data() + p.offset, p.len);
    if (m.size() > s.size()) {
      return false;
    }
    switch (p.mode) {
      case Mode::kSubstring: {
        if (m.empty()) {
          return true;
        }
        const size_t at = s.find(m);
        if (at == std::string_view::npos) {
          return false;
        }
        if (last) {
          return true;
        }
        s.remove_prefix(at + m.size());
        break;
      }
      case Mode::kPrefix:
        if (s.substr(0, m.size()) != m) {
          return false;
        }
        if (last) {
          return true;
        }
        s.remove_prefix(m.size());
        break;
      case Mode::kSuffix:
        return last && s.substr(s.size() - m.size()) == m;
      case Mode::kExact:
        return last && s == m;
    }
  }
  return false;
}

SimplePattern::Result SimplePattern::Match(std::string_view s) const {
  if (s.empty()) {
    return Result::kNoMatch;
  }
  for (const Token& t : tokens_) {
    if (MatchToken(t, s)) {
      return t.negative ? Result::kNegative : Result::kPositive;
    }
  }
  return Result::kNoMatch;
}

}  // namespace ndrelay::conf
