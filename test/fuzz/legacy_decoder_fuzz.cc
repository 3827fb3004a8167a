// Fuzz target for bridge::LegacyDecoder (STYLE.md 15).
//
// Input: byte 0 picks the feeding pattern, the rest is the decoded child -> parent stream.
//   bits 0..5: chunk size 1..64 (times 256 when bit 6 is set, so up to 16 KiB);
//   bit 7:     SLOTS negotiated, a small line limit (200) and max_words 20 (Netdata 1.37).
// The rest is fed in chunks of that size to a decoder whose events accept everything.
// Invariants checked after every Feed(): the splitter never holds more than a line limit plus
// one slice, and a closed decoder stays closed.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bridge/caps.h"
#include "bridge/legacy_decoder.h"
#include "bridge/legacy_events.h"

namespace {

using ndrelay::bridge::LegacyDecoder;
using ndrelay::bridge::LegacyDecoderOptions;

// Also exercises every view it is given, so a dangling view shows up under ASan.
// Offers each chart the SET lines learnt from its earlier rounds (as ndrelay's receiver offers
// its charts' dimensions), so that the decoder's run path sees fuzzed lines too.
class TouchingEvents : public ndrelay::bridge::NullLegacyEvents {
 public:
  TouchingEvents() { charts_.reserve(kMaxCharts); }  // (offered pointers stay valid)
  ndrelay::bridge::Verdict OnBegin(const ndrelay::bridge::BeginEvent& e) override {
    chart_ = nullptr;
    for (auto& [id, lines] : charts_) {
      if (id == e.id) {
        chart_ = &lines;
      }
    }
    if (chart_ == nullptr && charts_.size() < kMaxCharts) {
      chart_ = &charts_.emplace_back(std::string(e.id), ndrelay::bridge::SetLines()).second;
    }
    learnt_.clear();
    return Touch(e.id);
  }
  const ndrelay::bridge::SetLines* ChartSetLines() override { return chart_; }
  ndrelay::bridge::Verdict OnSet(const ndrelay::bridge::SetEvent& e) override {
    if (learnt_.size() < kMaxDims) {
      learnt_.emplace_back(e.id);
    }
    return Touch(e.id);
  }
  ndrelay::bridge::Verdict OnSetRun(const ndrelay::bridge::SetRunEvent& e) override {
    for (size_t i = 0; i < e.count; ++i) {
      sum += static_cast<unsigned>(e.values[i]);
    }
    return NullLegacyEvents::OnSetRun(e);  // (OnSet() for each: touches the ids)
  }
  // The lines seen in the round join the chart's SET lines once the decoder let go of them.
  ndrelay::bridge::Verdict OnEnd(const ndrelay::bridge::EndEvent&) override {
    if (chart_ != nullptr) {
      for (const std::string& id : learnt_) {
        if (chart_->IndexOf(id) < 0 && chart_->size() < kMaxDims) {
          chart_->Add(id);
        }
      }
    }
    chart_ = nullptr;
    return ndrelay::bridge::Verdict::kOk;
  }
  ndrelay::bridge::Verdict OnSet2(const ndrelay::bridge::Set2Event& e) override {
    return Touch(e.id);
  }
  ndrelay::bridge::Verdict OnChart(const ndrelay::bridge::ChartEvent& e) override {
    Touch(e.id);
    Touch(e.title);
    return Touch(e.module);
  }
  ndrelay::bridge::Verdict OnLabel(const ndrelay::bridge::LabelEvent& e) override {
    for (std::string_view w : e.value_words) {
      Touch(w);
    }
    return Touch(e.name);
  }
  ndrelay::bridge::Verdict OnFunctionResult(
      const ndrelay::bridge::FunctionResultEvent& e) override {
    Touch(e.transaction);
    return Touch(e.payload);
  }
  ndrelay::bridge::Verdict OnJson(const ndrelay::bridge::JsonEvent& e) override {
    Touch(e.keyword);
    return Touch(e.payload);
  }
  void OnProtocolError(const ndrelay::bridge::ProtocolError& e) override { Touch(e.line); }

  unsigned sum = 0;

 private:
  static constexpr size_t kMaxCharts = 16;
  static constexpr size_t kMaxDims = 128;
  std::vector<std::pair<std::string, ndrelay::bridge::SetLines>> charts_;
  ndrelay::bridge::SetLines* chart_ = nullptr;
  std::vector<std::string> learnt_;

  ndrelay::bridge::Verdict Touch(std::string_view v) {
    for (char c : v) {
      sum += static_cast<unsigned char>(c);
    }
    return ndrelay::bridge::Verdict::kOk;
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) {
    return 0;
  }
  const uint8_t mode = data[0];
  size_t chunk = (mode & 0x3F) + 1;
  if ((mode & 0x40) != 0) {
    chunk *= 256;
  }
  LegacyDecoderOptions options;
  if ((mode & 0x80) != 0) {
    options.caps = ndrelay::bridge::kCapSlots;
    options.max_line_bytes = 200;
    options.max_words = 20;
    options.max_payload_bytes = 4096;
  }
  TouchingEvents events;
  LegacyDecoder decoder(&events, options);
  const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  for (size_t at = 0; at < input.size(); at += chunk) {
    const LegacyDecoder::Result r = decoder.Feed(input.substr(at, chunk));
    if (decoder.buffered_bytes() > options.max_line_bytes + 1 + ndrelay::bridge::kFeedSliceBytes) {
      std::abort();
    }
    if (r == LegacyDecoder::Result::kClosed) {
      if (!decoder.closed() || decoder.status().ok() ||
          decoder.Feed("BEGIN x\n") != LegacyDecoder::Result::kClosed) {
        std::abort();
      }
      break;
    }
  }
  return 0;
}
