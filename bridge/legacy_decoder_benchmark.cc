// Benchmarks for the v1 receive path: LineSplitter + Tokenize + number parsing + LegacyDecoder
// (netdata-stream-protocol.md §5.2-5.4, §7), over the real Netdata 1.37.1 capture and over a
// synthetic SET-heavy stream.
//
//   legacy_decoder_benchmark [--benchmark_filter=...]   Google Benchmark run; "time/line" counters
//   legacy_decoder_benchmark --drive=synthetic [--lines=N] [--sets=N] [--charts=N]
//                            [--value-limit=N] [--repeat=N] [--general]
//   legacy_decoder_benchmark --drive=capture|capture-data [--repeat=N]
//
// The --drive mode decodes once (or --repeat times) without the benchmark harness, for
// `valgrind --tool=callgrind --toggle-collect='*LegacyDecoder::Feed*'`: the Ir difference between
// two --sets values divided by the extra SET lines is the cost of one SET line.

#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

#include "bridge/legacy_decoder.h"
#include "bridge/legacy_events.h"
#include "bridge/line_splitter.h"
#include "bridge/numbers.h"
#include "bridge/tokenizer.h"
#include "test/testutil/captures.h"

namespace ndrelay::bridge {
namespace {

// Synthetic 1.37-style load: `BEGIN "chart_0001.x" 1000000`, `SET "dim_0003" = 123456789`, `END`.
constexpr size_t kSyntheticLines = 1000000;
constexpr int kSyntheticSetsPerChart = 20;
constexpr int kSyntheticCharts = 1000;
constexpr uint64_t kSyntheticValueLimit = 1000000000;
// Feed() sizes: the decompressor hands out chunks of at most 16 KiB.
constexpr size_t kFeedChunkBytes = 16384;

// Counts what it sees, so the compiler cannot drop the decoding.
class CountingEvents : public NullLegacyEvents {
 public:
  Verdict OnBegin(const BeginEvent& e) override {
    sum += static_cast<uint64_t>(e.microseconds) + e.id.size();
    return Verdict::kOk;
  }
  Verdict OnSet(const SetEvent& e) override {
    sum += static_cast<uint64_t>(e.value.i) + e.id.size();
    ++sets;
    return Verdict::kOk;
  }
  uint64_t sum = 0;
  uint64_t sets = 0;
};

// Values are below `value_limit` (the default gives mostly 9 digits, like "123456789").
std::string SyntheticStream(size_t max_lines, int sets_per_chart, int charts,
                            uint64_t value_limit = kSyntheticValueLimit) {
  std::string s;
  s.reserve(max_lines * 30);
  size_t lines = 0;
  uint64_t value = 123456789;
  char buf[96];
  for (int c = 0; lines + static_cast<size_t>(sets_per_chart) + 2 <= max_lines;
       c = (c + 1) % charts) {
    s.append(buf, static_cast<size_t>(
                      std::snprintf(buf, sizeof(buf), "BEGIN \"chart_%04d.x\" 1000000\n", c + 1)));
    for (int d = 0; d < sets_per_chart; ++d) {
      value = value * 6364136223846793005ULL + 1442695040888963407ULL;
      s.append(buf, static_cast<size_t>(std::snprintf(
                        buf, sizeof(buf), "SET \"dim_%04d\" = %llu\n", d + 1,
                        static_cast<unsigned long long>((value >> 33) % value_limit))));
    }
    s.append("END\n");
    lines += static_cast<size_t>(sets_per_chart) + 2;
  }
  return s;
}

const std::string& Synthetic() {
  static const std::string* s =
      new std::string(SyntheticStream(kSyntheticLines, kSyntheticSetsPerChart, kSyntheticCharts));
  return *s;
}

const std::string& Capture() {
  static const std::string* s = [] {
    auto* text = new std::string;
    const auto path = testutil::CapturesDir() / "uncompressed" / "conn1.c2s.decoded.txt";
    std::ifstream in(path, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    *text = ss.str();
    if (text->empty()) {
      std::fprintf(stderr, "capture not found: %s\n", path.c_str());
    }
    return text;
  }();
  return *s;
}

// The v1 data lines of the capture (BEGIN, SET, END), in order: real values and ids.
const std::string& CaptureData() {
  static const std::string* s = [] {
    auto* data = new std::string;
    std::string_view rest = Capture();
    while (!rest.empty()) {
      const size_t nl = rest.find('\n');
      const std::string_view line =
          rest.substr(0, nl == std::string_view::npos ? rest.size() : nl + 1);
      rest.remove_prefix(line.size());
      if (line.starts_with("BEGIN ") || line.starts_with("SET ") || line.starts_with("END")) {
        data->append(line);
      }
    }
    return data;
  }();
  return *s;
}

size_t CountLines(std::string_view s) {
  size_t n = 0;
  for (char c : s) {
    n += c == '\n' ? 1 : 0;
  }
  return n;
}

// Decodes `text` in kFeedChunkBytes pieces; false if the decoder closed. `fast_path` false
// measures the general (tokenizer) path alone.
bool DecodeOnce(std::string_view text, CountingEvents* events, bool fast_path = true) {
  LegacyDecoderOptions options;
  options.fast_path = fast_path;
  LegacyDecoder decoder(events, options);
  for (size_t at = 0; at < text.size(); at += kFeedChunkBytes) {
    if (decoder.Feed(text.substr(at, kFeedChunkBytes)) != LegacyDecoder::Result::kOk) {
      std::fprintf(stderr, "decoder closed: %s\n", decoder.status().ToString().c_str());
      return false;
    }
  }
  return true;
}

void DecodeBenchmark(benchmark::State& state, const std::string& text, bool fast_path = true) {
  if (text.empty()) {
    state.SkipWithError("no input");
    return;
  }
  const size_t lines = CountLines(text);
  for (auto _ : state) {
    CountingEvents events;
    if (!DecodeOnce(text, &events, fast_path)) {
      state.SkipWithError("decoder closed");
      return;
    }
    benchmark::DoNotOptimize(events.sum);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * lines));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
  // Seconds per line, printed with an SI prefix ("25.3n" is 25.3 ns per line).
  state.counters["time/line"] =
      benchmark::Counter(static_cast<double>(lines), benchmark::Counter::kIsIterationInvariantRate |
                                                         benchmark::Counter::kInvert);
}

void BM_DecodeCapture(benchmark::State& state) { DecodeBenchmark(state, Capture()); }
BENCHMARK(BM_DecodeCapture)->Unit(benchmark::kMillisecond);

void BM_DecodeCaptureData(benchmark::State& state) { DecodeBenchmark(state, CaptureData()); }
BENCHMARK(BM_DecodeCaptureData)->Unit(benchmark::kMillisecond);

void BM_DecodeSynthetic(benchmark::State& state) { DecodeBenchmark(state, Synthetic()); }
BENCHMARK(BM_DecodeSynthetic)->Unit(benchmark::kMillisecond);

// The same inputs through the general path only (LegacyDecoderOptions::fast_path = false).
void BM_DecodeCaptureGeneral(benchmark::State& state) { DecodeBenchmark(state, Capture(), false); }
BENCHMARK(BM_DecodeCaptureGeneral)->Unit(benchmark::kMillisecond);

void BM_DecodeSyntheticGeneral(benchmark::State& state) {
  DecodeBenchmark(state, Synthetic(), false);
}
BENCHMARK(BM_DecodeSyntheticGeneral)->Unit(benchmark::kMillisecond);

// The pieces, one SET line at a time.
constexpr std::string_view kSetLine = "SET \"dim_0003\" = 123456789";

void BM_SplitSynthetic(benchmark::State& state) {
  const std::string& text = Synthetic();
  const size_t lines = CountLines(text);
  LineSplitter splitter;
  for (auto _ : state) {
    size_t total = 0;
    for (size_t at = 0; at < text.size(); at += kFeedChunkBytes) {
      splitter.Append(std::string_view(text).substr(at, kFeedChunkBytes));
      std::string_view line;
      while (splitter.Next(&line) == Feed::kLine) {
        total += line.size();
      }
    }
    benchmark::DoNotOptimize(total);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * lines));
}
BENCHMARK(BM_SplitSynthetic)->Unit(benchmark::kMillisecond);

// The same with Borrow(): lines are read in place (what LegacyDecoder::Feed() does).
void BM_SplitSyntheticBorrowed(benchmark::State& state) {
  const std::string& text = Synthetic();
  const size_t lines = CountLines(text);
  LineSplitter splitter;
  for (auto _ : state) {
    size_t total = 0;
    for (size_t at = 0; at < text.size(); at += kFeedChunkBytes) {
      splitter.Borrow(std::string_view(text).substr(at, kFeedChunkBytes));
      std::string_view line;
      while (splitter.Next(&line) == Feed::kLine) {
        total += line.size();
      }
      splitter.Release();
    }
    benchmark::DoNotOptimize(total);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * lines));
}
BENCHMARK(BM_SplitSyntheticBorrowed)->Unit(benchmark::kMillisecond);

void BM_TokenizeSetLine(benchmark::State& state) {
  std::string_view words[kMaxWords];
  for (auto _ : state) {
    std::string_view line = kSetLine;
    benchmark::DoNotOptimize(line);
    benchmark::DoNotOptimize(Tokenize(line, words, kMaxWords));
    benchmark::DoNotOptimize(words);
  }
}
BENCHMARK(BM_TokenizeSetLine);

void BM_ParseInt64(benchmark::State& state) {
  for (auto _ : state) {
    std::string_view word = "123456789";
    benchmark::DoNotOptimize(word);
    int64_t v;
    benchmark::DoNotOptimize(ParseInt64(word, &v, IntBase::kAuto));
    benchmark::DoNotOptimize(v);
  }
}
BENCHMARK(BM_ParseInt64);

// --drive mode (see the banner).
bool Flag(std::string_view arg, std::string_view name, std::string_view* value) {
  if (arg.substr(0, name.size()) != name) {
    return false;
  }
  *value = arg.substr(name.size());
  return true;
}

int Drive(int argc, char** argv) {
  std::string_view what;
  int sets = kSyntheticSetsPerChart;
  int charts = kSyntheticCharts;
  size_t lines = kSyntheticLines;
  int repeat = 1;
  bool fast_path = true;
  uint64_t value_limit = kSyntheticValueLimit;
  for (int i = 1; i < argc; ++i) {
    std::string_view v;
    if (Flag(argv[i], "--drive=", &v)) {
      what = v;
    } else if (Flag(argv[i], "--sets=", &v)) {
      sets = std::atoi(std::string(v).c_str());
    } else if (Flag(argv[i], "--charts=", &v)) {
      charts = std::atoi(std::string(v).c_str());
    } else if (Flag(argv[i], "--lines=", &v)) {
      lines = std::strtoull(std::string(v).c_str(), nullptr, 10);
    } else if (Flag(argv[i], "--value-limit=", &v)) {
      value_limit = std::strtoull(std::string(v).c_str(), nullptr, 10);
    } else if (std::string_view(argv[i]) == "--general") {
      fast_path = false;
    } else if (Flag(argv[i], "--repeat=", &v)) {
      repeat = std::atoi(std::string(v).c_str());
    }
  }
  // Build the input outside the measured function.
  const std::string text = what == "capture" ? Capture()
                           : what == "capture-data"
                               ? CaptureData()
                               : SyntheticStream(lines, sets, charts, value_limit);
  CountingEvents events;
  for (int r = 0; r < repeat; ++r) {
    if (!DecodeOnce(text, &events, fast_path)) {
      return 1;
    }
  }
  std::printf("lines=%zu sets=%llu bytes=%zu checksum=%llu\n", CountLines(text),
              static_cast<unsigned long long>(events.sets), text.size(),
              static_cast<unsigned long long>(events.sum));
  return 0;
}

}  // namespace
}  // namespace ndrelay::bridge

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::string_view(argv[i]).starts_with("--drive=")) {
      return ndrelay::bridge::Drive(argc, argv);
    }
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) {
    return 1;
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
