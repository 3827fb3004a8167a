#pragma once

// Test-only helpers for the ndrelay-load tests: the parent's view of a child's wire bytes
// (LZ4 frames -> lines -> events, with the bridge's real decoder) and the capture location.
// Header-only; included by tools/*_test.cc only.

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "bridge/legacy_decoder.h"
#include "bridge/legacy_events.h"
#include "bridge/lz4_stream.h"

namespace ndrelay::tools::testing {

// Where the real Netdata captures are: $NDRELAY_CAPTURES, $NDRELAY_SHARED_DIR/netdata-peer/
// captures, <source>/../shared/netdata-peer/captures, then /work/shared/netdata-peer/captures.
inline std::filesystem::path CapturesDir() {
  if (const char* env = std::getenv("NDRELAY_CAPTURES")) {
    return env;
  }
  if (const char* env = std::getenv("NDRELAY_SHARED_DIR")) {
    return std::filesystem::path(env) / "netdata-peer" / "captures";
  }
  if (const char* env = std::getenv("NDRELAY_SOURCE_DIR")) {
    std::filesystem::path p =
        std::filesystem::path(env) / ".." / "shared" / "netdata-peer" / "captures";
    if (std::filesystem::exists(p)) {
      return p;
    }
  }
  return "/work/shared/netdata-peer/captures";
}

inline bool ReadCapture(const std::string& relative, std::string* out) {
  std::ifstream in(CapturesDir() / relative, std::ios::binary);
  if (!in) {
    return false;
  }
  out->assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return true;
}

// Everything a parent would learn from a child's stream, in order.
struct Recorder : bridge::NullLegacyEvents {
  struct Point {
    std::string chart;
    bool v2 = false;
    int64_t microseconds = 0;  // v1 BEGIN
    int64_t end_time_s = 0;    // v2 BEGIN2
    int64_t update_every = 0;  // v2 BEGIN2
    std::vector<std::pair<std::string, int64_t>> collected;
    std::vector<double> values;  // v2 SET2 value
    std::vector<uint8_t> flags;  // v2 SET2 flags
  };
  std::string claimed_guid;
  std::map<std::string, std::string> labels;
  int overwrites = 0;
  std::vector<std::string> charts;
  std::vector<int64_t> chart_update_every;
  std::map<std::string, std::vector<std::string>> dims;
  std::vector<bridge::ChartDefinitionEndEvent> definition_ends;
  std::vector<std::string> replay_begins;
  std::vector<bridge::ReplayEndEvent> replay_ends;
  std::vector<Point> points;
  std::string current_chart;
  std::string error;
  bool in_point = false;

  bridge::Verdict OnClaimedId(const bridge::ClaimedIdEvent& e) override {
    claimed_guid = std::string(e.machine_guid);
    return bridge::Verdict::kOk;
  }
  bridge::Verdict OnLabel(const bridge::LabelEvent& e) override {
    labels[std::string(e.name)] = std::string(e.value);
    return bridge::Verdict::kOk;
  }
  bridge::Verdict OnOverwrite(const bridge::OverwriteEvent&) override {
    ++overwrites;
    return bridge::Verdict::kOk;
  }
  bridge::Verdict OnChart(const bridge::ChartEvent& e) override {
    current_chart = std::string(e.id);
    charts.push_back(current_chart);
    chart_update_every.push_back(e.update_every);
    return bridge::Verdict::kOk;
  }
  bridge::Verdict OnDimension(const bridge::DimensionEvent& e) override {
    if (e.algorithm != bridge::Algorithm::kIncremental) {
      error = "dimension is not incremental";
    }
    dims[current_chart].push_back(std::string(e.id));
    return bridge::Verdict::kOk;
  }
  bridge::Verdict OnChartDefinitionEnd(const bridge::ChartDefinitionEndEvent& e) override {
    definition_ends.push_back(e);
    return bridge::Verdict::kOk;
  }
  bridge::Verdict OnBegin(const bridge::BeginEvent& e) override {
    points.push_back({});
    points.back().chart = std::string(e.id);
    points.back().microseconds = e.microseconds;
    in_point = true;
    return bridge::Verdict::kOk;
  }
  bridge::Verdict OnSet(const bridge::SetEvent& e) override {
    if (!in_point || e.value.kind != bridge::CollectedValue::Kind::kInt) {
      error = "SET outside BEGIN or without an integer";
      return bridge::Verdict::kFatal;
    }
    points.back().collected.emplace_back(std::string(e.id), e.value.i);
    return bridge::Verdict::kOk;
  }
  bridge::Verdict OnEnd(const bridge::EndEvent&) override {
    in_point = false;
    return bridge::Verdict::kOk;
  }
  bridge::Verdict OnBegin2(const bridge::Begin2Event& e) override {
    points.push_back({});
    Point& p = points.back();
    p.chart = std::string(e.id);
    p.v2 = true;
    p.end_time_s = e.end_time_s;
    p.update_every = e.update_every;
    if (!e.wall_clock_is_end_time && e.wall_clock_s != e.end_time_s) {
      error = "BEGIN2 wall clock differs from the end time";
    }
    in_point = true;
    return bridge::Verdict::kOk;
  }
  bridge::Verdict OnSet2(const bridge::Set2Event& e) override {
    if (!in_point || e.collected.kind != bridge::CollectedValue::Kind::kInt) {
      error = "SET2 outside BEGIN2 or without an integer";
      return bridge::Verdict::kFatal;
    }
    points.back().collected.emplace_back(std::string(e.id), e.collected.i);
    points.back().values.push_back(e.value);
    points.back().flags.push_back(e.flags);
    return bridge::Verdict::kOk;
  }
  bridge::Verdict OnEnd2() override {
    in_point = false;
    return bridge::Verdict::kOk;
  }
  bridge::Verdict OnReplayBegin(const bridge::ReplayBeginEvent& e) override {
    if (e.has_times) {
      error = "timed RBEGIN from a child without history";
    }
    replay_begins.push_back(std::string(e.id));
    return bridge::Verdict::kOk;
  }
  bridge::Verdict OnReplayEnd(const bridge::ReplayEndEvent& e) override {
    replay_ends.push_back(e);
    return bridge::Verdict::kOk;
  }
  void OnProtocolError(const bridge::ProtocolError& e) override {
    error = std::string(e.reason) + ": " + std::string(e.line);
  }

  uint64_t samples() const {
    uint64_t n = 0;
    for (const Point& p : points) {
      n += p.collected.size();
    }
    return n;
  }
};

// The parent side of one connection after the handshake: optional LZ4, then the legacy decoder.
class WireDecoder {
 public:
  WireDecoder(bool compressed, uint32_t caps, Recorder* recorder)
      : decoder_(recorder, [caps] {
          bridge::LegacyDecoderOptions o;
          o.caps = caps;
          return o;
        }()) {
    if (compressed) {
      lz4_ = std::make_unique<bridge::Lz4StreamDecoder>(bridge::Lz4DecoderOptions{
          .max_block = bridge::kLz4MaxSenderChunk, .plain_passthrough = false});
    }
  }

  // False once the stream is broken (bad frame or protocol error).
  bool Feed(std::string_view wire) {
    if (!lz4_) {
      return decoder_.Feed(wire) == bridge::LegacyDecoder::Result::kOk;
    }
    std::string_view out;
    bridge::Lz4Feed r;
    while ((r = lz4_->Next(&wire, &out)) == bridge::Lz4Feed::kData) {
      if (decoder_.Feed(out) != bridge::LegacyDecoder::Result::kOk) {
        return false;
      }
    }
    return r != bridge::Lz4Feed::kError;
  }

  const bridge::LegacyDecoder& decoder() const { return decoder_; }
  const bridge::Lz4StreamDecoder* lz4() const { return lz4_.get(); }

 private:
  std::unique_ptr<bridge::Lz4StreamDecoder> lz4_;
  bridge::LegacyDecoder decoder_;
};

}  // namespace ndrelay::tools::testing
