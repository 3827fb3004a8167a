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
// caller's bytes need not outlive the call. Borrow() is the zero-copy alternative: the splitter
// reads the caller's bytes in place until Release(), and copies only what it must keep (a line
// that started in an earlier read is completed in the buffer; a partial line at the end is moved
// there when Next()/NextRaw() reaches it or at Release()). A view returned by Next()/NextRaw()
// points into the buffer or the borrowed bytes and is valid until the next call of any non-const
// method (and, for borrowed bytes, no longer than they are).
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
  // to and including its '\n' are dropped here and never buffered. Releases borrowed bytes first.
  void Append(std::string_view bytes);

  // Adds bytes at the end of the stream without copying them: they must stay valid and unchanged
  // until Release() (or Reset()). Discarding works as in Append(); a pending partial line is
  // completed by copying `bytes` up to its '\n'. REQUIRES: nothing borrowed (Release() called).
  void Borrow(std::string_view bytes);

  // Copies the borrowed bytes not yet returned into the buffer (nothing when Next()/NextRaw()
  // already answered kNeedMore: they move a partial line themselves). Cheap when nothing is left.
  void Release();

  // Line mode: the next line without its "\n" and without one "\r" right before it (a lone "\r"
  // elsewhere stays in the line). Empty lines are returned as empty views.
  Feed Next(std::string_view* line) {
    // Borrowed bytes come after the buffered ones, which are whole lines while there are any.
    return begin_ == end_ && !borrowed_.empty() ? NextBorrowed(line) : NextBuffered(line);
  }

  // Raw mode, for multi-line payloads (FUNCTION_RESULT_BEGIN ... FUNCTION_RESULT_END): the next
  // piece of the stream, verbatim. A piece is a whole line *including* its "\n" (and any "\r");
  // when no '\n' is buffered but at least max_line bytes are, those bytes are returned as a piece
  // that does not end in '\n' (the rest of that line follows in later pieces). Never kTooLong.
  // Lines and pieces may be mixed freely: both continue where the other stopped.
  Feed NextRaw(std::string_view* piece);

  // For a caller that recognises some lines itself (LegacyDecoder's fast path): the next bytes
  // not yet returned, from the start of the next line (unless the last NextRaw() piece did not
  // end in '\n'). Not necessarily all of them: the buffered ones first, then the borrowed ones.
  // Valid until the next non-const call.
  std::string_view Peek() const {
    return begin_ != end_ ? std::string_view(buf_.get() + begin_, end_ - begin_) : borrowed_;
  }

  // Consumes the first n bytes of Peek() as if Next() had returned them.
  // REQUIRES: they are whole lines, each ending in '\n' and at most max_line bytes long as Next()
  // counts them (without the "\n" and one "\r" before it); the caller has handled them.
  void Skip(size_t n) {
    if (begin_ != end_) {
      begin_ += n;
      if (scan_ < begin_) {
        scan_ = begin_;
      }
    } else {
      borrowed_.remove_prefix(n);
    }
  }

  // Forgets everything buffered or borrowed and the discarding state; counters are kept.
  void Reset();

  size_t max_line() const { return max_line_; }
  // Bytes buffered or borrowed, not yet returned.
  size_t buffered() const { return end_ - begin_ + borrowed_.size(); }
  // Borrowed bytes not yet returned (0 after Release()).
  size_t borrowed() const { return borrowed_.size(); }
  // Current buffer capacity (grows only when one Append() exceeds the reserve).
  size_t capacity() const { return capacity_; }
  // True while the rest of an overlong line is being dropped.
  bool discarding() const { return discarding_; }
  // Overlong lines seen, and the bytes dropped because of them.
  uint64_t too_long_lines() const { return too_long_lines_; }
  uint64_t discarded_bytes() const { return discarded_bytes_; }

 private:
  void Reserve(size_t extra);
  void Copy(std::string_view bytes);
  void DropDiscarded(std::string_view* bytes);
  Feed NextBuffered(std::string_view* line);
  Feed NextBorrowed(std::string_view* line);

  size_t max_line_;
  std::unique_ptr<char[]> buf_;
  size_t capacity_ = 0;
  size_t begin_ = 0;  // first byte not yet returned
  size_t scan_ = 0;   // [begin_, scan_) is known to hold no '\n'
  size_t end_ = 0;    // one past the last buffered byte
  // Borrowed bytes not yet returned; they follow the buffered ones in the stream. While there are
  // any, the buffered bytes are whole lines (each ends in '\n').
  std::string_view borrowed_;
  bool discarding_ = false;
  uint64_t too_long_lines_ = 0;
  uint64_t discarded_bytes_ = 0;
};

}  // namespace ndrelay::bridge
