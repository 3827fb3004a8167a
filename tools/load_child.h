#pragma once

// One simulated Netdata child of ndrelay-load, as a protocol state machine without I/O: it builds
// the STREAM request, reads the parent's reply, writes the session start and the per-iteration
// data, and answers the parent's REPLAY_CHART requests (netdata-stream-protocol.md §2, §3, §7,
// §9.1, §10.4, §15). The runner (tools/load_runner.h) owns the sockets.
//
// Every chart is defined as CHART + DIMENSIONs (+ CHART_DEFINITION_END with REPLICATION). With
// REPLICATION negotiated a chart carries no data until its REPLAY_CHART was answered with an
// empty reply ending in REND ... true (we keep no history, §15), exactly like a Netdata child.
// Each dimension is an incremental counter: collected = step x (points sent + 1), where the step
// (1..kMaxCounterStep) derives from the seed, the child, the chart and the dimension.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "bridge/legacy_encoder.h"
#include "bridge/line_splitter.h"
#include "bridge/lz4_stream.h"
#include "tools/load_options.h"

namespace ndrelay::tools {

// Prefix of every chart id: "ndload.c0001", ...; dimension ids are "d001", ...
inline constexpr std::string_view kChartIdPrefix = "ndload.c";
inline constexpr std::string_view kDimIdPrefix = "d";
// Counter steps are in [1, kMaxCounterStep].
inline constexpr int64_t kMaxCounterStep = 1000;
// The longest refused/unknown reply kept for messages (a Netdata child reads one recv() of
// 8192 bytes).
inline constexpr size_t kMaxReplyBytes = 8192;
// Words we look at in a parent -> child line (REPLAY_CHART has 5).
inline constexpr size_t kMaxParentWords = 8;
inline constexpr int64_t kMicrosPerSecond = 1000000;

// The ids of the synthetic charts and dimensions; the same for every child, so shared (const,
// thread-safe).
class LoadShape {
 public:
  LoadShape(int charts, int dims, int update_every);
  LoadShape(const LoadShape&) = delete;
  LoadShape& operator=(const LoadShape&) = delete;

  int charts() const { return static_cast<int>(chart_ids_.size()); }
  int dims() const { return static_cast<int>(dim_ids_.size()); }
  int update_every() const { return update_every_; }
  const std::string& chart_id(int c) const { return chart_ids_[static_cast<size_t>(c)]; }
  const std::string& dim_id(int d) const { return dim_ids_[static_cast<size_t>(d)]; }
  // The index of chart `id`, or -1 (no allocation: the id is parsed, then compared).
  int FindChart(std::string_view id) const;

 private:
  std::vector<std::string> chart_ids_;
  std::vector<std::string> dim_ids_;
  int update_every_;
};

// A child's deterministic identity: hostname "<prefix>-<index+1, 4 digits>" and a UUID-shaped
// (version 4 layout) machine GUID derived from (seed, index); different indexes give different
// GUIDs.
struct ChildIdentity {
  std::string hostname;
  std::string machine_guid;
};
ChildIdentity MakeChildIdentity(std::string_view hostname_prefix, uint64_t seed, int index);

// What the child offers as `ver` (spec §4.3): kV1 = Netdata 1.37.1's 16376 (15352 without
// compression); kV2 adds INTERPOLATED, and IEEE754 when asked.
uint32_t OfferedCaps(Protocol protocol, bool compression, bool ieee754);

// The handshake outcome after some reply bytes.
enum class Handshake : uint8_t {
  kNeedMore,  // a strict prefix of a known reply so far
  kAccepted,  // "Hit me baby..." with a version/bitmask >= 1: caps() are set
  kRejected,  // one of the parent's refusal strings (spec §3.3)
  kBad,       // anything else, or the peer closed before a complete reply
};

class LoadChild {
 public:
  // `shape` must outlive the child. `index` picks the counter steps (with `seed`).
  LoadChild(const LoadShape* shape, int index, uint64_t seed, ChildIdentity identity,
            std::string api_key, uint32_t offered_caps);
  LoadChild(const LoadChild&) = delete;
  LoadChild& operator=(const LoadChild&) = delete;

  const ChildIdentity& identity() const { return identity_; }
  uint32_t offered_caps() const { return offered_caps_; }

  // The STREAM request (NEW-style, spec §2.3), the first bytes on the connection.
  std::string Request() const;

  // Feeds reply bytes (append-only; call again with more). `peer_closed`: no more bytes will
  // come. A final answer is sticky. Bytes after the version digits are kept and processed as
  // parent commands by Start().
  Handshake OnReply(std::string_view bytes, bool peer_closed);
  // The reply bytes (for error messages): after kAccepted without what followed the digits;
  // otherwise at most kMaxReplyBytes.
  std::string_view reply() const { return reply_; }

  // After kAccepted: the negotiated capabilities (reply converted and intersected with ours).
  uint32_t caps() const { return caps_; }
  bool compressed() const { return lz4_ != nullptr; }
  bool v2() const { return v2_; }
  bool replication() const { return replication_; }

  // After kAccepted: appends the session start to *wire: CLAIMED_ID (CLAIM), host labels
  // (HLABELS), then every chart definition; compressed when LZ4 was negotiated. Also answers any
  // parent command that came glued to the reply. `now_s`: wall clock (CHART_DEFINITION_END).
  absl::Status Start(int64_t now_s, std::string* wire);

  // Parent -> child bytes (plain text lines, any split). Answers every REPLAY_CHART with an empty
  // replication reply (RBEGIN, REND <ue> <first> <last> true 0 0 <now>) appended to *wire; the
  // chart streams from the next Collect(). Other commands are counted and ignored (a Netdata
  // child only logs unknown ones).
  absl::Status OnParentBytes(std::string_view bytes, int64_t now_s, std::string* wire);

  // One collection: for every chart allowed to stream, one point ending at `point_end_s`
  // (BEGIN/SET/END, or BEGIN2/SET2/END2 when INTERPOLATED was negotiated), as one commit.
  // Returns the samples (dimension values) appended. Charts still waiting for replication are
  // skipped.
  absl::StatusOr<uint64_t> Collect(int64_t point_end_s, std::string* wire);

  // Charts currently allowed to send data.
  int charts_streaming() const { return charts_streaming_; }
  uint64_t replay_requests() const { return replay_requests_; }
  uint64_t unknown_replay_requests() const { return unknown_replay_requests_; }
  uint64_t ignored_parent_lines() const { return ignored_parent_lines_; }
  uint64_t plain_bytes() const { return plain_bytes_; }
  // Collected value of point `n` (0-based) of dimension `d` of chart `c` (for tests).
  int64_t CounterValue(int c, int d, int64_t n) const;

 private:
  struct ChartState {
    bool streaming = false;
    int64_t points = 0;   // points sent since the chart started streaming
    int64_t first_s = 0;  // end time of the first point sent (0: none)
    int64_t last_s = 0;   // end time of the last point sent
  };

  int64_t Step(int c, int d) const;
  absl::Status Commit(std::string* wire);
  void AnswerReplay(std::string_view chart_id, int64_t now_s);
  void HandleParentLine(std::string_view line, int64_t now_s);

  const LoadShape* shape_;
  const int index_;
  const uint64_t salt_;
  const ChildIdentity identity_;
  const std::string api_key_;
  const uint32_t offered_caps_;

  std::string reply_;
  Handshake handshake_ = Handshake::kNeedMore;
  std::string leftover_;  // parent bytes glued to the reply
  uint32_t caps_ = 0;
  bool v2_ = false;
  bool replication_ = false;
  bool started_ = false;

  bridge::LegacyEncoder encoder_{0};
  std::unique_ptr<bridge::Lz4StreamEncoder> lz4_;
  bridge::LineSplitter parent_lines_;
  std::string plain_;  // the commit being built; reused (no allocation per iteration)
  std::vector<ChartState> charts_;
  int charts_streaming_ = 0;
  uint64_t replay_requests_ = 0;
  uint64_t unknown_replay_requests_ = 0;
  uint64_t ignored_parent_lines_ = 0;
  uint64_t plain_bytes_ = 0;
};

}  // namespace ndrelay::tools
