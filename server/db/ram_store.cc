#include "server/db/ram_store.h"

#include <algorithm>
#include <cstring>

#include "absl/status/status.h"

namespace ndrelay::db {
namespace {

int64_t ClampCapacity(int64_t capacity) {
  return std::clamp<int64_t>(capacity, kMinRamPoints, kMaxRamPoints);
}

int64_t CapacityOf(int64_t history_s, int update_every_s) {
  return ClampCapacity(history_s / std::max(update_every_s, 1));
}

}  // namespace

RamChart::RamChart(int64_t history_s, int update_every_s, std::atomic<size_t>* engine_bytes,
                   RowBlockPool* pool)
    : history_s_(history_s),
      engine_bytes_(engine_bytes),
      pool_(pool),
      update_every_s_(std::max(update_every_s, 1)),
      capacity_(CapacityOf(history_s, update_every_s_)) {
  Account();
}

RamChart::~RamChart() {
  ReleaseBlocks();
  if (engine_bytes_ != nullptr) {
    engine_bytes_->fetch_sub(accounted_, std::memory_order_relaxed);
  }
}

void RamChart::Account() {
  if (engine_bytes_ == nullptr) {
    return;
  }
  const size_t now = bytes_used();
  if (now >= accounted_) {
    engine_bytes_->fetch_add(now - accounted_, std::memory_order_relaxed);
  } else {
    engine_bytes_->fetch_sub(accounted_ - now, std::memory_order_relaxed);
  }
  accounted_ = now;
}

absl::StatusOr<size_t> RamChart::AddDimension(std::string_view dimension_id) {
  (void)dimension_id;
  if (columns_.size() >= kMaxChartStoreDimensions) {
    return absl::ResourceExhaustedError("too many dimensions in one chart");
  }
  FoldRows();
  columns_.emplace_back();
  if (width_ != 0) {
    if (columns_.size() > width_) {
      Reserve(columns_.size() + columns_.size() / 8);
    } else if (last_s_ != 0) {
      // A spare column: it may hold anything in the retained rows.
      const size_t col = columns_.size() - 1;
      for (int64_t t = RetainedFrom(); t <= last_s_; t += update_every_s_) {
        if (StorageNumber* row = ExistingRow(t); row != nullptr) {
          row[col] = kStorageNumberEmpty;
        }
      }
    }
  }
  Account();
  return columns_.size() - 1;
}

void RamChart::FoldRows() {
  if (all_last_s_ == 0) {
    return;
  }
  for (Column& c : columns_) {
    c.first_s = FirstOf(c);
    c.last_s = LastOf(c);
  }
  all_first_s_ = 0;
  all_last_s_ = 0;
}

StorageNumber* RamChart::TakeBlock(size_t bytes) {
  bool zeroed = false;
  void* memory = pool_ != nullptr ? pool_->Allocate(bytes, &zeroed) : ::operator new(bytes);
  if (memory != nullptr && !zeroed) {
    std::memset(memory, 0, bytes);
  }
  return static_cast<StorageNumber*>(memory);
}

StorageNumber*& RamChart::BlockEntry(std::vector<StorageNumber*>* blocks, size_t index,
                                     size_t count) {
  if (index >= blocks->size()) {
    if (index >= blocks->capacity()) {
      // Doubling, but never past the full table.
      blocks->reserve(std::min(std::max(2 * blocks->capacity(), index + 1), count));
    }
    blocks->resize(index + 1, nullptr);
  }
  return (*blocks)[index];
}

StorageNumber* RamChart::MutableSlot(int64_t slot) {
  StorageNumber*& block =
      BlockEntry(&blocks_, static_cast<size_t>(slot / rows_per_block_), BlockCount());
  if (block == nullptr) {
    block = TakeBlock(block_bytes());
    if (block == nullptr) {
      return nullptr;
    }
    ++blocks_taken_;
    Account();
  }
  return block + static_cast<size_t>(slot % rows_per_block_) * width_;
}

void RamChart::ReleaseBlocks() {
  cursor_row_ = nullptr;
  next_row_hint_ = nullptr;
  next_row_hint_bytes_ = 0;
  const size_t bytes = block_bytes();
  for (StorageNumber*& block : blocks_) {
    if (block == nullptr) {
      continue;
    }
    if (pool_ != nullptr) {
      pool_->Free(block, bytes);
    } else {
      ::operator delete(block);
    }
    block = nullptr;
  }
  blocks_taken_ = 0;
}

void RamChart::Reserve(size_t width) {
  const size_t row_bytes = width * sizeof(StorageNumber);
  // Equal blocks of whole rows, about kRamBlockTargetBytes each, as few as that allows.
  const int64_t target_rows =
      std::clamp<int64_t>(static_cast<int64_t>(kRamBlockTargetBytes / row_bytes), 1, capacity_);
  const int64_t nblocks = (capacity_ + target_rows - 1) / target_rows;
  const int64_t rows_per_block = (capacity_ + nblocks - 1) / nblocks;

  std::vector<StorageNumber*> blocks;  // grown as rows are copied in (see blocks_)
  size_t taken = 0;
  if (width_ != 0 && last_s_ != 0) {
    // Copy the retained rows; new columns start as gaps (taken blocks are zeroed).
    const size_t bytes = static_cast<size_t>(rows_per_block) * row_bytes;
    for (int64_t t = RetainedFrom(); t <= last_s_; t += update_every_s_) {
      const StorageNumber* from = ExistingRow(t);
      if (from == nullptr) {
        continue;
      }
      const int64_t slot = SlotOf(t);
      StorageNumber*& to =
          BlockEntry(&blocks, static_cast<size_t>(slot / rows_per_block),
                     static_cast<size_t>((capacity_ + rows_per_block - 1) / rows_per_block));
      if (to == nullptr) {
        if ((to = TakeBlock(bytes)) == nullptr) {
          continue;  // out of memory: that row reads back as gaps
        }
        ++taken;
      }
      std::memcpy(to + static_cast<size_t>(slot % rows_per_block) * width, from,
                  width_ * sizeof(StorageNumber));
    }
  }
  ReleaseBlocks();
  width_ = width;
  rows_per_block_ = rows_per_block;
  blocks_ = std::move(blocks);
  blocks_taken_ = taken;
}

int64_t RamChart::RetainedFrom() const {
  if (last_s_ == 0) {
    return 0;
  }
  return std::max(first_s_, last_s_ - (capacity_ - 1) * update_every_s_);
}

void RamChart::Advance(int64_t t, bool keep_row_t) {
  const int64_t ue = update_every_s_;
  const size_t row_bytes = width_ * sizeof(StorageNumber);
  // A row in a block not taken yet is a gap already.
  auto clear = [&](int64_t row_t) {
    if (StorageNumber* row = ExistingRow(row_t); row != nullptr) {
      std::memset(row, 0, row_bytes);
    }
  };
  if (last_s_ == 0) {
    // Empty (every block given back or never taken): the ring starts here.
    origin_ = (t / ue) % capacity_;
    first_s_ = t;
    if (!keep_row_t) {
      clear(t);
    }
  } else {
    // Rows last_s_+ue .. t (at most one lap) held values from one lap ago: clear them.
    const int64_t passed = std::min(ue == 1 ? t - last_s_ : (t - last_s_) / ue, capacity_);
    for (int64_t k = keep_row_t ? 1 : 0; k < passed; ++k) {
      clear(t - k * ue);
    }
  }
  last_s_ = t;
}

void RamChart::Store(size_t dim, int64_t time_s, double value, PointFlags flags) {
  if (dim >= columns_.size()) {
    return;
  }
  Column& c = columns_[dim];
  if (time_s <= 0) {
    ++dropped_;
    return;
  }
  // (update_every 1, the usual, without a 64-bit division per point)
  const int64_t t = update_every_s_ == 1 ? time_s : time_s - time_s % update_every_s_;
  if (t <= LastOf(c)) {
    ++dropped_;
    return;
  }
  if (width_ == 0) {
    Reserve(columns_.size());
    Account();
  }
  StorageNumber* row;
  if (t == last_s_ && cursor_row_ != nullptr) {
    row = cursor_row_;  // the usual case of per-point stores (v2, replication): the newest row
  } else {
    const bool newest = t > last_s_;
    if (newest) {
      Advance(t, /*keep_row_t=*/false);
    } else if (t < RetainedFrom()) {
      ++dropped_;
      return;
    }
    const int64_t slot = SlotOf(t);
    row = MutableSlot(slot);
    if (newest) {
      cursor_slot_ = slot;
      cursor_offset_ = slot % rows_per_block_;
      cursor_row_ = row;
    }
    if (row == nullptr) {
      ++dropped_;
      return;
    }
  }
  row[dim] = PackStorageNumber(value, flags);
  if (FirstOf(c) == 0) {
    c.first_s = t;
  }
  c.last_s = t;
}

void RamChart::StoreRow(int64_t time_s, const double* values, const PointFlags* flags, size_t n) {
  n = std::min(n, columns_.size());
  if (n == 0) {
    return;
  }
  if (time_s <= 0) {
    dropped_ += n;
    return;
  }
  const int64_t t = update_every_s_ == 1 ? time_s : time_s - time_s % update_every_s_;
  if (width_ == 0 || t <= last_s_ || n < columns_.size()) {
    // The general rules (a partial or late row, the first row): per point.
    for (size_t i = 0; i < n; ++i) {
      Store(i, time_s, values[i], flags[i]);
    }
    return;
  }
  // The hot path: a new newest row holding every column. The usual next row follows the cursor
  // (no division); a new block, a skipped row or a lap start over from the slot.
  int64_t slot;
  int64_t offset;
  StorageNumber* row;
  if (cursor_row_ != nullptr && t == last_s_ + update_every_s_ &&
      cursor_offset_ + 1 < rows_per_block_ && cursor_slot_ + 1 < capacity_) {
    slot = cursor_slot_ + 1;
    offset = cursor_offset_ + 1;
    row = cursor_row_ + width_;
    last_s_ = t;  // Advance(t, true) for the next row: no row passed, nothing to clear
  } else {
    slot = SlotOf(t);
    offset = slot % rows_per_block_;
    row = MutableSlot(slot);
    if (row == nullptr) {
      cursor_row_ = nullptr;
      dropped_ += n;
      return;
    }
    Advance(t, /*keep_row_t=*/true);
  }
  PackStorageRow(values, flags, row, n);
  cursor_slot_ = slot;
  cursor_offset_ = offset;
  cursor_row_ = row;
  // The next round writes the next row: ask for its cache lines now, so that write does not wait
  // for memory (the row of a chart is cold by then: every other chart ran in between). A row in
  // the next block has no hint: that block is taken and zeroed (so cached) when first written.
  if (offset + 1 < rows_per_block_ && slot + 1 < capacity_) {
    const StorageNumber* next = row + width_;
    __builtin_prefetch(next, 1, 3);
    __builtin_prefetch(next + width_ - 1, 1, 3);
    next_row_hint_ = next;
    next_row_hint_bytes_ = width_ * sizeof(StorageNumber);
  } else {
    next_row_hint_ = nullptr;
    next_row_hint_bytes_ = 0;
  }
  if (all_first_s_ == 0) {
    all_first_s_ = t;
  }
  all_last_s_ = t;
}

void RamChart::SetUpdateEvery(int update_every_s) {
  update_every_s = std::max(update_every_s, 1);
  if (update_every_s == update_every_s_) {
    return;
  }
  update_every_s_ = update_every_s;
  capacity_ = CapacityOf(history_s_, update_every_s_);
  ReleaseBlocks();
  blocks_.clear();
  width_ = 0;
  rows_per_block_ = 0;
  first_s_ = 0;
  last_s_ = 0;
  all_first_s_ = 0;
  all_last_s_ = 0;
  for (Column& c : columns_) {
    c = Column();
  }
  Account();
}

int64_t RamChart::first_time_s(size_t dim) const {
  if (dim >= columns_.size()) {
    return 0;
  }
  const Column& c = columns_[dim];
  const int64_t last = LastOf(c);
  if (last == 0) {
    return 0;
  }
  const int64_t from = std::max(FirstOf(c), RetainedFrom());
  return from <= last ? from : 0;
}

int64_t RamChart::last_time_s(size_t dim) const {
  if (dim >= columns_.size()) {
    return 0;
  }
  const int64_t last = LastOf(columns_[dim]);
  return last != 0 && last >= RetainedFrom() ? last : 0;
}

size_t RamChart::Query(size_t dim, int64_t after_s, int64_t before_s, PointVisitor visitor) const {
  const int64_t first = first_time_s(dim);
  if (first == 0) {
    return 0;
  }
  const int ue = update_every_s_;
  int64_t lo = std::max(after_s, first);
  const int64_t hi = std::min(before_s, LastOf(columns_[dim]));
  if (lo > hi) {
    return 0;
  }
  if (lo % ue != 0) {  // lo > 0 here: it is at least the first retained time
    const int64_t up = ue - lo % ue;
    if (hi - lo < up) {
      return 0;
    }
    lo += up;
  }
  // Counted, not compared against hi, so times near INT64_MAX cannot overflow.
  const int64_t count = (hi - lo) / ue + 1;
  size_t visited = 0;
  for (int64_t k = 0; k < count; ++k) {
    const int64_t t = lo + k * ue;
    const StorageNumber* row = ExistingRow(t);
    const StorageNumber n = row != nullptr ? row[dim] : kStorageNumberEmpty;
    ++visited;
    if (!visitor(t, UnpackStorageNumber(n), StorageNumberFlags(n))) {
      break;
    }
  }
  return visited;
}

size_t RamChart::bytes_used() const {
  return sizeof(*this) + columns_.capacity() * sizeof(Column) +
         blocks_.capacity() * sizeof(StorageNumber*) + blocks_taken() * block_bytes();
}

int64_t RamEngine::CapacityFor(int update_every_s) const {
  return CapacityOf(history_s_, update_every_s);
}

absl::StatusOr<std::unique_ptr<ChartStore>> RamEngine::CreateChart(const ChartKey& key,
                                                                   int update_every_s) {
  (void)key;
  if (update_every_s < 1) {
    return absl::InvalidArgumentError("update_every must be at least 1 second");
  }
  return std::make_unique<RamChart>(history_s_, update_every_s, &bytes_, &RowBlockPool::Shared());
}

absl::StatusOr<size_t> NoneChart::AddDimension(std::string_view dimension_id) {
  (void)dimension_id;
  if (dimensions_ >= kMaxChartStoreDimensions) {
    return absl::ResourceExhaustedError("too many dimensions in one chart");
  }
  return dimensions_++;
}

absl::StatusOr<std::unique_ptr<ChartStore>> NoneEngine::CreateChart(const ChartKey& key,
                                                                    int update_every_s) {
  (void)key;
  if (update_every_s < 1) {
    return absl::InvalidArgumentError("update_every must be at least 1 second");
  }
  return std::make_unique<NoneChart>(update_every_s);
}

}  // namespace ndrelay::db
