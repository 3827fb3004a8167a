#pragma once

// Memory for the ram engine's ring blocks (server/db/ram_store.h), carved in allocation order out
// of 2 MiB chunks backed by small pages.
//
// Why: every round of a chart writes one ring row, and a parent holds thousands of charts. With
// one separately allocated ring per chart, the rows written in a round lie on as many pages as
// there are charts, scattered, so nearly every row write waited for a page walk. Blocks come from
// here in time order instead: charts that advance together take their next blocks together, so
// the rows of one round are neighbours, and memory becomes resident only as blocks are taken.
//
// Small pages, not transparent huge pages (which the chunks were advised for until 2026-11-28):
// on the VMs measured, the first touch of a fresh huge page cost ~4.5 ms (0.46 GB/s, against
// 2.4 GB/s for 4 KiB pages), the first seconds of a parent taking 5,000 charts spent 13 % more CPU
// with them (12 s of 20 x 250 x 4 at 1x: 40-52 ms against 39-47 ms, 5 interleaved rounds), and a
// whole chunk became resident at once (1.1 MiB more RSS there); the steady state was the same
// (interleaved, 3 rounds each: 94-103 against 94-102 ns per sample at x10, 78-98 against 76-85 at
// 1x). The chunks are advised MADV_NOHUGEPAGE, so hosts with THP "always" behave the same.
//
// Freed blocks are kept per size and reused; chunks go back to the system only when the pool is
// destroyed (a ring never shrinks while its chart lives). The ram engines share one pool per
// process (Shared()), so there is at most one partly used 2 MiB chunk in all.
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
  static constexpr size_t kChunkBytes = size_t{2} << 20;
  static constexpr size_t kAlignBytes = 64;  // blocks start on a cache line

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
