#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace ndrelay::conf {

// Typed readers for configuration values. All are pure; errors are InvalidArgumentError with a
// short description of what was expected (the caller adds file, line and the offending text).

// yes/no, true/false, on/off, 1/0 (case-insensitive).
absl::StatusOr<bool> ParseBool(std::string_view text);

// A yes/no/auto value (booleans above plus "auto" and Netdata's "on demand").
enum class Tristate : uint8_t { kAuto, kYes, kNo };
absl::StatusOr<Tristate> ParseTristate(std::string_view text);

// A decimal integer (optional sign) within [min, max].
absl::StatusOr<int64_t> ParseInt(std::string_view text, int64_t min, int64_t max);

// A duration in seconds within [min_s, max_s]: a plain integer is seconds; otherwise one or more
// `<number><unit>` groups (`1d`, `10m`, `60s`, `1h30m`), units ms, s, m, min, h, d, w, mo (30
// days), y (365 days). Sub-second results are rounded to the nearest second.
absl::StatusOr<int64_t> ParseDurationSeconds(std::string_view text, int64_t min_s, int64_t max_s);

// A duration in milliseconds; a plain integer is milliseconds, units as above.
absl::StatusOr<int64_t> ParseDurationMs(std::string_view text, int64_t min_ms, int64_t max_ms);

// A size: a plain integer counts `plain_unit_bytes`; otherwise `<number><unit>` with units B,
// k/K/KB/KiB, M/MB/MiB, G/GB/GiB, T/TB/TiB (all binary, as Netdata does). Result in bytes,
// within [min_bytes, max_bytes].
absl::StatusOr<int64_t> ParseSizeBytes(std::string_view text, int64_t plain_unit_bytes,
                                       int64_t min_bytes, int64_t max_bytes);

// Netdata's `compression algorithms order` (NEW): names separated by spaces, commas or '|',
// case-insensitive; unknown names are reported in *unknown (if given) and dropped; duplicates
// dropped; algorithms not listed are appended in the default order zstd lz4 brotli gzip.
std::vector<std::string> ParseCompressionOrder(std::string_view text,
                                               std::vector<std::string>* unknown = nullptr);

// "zstd lz4 brotli gzip".
const std::vector<std::string>& DefaultCompressionOrder();

// An entry of a `bind to` / `destination` style list (separated by white space or commas):
// its text and its [begin, end) offsets in the list.
struct ListEntry {
  std::string_view text;
  size_t begin = 0;
  size_t end = 0;
};
std::vector<ListEntry> SplitList(std::string_view list);

// "<what> '<entry>'" as an InvalidArgument error.
absl::Status EntryError(std::string_view what, std::string_view entry);

}  // namespace ndrelay::conf
