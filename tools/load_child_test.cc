#include "tools/load_child.h"

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "bridge/caps.h"
#include "bridge/lz4_stream.h"
#include "bridge/stream_request.h"
#include "conf/uuid.h"
#include "gtest/gtest.h"
#include "tools/load_test_support.h"

namespace ndrelay::tools {
namespace {

using testing::Recorder;
using testing::WireDecoder;

constexpr int64_t kNow = 1795519460;
constexpr std::string_view kKey = "11111111-2222-3333-4444-555555555555";
// What a Netdata 1.37.1 parent replies to a 1.37.1 child (captures/compressed/conn1.reply.txt).
constexpr uint32_t kCaps137 = 16320;
constexpr uint32_t kCaps137Plain = 15296;

std::string VersionReply(uint32_t caps) {
  return std::string(bridge::kReplyVersionPrefix) + std::to_string(caps);
}

std::unique_ptr<LoadChild> NewChild(const LoadShape* shape, uint32_t offered, int index = 0) {
  return std::make_unique<LoadChild>(shape, index, /*seed=*/7, MakeChildIdentity("t", 7, index),
                                     std::string(kKey), offered);
}

// A child accepted with `reply_caps` and started; its session start is decoded into *rec.
struct Session {
  std::unique_ptr<LoadChild> child;
  Recorder rec;
  std::unique_ptr<WireDecoder> wire;

  Session(const LoadShape* shape, uint32_t offered, uint32_t reply_caps) {
    child = NewChild(shape, offered);
    EXPECT_EQ(child->OnReply(VersionReply(reply_caps), false), Handshake::kAccepted);
    std::string out;
    EXPECT_TRUE(child->Start(kNow, &out).ok());
    wire = std::make_unique<WireDecoder>(child->compressed(), child->caps(), &rec);
    Feed(out);
  }
  void Feed(std::string_view bytes) {
    EXPECT_TRUE(wire->Feed(bytes)) << rec.error << " " << wire->decoder().status();
    EXPECT_EQ(rec.error, "");
  }
  uint64_t Collect(int64_t t) {
    std::string out;
    absl::StatusOr<uint64_t> n = child->Collect(t, &out);
    EXPECT_TRUE(n.ok()) << n.status();
    Feed(out);
    return n.ok() ? *n : 0;
  }
  void Parent(std::string_view lines) {
    std::string out;
    EXPECT_TRUE(child->OnParentBytes(lines, kNow, &out).ok());
    Feed(out);
  }
};

std::string ReplayChart(std::string_view id, bool start, int64_t after, int64_t before) {
  std::string s;
  bridge::LegacyEncoder::ReplayChart(&s, id, start, after, before);
  return s;
}

TEST(LoadShapeTest, IdsAndFindChart) {
  LoadShape shape(12, 3, 1);
  EXPECT_EQ(shape.chart_id(0), "ndload.c0001");
  EXPECT_EQ(shape.chart_id(11), "ndload.c0012");
  EXPECT_EQ(shape.dim_id(2), "d003");
  struct Case {
    std::string_view id;
    int index;
  } cases[] = {
      {"ndload.c0001", 0}, {"ndload.c0012", 11}, {"ndload.c0013", -1}, {"ndload.c0000", -1},
      {"ndload.c1", -1},  // same number, other spelling: not our id
      {"ndload.c", -1},    {"ndload.c00x1", -1}, {"system.cpu", -1},   {"", -1},
      {"ndload.c0x1", -1},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(shape.FindChart(c.id), c.index) << c.id;
  }
}

TEST(LoadChildTest, IdentitiesAreDeterministicUniqueAndUuidShaped) {
  std::set<std::string> guids;
  for (int i = 0; i < 2000; ++i) {
    ChildIdentity id = MakeChildIdentity("ndload", 1, i);
    EXPECT_TRUE(conf::IsUuid(id.machine_guid)) << id.machine_guid;
    EXPECT_EQ(id.machine_guid[14], '4');  // version 4 layout
    guids.insert(id.machine_guid);
  }
  EXPECT_EQ(guids.size(), 2000u);
  EXPECT_EQ(MakeChildIdentity("ndload", 1, 5).machine_guid,
            MakeChildIdentity("ndload", 1, 5).machine_guid);
  EXPECT_NE(MakeChildIdentity("ndload", 1, 5).machine_guid,
            MakeChildIdentity("ndload", 2, 5).machine_guid);
  EXPECT_EQ(MakeChildIdentity("ndload", 1, 0).hostname, "ndload-0001");
  EXPECT_EQ(MakeChildIdentity("x", 1, 41).hostname, "x-0042");
}

TEST(LoadChildTest, OfferedCapsTable) {
  struct Case {
    Protocol protocol;
    bool compression;
    bool ieee754;
    uint32_t caps;
  } cases[] = {
      {Protocol::kV1, true, false, 16376},  // Netdata 1.37.1 (spec §4.3)
      {Protocol::kV1, false, false, 15352},
      {Protocol::kV2, true, false, 16376 | bridge::kCapInterpolated},
      {Protocol::kV2, false, false, 15352 | bridge::kCapInterpolated},
      {Protocol::kV2, true, true, 16376 | bridge::kCapInterpolated | bridge::kCapIeee754},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(OfferedCaps(c.protocol, c.compression, c.ieee754), c.caps);
  }
}

TEST(LoadChildTest, RequestParsesBackAsOurChild) {
  LoadShape shape(1, 1, 2);
  auto child = NewChild(&shape, 16376, 3);
  absl::StatusOr<bridge::StreamRequest> r = bridge::ParseStreamRequest(child->Request());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->key, kKey);
  EXPECT_EQ(r->hostname, "t-0004");
  EXPECT_EQ(r->registry_hostname, "t-0004");
  EXPECT_EQ(r->machine_guid, child->identity().machine_guid);
  EXPECT_EQ(r->update_every, 2);
  EXPECT_EQ(r->hops, 1);
  ASSERT_TRUE(r->ver.has_value());
  EXPECT_EQ(*r->ver, 16376u);
  EXPECT_TRUE(r->has_protocol_version);
  EXPECT_TRUE(r->leftover.empty());
}

TEST(LoadChildTest, HandshakeReplyTable) {
  const uint32_t v2_offer = OfferedCaps(Protocol::kV2, true, false);
  struct Case {
    std::string name;
    uint32_t offered;
    std::string reply;
    bool closed;
    Handshake want;
    uint32_t caps;
  } cases[] = {
      {"137 lz4", 16376, VersionReply(kCaps137), false, Handshake::kAccepted, kCaps137},
      {"137 plain", 16376, VersionReply(kCaps137Plain), false, Handshake::kAccepted, kCaps137Plain},
      // A parent that offers more than we asked for: intersected with our offer.
      {"new parent", 16376, VersionReply(536674296), false, Handshake::kAccepted, kCaps137},
      {"v2 kept", v2_offer, VersionReply(kCaps137 | bridge::kCapInterpolated), false,
       Handshake::kAccepted, kCaps137 | bridge::kCapInterpolated},
      {"legacy v1", 16376, std::string(bridge::kReplyV1), false, Handshake::kAccepted,
       bridge::kCapV1},
      {"legacy v2", 16376, std::string(bridge::kReplyV2), false, Handshake::kAccepted,
       bridge::kCapV2 | bridge::kCapHLabels},
      {"legacy 5", 16376, VersionReply(5), false, Handshake::kAccepted,
       bridge::kCapVN | bridge::kCapHLabels | bridge::kCapClaim | bridge::kCapCLabels |
           bridge::kCapLz4},
      {"version 0", 16376, VersionReply(0), false, Handshake::kBad, 0},
      {"not permitted", 16376, std::string(bridge::kReplyNotPermitted), true, Handshake::kRejected,
       0},
      {"busy", 16376, std::string(bridge::kReplyTooBusy), false, Handshake::kRejected, 0},
      {"already", 16376, std::string(bridge::kReplyAlreadyStreaming), true, Handshake::kRejected,
       0},
      {"localhost", 16376, std::string(bridge::kReplyLocalhost), true, Handshake::kRejected, 0},
      {"vnode", 16376, std::string(bridge::kReplyLocalVnode), true, Handshake::kRejected, 0},
      {"initializing", 16376, std::string(bridge::kReplyInitializing), true, Handshake::kRejected,
       0},
      {"web acl old", 16376, std::string(bridge::kReplyNotAllowedOld), true, Handshake::kRejected,
       0},
      {"http error", 16376, "HTTP/1.1 400 Bad Request\r\n", false, Handshake::kBad, 0},
      {"partial prefix", 16376, "Hit me baby", false, Handshake::kNeedMore, 0},
      {"whole prefix, no digit", 16376, std::string(bridge::kReplyVersionPrefix), false,
       Handshake::kNeedMore, 0},
      {"partial prefix then close", 16376, "Hit me baby", true, Handshake::kBad, 0},
      {"partial rejection", 16376, "You are not permitted", false, Handshake::kNeedMore, 0},
      {"nothing then close", 16376, "", true, Handshake::kBad, 0},
  };
  LoadShape shape(1, 1, 1);
  for (const Case& c : cases) {
    auto child = NewChild(&shape, c.offered);
    EXPECT_EQ(child->OnReply(c.reply, c.closed), c.want) << c.name;
    if (c.want == Handshake::kAccepted) {
      EXPECT_EQ(child->caps(), c.caps) << c.name;
    }
  }
}

TEST(LoadChildTest, RealCapturedRepliesAreClassified) {
  std::string accepted;
  std::string rejected;
  if (!testing::ReadCapture("compressed/conn1.reply.txt", &accepted) ||
      !testing::ReadCapture("rejected-wrong-key/conn1.reply.txt", &rejected)) {
    GTEST_SKIP() << "captures not found in " << testing::CapturesDir();
  }
  LoadShape shape(1, 1, 1);
  auto a = NewChild(&shape, 16376);
  EXPECT_EQ(a->OnReply(accepted, false), Handshake::kAccepted);
  EXPECT_EQ(a->caps(), kCaps137);
  auto b = NewChild(&shape, 16376);
  EXPECT_EQ(b->OnReply(rejected, true), Handshake::kRejected);
}

TEST(LoadChildTest, ReplyInPiecesWaitsUntilTheNumberStarts) {
  // Every split inside the fixed text waits; the answer comes with the digits, and later
  // calls return the same final answer.
  const std::string reply = VersionReply(kCaps137);
  const size_t digits = bridge::kReplyVersionPrefix.size();
  LoadShape shape(1, 1, 1);
  for (size_t k = 0; k < digits; ++k) {
    auto child = NewChild(&shape, 16376);
    ASSERT_EQ(child->OnReply(reply.substr(0, k), false), Handshake::kNeedMore) << k;
    ASSERT_EQ(child->OnReply(reply.substr(k), false), Handshake::kAccepted) << k;
    EXPECT_EQ(child->caps(), kCaps137);
    EXPECT_EQ(child->OnReply("garbage", true), Handshake::kAccepted);
  }
  // One byte at a time through the fixed text.
  auto child = NewChild(&shape, 16376);
  for (size_t i = 0; i < digits; ++i) {
    ASSERT_EQ(child->OnReply(reply.substr(i, 1), false), Handshake::kNeedMore) << i;
  }
  EXPECT_EQ(child->OnReply(reply.substr(digits), false), Handshake::kAccepted);
  EXPECT_EQ(child->caps(), kCaps137);
}

TEST(LoadChildTest, StartBeforeAcceptAndCollectBeforeStartFail) {
  LoadShape shape(1, 1, 1);
  auto child = NewChild(&shape, 16376);
  std::string out;
  EXPECT_EQ(child->Start(kNow, &out).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_FALSE(child->Collect(kNow, &out).ok());
  EXPECT_FALSE(child->OnParentBytes("x\n", kNow, &out).ok());
  ASSERT_EQ(child->OnReply(VersionReply(kCaps137), false), Handshake::kAccepted);
  EXPECT_TRUE(child->Start(kNow, &out).ok());
  EXPECT_FALSE(child->Start(kNow, &out).ok());
}

TEST(LoadChildTest, SessionStartDefinesEveryChartThenWaitsForReplication) {
  LoadShape shape(6, 4, 1);
  Session s(&shape, 16376, kCaps137);
  ASSERT_TRUE(s.child->compressed());
  ASSERT_TRUE(s.child->replication());
  EXPECT_FALSE(s.child->v2());
  EXPECT_EQ(s.rec.claimed_guid, s.child->identity().machine_guid);
  EXPECT_EQ(s.rec.overwrites, 1);
  EXPECT_EQ(s.rec.labels["_os_name"], "ndrelay-load");
  ASSERT_EQ(s.rec.charts.size(), 6u);
  for (int c = 0; c < 6; ++c) {
    EXPECT_EQ(s.rec.charts[static_cast<size_t>(c)], shape.chart_id(c));
    EXPECT_EQ(s.rec.chart_update_every[static_cast<size_t>(c)], 1);
    EXPECT_EQ(s.rec.dims[shape.chart_id(c)],
              (std::vector<std::string>{"d001", "d002", "d003", "d004"}));
  }
  ASSERT_EQ(s.rec.definition_ends.size(), 6u);
  for (const auto& e : s.rec.definition_ends) {
    EXPECT_EQ(e.first_entry_s, 0);  // no history
    EXPECT_EQ(e.last_entry_s, 0);
    EXPECT_EQ(e.wall_clock_s, kNow);
  }
  // No data before REPLAY_CHART: nothing at all is written.
  std::string out;
  absl::StatusOr<uint64_t> n = s.child->Collect(kNow, &out);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 0u);
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(s.child->charts_streaming(), 0);

  // The parent asks for chart 3, one byte at a time.
  const std::string req = ReplayChart(shape.chart_id(2), true, 0, 0);
  for (char ch : req) {
    s.Parent(std::string_view(&ch, 1));
  }
  ASSERT_EQ(s.rec.replay_begins, std::vector<std::string>{shape.chart_id(2)});
  ASSERT_EQ(s.rec.replay_ends.size(), 1u);
  const bridge::ReplayEndEvent& end = s.rec.replay_ends[0];
  EXPECT_EQ(end.update_every, 1);
  EXPECT_EQ(end.db_first_s, 0);
  EXPECT_EQ(end.db_last_s, 0);
  EXPECT_TRUE(end.start_streaming);
  EXPECT_EQ(end.after_s, 0);
  EXPECT_EQ(end.before_s, 0);
  EXPECT_EQ(end.wall_clock_s, kNow);
  EXPECT_EQ(s.child->charts_streaming(), 1);

  EXPECT_EQ(s.Collect(kNow + 1), 4u);
  ASSERT_EQ(s.rec.points.size(), 1u);
  EXPECT_EQ(s.rec.points[0].chart, shape.chart_id(2));
  EXPECT_EQ(s.rec.points[0].microseconds, 0);  // first point of the chart

  // A second request for the same chart (e.g. "false" with a window) is answered too, with the
  // data range now known; the chart keeps streaming.
  s.Parent(ReplayChart(shape.chart_id(2), false, kNow - 600, kNow));
  ASSERT_EQ(s.rec.replay_ends.size(), 2u);
  EXPECT_EQ(s.rec.replay_ends[1].db_first_s, kNow + 1);
  EXPECT_EQ(s.rec.replay_ends[1].db_last_s, kNow + 1);
  EXPECT_TRUE(s.rec.replay_ends[1].start_streaming);
  EXPECT_EQ(s.child->charts_streaming(), 1);
  EXPECT_EQ(s.child->replay_requests(), 2u);
}

TEST(LoadChildTest, V1CountersIncrementEveryIteration) {
  for (bool compression : {false, true}) {
    SCOPED_TRACE(compression);
    LoadShape shape(3, 5, 2);
    // A parent without REPLICATION: data flows right after the definitions.
    const uint32_t reply = (compression ? kCaps137 : kCaps137Plain) & ~bridge::kCapReplication;
    Session s(&shape, OfferedCaps(Protocol::kV1, compression, false), reply);
    EXPECT_EQ(s.child->compressed(), compression);
    EXPECT_TRUE(s.rec.definition_ends.empty());
    EXPECT_EQ(s.child->charts_streaming(), 3);
    for (int i = 0; i < 4; ++i) {
      EXPECT_EQ(s.Collect(kNow + 2 * i), 15u);
    }
    ASSERT_EQ(s.rec.points.size(), 12u);
    EXPECT_EQ(s.rec.samples(), 60u);
    for (size_t p = 0; p < s.rec.points.size(); ++p) {
      const Recorder::Point& pt = s.rec.points[p];
      const int c = shape.FindChart(pt.chart);
      const int64_t n = static_cast<int64_t>(p / 3);
      ASSERT_EQ(c, static_cast<int>(p % 3));
      EXPECT_FALSE(pt.v2);
      EXPECT_EQ(pt.microseconds, n == 0 ? 0 : 2 * kMicrosPerSecond);
      ASSERT_EQ(pt.collected.size(), 5u);
      for (int d = 0; d < 5; ++d) {
        EXPECT_EQ(pt.collected[static_cast<size_t>(d)].first, shape.dim_id(d));
        const int64_t v = pt.collected[static_cast<size_t>(d)].second;
        EXPECT_EQ(v, s.child->CounterValue(c, d, n));
        const int64_t step = s.child->CounterValue(c, d, 0);
        EXPECT_GE(step, 1);
        EXPECT_LE(step, kMaxCounterStep);
        EXPECT_EQ(v, step * (n + 1));
      }
    }
  }
}

TEST(LoadChildTest, V2SendsBegin2WithAdvancingEndTimes) {
  for (bool ieee754 : {false, true}) {
    SCOPED_TRACE(ieee754);
    LoadShape shape(2, 3, 5);
    const uint32_t offered = OfferedCaps(Protocol::kV2, true, ieee754);
    // A NEW parent keeps INTERPOLATED (and IEEE754 when offered).
    const uint32_t reply = kCaps137 | bridge::kCapInterpolated | bridge::kCapIeee754;
    Session s(&shape, offered, reply);
    ASSERT_TRUE(s.child->v2());
    EXPECT_EQ(s.child->caps() & bridge::kCapIeee754, ieee754 ? bridge::kCapIeee754 : 0u);
    s.Parent(ReplayChart(shape.chart_id(0), true, 0, 0) +
             ReplayChart(shape.chart_id(1), true, 0, 0));
    for (int i = 0; i < 3; ++i) {
      EXPECT_EQ(s.Collect(kNow + 5 * i), 6u);
    }
    ASSERT_EQ(s.rec.points.size(), 6u);
    for (size_t p = 0; p < 6; ++p) {
      const Recorder::Point& pt = s.rec.points[p];
      const int c = static_cast<int>(p % 2);
      const int64_t n = static_cast<int64_t>(p / 2);
      EXPECT_TRUE(pt.v2);
      EXPECT_EQ(pt.chart, shape.chart_id(c));
      EXPECT_EQ(pt.update_every, 5);
      EXPECT_EQ(pt.end_time_s, kNow + 5 * n);
      for (int d = 0; d < 3; ++d) {
        const int64_t step = s.child->CounterValue(c, d, 0);
        EXPECT_EQ(pt.collected[static_cast<size_t>(d)].second, step * (n + 1));
        EXPECT_DOUBLE_EQ(pt.values[static_cast<size_t>(d)], static_cast<double>(step) / 5);
        EXPECT_EQ(pt.flags[static_cast<size_t>(d)], bridge::kSampleNotAnomalous);
      }
    }
  }
}

TEST(LoadChildTest, V2OfferToAnOldParentFallsBackToV1) {
  LoadShape shape(1, 2, 1);
  Session s(&shape, OfferedCaps(Protocol::kV2, true, true), kCaps137);
  EXPECT_FALSE(s.child->v2());
  s.Parent(ReplayChart(shape.chart_id(0), true, 0, 0));
  EXPECT_EQ(s.Collect(kNow), 2u);
  ASSERT_EQ(s.rec.points.size(), 1u);
  EXPECT_FALSE(s.rec.points[0].v2);
}

TEST(LoadChildTest, ParentStreamSplitAtEveryPointGivesTheSameAnswers) {
  LoadShape shape(4, 2, 1);
  const std::string stream = ReplayChart(shape.chart_id(0), true, 0, 0) +
                             "FUNCTION 1234 10 \"processes\"\n" +  // a call we do not serve
                             ReplayChart(shape.chart_id(3), false, 100, 200) +
                             ReplayChart("system.cpu", true, 0, 0) +  // not ours
                             "\n" + ReplayChart(shape.chart_id(1), true, 0, 0);
  std::string reference;
  for (size_t k = 0; k <= stream.size(); ++k) {
    auto child = NewChild(&shape, OfferedCaps(Protocol::kV1, false, false));
    ASSERT_EQ(child->OnReply(VersionReply(kCaps137Plain), false), Handshake::kAccepted);
    std::string start;
    ASSERT_TRUE(child->Start(kNow, &start).ok());
    std::string out;
    ASSERT_TRUE(child->OnParentBytes(std::string_view(stream).substr(0, k), kNow, &out).ok());
    ASSERT_TRUE(child->OnParentBytes(std::string_view(stream).substr(k), kNow, &out).ok());
    if (k == 0) {
      reference = out;
    }
    ASSERT_EQ(out, reference) << "split at " << k;
    EXPECT_EQ(child->replay_requests(), 4u);
    EXPECT_EQ(child->unknown_replay_requests(), 1u);
    EXPECT_EQ(child->ignored_parent_lines(), 1u);
    EXPECT_EQ(child->charts_streaming(), 3);
  }
  // The answers, as a parent reads them: one RBEGIN/REND pair per request, in order.
  Recorder rec;
  WireDecoder dec(false, kCaps137Plain, &rec);
  ASSERT_TRUE(dec.Feed(reference)) << rec.error;
  EXPECT_EQ(rec.replay_begins, (std::vector<std::string>{shape.chart_id(0), shape.chart_id(3),
                                                         "system.cpu", shape.chart_id(1)}));
  ASSERT_EQ(rec.replay_ends.size(), 4u);
  EXPECT_EQ(rec.replay_ends[2].update_every, 0);  // unknown chart, like Netdata 2.x
  for (const auto& e : rec.replay_ends) {
    EXPECT_TRUE(e.start_streaming);
  }
}

TEST(LoadChildTest, RealCapturedParentStreamIsAnsweredRequestForRequest) {
  // Everything a real Netdata 1.37.1 parent sent its child: the reply, glued (in the recording)
  // to 210 REPLAY_CHART lines for charts we do not have. Every request gets its own empty answer.
  std::string s2c;
  if (!testing::ReadCapture("compressed/conn1.s2c.bin", &s2c)) {
    GTEST_SKIP() << "captures not found in " << testing::CapturesDir();
  }
  size_t requests = 0;
  for (size_t pos = 0; (pos = s2c.find("REPLAY_CHART ", pos)) != std::string::npos; ++pos) {
    ++requests;
  }
  ASSERT_GT(requests, 100u);
  const size_t reply_len = VersionReply(kCaps137).size();
  ASSERT_EQ(s2c.substr(0, reply_len), VersionReply(kCaps137));
  LoadShape shape(2, 2, 1);
  // (a) all of it in one read: the requests after the digits are answered by Start();
  // (b) the reply alone, then the requests in 7-byte pieces.
  for (bool one_read : {true, false}) {
    SCOPED_TRACE(one_read);
    auto child = NewChild(&shape, 16376);
    ASSERT_EQ(
        child->OnReply(
            one_read ? std::string_view(s2c) : std::string_view(s2c).substr(0, reply_len), false),
        Handshake::kAccepted);
    EXPECT_EQ(child->caps(), kCaps137);
    std::string out;
    ASSERT_TRUE(child->Start(kNow, &out).ok());
    if (!one_read) {
      for (size_t i = reply_len; i < s2c.size(); i += 7) {
        ASSERT_TRUE(child->OnParentBytes(std::string_view(s2c).substr(i, 7), kNow, &out).ok());
      }
    }
    EXPECT_EQ(child->replay_requests(), requests);
    EXPECT_EQ(child->unknown_replay_requests(), requests);
    EXPECT_EQ(child->charts_streaming(), 0);
    Recorder rec;
    WireDecoder dec(true, child->caps(), &rec);
    ASSERT_TRUE(dec.Feed(out)) << rec.error;
    EXPECT_EQ(rec.replay_begins.size(), requests);
    EXPECT_EQ(rec.replay_ends.size(), requests);
    EXPECT_EQ(rec.replay_begins.front(), "system.clock_sync_state");
  }
}

TEST(LoadChildTest, CommandsGluedToTheReplyAreAnsweredAtStart) {
  LoadShape shape(2, 1, 1);
  auto child = NewChild(&shape, OfferedCaps(Protocol::kV1, false, false));
  const std::string reply =
      VersionReply(kCaps137Plain) + ReplayChart(shape.chart_id(1), true, 0, 0);
  ASSERT_EQ(child->OnReply(reply, false), Handshake::kAccepted);
  EXPECT_EQ(child->caps(), kCaps137Plain);
  std::string out;
  ASSERT_TRUE(child->Start(kNow, &out).ok());
  EXPECT_EQ(child->replay_requests(), 1u);
  EXPECT_EQ(child->charts_streaming(), 1);
  Recorder rec;
  WireDecoder dec(false, child->caps(), &rec);
  ASSERT_TRUE(dec.Feed(out)) << rec.error;
  EXPECT_EQ(rec.replay_begins, std::vector<std::string>{shape.chart_id(1)});
  EXPECT_EQ(rec.charts.size(), 2u);
}

TEST(LoadChildTest, LargeCommitsAreSplitIntoValidFrames) {
  // 40 charts x 50 dims: each iteration is ~40 KB of text, so several LZ4 blocks.
  LoadShape shape(40, 50, 1);
  const uint32_t reply = kCaps137 & ~bridge::kCapReplication;
  Session s(&shape, 16376, reply);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(s.Collect(kNow + i), 2000u);
  }
  EXPECT_EQ(s.rec.samples(), 10000u);
  ASSERT_NE(s.wire->lz4(), nullptr);
  EXPECT_GT(s.wire->lz4()->blocks(), 10u);
  EXPECT_TRUE(s.wire->lz4()->AtFrameBoundary());
  EXPECT_EQ(s.wire->lz4()->decoded_bytes(), s.child->plain_bytes());
  EXPECT_EQ(s.wire->decoder().stats().too_long_lines, 0u);
}

}  // namespace
}  // namespace ndrelay::tools
