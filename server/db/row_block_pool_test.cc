#include "server/db/row_block_pool.h"

#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace ndrelay::db {
namespace {

TEST(RowBlockPoolTest, BlocksAreAlignedDisjointAndInAllocationOrder) {
  RowBlockPool pool;
  std::vector<char*> blocks;
  for (int i = 0; i < 100; ++i) {
    char* b = static_cast<char*>(pool.Allocate(4080));
    ASSERT_NE(b, nullptr);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(b) % RowBlockPool::kAlignBytes, 0u);
    std::memset(b, i, 4080);  // writable, and overlaps would show below
    blocks.push_back(b);
  }
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(blocks[i][0], static_cast<char>(i));
    EXPECT_EQ(blocks[i][4079], static_cast<char>(i));
  }
  // Consecutive blocks are neighbours within a chunk (4080 rounds up to 4096).
  EXPECT_EQ(blocks[1] - blocks[0], 4096);
  EXPECT_EQ(pool.bytes_in_use(), size_t{100} * 4096);
  EXPECT_EQ(pool.bytes_mapped(), RowBlockPool::kChunkBytes);  // 100 * 4 KiB fit one chunk
}

TEST(RowBlockPoolTest, ChunksAreAlignedAndGrowOnDemand) {
  RowBlockPool pool;
  std::set<uintptr_t> chunks;
  for (int i = 0; i < 600; ++i) {  // 600 * 4 KiB = 2.3 chunks
    void* b = pool.Allocate(4096);
    ASSERT_NE(b, nullptr);
    chunks.insert(reinterpret_cast<uintptr_t>(b) & ~(uintptr_t{RowBlockPool::kChunkBytes} - 1));
  }
  EXPECT_EQ(chunks.size(), 2u);
  EXPECT_EQ(pool.bytes_mapped(), 2 * RowBlockPool::kChunkBytes);
}

// The chunks are advised against transparent huge pages (row_block_pool.h): the kernel shows the
// advice as "nh" in the mapping's VmFlags.
TEST(RowBlockPoolTest, ChunksAreAdvisedSmallPages) {
  RowBlockPool pool;
  const uintptr_t block = reinterpret_cast<uintptr_t>(pool.Allocate(4096));
  ASSERT_NE(block, 0u);
  std::ifstream smaps("/proc/self/smaps");
  if (!smaps) {
    GTEST_SKIP() << "no /proc/self/smaps";
  }
  std::string line;
  bool in_mapping = false;
  bool found = false;
  while (std::getline(smaps, line)) {
    uintptr_t begin = 0, end = 0;
    if (std::sscanf(line.c_str(), "%" SCNxPTR "-%" SCNxPTR " ", &begin, &end) == 2 &&
        line.find(':') > line.find(' ')) {
      in_mapping = block >= begin && block < end;
      continue;
    }
    if (in_mapping && line.starts_with("VmFlags:")) {
      found = true;
      EXPECT_NE((line + " ").find(" nh "), std::string::npos) << line;
    }
  }
  EXPECT_TRUE(found) << "no mapping holds the block";
}

TEST(RowBlockPoolTest, FreedBlocksAreReusedBySize) {
  RowBlockPool pool;
  bool zeroed = false;
  void* a = pool.Allocate(2400, &zeroed);
  EXPECT_TRUE(zeroed);  // fresh from the system
  EXPECT_EQ(static_cast<const char*>(a)[0], 0);
  void* b = pool.Allocate(2400);
  std::memset(a, 7, 2400);
  pool.Free(a, 2400);
  EXPECT_EQ(pool.bytes_in_use(), size_t{2432});  // 2400 rounded to 64
  void* other = pool.Allocate(100);              // another size: not a's block
  EXPECT_NE(other, a);
  EXPECT_EQ(pool.Allocate(2400, &zeroed), a);
  EXPECT_FALSE(zeroed);  // reused: its old contents are still there
  pool.Free(b, 2400);
  pool.Free(a, 2400);
  pool.Free(other, 100);
  pool.Free(nullptr, 100);
  EXPECT_EQ(pool.bytes_in_use(), 0u);
}

TEST(RowBlockPoolTest, RefusesEmptyAndOversizeBlocks) {
  RowBlockPool pool;
  EXPECT_EQ(pool.Allocate(0), nullptr);
  EXPECT_EQ(pool.Allocate(RowBlockPool::kChunkBytes + 1), nullptr);
  EXPECT_NE(pool.Allocate(RowBlockPool::kChunkBytes), nullptr);
  EXPECT_EQ(pool.bytes_mapped(), RowBlockPool::kChunkBytes);
}

}  // namespace
}  // namespace ndrelay::db
