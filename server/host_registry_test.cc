#include "server/host_registry.h"

#include <string>

#include "gtest/gtest.h"

namespace ndrelay::server {
namespace {

class FakeControl : public ReceiverControl {
 public:
  void Kick(std::string reason) override { kicked = reason; }
  std::string kicked;
};

TEST(HostRegistryTest, SecondLiveConnectionIsRefusedAStaleOneIsReplaced) {
  HostRegistry r;
  auto a = std::make_shared<FakeControl>();
  std::shared_ptr<Host> h;
  ASSERT_EQ(r.AttachReceiver("g1", 1, a, /*now=*/1000, /*stale=*/30, &h),
            HostRegistry::Attach::kOk);
  h->last_data_s = 1000;
  std::shared_ptr<Host> h2;
  EXPECT_EQ(r.AttachReceiver("g1", 2, std::make_shared<FakeControl>(), 1020, 30, &h2),
            HostRegistry::Attach::kAlreadyStreaming);
  EXPECT_TRUE(a->kicked.empty());
  ASSERT_EQ(r.AttachReceiver("g1", 3, std::make_shared<FakeControl>(), 1031, 30, &h2),
            HostRegistry::Attach::kOk);
  EXPECT_FALSE(a->kicked.empty());
  EXPECT_EQ(h.get(), h2.get());
  // The replaced session's detach must not mark the host disconnected.
  r.DetachReceiver(h, 1, "old", 1032);
  EXPECT_TRUE(h->connected);
  r.DetachReceiver(h, 3, "bye", 1033);
  EXPECT_FALSE(h->connected);
  auto rows = r.StreamingStatus();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].reason, "bye");
}

TEST(HostRegistryTest, CleanupRemovesEphemeralAndOrphanHostsOnTime) {
  HostRegistry r;
  std::shared_ptr<Host> eph, orphan, live;
  r.AttachReceiver("eph", 1, std::make_shared<FakeControl>(), 100, 30, &eph);
  r.AttachReceiver("orphan", 2, std::make_shared<FakeControl>(), 100, 30, &orphan);
  r.AttachReceiver("live", 3, std::make_shared<FakeControl>(), 100, 30, &live);
  eph->ephemeral = true;
  r.DetachReceiver(eph, 1, "gone", 200);
  r.DetachReceiver(orphan, 2, "gone", 200);
  EXPECT_EQ(r.Cleanup(209, /*ephemeral_after=*/10, /*orphan_after=*/100), 0u);
  EXPECT_EQ(r.Cleanup(210, 10, 100), 1u);
  EXPECT_EQ(r.Find("eph"), nullptr);
  EXPECT_NE(r.Find("orphan"), nullptr);
  EXPECT_EQ(r.Cleanup(300, 10, 100), 1u);
  EXPECT_EQ(r.Find("orphan"), nullptr);
  EXPECT_NE(r.Find("live"), nullptr);      // connected hosts stay whatever their age
  EXPECT_EQ(r.Cleanup(100000, 0, 0), 0u);  // 0 = never
}

TEST(HostRegistryTest, FindByGuidOrHostname) {
  HostRegistry r;
  std::shared_ptr<Host> h;
  r.AttachReceiver("0000-guid", 1, std::make_shared<FakeControl>(), 1, 30, &h);
  {
    absl::MutexLock l(&h->mu);
    h->hostname = "web01";
  }
  EXPECT_EQ(r.Find("web01"), h);
  EXPECT_EQ(r.Find("0000-guid"), h);
  EXPECT_EQ(r.Find("nope"), nullptr);
}

// Adds dimensions "<prefix><i>" to a bare chart the way the receiver does.
void AddDimensions(Chart* chart, size_t count, const std::string& prefix) {
  for (size_t i = 0; i < count; ++i) {
    Dimension& d = chart->dims.emplace_back();
    d.id = prefix + std::to_string(i);
    d.index = static_cast<uint32_t>(chart->dims.size() - 1);
    chart->AddId();
  }
}

TEST(ChartTest, DimensionIdsAreFoundInSmallAndLargeCharts) {
  for (size_t count : {size_t{1}, size_t{4}, Chart::kLinearDimensionIds,
                       Chart::kLinearDimensionIds + 1, size_t{300}}) {
    SCOPED_TRACE(count);
    Chart chart;
    // Ids that are prefixes of each other ("d1", "d10", "d100") must not match one another.
    AddDimensions(&chart, count, "d");
    EXPECT_EQ(chart.dim_index.empty(), count <= Chart::kLinearDimensionIds);
    for (size_t i = 0; i < count; ++i) {
      EXPECT_EQ(chart.IndexOfId("d" + std::to_string(i)), static_cast<int64_t>(i));
    }
    EXPECT_EQ(chart.IndexOfId("d"), -1);
    EXPECT_EQ(chart.IndexOfId("d" + std::to_string(count)), -1);
    EXPECT_EQ(chart.IndexOfId(""), -1);
    // SET order: the cursor's guess first, then any order (the cursor follows the last found).
    chart.set_cursor = 0;
    for (size_t i = 0; i < count; ++i) {
      EXPECT_EQ(chart.FindDimensionIndex("d" + std::to_string(i)), static_cast<int64_t>(i));
    }
    for (size_t i = count; i-- > 0;) {
      EXPECT_EQ(chart.FindDimensionIndex("d" + std::to_string(i)), static_cast<int64_t>(i));
      EXPECT_EQ(chart.set_cursor, i + 1);
    }
    EXPECT_EQ(chart.FindDimensionIndex("nope"), -1);
  }
}

}  // namespace
}  // namespace ndrelay::server
