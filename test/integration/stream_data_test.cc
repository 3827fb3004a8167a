// What a child's stream becomes inside ndrelay, driven by our own encoder where the real
// Netdata 1.37.1 cannot speak the dialect (v2 data with IEEE754 and slots, as newer children
// send), and the parent's replication state machine with a scripted child.
#include <poll.h>
#include <unistd.h>

#include <cmath>
#include <ctime>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "bridge/caps.h"
#include "bridge/legacy_encoder.h"
#include "bridge/lz4_stream.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "ndrelay/v1/admin.grpc.pb.h"
#include "test/testutil/relay.h"

namespace ndrelay {
namespace {

using testutil::ConnectLoopback;
using testutil::ReadAll;
using testutil::SendAll;

constexpr char kKey[] = "11111111-2222-3333-4444-555555555555";
constexpr char kStreamConf[] =
    "[11111111-2222-3333-4444-555555555555]\n    enabled = yes\n"
    "    seconds to replicate = 3600\n    seconds per replication step = 20\n";

class StreamDataTest : public ::testing::Test {
 protected:
  void SetUp() override {
    relay_ = std::make_unique<testutil::Relay>(testutil::TestNetdataConf(dir_), kStreamConf);
    ASSERT_TRUE(relay_->ok()) << relay_->Log();
    stub_ = v1::Admin::NewStub(
        grpc::CreateChannel(relay_->address(), grpc::InsecureChannelCredentials()));
  }
  // Connects a child offering `ver`; returns the fd and the negotiated reply.
  int Connect(const std::string& host, const std::string& guid, uint64_t ver, std::string* reply) {
    int fd = ConnectLoopback(relay_->port());
    EXPECT_TRUE(SendAll(
        fd, absl::StrCat("STREAM key=", kKey, "&hostname=", host, "&machine_guid=", guid,
                         "&update_every=1&ver=", ver, " HTTP/1.1\r\nUser-Agent: test/1\r\n\r\n")));
    *reply = ReadAll(fd, std::chrono::milliseconds(500));
    return fd;
  }
  v1::QueryDataResponse Query(const std::string& node, const std::string& chart, int64_t after,
                              int64_t before) {
    grpc::ClientContext ctx;
    v1::QueryDataRequest req;
    req.set_node(node);
    req.set_chart(chart);
    req.set_after(after);
    req.set_before(before);
    v1::QueryDataResponse resp;
    EXPECT_TRUE(stub_->QueryData(&ctx, req, &resp).ok());
    return resp;
  }
  testutil::TempDir dir_;
  std::unique_ptr<testutil::Relay> relay_;
  std::unique_ptr<v1::Admin::Stub> stub_;
};

TEST_F(StreamDataTest, V2DataWithIeee754AndSlotsIsStoredAsSent) {
  const uint32_t caps = bridge::kCapVCaps | bridge::kCapHLabels | bridge::kCapClaim |
                        bridge::kCapCLabels | bridge::kCapInterpolated | bridge::kCapIeee754 |
                        bridge::kCapSlots | bridge::kCapBinary;
  std::string reply;
  int fd = Connect("v2child", "dddddddd-0000-0000-0000-000000000001", caps, &reply);
  ASSERT_EQ(reply, absl::StrCat(std::string(bridge::kReplyVersionPrefix), caps));
  bridge::LegacyEncoder enc(caps);
  std::string out;
  bridge::ChartEvent chart;
  chart.slot = 3;
  chart.id = "app.v2";
  chart.title = "v2";
  chart.units = "things";
  chart.family = "f";
  chart.context = "app.v2";
  chart.chart_type_word = "line";
  chart.update_every = 1;
  enc.Chart(&out, chart);
  bridge::DimensionEvent dim;
  dim.slot = 1;
  dim.id = "a";
  dim.name = "a";
  dim.algorithm_word = "absolute";
  enc.Dimension(&out, dim);
  dim.slot = 2;
  dim.id = "b";
  dim.name = "b";
  enc.Dimension(&out, dim);
  const int64_t base = time(nullptr) - 30;
  for (int i = 0; i < 20; ++i) {
    bridge::Begin2Event b;
    b.slot = 3;
    b.id = "app.v2";
    b.update_every = 1;
    b.end_time_s = base + i;
    b.wall_clock_s = base + i;
    enc.Begin2(&out, b);
    bridge::Set2Event s;
    s.slot = 1;
    s.id = "a";
    s.collected.kind = bridge::CollectedValue::Kind::kInt;
    s.collected.i = i;
    s.value = 0.25 * i;
    enc.Set2(&out, s);
    s.slot = 2;
    s.id = "b";
    s.value = 1000.5;
    s.flags = i == 7 ? bridge::kSampleEmpty : 0;
    enc.Set2(&out, s);
    enc.End2(&out);
  }
  ASSERT_TRUE(SendAll(fd, out));
  v1::QueryDataResponse data;
  ASSERT_TRUE(testutil::WaitFor(
      [&] {
        data = Query("v2child", "app.v2", base, base + 19);
        return data.rows_size() == 20;
      },
      std::chrono::seconds(5)))
      << data.DebugString() << relay_->Log();
  for (int i = 0; i < 20; ++i) {
    const auto& row = data.rows(i);
    EXPECT_EQ(row.time(), base + i);
    EXPECT_DOUBLE_EQ(row.values(0), 0.25 * i);
    if (i == 7) {
      EXPECT_TRUE(std::isnan(row.values(1)));
      EXPECT_EQ(row.flags(1) & 1u, 1u);
    } else {
      EXPECT_DOUBLE_EQ(row.values(1), 1000.5);
    }
  }
  close(fd);
}

// Reads parent->child lines until one starting with REPLAY_CHART arrives (bounded).
std::string ReadReplayChart(int fd, std::string* pending) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (std::chrono::steady_clock::now() < deadline) {
    size_t nl = pending->find('\n');
    if (nl != std::string::npos) {
      std::string line = pending->substr(0, nl);
      pending->erase(0, nl + 1);
      return line;
    }
    *pending += ReadAll(fd, std::chrono::milliseconds(100));
  }
  return "";
}

TEST_F(StreamDataTest, ReplicationRoundsFillTheGapThenLiveDataFlows) {
  std::string reply;
  int fd = Connect("replchild", "dddddddd-0000-0000-0000-000000000002",
                   bridge::kCapsNetdata137 & ~bridge::kCapLz4, &reply);
  ASSERT_EQ(reply, "Hit me baby, push them over with the version=15296");
  const uint32_t caps = 15296;
  bridge::LegacyEncoder enc(caps);
  const int64_t now = time(nullptr);
  const int64_t first = now - 45;  // the child has 45 s of history
  std::string out =
      "CHART \"app.r\" \"\" \"r\" \"u\" \"f\" \"app.r\" \"line\" 1 1 \"\" \"p\" \"m\"\n"
      "DIMENSION \"x\" \"x\" \"absolute\" 1 1 \"\"\n";
  enc.ChartDefinitionEnd(&out, {first, now, now});
  ASSERT_TRUE(SendAll(fd, out));
  // The parent has nothing: it asks from the child's first entry in steps of 20 s.
  std::string pending;
  int rounds = 0;
  int64_t expect_after = first;
  while (true) {
    std::string line = ReadReplayChart(fd, &pending);
    ASSERT_FALSE(line.empty()) << relay_->Log();
    std::vector<std::string> w = absl::StrSplit(line, ' ');
    ASSERT_EQ(w.size(), 5u) << line;
    ASSERT_EQ(w[0], "REPLAY_CHART");
    ASSERT_EQ(w[1], "\"app.r\"");
    const bool start = w[2] == "\"true\"";
    const int64_t after = std::stoll(w[3]);
    const int64_t before = std::stoll(w[4]);
    EXPECT_EQ(after, expect_after) << line;
    EXPECT_LE(before - after, 20) << line;
    // Answer with one point per second in (after, before].
    out.clear();
    enc.ReplayBegin(&out, 0, "app.r");
    for (int64_t t = after + 1; t <= before; ++t) {
      enc.ReplayBeginPoint(&out, 0, t - 1, t, now);
      bridge::ReplaySetEvent s;
      s.id = "x";
      s.value = static_cast<double>(t - first);
      enc.ReplaySet(&out, s);
    }
    bridge::ReplayEndEvent e;
    e.update_every = 1;
    e.db_first_s = first;
    e.db_last_s = now;
    e.start_streaming = start;
    e.after_s = after;
    e.before_s = before;
    e.wall_clock_s = now;
    enc.ReplayEnd(&out, e);
    ASSERT_TRUE(SendAll(fd, out));
    ++rounds;
    expect_after = before;
    if (start) {
      break;
    }
    ASSERT_LT(rounds, 10);
  }
  EXPECT_GE(rounds, 3);
  v1::QueryDataResponse data;
  ASSERT_TRUE(testutil::WaitFor(
      [&] {
        data = Query("replchild", "app.r", first + 1, now);
        return data.rows_size() == now - first;
      },
      std::chrono::seconds(5)))
      << data.rows_size() << relay_->Log();
  for (const auto& row : data.rows()) {
    EXPECT_DOUBLE_EQ(row.values(0), static_cast<double>(row.time() - first)) << row.time();
  }
  // The node reports replication done.
  grpc::ClientContext ctx;
  v1::ListNodesResponse nodes;
  ASSERT_TRUE(stub_->ListNodes(&ctx, {}, &nodes).ok());
  ASSERT_EQ(nodes.nodes_size(), 1);
  EXPECT_EQ(nodes.nodes(0).replication().charts_done(), 1u);
  EXPECT_EQ(nodes.nodes(0).replication().charts_replicating(), 0u);
  EXPECT_EQ(nodes.nodes(0).replication().requests_sent(), static_cast<uint64_t>(rounds));
  close(fd);
}

TEST_F(StreamDataTest, CompressedStreamWithOurEncoderAndCorruptionClosesOnlyThatChild) {
  std::string reply;
  int fd =
      Connect("lz4child", "dddddddd-0000-0000-0000-000000000003", bridge::kCapsNetdata137, &reply);
  ASSERT_EQ(reply, "Hit me baby, push them over with the version=16320");
  bridge::Lz4StreamEncoder lz;
  std::string wire;
  ASSERT_TRUE(lz.Compress("CHART \"app.z\" \"\" \"z\" \"u\" \"f\" \"app.z\" \"line\" 1 1 \"\" "
                          "\"p\" \"m\"\nDIMENSION \"v\" \"v\" \"absolute\" 1 1 \"\"\n",
                          &wire)
                  .ok());
  ASSERT_TRUE(SendAll(fd, wire));
  grpc::ClientContext ctx;
  v1::GetChartRequest req;
  req.set_node("lz4child");
  req.set_chart("app.z");
  v1::Chart chart;
  ASSERT_TRUE(testutil::WaitFor(
      [&] {
        grpc::ClientContext c;
        return stub_->GetChart(&c, req, &chart).ok();
      },
      std::chrono::seconds(5)));
  EXPECT_EQ(chart.dimensions_size(), 1);
  // A corrupt block: a valid header announcing 20 bytes of garbage.
  std::string bad;
  bridge::AppendLz4FrameHeader(20, &bad);
  bad += std::string(20, '\xff');
  ASSERT_TRUE(SendAll(fd, bad));
  bool closed = false;
  ReadAll(fd, std::chrono::seconds(3), &closed);
  EXPECT_TRUE(closed);
  EXPECT_TRUE(absl::StrContains(relay_->Log(), "lz4 decompression failed")) << relay_->Log();
  close(fd);
}

}  // namespace
}  // namespace ndrelay
