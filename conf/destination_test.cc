#include "conf/destination.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace ndrelay::conf {
namespace {

using P = Destination::Protocol;

struct Expect {
  P protocol;
  const char* host;
  const char* interface;
  uint16_t port;
  bool ssl;
  const char* text;
  bool old_differs;
};

struct Case {
  const char* list;
  std::vector<Expect> expected;
};

TEST(DestinationTest, ValidLists) {
  const Case cases[] = {
      {"tcp:203.0.113.0:20000:SSL",
       {{P::kTcp, "203.0.113.0", "", 20000, true, "tcp:203.0.113.0:20000:SSL", false}}},
      {"[::1]:19999", {{P::kTcp, "::1", "", 19999, false, "[::1]:19999", false}}},
      {"[::1]", {{P::kTcp, "::1", "", 12345, false, "[::1]", false}}},
      {"[fe80::1%eth0]:19999",
       {{P::kTcp, "fe80::1", "eth0", 19999, false, "[fe80::1%eth0]:19999", false}}},
      {"[fe80::1]%eth0:19999",
       {{P::kTcp, "fe80::1", "eth0", 19999, false, "[fe80::1]%eth0:19999", false}}},
      {"host%eth1", {{P::kTcp, "host", "eth1", 12345, false, "host%eth1", false}}},
      {"unix:/run/x.sock", {{P::kUnix, "/run/x.sock", "", 0, false, "unix:/run/x.sock", false}}},
      {"/run/netdata/netdata.sock",
       {{P::kUnix, "/run/netdata/netdata.sock", "", 0, false, "/run/netdata/netdata.sock", false}}},
      {"parent1 parent2:20000",
       {{P::kTcp, "parent1", "", 12345, false, "parent1", false},
        {P::kTcp, "parent2", "", 20000, false, "parent2:20000", false}}},
      {"  a,b ,, c\t\nd  ",
       {{P::kTcp, "a", "", 12345, false, "a", false},
        {P::kTcp, "b", "", 12345, false, "b", false},
        {P::kTcp, "c", "", 12345, false, "c", false},
        {P::kTcp, "d", "", 12345, false, "d", false}}},
      {"localhost:http", {{P::kTcp, "localhost", "", 80, false, "localhost:http", false}}},
      {"udp:10.0.0.1:8125", {{P::kUdp, "10.0.0.1", "", 8125, false, "udp:10.0.0.1:8125", false}}},
      {"host:", {{P::kTcp, "host", "", 12345, false, "host:", false}}},  // empty port = default
      {"host:SSL", {{P::kTcp, "host", "", 12345, true, "host:SSL", false}}},
      {"h:1", {{P::kTcp, "h", "", 1, false, "h:1", false}}},
      {"h:65535", {{P::kTcp, "h", "", 65535, false, "h:65535", false}}},
      {"", {}},
      {" , ", {}},
  };
  for (const Case& c : cases) {
    absl::StatusOr<std::vector<Destination>> got = ParseDestinations(c.list, 12345);
    ASSERT_TRUE(got.ok()) << c.list << ": " << got.status();
    ASSERT_EQ(got->size(), c.expected.size()) << c.list;
    for (size_t i = 0; i < c.expected.size(); ++i) {
      const Destination& d = (*got)[i];
      const Expect& e = c.expected[i];
      EXPECT_EQ(d.protocol, e.protocol) << c.list;
      EXPECT_EQ(d.host, e.host) << c.list;
      EXPECT_EQ(d.interface, e.interface) << c.list;
      EXPECT_EQ(d.port, e.port) << c.list;
      EXPECT_EQ(d.ssl, e.ssl) << c.list;
      EXPECT_EQ(d.text, e.text) << c.list;
      EXPECT_EQ(d.old_ssl_semantics_differ, e.old_differs) << c.list;
      EXPECT_EQ(d.supported(), e.protocol != P::kUdp) << c.list;
    }
  }
}

// OLD (1.37) cuts the whole list at the first ":SSL" and uses TLS for every entry before it.
TEST(DestinationTest, OldSslSemanticsFlag) {
  struct {
    const char* list;
    std::vector<bool> ssl;
    std::vector<bool> differs;
  } cases[] = {
      {"a b", {false, false}, {false, false}},
      {"a:SSL", {true}, {false}},
      {"a b:SSL", {false, true}, {true, false}},     // OLD would use TLS for a too
      {"a:SSL b", {true, false}, {false, true}},     // OLD drops b
      {"a:SSL b:SSL", {true, true}, {false, true}},  // OLD drops b
      {"a:19999:SSL,b:20000", {true, false}, {false, true}},
  };
  for (const auto& c : cases) {
    absl::StatusOr<std::vector<Destination>> got = ParseDestinations(c.list, 19999);
    ASSERT_TRUE(got.ok()) << c.list << ": " << got.status();
    ASSERT_EQ(got->size(), c.ssl.size()) << c.list;
    for (size_t i = 0; i < c.ssl.size(); ++i) {
      EXPECT_EQ((*got)[i].ssl, c.ssl[i]) << c.list << " #" << i;
      EXPECT_EQ((*got)[i].old_ssl_semantics_differ, c.differs[i]) << c.list << " #" << i;
    }
  }
}

TEST(DestinationTest, Errors) {
  struct {
    const char* list;
    const char* message_part;
  } cases[] = {
      {":19999", "no host in ':19999'"},
      {"tcp:", "no host"},
      {":SSL", "no host"},
      {"[::1", "'[' without ']'"},
      {"[::1]x:1", "text after ']'"},
      {"h:0", "port out of range"},
      {"h:65536", "port out of range"},
      {"h:123456", "port out of range"},
      {"h:no-such-service-xyz", "unknown service name in 'h:no-such-service-xyz'"},
      {"fe80::1:19999", "unknown service name"},  // IPv6 needs brackets
      {"unix:", "no unix socket path"},
      {"good:1 bad:0", "'bad:0'"},
      {"a:SSLx", "unknown service name"},  // ":SSL" counts only at the very end of an entry
  };
  for (const auto& c : cases) {
    absl::StatusOr<std::vector<Destination>> got = ParseDestinations(c.list, 19999);
    ASSERT_FALSE(got.ok()) << c.list;
    EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(std::string(got.status().message()).find(c.message_part), std::string::npos)
        << c.list << ": " << got.status();
  }
}

TEST(DestinationTest, PortOrService) {
  EXPECT_EQ(*ParsePortOrService("80", "tcp", 1), 80);
  EXPECT_EQ(*ParsePortOrService("http", "tcp", 1), 80);
  EXPECT_EQ(*ParsePortOrService("0", "tcp", 0), 0);
  EXPECT_EQ(*ParsePortOrService("00080", "tcp", 1), 80);
  EXPECT_FALSE(ParsePortOrService("0", "tcp", 1).ok());
  EXPECT_FALSE(ParsePortOrService("", "tcp", 0).ok());
  EXPECT_FALSE(ParsePortOrService("-1", "tcp", 0).ok());
  EXPECT_FALSE(ParsePortOrService(std::string("ht\0tp", 5), "tcp", 0).ok());
}

}  // namespace
}  // namespace ndrelay::conf
