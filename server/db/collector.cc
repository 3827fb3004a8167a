#include "server/db/collector.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "absl/base/attributes.h"
#include "absl/status/status.h"

namespace ndrelay::db {
namespace {

constexpr int64_t kUsecPerSec = 1000000;
// Half a second: where a chart's first collection is placed inside its grid step.
constexpr int64_t kFirstCollectionOffsetUs = 500000;
constexpr uint64_t kCounterCap32 = 0x00000000FFFFFFFFull;
constexpr uint64_t kCounterCap64 = 0xFFFFFFFFFFFFFFFFull;
// A wrap is believed only if the implied increment is below this percentage of the counter's
// range; a bigger "wrap" is a reset.
constexpr uint64_t kMaxIncrementalPercentRate = 10;
constexpr int64_t kPageBytes = 4096;
constexpr int64_t kPointBytes = 4;
constexpr int64_t kNetdataMinEntries = 5;
constexpr int64_t kNetdataMaxEntries = int64_t{86400} * 365;
constexpr int64_t kNoneModeEntries = 5;

// The seconds part of a µs time, as timeval.tv_sec (truncation toward zero).
int64_t Seconds(int64_t us) { return us / kUsecPerSec; }

// Two's complement arithmetic, as the C code gets from its long long overflow in practice.
int64_t WrapAdd(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b));
}
int64_t WrapSub(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) - static_cast<uint64_t>(b));
}

uint64_t AbsDiff(int64_t a, int64_t b) {
  return a > b ? static_cast<uint64_t>(a) - static_cast<uint64_t>(b)
               : static_cast<uint64_t>(b) - static_cast<uint64_t>(a);
}

int ClampUpdateEvery(int update_every_s) {
  return std::clamp(update_every_s, 1, kMaxUpdateEverySeconds);
}

DimensionDefinition Normalize(DimensionDefinition def) {
  if (def.multiplier == 0) {
    def.multiplier = 1;
  }
  if (def.divisor == 0) {
    def.divisor = 1;
  }
  return def;
}

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// x * multiplier / divisor in Netdata's order. With the usual 1 and 1 both steps are exact
// identities in IEEE 754 (x * 1.0 == x, x / 1.0 == x, NaN and infinities included), so they are
// skipped: the result is the same bits without a division.
inline double Scale(double x, double multiplier, double divisor) {
  if (multiplier == 1 && divisor == 1) {
    return x;
  }
  return x * multiplier / divisor;
}

// The algorithms that need the row totals of R3 g.
bool IsRowAlgorithm(Algorithm a) {
  return a == Algorithm::kPercentageOfAbsoluteRow || a == Algorithm::kPercentageOfIncrementalRow;
}

// Per-thread scratch of End(): the round's calculated values and the row handed to the sink.
// End() runs start to finish in one call, so charts on one thread can share it; it only grows.
struct RoundScratch {
  std::vector<double> calculated;
  std::vector<double> values;
  std::vector<PointFlags> flags;
  void Fit(size_t n) {
    if (calculated.size() < n) {
      calculated.resize(n);
      values.resize(n);
      flags.resize(n);
    }
  }
};
thread_local RoundScratch t_scratch;

}  // namespace

Algorithm ParseAlgorithm(std::string_view name) {
  if (name == "incremental") {
    return Algorithm::kIncremental;
  }
  if (name == "percentage-of-absolute-row") {
    return Algorithm::kPercentageOfAbsoluteRow;
  }
  if (name == "percentage-of-incremental-row") {
    return Algorithm::kPercentageOfIncrementalRow;
  }
  return Algorithm::kAbsolute;
}

std::string_view AlgorithmName(Algorithm algorithm) {
  switch (algorithm) {
    case Algorithm::kAbsolute:
      return "absolute";
    case Algorithm::kIncremental:
      return "incremental";
    case Algorithm::kPercentageOfAbsoluteRow:
      return "percentage-of-absolute-row";
    case Algorithm::kPercentageOfIncrementalRow:
      return "percentage-of-incremental-row";
  }
  return "absolute";
}

int64_t NetdataDbEntries(StorageMode mode, int64_t history_entries) {
  switch (mode) {
    case StorageMode::kDbengine:
      return 0;
    case StorageMode::kNone:
      return kNoneModeEntries;
    case StorageMode::kRam:
      break;
  }
  const int64_t entries = std::clamp(history_entries, kNetdataMinEntries, kNetdataMaxEntries);
  int64_t bytes = entries * kPointBytes;
  if (bytes % kPageBytes != 0) {
    bytes += kPageBytes - bytes % kPageBytes;
    return bytes / kPointBytes;
  }
  return entries;
}

// ---- ChartCollector: definition ----------------------------------------------------------------

ChartCollector::ChartCollector(const ChartConfig& config)
    : one_pass_rounds_(config.one_pass_rounds),
      update_every_s_(ClampUpdateEvery(config.update_every_s)),
      store_first_(config.store_first),
      mode_(config.mode),
      entries_(NetdataDbEntries(config.mode, config.history_entries)) {}

absl::StatusOr<size_t> ChartCollector::AddDimension(const DimensionDefinition& def) {
  if (dims_.size() >= kMaxDimensionsPerChart) {
    return absl::ResourceExhaustedError("too many dimensions in one chart");
  }
  Dim d;
  const DimensionDefinition n = Normalize(def);
  d.algorithm = n.algorithm;
  d.multiplier = static_cast<double>(n.multiplier);
  d.divisor = static_cast<double>(n.divisor);
  d.detect_resets = n.detect_resets;
  // With store_first the very first collection must already count as a second one.
  d.collections = store_first_ ? 1 : 0;
  dims_.push_back(d);
  defs_.push_back(n);
  has_row_algorithms_ |= IsRowAlgorithm(n.algorithm);
  sync_clock_ = true;
  return dims_.size() - 1;
}

bool ChartCollector::UpdateDimension(size_t dim, const DimensionDefinition& def) {
  if (dim >= dims_.size()) {
    return false;
  }
  const DimensionDefinition n = Normalize(def);
  DimensionDefinition& old = defs_[dim];
  if (old.algorithm != n.algorithm || old.multiplier != n.multiplier || old.divisor != n.divisor) {
    sync_clock_ = true;
  }
  old = n;
  Dim& d = dims_[dim];
  d.algorithm = n.algorithm;
  d.multiplier = static_cast<double>(n.multiplier);
  d.divisor = static_cast<double>(n.divisor);
  d.detect_resets = n.detect_resets;
  has_row_algorithms_ = false;
  for (const DimensionDefinition& x : defs_) {
    has_row_algorithms_ |= IsRowAlgorithm(x.algorithm);
  }
  return true;
}

void ChartCollector::Redefine(const ChartConfig& config, PointSink& sink) {
  store_first_ = config.store_first;
  SetUpdateEvery(config.update_every_s, sink);
  sync_clock_ = true;
}

void ChartCollector::SetUpdateEvery(int update_every_s, PointSink& sink) {
  update_every_s = ClampUpdateEvery(update_every_s);
  if (update_every_s == update_every_s_) {
    return;
  }
  update_every_s_ = update_every_s;
  sink.OnUpdateEvery(update_every_s);
}

// ---- ChartCollector: v1 ------------------------------------------------------------------------

void ChartCollector::Begin(uint64_t usec_since_last, int64_t now_us) {
  if (counter_done_ == 0) {
    return;  // the first collection is timed by End()
  }
  if (usec_since_last != 0 && Seconds(last_collected_us_) != 0 && !sync_clock_) {
    usec_since_last_ = usec_since_last;  // trusted as-is
    return;
  }
  FilteredNext(usec_since_last, now_us);
}

void ChartCollector::FilteredNext(uint64_t usec_since_last, int64_t now_us) {
  if (sync_clock_) {
    sync_clock_ = false;
    usec_since_last = 0;
  }
  const uint64_t ue_us = static_cast<uint64_t>(update_every_s_) * kUsecPerSec;
  if (Seconds(last_collected_us_) == 0) {
    usec_since_last_ = ue_us;
  } else if (usec_since_last == 0) {
    usec_since_last_ = AbsDiff(now_us, last_collected_us_);
  } else {
    const int64_t since_last = now_us - last_collected_us_;
    if (since_last < 0) {
      usec_since_last_ = 0;
    } else if (static_cast<uint64_t>(since_last) > kMaxLagUpdateEvery * ue_us) {
      usec_since_last_ = static_cast<uint64_t>(since_last);
    } else {
      usec_since_last_ = usec_since_last;
    }
  }
}

void ChartCollector::ResetCollection() {
  last_collected_us_ = 0;
  last_updated_us_ = 0;
  counter_done_ = 0;
  for (Dim& d : dims_) {
    d.last_collected_us = 0;
    d.collections = 0;
  }
}

void ChartCollector::InitLastCollected(int64_t now_us) {
  int64_t sec = Seconds(now_us);
  sec -= sec % update_every_s_;
  last_collected_us_ = sec * kUsecPerSec + (store_first_ ? 0 : kFirstCollectionOffsetUs);
}

void ChartCollector::InitLastUpdated() {
  int64_t sec = Seconds(last_collected_us_);
  if (store_first_) {
    sec -= update_every_s_;
  }
  sec -= sec % update_every_s_;
  last_updated_us_ = sec * kUsecPerSec;
}

void ChartCollector::End(int64_t now_us, PointSink& sink) {
  const uint64_t ue_us = static_cast<uint64_t>(update_every_s_) * kUsecPerSec;
  bool store_this_entry = true;
  bool first_entry = false;

  // a. too long since the previous collection: start over.
  if (usec_since_last_ > static_cast<uint64_t>(std::max(entries_, kMinResetEntries)) * ue_us) {
    ResetCollection();
    usec_since_last_ = ue_us;
    store_this_entry = false;
    first_entry = true;
  }

  // b. advance the collection time.
  uint64_t last_collect_us;
  if (Seconds(last_collected_us_) == 0) {
    InitLastCollected(now_us);
    last_collect_us = static_cast<uint64_t>(last_collected_us_) - ue_us;
    store_this_entry = false;
    first_entry = true;
  } else {
    last_collect_us = static_cast<uint64_t>(last_collected_us_);
    last_collected_us_ += static_cast<int64_t>(usec_since_last_);
  }

  // c. never stored before: place the last grid point just behind the collection.
  if (Seconds(last_updated_us_) == 0) {
    InitLastUpdated();
    store_this_entry = false;
    first_entry = true;
  }

  // d. the database would be rewritten entirely (not for dbengine).
  if (mode_ != StorageMode::kDbengine &&
      AbsDiff(last_collected_us_, last_updated_us_) > static_cast<uint64_t>(entries_) * ue_us) {
    ResetCollection();
    InitLastUpdated();
    usec_since_last_ = ue_us;
    store_this_entry = false;
    first_entry = true;
  }

  const uint64_t now_collect_us = static_cast<uint64_t>(last_collected_us_);
  uint64_t last_stored_us = static_cast<uint64_t>(last_updated_us_);
  uint64_t next_store_us =
      static_cast<uint64_t>((Seconds(last_updated_us_) + update_every_s_) * kUsecPerSec);

  // e. first collection of this chart (or after a reset).
  if (counter_done_ == 0) {
    InitLastUpdated();
    last_stored_us = static_cast<uint64_t>(last_updated_us_);
    next_store_us =
        static_cast<uint64_t>((Seconds(last_updated_us_) + update_every_s_) * kUsecPerSec);
    if (store_first_) {
      store_this_entry = true;
      last_collect_us = next_store_us - ue_us;
    } else {
      store_this_entry = false;
    }
  }

  // f.
  ++counter_done_;

  // The usual round: exactly one grid point. g-j in one pass over the dimensions.
  if (one_pass_rounds_ && next_store_us <= now_collect_us &&
      now_collect_us - next_store_us < ue_us) {
    EndOnePoint(last_stored_us, next_store_us, last_collect_us, now_collect_us, store_this_entry,
                first_entry, sink);
    return;
  }

  // g-h.
  t_scratch.Fit(dims_.size());
  double* calculated = t_scratch.calculated.data();
  const bool reset_seen = Calculate(calculated);

  // i.
  Interpolate(last_stored_us, next_store_us, last_collect_us, now_collect_us, store_this_entry,
              reset_seen, calculated, sink);

  // j.
  for (size_t i = 0; i < dims_.size(); ++i) {
    Dim& d = dims_[i];
    if (!d.updated) {
      continue;
    }
    d.last_collected = d.collected;
    if (d.algorithm == Algorithm::kIncremental) {
      if (!first_entry) {
        d.last_calculated += calculated[i];
      }
    } else {
      d.last_calculated = calculated[i];
    }
    d.last_collected_us = static_cast<uint64_t>(last_collected_us_);
    d.collected = 0;
    d.updated = false;
  }
}

bool ChartCollector::RowTotals(int64_t* total_out, int64_t* last_total_out) {
  bool reset_seen = false;
  int64_t total = 0;
  int64_t last_total = 0;
  for (Dim& d : dims_) {
    if (!d.updated) {
      continue;
    }
    if (d.algorithm == Algorithm::kPercentageOfIncrementalRow && d.last_collected > d.collected) {
      if (d.detect_resets) {
        reset_seen = true;
      }
      d.last_collected = d.collected;
    }
    last_total = WrapAdd(last_total, d.last_collected);
    total = WrapAdd(total, d.collected);
  }
  *total_out = total;
  *last_total_out = last_total;
  return reset_seen;
}

ABSL_ATTRIBUTE_ALWAYS_INLINE inline double ChartCollector::CalculateOne(const Dim& d, int64_t total,
                                                                        int64_t last_total,
                                                                        bool* reset_seen) {
  if (!d.updated) {
    return 0;
  }
  switch (d.algorithm) {
    case Algorithm::kAbsolute:
      return Scale(static_cast<double>(d.collected), d.multiplier, d.divisor);

    case Algorithm::kPercentageOfAbsoluteRow:
      return total == 0 ? 0 : 100.0 * static_cast<double>(d.collected) / static_cast<double>(total);

    case Algorithm::kIncremental: {
      if (d.collections <= 1) {
        return 0;
      }
      const uint64_t last = static_cast<uint64_t>(d.last_collected);
      const uint64_t now = static_cast<uint64_t>(d.collected);
      if (last > now) {
        if (d.detect_resets) {
          *reset_seen = true;
        }
        const uint64_t cap = d.wide ? kCounterCap64 : kCounterCap32;
        const uint64_t delta = cap - last + now;
        const uint64_t max_rate = (cap / 100) * kMaxIncrementalPercentRate;
        if (delta < max_rate) {
          return Scale(static_cast<double>(delta), d.multiplier, d.divisor);  // a wrap
        }
        return 0;  // a reset
      }
      return Scale(static_cast<double>(WrapSub(d.collected, d.last_collected)), d.multiplier,
                   d.divisor);
    }

    case Algorithm::kPercentageOfIncrementalRow:
      if (d.collections > 1 && total != last_total) {
        return 100.0 * static_cast<double>(WrapSub(d.collected, d.last_collected)) /
               static_cast<double>(WrapSub(total, last_total));
      }
      return 0;
  }
  return 0;
}

bool ChartCollector::Calculate(double* calculated) {
  // g. row totals over the dimensions updated this round (only row algorithms read them).
  int64_t total = 0;
  int64_t last_total = 0;
  bool reset_seen = has_row_algorithms_ && RowTotals(&total, &last_total);
  // h. the value of this round per dimension, before interpolation.
  for (size_t i = 0; i < dims_.size(); ++i) {
    calculated[i] = CalculateOne(dims_[i], total, last_total, &reset_seen);
  }
  return reset_seen;
}

ChartCollector::GridStep ChartCollector::MakeGridStep(uint64_t last_stored_us,
                                                      uint64_t next_store_us,
                                                      uint64_t last_collect_us,
                                                      uint64_t now_collect_us) const {
  GridStep g;
  g.step_us = static_cast<double>(next_store_us - last_collect_us);
  g.span_us = static_cast<double>(now_collect_us - last_collect_us);
  g.ue_s = static_cast<double>(update_every_s_);
  const uint64_t ue_us = static_cast<uint64_t>(update_every_s_) * kUsecPerSec;
  // A short first step: the partial increment is scaled up to a full update_every.
  g.short_step = next_store_us - last_stored_us < ue_us;
  g.full_step_us = static_cast<double>(ue_us);
  g.first_step_us = static_cast<double>(next_store_us - last_stored_us);
  return g;
}

ABSL_ATTRIBUTE_ALWAYS_INLINE inline double ChartCollector::GridValue(Dim& d, double* calculated,
                                                                     const GridStep& g,
                                                                     int64_t iterations) {
  if (d.algorithm == Algorithm::kIncremental) {
    double value = *calculated * g.step_us / g.span_us;
    *calculated -= value;
    value += d.last_calculated;
    d.last_calculated = 0;
    if (g.ue_s != 1) {  // dividing by 1.0 is an identity
      value /= g.ue_s;
    }
    if (g.short_step) {
      value = value * g.full_step_us / g.first_step_us;
    }
    return value;
  }
  if (iterations == 1) {
    return *calculated;
  }
  return (*calculated - d.last_calculated) * g.step_us / g.span_us + d.last_calculated;
}

ABSL_ATTRIBUTE_ALWAYS_INLINE inline void ChartCollector::Decide(Dim& d, double value,
                                                                bool store_this_entry, bool keep,
                                                                PointFlags flag, double* out_value,
                                                                PointFlags* out_flags) {
  if (!store_this_entry) {
    *out_value = kNaN;
    *out_flags = kPointEmpty;
  } else if (keep && d.updated && d.collections > 1) {
    *out_value = value;
    *out_flags = flag;
    d.last_stored = value;
  } else {
    *out_value = kNaN;
    *out_flags = kPointEmpty;
    d.last_stored = kNaN;
  }
}

// EndOnePoint's h-j for one dimension of a steady round (see there): a dimension collected this
// round, incremental without a wrap or absolute, gets its value in *value and its state moved on
// as the general body moves it, through the same CalculateOne() and GridValue() (inlined, with
// the branches these checks decide folded away); false (nothing changed) for any other dimension.
ABSL_ATTRIBUTE_ALWAYS_INLINE inline bool ChartCollector::SteadyPoint(Dim& d, const GridStep& g,
                                                                     int64_t iterations,
                                                                     uint64_t collected_us,
                                                                     double* value) {
  if (!d.updated || d.collections <= 1) {
    return false;
  }
  const bool incremental = d.algorithm == Algorithm::kIncremental;
  if (incremental ? static_cast<uint64_t>(d.last_collected) > static_cast<uint64_t>(d.collected)
                  : d.algorithm != Algorithm::kAbsolute) {
    return false;
  }
  bool no_reset = false;  // (neither algorithm reads the row totals or sees a reset here)
  double calculated = CalculateOne(d, 0, 0, &no_reset);  // h
  *value = GridValue(d, &calculated, g, iterations);     // i
  d.last_stored = *value;                                // Decide(): stored
  d.last_collected = d.collected;                        // j
  d.last_calculated = incremental ? d.last_calculated + calculated : calculated;
  d.last_collected_us = collected_us;
  d.collected = 0;
  d.updated = false;
  return true;
}

void ChartCollector::EndOnePoint(uint64_t last_stored_us, uint64_t next_store_us,
                                 uint64_t last_collect_us, uint64_t now_collect_us,
                                 bool store_this_entry, bool first_entry, PointSink& sink) {
  const size_t n = dims_.size();
  t_scratch.Fit(n);
  double* const values = t_scratch.values.data();
  PointFlags* const flags = t_scratch.flags.data();
  const uint64_t ue_us = static_cast<uint64_t>(update_every_s_) * kUsecPerSec;

  int64_t total = 0;
  int64_t last_total = 0;
  bool reset_seen = has_row_algorithms_ && RowTotals(&total, &last_total);

  // As Interpolate() for its first grid point. The usual update_every of 1 s divides by a
  // constant (a multiplication) instead of a 64-bit division.
  int64_t iterations;
  bool on_grid;
  if (update_every_s_ == 1) {
    iterations = static_cast<int64_t>((now_collect_us - last_stored_us) / kUsecPerSec);
    on_grid = now_collect_us % kUsecPerSec == 0;
  } else {
    iterations = static_cast<int64_t>((now_collect_us - last_stored_us) / ue_us);
    on_grid = now_collect_us % ue_us == 0;
  }
  if (on_grid) {
    ++iterations;
  }
  const int64_t time_s = static_cast<int64_t>(next_store_us / kUsecPerSec);
  const GridStep step =
      MakeGridStep(last_stored_us, next_store_us, last_collect_us, now_collect_us);
  const bool keep_values = store_this_entry && iterations < kGapWhenLostIterationsAbove;
  const uint64_t collected_us = static_cast<uint64_t>(last_collected_us_);
  // The steady round (a value stored, no row totals, a full first step, not a first entry):
  // the decisions that hold for the whole round are taken once, so that a dimension collected
  // this round, incremental without a wrap or absolute, takes SteadyPoint(), the same helpers
  // as h-j below without their per-dimension branches. Any other dimension takes the general
  // body.
  const bool steady =
      store_this_entry && keep_values && !first_entry && !has_row_algorithms_ && !step.short_step;

  for (size_t i = 0; i < n; ++i) {
    Dim& d = dims_[i];
    if (steady && SteadyPoint(d, step, iterations, collected_us, &values[i])) {
      flags[i] = kPointNone;
      continue;
    }
    double calculated = CalculateOne(d, total, last_total, &reset_seen);  // h
    const double value = GridValue(d, &calculated, step, iterations);     // i
    Decide(d, value, store_this_entry, keep_values, kPointNone, &values[i], &flags[i]);
    if (d.updated) {  // j
      d.last_collected = d.collected;
      if (d.algorithm == Algorithm::kIncremental) {
        if (!first_entry) {
          d.last_calculated += calculated;
        }
      } else {
        d.last_calculated = calculated;
      }
      d.last_collected_us = collected_us;
      d.collected = 0;
      d.updated = false;
    }
  }
  if (reset_seen) {
    // Known only once every dimension is calculated; it marks the round's (only) point.
    for (size_t i = 0; i < n; ++i) {
      if (flags[i] == kPointNone) {
        flags[i] = kPointReset;
      }
    }
  }
  sink.OnRow(time_s, values, flags, n);
  last_updated_us_ = time_s * kUsecPerSec;
}

void ChartCollector::Interpolate(uint64_t last_stored_us, uint64_t next_store_us,
                                 uint64_t last_collect_us, uint64_t now_collect_us,
                                 bool store_this_entry, bool reset_seen, double* calculated,
                                 PointSink& sink) {
  double* const values = t_scratch.values.data();
  PointFlags* const row_flags = t_scratch.flags.data();
  const uint64_t ue_us = static_cast<uint64_t>(update_every_s_) * kUsecPerSec;
  // Counts down to 1 at the round's last grid point (one more when the collection time is an
  // exact multiple of update_every, a quirk that only changes which formula the last point uses).
  int64_t iterations = static_cast<int64_t>((now_collect_us - last_stored_us) / ue_us);
  if (now_collect_us % ue_us == 0) {
    ++iterations;
  }
  PointFlags flags = reset_seen ? kPointReset : kPointNone;

  for (; next_store_us <= now_collect_us;
       last_collect_us = next_store_us, next_store_us += ue_us, --iterations) {
    const int64_t time_s = static_cast<int64_t>(next_store_us / kUsecPerSec);
    const GridStep step =
        MakeGridStep(last_stored_us, next_store_us, last_collect_us, now_collect_us);
    const bool keep = iterations < kGapWhenLostIterationsAbove;
    for (size_t i = 0; i < dims_.size(); ++i) {
      Dim& d = dims_[i];
      const double value = GridValue(d, &calculated[i], step, iterations);
      Decide(d, value, store_this_entry, keep, flags, &values[i], &row_flags[i]);
    }
    sink.OnRow(time_s, values, row_flags, dims_.size());

    flags = kPointNone;  // the reset flag marks only the first point of the round
    last_updated_us_ = time_s * kUsecPerSec;
    last_stored_us = next_store_us;
  }
}

// ---- ChartCollector: replication ---------------------------------------------------------------

bool ChartCollector::StartReplication() {
  if (replication_in_progress_) {
    return false;
  }
  replication_in_progress_ = true;
  return true;
}

ReplayBegin ChartCollector::ReplayPoint(int64_t start_s, int64_t end_s, int64_t child_wall_clock_s,
                                        int64_t parent_now_s, PointSink& sink) {
  int64_t wall_s = child_wall_clock_s;
  int64_t tolerance_s = update_every_s_ + 1;
  if (wall_s <= 0) {
    wall_s = parent_now_s;
    tolerance_s = update_every_s_ + 5;
  }
  if (start_s > 0 && end_s > 0 && start_s < wall_s + tolerance_s && end_s < wall_s + tolerance_s &&
      start_s < end_s) {
    if (end_s - start_s != update_every_s_) {
      SetUpdateEvery(static_cast<int>(std::min<int64_t>(end_s - start_s, kMaxUpdateEverySeconds)),
                     sink);
    }
    last_collected_us_ = end_s * kUsecPerSec;
    last_updated_us_ = end_s * kUsecPerSec;
    ++counter_done_;
    replay_enabled_ = true;
    replay_end_s_ = end_s;
    return ReplayBegin::kAccepted;
  }
  replay_enabled_ = false;
  replay_end_s_ = 0;
  return ReplayBegin::kRejectedTimestamps;
}

bool ChartCollector::ReplaySet(size_t dim, double value, PointFlags flags, PointSink& sink) {
  if (!replay_enabled_ || dim >= dims_.size()) {
    return false;
  }
  if ((flags & kPointEmpty) != 0 || !std::isfinite(value)) {
    value = kNaN;
    flags = kPointEmpty;
  }
  sink.OnPoint(dim, replay_end_s_, value, flags);
  Dim& d = dims_[dim];
  d.last_collected_us = static_cast<uint64_t>(replay_end_s_ * kUsecPerSec);
  Count(d);
  return true;
}

bool ChartCollector::ApplyDimensionState(size_t dim, const DimensionState& state) {
  if (dim >= dims_.size()) {
    return false;
  }
  Dim& d = dims_[dim];
  if (state.last_collected_us > d.last_collected_us) {
    d.last_collected_us = state.last_collected_us;
  }
  d.last_collected = state.last_collected_value;
  d.last_calculated = state.last_calculated_value;
  d.last_stored = state.last_stored_value;
  return true;
}

void ChartCollector::ApplyChartState(const ChartState& state) {
  // Compared as Netdata's unsigned µs values.
  if (state.last_collected_us > static_cast<uint64_t>(last_collected_us_)) {
    last_collected_us_ = static_cast<int64_t>(state.last_collected_us);
  }
  if (state.last_updated_us > static_cast<uint64_t>(last_updated_us_)) {
    last_updated_us_ = static_cast<int64_t>(state.last_updated_us);
  }
  ++counter_done_;
}

void ChartCollector::ReplayEnd(bool start_streaming, int child_update_every_s, PointSink& sink) {
  ++counter_done_;
  replay_enabled_ = false;
  replay_end_s_ = 0;
  if (!start_streaming) {
    return;
  }
  // A non-positive update_every (a NEW child's reply for an unknown chart) is ignored.
  if (child_update_every_s > 0) {
    SetUpdateEvery(child_update_every_s, sink);
  }
  if (replication_in_progress_) {
    replication_in_progress_ = false;
    sync_clock_ = false;
  }
}

// ---- ChartCollector: v2 ------------------------------------------------------------------------

void ChartCollector::BeginV2(int update_every_s, int64_t end_time_s, PointSink& sink) {
  if (update_every_s > 0) {
    SetUpdateEvery(update_every_s, sink);
  }
  v2_end_s_ = end_time_s;
}

bool ChartCollector::SetV2(size_t dim, int64_t collected, double value, PointFlags flags,
                           PointSink& sink) {
  if (dim >= dims_.size()) {
    return false;
  }
  if ((flags & kPointEmpty) != 0 || !std::isfinite(value)) {
    value = kNaN;
    flags = kPointEmpty;
  }
  sink.OnPoint(dim, v2_end_s_, value, flags);
  Dim& d = dims_[dim];
  d.last_collected_us = static_cast<uint64_t>(v2_end_s_ * kUsecPerSec);
  d.last_collected = collected;
  d.last_calculated = value;
  d.last_stored = value;
  Count(d);
  return true;
}

void ChartCollector::EndV2() {
  last_collected_us_ = v2_end_s_ * kUsecPerSec;
  last_updated_us_ = v2_end_s_ * kUsecPerSec;
  ++counter_done_;
  for (Dim& d : dims_) {
    d.collected = 0;
    d.updated = false;
  }
}

// ---- inspection --------------------------------------------------------------------------------

ChartState ChartCollector::chart_state() const {
  return ChartState{static_cast<uint64_t>(last_collected_us_),
                    static_cast<uint64_t>(last_updated_us_)};
}

DimensionState ChartCollector::dimension_state(size_t dim) const {
  const Dim& d = dims_[dim];
  return DimensionState{d.last_collected_us, d.last_collected, d.last_calculated, d.last_stored};
}

}  // namespace ndrelay::db
