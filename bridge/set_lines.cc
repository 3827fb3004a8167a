#include "bridge/set_lines.h"

namespace ndrelay::bridge {

void SetLines::Add(std::string_view id) {
  ids_.append(id);
  const bool matchable = !id.empty() && id.size() <= kMaxIdBytes &&
                         id.find_first_of(std::string_view("\"\\\n", 3)) == std::string_view::npos;
  ends_.push_back(static_cast<uint32_t>(ids_.size()) | (matchable ? 0 : kNoMatch));
}

void SetLines::ShrinkToFit() {
  ids_.shrink_to_fit();
  ends_.shrink_to_fit();
}

int64_t SetLines::IndexOf(std::string_view id) const {
  for (size_t i = 0; i < ends_.size(); ++i) {
    if (this->id(i) == id) {
      return static_cast<int64_t>(i);
    }
  }
  return -1;
}

}  // namespace ndrelay::bridge
