#include "server/db/ram_store.h"

#include <atomic>
#include <cmath>
#include <cstdint>
#include <limits>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace ndrelay::db {
namespace {

constexpr int64_t kT0 = 1795519500;  // a grid-aligned second from the captures' era
constexpr int64_t kForever = std::numeric_limits<int64_t>::max();

struct Seen {
  int64_t time_s;
  double value;
  PointFlags flags;
};

std::vector<Seen> QueryAll(const DimensionStore& store, int64_t after, int64_t before) {
  std::vector<Seen> out;
  const size_t n = store.Query(after, before, [&](int64_t t, double v, PointFlags f) {
    out.push_back({t, v, f});
    return true;
  });
  EXPECT_EQ(n, out.size());
  return out;
}

TEST(RamDimensionTest, StoresAndQueriesInOrder) {
  RamDimension dim(10, 1);
  EXPECT_EQ(dim.first_time_s(), 0);
  EXPECT_EQ(dim.last_time_s(), 0);
  EXPECT_TRUE(QueryAll(dim, 0, kForever).empty());

  for (int i = 0; i < 5; ++i) {
    dim.Store(kT0 + i, 10.5 * i, kPointNone);
  }
  EXPECT_EQ(dim.first_time_s(), kT0);
  EXPECT_EQ(dim.last_time_s(), kT0 + 4);
  const auto got = QueryAll(dim, kT0, kT0 + 4);
  ASSERT_EQ(got.size(), 5u);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(got[i].time_s, kT0 + i);
    EXPECT_DOUBLE_EQ(got[i].value, 10.5 * i);
    EXPECT_EQ(got[i].flags, kPointNone);
  }
}

struct BoundsCase {
  int64_t after;
  int64_t before;
  int64_t first_expected;  // 0 = nothing visited
  size_t count;
};

// Points at kT0, kT0+2, ..., kT0+18 (update_every 2).
TEST(RamDimensionTest, QueryBoundsAreInclusiveAndClamped) {
  RamDimension dim(100, 2);
  for (int64_t i = 0; i < 10; ++i) {
    dim.Store(kT0 + 2 * i, static_cast<double>(i), kPointNone);
  }
  const BoundsCase cases[] = {
      {0, kForever, kT0, 10},           // everything
      {kT0, kT0 + 18, kT0, 10},         // exact bounds are inclusive
      {kT0 + 1, kT0 + 18, kT0 + 2, 9},  // after between grid points rounds up
      {kT0 + 4, kT0 + 4, kT0 + 4, 1},   // a single point
      {kT0 + 5, kT0 + 5, 0, 0},         // no grid point inside
      {kT0 + 6, kT0 + 3, 0, 0},         // reversed range
      {kT0 + 19, kForever, 0, 0},       // after the newest point
      {0, kT0 - 1, 0, 0},               // before the oldest point
      {kT0 - 100, kT0 + 7, kT0, 4},     // partially before the oldest point
  };
  for (const BoundsCase& c : cases) {
    SCOPED_TRACE(testing::Message() << c.after << ".." << c.before);
    const auto got = QueryAll(dim, c.after, c.before);
    ASSERT_EQ(got.size(), c.count);
    if (c.count > 0) {
      EXPECT_EQ(got.front().time_s, c.first_expected);
      for (size_t i = 1; i < got.size(); ++i) {
        EXPECT_EQ(got[i].time_s, got[i - 1].time_s + 2);
      }
    }
  }
}

TEST(RamDimensionTest, TimesAreFlooredToTheGrid) {
  RamDimension dim(10, 5);
  dim.Store(kT0 + 3, 1.0, kPointNone);  // kT0 is a multiple of 5
  EXPECT_EQ(dim.last_time_s(), kT0);
  dim.Store(kT0 + 4, 2.0, kPointNone);  // same grid slot: not forward in time
  EXPECT_EQ(dim.dropped_points(), 1u);
  dim.Store(kT0 + 9, 3.0, kPointNone);
  const auto got = QueryAll(dim, 0, kForever);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].time_s, kT0);
  EXPECT_EQ(got[1].time_s, kT0 + 5);
  EXPECT_DOUBLE_EQ(got[1].value, 3.0);
}

TEST(RamDimensionTest, RingWrapsAroundKeepingTheNewest) {
  RamDimension dim(5, 1);
  for (int i = 0; i < 12; ++i) {
    dim.Store(kT0 + i, i, kPointNone);
  }
  EXPECT_EQ(dim.first_time_s(), kT0 + 7);
  EXPECT_EQ(dim.last_time_s(), kT0 + 11);
  const auto got = QueryAll(dim, 0, kForever);
  ASSERT_EQ(got.size(), 5u);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(got[i].time_s, kT0 + 7 + i);
    EXPECT_DOUBLE_EQ(got[i].value, 7 + i);
  }
  // Asking for evicted times gives only what is retained.
  EXPECT_EQ(QueryAll(dim, kT0, kT0 + 8).size(), 2u);
}

TEST(RamDimensionTest, SkippedSlotsBecomeGapsNotStaleValues) {
  RamDimension dim(5, 1);
  for (int i = 0; i < 5; ++i) {
    dim.Store(kT0 + i, 100 + i, kPointNone);  // fills the whole ring
  }
  dim.Store(kT0 + 8, 8, kPointNone);  // skips kT0+5..kT0+7, whose slots held kT0+0..kT0+2
  const auto got = QueryAll(dim, 0, kForever);
  ASSERT_EQ(got.size(), 5u);
  EXPECT_EQ(got[0].time_s, kT0 + 4);
  EXPECT_DOUBLE_EQ(got[0].value, 104);
  for (int i = 1; i <= 3; ++i) {
    EXPECT_EQ(got[i].time_s, kT0 + 4 + i);
    EXPECT_TRUE(std::isnan(got[i].value));
    EXPECT_EQ(got[i].flags, kPointEmpty);
  }
  EXPECT_DOUBLE_EQ(got[4].value, 8);
}

TEST(RamDimensionTest, GapLongerThanTheRingClearsEverything) {
  RamDimension dim(5, 1);
  for (int i = 0; i < 5; ++i) {
    dim.Store(kT0 + i, i, kPointNone);
  }
  dim.Store(kT0 + 100, 1.0, kPointNone);
  EXPECT_EQ(dim.first_time_s(), kT0 + 96);
  const auto got = QueryAll(dim, 0, kForever);
  ASSERT_EQ(got.size(), 5u);
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(got[i].flags, kPointEmpty) << i;
  }
  EXPECT_DOUBLE_EQ(got[4].value, 1.0);
}

TEST(RamDimensionTest, OutOfOrderAndNonPositiveTimesAreDropped) {
  RamDimension dim(10, 1);
  dim.Store(kT0 + 5, 1, kPointNone);
  dim.Store(kT0 + 5, 2, kPointNone);
  dim.Store(kT0 + 1, 3, kPointNone);
  dim.Store(0, 4, kPointNone);
  dim.Store(-7, 5, kPointNone);
  EXPECT_EQ(dim.dropped_points(), 4u);
  const auto got = QueryAll(dim, 0, kForever);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_DOUBLE_EQ(got[0].value, 1);
}

TEST(RamDimensionTest, GapsAndResetFlagsAreStored) {
  RamDimension dim(10, 1);
  dim.Store(kT0, 1.0, kPointReset);
  dim.Store(kT0 + 1, std::nan(""), kPointNone);
  dim.Store(kT0 + 2, 7.0, kPointEmpty);
  dim.Store(kT0 + 3, 0.0, kPointNone);
  const auto got = QueryAll(dim, 0, kForever);
  ASSERT_EQ(got.size(), 4u);
  EXPECT_EQ(got[0].flags, kPointReset);
  EXPECT_DOUBLE_EQ(got[0].value, 1.0);
  EXPECT_EQ(got[1].flags, kPointEmpty);
  EXPECT_EQ(got[2].flags, kPointEmpty);
  EXPECT_TRUE(std::isnan(got[2].value));
  EXPECT_EQ(got[3].flags, kPointNone);  // zero is a value, not a gap
  EXPECT_EQ(got[3].value, 0.0);
}

TEST(RamDimensionTest, ValuesCarryStorageNumberPrecision) {
  RamDimension dim(10, 1);
  dim.Store(kT0, 100.0 / 199.0, kPointNone);
  dim.Store(kT0 + 1, 123456789.0, kPointNone);
  const auto got = QueryAll(dim, 0, kForever);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_NEAR(got[0].value, 0.5025126, 1e-15);
  EXPECT_NEAR(got[1].value, 123456790.0, 1e-6);
}

TEST(RamDimensionTest, VisitorCanStopEarly) {
  RamDimension dim(10, 1);
  for (int i = 0; i < 10; ++i) {
    dim.Store(kT0 + i, i, kPointNone);
  }
  int calls = 0;
  const size_t n = dim.Query(0, kForever, [&](int64_t, double, PointFlags) { return ++calls < 3; });
  EXPECT_EQ(n, 3u);
  EXPECT_EQ(calls, 3);
}

TEST(RamDimensionTest, QuerySpansManyChunks) {
  const int64_t points = 3 * static_cast<int64_t>(kQueryChunkPoints) + 17;
  RamDimension dim(points, 1);
  for (int64_t i = 0; i < points; ++i) {
    dim.Store(kT0 + i, static_cast<double>(i), kPointNone);
  }
  int64_t expected = 0;
  const size_t n = dim.Query(0, kForever, [&](int64_t t, double v, PointFlags) {
    EXPECT_EQ(t, kT0 + expected);
    EXPECT_DOUBLE_EQ(v, static_cast<double>(expected));
    ++expected;
    return true;
  });
  EXPECT_EQ(n, static_cast<size_t>(points));
}

TEST(RamDimensionTest, UpdateEveryChangeDropsHistory) {
  RamDimension dim(10, 1);
  dim.Store(kT0, 1, kPointNone);
  dim.SetUpdateEvery(1);  // unchanged: kept
  EXPECT_EQ(dim.last_time_s(), kT0);
  dim.SetUpdateEvery(2);
  EXPECT_EQ(dim.update_every_s(), 2);
  EXPECT_EQ(dim.first_time_s(), 0);
  EXPECT_EQ(dim.last_time_s(), 0);
  EXPECT_TRUE(QueryAll(dim, 0, kForever).empty());
  dim.Store(kT0 + 2, 5, kPointNone);
  EXPECT_EQ(QueryAll(dim, 0, kForever).size(), 1u);
}

TEST(RamDimensionTest, CapacityIsClampedAndFourBytesPerPoint) {
  EXPECT_EQ(RamDimension(0, 1).capacity(), kMinRamPoints);
  EXPECT_EQ(RamDimension(3, 1).capacity(), kMinRamPoints);
  RamDimension dim(3600, 1);
  EXPECT_EQ(dim.capacity(), 3600);
  EXPECT_EQ(dim.bytes_used(), sizeof(RamDimension) + size_t{3600} * 4);
  static_assert(sizeof(StorageNumber) == 4, "4 bytes per point");
}

TEST(RamEngineTest, SizesRingsFromHistoryAndAccountsBytes) {
  RamEngine engine(3600);
  EXPECT_EQ(engine.mode(), StorageMode::kRam);
  EXPECT_EQ(engine.CapacityFor(1), 3600);
  EXPECT_EQ(engine.CapacityFor(7), 514);
  EXPECT_EQ(engine.CapacityFor(3600), kMinRamPoints);
  EXPECT_EQ(engine.bytes_used(), 0u);

  auto a = engine.CreateDimension({"host", "system.cpu", "user"}, 1);
  ASSERT_TRUE(a.ok()) << a.status();
  const size_t one = (*a)->bytes_used();
  EXPECT_EQ(engine.bytes_used(), one);
  auto b = engine.CreateDimension({"host", "system.cpu", "system"}, 2);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(engine.bytes_used(), one + (*b)->bytes_used());
  a->reset();
  EXPECT_EQ(engine.bytes_used(), (*b)->bytes_used());
  b->reset();
  EXPECT_EQ(engine.bytes_used(), 0u);

  EXPECT_FALSE(engine.CreateDimension({"h", "c", "d"}, 0).ok());
}

TEST(NoneEngineTest, StoresNothing) {
  NoneEngine engine;
  EXPECT_EQ(engine.mode(), StorageMode::kNone);
  auto dim = engine.CreateDimension({"host", "system.cpu", "user"}, 3);
  ASSERT_TRUE(dim.ok());
  (*dim)->Store(kT0, 1.0, kPointNone);
  (*dim)->Store(kT0 + 3, 2.0, kPointReset);
  EXPECT_EQ((*dim)->first_time_s(), 0);
  EXPECT_EQ((*dim)->last_time_s(), 0);
  EXPECT_EQ((*dim)->update_every_s(), 3);
  EXPECT_TRUE(QueryAll(**dim, 0, kForever).empty());
  (*dim)->SetUpdateEvery(5);
  EXPECT_EQ((*dim)->update_every_s(), 5);
  EXPECT_EQ(engine.bytes_used(), 0u);
  EXPECT_FALSE(engine.CreateDimension({"h", "c", "d"}, 0).ok());
}

}  // namespace
}  // namespace ndrelay::db
