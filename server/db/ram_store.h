#pragma once

// The in-memory engines: "ram" (a fixed ring of 4-byte points per dimension) and "none" (keeps
// nothing). See server/db/storage.h for the interface and its thread-safety contract.
//
// "ram" ring:
//   * one ring per dimension of capacity = history_s / update_every_s points (clamped to
//     [kMinRamPoints, kMaxRamPoints]), allocated once in CreateDimension(), never resized;
//   * each point is one 32-bit Netdata storage number (server/db/storage_number.h): value,
//     reset flag, and the empty slot (all bits 0) for gaps; 4 bytes per point, no timestamps;
//   * time_s maps to slot (time_s / update_every_s) % capacity. Times are floored to a multiple
//     of update_every_s (Netdata's grid is aligned the same way). The newest time is kept; a gap
//     between two stores clears the skipped slots, so stale values never reappear;
//   * a change of update_every drops the history (one ring cannot hold two grids);
//   * differs from Netdata 1.37.1 "ram" in one way only: Netdata rounds the ring up to whole
//     4 KiB pages (3600 points become 4096); ndrelay keeps exactly history_s / update_every_s.
//
// Concurrency: none inside. The owner serialises Store() against queries (ndrelay's host mutex
// covers both: the receiver holds it for a whole decoded read, gRPC readers while they copy out),
// so the per-point path is a packed store into the ring. NOTE: a mutex per dimension cost ~30% of
// the receive path in a profile (Debian's abseil records lock-order edges on every acquisition).
//
// Memory: the ring is allocated without being zeroed; only slots between the first retained and
// the newest point are ever read, and a stall clears the slots it skips. Untouched pages of a
// large ring stay unresident until the ring fills, as in Netdata's mmap'ed ram mode.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "server/db/storage.h"
#include "server/db/storage_number.h"

namespace ndrelay::db {

// Netdata's own bounds on history entries (RRD_HISTORY_ENTRIES_MAX and its minimum of 5).
inline constexpr int64_t kMinRamPoints = 5;
inline constexpr int64_t kMaxRamPoints = int64_t{86400} * 365;
// Points copied per lock hold in RamDimension::Query() (1 KiB of stack).
inline constexpr size_t kQueryChunkPoints = 256;

class RamDimension final : public DimensionStore {
 public:
  // capacity is clamped to [kMinRamPoints, kMaxRamPoints]; update_every_s below 1 is taken as 1.
  // If engine_bytes is given, bytes_used() is added to it now and subtracted on destruction.
  RamDimension(int64_t capacity, int update_every_s, std::atomic<size_t>* engine_bytes = nullptr);
  ~RamDimension() override;

  void Store(int64_t time_s, double value, PointFlags flags) override;
  void SetUpdateEvery(int update_every_s) override;
  int64_t first_time_s() const override;
  int64_t last_time_s() const override;
  int update_every_s() const override;
  size_t Query(int64_t after_s, int64_t before_s, PointVisitor visitor) const override;
  size_t bytes_used() const override;
  uint64_t dropped_points() const override;

  int64_t capacity() const { return capacity_; }

 private:
  size_t SlotOf(int64_t time_s, int update_every_s) const {
    return static_cast<size_t>((time_s / update_every_s) % capacity_);
  }
  int64_t FirstRetained() const;

  const int64_t capacity_;
  std::atomic<size_t>* const engine_bytes_;
  std::unique_ptr<StorageNumber[]> ring_;
  int update_every_s_;
  int64_t first_s_ = 0;  // oldest point stored since creation/reset
  int64_t last_s_ = 0;   // newest point; 0 = empty
  uint64_t dropped_ = 0;
};

class RamEngine final : public StorageEngine {
 public:
  explicit RamEngine(int64_t history_s) : history_s_(history_s) {}

  StorageMode mode() const override { return StorageMode::kRam; }
  // kInvalidArgument if update_every_s < 1.
  absl::StatusOr<std::unique_ptr<DimensionStore>> CreateDimension(const MetricKey& key,
                                                                  int update_every_s) override;
  size_t bytes_used() const override { return bytes_.load(std::memory_order_relaxed); }

  // The ring size CreateDimension() uses for a dimension collected every update_every_s.
  int64_t CapacityFor(int update_every_s) const;

 private:
  const int64_t history_s_;
  std::atomic<size_t> bytes_{0};
};

// Stores nothing: Store() is a no-op, queries visit nothing, first/last time stay 0.
class NoneDimension final : public DimensionStore {
 public:
  explicit NoneDimension(int update_every_s) : update_every_s_(update_every_s) {}

  void Store(int64_t, double, PointFlags) override {}
  void SetUpdateEvery(int update_every_s) override {
    update_every_s_.store(update_every_s, std::memory_order_relaxed);
  }
  int64_t first_time_s() const override { return 0; }
  int64_t last_time_s() const override { return 0; }
  int update_every_s() const override { return update_every_s_.load(std::memory_order_relaxed); }
  size_t Query(int64_t, int64_t, PointVisitor) const override { return 0; }
  size_t bytes_used() const override { return sizeof(*this); }
  uint64_t dropped_points() const override { return 0; }

 private:
  std::atomic<int> update_every_s_;
};

class NoneEngine final : public StorageEngine {
 public:
  StorageMode mode() const override { return StorageMode::kNone; }
  absl::StatusOr<std::unique_ptr<DimensionStore>> CreateDimension(const MetricKey& key,
                                                                  int update_every_s) override;
  size_t bytes_used() const override { return 0; }
};

}  // namespace ndrelay::db
