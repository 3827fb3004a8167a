#pragma once

// The storage interface of ndrelay: an engine ("none", "ram", later "dbengine") hands out one
// ChartStore per chart; its dimensions are the chart's columns. Collectors write points into it,
// gRPC queries read them per dimension.
//
// Data model (the same as Netdata's tier 0): a dimension is a series of points on the grid of its
// chart's update_every. A point is (end time in whole seconds, value, flags). A point that exists
// but has no value is a gap (kPointEmpty, value NaN). A value written with kPointReset marks a
// counter reset/overflow detected while computing it.
//
// Why per chart and not per dimension: every dimension of a chart shares its update_every and is
// stored at the same grid times, and a v1 collection stores one point of every dimension at once
// (StoreRow). Keeping a chart's points of one time together makes that one contiguous write
// instead of one cache miss per dimension: the receive path is bound by memory, not arithmetic
// (docs/BENCHMARKS.md). An engine is free to lay columns out per dimension (dbengine pages).
//
// Thread-safety contract (for every engine): a ChartStore is externally synchronised. Its owner
// serialises the writers (AddDimension(), Store(), StoreRow(), SetUpdateEvery()) against the
// readers; ndrelay does it with the host's mutex, which the receiver holds per decoded read and
// gRPC readers while they copy out. A ChartStore does not outlive the StorageEngine that created
// it, and is not destroyed while a reader uses it (the chart's owner decides). Engines with
// background work of their own (dbengine flushing) synchronise that internally.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"

namespace ndrelay::db {

// Which engine stores a host's metrics ("[db] mode" / stream.conf "memory mode"). The lead maps
// conf's MemoryMode onto this.
enum class StorageMode : uint8_t { kNone, kRam, kDbengine };

// Flags of one stored point; a bit set.
using PointFlags = uint8_t;
inline constexpr PointFlags kPointNone = 0;
inline constexpr PointFlags kPointEmpty = 1 << 0;  // a gap: no value at this time (value is NaN)
inline constexpr PointFlags kPointReset = 1 << 1;  // counter reset or overflow detected

// Identifies a chart (and, with a dimension id, a metric) across restarts; dbengine needs it to
// find its files, "ram" ignores it. The views are only read during the call they are passed to.
struct ChartKey {
  std::string_view host;   // the child's machine GUID
  std::string_view chart;  // chart id, "type.id"
};

// Called once per visited point, oldest first. Return false to stop the query early.
// value is NaN and flags has kPointEmpty for a gap.
using PointVisitor = absl::FunctionRef<bool(int64_t time_s, double value, PointFlags flags)>;

// The per-chart handle: one column per dimension, indexed 0, 1, 2, ... in the order of
// AddDimension() (the same dense index the chart's collector uses). See the thread-safety
// contract at the top of this file.
class ChartStore {
 public:
  virtual ~ChartStore() = default;
  ChartStore(const ChartStore&) = delete;
  ChartStore& operator=(const ChartStore&) = delete;

  // Definition. Adds the column of a new dimension and returns its index (the previous
  // dimension_count()). May allocate. kResourceExhausted past kMaxChartStoreDimensions.
  virtual absl::StatusOr<size_t> AddDimension(std::string_view dimension_id) = 0;
  virtual size_t dimension_count() const = 0;

  // Writer. Stores one point of dimension `dim` ending at time_s. A NaN/infinite value or
  // kPointEmpty stores a gap. Per dimension, points must move forward in time: a point at or
  // before last_time_s(dim), or older than what the engine retains, is dropped (counted in
  // dropped_points()). Grid slots a dimension skips read back as gaps. An unknown dim is ignored.
  virtual void Store(size_t dim, int64_t time_s, double value, PointFlags flags) = 0;

  // Writer, the hot path: one point at time_s for each of dimensions 0..n-1 (values[i],
  // flags[i]); the same rules as n calls of Store(). n above dimension_count() is clamped.
  virtual void StoreRow(int64_t time_s, const double* values, const PointFlags* flags,
                        size_t n) = 0;

  // Writer. The chart's update_every changed (replication or a redefinition). Engines that cannot
  // keep history across a change drop it (see the engine's header).
  virtual void SetUpdateEvery(int update_every_s) = 0;

  // Readers. 0/0 when nothing of that dimension is retained (or dim is unknown).
  // first_time_s() is the oldest point still retained.
  virtual int64_t first_time_s(size_t dim) const = 0;
  virtual int64_t last_time_s(size_t dim) const = 0;
  virtual int update_every_s() const = 0;

  // Reader. Visits every retained point of `dim` (gaps included) with after_s <= time <=
  // before_s, oldest first, without allocating. Returns the number of points visited.
  virtual size_t Query(size_t dim, int64_t after_s, int64_t before_s,
                       PointVisitor visitor) const = 0;

  // Reader. Bytes this handle holds (point storage plus bookkeeping).
  virtual size_t bytes_used() const = 0;

  // Reader. Points refused because they did not move forward in time (all dimensions).
  virtual uint64_t dropped_points() const = 0;

  // Writer's hint: the memory the next StoreRow() will most likely write ([begin, begin + bytes);
  // bytes 0 when unknown), for a caller that knows this chart comes next to prefetch it.
  const void* next_row_hint() const { return next_row_hint_; }
  size_t next_row_hint_bytes() const { return next_row_hint_bytes_; }

 protected:
  ChartStore() = default;
  const void* next_row_hint_ = nullptr;
  size_t next_row_hint_bytes_ = 0;
};

// Netdata NEW's dimension slot limit, also a chart's column limit here.
inline constexpr size_t kMaxChartStoreDimensions = 65535;

// One engine per memory mode per process (or per host; the caller decides). Thread-safe.
class StorageEngine {
 public:
  virtual ~StorageEngine() = default;
  StorageEngine(const StorageEngine&) = delete;
  StorageEngine& operator=(const StorageEngine&) = delete;

  virtual StorageMode mode() const = 0;

  // Creates the handle of one chart collected every update_every_s seconds, with no dimensions
  // yet. kInvalidArgument if update_every_s < 1.
  virtual absl::StatusOr<std::unique_ptr<ChartStore>> CreateChart(const ChartKey& key,
                                                                  int update_every_s) = 0;

  // Bytes held by every live handle of this engine.
  virtual size_t bytes_used() const = 0;

 protected:
  StorageEngine() = default;
};

// Settings an engine is built from (netdata.conf [db] / stream.conf per key or GUID).
struct EngineConfig {
  StorageMode mode = StorageMode::kRam;
  int64_t history_s = 3600;  // "history" / "retention": seconds kept per dimension in ram mode
};

// Builds the engine for config.mode. kDbengine is not implemented yet (kUnimplemented).
// history_s must be positive for kRam (kInvalidArgument otherwise).
absl::StatusOr<std::unique_ptr<StorageEngine>> CreateStorageEngine(const EngineConfig& config);

// "none" / "ram" / "dbengine" (Netdata's spellings), for logs and the Admin API.
std::string_view StorageModeName(StorageMode mode);

}  // namespace ndrelay::db
