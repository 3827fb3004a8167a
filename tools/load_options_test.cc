#include "tools/load_options.h"

#include <netinet/in.h>

#include <string>
#include <string_view>
#include <vector>

#include "gtest/gtest.h"

namespace ndrelay::tools {
namespace {

absl::StatusOr<LoadOptions> Parse(std::vector<std::string_view> args) {
  return ParseLoadOptions(args);
}

TEST(LoadOptionsTest, DefaultsAreAOneChildV1CompressedLoad) {
  absl::StatusOr<LoadOptions> o = Parse({});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->host, "127.0.0.1");
  EXPECT_EQ(o->port, 19999);
  EXPECT_EQ(o->children, 1);
  EXPECT_EQ(o->protocol, Protocol::kV1);
  EXPECT_TRUE(o->compression);
  EXPECT_FALSE(o->ieee754);
  EXPECT_DOUBLE_EQ(o->rate_multiplier, 1);
  EXPECT_EQ(o->api_key, "11111111-2222-3333-4444-555555555555");
}

TEST(LoadOptionsTest, EveryOptionIsParsedBothSpellings) {
  absl::StatusOr<LoadOptions> o = Parse({"--parent",
                                         "127.0.0.2:4000",
                                         "--children=20",
                                         "--charts",
                                         "50",
                                         "--dims=20",
                                         "--update-every",
                                         "2",
                                         "--compression",
                                         "no",
                                         "--protocol=v2",
                                         "--ieee754",
                                         "yes",
                                         "--duration",
                                         "1.5",
                                         "--api-key",
                                         "k",
                                         "--rate-multiplier=10",
                                         "--hostname-prefix",
                                         "hp",
                                         "--seed",
                                         "42",
                                         "--handshake-timeout",
                                         "3",
                                         "--drain-timeout=0",
                                         "--max-pending-bytes",
                                         "65536",
                                         "--verbose"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->host, "127.0.0.2");
  EXPECT_EQ(o->port, 4000);
  EXPECT_EQ(o->children, 20);
  EXPECT_EQ(o->charts, 50);
  EXPECT_EQ(o->dims, 20);
  EXPECT_EQ(o->update_every, 2);
  EXPECT_FALSE(o->compression);
  EXPECT_EQ(o->protocol, Protocol::kV2);
  EXPECT_TRUE(o->ieee754);
  EXPECT_DOUBLE_EQ(o->duration_s, 1.5);
  EXPECT_EQ(o->api_key, "k");
  EXPECT_DOUBLE_EQ(o->rate_multiplier, 10);
  EXPECT_EQ(o->hostname_prefix, "hp");
  EXPECT_EQ(o->seed, 42u);
  EXPECT_DOUBLE_EQ(o->handshake_timeout_s, 3);
  EXPECT_DOUBLE_EQ(o->drain_timeout_s, 0);
  EXPECT_EQ(o->max_pending_bytes, 65536u);
  EXPECT_TRUE(o->verbose);
}

TEST(LoadOptionsTest, ParentForms) {
  struct Case {
    std::string_view parent;
    bool ok;
    std::string_view host;
    int port;
  } cases[] = {
      {"127.0.0.1:19999", true, "127.0.0.1", 19999},
      {"127.255.0.9:1", true, "127.255.0.9", 1},
      {"localhost:8080", true, "localhost", 8080},
      {"[::1]:19999", true, "::1", 19999},
      {"[::ffff:127.0.0.1]:5", true, "::ffff:127.0.0.1", 5},
      {"10.0.0.1:19999", false, "", 0},   // not loopback
      {"128.0.0.1:19999", false, "", 0},  // not loopback
      {"[::2]:19999", false, "", 0},      // not loopback
      {"[::ffff:10.0.0.1]:1", false, "", 0},
      {"example.com:80", false, "", 0},  // names are never resolved
      {"127.0.0.1", false, "", 0},       // no port
      {"127.0.0.1:0", false, "", 0},
      {"127.0.0.1:65536", false, "", 0},
      {"127.0.0.1:http", false, "", 0},
      {"::1:19999", false, "", 0},  // IPv6 needs brackets
      {"[::1]19999", false, "", 0},
  };
  for (const Case& c : cases) {
    absl::StatusOr<LoadOptions> o = Parse({"--parent", c.parent});
    EXPECT_EQ(o.ok(), c.ok) << c.parent << " " << o.status();
    if (o.ok() && c.ok) {
      EXPECT_EQ(o->host, c.host) << c.parent;
      EXPECT_EQ(o->port, c.port) << c.parent;
    }
  }
}

TEST(LoadOptionsTest, RefusesOutOfBoundsAndMalformedValues) {
  const std::vector<std::vector<std::string_view>> bad = {
      {"--children", "0"},
      {"--children", "10001"},
      {"--children", "-1"},
      {"--children", "3x"},
      {"--charts", "0"},
      {"--dims", "0"},
      {"--dims", "10001"},
      {"--charts", "2000", "--dims", "1000"},  // 2M metrics in one child
      {"--update-every", "0"},
      {"--compression", "maybe"},
      {"--protocol", "v3"},
      {"--ieee754", "yes"},  // needs v2
      {"--duration", "0"},
      {"--duration", "nan"},
      {"--duration", "inf"},
      {"--rate-multiplier", "0"},
      {"--api-key", ""},
      {"--hostname-prefix", ""},
      {"--seed", "-3"},
      {"--max-pending-bytes", "100"},
      {"--host", "192.168.1.1"},
      {"--port", "0"},
      {"--children"},  // missing value
      {"--nope", "1"},
      {"positional"},
  };
  for (const auto& args : bad) {
    absl::StatusOr<LoadOptions> o = Parse(args);
    EXPECT_FALSE(o.ok()) << args[0] << " " << (args.size() > 1 ? args[1] : "");
    if (!o.ok()) {
      EXPECT_EQ(o.status().code(), absl::StatusCode::kInvalidArgument);
    }
  }
}

TEST(LoadOptionsTest, HelpIsReportedNotAnError) {
  absl::StatusOr<LoadOptions> o = Parse({"--help"});
  ASSERT_TRUE(o.ok());
  EXPECT_TRUE(o->help);
  EXPECT_NE(LoadUsage().find("--rate-multiplier"), std::string::npos);
}

TEST(LoadOptionsTest, CheckLoopbackHostTable) {
  struct Case {
    std::string_view host;
    bool ok;
  } cases[] = {
      {"127.0.0.1", true}, {"127.1.2.3", true},          {"localhost", true},
      {"::1", true},       {"::ffff:127.0.0.1", true},   {"0.0.0.0", false},
      {"::", false},       {"126.255.255.255", false},   {"LOCALHOST", false},
      {"", false},         {"127.0.0.1.example", false}, {"fe80::1", false},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(CheckLoopbackHost(c.host).ok(), c.ok) << c.host;
  }
}

TEST(LoadOptionsTest, ResolveLoopbackFillsTheSocketAddress) {
  absl::StatusOr<LoopbackAddress> a = ResolveLoopback("localhost", 1234);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->family, AF_INET);
  const auto* v4 = reinterpret_cast<const sockaddr_in*>(&a->addr);
  EXPECT_EQ(ntohs(v4->sin_port), 1234);
  EXPECT_EQ(ntohl(v4->sin_addr.s_addr), INADDR_LOOPBACK);

  absl::StatusOr<LoopbackAddress> b = ResolveLoopback("::1", 80);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->family, AF_INET6);
  EXPECT_EQ(b->len, sizeof(sockaddr_in6));

  EXPECT_FALSE(ResolveLoopback("10.1.1.1", 80).ok());
  EXPECT_FALSE(ResolveLoopback("127.0.0.1", 0).ok());
}

}  // namespace
}  // namespace ndrelay::tools
