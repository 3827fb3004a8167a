#pragma once

// Incremental line splitter over one bounded buffer for the Netdata legacy line protocol
// (netdata-stream-protocol.md §5.1, §5.2; STYLE.md 6, 7, 14).

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

namespace ndrelay::bridge {

// Longest accepted line in bytes, not counting its "\n" nor a "\r" right before it. Netdata 1.37
// PLUGINSD_LINE_MAX (16384 - 1024) (spec §5.2). Configurable per LineSplitter.
inline constexpr size_t kMaxLineBytes = 15360;

// Bytes reserved up front for input that arrives together with a pending partial line; the
// buffer only grows past max_line + this when a single Append() is larger.
inline constexpr size_t kSplitterReserveBytes = 16384;

// The answer of LineSplitter::Next() / NextRaw().
enum class Feed : uint8_t {
  kLine,      // *line holds the next line
  kNeedMore,  // no complete line buffered: Append() more bytes
  kTooLong,   // a line longer than max_line was counted and dropped (or is being dropped)
};

// Splits a byte stream into lines ending at '\n'. One per connection; not thread-safe.
//
// Append() copies the bytes into an internal buffer (compacting it at most once per call), so the
// caller's bytes need not outlive the call. A view returned by Next()/NextRaw() points into the
// buffer and is valid until the next Append(), Next(), NextRaw() or Reset().
//
// A line longer than max_line is counted, Next() reports kTooLong once for it, and everything up
// to and including the next '\n' is discarded (also across later Append() calls, without
// buffering it); then splitting resumes. So the buffer holds at most max_line + 1 bytes of a
// pending line plus the bytes of the current Append().
class LineSplitter {
 public:
  explicit LineSplitter(size_t max_line = kMaxLineBytes);
  LineSplitter(const LineSplitter&) = delete;
  LineSplitter& operator=(const LineSplitter&) = delete;

  // Adds bytes at the end of the stream. While an overlong line is being discarded, the bytes up
  // to and including its '\n' are dropped here and never buffered.
  void Append(std::string_view bytes);

  // Line mode: the next line without its "\n" and without one "\r" right before it (a lone "\r"
  // elsewhere stays in the line). Empty lines are returned as empty views.
  Feed Next(std::string_view* line);

  // Raw mode, for multi-line payloads (FUNCTION_RESULT_BEGIN ... FUNCTION_RESULT_END): the next
  // piece of the stream, verbatim. A piece is a whole line *including* its "\n" (and any "\r");
  // when no '\n' is buffered but at least max_line bytes are, those bytes are returned as a piece
  // that does not end in '\n' (the rest of that line follows in later pieces). Never kTooLong.
  // Lines and pieces may be mixed freely: both continue where the other stopped.
  Feed NextRaw(std::string_view* piece);

  // Forgets everything buffered and the discarding state; counters are kept.
  void Reset();

  size_t max_line() const { return max_line_; }
  // Bytes buffered and not yet returned.
  size_t buffered() const { return end_ - begin_; }
  // Current buffer capacity (grows only when one Append() exceeds the reserve).
  size_t capacity() const { return capacity_; }
  // True while the rest of an overlong line is being dropped.
  bool discarding() const { return discarding_; }
  // Overlong lines seen, and the bytes dropped because of them.
  uint64_t too_long_lines() const { return too_long_lines_; }
  uint64_t discarded_bytes() const { return discarded_bytes_; }

 private:
  void Reserve(size_t extra);

  size_t max_line_;
  std::unique_ptr<char[]> buf_;
  size_t capacity_ = 0;
  size_t begin_ = 0;  // first byte not yet returned
  size_t scan_ = 0;   // [begin_, scan_) is known to hold no '\n'
  size_t end_ = 0;    // one past the last buffered byte
  bool discarding_ = false;
  uint64_t too_long_lines_ = 0;
  uint64_t discarded_bytes_ = 0;
};

}  // namespace ndrelay::bridge
