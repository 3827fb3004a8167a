#include "bridge/line_splitter.h"

#include <algorithm>
#include <cstring>

namespace ndrelay::bridge {

LineSplitter::LineSplitter(size_t max_line)
    : max_line_(max_line == 0 ? 1 : max_line),
      buf_(std::make_unique_for_overwrite<char[]>(max_line_ + 2 + kSplitterReserveBytes)),
      capacity_(max_line_ + 2 + kSplitterReserveBytes) {}

void LineSplitter::Reset() {
  begin_ = scan_ = end_ = 0;
  borrowed_ = std::string_view();
  discarding_ = false;
}

void LineSplitter::Reserve(size_t extra) {
  if (begin_ == end_) {
    // Everything was consumed: restart at the front for free.
    begin_ = scan_ = end_ = 0;
  }
  if (capacity_ - end_ >= extra) {
    return;
  }
  if (begin_ > 0) {
    // The one compaction of this Append(): move the pending partial line to the front.
    const size_t pending = end_ - begin_;
    std::memmove(buf_.get(), buf_.get() + begin_, pending);
    scan_ -= begin_;
    end_ = pending;
    begin_ = 0;
    if (capacity_ - end_ >= extra) {
      return;
    }
  }
  const size_t want = std::max(capacity_ * 2, end_ + extra);
  auto bigger = std::make_unique_for_overwrite<char[]>(want);
  std::memcpy(bigger.get(), buf_.get(), end_);
  buf_ = std::move(bigger);
  capacity_ = want;
}

void LineSplitter::Copy(std::string_view bytes) {
  if (bytes.empty()) {
    return;
  }
  Reserve(bytes.size());
  std::memcpy(buf_.get() + end_, bytes.data(), bytes.size());
  end_ += bytes.size();
}

// While discarding the rest of an overlong line: drops `bytes` up to and including its '\n'.
void LineSplitter::DropDiscarded(std::string_view* bytes) {
  if (!discarding_) {
    return;
  }
  const void* nl = std::memchr(bytes->data(), '\n', bytes->size());
  if (nl == nullptr) {
    discarded_bytes_ += bytes->size();
    *bytes = std::string_view();
    return;
  }
  const size_t skip = static_cast<const char*>(nl) - bytes->data() + 1;
  discarded_bytes_ += skip;
  bytes->remove_prefix(skip);
  discarding_ = false;
}

void LineSplitter::Append(std::string_view bytes) {
  Release();
  DropDiscarded(&bytes);
  Copy(bytes);
}

void LineSplitter::Borrow(std::string_view bytes) {
  Release();  // REQUIRES says it is a no-op; keeps the stream in order anyway
  DropDiscarded(&bytes);
  if (begin_ != end_ && buf_[end_ - 1] != '\n') {
    // Complete the pending partial line in the buffer, so the borrowed bytes start a line.
    const void* nl = std::memchr(bytes.data(), '\n', bytes.size());
    const size_t head =
        nl == nullptr ? bytes.size() : static_cast<const char*>(nl) - bytes.data() + 1;
    Copy(bytes.substr(0, head));
    bytes.remove_prefix(head);
  }
  borrowed_ = bytes;
}

void LineSplitter::Release() {
  if (borrowed_.empty()) {
    return;
  }
  const std::string_view rest = borrowed_;
  borrowed_ = std::string_view();
  Copy(rest);
}

Feed LineSplitter::NextBorrowed(std::string_view* line) {
  const char* const start = borrowed_.data();
  const size_t size = borrowed_.size();
  const void* nl = std::memchr(start, '\n', size);
  if (nl == nullptr) {
    // A partial line, and nothing is buffered: the same verdict NextBuffered() would give it.
    const size_t content = start[size - 1] == '\r' ? size - 1 : size;
    if (content > max_line_) {
      ++too_long_lines_;
      discarded_bytes_ += size;
      discarding_ = true;
      borrowed_ = std::string_view();
      return Feed::kTooLong;
    }
    Release();  // keep it for the next read
    return Feed::kNeedMore;
  }
  const size_t at = static_cast<const char*>(nl) - start;
  borrowed_.remove_prefix(at + 1);
  size_t len = at;
  if (len > 0 && start[len - 1] == '\r') {
    --len;
  }
  if (len > max_line_) {
    ++too_long_lines_;
    discarded_bytes_ += at + 1;
    return Feed::kTooLong;
  }
  *line = std::string_view(start, len);
  return Feed::kLine;
}

Feed LineSplitter::NextBuffered(std::string_view* line) {
  char* const base = buf_.get();
  const void* nl = std::memchr(base + scan_, '\n', end_ - scan_);
  if (nl == nullptr) {
    scan_ = end_;
    const size_t pending = end_ - begin_;
    // A '\r' at the very end may be the first half of "\r\n": it does not count yet.
    const size_t content = (pending > 0 && base[end_ - 1] == '\r') ? pending - 1 : pending;
    if (content > max_line_) {
      ++too_long_lines_;
      discarded_bytes_ += pending;
      discarding_ = true;
      begin_ = scan_ = end_ = 0;
      return Feed::kTooLong;
    }
    return Feed::kNeedMore;
  }
  const size_t at = static_cast<const char*>(nl) - base;
  const char* start = base + begin_;
  size_t len = at - begin_;
  begin_ = scan_ = at + 1;
  if (len > 0 && start[len - 1] == '\r') {
    --len;
  }
  if (len > max_line_) {
    ++too_long_lines_;
    discarded_bytes_ += at + 1 - (start - base);
    return Feed::kTooLong;
  }
  *line = std::string_view(start, len);
  return Feed::kLine;
}

Feed LineSplitter::NextRaw(std::string_view* piece) {
  if (begin_ == end_ && !borrowed_.empty()) {
    const char* const start = borrowed_.data();
    const void* nl = std::memchr(start, '\n', borrowed_.size());
    if (nl == nullptr) {
      if (borrowed_.size() < max_line_) {
        Release();  // a short partial line: wait for the rest in the buffer
        return Feed::kNeedMore;
      }
      *piece = borrowed_;
      borrowed_ = std::string_view();
      return Feed::kLine;
    }
    const size_t size = static_cast<const char*>(nl) - start + 1;
    *piece = std::string_view(start, size);
    borrowed_.remove_prefix(size);
    return Feed::kLine;
  }
  char* const base = buf_.get();
  const void* nl = std::memchr(base + scan_, '\n', end_ - scan_);
  if (nl == nullptr) {
    scan_ = end_;
    if (end_ - begin_ < max_line_) {
      return Feed::kNeedMore;
    }
    *piece = std::string_view(base + begin_, end_ - begin_);
    begin_ = scan_ = end_;
    return Feed::kLine;
  }
  const size_t at = static_cast<const char*>(nl) - base;
  *piece = std::string_view(base + begin_, at + 1 - begin_);
  begin_ = scan_ = at + 1;
  return Feed::kLine;
}

}  // namespace ndrelay::bridge
