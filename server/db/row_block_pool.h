#pragma once

// Memory for the ram engine's ring blocks (server/db/ram_store.h), carved in allocation order out
// of 2 MiB chunks that the kernel is asked to back with transparent huge pages.
//
// Why: every round of a chart writes one ring row, and a parent holds thousands of charts. With
// one separately allocated ring per chart, the rows written in a round lie on as many 4 KiB pages
// as there are charts, more than the TLB holds, so nearly every row write waited for a page walk
// (a 1 GiB huge-page arena measured +35% samples per CPU-second on 20,000 metrics). Blocks come
// from here in time order instead: charts that advance together take their next blocks together,
// so the rows of one round share a few huge pages, and memory still becomes resident only as
// blocks are taken (at most one partly used chunk ahead).
//
// Freed blocks are kept per size and reused; chunks go back to the system only when the pool is
// destroyed (a ring never shrinks while its chart lives). The ram engines share one pool per
// process (Shared()), so there is at most one partly used 2 MiB chunk in all. Without huge pages
// (THP off, or fragmented memory) the kernel backs chunks with small pages: everything still works.
//
// Thread-safe: one mutex, taken once per block (a block holds many rows, so once per dozens of
// rounds of a chart).

#include <cstddef>
#include <mutex>
#include <vector>

#include "absl/container/flat_hash_map.h"

namespace ndrelay::db {

class RowBlockPool {
 public:
  static constexpr size_t kChunkBytes = size_t{2} << 20;  // one x86-64 huge page
  static constexpr size_t kAlignBytes = 64;               // blocks start on a cache line

  RowBlockPool() = default;
  RowBlockPool(const RowBlockPool&) = delete;
  RowBlockPool& operator=(const RowBlockPool&) = delete;
  ~RowBlockPool();

  // The process-wide pool the ram engines share (so the at most one partly used chunk is one per
  // process, not one per host). Never destroyed.
  static RowBlockPool& Shared();

  // A block of at least `bytes` (1..kChunkBytes; 0 or larger gives nullptr), aligned to
  // kAlignBytes. *zeroed (if given) tells whether it is known to hold zeros (memory never used
  // since the system mapped it); otherwise its contents are unspecified. nullptr also when the
  // system refuses memory.
  void* Allocate(size_t bytes, bool* zeroed = nullptr);
  // Gives back a block from Allocate() with the same `bytes`.
  void Free(void* block, size_t bytes);

  // Bytes mapped from the system (chunks), and bytes in blocks currently handed out.
  size_t bytes_mapped() const;
  size_t bytes_in_use() const;

 private:
  static size_t RoundUp(size_t bytes) { return (bytes + kAlignBytes - 1) & ~(kAlignBytes - 1); }
  bool NewChunk();  // mu_ held

  mutable std::mutex mu_;
  std::vector<void*> chunks_;                             // each kChunkBytes, kChunkBytes-aligned
  char* cursor_ = nullptr;                                // next free byte of the newest chunk
  size_t left_ = 0;                                       // bytes left after cursor_ in it
  absl::flat_hash_map<size_t, std::vector<void*>> free_;  // by rounded size
  size_t in_use_ = 0;
};

}  // namespace ndrelay::db
