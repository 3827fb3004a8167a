#include "server/db/storage.h"

#include "absl/status/status.h"
#include "gtest/gtest.h"

namespace ndrelay::db {
namespace {

TEST(StorageTest, CreatesTheEngineOfEachMode) {
  auto none = CreateStorageEngine({StorageMode::kNone, 3600});
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_EQ((*none)->mode(), StorageMode::kNone);

  auto ram = CreateStorageEngine({StorageMode::kRam, 600});
  ASSERT_TRUE(ram.ok()) << ram.status();
  EXPECT_EQ((*ram)->mode(), StorageMode::kRam);
  auto chart = (*ram)->CreateChart({"guid", "system.cpu"}, 1);
  ASSERT_TRUE(chart.ok());
  EXPECT_EQ((*chart)->update_every_s(), 1);
  auto dim = (*chart)->AddDimension("user");
  ASSERT_TRUE(dim.ok());
  EXPECT_EQ(*dim, 0u);
  (*chart)->Store(*dim, 1795519500, 1.0, kPointNone);  // the ring is allocated at the first store
  EXPECT_EQ((*chart)->last_time_s(*dim), 1795519500);
  // 600 rows of 4 bytes in 3 blocks of 200: the first is taken at the first store.
  EXPECT_GE((*ram)->bytes_used(), 200u * 4);
  EXPECT_LT((*ram)->bytes_used(), 600u * 4);
  EXPECT_EQ((*ram)->bytes_used(), (*chart)->bytes_used());

  auto none_chart = (*none)->CreateChart({"guid", "system.cpu"}, 1);
  ASSERT_TRUE(none_chart.ok());
  EXPECT_EQ((*none)->bytes_used(), 0u);

  auto dbengine = CreateStorageEngine({StorageMode::kDbengine, 3600});
  EXPECT_EQ(dbengine.status().code(), absl::StatusCode::kUnimplemented);
}

TEST(StorageTest, RejectsEmptyRamHistory) {
  EXPECT_EQ(CreateStorageEngine({StorageMode::kRam, 0}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CreateStorageEngine({StorageMode::kRam, -5}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(StorageTest, ModeNames) {
  EXPECT_EQ(StorageModeName(StorageMode::kNone), "none");
  EXPECT_EQ(StorageModeName(StorageMode::kRam), "ram");
  EXPECT_EQ(StorageModeName(StorageMode::kDbengine), "dbengine");
}

}  // namespace
}  // namespace ndrelay::db
