#include "conf/bind_to.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace ndrelay::conf {
namespace {

using Ssl = BindTo::Ssl;

struct Expect {
  bool is_unix;
  const char* host;
  const char* interface;
  const char* path;
  uint16_t port;
  uint32_t acl;
  Ssl ssl;
};

struct Case {
  const char* list;
  std::vector<Expect> expected;
  size_t warnings;
};

TEST(BindToTest, ValidLists) {
  const Case cases[] = {
      {"*", {{false, "*", "", "", 19999, kAclAll, Ssl::kDefault}}, 0},
      {"", {}, 0},
      {"127.0.0.1:19999", {{false, "127.0.0.1", "", "", 19999, kAclAll, Ssl::kDefault}}, 0},
      {"127.0.0.1", {{false, "127.0.0.1", "", "", 19999, kAclAll, Ssl::kDefault}}, 0},
      {"tcp:127.0.0.1:80", {{false, "127.0.0.1", "", "", 80, kAclAll, Ssl::kDefault}}, 0},
      {"[::]:19999", {{false, "::", "", "", 19999, kAclAll, Ssl::kDefault}}, 0},
      {"[::1]", {{false, "::1", "", "", 19999, kAclAll, Ssl::kDefault}}, 0},
      {"[fe80::1%eth0]:1", {{false, "fe80::1", "eth0", "", 1, kAclAll, Ssl::kDefault}}, 0},
      {"[fe80::1]%eth0:1", {{false, "fe80::1", "eth0", "", 1, kAclAll, Ssl::kDefault}}, 0},
      {"any:1 all:2 :3",
       {{false, "*", "", "", 1, kAclAll, Ssl::kDefault},
        {false, "*", "", "", 2, kAclAll, Ssl::kDefault},
        {false, "*", "", "", 3, kAclAll, Ssl::kDefault}},
       0},
      {"*:0", {{false, "*", "", "", 0, kAclAll, Ssl::kDefault}}, 0},
      {"localhost:http", {{false, "localhost", "", "", 80, kAclAll, Ssl::kDefault}}, 0},
      {"unix:/run/netdata/netdata.sock",
       {{true, "", "", "/run/netdata/netdata.sock", 0, kAclAll, Ssl::kDefault}},
       0},
      // ACL lists and TLS modes, Netdata's grammar.
      {"127.0.0.1:19999=streaming^SSL=force",
       {{false, "127.0.0.1", "", "", 19999, kAclStreaming, Ssl::kForce}},
       0},
      {"*:19999=dashboard|registry|badges|management|streaming|netdata.conf",
       {{false, "*", "", "", 19999, kAclAll, Ssl::kDefault}},
       0},
      {"*=streaming", {{false, "*", "", "", 19999, kAclStreaming, Ssl::kDefault}}, 0},
      {"10.0.0.1=dashboard|streaming^SSL=optional",
       {{false, "10.0.0.1", "", "", 19999, kAclDashboard | kAclStreaming, Ssl::kOptional}},
       0},
      {"*:1=^SSL=force|streaming", {{false, "*", "", "", 1, kAclStreaming, Ssl::kForce}}, 0},
      {"*:1=dashboard^SSL=optional|streaming",
       {{false, "*", "", "", 1, kAclDashboard | kAclStreaming, Ssl::kOptional}},
       0},
      // With a '=' list only the names listed count: `=^SSL=force` alone allows nothing.
      {"*:1=^SSL=force", {{false, "*", "", "", 1, 0, Ssl::kForce}}, 0},
      {"*:1=", {{false, "*", "", "", 1, 0, Ssl::kDefault}}, 0},
      // Both modes given: force wins.
      {"*:1=a^SSL=optional|b^SSL=force", {{false, "*", "", "", 1, 0, Ssl::kForce}}, 2},
      // Extension: ^SSL directly after the address, with or without a list after it.
      {"*:19999^SSL=force", {{false, "*", "", "", 19999, kAclAll, Ssl::kForce}}, 0},
      {"*:19999^SSL=optional=streaming",
       {{false, "*", "", "", 19999, kAclStreaming, Ssl::kOptional}},
       0},
      {"[::1]^SSL=force", {{false, "::1", "", "", 19999, kAclAll, Ssl::kForce}}, 0},
      // Unknowns are warnings; udp is skipped with a warning.
      {"*=dashbord", {{false, "*", "", "", 19999, 0, Ssl::kDefault}}, 1},
      {"*=streaming^SSL=maybe", {{false, "*", "", "", 19999, kAclStreaming, Ssl::kDefault}}, 1},
      {"*:19999^SSL", {{false, "*", "", "", 19999, kAclAll, Ssl::kDefault}}, 1},
      {"udp:*:8125 *:1", {{false, "*", "", "", 1, kAclAll, Ssl::kDefault}}, 1},
      // Unix listeners: the whole rest is the path, always every ACL, no TLS.
      {"unix:/tmp/a=streaming^SSL=force",
       {{true, "", "", "/tmp/a=streaming^SSL=force", 0, kAclAll, Ssl::kDefault}},
       1},
      // Separators.
      {" 127.0.0.1:1 , unix:/x\t[::1]:2 ",
       {{false, "127.0.0.1", "", "", 1, kAclAll, Ssl::kDefault},
        {true, "", "", "/x", 0, kAclAll, Ssl::kDefault},
        {false, "::1", "", "", 2, kAclAll, Ssl::kDefault}},
       0},
  };
  for (const Case& c : cases) {
    std::vector<std::string> warnings;
    absl::StatusOr<std::vector<BindTo>> got = ParseBindTo(c.list, 19999, &warnings);
    ASSERT_TRUE(got.ok()) << c.list << ": " << got.status();
    ASSERT_EQ(got->size(), c.expected.size()) << c.list;
    EXPECT_EQ(warnings.size(), c.warnings) << c.list;
    for (size_t i = 0; i < c.expected.size(); ++i) {
      const BindTo& b = (*got)[i];
      const Expect& e = c.expected[i];
      EXPECT_EQ(b.is_unix, e.is_unix) << c.list;
      EXPECT_EQ(b.host, e.host) << c.list;
      EXPECT_EQ(b.interface, e.interface) << c.list;
      EXPECT_EQ(b.path, e.path) << c.list;
      EXPECT_EQ(b.port, e.port) << c.list;
      EXPECT_EQ(b.acl, e.acl) << c.list;
      EXPECT_EQ(b.ssl, e.ssl) << c.list;
      EXPECT_FALSE(b.text.empty());
    }
  }
}

TEST(BindToTest, AllowsHelpers) {
  auto one = [](const char* s) { return (*ParseBindTo(s, 19999))[0]; };
  EXPECT_TRUE(one("*").allows_streaming());
  EXPECT_TRUE(one("*").allows_dashboard());
  EXPECT_TRUE(one("*=streaming").allows_streaming());
  EXPECT_FALSE(one("*=streaming").allows_dashboard());
  EXPECT_FALSE(one("*=dashboard").allows_streaming());
  EXPECT_TRUE(one("*=dashboard").allows_dashboard());
  EXPECT_TRUE(one("unix:/x").allows_streaming());
  EXPECT_TRUE(one("unix:/x").allows_dashboard());
  EXPECT_EQ(one("127.0.0.1:19999=streaming^SSL=force").text, "127.0.0.1:19999=streaming^SSL=force");
}

TEST(BindToTest, WarningsWithoutSinkAreDropped) {
  absl::StatusOr<std::vector<BindTo>> got = ParseBindTo("*=nope udp:*:1", 19999);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->size(), 1u);
}

TEST(BindToTest, Errors) {
  struct {
    const char* list;
    const char* message_part;
  } cases[] = {
      {"[::1", "'[' without ']'"},
      {"[::1]x", "text after ']'"},
      {"*:70000", "port out of range"},
      {"*:no-such-service-xyz", "unknown service name"},
      {"unix:", "no path"},
  };
  for (const auto& c : cases) {
    absl::StatusOr<std::vector<BindTo>> got = ParseBindTo(c.list, 19999);
    ASSERT_FALSE(got.ok()) << c.list;
    EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(std::string(got.status().message()).find(c.message_part), std::string::npos)
        << c.list << ": " << got.status();
  }
}

}  // namespace
}  // namespace ndrelay::conf
