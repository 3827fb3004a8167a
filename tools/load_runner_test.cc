#include "tools/load_runner.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "bridge/caps.h"
#include "bridge/legacy_encoder.h"
#include "bridge/stream_request.h"
#include "gtest/gtest.h"
#include "tools/load_test_support.h"

namespace ndrelay::tools {
namespace {

// An in-process Netdata parent on 127.0.0.1:0, one thread per connection, built from the bridge
// (request parser, negotiation, LZ4 decoder, legacy decoder). It asks for replication of every
// chart on CHART_DEFINITION_END and checks that no data arrives for a chart before its REND true.
class FakeParent {
 public:
  enum class Mode { kAccept, kReject, kCloseAfterBytes, kStall };

  // kCloseAfterBytes: close after that many stream bytes; kStall: the number of charts to
  // release with REPLAY_CHART before stalling.
  explicit FakeParent(Mode mode, size_t close_after = 0) : mode_(mode), close_after_(close_after) {
    listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (mode == Mode::kStall) {
      // Small receive windows so that a parent that does not read pushes back quickly.
      int small = 4096;
      setsockopt(listen_fd_, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
    }
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a));
    listen(listen_fd_, 128);
    socklen_t len = sizeof(a);
    getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    acceptor_ = std::thread([this] { AcceptLoop(); });
  }

  ~FakeParent() {
    stop_ = true;
    shutdown(listen_fd_, SHUT_RDWR);
    acceptor_.join();
    close(listen_fd_);
    std::vector<std::thread> threads;
    {
      std::lock_guard<std::mutex> l(mu_);
      threads.swap(threads_);
    }
    for (std::thread& t : threads) {
      t.join();
    }
  }

  int port() const { return port_; }

  // Waits until every accepted connection has ended (the load has closed them all).
  void WaitIdle() {
    for (int i = 0; i < 500 && active_.load() > 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }

  struct Totals {
    int connections = 0;
    std::set<std::string> guids;
    uint64_t samples = 0;
    uint64_t points = 0;
    uint64_t v2_points = 0;
    uint64_t wire_bytes = 0;  // request included
    uint64_t replay_answers = 0;
    std::vector<std::string> errors;
  };
  Totals totals() {
    std::lock_guard<std::mutex> l(mu_);
    return totals_;
  }

 private:
  // Recorder plus the parent's replication bookkeeping.
  struct ParentEvents : testing::Recorder {
    std::string to_child;
    std::set<std::string> finished;
    std::string replaying;

    bridge::Verdict OnChartDefinitionEnd(const bridge::ChartDefinitionEndEvent& e) override {
      Recorder::OnChartDefinitionEnd(e);
      bridge::LegacyEncoder::ReplayChart(&to_child, current_chart, true, 0, 0);
      return bridge::Verdict::kOk;
    }
    bridge::Verdict OnReplayBegin(const bridge::ReplayBeginEvent& e) override {
      Recorder::OnReplayBegin(e);
      replaying = std::string(e.id);
      return bridge::Verdict::kOk;
    }
    bridge::Verdict OnReplayEnd(const bridge::ReplayEndEvent& e) override {
      Recorder::OnReplayEnd(e);
      if (e.start_streaming) {
        finished.insert(replaying);
      }
      return bridge::Verdict::kOk;
    }
    bridge::Verdict OnBegin(const bridge::BeginEvent& e) override {
      if (!finished.count(std::string(e.id))) {
        error = "BEGIN before replication finished for " + std::string(e.id);
        return bridge::Verdict::kFatal;
      }
      return Recorder::OnBegin(e);
    }
    bridge::Verdict OnBegin2(const bridge::Begin2Event& e) override {
      if (!finished.count(std::string(e.id))) {
        error = "BEGIN2 before replication finished for " + std::string(e.id);
        return bridge::Verdict::kFatal;
      }
      return Recorder::OnBegin2(e);
    }
  };

  void AcceptLoop() {
    while (!stop_) {
      const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) {
        return;
      }
      ++active_;
      std::lock_guard<std::mutex> l(mu_);
      threads_.emplace_back([this, fd] {
        Serve(fd);
        close(fd);
        --active_;
      });
    }
  }

  // Reads with a short poll so that the destructor can stop a stalled connection.
  ssize_t Read(int fd, char* buf, size_t len) {
    while (!stop_) {
      pollfd p{fd, POLLIN, 0};
      const int r = poll(&p, 1, 20);
      if (r > 0) {
        return recv(fd, buf, len, 0);
      }
    }
    return 0;
  }

  void Error(const std::string& e) {
    std::lock_guard<std::mutex> l(mu_);
    totals_.errors.push_back(e);
  }

  void Serve(int fd) {
    char buf[65536];
    bridge::StreamRequestParser parser;
    bridge::Parse p = bridge::Parse::kNeedMore;
    uint64_t wire = 0;
    while (p == bridge::Parse::kNeedMore) {
      const ssize_t n = Read(fd, buf, sizeof(buf));
      if (n <= 0) {
        return;
      }
      wire += static_cast<uint64_t>(n);
      p = parser.Feed(std::string_view(buf, static_cast<size_t>(n)));
    }
    if (p != bridge::Parse::kDone) {
      Error("bad request");
      return;
    }
    const bridge::StreamRequest& req = parser.request();
    {
      std::lock_guard<std::mutex> l(mu_);
      ++totals_.connections;
      totals_.guids.insert(req.machine_guid);
    }
    if (mode_ == Mode::kReject) {
      send(fd, bridge::kReplyNotPermitted.data(), bridge::kReplyNotPermitted.size(), MSG_NOSIGNAL);
      return;
    }
    const uint32_t ours = bridge::OurReceiverCaps();
    const bridge::Negotiation neg =
        bridge::Negotiate(req.OfferedCaps(ours), /*compression_enabled=*/true);
    const std::string reply = bridge::HandshakeReply(neg.caps);
    send(fd, reply.data(), reply.size(), MSG_NOSIGNAL);
    if (mode_ == Mode::kStall) {
      // Let every chart stream at once (glued to the reply), then never read again.
      std::string replays;
      for (int c = 1; c <= static_cast<int>(close_after_); ++c) {
        char id[32];
        std::snprintf(id, sizeof(id), "ndload.c%04d", c);
        bridge::LegacyEncoder::ReplayChart(&replays, id, true, 0, 0);
      }
      send(fd, replays.data(), replays.size(), MSG_NOSIGNAL);
      while (!stop_) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
      return;
    }
    ParentEvents events;
    testing::WireDecoder decoder(neg.compression == bridge::Compression::kLz4, neg.caps, &events);
    if (!req.leftover.empty() && !decoder.Feed(req.leftover)) {
      Error("decode: " + events.error);
      return;
    }
    uint64_t stream_bytes = 0;
    while (true) {
      const ssize_t n = Read(fd, buf, sizeof(buf));
      if (n <= 0) {
        break;
      }
      wire += static_cast<uint64_t>(n);
      stream_bytes += static_cast<uint64_t>(n);
      if (!decoder.Feed(std::string_view(buf, static_cast<size_t>(n)))) {
        Error("decode: " + events.error + " " + decoder.decoder().status().ToString());
        break;
      }
      if (!events.to_child.empty()) {
        send(fd, events.to_child.data(), events.to_child.size(), MSG_NOSIGNAL);
        events.to_child.clear();
      }
      if (mode_ == Mode::kCloseAfterBytes && stream_bytes >= close_after_) {
        break;
      }
    }
    std::lock_guard<std::mutex> l(mu_);
    totals_.samples += events.samples();
    totals_.points += events.points.size();
    for (const auto& pt : events.points) {
      totals_.v2_points += pt.v2 ? 1 : 0;
    }
    totals_.wire_bytes += wire;
    totals_.replay_answers += events.replay_ends.size();
    if (!events.error.empty()) {
      totals_.errors.push_back(events.error);
    }
  }

  const Mode mode_;
  const size_t close_after_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> active_{0};
  std::thread acceptor_;
  std::mutex mu_;
  std::vector<std::thread> threads_;
  Totals totals_;
};

LoadOptions SmallLoad(int port) {
  LoadOptions o;
  o.port = port;
  o.children = 3;
  o.charts = 4;
  o.dims = 5;
  o.duration_s = 1.2;
  o.rate_multiplier = 10;
  o.drain_timeout_s = 5;
  o.handshake_timeout_s = 5;
  return o;
}

TEST(LoadRunnerTest, V1CompressedEverySampleSentIsDecodedByTheParent) {
  FakeParent parent(FakeParent::Mode::kAccept);
  LoadOptions o = SmallLoad(parent.port());
  absl::StatusOr<LoadReport> r = RunLoad(o);
  ASSERT_TRUE(r.ok()) << r.status();
  parent.WaitIdle();
  FakeParent::Totals t = parent.totals();
  EXPECT_TRUE(t.errors.empty()) << t.errors.front();
  EXPECT_EQ(r->errors(), 0) << FormatReport(*r);
  EXPECT_EQ(r->connected, 3);
  EXPECT_EQ(r->streaming_at_end, 3);
  EXPECT_EQ(r->finished, 3);
  EXPECT_EQ(r->caps, 16320u);
  EXPECT_EQ(r->dialect, "v1");
  EXPECT_EQ(r->compression, "lz4");
  EXPECT_EQ(r->metrics, 60);
  EXPECT_EQ(r->replay_requests, 12u);
  EXPECT_EQ(r->charts_waiting_replication, 0u);
  EXPECT_EQ(t.connections, 3);
  EXPECT_EQ(t.guids.size(), 3u);
  EXPECT_EQ(t.replay_answers, 12u);
  // Every sample counted as sent reached the parent, and nothing else did.
  EXPECT_GT(r->samples_sent, 0u);
  EXPECT_EQ(r->samples_sent, r->samples_generated);
  EXPECT_EQ(t.samples, r->samples_sent);
  EXPECT_EQ(t.points * 5, t.samples);
  EXPECT_EQ(t.v2_points, 0u);
  EXPECT_EQ(t.wire_bytes, r->bytes_sent);
  EXPECT_GT(r->plain_bytes, r->bytes_sent);  // compression helped
  // 12 iterations due (1.2 s x 10 per second); the first ones go by while replication runs.
  EXPECT_LE(r->iterations, 3 * 12);
  EXPECT_GE(r->iterations, 3 * 10);
  EXPECT_EQ(r->lagged_iterations, 0);
  // One line of key=value pairs.
  const std::string line = FormatReport(*r);
  EXPECT_EQ(line.find('\n'), std::string::npos);
  EXPECT_NE(line.find(" samples_sent=" + std::to_string(r->samples_sent) + " "), std::string::npos);
  EXPECT_NE(line.find("errors=0 "), std::string::npos);
}

TEST(LoadRunnerTest, V2UncompressedSendsBegin2) {
  FakeParent parent(FakeParent::Mode::kAccept);
  LoadOptions o = SmallLoad(parent.port());
  o.protocol = Protocol::kV2;
  o.ieee754 = true;
  o.compression = false;
  o.children = 2;
  absl::StatusOr<LoadReport> r = RunLoad(o);
  ASSERT_TRUE(r.ok()) << r.status();
  parent.WaitIdle();
  FakeParent::Totals t = parent.totals();
  EXPECT_TRUE(t.errors.empty()) << t.errors.front();
  EXPECT_EQ(r->errors(), 0) << FormatReport(*r);
  EXPECT_EQ(r->dialect, "v2");
  EXPECT_EQ(r->compression, "none");
  EXPECT_NE(r->caps & bridge::kCapInterpolated, 0u);
  EXPECT_NE(r->caps & bridge::kCapIeee754, 0u);
  EXPECT_GT(t.points, 0u);
  EXPECT_EQ(t.v2_points, t.points);
  EXPECT_EQ(t.samples, r->samples_sent);
  EXPECT_EQ(t.wire_bytes, r->bytes_sent);
  EXPECT_GT(r->bytes_sent, r->plain_bytes);  // plain text plus the requests
}

TEST(LoadRunnerTest, RejectedHandshakesAreCounted) {
  FakeParent parent(FakeParent::Mode::kReject);
  LoadOptions o = SmallLoad(parent.port());
  o.children = 4;
  absl::StatusOr<LoadReport> r = RunLoad(o);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->rejected, 4);
  EXPECT_EQ(r->connected, 0);
  EXPECT_EQ(r->errors(), 4);
  EXPECT_EQ(r->samples_sent, 0u);
  EXPECT_EQ(r->dialect, "none");
  // The run ends as soon as every child is gone, not after --duration.
  EXPECT_LT(r->elapsed_s, o.duration_s + 1);
}

TEST(LoadRunnerTest, ParentClosingMidStreamIsADisconnect) {
  FakeParent parent(FakeParent::Mode::kCloseAfterBytes, /*close_after=*/1);
  LoadOptions o = SmallLoad(parent.port());
  o.children = 2;
  absl::StatusOr<LoadReport> r = RunLoad(o);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->connected, 2);
  EXPECT_EQ(r->disconnects, 2);
  EXPECT_EQ(r->finished, 0);
  EXPECT_EQ(r->streaming_at_end, 0);
}

TEST(LoadRunnerTest, NoParentListeningIsAConnectError) {
  int port = 0;
  {
    FakeParent gone(FakeParent::Mode::kAccept);
    port = gone.port();
  }
  LoadOptions o = SmallLoad(port);
  absl::StatusOr<LoadReport> r = RunLoad(o);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->connect_errors, 3);
  EXPECT_EQ(r->connected, 0);
}

TEST(LoadRunnerTest, ASlowParentDefersIterationsInsteadOfBuffering) {
  FakeParent parent(FakeParent::Mode::kStall, /*charts=*/50);
  LoadOptions o;
  o.port = parent.port();
  o.children = 1;
  o.charts = 50;
  o.dims = 40;
  o.compression = false;
  o.rate_multiplier = 200;
  o.duration_s = 1;
  o.drain_timeout_s = 0.3;
  o.max_pending_bytes = kMinPendingBytes;
  absl::StatusOr<LoadReport> r = RunLoad(o);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->connected, 1);
  EXPECT_GT(r->lagged_iterations, 0) << FormatReport(*r);
  EXPECT_EQ(r->drain_timeouts, 1);
  EXPECT_EQ(r->errors(), 1);
  EXPECT_LT(r->samples_sent, r->samples_generated);
  // The generator's own backlog never grew past the limit plus one iteration.
  EXPECT_LT(r->plain_bytes, 2 * kMinPendingBytes + 64 * 1024 + r->bytes_sent);
}

TEST(LoadRunnerTest, RefusesNonLoopbackBeforeConnecting) {
  LoadOptions o;
  o.host = "10.1.2.3";
  absl::StatusOr<LoadReport> r = RunLoad(o);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace ndrelay::tools
