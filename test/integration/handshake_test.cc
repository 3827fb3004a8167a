// The parent side of Netdata's handshake against the real ndrelay binary: every check of spec
// §3.6 in Netdata's order with its exact reply bytes and log line, the negotiation replies, and
// what a broken stream does to its own connection (and nothing else).
#include <unistd.h>

#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "ndrelay/v1/admin.grpc.pb.h"
#include "test/testutil/relay.h"

namespace ndrelay {
namespace {

using testutil::ConnectLoopback;
using testutil::ReadAll;
using testutil::Relay;
using testutil::SendAll;
using testutil::TempDir;

constexpr char kKeyOk[] = "11111111-2222-3333-4444-555555555555";
constexpr char kKeyDisabled[] = "22222222-2222-2222-2222-222222222222";
constexpr char kKeyWrongType[] = "33333333-3333-3333-3333-333333333333";
constexpr char kKeyNotFromHere[] = "44444444-4444-4444-4444-444444444444";
constexpr char kKeyNoCompression[] = "55555555-5555-5555-5555-555555555555";
constexpr char kGuidOk[] = "aaaaaaaa-0000-0000-0000-000000000001";
constexpr char kGuidWrongType[] = "aaaaaaaa-0000-0000-0000-000000000002";
constexpr char kGuidDisabled[] = "aaaaaaaa-0000-0000-0000-000000000003";
constexpr char kGuidNotFromHere[] = "aaaaaaaa-0000-0000-0000-000000000004";

constexpr char kNotPermitted[] =
    "You are not permitted to access this. Check the logs for more info.";

std::string StreamConf() {
  return absl::StrCat("[stream]\n    enabled = no\n",                                    //
                      "[", kKeyOk, "]\n    type = api\n    enabled = yes\n",             //
                      "[", kKeyDisabled, "]\n    type = api\n    enabled = no\n",        //
                      "[", kKeyWrongType, "]\n    type = machine\n    enabled = yes\n",  //
                      "[", kKeyNotFromHere, "]\n    enabled = yes\n    allow from = !127.0.0.1 *\n",
                      "[", kKeyNoCompression, "]\n    enabled = yes\n    enable compression = no\n",
                      "[", kGuidWrongType, "]\n    type = api\n",   //
                      "[", kGuidDisabled, "]\n    enabled = no\n",  //
                      "[", kGuidNotFromHere, "]\n    allow from = 10.*\n");
}

std::string Request(std::string_view params) {
  return absl::StrCat("STREAM ", std::string(params),
                      "&NETDATA_PROTOCOL_VERSION=1.1 HTTP/1.1\r\nUser-Agent: netdata/v1.37.1\r\n"
                      "Accept: */*\r\n\r\n");
}

std::string Params(std::string_view key, std::string_view host, std::string_view guid,
                   std::string_view ver = "16376") {
  std::string p;
  if (!key.empty()) {
    absl::StrAppend(&p, "key=", std::string(key), "&");
  }
  if (!host.empty()) {
    absl::StrAppend(&p, "hostname=", std::string(host), "&");
  }
  if (!guid.empty()) {
    absl::StrAppend(&p, "machine_guid=", std::string(guid), "&");
  }
  if (!ver.empty()) {
    absl::StrAppend(&p, "ver=", std::string(ver), "&");
  }
  absl::StrAppend(&p, "os=linux");
  return p;
}

class HandshakeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    relay_ = std::make_unique<Relay>(testutil::TestNetdataConf(dir_, "", extra_), StreamConf());
    ASSERT_TRUE(relay_->ok()) << relay_->Log();
  }
  // Sends one request; returns the reply. *closed says whether ndrelay closed afterwards.
  std::string Exchange(const std::string& request, bool* closed, int* fd_out = nullptr,
                       std::chrono::milliseconds wait = std::chrono::milliseconds(1500)) {
    int fd = ConnectLoopback(relay_->port());
    EXPECT_GE(fd, 0);
    EXPECT_TRUE(SendAll(fd, request));
    std::string reply = ReadAll(fd, wait, closed);
    if (fd_out) {
      *fd_out = fd;
    } else {
      close(fd);
    }
    return reply;
  }
  void ExpectRejected(const std::string& params, const std::string& reply,
                      const std::string& log_message) {
    bool closed = false;
    EXPECT_EQ(Exchange(Request(params), &closed), reply) << params;
    EXPECT_TRUE(closed) << params;
    const std::string line = absl::StrCat("]: ", log_message, ". Forbidding access.");
    EXPECT_TRUE(testutil::WaitFor([&] { return absl::StrContains(relay_->Log(), line); },
                                  std::chrono::seconds(3)))
        << "missing log line: " << line << "\n"
        << relay_->Log();
  }
  TempDir dir_;
  std::string extra_;
  std::unique_ptr<Relay> relay_;
};

TEST_F(HandshakeTest, EveryRejectInNetdatasOrderWithItsExactReply) {
  ExpectRejected(Params("", "h", kGuidOk), kNotPermitted, "request without KEY");
  ExpectRejected(Params(kKeyOk, "", kGuidOk), kNotPermitted, "request without hostname");
  ExpectRejected(Params(kKeyOk, "h", ""), kNotPermitted, "request without machine GUID");
  ExpectRejected(
      Params("not-a-uuid", "h", kGuidOk), kNotPermitted,
      "API key 'not-a-uuid' is not valid GUID (use the command uuidgen to generate one)");
  ExpectRejected(Params(kKeyOk, "h", "nope"), kNotPermitted, "machine GUID 'nope' is not GUID");
  ExpectRejected(Params(kKeyWrongType, "h", kGuidOk), kNotPermitted,
                 absl::StrCat("API key '", kKeyWrongType, "' is not an API key"));
  ExpectRejected(Params(kKeyDisabled, "h", kGuidOk), kNotPermitted,
                 absl::StrCat("API key '", kKeyDisabled, "' is not allowed"));
  ExpectRejected(Params("99999999-9999-9999-9999-999999999999", "h", kGuidOk), kNotPermitted,
                 "API key '99999999-9999-9999-9999-999999999999' is not allowed");
  ExpectRejected(Params(kKeyNotFromHere, "h", kGuidOk), kNotPermitted,
                 absl::StrCat("API key '", kKeyNotFromHere, "' is not permitted from this IP"));
  ExpectRejected(Params(kKeyOk, "h", kGuidWrongType), kNotPermitted,
                 absl::StrCat("machine GUID '", kGuidWrongType, "' is not a machine GUID"));
  ExpectRejected(Params(kKeyOk, "h", kGuidDisabled), kNotPermitted,
                 absl::StrCat("machine GUID '", kGuidDisabled, "' is not allowed"));
  ExpectRejected(
      Params(kKeyOk, "h", kGuidNotFromHere), kNotPermitted,
      absl::StrCat("machine GUID '", kGuidNotFromHere, "' is not permitted from this IP"));
}

TEST_F(HandshakeTest, LocalhostAndAlreadyStreaming) {
  auto channel = grpc::CreateChannel(relay_->address(), grpc::InsecureChannelCredentials());
  grpc::ClientContext ctx;
  v1::GetInfoResponse info;
  ASSERT_TRUE(v1::Admin::NewStub(channel)->GetInfo(&ctx, {}, &info).ok());
  ExpectRejected(Params(kKeyOk, "me", info.machine_guid()),
                 "Don't hit me baby, you are trying to stream my localhost back",
                 "attempt to receive metrics from machine GUID identical to parent");

  bool closed = false;
  int first = -1;
  EXPECT_EQ(Exchange(Request(Params(kKeyOk, "child", kGuidOk)), &closed, &first),
            "Hit me baby, push them over with the version=16320");
  EXPECT_FALSE(closed);
  ExpectRejected(Params(kKeyOk, "child", kGuidOk), "This GUID is already streaming to this server",
                 "multiple connections for same host 'child', the old connection is still alive");
  close(first);
}

TEST_F(HandshakeTest, NegotiationReplies) {
  struct Case {
    std::string key, ver, reply;
  };
  const Case cases[] = {
      {kKeyOk, "16376", "Hit me baby, push them over with the version=16320"},
      {kKeyOk, "15352", "Hit me baby, push them over with the version=15296"},
      {kKeyNoCompression, "16376", "Hit me baby, push them over with the version=15296"},
      {kKeyOk, "5", "Hit me baby, push them over with the version=5"},
      {kKeyNoCompression, "5", "Hit me baby, push them over with the version=4"},
      {kKeyOk, "4", "Hit me baby, push them over with the version=4"},
      {kKeyOk, "3", "Hit me baby, push them over with the version=3"},
      {kKeyOk, "2", "Hit me baby, push them over and bring the host labels..."},
      {kKeyOk, "1", "Hit me baby, push them over..."},
  };
  int n = 0;
  for (const Case& c : cases) {
    bool closed = false;
    const std::string guid = absl::StrCat("bbbbbbbb-0000-0000-0000-00000000000", n++);
    EXPECT_EQ(Exchange(Request(Params(c.key, "h", guid, c.ver)), &closed, nullptr,
                       std::chrono::milliseconds(400)),
              c.reply)
        << c.key << " ver=" << c.ver;
  }
}

TEST_F(HandshakeTest, MalformedRequestGets400AndOthersAreUntouched) {
  bool closed = false;
  std::string reply = Exchange("STREAM key=%zz&hostname=x HTTP/1.1\r\n\r\n", &closed);
  EXPECT_TRUE(absl::StartsWith(reply, "HTTP/1.1 400")) << reply;
  EXPECT_TRUE(closed);
  reply = Exchange("STREAM " + std::string(20000, 'a'), &closed);
  EXPECT_TRUE(absl::StartsWith(reply, "HTTP/1.1 400")) << reply;
  EXPECT_TRUE(closed);
  // The relay still serves.
  EXPECT_EQ(Exchange(Request(Params(kKeyOk, "h", kGuidOk)), &closed),
            "Hit me baby, push them over with the version=16320");
}

TEST_F(HandshakeTest, BrokenStreamClosesOnlyItsConnection) {
  int good = -1, bad = -1;
  bool closed = false;
  ASSERT_EQ(Exchange(Request(Params(kKeyOk, "good", kGuidOk, "15352")), &closed, &good),
            "Hit me baby, push them over with the version=15296");
  ASSERT_EQ(
      Exchange(Request(Params(kKeyOk, "bad", "cccccccc-0000-0000-0000-000000000001", "15352")),
               &closed, &bad),
      "Hit me baby, push them over with the version=15296");
  ASSERT_TRUE(
      SendAll(good,
              "CHART \"app.x\" \"\" \"t\" \"u\" \"f\" \"app.x\" \"line\" 1 1 \"\" \"p\" \"m\"\n"
              "DIMENSION \"a\" \"a\" \"absolute\" 1 1 \"\"\n"
              "BEGIN \"app.x\" 0\nSET \"a\" = 5\nEND\n"));
  ASSERT_TRUE(
      SendAll(bad,
              "CHART \"app.y\" \"\" \"t\" \"u\" \"f\" \"app.y\" \"line\" 1 1 \"\" \"p\" \"m\"\n"
              "BEGIN \"app.nope\" 0\n"));
  ReadAll(bad, std::chrono::seconds(3), &closed);
  EXPECT_TRUE(closed);
  close(bad);
  EXPECT_TRUE(testutil::WaitFor(
      [&] { return absl::StrContains(relay_->Log(), "BEGIN for a chart that was not defined"); },
      std::chrono::seconds(3)))
      << relay_->Log();
  // An unknown keyword is fatal too, with the line in the log.
  int bad2 = -1;
  ASSERT_EQ(
      Exchange(Request(Params(kKeyOk, "bad2", "cccccccc-0000-0000-0000-000000000002", "15352")),
               &closed, &bad2),
      "Hit me baby, push them over with the version=15296");
  ASSERT_TRUE(SendAll(bad2, "HELLO world\n"));
  ReadAll(bad2, std::chrono::seconds(3), &closed);
  EXPECT_TRUE(closed);
  close(bad2);
  EXPECT_TRUE(testutil::WaitFor([&] { return absl::StrContains(relay_->Log(), "HELLO world"); },
                                std::chrono::seconds(3)))
      << relay_->Log();

  // The good child is still connected and its chart is there.
  ReadAll(good, std::chrono::milliseconds(200), &closed);
  EXPECT_FALSE(closed);
  auto channel = grpc::CreateChannel(relay_->address(), grpc::InsecureChannelCredentials());
  grpc::ClientContext ctx;
  v1::GetChartRequest req;
  req.set_node("good");
  req.set_chart("app.x");
  v1::Chart chart;
  ASSERT_TRUE(v1::Admin::NewStub(channel)->GetChart(&ctx, req, &chart).ok());
  ASSERT_EQ(chart.dimensions_size(), 1);
  EXPECT_EQ(chart.dimensions(0).id(), "a");
  close(good);
}

class RateLimitTest : public HandshakeTest {
 protected:
  void SetUp() override {
    extra_ = "[web]\n    accept a streaming request every seconds = 100\n";
    HandshakeTest::SetUp();
  }
};

TEST_F(RateLimitTest, FirstRequestAlsoStartsTheClockAsInNetdata) {
  bool closed = false;
  EXPECT_EQ(Exchange(Request(Params(kKeyOk, "h", kGuidOk)), &closed),
            "The server is too busy now to accept this request. Try later.");
  EXPECT_TRUE(closed);
}

}  // namespace
}  // namespace ndrelay
