#pragma once

// The in-memory engines: "ram" (a fixed ring of 4-byte points per dimension) and "none" (keeps
// nothing). See server/db/storage.h for the interface and its thread-safety contract.
//
// "ram" ring, one per chart:
//   * rows of points, one row per grid time, one column per dimension: capacity = history_s /
//     update_every_s rows (clamped to [kMinRamPoints, kMaxRamPoints]). A v1 collection writes one
//     row, i.e. a few contiguous cache lines for the whole chart instead of one line per
//     dimension spread over as many rings;
//   * each point is one 32-bit Netdata storage number (server/db/storage_number.h): value,
//     reset flag, and the empty slot (all bits 0) for gaps; 4 bytes per point, no timestamps;
//   * time_s maps to row (time_s / update_every_s) % capacity. Times are floored to a multiple
//     of update_every_s (Netdata's grid is aligned the same way). When the chart's newest time
//     moves forward, every row it passes is cleared first, so stale values never reappear and a
//     dimension that was not written at some time reads back as a gap there;
//   * the ring is a sequence of equal blocks of about kRamBlockTargetBytes (whole rows each),
//     taken from the engine's RowBlockPool when a row in them is first written and zeroed then
//     (an untaken block reads back as gaps). So memory follows the data written, and the blocks
//     that charts advancing together take are neighbours in a few pages (see
//     row_block_pool.h for why that matters);
//   * the layout is fixed at the first store (so a chart's initial DIMENSIONs are in before its
//     width is fixed) with exactly one column per dimension; a dimension added later widens it
//     with 1/8 spare columns, copying the retained rows (amortised, off the hot path);
//   * a change of update_every drops the history and resizes the ring for the new grid;
//   * differs from Netdata 1.37.1 "ram" in one way only: Netdata rounds each ring up to whole
//     4 KiB pages (3600 points become 4096); ndrelay keeps history_s / update_every_s rows (plus
//     less than one row per block, from rounding the blocks to equal whole rows).
//
// Concurrency: none inside. The owner serialises writers against queries (ndrelay's host mutex
// covers both: the receiver holds it for a whole decoded read, gRPC readers while they copy out).
// NOTE: a mutex per dimension cost ~30% of the receive path in a profile (Debian's abseil records
// lock-order edges on every acquisition).
//
// Memory: blocks are taken as the newest time reaches them, so a large ring becomes resident only
// as it fills, like Netdata's mmap'ed ram mode.

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "server/db/row_block_pool.h"
#include "server/db/storage.h"
#include "server/db/storage_number.h"

namespace ndrelay::db {

// Netdata's own bounds on history entries (RRD_HISTORY_ENTRIES_MAX and its minimum of 5).
inline constexpr int64_t kMinRamPoints = 5;
inline constexpr int64_t kMaxRamPoints = int64_t{86400} * 365;
// A ring block holds as many whole rows as fit in this (at least one row).
// 1 KiB: a chart takes its first block at its first write and the kernel zeroes the page(s) then,
// so the target bounds the memory a new chart touches before it has data (16 B rows of a typical
// 4-dimension chart: 64 s). 4 KiB cost 15% of the x10 load in first-touch page faults on the
// realistic 250 x 4 shape (docs/BENCHMARKS.md); 512 B measured the same as 1 KiB.
inline constexpr size_t kRamBlockTargetBytes = 1024;

class RamChart final : public ChartStore {
 public:
  // history_s / update_every_s rows (clamped to [kMinRamPoints, kMaxRamPoints]); update_every_s
  // below 1 is taken as 1. If engine_bytes is given, bytes_used() is kept added to it. Blocks
  // come from pool (which must outlive the chart), or from the heap when it is null.
  RamChart(int64_t history_s, int update_every_s, std::atomic<size_t>* engine_bytes = nullptr,
           RowBlockPool* pool = nullptr);
  ~RamChart() override;

  absl::StatusOr<size_t> AddDimension(std::string_view dimension_id) override;
  size_t dimension_count() const override { return columns_.size(); }
  void Store(size_t dim, int64_t time_s, double value, PointFlags flags) override;
  void StoreRow(int64_t time_s, const double* values, const PointFlags* flags, size_t n) override;
  void SetUpdateEvery(int update_every_s) override;
  int64_t first_time_s(size_t dim) const override;
  int64_t last_time_s(size_t dim) const override;
  int update_every_s() const override { return update_every_s_; }
  size_t Query(size_t dim, int64_t after_s, int64_t before_s, PointVisitor visitor) const override;
  size_t bytes_used() const override;
  uint64_t dropped_points() const override { return dropped_; }

  // Rows in the ring, and columns allocated per row (>= dimension_count() once allocated).
  int64_t capacity() const { return capacity_; }
  size_t width() const { return width_; }
  // Rows per block (0 until the layout is fixed), and blocks taken.
  int64_t rows_per_block() const { return rows_per_block_; }
  size_t blocks_taken() const { return blocks_taken_; }

 private:
  // Per-dimension times from single-point stores; whole rows (StoreRow's hot path) only move
  // all_first_s_/all_last_s_, which apply to every column (folded in when a column is added), so
  // the hot path writes no per-dimension bookkeeping.
  struct Column {
    int64_t first_s = 0;  // oldest point of this dimension since creation/reset
    int64_t last_s = 0;   // newest point; 0 = none
  };
  int64_t FirstOf(const Column& c) const {
    if (c.first_s == 0 || all_first_s_ == 0) {
      return c.first_s == 0 ? all_first_s_ : c.first_s;
    }
    return std::min(c.first_s, all_first_s_);
  }
  int64_t LastOf(const Column& c) const { return std::max(c.last_s, all_last_s_); }
  void FoldRows();

  // Slots count from the first row stored (origin_), not from the epoch: a young chart's rows
  // then fill its first block before taking a second (the blocks are fresh memory, the costliest
  // kind to touch), instead of straddling two at a random phase.
  int64_t SlotOf(int64_t t) const {
    const int64_t slot = (t / update_every_s_) % capacity_ - origin_;
    return slot < 0 ? slot + capacity_ : slot;
  }
  size_t block_bytes() const {
    return static_cast<size_t>(rows_per_block_) * width_ * sizeof(StorageNumber);
  }
  // A zeroed block of `bytes` from the pool (or the heap); nullptr if memory ran out.
  StorageNumber* TakeBlock(size_t bytes);
  // The row of slot/time t for writing: takes (and zeroes) its block if needed; nullptr only if
  // memory ran out.
  StorageNumber* MutableSlot(int64_t slot);
  StorageNumber* MutableRow(int64_t t) { return MutableSlot(SlotOf(t)); }
  // The row of slot/time t if its block was taken, else nullptr (all gaps).
  StorageNumber* ExistingSlot(int64_t slot) const {
    const size_t index = static_cast<size_t>(slot / rows_per_block_);
    StorageNumber* block = index < blocks_.size() ? blocks_[index] : nullptr;
    return block == nullptr ? nullptr
                            : block + static_cast<size_t>(slot % rows_per_block_) * width_;
  }
  // Blocks in a full table: ceil(capacity_ / rows_per_block_).
  size_t BlockCount() const {
    return static_cast<size_t>((capacity_ + rows_per_block_ - 1) / rows_per_block_);
  }
  // blocks_[index], the table grown to hold it first (new entries nullptr).
  static StorageNumber*& BlockEntry(std::vector<StorageNumber*>* blocks, size_t index,
                                    size_t count);
  StorageNumber* ExistingRow(int64_t t) const { return ExistingSlot(SlotOf(t)); }
  // The oldest row time still retained (0 when empty).
  int64_t RetainedFrom() const;
  // Fixes (or widens to `width` columns) the layout, keeping retained rows.
  void Reserve(size_t width);
  // Gives every block back.
  void ReleaseBlocks();
  // Moves the newest time to t (> last_s_), clearing every row passed, except that row t itself
  // is left for the caller when keep_row_t (it writes all of it).
  void Advance(int64_t t, bool keep_row_t);
  void Account();

  const int64_t history_s_;
  std::atomic<size_t>* const engine_bytes_;
  RowBlockPool* const pool_;
  int update_every_s_;
  int64_t capacity_;
  size_t width_ = 0;  // columns per row (0 until the layout is fixed at the first store)
  int64_t rows_per_block_ = 0;
  // Block i holds slots [i * rows_per_block_, (i + 1) * rows_per_block_); nullptr = not taken.
  // The table grows with the slots written (up to BlockCount() entries): slots count from the
  // first row, so a young chart's table is as short as its data, not as long as its history.
  std::vector<StorageNumber*> blocks_;
  size_t blocks_taken_ = 0;  // non-null entries of blocks_
  int64_t origin_ = 0;       // (first row's time / update_every_s_) % capacity_; see SlotOf()
  // The write cursor: the slot of last_s_, its offset in its block and its row (nullptr when
  // unknown, e.g. after a change of blocks). StoreRow() steps it to the next row without dividing;
  // Store() writes the newest row through it.
  int64_t cursor_slot_ = 0;
  int64_t cursor_offset_ = 0;
  StorageNumber* cursor_row_ = nullptr;
  std::vector<Column> columns_;
  int64_t first_s_ = 0;      // oldest row written since creation/reset
  int64_t last_s_ = 0;       // newest row; 0 = empty
  int64_t all_first_s_ = 0;  // oldest/newest row StoreRow() wrote whole (every column)
  int64_t all_last_s_ = 0;
  uint64_t dropped_ = 0;
  size_t accounted_ = 0;  // what is currently added to *engine_bytes_
};

class RamEngine final : public StorageEngine {
 public:
  // Its charts take their ring blocks from RowBlockPool::Shared().
  explicit RamEngine(int64_t history_s) : history_s_(history_s) {}

  StorageMode mode() const override { return StorageMode::kRam; }
  absl::StatusOr<std::unique_ptr<ChartStore>> CreateChart(const ChartKey& key,
                                                          int update_every_s) override;
  size_t bytes_used() const override { return bytes_.load(std::memory_order_relaxed); }

  // The rows of a chart collected every update_every_s.
  int64_t CapacityFor(int update_every_s) const;

 private:
  const int64_t history_s_;
  std::atomic<size_t> bytes_{0};
};

// Stores nothing: stores are no-ops, queries visit nothing, first/last time stay 0.
class NoneChart final : public ChartStore {
 public:
  explicit NoneChart(int update_every_s) : update_every_s_(update_every_s) {}

  absl::StatusOr<size_t> AddDimension(std::string_view dimension_id) override;
  size_t dimension_count() const override { return dimensions_; }
  void Store(size_t, int64_t, double, PointFlags) override {}
  void StoreRow(int64_t, const double*, const PointFlags*, size_t) override {}
  void SetUpdateEvery(int update_every_s) override { update_every_s_ = update_every_s; }
  int64_t first_time_s(size_t) const override { return 0; }
  int64_t last_time_s(size_t) const override { return 0; }
  int update_every_s() const override { return update_every_s_; }
  size_t Query(size_t, int64_t, int64_t, PointVisitor) const override { return 0; }
  size_t bytes_used() const override { return sizeof(*this); }
  uint64_t dropped_points() const override { return 0; }

 private:
  int update_every_s_;
  size_t dimensions_ = 0;
};

class NoneEngine final : public StorageEngine {
 public:
  StorageMode mode() const override { return StorageMode::kNone; }
  absl::StatusOr<std::unique_ptr<ChartStore>> CreateChart(const ChartKey& key,
                                                          int update_every_s) override;
  size_t bytes_used() const override { return 0; }
};

}  // namespace ndrelay::db
