#pragma once

// Per-chart collection state and the arithmetic a Netdata 1.37.1 parent applies to the v1
// stream (BEGIN/SET/END), to replication (RBEGIN/RSET/RDSTATE/RSSTATE/REND) and to v2
// (BEGIN2/SET2/END2), so that the points ndrelay stores equal the points the child (and a real
// Netdata parent) store at the same timestamps.
//
// ================================================================================================
// Rules, in our own words, from reading the netdata/netdata sources of the 1.37 era:
// collectors/plugins.d/pluginsd_parser.c and database/rrddim.c as of 1.37, database/rrdset.c
// (rrdset_timed_next, rrdset_timed_done, rrdset_done_interpolate) from the release right after
// 1.37 (the exact 1.37.1 file was not available; its collection code is the same as 1.36's
// except the reset thresholds of R3a, taken from the newer one), libnetdata/storage_number.
// Verified against real 1.37.1 traffic: collector_test.cc replays the captures of a 1.37.1
// child and compares with what the 1.37.1 parent's /api/v1/data returned (every digit).
//
// State. Per chart: LC = last collected time (µs), LU = last updated time = end of the newest
// grid point written (µs, whole seconds in practice), D = µs since the previous collection,
// done = number of completed collections (also bumped by replication), ue = update_every (s),
// a "sync clock" flag, a "replication in progress" flag, the store_first option and
// `entries` = the chart's db size (ram: history rounded up to 4 KiB pages of 4-byte points;
// none: 5; dbengine: checks below use 60). Per dimension: the collected value of this round
// and whether it was set, last_collected_value, calculated_value, last_calculated_value,
// last_stored_value, the largest |collected| ever seen, and a collections counter (starts at 1
// instead of 0 when the dimension is created while the chart has store_first).
//
// R1 BEGIN <µs> (now = parent wall clock when BEGIN is read). Ignored while done == 0 (the first
//    collection of a new chart is timed by END). Otherwise, if µs != 0, LC != 0 and "sync
//    clock" is clear, D = µs exactly: the parent trusts the child's spacing and never looks at
//    its own clock. Else the filtered path: "sync clock" (if set) is cleared and forces µs = 0;
//    LC == 0 gives D = ue; µs == 0 gives D = |now - LC| (an absolute difference: a chart stamped
//    in the future moves further into the future); with a real µs, now < LC gives D = 0,
//    now - LC > 5 ue gives D = now - LC, else D = µs.
//    "sync clock" is set by CHART for an existing chart, by a new dimension, and by a dimension
//    whose algorithm/multiplier/divisor/name changed; REND with start_streaming clears it (only
//    while replication is in progress). So without replication, the first BEGIN after a
//    redefinition uses the parent's clock.
// R2 SET <int64>: stores the value, marks the dimension updated, bumps its collections counter,
//    and raises the max-|value| seen. (Parsing, strtoll base 0, is the decoder's job.)
// R3 END (now = parent wall clock). In order:
//    a. D > max(entries, 60) * ue → chart reset: LC = LU = 0, done = 0, every collections
//       counter = 0 (values and max are kept); D = ue; nothing stored this round.
//    b. LC == 0 (first collection): LC = now floored to a multiple of ue seconds, plus 0.5 s
//       (plus 0 with store_first); the previous collection is taken as LC - ue; nothing stored.
//       Else the previous collection is LC and LC += D.
//    c. LU == 0: LU = LC (minus ue with store_first) floored to a multiple of ue, whole second;
//       nothing stored this round.
//    d. mode != dbengine and |LC - LU| > entries * ue → reset as in (a) (LC becomes 0 too) and LU
//       re-derived from it; nothing stored.
//    e. If done == 0: LU is re-derived as in (c). With store_first this round IS stored and the
//       previous collection is taken as one ue before the next grid point; else nothing stored.
//    f. done += 1.
//    g. Row totals over the dimensions updated this round: total = sum(collected),
//       last_total = sum(last_collected). Before adding, a percentage-of-incremental-row
//       dimension whose last_collected > collected (signed) has last_collected := collected and
//       raises the chart's reset flag (unless noreset/nooverflow).
//    h. calculated_value per updated dimension (a dimension not updated gets 0):
//       absolute:      collected * multiplier / divisor
//       pct-abs-row:   total == 0 ? 0 : 100 * collected / total
//       incremental:   collections <= 1 → 0. Else if (uint64)last > (uint64)collected it is a
//                      wrap or reset: reset flag (unless noreset/nooverflow); cap = 2^64-1 if the
//                      max |collected| ever seen > 2^32-1 else 2^32-1; delta = cap - last +
//                      collected (mod 2^64; note: one less than the true wrap distance); if
//                      delta < (cap / 100) * 10 it is a wrap and adds delta * mult / div, else
//                      a reset and adds 0. Otherwise adds (collected - last) * mult / div.
//                      (noreset/nooverflow only suppress the reset FLAG, never the arithmetic.)
//       pct-inc-row:   collections <= 1 → 0; total == last_total → 0; else
//                      100 * (collected - last) / (total - last_total).
//    i. Interpolation onto the grid: next = (LU in whole s + ue) s; for every next <= LC:
//       iterations starts at (LC - LU) / ue (integer µs division) + 1 more when LC is exactly
//       on a µs multiple of ue, and counts down by one per grid point.
//         incremental: part = calculated * (next - prev) / (LC - prev); calculated -= part;
//                      value = (part + last_calculated) / ue; last_calculated = 0; if next - LU
//                      < ue (a short first step) value is scaled by ue / (next - LU).
//         others:      iterations == 1 → value = calculated; else linear interpolation
//                      (calculated - last_calculated) * (next - prev) / (LC - prev) +
//                      last_calculated.
//       Store decision per dimension: nothing-stored round → a gap (last_stored untouched);
//       else updated && collections > 1 && iterations < 3 → the value (last_stored = value);
//       else a gap (last_stored = NaN). So after a stall only the newest two grid points of the
//       round get values, older skipped points become gaps. The chart's reset flag goes on the
//       first grid point of the round only. After each grid point prev = next, LU = next.
//    j. Each updated dimension: last_collected = collected; incremental: unless this round
//       was a "first" one (a, b, c, d), last_calculated += calculated (the part not yet stored
//       carries into the next round); others: last_calculated = calculated; then calculated = 0
//       and "updated" is cleared.
// R4 Replication (1.37.1). RBEGIN with a chart only sets the scope. RBEGIN '' start end wall:
//    accepted when start, end > 0, start < end and both < wall + tolerance (wall from the child,
//    tolerance ue + 1; wall missing or <= 0 → parent now, tolerance ue + 5). Accepted: if
//    end - start != ue, ue = end - start; LC = LU = end (whole s); done += 1; RSETs are enabled.
//    Rejected: RSETs of this point are ignored (not fatal).
//    RSET dim value flags: stored as-is at `end` ("E" or a non-finite value → gap; "R" → reset
//    flag); the dimension's collections counter += 1.
//    RDSTATE dim lc_us last_collected last_calculated last_stored: sets those three values; the
//    dimension's last collected time only moves forward. (1.37.1 applies it even without a
//    timed RBEGIN; NEW ignores it then: the decoder decides.)
//    RSSTATE lc_us lu_us: LC and LU only move forward; done += 1.
//    REND: done += 1; with start_streaming: ue = the child's, and if replication was in
//    progress it ends and "sync clock" is cleared.
// R5 v2 (NEW only): BEGIN2 ue end wall → ue follows; SET2 stores the given value at `end` as-is
//    and sets last_collected = collected, last_calculated = last_stored = value, collections +1;
//    END2 sets LC = LU = end and done += 1.
// R6 Stored precision: Netdata keeps each point as a 32-bit storage number (~7 significant
//    digits) and /api/v1/data shows the decoded number. The collector hands exact doubles to its
//    sink; RamDimension applies the 32-bit encoding (server/db/storage_number.h), so queries
//    return exactly what Netdata shows.
// Deliberate differences: update_every is clamped to [1, kMaxUpdateEverySeconds] and a REND
// or BEGIN2 update_every <= 0 is ignored (Netdata would divide by zero later); Set() has no
// wall clock, so a dimension's last collected time becomes the chart's LC at END (Netdata uses
// the SET's wall clock; only RDSTATE sent upstream by a proxy would show it).
// ================================================================================================
//
// Threading: one ChartCollector per chart, used by one thread (the connection's IO thread).
// Hot path (Begin/Set/End): no allocation; dimensions are addressed by the dense index returned
// by AddDimension() (the caller maps names to indexes once).

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "server/db/storage.h"

namespace ndrelay::db {

enum class Algorithm : uint8_t {
  kAbsolute,
  kIncremental,
  kPercentageOfAbsoluteRow,
  kPercentageOfIncrementalRow,
};

// Netdata's names ("absolute", "incremental", "percentage-of-absolute-row",
// "percentage-of-incremental-row"); anything else, including "", is kAbsolute.
Algorithm ParseAlgorithm(std::string_view name);
std::string_view AlgorithmName(Algorithm algorithm);

// Limits.
// Netdata NEW's dimension slot limit; the same as the store's column limit, so a chart's collector
// index and store column always agree.
inline constexpr size_t kMaxDimensionsPerChart = kMaxChartStoreDimensions;
inline constexpr int kMaxUpdateEverySeconds = 3600;  // Netdata's UPDATE_EVERY_MAX
// Grid points of one round at or beyond this countdown are stored as gaps (Netdata's
// "gap when lost iterations above" = 1, plus 2).
inline constexpr int64_t kGapWhenLostIterationsAbove = 3;
// "too long since the last collection" threshold floor, in update_every units.
inline constexpr int64_t kMinResetEntries = 60;
// A real (filtered) duration more than this many update_every behind the clock is replaced by
// the clock difference.
inline constexpr int64_t kMaxLagUpdateEvery = 5;

struct DimensionDefinition {
  Algorithm algorithm = Algorithm::kAbsolute;
  int64_t multiplier = 1;  // 0 is taken as 1, like Netdata
  int64_t divisor = 1;     // 0 is taken as 1, like Netdata
  // false when the DIMENSION options contain "noreset" or "nooverflow".
  bool detect_resets = true;
};

struct ChartConfig {
  int update_every_s = 1;    // clamped to [1, kMaxUpdateEverySeconds]
  bool store_first = false;  // CHART option "store_first"
  StorageMode mode = StorageMode::kRam;
  int64_t history_entries = 3600;  // the host's "history" (ram mode)
  // The usual round with exactly one grid point in one pass (EndOnePoint). false: every END
  // takes the general g-h, i, j steps, for tests that compare the two.
  bool one_pass_rounds = true;
};

// Netdata's db size of a chart (st->entries) for the reset checks of R3: ram: history rounded up
// to whole 4 KiB pages of 4-byte points (min 5, max 86400*365); none: 5; dbengine: 0 (only the
// max(entries, 60) check applies to it).
int64_t NetdataDbEntries(StorageMode mode, int64_t history_entries);

// What RDSTATE carries for one dimension (and what a proxy would send upstream).
struct DimensionState {
  uint64_t last_collected_us = 0;
  int64_t last_collected_value = 0;
  double last_calculated_value = 0;
  double last_stored_value = 0;
};

// What RSSTATE carries for the chart.
struct ChartState {
  uint64_t last_collected_us = 0;
  uint64_t last_updated_us = 0;
};

// Receives the points a collector produces, in time order per dimension. value is NaN and
// flags has kPointEmpty for a gap. Typically forwards to a ChartStore (ChartStoreSink).
class PointSink {
 public:
  virtual ~PointSink() = default;
  virtual void OnPoint(size_t dim, int64_t time_s, double value, PointFlags flags) = 0;
  // One point of each of dimensions 0..n-1 at time_s (a v1 grid point). By default one
  // OnPoint() per dimension.
  virtual void OnRow(int64_t time_s, const double* values, const PointFlags* flags, size_t n) {
    for (size_t i = 0; i < n; ++i) {
      OnPoint(i, time_s, values[i], flags[i]);
    }
  }
  // The chart's update_every changed (forward to ChartStore::SetUpdateEvery()).
  virtual void OnUpdateEvery(int update_every_s) { (void)update_every_s; }
};

// Forwards points to a chart's store (nullptr: drops them). Does not own the store.
class ChartStoreSink final : public PointSink {
 public:
  explicit ChartStoreSink(ChartStore* store) : store_(store) {}
  void OnPoint(size_t dim, int64_t time_s, double value, PointFlags flags) override {
    if (store_ != nullptr) {
      store_->Store(dim, time_s, value, flags);
    }
  }
  void OnRow(int64_t time_s, const double* values, const PointFlags* flags, size_t n) override {
    if (store_ != nullptr) {
      store_->StoreRow(time_s, values, flags, n);
    }
  }
  void OnUpdateEvery(int update_every_s) override {
    if (store_ != nullptr) {
      store_->SetUpdateEvery(update_every_s);
    }
  }

 private:
  ChartStore* const store_;
};

// Outcome of a timed RBEGIN.
enum class ReplayBegin : uint8_t { kAccepted, kRejectedTimestamps };

// The collection state of one chart of one child host. Like Netdata's chart, it outlives a
// connection: keep one per (host, chart) for as long as the host is known, call Redefine() when
// a new connection sends CHART again, and AddDimension()/UpdateDimension() for its DIMENSIONs.
// A fresh object is a parent that never saw the chart (or was restarted).
// Usage per v1 collection: Begin(), Set() for each dimension sent, End(sink).
class ChartCollector {
 public:
  explicit ChartCollector(const ChartConfig& config);
  ChartCollector(const ChartCollector&) = delete;
  ChartCollector& operator=(const ChartCollector&) = delete;

  // ---- definition (CHART / DIMENSION); may allocate ----

  // A new dimension; returns its dense index (0, 1, 2, ...). Sets "sync clock".
  // kResourceExhausted past kMaxDimensionsPerChart.
  absl::StatusOr<size_t> AddDimension(const DimensionDefinition& def);
  // DIMENSION again for an existing one: new definition, state kept. Sets "sync clock" if the
  // algorithm, multiplier or divisor changed. Returns false for an unknown index.
  bool UpdateDimension(size_t dim, const DimensionDefinition& def);
  // CHART again for an existing chart: store_first and update_every follow the new definition
  // (an update_every change is reported to sink); sets "sync clock".
  void Redefine(const ChartConfig& config, PointSink& sink);
  // Sets "sync clock" (e.g. a dimension was renamed).
  void RequestClockResync() { sync_clock_ = true; }

  // ---- v1 data (hot path, no allocation) ----

  // Asks the CPU to load the per-dimension state of a round (one line per dimension) ahead of
  // the SETs, so their cache misses overlap instead of coming one per SET.
  void PrefetchState() const {
    const Dim* d = dims_.data();
    for (size_t i = 0, n = dims_.size(); i < n; ++i) {
      __builtin_prefetch(d + i, 1, 3);
    }
  }

  // BEGIN "<chart>" <usec_since_last>. now_us: parent wall clock, µs since the epoch.
  void Begin(uint64_t usec_since_last, int64_t now_us);
  // SET "<dim>" = <collected>. Returns false for an unknown index (nothing changes). Inline: one
  // call per received sample.
  bool Set(size_t dim, int64_t collected) {
    if (dim >= dims_.size()) {
      return false;
    }
    SetState(dims_[dim], collected);
    return true;
  }
  // Set() for dimensions first .. first + count - 1, in order; false (nothing changes) if they are
  // not all known.
  bool SetRun(size_t first, const int64_t* collected, size_t count) {
    if (first > dims_.size() || count > dims_.size() - first) {
      return false;
    }
    Dim* d = dims_.data() + first;
    for (size_t i = 0; i < count; ++i) {
      SetState(d[i], collected[i]);
    }
    return true;
  }
  // END. Emits the round's grid points (one per dimension per grid point) to sink.
  void End(int64_t now_us, PointSink& sink);

  // ---- replication (R4) ----

  // CHART_DEFINITION_END: returns true if replication was not already in progress (then the
  // caller sends REPLAY_CHART); a second call while in progress returns false.
  bool StartReplication();
  bool replication_in_progress() const { return replication_in_progress_; }
  // RBEGIN with a chart id and no timestamps (the reply header): disables RSET storage.
  void ReplayHeader() { replay_enabled_ = false; }
  // RBEGIN '' <start_s> <end_s> [<child_wall_clock_s>]: child_wall_clock_s <= 0 means absent.
  ReplayBegin ReplayPoint(int64_t start_s, int64_t end_s, int64_t child_wall_clock_s,
                          int64_t parent_now_s, PointSink& sink);
  // RSET <dim> <value> <flags>: stores at the current replay point's end time. Returns false
  // (nothing stored) if no accepted timed RBEGIN is in effect or the index is unknown.
  bool ReplaySet(size_t dim, double value, PointFlags flags, PointSink& sink);
  // RDSTATE. Returns false for an unknown index.
  bool ApplyDimensionState(size_t dim, const DimensionState& state);
  // RSSTATE.
  void ApplyChartState(const ChartState& state);
  // REND <update_every> ... <start_streaming> ...
  void ReplayEnd(bool start_streaming, int child_update_every_s, PointSink& sink);

  // ---- v2 data (R5) ----

  void BeginV2(int update_every_s, int64_t end_time_s, PointSink& sink);
  bool SetV2(size_t dim, int64_t collected, double value, PointFlags flags, PointSink& sink);
  void EndV2();

  // ---- inspection (tests, diagnostics, a proxy building RDSTATE/RSSTATE) ----

  size_t dimension_count() const { return dims_.size(); }
  const DimensionDefinition& definition(size_t dim) const { return defs_[dim]; }
  // Gives back the growth slack of the per-dimension state once a definition is complete.
  void ShrinkToFit() {
    dims_.shrink_to_fit();
    defs_.shrink_to_fit();
  }
  int update_every_s() const { return update_every_s_; }
  bool store_first() const { return store_first_; }
  bool sync_clock() const { return sync_clock_; }
  uint64_t collections_done() const { return counter_done_; }
  int64_t db_entries() const { return entries_; }
  ChartState chart_state() const;
  // Precondition: dim < dimension_count().
  DimensionState dimension_state(size_t dim) const;
  uint64_t dimension_collections(size_t dim) const { return dims_[dim].collections; }

 private:
  // The per-dimension state a collection touches, one cache line per dimension (the receive
  // path is bound by how many lines a round touches). The round's calculated values live in a
  // per-thread scratch array (they do not outlive End()); the definition as given, for
  // definition(), is kept apart in defs_.
  struct alignas(64) Dim {
    int64_t collected = 0;
    int64_t last_collected = 0;
    double last_calculated = 0;
    double last_stored = 0;
    uint64_t last_collected_us = 0;
    double multiplier = 1;  // the definition's, as the arithmetic uses them
    double divisor = 1;
    uint32_t collections = 0;  // saturates
    Algorithm algorithm = Algorithm::kAbsolute;
    bool detect_resets = true;
    bool updated = false;
    // |collected| has exceeded 2^32-1 at least once: counter wraps are 64-bit (Netdata keeps the
    // largest |collected| ever seen only for this test).
    bool wide = false;
  };
  static_assert(sizeof(Dim) == 64);
  static void Count(Dim& d) {
    if (d.collections != UINT32_MAX) {
      ++d.collections;
    }
  }
  static void SetState(Dim& d, int64_t collected) {
    d.collected = collected;
    d.updated = true;
    Count(d);
    // |INT64_MIN| does not exist; like the C code in practice, it stays negative and is ignored.
    const uint64_t magnitude =
        collected >= 0 ? static_cast<uint64_t>(collected) : 0 - static_cast<uint64_t>(collected);
    d.wide |=
        magnitude > std::numeric_limits<uint32_t>::max() && static_cast<int64_t>(magnitude) > 0;
  }

  void SetUpdateEvery(int update_every_s, PointSink& sink);
  void FilteredNext(uint64_t usec_since_last, int64_t now_us);
  void ResetCollection();
  void InitLastUpdated();
  void InitLastCollected(int64_t now_us);
  // R3 g: the row totals; returns true if a reset was detected (and not suppressed).
  bool RowTotals(int64_t* total, int64_t* last_total);
  // R3 h for one dimension (0 if not updated); sets *reset_seen on a detected reset.
  static double CalculateOne(const Dim& d, int64_t total, int64_t last_total, bool* reset_seen);
  // R3 g-h into calculated[0..dims); returns true if a reset/overflow was detected (and not
  // suppressed).
  bool Calculate(double* calculated);
  // R3 i for one grid point of a round.
  struct GridStep {
    double step_us;        // from the previous grid point (or collection) to this one
    double span_us;        // from the previous grid point (or collection) to the collection
    double ue_s;           // update_every
    double full_step_us;   // update_every in µs
    double first_step_us;  // from the last stored grid point to this one
    bool short_step;       // first_step_us < full_step_us: incremental values are scaled up
  };
  GridStep MakeGridStep(uint64_t last_stored_us, uint64_t next_store_us, uint64_t last_collect_us,
                        uint64_t now_collect_us) const;
  // The value of dimension d at the grid point; moves the incremental remainder (*calculated)
  // and last_calculated as Netdata does.
  static double GridValue(Dim& d, double* calculated, const GridStep& g, int64_t iterations);
  // The store decision: the value or a gap into *out_value/*out_flags, and last_stored.
  static void Decide(Dim& d, double value, bool store_this_entry, bool keep, PointFlags flag,
                     double* out_value, PointFlags* out_flags);
  // EndOnePoint()'s straight path for one dimension of a steady round.
  static bool SteadyPoint(Dim& d, const GridStep& g, int64_t iterations, uint64_t collected_us,
                          double* value);
  // R3 g-j in one pass when the round has exactly one grid point (next_store_us <=
  // now_collect_us < next_store_us + update_every): the same results as Calculate(),
  // Interpolate() and step j.
  void EndOnePoint(uint64_t last_stored_us, uint64_t next_store_us, uint64_t last_collect_us,
                   uint64_t now_collect_us, bool store_this_entry, bool first_entry,
                   PointSink& sink);
  // R3 i.
  void Interpolate(uint64_t last_stored_us, uint64_t next_store_us, uint64_t last_collect_us,
                   uint64_t now_collect_us, bool store_this_entry, bool reset_seen,
                   double* calculated, PointSink& sink);

  std::vector<Dim> dims_;
  std::vector<DimensionDefinition> defs_;  // normalised, parallel to dims_
  bool has_row_algorithms_ = false;        // a percentage-of-*-row dimension exists
  bool one_pass_rounds_;
  int update_every_s_;
  bool store_first_;
  StorageMode mode_;
  int64_t entries_;

  // LC and LU are signed like Netdata's timeval seconds (LU can go below zero in one reset
  // corner with store_first); Netdata's unsigned µs arithmetic is reproduced where it matters.
  int64_t last_collected_us_ = 0;  // LC
  int64_t last_updated_us_ = 0;    // LU
  uint64_t usec_since_last_ = 0;   // D
  uint64_t counter_done_ = 0;
  bool sync_clock_ = false;
  bool replication_in_progress_ = false;
  bool replay_enabled_ = false;
  int64_t replay_end_s_ = 0;
  int64_t v2_end_s_ = 0;
};

}  // namespace ndrelay::db
