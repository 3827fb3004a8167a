#pragma once

// Command-line options of ndrelay-load, the Netdata child simulator (tools/ndrelay_load.cc), and
// the loopback-only address check it applies before connecting anywhere.

#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace ndrelay::tools {

// Bounds of every option (a value outside is an InvalidArgument, never clamped silently).
inline constexpr int kMaxChildren = 10000;
inline constexpr int kMaxChartsPerChild = 100000;
// Netdata keeps at most 65535 dimension slots per chart (spec §9.4); we stay well below.
inline constexpr int kMaxDimsPerChart = 10000;
// charts x dims of one child: the per-child state and one iteration's text stay bounded.
inline constexpr int64_t kMaxMetricsPerChild = 1000000;
inline constexpr int kMaxUpdateEvery = 3600;
inline constexpr double kMaxRateMultiplier = 100000;
inline constexpr double kMaxDurationS = 7 * 86400;
inline constexpr double kMaxTimeoutS = 3600;
inline constexpr size_t kMinPendingBytes = 64 * 1024;
inline constexpr size_t kMaxPendingBytes = size_t{1} << 30;
// Longest --hostname-prefix (Netdata hostnames are short; the request stays far below 16 KiB).
inline constexpr size_t kMaxHostnamePrefix = 200;

// The data dialect asked for. kV1 offers exactly what Netdata 1.37.1 offers (16376, or 15352
// without compression) and sends BEGIN/SET/END. kV2 also offers INTERPOLATED (and IEEE754 with
// --ieee754 yes) and sends BEGIN2/SET2/END2 when the parent keeps INTERPOLATED; a parent that
// drops it (Netdata 1.37) gets v1.
enum class Protocol : uint8_t { kV1, kV2 };

struct LoadOptions {
  std::string host = "127.0.0.1";  // loopback only (CheckLoopbackHost)
  int port = 19999;
  int children = 1;
  int charts = 10;       // per child
  int dims = 10;         // per chart
  int update_every = 1;  // seconds
  bool compression = true;
  Protocol protocol = Protocol::kV1;
  bool ieee754 = false;  // only with kV2
  double duration_s = 10;
  std::string api_key = "11111111-2222-3333-4444-555555555555";
  // Iterations per real second = rate_multiplier / update_every; each iteration still advances
  // the data timestamps by one update_every.
  double rate_multiplier = 1;
  std::string hostname_prefix = "ndload";
  uint64_t seed = 1;  // machine GUIDs and counter steps derive from it
  double handshake_timeout_s = 30;
  double drain_timeout_s = 10;  // after --duration: time allowed to flush queued bytes
  // Per child: no new iteration is generated while more than this is queued (backpressure from
  // a slow parent; such skipped iterations are reported as lagged).
  size_t max_pending_bytes = 8 * 1024 * 1024;
  bool verbose = false;  // one stderr line per child event (connect, reply, close)
  bool help = false;
};

// Parses argv[1..] ("--name value" or "--name=value"; `--parent HOST:PORT` sets both host and
// port, "[::1]:PORT" for IPv6). Unknown options, bad numbers, values out of bounds and a
// non-loopback host are InvalidArgument. `--help` sets help and returns the defaults.
absl::StatusOr<LoadOptions> ParseLoadOptions(std::span<const std::string_view> args);

// Usage text for --help.
std::string LoadUsage();

// OK for "localhost", any IPv4 address in 127.0.0.0/8, "::1" and "::ffff:127.x.y.z" (numeric
// only: no DNS lookup ever happens); InvalidArgument otherwise.
absl::Status CheckLoopbackHost(std::string_view host);

// A resolved loopback address ("localhost" is 127.0.0.1).
struct LoopbackAddress {
  sockaddr_storage addr{};
  socklen_t len = 0;
  int family = 0;
};
absl::StatusOr<LoopbackAddress> ResolveLoopback(std::string_view host, int port);

}  // namespace ndrelay::tools
