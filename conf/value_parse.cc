#include "conf/value_parse.h"

#include <algorithm>
#include <limits>

#include "absl/status/status.h"
#include "conf/strings.h"

namespace ndrelay::conf {
namespace {

// Above this a duration or size is surely a typo; it also keeps the arithmetic far from overflow.
constexpr int64_t kMaxDurationMs = int64_t{100} * 365 * 24 * 3600 * 1000;  // 100 years
constexpr int64_t kMaxSizeBytes = int64_t{1} << 50;                        // 1 PiB

struct Unit {
  std::string_view name;
  int64_t factor;
};

constexpr Unit kDurationUnitsMs[] = {
    {"ms", 1},
    {"s", 1000},
    {"min", int64_t{60} * 1000},
    {"m", int64_t{60} * 1000},
    {"h", int64_t{3600} * 1000},
    {"d", int64_t{86400} * 1000},
    {"w", int64_t{7} * 86400 * 1000},
    {"mo", int64_t{30} * 86400 * 1000},
    {"y", int64_t{365} * 86400 * 1000},
};

constexpr Unit kSizeUnits[] = {
    {"B", 1},
    {"k", 1024},
    {"K", 1024},
    {"KB", 1024},
    {"KiB", 1024},
    {"M", int64_t{1} << 20},
    {"MB", int64_t{1} << 20},
    {"MiB", int64_t{1} << 20},
    {"G", int64_t{1} << 30},
    {"GB", int64_t{1} << 30},
    {"GiB", int64_t{1} << 30},
    {"T", int64_t{1} << 40},
    {"TB", int64_t{1} << 40},
    {"TiB", int64_t{1} << 40},
};

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

absl::Status RangeError(int64_t min, int64_t max, std::string_view unit) {
  return absl::InvalidArgumentError(Cat("out of range (", min, "..", max, unit, ")"));
}

// Reads `<digits><unit>` groups; `plain_factor` applies when the whole text is digits.
absl::StatusOr<int64_t> ParseUnits(std::string_view text, const Unit* units, size_t unit_count,
                                   int64_t plain_factor, int64_t cap, std::string_view expected) {
  const absl::Status bad = absl::InvalidArgumentError(Cat("expected ", expected));
  if (text.empty()) {
    return bad;
  }
  int64_t total = 0;
  size_t i = 0;
  bool plain = true;
  while (i < text.size()) {
    if (!IsDigit(text[i])) {
      return bad;
    }
    int64_t number = 0;
    while (i < text.size() && IsDigit(text[i])) {
      number = number * 10 + (text[i] - '0');
      if (number > cap) {
        return absl::InvalidArgumentError("value too large");
      }
      ++i;
    }
    size_t unit_end = i;
    while (unit_end < text.size() && !IsDigit(text[unit_end])) {
      ++unit_end;
    }
    const std::string_view unit_name = text.substr(i, unit_end - i);
    int64_t factor = plain_factor;
    if (!unit_name.empty()) {
      plain = false;
      const Unit* found = nullptr;
      for (size_t u = 0; u < unit_count; ++u) {
        if (units[u].name == unit_name) {
          found = &units[u];
        }
      }
      if (found == nullptr) {
        return bad;
      }
      factor = found->factor;
    } else if (i < text.size() || !plain || total != 0) {
      return bad;  // a bare number must be the whole text
    }
    if (number > cap / factor || total > cap - number * factor) {
      return absl::InvalidArgumentError("value too large");
    }
    total += number * factor;
    i = unit_end;
  }
  return total;
}

}  // namespace

absl::StatusOr<bool> ParseBool(std::string_view text) {
  const std::string v = AsciiLower(text);
  if (v == "yes" || v == "true" || v == "on" || v == "1") {
    return true;
  }
  if (v == "no" || v == "false" || v == "off" || v == "0") {
    return false;
  }
  return absl::InvalidArgumentError("expected yes or no");
}

absl::StatusOr<Tristate> ParseTristate(std::string_view text) {
  const std::string v = AsciiLower(text);
  if (v == "auto" || v == "on demand") {
    return Tristate::kAuto;
  }
  absl::StatusOr<bool> b = ParseBool(v);
  if (!b.ok()) {
    return absl::InvalidArgumentError("expected yes, no or auto");
  }
  return *b ? Tristate::kYes : Tristate::kNo;
}

absl::StatusOr<int64_t> ParseInt(std::string_view text, int64_t min, int64_t max) {
  std::string_view digits = text;
  bool negative = false;
  if (!digits.empty() && (digits.front() == '-' || digits.front() == '+')) {
    negative = digits.front() == '-';
    digits.remove_prefix(1);
  }
  if (digits.empty() || !std::all_of(digits.begin(), digits.end(), IsDigit)) {
    return absl::InvalidArgumentError("expected an integer");
  }
  int64_t v = 0;
  for (char c : digits) {
    if (v > (std::numeric_limits<int64_t>::max() - (c - '0')) / 10) {
      return RangeError(min, max, "");
    }
    v = v * 10 + (c - '0');
  }
  if (negative) {
    v = -v;
  }
  if (v < min || v > max) {
    return RangeError(min, max, "");
  }
  return v;
}

absl::StatusOr<int64_t> ParseDurationMs(std::string_view text, int64_t min_ms, int64_t max_ms) {
  absl::StatusOr<int64_t> ms =
      ParseUnits(text, kDurationUnitsMs, std::size(kDurationUnitsMs), /*plain_factor=*/1,
                 kMaxDurationMs, "a duration such as 500, 5s or 1m (milliseconds)");
  if (!ms.ok()) {
    return ms.status();
  }
  if (*ms < min_ms || *ms > max_ms) {
    return RangeError(min_ms, max_ms, " ms");
  }
  return *ms;
}

absl::StatusOr<int64_t> ParseDurationSeconds(std::string_view text, int64_t min_s, int64_t max_s) {
  absl::StatusOr<int64_t> ms =
      ParseUnits(text, kDurationUnitsMs, std::size(kDurationUnitsMs), /*plain_factor=*/1000,
                 kMaxDurationMs, "seconds or a duration such as 60s, 10m, 1h, 1d");
  if (!ms.ok()) {
    return ms.status();
  }
  const int64_t s = (*ms + 500) / 1000;
  if (s < min_s || s > max_s) {
    return RangeError(min_s, max_s, " s");
  }
  return s;
}

absl::StatusOr<int64_t> ParseSizeBytes(std::string_view text, int64_t plain_unit_bytes,
                                       int64_t min_bytes, int64_t max_bytes) {
  absl::StatusOr<int64_t> b = ParseUnits(text, kSizeUnits, std::size(kSizeUnits), plain_unit_bytes,
                                         kMaxSizeBytes, "a size such as 1048576, 512KiB or 10MiB");
  if (!b.ok()) {
    return b.status();
  }
  if (*b < min_bytes || *b > max_bytes) {
    return RangeError(min_bytes, max_bytes, " bytes");
  }
  return *b;
}

const std::vector<std::string>& DefaultCompressionOrder() {
  static const auto* const kOrder = new std::vector<std::string>{"zstd", "lz4", "brotli", "gzip"};
  return *kOrder;
}

std::vector<std::string> ParseCompressionOrder(std::string_view text,
                                               std::vector<std::string>* unknown) {
  const std::vector<std::string>& defaults = DefaultCompressionOrder();
  std::vector<std::string> out;
  size_t i = 0;
  auto is_sep = [](char c) {
    return c == ' ' || c == ',' || c == '|' || c == '\t' || c == '\r' || c == '\n' || c == '\f' ||
           c == '\v';
  };
  while (i < text.size()) {
    while (i < text.size() && is_sep(text[i])) {
      ++i;
    }
    const size_t begin = i;
    while (i < text.size() && !is_sep(text[i])) {
      ++i;
    }
    if (begin == i) {
      break;
    }
    const std::string name = AsciiLower(text.substr(begin, i - begin));
    if (std::find(defaults.begin(), defaults.end(), name) == defaults.end()) {
      if (unknown != nullptr) {
        unknown->push_back(std::string(text.substr(begin, i - begin)));
      }
      continue;
    }
    if (std::find(out.begin(), out.end(), name) == out.end()) {
      out.push_back(name);
    }
  }
  for (const std::string& d : defaults) {
    if (std::find(out.begin(), out.end(), d) == out.end()) {
      out.push_back(d);
    }
  }
  return out;
}

std::vector<ListEntry> SplitList(std::string_view list) {
  const auto is_separator = [](char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v' || c == ',';
  };
  std::vector<ListEntry> out;
  size_t i = 0;
  while (i < list.size()) {
    while (i < list.size() && is_separator(list[i])) {
      ++i;
    }
    const size_t begin = i;
    while (i < list.size() && !is_separator(list[i])) {
      ++i;
    }
    if (begin < i) {
      out.push_back({list.substr(begin, i - begin), begin, i});
    }
  }
  return out;
}

absl::Status EntryError(std::string_view what, std::string_view entry) {
  return absl::InvalidArgumentError(Cat(what, " '", entry, "'"));
}

}  // namespace ndrelay::conf
