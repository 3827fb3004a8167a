#pragma once

// The I/O side of ndrelay-load: one thread, one epoll set, N non-blocking loopback connections,
// each driving a LoadChild (tools/load_child.h). Iteration k of every child is due at
// start + k x update_every / rate_multiplier; its points end at t0 + k x update_every, where t0
// is chosen so that the last iteration ends at about the wall clock when the run ends. A child
// whose backlog exceeds max_pending_bytes defers iterations (reported as lagged) instead of
// buffering without bound. After --duration the runner stops generating, flushes what is queued
// (up to drain_timeout) and closes every connection.

#include <atomic>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "tools/load_options.h"

namespace ndrelay::tools {

// Largest read per recv() from a parent.
inline constexpr size_t kReadChunkBytes = 64 * 1024;
// Longest epoll wait, so that deadlines and the stop flag are checked often enough.
inline constexpr int kMaxPollWaitMs = 50;

struct LoadReport {
  int children = 0;
  int connected = 0;         // handshakes accepted
  int streaming_at_end = 0;  // still streaming when the data phase ended
  int finished = 0;          // flushed every byte, then closed cleanly
  int drain_timeouts = 0;    // bytes still queued at the drain deadline
  int rejected = 0;          // refused with one of the parent's rejection strings
  int bad_handshakes = 0;    // any other reply, or closed before a reply
  int connect_errors = 0;    // TCP connect failed
  int handshake_timeouts = 0;
  int disconnects = 0;            // the parent closed (or the socket failed) after the handshake
  int internal_errors = 0;        // our own encoder failed (should never happen)
  uint32_t caps = 0;              // negotiated by the first accepted child
  std::string dialect;            // "v1" / "v2" (first accepted child)
  std::string compression;        // "lz4" / "none"
  int64_t charts = 0;             // children x charts
  int64_t metrics = 0;            // children x charts x dims
  int64_t iterations = 0;         // collections generated, summed over children
  int64_t lagged_iterations = 0;  // due but not generated (backpressure), summed
  uint64_t samples_generated = 0;
  uint64_t samples_sent = 0;  // samples whose bytes were all handed to the kernel
  uint64_t bytes_sent = 0;    // wire bytes written (request and compressed stream included)
  uint64_t plain_bytes = 0;   // protocol text before compression
  uint64_t bytes_received = 0;
  uint64_t replay_requests = 0;
  uint64_t unknown_replay_requests = 0;
  uint64_t charts_waiting_replication = 0;  // at the end, over connected children
  double elapsed_s = 0;                     // first connect until the last byte was flushed
  double samples_per_s = 0;
  double cpu_s = 0;    // this process, user + system
  double cpu_pct = 0;  // cpu_s / elapsed_s x 100

  int errors() const {
    return rejected + bad_handshakes + connect_errors + handshake_timeouts + disconnects +
           drain_timeouts + internal_errors;
  }
};

// Runs the whole load described by `options` and returns its report. A Status error only for
// setup failures (epoll, bad address); per-child failures are counted in the report. `stop`
// (optional) ends the data phase early when it becomes true (e.g. from SIGINT).
absl::StatusOr<LoadReport> RunLoad(const LoadOptions& options,
                                   const std::atomic<bool>* stop = nullptr);

// The report as one line of space-separated key=value pairs (no spaces inside values).
std::string FormatReport(const LoadReport& report);

}  // namespace ndrelay::tools
