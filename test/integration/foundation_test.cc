// End-to-end tests of the foundation: the real ndrelay binary on one loopback port serving
// gRPC (h2c and TLS, with reflection), HTTP(S) JSON, the STREAM route, and refusing the rest.
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "ndrelay/v1/admin.grpc.pb.h"
#include "test/testutil/relay.h"

namespace ndrelay {
namespace {

using testutil::ConnectLoopback;
using testutil::ReadAll;
using testutil::Relay;
using testutil::RunCommand;
using testutil::SendAll;
using testutil::TempDir;

constexpr char kStreamConf[] =
    "[stream]\n    enabled = no\n"
    "[11111111-2222-3333-4444-555555555555]\n    type = api\n    enabled = yes\n";

std::string NodeClient() {
  return absl::StrCat("node ", testutil::SourceDir(), "/test/integration/node/reflect_call.js ");
}

absl::StatusOr<v1::GetInfoResponse> CallGetInfo(const std::string& address,
                                                std::shared_ptr<grpc::ChannelCredentials> creds) {
  grpc::ChannelArguments args;
  args.SetSslTargetNameOverride("localhost");
  auto channel = grpc::CreateCustomChannel(address, creds, args);
  auto stub = v1::Admin::NewStub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  v1::GetInfoResponse resp;
  grpc::Status s = stub->GetInfo(&ctx, v1::GetInfoRequest(), &resp);
  if (!s.ok()) {
    return absl::UnavailableError(s.error_message());
  }
  return resp;
}

class FoundationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cert_ = testutil::MakeTestCert(certs_);
    ASSERT_FALSE(cert_.cert_pem.empty()) << "openssl could not make a test certificate";
  }
  std::unique_ptr<Relay> StartRelay(const std::string& bind_suffix, const std::string& extra = "") {
    auto r = std::make_unique<Relay>(
        testutil::TestNetdataConf(certs_, bind_suffix,
                                  "[web]\n    ssl key = " + cert_.key_file +
                                      "\n    ssl certificate = " + cert_.cert_file + "\n" + extra),
        kStreamConf);
    EXPECT_TRUE(r->ok()) << r->Log();
    return r;
  }
  TempDir certs_;
  testutil::TestCert cert_;
};

TEST_F(FoundationTest, GetInfoOverH2cAndTlsOnTheSamePort) {
  auto relay = StartRelay("");
  ASSERT_TRUE(relay->ok());
  auto plain = CallGetInfo(relay->address(), grpc::InsecureChannelCredentials());
  ASSERT_TRUE(plain.ok()) << plain.status() << relay->Log();
  EXPECT_EQ(plain->version(), "v0.1.0");
  EXPECT_EQ(plain->hostname(), "ndrelay-test");
  EXPECT_EQ(plain->machine_guid().size(), 36u);
  ASSERT_EQ(plain->listeners_size(), 1);
  EXPECT_EQ(plain->listeners(0).address(), relay->address());
  EXPECT_TRUE(plain->listeners(0).tls_available());
  ASSERT_GE(plain->features().stream_compression_size(), 1);
  EXPECT_EQ(plain->features().stream_compression(0), "lz4");
  EXPECT_TRUE(plain->features().tls());

  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = cert_.cert_pem;
  auto tls = CallGetInfo(relay->address(), grpc::SslCredentials(ssl));
  ASSERT_TRUE(tls.ok()) << tls.status() << relay->Log();
  EXPECT_EQ(tls->machine_guid(), plain->machine_guid());
}

// The names of a process's threads (/proc/PID/task/*/comm).
std::vector<std::string> ThreadNames(pid_t pid) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& task :
       std::filesystem::directory_iterator(absl::StrCat("/proc/", pid, "/task"), ec)) {
    std::ifstream comm(task.path() / "comm");
    std::string name;
    if (std::getline(comm, name)) {
      names.push_back(name);
    }
  }
  return names;
}

bool AnyGrpcThread(const std::vector<std::string>& names) {
  for (const auto& n : names) {
    if (absl::StartsWith(n, "grpc") || n == "timer_manager" || n == "event_engine") {
      return true;
    }
  }
  return false;
}

TEST_F(FoundationTest, GrpcRuntimeStartsWithTheFirstGrpcConnection) {
  auto relay = StartRelay("");
  ASSERT_TRUE(relay->ok());
  // Streaming and HTTP traffic do not start it: no gRPC thread (its timer threads wake every
  // second) until a gRPC client connects.
  int fd = ConnectLoopback(relay->port());
  ASSERT_GE(fd, 0);
  ASSERT_TRUE(SendAll(fd, "GET /api/v1/info HTTP/1.1\r\nHost: x\r\n\r\n"));
  ReadAll(fd, std::chrono::milliseconds(500));
  ::close(fd);
  auto before = ThreadNames(relay->pid());
  ASSERT_FALSE(before.empty());
  EXPECT_FALSE(AnyGrpcThread(before)) << absl::StrJoin(before, " ");
  EXPECT_FALSE(absl::StrContains(relay->Log(), "gRPC server started")) << relay->Log();
  // The first call starts it, and it answers.
  auto info = CallGetInfo(relay->address(), grpc::InsecureChannelCredentials());
  ASSERT_TRUE(info.ok()) << info.status() << relay->Log();
  EXPECT_TRUE(absl::StrContains(relay->Log(), "gRPC server started (first gRPC connection)"))
      << relay->Log();
  auto after = ThreadNames(relay->pid());
  EXPECT_TRUE(AnyGrpcThread(after)) << absl::StrJoin(after, " ");
  // A TLS client after it is served by the same server.
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = cert_.cert_pem;
  auto tls = CallGetInfo(relay->address(), grpc::SslCredentials(ssl));
  ASSERT_TRUE(tls.ok()) << tls.status() << relay->Log();
  EXPECT_EQ(tls->machine_guid(), info->machine_guid());
  // And the daemon still stops cleanly.
  EXPECT_EQ(relay->Stop(), 0) << relay->Log();
}

TEST_F(FoundationTest, ReflectionClientListsDescribesAndCalls) {
  auto relay = StartRelay("");
  ASSERT_TRUE(relay->ok());
  std::string out;
  ASSERT_EQ(RunCommand(NodeClient() + relay->address() + " list", &out), 0) << out;
  EXPECT_TRUE(absl::StrContains(out, "ndrelay.v1.Admin")) << out;
  EXPECT_TRUE(absl::StrContains(out, "grpc.reflection.v1alpha.ServerReflection")) << out;

  ASSERT_EQ(
      RunCommand(NodeClient() + relay->address() + " describe ndrelay.v1.GetInfoResponse", &out), 0)
      << out;
  EXPECT_TRUE(absl::StrContains(out, "uptime")) << out;  // an imported type resolved

  ASSERT_EQ(
      RunCommand(NodeClient() + relay->address() + " call ndrelay.v1.Admin/GetInfo '{}'", &out), 0)
      << out;
  EXPECT_TRUE(absl::StrContains(out, "\"hostname\":\"ndrelay-test\"")) << out;

  // The same through TLS (ALPN h2 only → gRPC's own TLS).
  ASSERT_EQ(RunCommand(NodeClient() + "--tls " + cert_.cert_file + " " + relay->address() +
                           " call ndrelay.v1.Admin/GetInfo '{}'",
                       &out),
            0)
      << out << relay->Log();
  EXPECT_TRUE(absl::StrContains(out, "\"hostname\":\"ndrelay-test\"")) << out;
}

TEST_F(FoundationTest, InfoJsonOverHttpAndHttps) {
  auto relay = StartRelay("");
  ASSERT_TRUE(relay->ok());
  std::string out;
  ASSERT_EQ(RunCommand("curl -sS --max-time 10 http://" + relay->address() + "/api/v1/info", &out),
            0)
      << out;
  EXPECT_TRUE(absl::StrContains(out, "\"mirrored_hosts\"")) << out;
  EXPECT_TRUE(absl::StrContains(out, "Stream Compression")) << out;
  EXPECT_TRUE(absl::StrContains(out, "\"stream-compression\": \"enabled\"")) << out;
  ASSERT_EQ(RunCommand("curl -sS --max-time 10 --cacert " + cert_.cert_file +
                           " https://localhost:" + std::to_string(relay->port()) + "/api/v1/info",
                       &out),
            0)
      << out << relay->Log();
  EXPECT_TRUE(absl::StrContains(out, "Stream Compression")) << out;
  // HTTP/1.1 through TLS even when the client also offers h2.
  ASSERT_EQ(RunCommand("curl -sS --http2 --max-time 10 --cacert " + cert_.cert_file +
                           " https://localhost:" + std::to_string(relay->port()) + "/api/v1/info",
                       &out),
            0)
      << out;
  EXPECT_TRUE(absl::StrContains(out, "\"uid\"")) << out;
  // Unknown path → 404 JSON.
  ASSERT_EQ(RunCommand("curl -s -o /dev/null -w '%{http_code}' --max-time 10 http://" +
                           relay->address() + "/api/v1/nope",
                       &out),
            0);
  EXPECT_EQ(out, "404");
}

TEST_F(FoundationTest, MalformedAndOversizedHttpGet400AndClose) {
  auto relay = StartRelay("", "[ndrelay]\n    max http request bytes = 2048\n");
  ASSERT_TRUE(relay->ok());
  int fd = ConnectLoopback(relay->port());
  ASSERT_GE(fd, 0);
  ASSERT_TRUE(SendAll(fd, "GET /api/v1/info HTTP/9.9\r\n\r\n"));
  bool closed = false;
  std::string reply = ReadAll(fd, std::chrono::seconds(5), &closed);
  EXPECT_TRUE(absl::StartsWith(reply, "HTTP/1.1 400")) << reply;
  EXPECT_TRUE(closed);
  close(fd);

  fd = ConnectLoopback(relay->port());
  ASSERT_GE(fd, 0);
  ASSERT_TRUE(SendAll(fd, "GET /api/v1/info HTTP/1.1\r\nX-Big: " + std::string(4000, 'a')));
  reply = ReadAll(fd, std::chrono::seconds(5), &closed);
  EXPECT_TRUE(absl::StartsWith(reply, "HTTP/1.1 400")) << reply;
  EXPECT_TRUE(closed);
  close(fd);
}

TEST_F(FoundationTest, GarbageIsClosedWithoutDisturbingAConcurrentGrpcCall) {
  auto relay = StartRelay("");
  ASSERT_TRUE(relay->ok());
  std::atomic<bool> stop{false};
  std::atomic<int> ok_calls{0}, failed_calls{0};
  std::thread caller([&] {
    auto channel = grpc::CreateChannel(relay->address(), grpc::InsecureChannelCredentials());
    auto stub = v1::Admin::NewStub(channel);
    while (!stop) {
      grpc::ClientContext ctx;
      ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
      v1::GetInfoResponse resp;
      (stub->GetInfo(&ctx, v1::GetInfoRequest(), &resp).ok() ? ok_calls : failed_calls)++;
    }
  });
  absl::Cleanup join_caller = [&] {
    stop = true;
    caller.join();
  };
  // The calls must overlap the garbage: wait (bounded) for the channel to be up first, and after
  // the garbage for further calls to succeed, so a slow (sanitized) build cannot finish the
  // garbage before the first call lands.
  auto wait_for_calls = [&](int at_least) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (ok_calls.load() < at_least && failed_calls.load() == 0 &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  };
  wait_for_calls(1);
  const int before_garbage = ok_calls.load();
  for (int i = 0; i < 20; ++i) {
    int fd = ConnectLoopback(relay->port());
    ASSERT_GE(fd, 0);
    ASSERT_TRUE(SendAll(fd, std::string("\x00\xff\x13garbage-bytes-here-0123456789", 32)));
    bool closed = false;
    std::string reply = ReadAll(fd, std::chrono::seconds(5), &closed);
    EXPECT_TRUE(closed) << "garbage connection " << i << " was not closed";
    EXPECT_TRUE(reply.empty());
    close(fd);
  }
  const int after_garbage = ok_calls.load();
  wait_for_calls(after_garbage + 3);
  std::move(join_caller).Invoke();
  EXPECT_GT(before_garbage, 0);
  EXPECT_GE(ok_calls.load(), after_garbage + 3);
  EXPECT_EQ(failed_calls.load(), 0);
  EXPECT_TRUE(absl::StrContains(relay->Log(), "unknown protocol")) << relay->Log();
}

TEST_F(FoundationTest, ClientSendingOneByteAtATimeIsClassified) {
  auto relay = StartRelay("");
  ASSERT_TRUE(relay->ok());
  int fd = ConnectLoopback(relay->port());
  ASSERT_GE(fd, 0);
  const std::string req = "GET /api/v1/info HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  for (char c : req) {
    ASSERT_TRUE(SendAll(fd, std::string_view(&c, 1)));
    std::this_thread::sleep_for(std::chrono::milliseconds(3));
  }
  std::string reply = ReadAll(fd, std::chrono::seconds(5));
  EXPECT_TRUE(absl::StartsWith(reply, "HTTP/1.1 200")) << reply;
  EXPECT_TRUE(absl::StrContains(reply, "mirrored_hosts"));
  close(fd);
}

TEST_F(FoundationTest, SilentClientIsClosedAfterTheSniffBound) {
  auto relay = StartRelay("", "[ndrelay]\n    sniff timeout ms = 300\n");
  ASSERT_TRUE(relay->ok());
  int fd = ConnectLoopback(relay->port());
  ASSERT_GE(fd, 0);
  const auto start = std::chrono::steady_clock::now();
  bool closed = false;
  ReadAll(fd, std::chrono::seconds(10), &closed);
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_TRUE(closed);
  EXPECT_LT(took, std::chrono::seconds(5));
  close(fd);
  // A partial, undecided prefix is closed as well.
  fd = ConnectLoopback(relay->port());
  ASSERT_TRUE(SendAll(fd, "STR"));
  ReadAll(fd, std::chrono::seconds(10), &closed);
  EXPECT_TRUE(closed);
  close(fd);
  EXPECT_TRUE(absl::StrContains(relay->Log(), "nothing decisive")) << relay->Log();
}

TEST_F(FoundationTest, StreamRequestIsRoutedToTheBridge) {
  auto relay = StartRelay("");
  ASSERT_TRUE(relay->ok());
  int fd = ConnectLoopback(relay->port());
  ASSERT_GE(fd, 0);
  // A request with an unknown key: the bridge must answer with Netdata's exact refusal.
  ASSERT_TRUE(SendAll(fd,
                      "STREAM key=99999999-9999-9999-9999-999999999999&hostname=h&machine_guid="
                      "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee&ver=16376&NETDATA_PROTOCOL_VERSION=1.1 "
                      "HTTP/1.1\r\nUser-Agent: netdata/v1.37.1\r\nAccept: */*\r\n\r\n"));
  bool closed = false;
  std::string reply = ReadAll(fd, std::chrono::seconds(5), &closed);
  EXPECT_EQ(reply, "You are not permitted to access this. Check the logs for more info.");
  EXPECT_TRUE(closed);
  close(fd);
  EXPECT_TRUE(absl::StrContains(relay->Log(), "STREAM [receive from [127.0.0.1]:")) << relay->Log();
}

TEST_F(FoundationTest, ForcedTlsRefusesPlaintextStreamAndHttp) {
  auto relay = StartRelay("^SSL=force");
  ASSERT_TRUE(relay->ok());
  int fd = ConnectLoopback(relay->port());
  ASSERT_GE(fd, 0);
  ASSERT_TRUE(SendAll(fd,
                      "STREAM key=11111111-2222-3333-4444-555555555555&hostname=plain&machine_guid="
                      "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee&ver=16376 HTTP/1.1\r\n\r\n"));
  bool closed = false;
  std::string reply = ReadAll(fd, std::chrono::seconds(5), &closed);
  EXPECT_FALSE(absl::StrContains(reply, "Hit me baby")) << reply;
  EXPECT_TRUE(closed);
  close(fd);
  std::string out;
  RunCommand("curl -s -o /dev/null -w '%{http_code}' --max-time 10 http://" + relay->address() +
                 "/api/v1/info",
             &out);
  EXPECT_EQ(out, "301");
  // TLS still works on that listener.
  ASSERT_EQ(RunCommand("curl -sS --max-time 10 --cacert " + cert_.cert_file +
                           " https://localhost:" + std::to_string(relay->port()) + "/api/v1/info",
                       &out),
            0)
      << out;
  EXPECT_TRUE(absl::StrContains(out, "Stream Compression"));
}

TEST_F(FoundationTest, UnixSocketListenerServesHttpGrpcAndStream) {
  const std::string sock = certs_.path() + "/ndrelay.sock";
  auto relay = StartRelay(" unix:" + sock);
  ASSERT_TRUE(relay->ok());
  std::string out;
  ASSERT_EQ(
      RunCommand("curl -sS --max-time 10 --unix-socket " + sock + " http://localhost/api/v1/info",
                 &out),
      0)
      << out << relay->Log();
  EXPECT_TRUE(absl::StrContains(out, "Stream Compression")) << out;
  auto info = CallGetInfo("unix:" + sock, grpc::InsecureChannelCredentials());
  ASSERT_TRUE(info.ok()) << info.status() << relay->Log();
  ASSERT_EQ(info->listeners_size(), 2);
  EXPECT_EQ(info->listeners(1).kind(), v1::Listener::KIND_UNIX);
  EXPECT_EQ(info->listeners(1).address(), "unix:" + sock);
  EXPECT_TRUE(absl::StrContains(relay->Log(), "listening on unix:" + sock)) << relay->Log();

  // A Netdata child over the unix socket reaches the bridge (no TLS there, everything allowed).
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", sock.c_str());
  ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_TRUE(SendAll(fd,
                      "STREAM key=11111111-2222-3333-4444-555555555555&hostname=u&machine_guid="
                      "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee&ver=16376 HTTP/1.1\r\n\r\n"));
  EXPECT_EQ(ReadAll(fd, std::chrono::milliseconds(800)),
            "Hit me baby, push them over with the version=16320");
  close(fd);
}

TEST(CheckConfigTest, AcceptsTheShippedConfigAndRejectsAFloppyMemoryMode) {
  std::string out;
  EXPECT_EQ(RunCommand(testutil::NdrelayBinary() + " --check-config --config-dir " +
                           testutil::SourceDir() + "/conf",
                       &out),
            0)
      << out;
  EXPECT_TRUE(absl::StrContains(out, "bind to")) << out;
  TempDir dir;
  dir.Write("netdata.conf", "[global]\n    hostname = x\n");
  dir.Write("stream.conf",
            "[11111111-2222-3333-4444-555555555555]\n    enabled = yes\n"
            "    default memory mode = floppy\n");
  EXPECT_NE(
      RunCommand(testutil::NdrelayBinary() + " --check-config --config-dir " + dir.path(), &out),
      0);
  EXPECT_TRUE(absl::StrContains(out, "stream.conf:3")) << out;
  EXPECT_TRUE(absl::StrContains(out, "floppy")) << out;
}

TEST(CheckConfigTest, AcceptsNetdatasStockStreamConf) {
  const std::string stock = "/usr/lib/netdata/conf.d/stream.conf";
  if (testutil::ReadFileOrEmpty(stock).empty()) {
    GTEST_SKIP() << stock << " not installed (tools/setup.sh installs netdata-core)";
  }
  TempDir dir;
  dir.Write("stream.conf", testutil::ReadFileOrEmpty(stock));
  dir.Write("netdata.conf", "");
  std::string out;
  EXPECT_EQ(
      RunCommand(testutil::NdrelayBinary() + " --check-config --config-dir " + dir.path(), &out), 0)
      << out;
}

}  // namespace
}  // namespace ndrelay
