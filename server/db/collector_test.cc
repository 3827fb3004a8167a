#include "server/db/collector.h"

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "gtest/gtest.h"
#include "server/db/ram_store.h"
#include "server/db/storage_number.h"

namespace ndrelay::db {
namespace {

constexpr int64_t kUs = 1000000;
// A second that is a multiple of 1, 2, 5 and 10: the grid of every update_every used here.
constexpr int64_t kT0 = 1795519500;

class RecordingSink final : public PointSink {
 public:
  struct Point {
    size_t dim;
    int64_t time_s;
    double value;
    PointFlags flags;
  };

  void OnPoint(size_t dim, int64_t time_s, double value, PointFlags flags) override {
    points.push_back({dim, time_s, value, flags});
  }
  void OnUpdateEvery(int update_every_s) override {
    update_every_changes.push_back(update_every_s);
  }

  std::vector<Point> Of(size_t dim) const {
    std::vector<Point> out;
    for (const Point& p : points) {
      if (p.dim == dim) {
        out.push_back(p);
      }
    }
    return out;
  }

  std::vector<Point> points;
  std::vector<int> update_every_changes;
};

using Values = std::vector<std::optional<int64_t>>;

// Drives one chart like the v1 stream does. The parent clock (now) advances with the child's
// microseconds, so trusted and clock-derived durations agree unless a test says otherwise.
class Harness {
 public:
  Harness(const ChartConfig& config, const std::vector<DimensionDefinition>& dims) : c(config) {
    for (const DimensionDefinition& d : dims) {
      EXPECT_TRUE(c.AddDimension(d).ok());
    }
  }

  // The chart's first collection; END at now_us. With kT0 + 0.5 s the chart's own alignment
  // (floor to the grid + 0.5 s) lands exactly on now.
  void First(const Values& values, int64_t now_us = kT0 * kUs + kUs / 2) {
    now = now_us;
    SetAll(values);
    c.End(now, sink);
  }

  void Next(uint64_t usec, const Values& values) {
    now += static_cast<int64_t>(usec);
    c.Begin(usec, now);
    SetAll(values);
    c.End(now, sink);
  }

  void SetAll(const Values& values) {
    for (size_t i = 0; i < values.size(); ++i) {
      if (values[i].has_value()) {
        EXPECT_TRUE(c.Set(i, *values[i]));
      }
    }
  }

  ChartCollector c;
  RecordingSink sink;
  int64_t now = 0;
};

DimensionDefinition Def(Algorithm a, int64_t mul = 1, int64_t div = 1, bool detect = true) {
  return DimensionDefinition{a, mul, div, detect};
}

ChartConfig Config(int update_every = 1, StorageMode mode = StorageMode::kRam,
                   bool store_first = false) {
  ChartConfig c;
  c.update_every_s = update_every;
  c.mode = mode;
  c.store_first = store_first;
  return c;
}

// ---- small tables ------------------------------------------------------------------------------

TEST(CollectorTest, NetdataDbEntries) {
  struct Case {
    StorageMode mode;
    int64_t history;
    int64_t entries;
  } cases[] = {
      {StorageMode::kRam, 3600, 4096},  // 14400 bytes round up to 16384
      {StorageMode::kRam, 1024, 1024},  // exactly one page
      {StorageMode::kRam, 1025, 2048},
      {StorageMode::kRam, 1, 1024},  // minimum 5 entries, still one page
      {StorageMode::kNone, 3600, 5},
      {StorageMode::kDbengine, 3600, 0},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(NetdataDbEntries(c.mode, c.history), c.entries) << c.history;
  }
}

TEST(CollectorTest, AlgorithmNames) {
  struct Case {
    const char* name;
    Algorithm algorithm;
  } cases[] = {
      {"absolute", Algorithm::kAbsolute},
      {"incremental", Algorithm::kIncremental},
      {"percentage-of-absolute-row", Algorithm::kPercentageOfAbsoluteRow},
      {"percentage-of-incremental-row", Algorithm::kPercentageOfIncrementalRow},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(ParseAlgorithm(c.name), c.algorithm);
    EXPECT_EQ(AlgorithmName(c.algorithm), c.name);
  }
  EXPECT_EQ(ParseAlgorithm(""), Algorithm::kAbsolute);
  EXPECT_EQ(ParseAlgorithm("Incremental"), Algorithm::kAbsolute);
  EXPECT_EQ(ParseAlgorithm("derivative"), Algorithm::kAbsolute);
}

// ---- algorithms --------------------------------------------------------------------------------

TEST(CollectorTest, AbsoluteAppliesMultiplierAndDivisor) {
  struct Case {
    int64_t mul;
    int64_t div;
    int64_t raw;
    double expected;
  } cases[] = {
      {1, 1, 100, 100},
      {1, 1024, 23877884, 23318.24609375},  // system.ram "free" from the captures
      {-1, 1, 5, -5},
      {8, 1000, 123, 0.984},
      {0, 0, 7, 7},  // 0 means 1
      {1, 3, 10, 10.0 / 3.0},
      {1, 1, -42, -42},
      {1000, 1, std::numeric_limits<int64_t>::max(), 9.223372036854775807e21},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(testing::Message() << c.raw << " * " << c.mul << " / " << c.div);
    Harness h(Config(), {Def(Algorithm::kAbsolute, c.mul, c.div)});
    h.First({c.raw});
    EXPECT_TRUE(h.sink.points.empty()) << "the first collection stores nothing";
    h.Next(kUs, {c.raw});
    ASSERT_EQ(h.sink.points.size(), 1u);
    EXPECT_EQ(h.sink.points[0].time_s, kT0 + 1);
    EXPECT_DOUBLE_EQ(h.sink.points[0].value, c.expected);
    EXPECT_EQ(h.sink.points[0].flags, kPointNone);
  }
}

TEST(CollectorTest, PercentageOfAbsoluteRow) {
  struct Case {
    Values values;
    std::vector<double> expected;  // NaN = gap
  } cases[] = {
      {{1, 3}, {25, 75}},
      {{0, 0}, {0, 0}},  // a zero total gives zeros, not NaN
      {{-1, 3}, {-50, 150}},
      {{5, std::nullopt}, {100, NAN}},  // only updated dimensions count in the total
      {{0, 7}, {0, 100}},
  };
  for (const Case& c : cases) {
    Harness h(Config(),
              {Def(Algorithm::kPercentageOfAbsoluteRow), Def(Algorithm::kPercentageOfAbsoluteRow)});
    h.First({1, 1});
    h.Next(kUs, c.values);
    ASSERT_EQ(h.sink.points.size(), 2u);
    for (size_t i = 0; i < 2; ++i) {
      if (std::isnan(c.expected[i])) {
        EXPECT_EQ(h.sink.points[i].flags, kPointEmpty);
      } else {
        EXPECT_DOUBLE_EQ(h.sink.points[i].value, c.expected[i]) << i;
      }
    }
  }
}

TEST(CollectorTest, PercentageOfIncrementalRow) {
  Harness h(Config(), {Def(Algorithm::kPercentageOfIncrementalRow),
                       Def(Algorithm::kPercentageOfIncrementalRow)});
  h.First({100, 300});
  EXPECT_TRUE(h.sink.points.empty());
  h.Next(kUs, {110, 330});           // deltas 10 and 30: not halved, unlike "incremental"
  h.Next(kUs, {110, 330});           // zero deltas: 0 and 0, not NaN
  h.Next(kUs, {120, std::nullopt});  // b not updated: a is the whole row, b a gap
  const auto a = h.sink.Of(0);
  const auto b = h.sink.Of(1);
  ASSERT_EQ(a.size(), 3u);
  EXPECT_DOUBLE_EQ(a[0].value, 25);
  EXPECT_DOUBLE_EQ(b[0].value, 75);
  EXPECT_EQ(a[1].value, 0);
  EXPECT_EQ(b[1].value, 0);
  EXPECT_EQ(a[1].flags, kPointNone);
  EXPECT_DOUBLE_EQ(a[2].value, 100);
  EXPECT_EQ(b[2].flags, kPointEmpty);
}

// Netdata never stores the first collection; for an incremental dimension the second one is
// half the rate (the collection sits half-way into its grid step, and only the part of the
// increment before the grid point is stored); then the rate is exact.
TEST(CollectorTest, IncrementalFirstPointsAndSteadyRate) {
  struct Case {
    int update_every;
    int64_t mul;
    int64_t div;
    int64_t step;  // raw increase per collection
    std::vector<double> expected;
  } cases[] = {
      {1, 1, 1, 100, {50, 100, 100, 100}},
      {1, 8, 1024, 100, {0.390625, 0.78125, 0.78125, 0.78125}},
      {1, -1, 1, 100, {-50, -100, -100, -100}},
      // update_every 2: per-second rates; the first point covers 1.5 of the 2 seconds.
      {2, 1, 1, 200, {75, 100, 100, 100}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(testing::Message() << "ue " << c.update_every << " mul " << c.mul);
    Harness h(Config(c.update_every), {Def(Algorithm::kIncremental, c.mul, c.div)});
    int64_t raw = 1000;
    h.First({raw});
    EXPECT_TRUE(h.sink.points.empty());
    for (size_t i = 0; i < c.expected.size(); ++i) {
      raw += c.step;
      h.Next(static_cast<uint64_t>(c.update_every) * kUs, {raw});
    }
    ASSERT_EQ(h.sink.points.size(), c.expected.size());
    for (size_t i = 0; i < c.expected.size(); ++i) {
      EXPECT_EQ(h.sink.points[i].time_s, kT0 + c.update_every * static_cast<int64_t>(i + 1));
      EXPECT_DOUBLE_EQ(h.sink.points[i].value, c.expected[i]) << i;
    }
  }
}

// store_first: the first collection is stored at once, on the grid second it falls in. For an
// incremental dimension that first point is the raw counter itself (no previous value).
TEST(CollectorTest, StoreFirstStoresTheFirstCollection) {
  Harness h(Config(1, StorageMode::kRam, /*store_first=*/true),
            {Def(Algorithm::kAbsolute), Def(Algorithm::kIncremental)});
  h.First({42, 1000}, kT0 * kUs + 300000);
  ASSERT_EQ(h.sink.points.size(), 2u);
  EXPECT_EQ(h.sink.points[0].time_s, kT0);
  EXPECT_DOUBLE_EQ(h.sink.points[0].value, 42);
  EXPECT_DOUBLE_EQ(h.sink.points[1].value, 1000);
  // store_first aligns the first collection to the grid second itself (no +0.5 s).
  EXPECT_EQ(h.c.chart_state().last_collected_us, static_cast<uint64_t>(kT0 * kUs));
  h.now = kT0 * kUs;  // keep the parent clock on the chart's time
  h.Next(kUs, {43, 1100});
  ASSERT_EQ(h.sink.points.size(), 4u);
  EXPECT_EQ(h.sink.points[2].time_s, kT0 + 1);
  EXPECT_DOUBLE_EQ(h.sink.points[2].value, 43);
  EXPECT_DOUBLE_EQ(h.sink.points[3].value, 100);
}

// ---- counters: wraps and resets ----------------------------------------------------------------

struct CounterCase {
  const char* name;
  std::vector<int64_t> raws;
  std::vector<double> deltas;  // what Netdata counts per collection after the first
  size_t wrap_round;           // index into deltas of the collection that wrapped or reset
};

// Collections land at grid + 0.5 s, so point k = deltas[k] / 2 + deltas[k - 1] / 2.
TEST(CollectorTest, CounterWrapsAndResets) {
  const CounterCase cases[] = {
      // 32-bit wrap: Netdata counts one less than the true distance (0x7F + 0x80, not 0x100).
      {"32-bit wrap", {0xFFFFFF00, 0xFFFFFF80, 0x80, 0x100}, {128, 255, 128}, 1},
      // A drop too large to be a wrap is a reset: counts 0.
      {"32-bit reset", {1000, 2000, 500, 600}, {1000, 0, 100}, 1},
      // 64-bit: once a value above 2^32 was seen the cap is 2^64 - 1.
      {"64-bit wrap", {-5000000000, -256, 127, 200}, {4999999744, 382, 73}, 1},
      // Only small magnitudes seen: the 32-bit cap is used and the 64-bit wrap looks like a
      // reset.
      {"64-bit wrap seen as 32-bit", {-384, -256, 127, 200}, {128, 0, 73}, 1},
      // A drop from near 2^63 to 0x80 would be an increment of ~9.2e18 > 10% of 2^64: reset.
      {"64-bit reset", {0x7FFFFFFFFFFFFF00, 0x7FFFFFFFFFFFFF80, 0x80, 0x100}, {128, 0, 128}, 1},
  };
  for (const CounterCase& c : cases) {
    for (bool detect : {true, false}) {
      SCOPED_TRACE(testing::Message() << c.name << (detect ? "" : " (noreset)"));
      Harness h(Config(), {Def(Algorithm::kIncremental, 1, 1, detect)});
      h.First({c.raws[0]});
      for (size_t i = 1; i < c.raws.size(); ++i) {
        h.Next(kUs, {c.raws[i]});
      }
      ASSERT_EQ(h.sink.points.size(), c.deltas.size());
      for (size_t k = 0; k < c.deltas.size(); ++k) {
        const double expected = c.deltas[k] / 2 + (k > 0 ? c.deltas[k - 1] / 2 : 0);
        EXPECT_DOUBLE_EQ(h.sink.points[k].value, expected) << k;
        const bool flagged = detect && k == c.wrap_round;
        EXPECT_EQ(h.sink.points[k].flags, flagged ? kPointReset : kPointNone) << k;
      }
    }
  }
}

// The reset flag is chart-wide: every dimension's first point of that round carries it, and only
// the first grid point of the round.
TEST(CollectorTest, ResetFlagIsChartWideAndOnTheFirstPointOnly) {
  Harness h(Config(), {Def(Algorithm::kIncremental), Def(Algorithm::kAbsolute)});
  h.First({1000, 1});
  h.Next(kUs, {2000, 2});
  h.Next(2 * kUs, {500, 3});  // reset; two grid points in this round
  const auto inc = h.sink.Of(0);
  const auto abs = h.sink.Of(1);
  ASSERT_EQ(inc.size(), 3u);
  ASSERT_EQ(abs.size(), 3u);
  EXPECT_EQ(inc[1].flags, kPointReset);
  EXPECT_EQ(abs[1].flags, kPointReset);
  EXPECT_EQ(inc[2].flags, kPointNone);
  EXPECT_EQ(abs[2].flags, kPointNone);
}

TEST(CollectorTest, PercentageOfIncrementalRowDropIsAReset) {
  for (bool detect : {true, false}) {
    Harness h(Config(), {Def(Algorithm::kPercentageOfIncrementalRow, 1, 1, detect),
                         Def(Algorithm::kPercentageOfIncrementalRow)});
    h.First({100, 100});
    h.Next(kUs, {200, 200});
    h.Next(kUs, {150, 300});  // a went backwards: its delta is 0, b gets the whole row
    const auto a = h.sink.Of(0);
    const auto b = h.sink.Of(1);
    ASSERT_EQ(a.size(), 2u);
    EXPECT_EQ(a[1].value, 0);
    EXPECT_DOUBLE_EQ(b[1].value, 100);
    EXPECT_EQ(a[1].flags, detect ? kPointReset : kPointNone);
    EXPECT_EQ(b[1].flags, detect ? kPointReset : kPointNone);
  }
}

// ---- timing and interpolation ------------------------------------------------------------------

TEST(CollectorTest, AbsoluteInterpolatesOnlyGridPointsBeforeTheLastOne) {
  Harness h(Config(), {Def(Algorithm::kAbsolute)});
  h.First({10});
  h.Next(kUs, {20});      // T+1.5: one grid point, the value itself
  h.Next(2200000, {42});  // T+3.7: T+2 interpolated, T+3 the value itself
  const auto p = h.sink.Of(0);
  ASSERT_EQ(p.size(), 3u);
  EXPECT_EQ(p[0].time_s, kT0 + 1);
  EXPECT_DOUBLE_EQ(p[0].value, 20);
  EXPECT_EQ(p[1].time_s, kT0 + 2);
  EXPECT_DOUBLE_EQ(p[1].value, 25);  // 20 + 22 * 0.5 / 2.2
  EXPECT_EQ(p[2].time_s, kT0 + 3);
  EXPECT_DOUBLE_EQ(p[2].value, 42);
}

// A collection several update_every late: the round's earlier grid points are gaps, only the
// newest two get values. Interpolation restarts from the previous grid point, not from the
// previous collection (so T+5 is 40, not the straight-line 55).
TEST(CollectorTest, LateCollectionLeavesGapsThenTwoPoints) {
  Harness h(Config(), {Def(Algorithm::kAbsolute), Def(Algorithm::kIncremental)});
  h.First({10, 0});
  h.Next(kUs, {20, 100});      // T+1.5
  h.Next(5 * kUs, {70, 600});  // T+6.5: grid points T+2 .. T+6
  const auto abs = h.sink.Of(0);
  const auto inc = h.sink.Of(1);
  ASSERT_EQ(abs.size(), 6u);
  ASSERT_EQ(inc.size(), 6u);
  for (size_t i = 1; i <= 3; ++i) {
    EXPECT_EQ(abs[i].time_s, kT0 + 1 + static_cast<int64_t>(i));
    EXPECT_EQ(abs[i].flags, kPointEmpty) << i;
    EXPECT_EQ(inc[i].flags, kPointEmpty) << i;
  }
  EXPECT_DOUBLE_EQ(abs[4].value, 40);
  EXPECT_DOUBLE_EQ(abs[5].value, 70);
  // The rate is preserved for the points that are stored: 500 over 5 s.
  EXPECT_DOUBLE_EQ(inc[4].value, 100);
  EXPECT_DOUBLE_EQ(inc[5].value, 100);
  EXPECT_DOUBLE_EQ(h.c.dimension_state(0).last_stored_value, 70);
}

// A collection exactly on a grid second counts one extra iteration: after a 2 s step the middle
// grid point is a gap, whereas off-grid it gets a value.
TEST(CollectorTest, ExactlyOnGridCollectionQuirk) {
  Harness on(Config(), {Def(Algorithm::kAbsolute)});
  on.First({10});
  on.Next(500000, {20});   // T+1.0 exactly
  on.Next(2 * kUs, {40});  // T+3.0 exactly
  const auto p = on.sink.Of(0);
  ASSERT_EQ(p.size(), 3u);
  EXPECT_EQ(p[0].time_s, kT0 + 1);
  EXPECT_DOUBLE_EQ(p[0].value, 20);
  EXPECT_EQ(p[1].time_s, kT0 + 2);
  EXPECT_EQ(p[1].flags, kPointEmpty);
  EXPECT_DOUBLE_EQ(p[2].value, 40);

  Harness off(Config(), {Def(Algorithm::kAbsolute)});
  off.First({10});
  off.Next(kUs, {20});      // T+1.5
  off.Next(2 * kUs, {40});  // T+3.5
  const auto q = off.sink.Of(0);
  ASSERT_EQ(q.size(), 3u);
  EXPECT_DOUBLE_EQ(q[1].value, 25);  // 20 + (40 - 20) * (2 - 1.5) / (3.5 - 1.5)
  EXPECT_DOUBLE_EQ(q[2].value, 40);
}

TEST(CollectorTest, FirstEndAlignsToTheParentClock) {
  struct Case {
    int update_every;
    int64_t now_us;
    uint64_t last_collected_us;
  } cases[] = {
      {1, kT0 * kUs + 123456, kT0 * kUs + 500000},
      {1, (kT0 + 7) * kUs + 999999, (kT0 + 7) * kUs + 500000},
      {10, (kT0 + 7) * kUs + 1, kT0 * kUs + 500000},
      {5, (kT0 + 12) * kUs, (kT0 + 10) * kUs + 500000},
  };
  for (const Case& c : cases) {
    ChartCollector chart(Config(c.update_every));
    ASSERT_TRUE(chart.AddDimension(Def(Algorithm::kAbsolute)).ok());
    RecordingSink sink;
    chart.Begin(777, c.now_us);  // ignored: nothing collected yet
    chart.Set(0, 1);
    chart.End(c.now_us, sink);
    EXPECT_TRUE(sink.points.empty());
    EXPECT_EQ(chart.chart_state().last_collected_us, c.last_collected_us);
    EXPECT_EQ(chart.chart_state().last_updated_us,
              c.last_collected_us - c.last_collected_us % (c.update_every * kUs));
    EXPECT_EQ(chart.collections_done(), 1u);
  }
}

// BEGIN 0: the parent measures the time since the last collection on its own clock, as an
// absolute difference (a chart stamped ahead of the clock moves further ahead).
TEST(CollectorTest, BeginZeroUsesTheParentClock) {
  Harness h(Config(), {Def(Algorithm::kAbsolute)});
  h.First({1});  // LC = T+0.5
  h.c.Begin(0, kT0 * kUs + 1800000);
  h.c.Set(0, 2);
  h.c.End(kT0 * kUs + 1800000, h.sink);
  EXPECT_EQ(h.c.chart_state().last_collected_us, static_cast<uint64_t>(kT0 * kUs + 1800000));
  h.c.Begin(0, kT0 * kUs + 1600000);  // the clock is 0.2 s behind LC
  h.c.Set(0, 3);
  h.c.End(kT0 * kUs + 1600000, h.sink);
  EXPECT_EQ(h.c.chart_state().last_collected_us, static_cast<uint64_t>(kT0 * kUs + 2000000));
}

// A new dimension (or CHART again) sets "sync clock": the next BEGIN's microseconds are replaced
// by the parent's clock once; then they are trusted again. Replication ending clears it.
TEST(CollectorTest, SyncClockDiscardsMicrosecondsOnce) {
  Harness h(Config(), {Def(Algorithm::kAbsolute)});
  h.First({1});
  EXPECT_TRUE(h.c.sync_clock());
  h.Next(kUs, {2});  // clock and microseconds agree here
  EXPECT_FALSE(h.c.sync_clock());
  ASSERT_TRUE(h.c.AddDimension(Def(Algorithm::kAbsolute)).ok());
  EXPECT_TRUE(h.c.sync_clock());

  const uint64_t lc = h.c.chart_state().last_collected_us;
  h.c.Begin(kUs, static_cast<int64_t>(lc) + 1400000);  // 1 s claimed, 1.4 s on the clock
  h.c.End(static_cast<int64_t>(lc) + 1400000, h.sink);
  EXPECT_EQ(h.c.chart_state().last_collected_us, lc + 1400000);
  h.c.Begin(kUs, 0);  // trusted: the clock is not even looked at
  h.c.End(0, h.sink);
  EXPECT_EQ(h.c.chart_state().last_collected_us, lc + 2400000);

  RecordingSink sink;
  h.c.Redefine(Config(), sink);
  EXPECT_TRUE(h.c.sync_clock());
  // REND true without replication in progress does not clear it...
  h.c.ReplayEnd(true, 1, sink);
  EXPECT_TRUE(h.c.sync_clock());
  // ...but ending a replication does.
  EXPECT_TRUE(h.c.StartReplication());
  EXPECT_FALSE(h.c.StartReplication());
  h.c.ReplayEnd(false, 1, sink);
  EXPECT_TRUE(h.c.replication_in_progress());
  EXPECT_TRUE(h.c.sync_clock());
  h.c.ReplayEnd(true, 1, sink);
  EXPECT_FALSE(h.c.replication_in_progress());
  EXPECT_FALSE(h.c.sync_clock());

  // Changing a dimension's algorithm/multiplier/divisor sets it; an identical DIMENSION does not.
  EXPECT_TRUE(h.c.UpdateDimension(0, Def(Algorithm::kAbsolute)));
  EXPECT_FALSE(h.c.sync_clock());
  EXPECT_TRUE(h.c.UpdateDimension(0, Def(Algorithm::kAbsolute, 1, 1024)));
  EXPECT_TRUE(h.c.sync_clock());
  EXPECT_FALSE(h.c.UpdateDimension(9, Def(Algorithm::kAbsolute)));
}

// A collection too long after the previous one resets the chart: nothing is stored for it, the
// clock is re-aligned, and every dimension needs two collections again.
TEST(CollectorTest, TooLongSinceLastCollectionResetsTheChart) {
  struct Case {
    StorageMode mode;
    uint64_t gap_us;
    bool resets;
  } cases[] = {
      {StorageMode::kDbengine, 60 * kUs, false},
      {StorageMode::kDbengine, 61 * kUs, true},
      // ram: 3600 entries round up to 4096; the collection lands 0.5 s past the grid, so the
      // "whole database rewritten" check fires once the gap exceeds 4095.5 s.
      {StorageMode::kRam, 4095 * kUs, false},
      {StorageMode::kRam, 4096 * kUs, true},
      // "none" keeps 5 entries: more than 5 s behind the last grid point rewrites everything.
      {StorageMode::kNone, 4 * kUs, false},
      {StorageMode::kNone, 10 * kUs, true},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(testing::Message() << StorageModeName(c.mode) << " " << c.gap_us);
    Harness h(Config(1, c.mode), {Def(Algorithm::kIncremental)});
    h.First({0});
    h.Next(kUs, {100});
    h.Next(kUs, {200});
    const size_t before = h.sink.points.size();
    h.Next(c.gap_us, {300});
    if (c.resets) {
      EXPECT_EQ(h.sink.points.size(), before) << "nothing stored in a reset round";
      EXPECT_EQ(h.c.dimension_collections(0), 0u);
    } else {
      EXPECT_GT(h.sink.points.size(), before);
      EXPECT_EQ(h.c.dimension_collections(0), 4u);
    }
  }
}

TEST(CollectorTest, RecoversAfterAResetLikeANewChart) {
  Harness h(Config(1, StorageMode::kDbengine), {Def(Algorithm::kIncremental)});
  h.First({0});
  h.Next(kUs, {100});
  h.Next(100 * kUs, {1000});  // reset; re-aligned to the END clock + 0.5 s
  EXPECT_EQ(h.c.chart_state().last_collected_us, static_cast<uint64_t>(h.now / kUs * kUs + 500000));
  const size_t before = h.sink.points.size();
  h.Next(kUs, {1100});  // collections 1: a gap
  h.Next(kUs, {1200});  // collections 2: half the rate, like a new chart
  const auto p = h.sink.Of(0);
  ASSERT_EQ(p.size(), before + 2);
  EXPECT_EQ(p[before].flags, kPointEmpty);
  EXPECT_DOUBLE_EQ(p[before + 1].value, 50);
}

// ---- definitions -------------------------------------------------------------------------------

TEST(CollectorTest, DimensionIndexesAndLimits) {
  ChartCollector chart(Config());
  for (size_t i = 0; i < kMaxDimensionsPerChart; ++i) {
    auto idx = chart.AddDimension(Def(Algorithm::kAbsolute));
    ASSERT_TRUE(idx.ok());
    ASSERT_EQ(*idx, i);
  }
  EXPECT_EQ(chart.AddDimension(Def(Algorithm::kAbsolute)).status().code(),
            absl::StatusCode::kResourceExhausted);
  EXPECT_FALSE(chart.Set(kMaxDimensionsPerChart, 1));
  EXPECT_TRUE(chart.Set(kMaxDimensionsPerChart - 1, 1));
}

TEST(CollectorTest, RedefinitionChangesUpdateEvery) {
  RecordingSink sink;
  ChartCollector chart(Config(1));
  chart.Redefine(Config(5), sink);
  EXPECT_EQ(chart.update_every_s(), 5);
  chart.Redefine(Config(5, StorageMode::kRam, true), sink);
  EXPECT_TRUE(chart.store_first());
  chart.Redefine(Config(0), sink);  // clamped to 1
  EXPECT_EQ(chart.update_every_s(), 1);
  EXPECT_EQ(sink.update_every_changes, (std::vector<int>{5, 1}));
}

// ---- replication -------------------------------------------------------------------------------

TEST(CollectorTest, ReplayPointValidation) {
  struct Case {
    int64_t start;
    int64_t end;
    int64_t wall;  // child's; <= 0 means absent
    int64_t now;
    ReplayBegin expected;
  } cases[] = {
      {kT0, kT0 + 1, kT0 + 1, kT0 + 99, ReplayBegin::kAccepted},
      {kT0, kT0 + 1, kT0, kT0 + 1, ReplayBegin::kAccepted},                // end < wall + ue + 1
      {kT0, kT0 + 1, kT0 - 1, kT0 + 1, ReplayBegin::kRejectedTimestamps},  // end == wall + 2
      {kT0, kT0 + 1, 0, kT0 - 4, ReplayBegin::kAccepted},  // parent clock, tolerance 6
      {kT0, kT0 + 1, 0, kT0 - 5, ReplayBegin::kRejectedTimestamps},
      {kT0 + 1, kT0 + 1, kT0 + 5, 0, ReplayBegin::kRejectedTimestamps},  // start == end
      {kT0 + 2, kT0 + 1, kT0 + 5, 0, ReplayBegin::kRejectedTimestamps},  // reversed
      {0, kT0, kT0, kT0, ReplayBegin::kRejectedTimestamps},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(testing::Message() << c.start << ".." << c.end << " wall " << c.wall);
    ChartCollector chart(Config());
    ASSERT_TRUE(chart.AddDimension(Def(Algorithm::kAbsolute)).ok());
    RecordingSink sink;
    EXPECT_EQ(chart.ReplayPoint(c.start, c.end, c.wall, c.now, sink), c.expected);
    const bool stored = chart.ReplaySet(0, 1.5, kPointNone, sink);
    EXPECT_EQ(stored, c.expected == ReplayBegin::kAccepted);
    if (stored) {
      ASSERT_EQ(sink.points.size(), 1u);
      EXPECT_EQ(sink.points[0].time_s, c.end);
      EXPECT_EQ(chart.chart_state().last_collected_us, static_cast<uint64_t>(c.end * kUs));
      EXPECT_EQ(chart.chart_state().last_updated_us, static_cast<uint64_t>(c.end * kUs));
    }
  }
}

TEST(CollectorTest, ReplaySetStoresAsIs) {
  ChartCollector chart(Config());
  ASSERT_TRUE(chart.AddDimension(Def(Algorithm::kIncremental)).ok());
  RecordingSink sink;
  chart.ReplayHeader();
  EXPECT_FALSE(chart.ReplaySet(0, 1.0, kPointNone, sink)) << "no timed RBEGIN yet";
  ASSERT_EQ(chart.ReplayPoint(kT0, kT0 + 1, kT0 + 10, 0, sink), ReplayBegin::kAccepted);
  EXPECT_TRUE(chart.ReplaySet(0, 3.5353540, kPointNone, sink));
  ASSERT_EQ(chart.ReplayPoint(kT0 + 1, kT0 + 2, kT0 + 10, 0, sink), ReplayBegin::kAccepted);
  EXPECT_TRUE(chart.ReplaySet(0, 7.0, kPointReset, sink));
  ASSERT_EQ(chart.ReplayPoint(kT0 + 2, kT0 + 3, kT0 + 10, 0, sink), ReplayBegin::kAccepted);
  EXPECT_TRUE(chart.ReplaySet(0, std::nan(""), kPointNone, sink));  // "NAN"
  ASSERT_EQ(chart.ReplayPoint(kT0 + 3, kT0 + 4, kT0 + 10, 0, sink), ReplayBegin::kAccepted);
  EXPECT_TRUE(chart.ReplaySet(0, 9.0, kPointEmpty | kPointReset, sink));  // "E" wins
  EXPECT_FALSE(chart.ReplaySet(1, 9.0, kPointNone, sink));
  // A rejected point disables RSET until the next accepted one.
  EXPECT_EQ(chart.ReplayPoint(kT0 + 4, kT0 + 4, kT0 + 10, 0, sink),
            ReplayBegin::kRejectedTimestamps);
  EXPECT_FALSE(chart.ReplaySet(0, 1.0, kPointNone, sink));

  ASSERT_EQ(sink.points.size(), 4u);
  EXPECT_EQ(sink.points[0].time_s, kT0 + 1);
  EXPECT_DOUBLE_EQ(sink.points[0].value, 3.535354);
  EXPECT_EQ(sink.points[1].flags, kPointReset);
  EXPECT_EQ(sink.points[2].flags, kPointEmpty);
  EXPECT_EQ(sink.points[3].flags, kPointEmpty);
  EXPECT_TRUE(std::isnan(sink.points[3].value));
  // RSET counts as a collection (so live data right after replication is stored at once).
  EXPECT_EQ(chart.dimension_collections(0), 4u);
  EXPECT_EQ(chart.dimension_state(0).last_collected_us, static_cast<uint64_t>((kT0 + 4) * kUs));
  // Replication does not go through the algorithm: state values are untouched.
  EXPECT_EQ(chart.dimension_state(0).last_collected_value, 0);
}

TEST(CollectorTest, ReplayPointFollowsTheChildsUpdateEvery) {
  ChartCollector chart(Config(1));
  RecordingSink sink;
  ASSERT_EQ(chart.ReplayPoint(kT0, kT0 + 5, kT0 + 5, 0, sink), ReplayBegin::kAccepted);
  EXPECT_EQ(chart.update_every_s(), 5);
  chart.ReplayEnd(true, 2, sink);
  EXPECT_EQ(chart.update_every_s(), 2);
  chart.ReplayEnd(true, 0, sink);  // ignored
  EXPECT_EQ(chart.update_every_s(), 2);
  EXPECT_EQ(sink.update_every_changes, (std::vector<int>{5, 2}));
}

TEST(CollectorTest, StateReplayOnlyMovesTimesForward) {
  ChartCollector chart(Config());
  ASSERT_TRUE(chart.AddDimension(Def(Algorithm::kIncremental)).ok());
  chart.ApplyChartState({kT0 * kUs + 489105, kT0 * kUs});
  EXPECT_EQ(chart.collections_done(), 1u);
  chart.ApplyChartState({kT0 * kUs - 5, kT0 * kUs - 5});
  EXPECT_EQ(chart.chart_state().last_collected_us, static_cast<uint64_t>(kT0 * kUs + 489105));
  EXPECT_EQ(chart.chart_state().last_updated_us, static_cast<uint64_t>(kT0 * kUs));
  EXPECT_EQ(chart.collections_done(), 2u);

  EXPECT_TRUE(chart.ApplyDimensionState(0, {kT0 * kUs + 7, 27644, 47.5, 46.5}));
  EXPECT_TRUE(chart.ApplyDimensionState(0, {kT0 * kUs, 27700, 1.25, 2.5}));
  const DimensionState s = chart.dimension_state(0);
  EXPECT_EQ(s.last_collected_us, static_cast<uint64_t>(kT0 * kUs + 7));  // kept: older given
  EXPECT_EQ(s.last_collected_value, 27700);                              // values: replaced
  EXPECT_DOUBLE_EQ(s.last_calculated_value, 1.25);
  EXPECT_DOUBLE_EQ(s.last_stored_value, 2.5);
  EXPECT_FALSE(chart.ApplyDimensionState(3, {}));
}

// A parent that replays the child's last point and collection state continues exactly like a
// parent that never stopped: the same points, bit for bit.
TEST(CollectorTest, ReplicationStateContinuesLikeAnUninterruptedRun) {
  const std::vector<DimensionDefinition> dims = {
      Def(Algorithm::kIncremental, 8, 1024),       Def(Algorithm::kAbsolute, 1, 1000),
      Def(Algorithm::kPercentageOfIncrementalRow), Def(Algorithm::kPercentageOfIncrementalRow),
      Def(Algorithm::kPercentageOfAbsoluteRow),    Def(Algorithm::kPercentageOfAbsoluteRow),
  };
  // Deterministic pseudo-random collections with jittered spacing.
  std::vector<std::pair<uint64_t, Values>> rounds;
  uint64_t x = 88172645463325252ull;
  auto next = [&x] {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return x;
  };
  int64_t counter = 1000000, idle = 5000, busy = 300;
  for (int i = 0; i < 40; ++i) {
    counter += static_cast<int64_t>(next() % 100000);
    idle += static_cast<int64_t>(next() % 200);
    busy += static_cast<int64_t>(next() % 50);
    const uint64_t usec = 1000000 + next() % 40 - 20;
    rounds.push_back({usec,
                      {counter, static_cast<int64_t>(next() % 100000), busy, idle,
                       static_cast<int64_t>(next() % 10), static_cast<int64_t>(next() % 10)}});
  }

  // A: the parent that never stopped.
  Harness a(Config(), dims);
  a.First(rounds[0].second);
  constexpr size_t kSwitch = 20;
  for (size_t i = 1; i < kSwitch; ++i) {
    a.Next(rounds[i].first, rounds[i].second);
  }

  // B: a fresh parent. CHART_DEFINITION_END, then the child's reply to REPLAY_CHART: its last
  // point (RBEGIN '' + RSET at A's last grid second), RDSTATE per dimension, RSSTATE, REND true.
  Harness b(Config(), dims);
  ASSERT_TRUE(b.c.StartReplication());
  b.c.ReplayHeader();
  const ChartState chart_state = a.c.chart_state();
  const int64_t last_s = static_cast<int64_t>(chart_state.last_updated_us) / kUs;
  ASSERT_EQ(b.c.ReplayPoint(last_s - 1, last_s, last_s + 1, 0, b.sink), ReplayBegin::kAccepted);
  for (size_t d = 0; d < dims.size(); ++d) {
    ASSERT_TRUE(b.c.ReplaySet(d, a.c.dimension_state(d).last_stored_value, kPointNone, b.sink));
  }
  for (size_t d = 0; d < dims.size(); ++d) {
    ASSERT_TRUE(b.c.ApplyDimensionState(d, a.c.dimension_state(d)));
  }
  b.c.ApplyChartState(chart_state);
  b.c.ReplayEnd(true, 1, b.sink);
  b.now = a.now;

  const size_t a_mark = a.sink.points.size();
  const size_t b_mark = b.sink.points.size();
  for (size_t i = kSwitch; i < rounds.size(); ++i) {
    a.Next(rounds[i].first, rounds[i].second);
    b.Next(rounds[i].first, rounds[i].second);
  }
  ASSERT_EQ(a.sink.points.size() - a_mark, b.sink.points.size() - b_mark);
  ASSERT_GT(a.sink.points.size() - a_mark, 100u);
  for (size_t i = 0; i < a.sink.points.size() - a_mark; ++i) {
    const auto& pa = a.sink.points[a_mark + i];
    const auto& pb = b.sink.points[b_mark + i];
    ASSERT_EQ(pa.dim, pb.dim);
    ASSERT_EQ(pa.time_s, pb.time_s);
    ASSERT_EQ(pa.flags, pb.flags);
    ASSERT_EQ(pa.value, pb.value) << "dim " << pa.dim << " at " << pa.time_s;
  }
}

// The one-pass round (EndOnePoint, with its straight path for steady dimensions) against the
// general g-h, i, j steps that every END takes with one_pass_rounds off: the same points bit for
// bit, and the same state after, over random charts (every algorithm, multipliers and divisors,
// reset detection on and off, update_every 1, 2 and 5, store_first) and rounds (counter steps,
// 32-bit wraps, resets, 64-bit counters, negative absolute values, dimensions left out of a
// round, collections on time, on the grid, jittered, late, early and with BEGIN 0).
TEST(CollectorTest, OnePassRoundsEqualTheGeneralPath) {
  std::mt19937_64 rng(20261128);
  auto below = [&rng](uint64_t n) { return rng() % n; };
  constexpr Algorithm kSteady[] = {Algorithm::kAbsolute, Algorithm::kIncremental};
  constexpr Algorithm kRow[] = {Algorithm::kPercentageOfAbsoluteRow,
                                Algorithm::kPercentageOfIncrementalRow};
  constexpr std::pair<int64_t, int64_t> kScales[] = {{1, 1},  {1, 1},    {1, 1},   {100, 3},
                                                     {-1, 1}, {8, 1024}, {1, 1000}};
  constexpr int kUpdateEvery[] = {1, 1, 1, 2, 5};
  constexpr uint64_t k32 = uint64_t{1} << 32;
  size_t points = 0;
  for (int chart = 0; chart < 300; ++chart) {
    ChartConfig one_pass = Config(kUpdateEvery[below(5)], StorageMode::kRam, below(4) == 0);
    ChartConfig general = one_pass;
    general.one_pass_rounds = false;
    ChartCollector a(one_pass);
    ChartCollector b(general);
    const size_t n = 1 + below(8);
    const bool with_rows = below(6) == 0;
    // Always on time: with store_first every collection is then exactly on the grid (Netdata's
    // one-more-iteration quirk, which interpolates absolute values too).
    const bool on_time = below(3) == 0;
    std::vector<int64_t> counter(n);
    std::vector<bool> wraps32(n);
    for (size_t i = 0; i < n; ++i) {
      const Algorithm algorithm = with_rows && below(2) == 0 ? kRow[below(2)] : kSteady[below(2)];
      const auto [mul, div] = kScales[below(7)];
      const DimensionDefinition def = Def(algorithm, mul, div, below(4) != 0);
      ASSERT_TRUE(a.AddDimension(def).ok());
      ASSERT_TRUE(b.AddDimension(def).ok());
      wraps32[i] = below(3) == 0;
      counter[i] = static_cast<int64_t>(wraps32[i]      ? k32 - 1 - below(5000)
                                        : below(5) == 0 ? (int64_t{1} << 40) + below(1000)
                                                        : below(100000));
    }
    RecordingSink sink_a;
    RecordingSink sink_b;
    const int64_t ue_us = static_cast<int64_t>(a.update_every_s()) * kUs;
    int64_t now =
        kT0 * kUs + (on_time ? 0 : static_cast<int64_t>(below(static_cast<uint64_t>(ue_us))));
    for (int round = 0; round < 80; ++round) {
      uint64_t usec = static_cast<uint64_t>(ue_us);
      int64_t advance = ue_us;
      switch (on_time ? 12 : below(12)) {
        case 0:  // jitter
          usec += below(kUs / 3);
          advance = static_cast<int64_t>(usec);
          break;
        case 1:
          usec -= below(kUs / 3);
          advance = static_cast<int64_t>(usec);
          break;
        case 2:  // late: several grid points in one round
          usec *= 2 + below(3);
          advance = static_cast<int64_t>(usec);
          break;
        case 3:  // BEGIN 0: the parent's clock
          usec = 0;
          break;
        default:
          break;
      }
      now += advance;
      if (round > 0) {
        a.Begin(usec, now);
        b.Begin(usec, now);
      }
      for (size_t i = 0; i < n; ++i) {
        if (below(16) == 0) {
          continue;  // not collected this round
        }
        switch (below(40)) {
          case 0:  // a reset
            counter[i] = static_cast<int64_t>(below(100));
            break;
          case 1:  // a negative (absolute) value
            counter[i] = -static_cast<int64_t>(below(100000));
            break;
          default:
            counter[i] += static_cast<int64_t>(below(3) == 0 ? 0 : below(10000));
            if (wraps32[i]) {
              counter[i] = static_cast<int64_t>(static_cast<uint64_t>(counter[i]) % k32);
            }
            break;
        }
        ASSERT_TRUE(a.Set(i, counter[i]));
        ASSERT_TRUE(b.Set(i, counter[i]));
      }
      a.End(now, sink_a);
      b.End(now, sink_b);
    }
    ASSERT_EQ(sink_a.points.size(), sink_b.points.size()) << "chart " << chart;
    for (size_t p = 0; p < sink_a.points.size(); ++p) {
      const RecordingSink::Point& pa = sink_a.points[p];
      const RecordingSink::Point& pb = sink_b.points[p];
      uint64_t bits_a;
      uint64_t bits_b;
      std::memcpy(&bits_a, &pa.value, sizeof bits_a);
      std::memcpy(&bits_b, &pb.value, sizeof bits_b);
      ASSERT_TRUE(pa.dim == pb.dim && pa.time_s == pb.time_s && pa.flags == pb.flags &&
                  (bits_a == bits_b || (std::isnan(pa.value) && std::isnan(pb.value))))
          << "chart " << chart << " point " << p << ": dim " << pa.dim << "/" << pb.dim << " at "
          << pa.time_s << "/" << pb.time_s << ": " << pa.value << "/" << pb.value << " flags "
          << int{pa.flags} << "/" << int{pb.flags};
    }
    points += sink_a.points.size();
    for (size_t i = 0; i < n; ++i) {
      const DimensionState sa = a.dimension_state(i);
      const DimensionState sb = b.dimension_state(i);
      EXPECT_EQ(sa.last_collected_us, sb.last_collected_us);
      EXPECT_EQ(sa.last_collected_value, sb.last_collected_value);
      EXPECT_EQ(std::memcmp(&sa.last_calculated_value, &sb.last_calculated_value, 8), 0);
      EXPECT_TRUE(std::memcmp(&sa.last_stored_value, &sb.last_stored_value, 8) == 0 ||
                  (std::isnan(sa.last_stored_value) && std::isnan(sb.last_stored_value)));
    }
    EXPECT_EQ(a.chart_state().last_updated_us, b.chart_state().last_updated_us);
  }
  EXPECT_GT(points, 300u * 60u);
}

// ---- v2 ----------------------------------------------------------------------------------------

TEST(CollectorTest, V2StoresTheGivenValueAtTheGivenTime) {
  ChartCollector chart(Config(1));
  ASSERT_TRUE(chart.AddDimension(Def(Algorithm::kIncremental)).ok());
  RecordingSink sink;
  chart.BeginV2(2, kT0 + 2, sink);
  EXPECT_TRUE(chart.SetV2(0, 123456, 61.5, kPointNone, sink));
  EXPECT_FALSE(chart.SetV2(1, 1, 1.0, kPointNone, sink));
  chart.EndV2();
  chart.BeginV2(2, kT0 + 4, sink);
  EXPECT_TRUE(chart.SetV2(0, 123460, std::nan(""), kPointNone, sink));
  chart.EndV2();
  ASSERT_EQ(sink.points.size(), 2u);
  EXPECT_EQ(sink.points[0].time_s, kT0 + 2);
  EXPECT_EQ(sink.points[0].value, 61.5);
  EXPECT_EQ(sink.points[1].flags, kPointEmpty);
  EXPECT_EQ(sink.update_every_changes, std::vector<int>{2});
  EXPECT_EQ(chart.chart_state().last_collected_us, static_cast<uint64_t>((kT0 + 4) * kUs));
  EXPECT_EQ(chart.dimension_state(0).last_collected_value, 123460);
  EXPECT_EQ(chart.collections_done(), 2u);
}

TEST(CollectorTest, ChartStoreSinkForwardsToTheChartStore) {
  RamChart store(100, 1);
  ASSERT_TRUE(store.AddDimension("a").ok());
  ASSERT_TRUE(store.AddDimension("b").ok());
  ChartStoreSink sink(&store);
  // OnPoint: Store() of that dimension.
  sink.OnPoint(0, kT0, 1.0, kPointNone);
  sink.OnPoint(1, kT0, 3.0, kPointReset);
  sink.OnPoint(7, kT0, 4.0, kPointNone);  // unknown: ignored
  EXPECT_EQ(store.last_time_s(0), kT0);
  EXPECT_EQ(store.last_time_s(1), kT0);
  EXPECT_EQ(store.dropped_points(), 0u);
  // OnRow: StoreRow() (n above the dimension count is clamped).
  const double values[] = {5.0, 6.0, 7.0};
  const PointFlags flags[] = {kPointNone, kPointEmpty, kPointNone};
  sink.OnRow(kT0 + 1, values, flags, 3);
  EXPECT_EQ(store.last_time_s(0), kT0 + 1);
  EXPECT_EQ(store.last_time_s(1), kT0 + 1);
  std::vector<std::pair<double, PointFlags>> got;
  for (size_t dim = 0; dim < 2; ++dim) {
    store.Query(dim, kT0, kT0 + 1, [&](int64_t, double v, PointFlags f) {
      got.emplace_back(v, f);
      return true;
    });
  }
  ASSERT_EQ(got.size(), 4u);
  EXPECT_EQ(got[0], std::make_pair(1.0, kPointNone));
  EXPECT_EQ(got[1], std::make_pair(5.0, kPointNone));
  EXPECT_EQ(got[2], std::make_pair(3.0, kPointReset));
  EXPECT_TRUE(std::isnan(got[3].first));
  EXPECT_EQ(got[3].second, kPointEmpty);
  // A row at a time already stored is dropped like n single points.
  sink.OnRow(kT0 + 1, values, flags, 2);
  EXPECT_EQ(store.dropped_points(), 2u);
  // OnUpdateEvery: SetUpdateEvery().
  sink.OnUpdateEvery(2);
  EXPECT_EQ(store.update_every_s(), 2);
  EXPECT_EQ(store.last_time_s(0), 0);

  // No store: every call is a no-op.
  ChartStoreSink none(nullptr);
  none.OnPoint(0, kT0, 1.0, kPointNone);
  none.OnRow(kT0, values, flags, 3);
  none.OnUpdateEvery(5);
}

// A collector's rounds reach a ChartStoreSink as whole rows (StoreRow): the store ends up with
// exactly the points the collector produced (as storage numbers), gaps included.
TEST(CollectorTest, CollectorRoundsLandInAChartStore) {
  RamChart store(100, 1);
  ChartCollector chart(Config(1));
  ChartCollector twin(Config(1));
  const Algorithm algorithms[] = {Algorithm::kAbsolute, Algorithm::kIncremental,
                                  Algorithm::kPercentageOfAbsoluteRow};
  for (Algorithm a : algorithms) {
    ASSERT_TRUE(chart.AddDimension(Def(a, 3, 7)).ok());
    ASSERT_TRUE(twin.AddDimension(Def(a, 3, 7)).ok());
    ASSERT_TRUE(store.AddDimension(AlgorithmName(a)).ok());
  }
  ChartStoreSink sink(&store);
  RecordingSink recorded;
  int64_t now = kT0 * kUs + kUs / 2;
  for (int64_t k = 0; k < 8; ++k) {
    const uint64_t usec = kUs + (k % 3 == 2 ? kUs / 3 : 0);
    if (k > 0) {
      now += static_cast<int64_t>(usec);
      chart.Begin(usec, now);
      twin.Begin(usec, now);
    }
    for (size_t d = 0; d < 3; ++d) {
      if (d == 2 && k == 4) {
        continue;  // not collected this round
      }
      const int64_t v = static_cast<int64_t>(1000 * (d + 1)) + k * k * 17;
      EXPECT_TRUE(chart.Set(d, v));
      EXPECT_TRUE(twin.Set(d, v));
    }
    chart.End(now, sink);
    twin.End(now, recorded);
  }
  EXPECT_EQ(store.dropped_points(), 0u);
  for (size_t d = 0; d < 3; ++d) {
    SCOPED_TRACE(d);
    const auto want = recorded.Of(d);
    ASSERT_GT(want.size(), 5u);
    std::vector<RecordingSink::Point> got;
    store.Query(d, 0, std::numeric_limits<int64_t>::max(), [&](int64_t t, double v, PointFlags f) {
      got.push_back({d, t, v, f});
      return true;
    });
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < got.size(); ++i) {
      EXPECT_EQ(got[i].time_s, want[i].time_s) << i;
      const StorageNumber packed = PackStorageNumber(want[i].value, want[i].flags);
      EXPECT_EQ(got[i].flags, StorageNumberFlags(packed)) << i;
      if (StorageNumberFlags(packed) != kPointEmpty) {
        EXPECT_EQ(got[i].value, UnpackStorageNumber(packed)) << i;
      }
    }
  }
}

// ---- real Netdata 1.37.1 captures --------------------------------------------------------------

std::string ReadTestData(const std::string& name) {
  std::ifstream in(std::string(NDRELAY_DB_TESTDATA) + "/" + name);
  EXPECT_TRUE(in.good()) << name;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The stream tokenizer, reduced to what these lines need: separators are space and '=', a word
// starting with a quote runs to the same quote.
std::vector<std::string> Words(const std::string& line) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < line.size()) {
    if (line[i] == ' ' || line[i] == '=') {
      ++i;
      continue;
    }
    if (line[i] == '"' || line[i] == '\'') {
      const char q = line[i];
      const size_t end = line.find(q, i + 1);
      out.push_back(line.substr(i + 1, end - i - 1));
      i = end == std::string::npos ? line.size() : end + 1;
      continue;
    }
    const size_t end = line.find_first_of(" =", i);
    out.push_back(line.substr(i, end == std::string::npos ? std::string::npos : end - i));
    i = end == std::string::npos ? line.size() : end;
  }
  return out;
}

// Feeds capture lines of several charts to one ChartCollector each, like the parent's receiver.
class CaptureReplayer {
 public:
  struct Chart {
    std::unique_ptr<ChartCollector> collector;
    std::map<std::string, size_t> dims;
    std::vector<std::string> dim_names;
  };

  // mode/history: the parent's db settings. sink_for: the sink of each chart.
  CaptureReplayer(StorageMode mode, std::map<std::string, PointSink*> sinks)
      : mode_(mode), sinks_(std::move(sinks)) {}

  void Feed(const std::string& text) {
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
      if (!line.empty()) {
        Line(Words(line));
      }
    }
  }

  Chart& chart(const std::string& id) { return charts_[id]; }
  size_t lines() const { return lines_; }

 private:
  void Line(const std::vector<std::string>& w) {
    ++lines_;
    const std::string& cmd = w[0];
    if (cmd == "CHART") {
      scope_ = w[1];
      ChartConfig config;
      config.update_every_s = std::atoi(w[9].c_str());
      config.store_first = w[10].find("store_first") != std::string::npos;
      config.mode = mode_;
      Chart& c = charts_[w[1]];
      if (c.collector == nullptr) {
        c.collector = std::make_unique<ChartCollector>(config);
      } else {
        c.collector->Redefine(config, sink());
      }
    } else if (cmd == "DIMENSION") {
      DimensionDefinition def;
      def.algorithm = ParseAlgorithm(w[3]);
      def.multiplier = std::strtoll(w[4].c_str(), nullptr, 0);
      def.divisor = std::strtoll(w[5].c_str(), nullptr, 0);
      def.detect_resets =
          w[6].find("noreset") == std::string::npos && w[6].find("nooverflow") == std::string::npos;
      Chart& c = charts_[scope_];
      auto it = c.dims.find(w[1]);
      if (it == c.dims.end()) {
        auto idx = c.collector->AddDimension(def);
        ASSERT_TRUE(idx.ok());
        c.dims[w[1]] = *idx;
        c.dim_names.push_back(w[1]);
      } else {
        c.collector->UpdateDimension(it->second, def);
      }
    } else if (cmd == "CHART_DEFINITION_END") {
      collector().StartReplication();
    } else if (cmd == "RBEGIN") {
      if (!w[1].empty()) {
        scope_ = w[1];
        collector().ReplayHeader();
      } else {
        const int64_t wall = std::atoll(w[4].c_str());
        collector().ReplayPoint(std::atoll(w[2].c_str()), std::atoll(w[3].c_str()), wall, wall,
                                sink());
      }
    } else if (cmd == "RSET") {
      PointFlags flags = kPointNone;
      if (w[3].find('R') != std::string::npos) {
        flags |= kPointReset;
      }
      if (w[3].find('E') != std::string::npos) {
        flags |= kPointEmpty;
      }
      collector().ReplaySet(dim(w[1]), std::strtod(w[2].c_str(), nullptr), flags, sink());
    } else if (cmd == "RDSTATE") {
      DimensionState s;
      s.last_collected_us = std::strtoull(w[2].c_str(), nullptr, 10);
      s.last_collected_value = std::strtoll(w[3].c_str(), nullptr, 10);
      s.last_calculated_value = std::strtod(w[4].c_str(), nullptr);
      s.last_stored_value = std::strtod(w[5].c_str(), nullptr);
      collector().ApplyDimensionState(dim(w[1]), s);
    } else if (cmd == "RSSTATE") {
      collector().ApplyChartState(
          {std::strtoull(w[1].c_str(), nullptr, 10), std::strtoull(w[2].c_str(), nullptr, 10)});
    } else if (cmd == "REND") {
      collector().ReplayEnd(w[4] == "true", std::atoi(w[1].c_str()), sink());
    } else if (cmd == "BEGIN") {
      scope_ = w[1];
      const uint64_t usec = std::strtoull(w[2].c_str(), nullptr, 10);
      // The parent's clock is not recorded; the child's spacing is trusted anyway (replication
      // cleared "sync clock"), so use the collection time it implies.
      now_us_ = static_cast<int64_t>(collector().chart_state().last_collected_us + usec);
      collector().Begin(usec, now_us_);
    } else if (cmd == "SET") {
      // 1.37.1 parses SET values with strtoll base 0.
      EXPECT_TRUE(collector().Set(dim(w[1]), std::strtoll(w[2].c_str(), nullptr, 0)));
    } else if (cmd == "END") {
      collector().End(now_us_, sink());
    }
  }

  ChartCollector& collector() { return *charts_[scope_].collector; }
  PointSink& sink() { return *sinks_.at(scope_); }
  size_t dim(const std::string& name) {
    auto it = charts_[scope_].dims.find(name);
    EXPECT_NE(it, charts_[scope_].dims.end()) << name;
    return it == charts_[scope_].dims.end() ? kMaxDimensionsPerChart : it->second;
  }

  StorageMode mode_;
  std::map<std::string, PointSink*> sinks_;
  std::map<std::string, Chart> charts_;
  std::string scope_;
  int64_t now_us_ = 0;
  size_t lines_ = 0;
};

// /api/v1/data JSON (format=json): "labels" then "data" rows of [time, v1, v2, ...] with null.
struct ApiData {
  std::vector<std::string> labels;
  std::vector<std::vector<std::optional<double>>> rows;  // rows[i][0] is the time
};

ApiData ParseApiData(const std::string& json) {
  ApiData out;
  size_t p = json.find("\"labels\"");
  p = json.find('[', p);
  const size_t labels_end = json.find(']', p);
  for (size_t q = json.find('"', p); q < labels_end; q = json.find('"', q + 1)) {
    const size_t e = json.find('"', q + 1);
    out.labels.push_back(json.substr(q + 1, e - q - 1));
    q = e;
  }
  p = json.find('[', json.find("\"data\""));
  for (size_t row = json.find('[', p + 1); row != std::string::npos;
       row = json.find('[', row + 1)) {
    const size_t end = json.find(']', row);
    std::vector<std::optional<double>> values;
    std::istringstream fields(json.substr(row + 1, end - row - 1));
    std::string field;
    while (std::getline(fields, field, ',')) {
      if (field.find("null") != std::string::npos) {
        values.push_back(std::nullopt);
      } else {
        values.push_back(std::strtod(field.c_str(), nullptr));
      }
    }
    out.rows.push_back(values);
    row = end;
  }
  return out;
}

// The real parent of captures/replication (Netdata 1.37.1, dbengine) received system.cpu live
// from a fresh start (conn1), was stopped for 61 s, restarted with an empty collection state,
// and got the outage back by replication before live data resumed (conn2). Replaying both
// connections through ChartCollector into a RamChart must give exactly what that parent's
// /api/v1/data returned: all 120 seconds, nulls included, every digit.
TEST(CollectorCaptureTest, ReplicationCaptureMatchesTheRealParent) {
  const char* kDims[] = {"guest_nice", "guest",  "steal", "softirq", "irq",
                         "user",       "system", "nice",  "iowait",  "idle"};
  // One chart store, its columns in the order of conn1's first CHART definition.
  RamChart store(3600, 1);
  std::map<std::string, size_t> column;

  auto replay = [&](const std::string& file) {
    // Each connection starts with a fresh parent-side chart: conn1 is the parent's first
    // contact, and the parent process was restarted before conn2. The store persists
    // (dbengine). The first CHART line defines the dimension order, so add the columns after it.
    ChartStoreSink sink(&store);
    CaptureReplayer r(StorageMode::kDbengine, {{"system.cpu", &sink}});
    const std::string text = ReadTestData(file);
    const size_t defs_end = text.find("CHART_DEFINITION_END");
    r.Feed(text.substr(0, defs_end));
    auto& chart = r.chart("system.cpu");
    ASSERT_EQ(chart.dim_names.size(), std::size(kDims));
    for (size_t i = 0; i < chart.dim_names.size(); ++i) {
      if (store.dimension_count() == i) {
        auto index = store.AddDimension(chart.dim_names[i]);
        ASSERT_TRUE(index.ok());
        column[chart.dim_names[i]] = *index;
      }
      // The collector's dense index is the store's column.
      ASSERT_EQ(column.at(chart.dim_names[i]), i) << chart.dim_names[i];
    }
    r.Feed(text.substr(defs_end));
    EXPECT_FALSE(chart.collector->replication_in_progress());
  };
  replay("replication_conn1_system_cpu.txt");
  ASSERT_EQ(store.dimension_count(), std::size(kDims));
  for (const char* d : kDims) {
    ASSERT_TRUE(column.contains(d)) << d;
  }
  // conn1's 29 live rounds end at 1795519522.489: the last grid point is 1795519522.
  EXPECT_EQ(store.last_time_s(column.at("user")), 1795519522);
  replay("replication_conn2_system_cpu.txt");
  // Replication resumed at 1795519523 (no overlap, nothing refused); live data ran to 614
  // (the API was queried up to 612).
  EXPECT_EQ(store.dropped_points(), 0u);
  for (const auto& [name, dim] : column) {
    EXPECT_EQ(store.first_time_s(dim), 1795519494) << name;
    EXPECT_EQ(store.last_time_s(dim), 1795519614) << name;
  }

  const ApiData api = ParseApiData(ReadTestData("replication_parent_system_cpu.json"));
  ASSERT_EQ(api.labels.size(), 10u);
  ASSERT_EQ(api.rows.size(), 120u);
  size_t compared = 0, nulls = 0;
  for (const auto& row : api.rows) {
    const int64_t t = static_cast<int64_t>(*row[0]);
    for (size_t col = 1; col < api.labels.size(); ++col) {
      SCOPED_TRACE(testing::Message() << api.labels[col] << " at " << t);
      std::optional<double> got;
      store.Query(column.at(api.labels[col]), t, t, [&](int64_t, double v, PointFlags f) {
        if (f != kPointEmpty) {
          got = v;
        }
        return true;
      });
      ASSERT_EQ(got.has_value(), row[col].has_value());
      if (got.has_value()) {
        // The API prints the decoded storage number with up to 7 decimals.
        EXPECT_NEAR(*got, *row[col], 5e-8 + std::abs(*row[col]) * 1e-12);
        ++compared;
      } else {
        ++nulls;
      }
    }
  }
  EXPECT_EQ(compared, 118u * 9);
  EXPECT_EQ(nulls, 2u * 9);  // 1795519493 (nothing yet) and 1795519494 (first live round)
}

// captures/uncompressed: a fresh ram-mode parent. Checks that hold for any correct computation:
// system.cpu rows sum to 100, system.ram stores raw / 1024 exactly, and mem.pgfaults conserves
// the counted increments (stored rates + the carried remainder = raw increase).
TEST(CollectorCaptureTest, UncompressedCaptureIsPlausible) {
  RecordingSink cpu, ram, pgfaults;
  CaptureReplayer r(StorageMode::kRam,
                    {{"system.cpu", &cpu}, {"system.ram", &ram}, {"mem.pgfaults", &pgfaults}});
  const std::string text = ReadTestData("uncompressed_conn1_cpu_ram_pgfaults.txt");
  r.Feed(text);
  EXPECT_GT(r.lines(), 600u);

  // system.cpu: every stored second has all 10 dimensions, each within [0, 100], summing to 100.
  std::map<int64_t, std::vector<double>> rows;
  for (const auto& p : cpu.points) {
    if (p.flags != kPointEmpty) {
      rows[p.time_s].push_back(p.value);
    }
  }
  ASSERT_GT(rows.size(), 25u);
  for (const auto& [t, values] : rows) {
    ASSERT_EQ(values.size(), 10u) << t;
    double sum = 0;
    for (double v : values) {
      EXPECT_GE(v, 0) << t;
      EXPECT_LE(v, 100) << t;
      sum += v;
    }
    EXPECT_NEAR(sum, 100, 1e-9) << t;
  }
  // Replication (RDSTATE) left one collection in each dimension's counter: the first live round
  // is a gap, every later one has values.
  const auto first_cpu = cpu.Of(0);
  ASSERT_FALSE(first_cpu.empty());
  EXPECT_EQ(first_cpu.front().flags, kPointEmpty);

  // system.ram: absolute 1/1024, one grid point per collection: the stored value is the last
  // SET / 1024, exactly.
  std::vector<int64_t> free_raw;
  {
    std::istringstream in(text);
    std::string line;
    bool in_ram = false;
    while (std::getline(in, line)) {
      if (line.rfind("BEGIN ", 0) == 0) {
        in_ram = line.find("\"system.ram\"") != std::string::npos;
      } else if (in_ram && line.rfind("SET \"free\"", 0) == 0) {
        free_raw.push_back(std::strtoll(line.substr(line.find('=') + 1).c_str(), nullptr, 0));
      }
    }
  }
  const auto free_points = ram.Of(r.chart("system.ram").dims.at("free"));
  ASSERT_EQ(free_points.size(), free_raw.size());
  for (size_t i = 1; i < free_points.size(); ++i) {
    ASSERT_NE(free_points[i].flags, kPointEmpty) << i;
    EXPECT_EQ(free_points[i].value, static_cast<double>(free_raw[i]) / 1024) << i;
    EXPECT_EQ(free_points[i].time_s, free_points[i - 1].time_s + 1);
  }

  // mem.pgfaults: incremental, "major" has multiplier -1.
  auto& pg = r.chart("mem.pgfaults");
  const size_t minor = pg.dims.at("minor");
  const size_t major = pg.dims.at("major");
  double minor_sum = 0;
  for (const auto& p : pgfaults.Of(minor)) {
    if (p.flags != kPointEmpty) {
      EXPECT_GE(p.value, 0);
      minor_sum += p.value;
    }
  }
  for (const auto& p : pgfaults.Of(major)) {
    if (p.flags != kPointEmpty) {
      EXPECT_LE(p.value, 0);
    }
  }
  std::vector<int64_t> minor_raw;
  {
    std::istringstream in(text);
    std::string line;
    bool in_pg = false;
    while (std::getline(in, line)) {
      if (line.rfind("BEGIN ", 0) == 0) {
        in_pg = line.find("\"mem.pgfaults\"") != std::string::npos;
      } else if (in_pg && line.rfind("SET \"minor\"", 0) == 0) {
        minor_raw.push_back(std::strtoll(line.substr(line.find('=') + 1).c_str(), nullptr, 0));
      }
    }
  }
  ASSERT_GT(minor_raw.size(), 20u);
  // The first live collection only primes the counter; every later increment is either stored
  // (per second, update_every 1) or still carried in last_calculated.
  const double counted = static_cast<double>(minor_raw.back() - minor_raw.front());
  const double carried = pg.collector->dimension_state(minor).last_calculated_value;
  EXPECT_NEAR(minor_sum + carried, counted, counted * 1e-12);
}

}  // namespace
}  // namespace ndrelay::db
