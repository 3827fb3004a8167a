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

void LineSplitter::Append(std::string_view bytes) {
  if (discarding_) {
    const void* nl = std::memchr(bytes.data(), '\n', bytes.size());
    if (nl == nullptr) {
      discarded_bytes_ += bytes.size();
      return;
    }
    const size_t skip = static_cast<const char*>(nl) - bytes.data() + 1;
    discarded_bytes_ += skip;
    bytes.remove_prefix(skip);
    discarding_ = false;
  }
  if (bytes.empty()) {
    return;
  }
  Reserve(bytes.size());
  std::memcpy(buf_.get() + end_, bytes.data(), bytes.size());
  end_ += bytes.size();
}

Feed LineSplitter::Next(std::string_view* line) {
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
