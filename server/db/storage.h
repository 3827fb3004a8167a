#pragma once

// The storage interface of ndrelay: an engine ("none", "ram", later "dbengine") hands out one
// DimensionStore per dimension; collectors write points into it, gRPC queries read them.
//
// Data model (the same as Netdata's tier 0): a dimension is a series of points on the grid of its
// chart's update_every. A point is (end time in whole seconds, value, flags). A point that exists
// but has no value is a gap (kPointEmpty, value NaN). A value written with kPointReset marks a
// counter reset/overflow detected while computing it.
//
// Thread-safety contract (for every engine): a DimensionStore is externally synchronised. Its
// owner serialises Store()/SetUpdateEvery() against the readers (first_time_s(), last_time_s(),
// update_every_s(), Query(), bytes_used(), dropped_points()); ndrelay does it with the host's
// mutex, which the receiver holds per decoded read and gRPC readers while they copy out. A
// DimensionStore does not outlive the StorageEngine that created it, and is not destroyed while
// a reader uses it (the chart's owner decides). Engines
// with background work of their own (dbengine flushing) synchronise that internally.

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

// Identifies a metric across restarts; dbengine needs it to find its files, "ram" ignores it.
// The views are only read during CreateDimension().
struct MetricKey {
  std::string_view host;       // the child's machine GUID
  std::string_view chart;      // chart id, "type.id"
  std::string_view dimension;  // dimension id
};

// Called once per visited point, oldest first. Return false to stop the query early.
// value is NaN and flags has kPointEmpty for a gap.
using PointVisitor = absl::FunctionRef<bool(int64_t time_s, double value, PointFlags flags)>;

// The per-dimension handle. See the thread-safety contract at the top of this file.
class DimensionStore {
 public:
  virtual ~DimensionStore() = default;
  DimensionStore(const DimensionStore&) = delete;
  DimensionStore& operator=(const DimensionStore&) = delete;

  // Writer. Stores one point ending at time_s. A NaN/infinite value or kPointEmpty stores a gap.
  // Points must move forward in time: a point at or before last_time_s() is dropped (counted in
  // dropped_points()). Skipped grid slots between the previous point and this one become gaps.
  virtual void Store(int64_t time_s, double value, PointFlags flags) = 0;

  // Writer. The chart's update_every changed (replication or a redefinition). Engines that cannot
  // keep history across a change drop it (see the engine's header).
  virtual void SetUpdateEvery(int update_every_s) = 0;

  // Readers. 0/0 when nothing is stored. first_time_s() is the oldest point still retained.
  virtual int64_t first_time_s() const = 0;
  virtual int64_t last_time_s() const = 0;
  virtual int update_every_s() const = 0;

  // Reader. Visits every retained point (gaps included) with after_s <= time <= before_s, oldest
  // first, without allocating. Returns the number of points visited. The visitor runs without
  // any lock held; it may see points the writer adds while the query runs, but never a torn one.
  virtual size_t Query(int64_t after_s, int64_t before_s, PointVisitor visitor) const = 0;

  // Reader. Bytes this handle holds (point storage plus bookkeeping).
  virtual size_t bytes_used() const = 0;

  // Reader. Points refused because they did not move forward in time.
  virtual uint64_t dropped_points() const = 0;

 protected:
  DimensionStore() = default;
};

// One engine per memory mode per process (or per host; the caller decides). Thread-safe.
class StorageEngine {
 public:
  virtual ~StorageEngine() = default;
  StorageEngine(const StorageEngine&) = delete;
  StorageEngine& operator=(const StorageEngine&) = delete;

  virtual StorageMode mode() const = 0;

  // Creates the handle of one dimension collected every update_every_s seconds. May allocate
  // (the ram engine allocates the whole ring here, once).
  virtual absl::StatusOr<std::unique_ptr<DimensionStore>> CreateDimension(const MetricKey& key,
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
