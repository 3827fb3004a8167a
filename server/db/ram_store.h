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
// Concurrency: one absl::Mutex per dimension. Store() holds it for one slot write (plus the
// clearing of skipped slots after a stall, at most `capacity` words). Query() holds it only
// while copying at most kQueryChunkPoints words into a stack buffer, then calls the visitor
// unlocked, so a slow reader (e.g. serializing a gRPC reply) never stalls the IO thread.
// A seqlock was rejected: a visitor cannot be replayed after a torn read, and the
// update_every change needs mutual exclusion anyway. The mutex is uncontended on the hot path
// (one writer, rare readers), where absl::Mutex costs one atomic operation.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
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
  int64_t FirstRetainedLocked() const ABSL_SHARED_LOCKS_REQUIRED(mu_);

  const int64_t capacity_;
  std::atomic<size_t>* const engine_bytes_;
  mutable absl::Mutex mu_;
  std::unique_ptr<StorageNumber[]> ring_ ABSL_PT_GUARDED_BY(mu_);
  int update_every_s_ ABSL_GUARDED_BY(mu_);
  int64_t first_s_ ABSL_GUARDED_BY(mu_) = 0;  // oldest point stored since creation/reset
  int64_t last_s_ ABSL_GUARDED_BY(mu_) = 0;   // newest point; 0 = empty
  uint64_t dropped_ ABSL_GUARDED_BY(mu_) = 0;
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
