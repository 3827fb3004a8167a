#include "server/db/row_block_pool.h"

#include <sys/mman.h>

#include <cstdint>

namespace ndrelay::db {

RowBlockPool::~RowBlockPool() {
  for (void* chunk : chunks_) {
    munmap(chunk, kChunkBytes);
  }
}

bool RowBlockPool::NewChunk() {
  // Twice the size, then trimmed to one aligned chunk (2 MiB-aligned, as it was for huge pages:
  // the blocks of one chunk then share as few page-table pages as possible).
  const size_t span = 2 * kChunkBytes;
  void* p = mmap(nullptr, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) {
    return false;
  }
  const uintptr_t base = reinterpret_cast<uintptr_t>(p);
  const uintptr_t aligned = (base + kChunkBytes - 1) & ~(uintptr_t{kChunkBytes} - 1);
  if (aligned > base) {
    munmap(p, aligned - base);
  }
  const uintptr_t end = base + span;
  if (end > aligned + kChunkBytes) {
    munmap(reinterpret_cast<void*>(aligned + kChunkBytes), end - (aligned + kChunkBytes));
  }
  void* chunk = reinterpret_cast<void*>(aligned);
#ifdef MADV_NOHUGEPAGE
  // Small pages, also where transparent huge pages are "always" (see the header). Advice only.
  madvise(chunk, kChunkBytes, MADV_NOHUGEPAGE);
#endif
  chunks_.push_back(chunk);
  cursor_ = static_cast<char*>(chunk);
  left_ = kChunkBytes;
  return true;
}

RowBlockPool& RowBlockPool::Shared() {
  static RowBlockPool* const pool = new RowBlockPool();
  return *pool;
}

void* RowBlockPool::Allocate(size_t bytes, bool* zeroed) {
  if (zeroed != nullptr) {
    *zeroed = false;
  }
  if (bytes == 0 || bytes > kChunkBytes) {
    return nullptr;
  }
  const size_t size = RoundUp(bytes);
  std::lock_guard<std::mutex> lock(mu_);
  if (auto it = free_.find(size); it != free_.end() && !it->second.empty()) {
    void* block = it->second.back();
    it->second.pop_back();
    in_use_ += size;
    return block;
  }
  // The tail of a chunk too small for this block is left unused (at most one block's worth).
  if (left_ < size && !NewChunk()) {
    return nullptr;
  }
  void* block = cursor_;
  cursor_ += size;
  left_ -= size;
  in_use_ += size;
  if (zeroed != nullptr) {
    *zeroed = true;  // never handed out: as the system mapped it
  }
  return block;
}

void RowBlockPool::Free(void* block, size_t bytes) {
  if (block == nullptr) {
    return;
  }
  const size_t size = RoundUp(bytes);
  std::lock_guard<std::mutex> lock(mu_);
  free_[size].push_back(block);
  in_use_ -= size;
}

size_t RowBlockPool::bytes_mapped() const {
  std::lock_guard<std::mutex> lock(mu_);
  return chunks_.size() * kChunkBytes;
}

size_t RowBlockPool::bytes_in_use() const {
  std::lock_guard<std::mutex> lock(mu_);
  return in_use_;
}

}  // namespace ndrelay::db
