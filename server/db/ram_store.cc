#include "server/db/ram_store.h"

#include <algorithm>
#include <array>

#include "absl/status/status.h"

namespace ndrelay::db {
namespace {

int64_t ClampCapacity(int64_t capacity) {
  return std::clamp<int64_t>(capacity, kMinRamPoints, kMaxRamPoints);
}

}  // namespace

RamDimension::RamDimension(int64_t capacity, int update_every_s, std::atomic<size_t>* engine_bytes)
    : capacity_(ClampCapacity(capacity)),
      engine_bytes_(engine_bytes),
      // Value-initialized: every slot starts as the empty slot (0).
      ring_(std::make_unique_for_overwrite<StorageNumber[]>(static_cast<size_t>(capacity_))),
      update_every_s_(std::max(update_every_s, 1)) {
  if (engine_bytes_ != nullptr) {
    engine_bytes_->fetch_add(bytes_used(), std::memory_order_relaxed);
  }
}

RamDimension::~RamDimension() {
  if (engine_bytes_ != nullptr) {
    engine_bytes_->fetch_sub(bytes_used(), std::memory_order_relaxed);
  }
}

void RamDimension::Store(int64_t time_s, double value, PointFlags flags) {
  const StorageNumber packed = PackStorageNumber(value, flags);
  const int ue = update_every_s_;
  if (time_s <= 0) {
    ++dropped_;
    return;
  }
  const int64_t t = time_s - time_s % ue;
  if (last_s_ != 0) {
    if (t <= last_s_) {
      ++dropped_;
      return;
    }
    // Slots skipped since the previous point hold values from one ring lap ago: clear them.
    const int64_t skipped = std::min((t - last_s_) / ue - 1, capacity_);
    for (int64_t k = 1; k <= skipped; ++k) {
      ring_[SlotOf(t - k * ue, ue)] = kStorageNumberEmpty;
    }
  } else {
    first_s_ = t;
  }
  ring_[SlotOf(t, ue)] = packed;
  last_s_ = t;
}

void RamDimension::SetUpdateEvery(int update_every_s) {
  update_every_s = std::max(update_every_s, 1);
  if (update_every_s == update_every_s_) {
    return;
  }
  update_every_s_ = update_every_s;
  first_s_ = 0;
  last_s_ = 0;
}

int64_t RamDimension::FirstRetained() const {
  if (last_s_ == 0) {
    return 0;
  }
  return std::max(first_s_, last_s_ - (capacity_ - 1) * update_every_s_);
}

int64_t RamDimension::first_time_s() const { return FirstRetained(); }

int64_t RamDimension::last_time_s() const { return last_s_; }

int RamDimension::update_every_s() const { return update_every_s_; }

size_t RamDimension::Query(int64_t after_s, int64_t before_s, PointVisitor visitor) const {
  std::array<StorageNumber, kQueryChunkPoints> chunk;
  size_t visited = 0;
  int64_t next_s = after_s;
  while (true) {
    int64_t start_s = 0;
    int ue = 1;
    size_t n = 0;
    {
      if (last_s_ == 0) {
        break;
      }
      ue = update_every_s_;
      int64_t lo = std::max(next_s, FirstRetained());
      const int64_t hi = std::min(before_s, last_s_);
      if (lo > hi) {
        break;
      }
      if (lo % ue != 0) {
        lo += ue - lo % ue;  // lo > 0 here: it is at least the first retained time
        if (lo > hi) {
          break;
        }
      }
      n = static_cast<size_t>(std::min<int64_t>((hi - lo) / ue + 1, kQueryChunkPoints));
      for (size_t i = 0; i < n; ++i) {
        chunk[i] = ring_[SlotOf(lo + static_cast<int64_t>(i) * ue, ue)];
      }
      start_s = lo;
    }
    for (size_t i = 0; i < n; ++i) {
      ++visited;
      if (!visitor(start_s + static_cast<int64_t>(i) * ue, UnpackStorageNumber(chunk[i]),
                   StorageNumberFlags(chunk[i]))) {
        return visited;
      }
    }
    next_s = start_s + static_cast<int64_t>(n) * ue;
  }
  return visited;
}

size_t RamDimension::bytes_used() const {
  return sizeof(*this) + static_cast<size_t>(capacity_) * sizeof(StorageNumber);
}

uint64_t RamDimension::dropped_points() const { return dropped_; }

int64_t RamEngine::CapacityFor(int update_every_s) const {
  return ClampCapacity(history_s_ / std::max(update_every_s, 1));
}

absl::StatusOr<std::unique_ptr<DimensionStore>> RamEngine::CreateDimension(const MetricKey& key,
                                                                           int update_every_s) {
  (void)key;
  if (update_every_s < 1) {
    return absl::InvalidArgumentError("update_every must be at least 1 second");
  }
  return std::make_unique<RamDimension>(CapacityFor(update_every_s), update_every_s, &bytes_);
}

absl::StatusOr<std::unique_ptr<DimensionStore>> NoneEngine::CreateDimension(const MetricKey& key,
                                                                            int update_every_s) {
  (void)key;
  if (update_every_s < 1) {
    return absl::InvalidArgumentError("update_every must be at least 1 second");
  }
  return std::make_unique<NoneDimension>(update_every_s);
}

}  // namespace ndrelay::db
