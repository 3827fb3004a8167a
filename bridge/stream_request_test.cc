#include "bridge/stream_request.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "bridge/caps.h"
#include "conf/uuid.h"
#include "gtest/gtest.h"
#include "test/testutil/captures.h"

namespace ndrelay::bridge {
namespace {

std::filesystem::path CapturesDir() { return ndrelay::testutil::CapturesDir(); }

bool ReadFile(const std::filesystem::path& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return false;
  }
  out->assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return true;
}

// Every real request capture (*request.txt), sorted by path.
std::vector<std::filesystem::path> RequestCaptures() {
  std::vector<std::filesystem::path> files;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(CapturesDir(), ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (it->is_regular_file() && name.size() >= 11 &&
        name.compare(name.size() - 11, 11, "request.txt") == 0) {
      files.push_back(it->path());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

// Feeds `bytes` in chunks of `chunk` bytes; returns the last answer.
Parse FeedInChunks(StreamRequestParser* p, std::string_view bytes, size_t chunk) {
  Parse last = Parse::kNeedMore;
  for (size_t at = 0; at < bytes.size(); at += chunk) {
    last = p->Feed(bytes.substr(at, chunk));
    if (last != Parse::kNeedMore) {
      break;
    }
  }
  return last;
}

constexpr std::string_view kMinimal =
    "STREAM key=11111111-2222-3333-4444-555555555555&hostname=h1&machine_guid="
    "00000000-0000-0000-0000-0000000000c1&ver=16376 HTTP/1.1\r\n"
    "User-Agent: netdata/v1.37.1\r\nAccept: */*\r\n\r\n";

StreamRequest MustParse(std::string_view bytes) {
  absl::StatusOr<StreamRequest> r = ParseStreamRequest(bytes);
  EXPECT_TRUE(r.ok()) << r.status() << " for " << bytes;
  return r.ok() ? *std::move(r) : StreamRequest();
}

std::string Req(std::string_view query) {
  return std::string(kStreamMethod) + std::string(query) + " HTTP/1.1\r\n\r\n";
}

TEST(MatchStreamRequestTest, Table) {
  const struct {
    std::string_view head;
    Sniff want;
  } cases[] = {
      {"", Sniff::kNeedMore},
      {"S", Sniff::kNeedMore},
      {"STREA", Sniff::kNeedMore},
      {"STREAM", Sniff::kNeedMore},
      {"STREAM ", Sniff::kMatch},
      {"STREAM key=", Sniff::kMatch},
      {"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", Sniff::kNoMatch},
      {"P", Sniff::kNoMatch},
      {"\x16\x03\x01\x01\x24", Sniff::kNoMatch},
      {"GET /api/v3/stream_info", Sniff::kNoMatch},
      {"stream ", Sniff::kNoMatch},
      {"STREAMX", Sniff::kNoMatch},
      {"STREAM\t", Sniff::kNoMatch},
      {"SX", Sniff::kNoMatch},
      {std::string_view("S\0", 2), Sniff::kNoMatch},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(MatchStreamRequest(c.head), c.want) << c.head;
  }
}

TEST(StreamRequestTest, EveryRealCaptureParses) {
  const auto files = RequestCaptures();
  if (files.empty()) {
    GTEST_SKIP() << "captures not found in " << CapturesDir();
  }
  EXPECT_GE(files.size(), 8u);
  for (const auto& f : files) {
    SCOPED_TRACE(f.string());
    std::string bytes;
    ASSERT_TRUE(ReadFile(f, &bytes));
    StreamRequestParser p;
    ASSERT_EQ(p.Feed(bytes), Parse::kDone) << p.error();
    const StreamRequest& r = p.request();
    EXPECT_EQ(p.request_bytes(), bytes.size());
    EXPECT_EQ(r.leftover, "");
    EXPECT_TRUE(conf::IsUuid(r.key)) << r.key;  // rejected-wrong-key sends 99999999-...
    EXPECT_TRUE(r.hostname.starts_with("child")) << r.hostname;
    EXPECT_EQ(r.registry_hostname, r.hostname);
    EXPECT_TRUE(conf::IsUuid(r.machine_guid)) << r.machine_guid;
    EXPECT_EQ(r.update_every, 1);
    EXPECT_EQ(r.os, "linux");
    EXPECT_EQ(r.timezone, "Etc/UTC");
    EXPECT_EQ(r.abbrev_timezone, "UTC");
    EXPECT_EQ(r.utc_offset, 0);
    EXPECT_EQ(r.hops, 1);
    EXPECT_FALSE(r.ml_capable);
    EXPECT_FALSE(r.ml_enabled);
    EXPECT_EQ(r.mc_version, 0);
    EXPECT_EQ(r.tags, "");  // "tags=" is empty, so skipped
    ASSERT_TRUE(r.ver.has_value());
    EXPECT_TRUE(*r.ver == 16376 || *r.ver == 15352) << *r.ver;
    EXPECT_TRUE(r.has_protocol_version);
    EXPECT_EQ(r.program_name, "netdata");
    EXPECT_EQ(r.program_version, "v1.37.1");
    ASSERT_EQ(r.headers.size(), 2u);
    EXPECT_EQ(r.headers[0], (std::pair<std::string, std::string>{"User-Agent", "netdata/v1.37.1"}));
    EXPECT_EQ(r.headers[1], (std::pair<std::string, std::string>{"Accept", "*/*"}));
    EXPECT_EQ(r.system_info.size(), 27u);
    EXPECT_TRUE(r.unknown_parameters.empty()) << r.unknown_parameters.front();
    // URL-encoded by 1.37 ('+' and %2f) and renamed SYSTEM_OS -> HOST_OS.
    ASSERT_NE(r.FindSystemInfo("NETDATA_HOST_OS_NAME"), nullptr);
    EXPECT_EQ(*r.FindSystemInfo("NETDATA_HOST_OS_NAME"), "Debian GNU/Linux");
    EXPECT_EQ(*r.FindSystemInfo("NETDATA_HOST_OS_VERSION"), "12 (bookworm)");
    EXPECT_EQ(*r.FindSystemInfo("NETDATA_HOST_OS_DETECTION"), "/etc/os-release");
    EXPECT_EQ(r.FindSystemInfo("NETDATA_SYSTEM_OS_NAME"), nullptr);
    // Sent raw with spaces by 1.37.
    EXPECT_EQ(*r.FindSystemInfo("NETDATA_CONTAINER_OS_NAME"), "Debian GNU/Linux");
    EXPECT_EQ(*r.FindSystemInfo("NETDATA_CONTAINER_OS_VERSION"), "12 (bookworm)");
    EXPECT_EQ(r.system_info.front().first, "NETDATA_INSTANCE_CLOUD_TYPE");
    EXPECT_EQ(r.system_info.back().first, "NETDATA_SYSTEM_TOTAL_DISK_SIZE");
    const uint32_t offered = r.OfferedCaps(OurReceiverCaps());
    EXPECT_EQ(offered, *r.ver == 16376 ? 16320u : 15296u);
  }
}

TEST(StreamRequestTest, PlusInRawValueDecodesToSpace) {
  // 1.37 sends NETDATA_SYSTEM_TOTAL_RAM=2.52765e+10 unencoded; the parent's decoder turns '+'
  // into a space before splitting, so the stored value is "2.52765e 10" (Netdata does the same).
  std::string bytes;
  if (!ReadFile(CapturesDir() / "compressed/conn1.request.txt", &bytes)) {
    GTEST_SKIP() << "captures not found";
  }
  StreamRequest r = MustParse(bytes);
  EXPECT_EQ(*r.FindSystemInfo("NETDATA_SYSTEM_TOTAL_RAM"), "2.52765e 10");
  EXPECT_EQ(r.hostname, "child-compressed");
  EXPECT_EQ(r.machine_guid, "00000000-0000-0000-0000-0000000000c1");
}

TEST(StreamRequestTest, ByteAtATimeAndEverySplitPointGiveTheSameResult) {
  const auto files = RequestCaptures();
  if (files.empty()) {
    GTEST_SKIP() << "captures not found";
  }
  for (const auto& f : files) {
    SCOPED_TRACE(f.string());
    std::string bytes;
    ASSERT_TRUE(ReadFile(f, &bytes));
    const StreamRequest whole = MustParse(bytes);
    {
      StreamRequestParser p;
      for (size_t i = 0; i + 1 < bytes.size(); ++i) {
        ASSERT_EQ(p.Feed(bytes.substr(i, 1)), Parse::kNeedMore) << i;
      }
      ASSERT_EQ(p.Feed(bytes.substr(bytes.size() - 1)), Parse::kDone);
      EXPECT_EQ(p.request(), whole);
    }
    for (size_t k = 0; k <= bytes.size(); ++k) {
      StreamRequestParser p;
      Parse first = p.Feed(std::string_view(bytes).substr(0, k));
      ASSERT_EQ(first, k == bytes.size() ? Parse::kDone : Parse::kNeedMore) << k;
      ASSERT_EQ(p.Feed(std::string_view(bytes).substr(k)), Parse::kDone) << k;
      ASSERT_EQ(p.request(), whole) << k;
    }
  }
}

TEST(StreamRequestTest, LeftoverKeepsTheStreamStart) {
  std::string wire;
  if (!ReadFile(CapturesDir() / "compressed/conn1.c2s.bin", &wire)) {
    GTEST_SKIP() << "captures not found";
  }
  constexpr size_t kRequestBytes = 1404;  // size of conn1.request.txt
  // All at once (much more than kMaxHandshakeBytes): everything after the request is kept.
  {
    StreamRequestParser p;
    ASSERT_EQ(p.Feed(wire), Parse::kDone);
    EXPECT_EQ(p.request_bytes(), kRequestBytes);
    EXPECT_EQ(p.request().leftover, wire.substr(kRequestBytes));
    EXPECT_EQ(static_cast<unsigned char>(p.request().leftover[0]), 0xFA);
  }
  // In 1000-byte reads: the read that completes the request brings 596 stream bytes; later
  // reads are not the parser's business.
  for (size_t chunk : {1u, 7u, 1000u, 1403u, 1404u, 1405u, 4096u}) {
    StreamRequestParser p;
    ASSERT_EQ(FeedInChunks(&p, wire, chunk), Parse::kDone) << chunk;
    const size_t read_end = (kRequestBytes + chunk - 1) / chunk * chunk;
    EXPECT_EQ(p.request().leftover, wire.substr(kRequestBytes, read_end - kRequestBytes)) << chunk;
    EXPECT_EQ(p.Feed("more"), Parse::kDone);
    EXPECT_EQ(p.request().leftover.size(), read_end - kRequestBytes);
  }
}

TEST(StreamRequestTest, SizeLimit) {
  constexpr size_t kMax = 64;
  std::string filler = "STREAM key=" + std::string(kMax, 'a');
  {
    StreamRequestParser p(kMax);
    EXPECT_EQ(p.Feed(filler.substr(0, kMax - 1)), Parse::kNeedMore);
    EXPECT_EQ(p.Feed(filler.substr(kMax - 1, 1)), Parse::kTooLarge);
    EXPECT_EQ(p.error(), "request too large");
    EXPECT_EQ(p.Feed("\r\n\r\n"), Parse::kTooLarge);  // sticky
  }
  {
    StreamRequestParser p(kMax);
    EXPECT_EQ(p.Feed(filler), Parse::kTooLarge);
  }
  // A request of exactly kMax bytes fits; one more byte does not.
  std::string exact = Req("key=" + std::string(kMax - Req("key=").size(), 'b'));
  ASSERT_EQ(exact.size(), kMax);
  {
    StreamRequestParser p(kMax);
    EXPECT_EQ(p.Feed(exact + "tail"), Parse::kDone);
    EXPECT_EQ(p.request().leftover, "tail");
  }
  {
    StreamRequestParser p(kMax);
    EXPECT_EQ(p.Feed(Req("key=c" + std::string(kMax - Req("key=").size(), 'b'))), Parse::kTooLarge);
  }
  // The default bound: 16 KiB.
  {
    StreamRequestParser p;
    std::string big = "STREAM key=" + std::string(kMaxHandshakeBytes, 'x');
    EXPECT_EQ(FeedInChunks(&p, big, 1000), Parse::kTooLarge);
  }
}

TEST(StreamRequestTest, MissingTerminatorNeedsMore) {
  const std::string full(kMinimal);
  for (size_t cut = 0; cut < full.size(); ++cut) {
    StreamRequestParser p;
    EXPECT_EQ(p.Feed(full.substr(0, cut)), Parse::kNeedMore) << cut;
  }
  StreamRequestParser p;
  EXPECT_EQ(p.Feed(std::string_view()), Parse::kNeedMore);
  EXPECT_EQ(p.Feed("STREAM key=a HTTP/1.1\r\n\n\r\n\r"), Parse::kNeedMore);
  EXPECT_EQ(p.Feed(std::string_view()), Parse::kNeedMore);
  EXPECT_EQ(p.Feed("\n"), Parse::kDone);
}

TEST(StreamRequestTest, MalformedTable) {
  const struct {
    std::string_view bytes;
    std::string_view why;
  } cases[] = {
      {"GET / HTTP/1.1\r\n\r\n", "not a STREAM request"},
      {"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "not a STREAM request"},
      {"\x16\x03\x01", "not a STREAM request"},
      {"STREAMkey=a HTTP/1.1\r\n\r\n", "not a STREAM request"},
      {"STREAM key=a\r\n\r\n", "no HTTP version in the request line"},
      {"STREAM HTTP/1.1\r\n\r\n", "no HTTP version in the request line"},
      {"STREAM key=a\r\nX: y HTTP/1.1\r\n\r\n", "no HTTP version in the request line"},
      {"STREAM key=%zz HTTP/1.1\r\n\r\n", "malformed URL"},
      {"STREAM key=a% HTTP/1.1\r\n\r\n", "malformed URL"},
      {"STREAM key=a%00b HTTP/1.1\r\n\r\n", "malformed URL"},
      {"STREAM key=a%0d%0aX: y HTTP/1.1\r\n\r\n", "malformed URL"},
      {"STREAM key=a\tb HTTP/1.1\r\n\r\n", "malformed URL"},
      {"STREAM key=a%ffb HTTP/1.1\r\n\r\n", "malformed URL"},
      {"STREAM key=a\nb HTTP/1.1\r\n\r\n", "malformed URL"},
  };
  for (const auto& c : cases) {
    StreamRequestParser p;
    EXPECT_EQ(p.Feed(c.bytes), Parse::kMalformed) << c.bytes;
    EXPECT_EQ(p.error(), c.why) << c.bytes;
    EXPECT_EQ(p.Feed(kMinimal), Parse::kMalformed) << "sticky";
    absl::StatusOr<StreamRequest> r = ParseStreamRequest(c.bytes);
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  }
  // Refused on the first wrong byte, without waiting for the terminator.
  StreamRequestParser p;
  EXPECT_EQ(p.Feed("STR"), Parse::kNeedMore);
  EXPECT_EQ(p.Feed("x"), Parse::kMalformed);
}

TEST(StreamRequestTest, ParameterSemanticsTable) {
  struct Case {
    const char* name;
    std::string query;
    void (*check)(const StreamRequest&);
  };
  const Case cases[] = {
      {"defaults", "key=k",
       [](const StreamRequest& r) {
         EXPECT_EQ(r.key, "k");
         EXPECT_EQ(r.hostname, "");
         EXPECT_EQ(r.registry_hostname, "");
         EXPECT_EQ(r.os, "unknown");
         EXPECT_EQ(r.timezone, "unknown");
         EXPECT_EQ(r.abbrev_timezone, "UTC");
         EXPECT_EQ(r.update_every, 0);
         EXPECT_EQ(r.hops, 1);
         EXPECT_FALSE(r.ver.has_value());
         EXPECT_FALSE(r.has_protocol_version);
         EXPECT_EQ(r.OfferedCaps(OurReceiverCaps()), kCapV1);
       }},
      {"last occurrence wins", "hostname=a&hostname=b&key=1&key=2",
       [](const StreamRequest& r) {
         EXPECT_EQ(r.hostname, "b");
         EXPECT_EQ(r.key, "2");
         EXPECT_EQ(r.registry_hostname, "b");
       }},
      {"empty name/value skipped", "hostname=a&hostname=&=x&&noeq&os=",
       [](const StreamRequest& r) {
         EXPECT_EQ(r.hostname, "a");
         EXPECT_EQ(r.os, "unknown");
         EXPECT_TRUE(r.unknown_parameters.empty());
       }},
      {"encoded & and = still split", "hostname=a%26key%3Db",
       [](const StreamRequest& r) {
         EXPECT_EQ(r.hostname, "a");
         EXPECT_EQ(r.key, "b");
       }},
      {"= inside a value", "tags=a=b&key=x==",
       [](const StreamRequest& r) {
         EXPECT_EQ(r.tags, "a=b");
         EXPECT_EQ(r.key, "x==");
       }},
      {"raw spaces and plus", "hostname=my host&os=a+b%2bc",
       [](const StreamRequest& r) {
         EXPECT_EQ(r.hostname, "my host");
         EXPECT_EQ(r.os, "a b+c");
       }},
      {"value holding HTTP/", "hostname=a HTTP/x",
       [](const StreamRequest& r) { EXPECT_EQ(r.hostname, "a HTTP/x"); }},
      {"numbers are strtol-like",
       "update_every=5x&utc_offset=-3600&hops=abc&mc_version=99999999999&ml_capable=1&ml_enabled=7",
       [](const StreamRequest& r) {
         EXPECT_EQ(r.update_every, 5);
         EXPECT_EQ(r.utc_offset, -3600);
         EXPECT_EQ(r.hops, 0);
         EXPECT_EQ(r.mc_version, 2147483647);
         EXPECT_TRUE(r.ml_capable);
         EXPECT_TRUE(r.ml_enabled);
       }},
      {"registry_hostname explicit", "hostname=a&registry_hostname=r",
       [](const StreamRequest& r) { EXPECT_EQ(r.registry_hostname, "r"); }},
      {"protocol version without ver", "NETDATA_PROTOCOL_VERSION=1.1",
       [](const StreamRequest& r) {
         EXPECT_TRUE(r.has_protocol_version);
         EXPECT_TRUE(r.system_info.empty());
         EXPECT_EQ(r.OfferedCaps(OurReceiverCaps()), kCapV1);
       }},
      {"legacy ver", "ver=5",
       [](const StreamRequest& r) {
         EXPECT_EQ(r.ver, 5u);
         EXPECT_EQ(r.OfferedCaps(OurReceiverCaps()),
                   kCapVN | kCapHLabels | kCapClaim | kCapCLabels | kCapLz4);
       }},
      {"ver garbage reads 0", "ver=zz",
       [](const StreamRequest& r) {
         EXPECT_EQ(r.ver, 0u);
         EXPECT_EQ(r.OfferedCaps(OurReceiverCaps()), kCapV1);
       }},
      {"NEW child ver", "ver=536674296",
       [](const StreamRequest& r) { EXPECT_EQ(r.OfferedCaps(OurReceiverCaps()), 272957376u); }},
      {"unknown names", "foo=1&NETDATA_FOO=2&NETDATA_HOST_IS_K8S_NODE=false",
       [](const StreamRequest& r) {
         EXPECT_EQ(r.unknown_parameters, (std::vector<std::string>{"foo", "NETDATA_FOO"}));
         ASSERT_EQ(r.system_info.size(), 2u);
         EXPECT_EQ(*r.FindSystemInfo("NETDATA_FOO"), "2");
       }},
      {"OS rename and last wins in place",
       "NETDATA_SYSTEM_OS_NAME=a&NETDATA_SYSTEM_OS_ID_LIKE=x&NETDATA_SYSTEM_OS_NAME=b&"
       "NETDATA_SYSTEM_OS_OTHER=c&NETDATA_SYSTEM_KERNEL_NAME=Linux",
       [](const StreamRequest& r) {
         using P = std::pair<std::string, std::string>;
         EXPECT_EQ(r.system_info, (std::vector<P>{{"NETDATA_HOST_OS_NAME", "b"},
                                                  {"NETDATA_HOST_OS_ID_LIKE", "x"},
                                                  {"NETDATA_SYSTEM_OS_OTHER", "c"},
                                                  {"NETDATA_SYSTEM_KERNEL_NAME", "Linux"}}));
         EXPECT_EQ(r.unknown_parameters, (std::vector<std::string>{"NETDATA_SYSTEM_OS_OTHER"}));
       }},
      {"UTF-8 value", "hostname=caf%C3%A9",
       [](const StreamRequest& r) { EXPECT_EQ(r.hostname, "caf\xc3\xa9"); }},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    c.check(MustParse(Req(c.query)));
  }
}

TEST(StreamRequestTest, Headers) {
  StreamRequest r = MustParse(
      "STREAM key=a HTTP/1.0\r\nuser-agent:  my-agent \r\nnot a header\r\nX-Empty:\r\n"
      "Host: h:19999\r\n\r\n");
  using P = std::pair<std::string, std::string>;
  EXPECT_EQ(r.headers,
            (std::vector<P>{{"user-agent", "my-agent"}, {"X-Empty", ""}, {"Host", "h:19999"}}));
  EXPECT_EQ(r.program_name, "my-agent");
  EXPECT_EQ(r.program_version, "");
  StreamRequest r2 = MustParse("STREAM key=a HTTP/1.1\r\nUser-Agent: a/b/c\r\n\r\n");
  EXPECT_EQ(r2.program_name, "a");
  EXPECT_EQ(r2.program_version, "b/c");
}

TEST(StreamRequestTest, ParseStreamRequestStatuses) {
  EXPECT_TRUE(ParseStreamRequest(kMinimal).ok());
  EXPECT_EQ(ParseStreamRequest("STREAM key=a").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseStreamRequest(kMinimal, 20).status().code(), absl::StatusCode::kResourceExhausted);
}

StreamRequest Sample() {
  StreamRequest r;
  r.key = "11111111-2222-3333-4444-555555555555";
  r.hostname = "web 01 (prod)";
  r.registry_hostname = "web01.example/x";
  r.machine_guid = "00000000-0000-0000-0000-0000000000c1";
  r.update_every = 2;
  r.os = "linux";
  r.timezone = "Europe/Athens";
  r.abbrev_timezone = "EET";
  r.utc_offset = -7200;
  r.hops = 2;
  r.ml_capable = true;
  r.ml_enabled = false;
  r.mc_version = 3;
  r.system_info = {{"NETDATA_INSTANCE_CLOUD_TYPE", "unknown"},
                   {"NETDATA_HOST_OS_NAME", "Debian GNU/Linux"},
                   {"NETDATA_HOST_OS_VERSION", "12 (bookworm)"},
                   {"NETDATA_SYSTEM_TOTAL_RAM", "2.52765e+10"},
                   {"NETDATA_CONTAINER_OS_NAME", "caf\xc3\xa9 100% a=b ~_.-"}};
  return r;
}

TEST(BuildStreamRequestTest, ExactBytesOfASmallRequest) {
  StreamRequest r;
  r.key = "k";
  r.hostname = "a b";
  r.machine_guid = "g";
  r.system_info = {{"NETDATA_HOST_OS_NAME", "Debian GNU/Linux"}};
  EXPECT_EQ(BuildStreamRequest(r, 16376),
            "STREAM key=k&hostname=a+b&registry_hostname=a+b&machine_guid=g&update_every=0&"
            "os=unknown&timezone=unknown&abbrev_timezone=UTC&utc_offset=0&hops=1&ver=16376&"
            "ml_capable=0&ml_enabled=0&mc_version=0&"
            "NETDATA_SYSTEM_OS_NAME=Debian+GNU%2fLinux&NETDATA_PROTOCOL_VERSION=1.1 HTTP/1.1\r\n"
            "User-Agent: ndrelay/0.1.0\r\nAccept: */*\r\n\r\n");
}

TEST(BuildStreamRequestTest, RoundTrip) {
  StreamRequest want = Sample();
  const std::string bytes = BuildStreamRequest(want, 536674296);
  EXPECT_EQ(MatchStreamRequest(bytes), Sniff::kMatch);
  StreamRequest got = MustParse(bytes);
  want.ver = 536674296;
  want.has_protocol_version = true;
  want.program_name = "ndrelay";
  want.program_version = "0.1.0";
  want.headers = {{"User-Agent", "ndrelay/0.1.0"}, {"Accept", "*/*"}};
  EXPECT_EQ(got, want);
  // Byte at a time, too.
  StreamRequestParser p;
  EXPECT_EQ(FeedInChunks(&p, bytes, 1), Parse::kDone);
  EXPECT_EQ(p.request(), want);
}

TEST(BuildStreamRequestTest, RoundTripOfEveryRealCapture) {
  for (const auto& f : RequestCaptures()) {
    SCOPED_TRACE(f.string());
    std::string bytes;
    ASSERT_TRUE(ReadFile(f, &bytes));
    StreamRequest orig = MustParse(bytes);
    StreamRequest again = MustParse(BuildStreamRequest(orig, 16376));
    EXPECT_EQ(again.ver, 16376u);
    again.ver = orig.ver;
    again.program_name = orig.program_name;
    again.program_version = orig.program_version;
    again.headers = orig.headers;
    EXPECT_EQ(again, orig);  // tags are empty in these captures
  }
}

TEST(BuildStreamRequestTest, UnsafeBytesAreReplaced) {
  StreamRequest r;
  r.key = "k";
  r.hostname = "a&key=evil\nX";
  r.os = "bad\xff utf8 \xc3\xa9";
  StreamRequest got = MustParse(BuildStreamRequest(r, 16376));
  EXPECT_EQ(got.key, "k");
  EXPECT_EQ(got.hostname, "a key=evil X");
  EXPECT_EQ(got.os, "bad? utf8 ??");
}

TEST(BuildStreamRequestTest, NewParameterOrder) {
  const std::string bytes = BuildStreamRequest(Sample(), 16376);
  const char* order[] = {"STREAM key=",
                         "&hostname=",
                         "&registry_hostname=",
                         "&machine_guid=",
                         "&update_every=",
                         "&os=",
                         "&timezone=",
                         "&abbrev_timezone=",
                         "&utc_offset=",
                         "&hops=",
                         "&ver=",
                         "&ml_capable=",
                         "&ml_enabled=",
                         "&mc_version=",
                         "&NETDATA_INSTANCE_CLOUD_TYPE=",
                         "&NETDATA_SYSTEM_OS_NAME=",
                         "&NETDATA_PROTOCOL_VERSION=1.1 HTTP/1.1"};
  size_t at = 0;
  for (const char* name : order) {
    size_t found = bytes.find(name, at);
    ASSERT_NE(found, std::string::npos) << name;
    at = found;
  }
  EXPECT_EQ(bytes.find("tags="), std::string::npos);
}

}  // namespace
}  // namespace ndrelay::bridge
