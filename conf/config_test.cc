#include "conf/config.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "conf/strings.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ndrelay::conf {
namespace {

using ::testing::HasSubstr;

constexpr char kKey[] = "11111111-2222-3333-4444-555555555555";
constexpr char kKey2[] = "aaaaaaaa-2222-3333-4444-555555555555";
constexpr char kGuid[] = "22222222-3333-4444-5555-666666666666";
constexpr char kGuid2[] = "bbbbbbbb-3333-4444-5555-666666666666";

absl::StatusOr<Config> Parse(const std::string& netdata, const std::string& stream) {
  return ParseConfig(netdata, "netdata.conf", stream, "stream.conf");
}

Config MustParse(const std::string& netdata, const std::string& stream) {
  absl::StatusOr<Config> c = Parse(netdata, stream);
  EXPECT_TRUE(c.ok()) << c.status();
  return c.ok() ? *std::move(c) : Config();
}

std::string ReadFileOrEmpty(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string Joined(const std::vector<std::string>& v) {
  std::string out;
  for (const std::string& s : v) {
    out += s + "\n";
  }
  return out;
}

TEST(ConfigTest, DefaultsWithEmptyFiles) {
  Config c = MustParse("", "");
  EXPECT_TRUE(c.warnings.empty()) << Joined(c.warnings);
  char host[256] = {};
  ASSERT_EQ(gethostname(host, sizeof(host) - 1), 0);
  EXPECT_EQ(c.global.hostname, host);
  EXPECT_EQ(c.global.update_every_s, 1);
  EXPECT_EQ(c.global.memory_mode, MemoryMode::kDbengine);
  EXPECT_EQ(c.global.history_s, 3600);
  EXPECT_EQ(c.global.pid_file, "");
  EXPECT_FALSE(c.global.is_ephemeral_node);
  EXPECT_EQ(c.web.mode, WebMode::kStaticThreaded);
  EXPECT_EQ(c.web.bind_to_text, "*");
  ASSERT_EQ(c.web.bind_to.size(), 1u);
  EXPECT_EQ(c.web.bind_to[0].host, "*");
  EXPECT_EQ(c.web.bind_to[0].port, 19999);
  EXPECT_EQ(c.web.bind_to[0].acl, kAclAll);
  EXPECT_EQ(c.web.default_port, 19999);
  EXPECT_EQ(c.web.ssl_key, "");
  EXPECT_EQ(c.web.ssl_certificate, "");
  EXPECT_TRUE(c.web.allow_connections_from.Matches("1.2.3.4"));
  EXPECT_TRUE(c.web.allow_streaming_from.Matches("::1"));
  EXPECT_EQ(c.web.allow_streaming_by_dns, "heuristic");
  EXPECT_EQ(c.web.accept_streaming_request_every_s, 0);
  EXPECT_EQ(c.db.page_cache_size_mib, 32);
  EXPECT_EQ(c.db.dbengine_multihost_disk_space_mib, 256);
  EXPECT_EQ(c.db.cleanup_ephemeral_hosts_after_s, 0);
  EXPECT_EQ(c.db.cleanup_orphan_hosts_after_s, 3600);
  EXPECT_TRUE(c.db.enable_replication);
  EXPECT_EQ(c.db.seconds_to_replicate, 86400);
  EXPECT_EQ(c.db.replication_step_s, 600);
  EXPECT_EQ(c.health.enabled, HealthMode::kYes);
  EXPECT_EQ(c.health.health_log_history_s, 432000);
  EXPECT_EQ(c.directories.config, "/etc/netdata");
  EXPECT_EQ(c.directories.cache, "/var/cache/netdata");
  EXPECT_EQ(c.directories.lib, "/var/lib/netdata");
  EXPECT_EQ(c.directories.log, "/var/log/netdata");
  EXPECT_EQ(c.registry.unique_id_file, "/var/lib/netdata/registry/netdata.public.unique.id");
  EXPECT_EQ(c.logs.error_log, "");
  EXPECT_FALSE(c.stream.enabled);
  EXPECT_TRUE(c.stream.destinations.empty());
  EXPECT_TRUE(c.stream.ssl_skip_certificate_verification);
  EXPECT_EQ(c.stream.ca_path, "/etc/ssl/certs/");
  EXPECT_EQ(c.stream.ca_file, "/etc/ssl/certs/cert.pem");
  EXPECT_EQ(c.stream.timeout_s, 60);
  EXPECT_EQ(c.stream.default_port, 19999);
  EXPECT_EQ(c.stream.send_charts_matching.source(), "*");
  EXPECT_EQ(c.stream.buffer_size_bytes, 10485760);
  EXPECT_EQ(c.stream.reconnect_delay_s, 5);
  EXPECT_EQ(c.stream.initial_clock_resync_iterations, 60);
  EXPECT_FALSE(c.stream.parent_using_h2o);
  EXPECT_TRUE(c.stream.enable_compression);
  EXPECT_EQ(c.stream.compression_algorithms_order,
            (std::vector<std::string>{"zstd", "lz4", "brotli", "gzip"}));
  EXPECT_EQ(c.limits.io_threads, 0);
  EXPECT_EQ(c.limits.max_handshake_bytes, 16384);
  EXPECT_EQ(c.limits.handshake_timeout_s, 10);
  EXPECT_EQ(c.limits.sniff_timeout_ms, 5000);
  EXPECT_EQ(c.limits.max_http_request_bytes, 16384);
  EXPECT_EQ(c.limits.max_line_bytes, 15360);
  EXPECT_EQ(c.limits.max_words_per_line, 30);
  EXPECT_EQ(c.limits.max_compressed_block_bytes, 16384);
  EXPECT_EQ(c.limits.max_connections, 4096);
  EXPECT_EQ(c.limits.receive_idle_timeout_s, 600);

  const ReceiverSettings r = c.ResolveChild(kKey, kGuid);
  EXPECT_EQ(r.memory_mode, MemoryMode::kRam);
  EXPECT_EQ(r.history_s, 3600);
  EXPECT_EQ(r.health, HealthMode::kAuto);
  EXPECT_EQ(r.postpone_alarms_on_connect_s, 60);
  EXPECT_EQ(r.health_log_history_s, 432000);
  EXPECT_FALSE(r.proxy_enabled);
  EXPECT_EQ(r.proxy_send_charts_matching, "*");
  EXPECT_TRUE(r.enable_compression);
  EXPECT_EQ(r.compression_algorithms_order,
            (std::vector<std::string>{"zstd", "lz4", "brotli", "gzip"}));
  EXPECT_TRUE(r.enable_replication);
  EXPECT_EQ(r.seconds_to_replicate, 86400);
  EXPECT_EQ(r.replication_step_s, 600);
  EXPECT_FALSE(r.is_ephemeral);
  EXPECT_EQ(r.update_every, 0);
}

// Netdata's stock stream.conf, read from the installed netdata-core package (never copied).
TEST(ConfigTest, StockNetdataStreamConfParses) {
  const std::string path = "/usr/lib/netdata/conf.d/stream.conf";
  if (!std::filesystem::exists(path)) {
    GTEST_SKIP() << path << " not installed (netdata-core package missing)";
  }
  const std::string text = ReadFileOrEmpty(path);
  ASSERT_FALSE(text.empty());
  absl::StatusOr<Config> c = ParseConfig("", "netdata.conf", text, path);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE(c->warnings.empty()) << Joined(c->warnings);
  EXPECT_FALSE(c->stream.enabled);
  EXPECT_EQ(c->stream.timeout_s, 60);
  EXPECT_EQ(c->stream.default_port, 19999);
  EXPECT_EQ(c->stream.buffer_size_bytes, 10485760);
  // The placeholder sections parse like any other.
  const AccessRule key = c->ApiKeyAccess("API_KEY");
  EXPECT_TRUE(key.section_present);
  EXPECT_EQ(key.type, "api");
  EXPECT_FALSE(key.enabled);
  EXPECT_TRUE(key.allow_from.Matches("10.0.0.1"));
  const AccessRule guid = c->MachineGuidAccess("MACHINE_GUID");
  EXPECT_EQ(guid.type, "machine");
  EXPECT_FALSE(guid.enabled);
  EXPECT_EQ(c->ResolveChild("API_KEY", "MACHINE_GUID").postpone_alarms_on_connect_s, 60);
}

// The repository's own default files (compiled into the daemon) load cleanly.
TEST(ConfigTest, RepositoryDefaultConfigLoads) {
  const char* src = std::getenv("NDRELAY_SOURCE_DIR");
  if (src == nullptr) {
    src = NDRELAY_SOURCE_DIR;  // set by ndrelay_test()
  }
  ASSERT_TRUE(std::filesystem::exists(std::string(src) + "/conf/netdata.conf")) << src;
  absl::StatusOr<Config> c = LoadConfigDir(std::string(src) + "/conf");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE(c->warnings.empty()) << Joined(c->warnings);
  EXPECT_EQ(c->directories.config, std::string(src) + "/conf");
}

TEST(ConfigTest, SeedEphemeralGuid) {
  Config c = MustParse("", Cat("[", kGuid, "]\n  is ephemeral node = yes\n  enabled = yes\n"));
  EXPECT_TRUE(c.warnings.empty()) << Joined(c.warnings);
  EXPECT_TRUE(c.ResolveChild(kKey, kGuid).is_ephemeral);
  EXPECT_FALSE(c.ResolveChild(kKey, kGuid2).is_ephemeral);
}

TEST(ConfigTest, SeedProxy) {
  Config c = MustParse("", Cat("[stream]\n"
                               "  enabled = yes\n"
                               "  destination = tcp:203.0.113.0:20000:SSL\n"
                               "  api key = ",
                               kKey2,
                               "\n"
                               "  send charts matching = !apps.cpu *\n"
                               "[",
                               kKey,
                               "]\n"
                               "  enabled = yes\n"
                               "  allow from = !10.1.2.3 10.*\n"
                               "  default proxy enabled = yes\n"));
  EXPECT_TRUE(c.warnings.empty()) << Joined(c.warnings);
  ASSERT_TRUE(c.stream.enabled);
  ASSERT_EQ(c.stream.destinations.size(), 1u);
  const Destination& d = c.stream.destinations[0];
  EXPECT_EQ(d.protocol, Destination::Protocol::kTcp);
  EXPECT_EQ(d.host, "203.0.113.0");
  EXPECT_EQ(d.port, 20000);
  EXPECT_TRUE(d.ssl);
  EXPECT_EQ(c.stream.api_key, kKey2);
  EXPECT_EQ(c.stream.send_charts_matching.Match("apps.cpu"), SimplePattern::Result::kNegative);
  EXPECT_TRUE(c.stream.send_charts_matching.Matches("system.cpu"));

  const AccessRule a = c.ApiKeyAccess(kKey);
  EXPECT_TRUE(a.section_present);
  EXPECT_EQ(a.type, "api");
  EXPECT_TRUE(a.enabled);
  EXPECT_EQ(a.allow_from.Match("10.1.2.3"), SimplePattern::Result::kNegative);
  EXPECT_TRUE(a.allow_from.Matches("10.9.9.9"));
  EXPECT_FALSE(a.allow_from.Matches("192.168.0.1"));

  const ReceiverSettings r = c.ResolveChild(kKey, kGuid);
  EXPECT_TRUE(r.proxy_enabled);
  EXPECT_EQ(r.proxy_destination, "tcp:203.0.113.0:20000:SSL");  // from [stream]
  EXPECT_EQ(r.proxy_api_key, kKey2);
  EXPECT_EQ(r.proxy_send_charts_matching, "!apps.cpu *");
}

TEST(ConfigTest, SeedPerGuidOverridesKey) {
  Config c = MustParse("", Cat("[", kKey,
                               "]\n"
                               "  enabled = yes\n"
                               "  default memory mode = dbengine\n"
                               "  default history = 7200\n"
                               "  enable compression = no\n"
                               "[",
                               kGuid,
                               "]\n"
                               "  memory mode = ram\n"
                               "  history = 1h\n"
                               "  enable compression = yes\n"));
  EXPECT_TRUE(c.warnings.empty()) << Joined(c.warnings);
  const ReceiverSettings by_guid = c.ResolveChild(kKey, kGuid);
  EXPECT_EQ(by_guid.memory_mode, MemoryMode::kRam);
  EXPECT_EQ(by_guid.history_s, 3600);
  EXPECT_TRUE(by_guid.enable_compression);
  const ReceiverSettings by_key = c.ResolveChild(kKey, kGuid2);
  EXPECT_EQ(by_key.memory_mode, MemoryMode::kDbengine);
  EXPECT_EQ(by_key.history_s, 7200);
  EXPECT_FALSE(by_key.enable_compression);
  const ReceiverSettings none = c.ResolveChild(kKey2, kGuid2);
  EXPECT_EQ(none.memory_mode, MemoryMode::kRam);
  EXPECT_EQ(none.history_s, 3600);
  // A key section's GUID-style names apply only when the section is the child's GUID.
  const ReceiverSettings key_as_guid = c.ResolveChild(kKey2, kKey);
  EXPECT_EQ(key_as_guid.memory_mode, MemoryMode::kRam);
}

TEST(ConfigTest, FloppyMemoryModeIsAnError) {
  absl::StatusOr<Config> c = Parse("", Cat("[stream]\n  enabled = no\n\n[", kKey,
                                           "]\n  enabled = yes\n  default memory mode = floppy\n"));
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(c.status().message()),
            Cat("stream.conf:6: [", kKey,
                "] default memory mode: expected none, ram or dbengine, got 'floppy'"));
}

TEST(ConfigTest, LegacyMemoryModesAreRamWithAWarning) {
  for (const char* mode : {"save", "map", "alloc"}) {
    Config c = MustParse(Cat("[global]\nmemory mode = ", mode, "\n"),
                         Cat("[", kKey, "]\ndefault memory mode = ", mode, "\n"));
    EXPECT_EQ(c.global.memory_mode, MemoryMode::kRam);
    EXPECT_EQ(c.ResolveChild(kKey, kGuid).memory_mode, MemoryMode::kRam);
    ASSERT_EQ(c.warnings.size(), 2u) << Joined(c.warnings);
    EXPECT_THAT(c.warnings[0], HasSubstr("netdata.conf:2: memory mode"));
    EXPECT_THAT(c.warnings[1], HasSubstr("stream.conf:2: memory mode"));
  }
}

TEST(ConfigTest, UnknownSettingIsAWarningNotAnError) {
  Config c = MustParse("[web]\n  bind to = 127.0.0.1:0\n  no such thing = 1\n",
                       "[stream]\n  enabled = no\n  colour = blue\n[nonsense]\n  x = y\n");
  EXPECT_THAT(c.warnings,
              ::testing::ElementsAre(
                  "stream.conf: section [nonsense] is neither [stream] nor a UUID (API key or "
                  "machine GUID); no child can use it",
                  "netdata.conf:3: unknown setting 'no such thing' in [web], ignored",
                  "stream.conf:3: unknown setting 'colour' in [stream], ignored",
                  "stream.conf:5: unknown setting 'x' in [nonsense], ignored"));
}

TEST(ConfigTest, AllErrorsAreReported) {
  absl::StatusOr<Config> c =
      Parse("[global]\n  update every = 0\n  this line is broken\n[web]\n  default port = 70000\n",
            "[stream]\n  enabled = maybe\n  destination = a:0\n");
  ASSERT_FALSE(c.ok());
  const std::string msg(c.status().message());
  EXPECT_THAT(msg, HasSubstr("netdata.conf:3: no '=' in line 'this line is broken'"));
  EXPECT_THAT(msg, HasSubstr("netdata.conf:2: [global] update every: out of range (1..86400 s), "
                             "got '0'"));
  EXPECT_THAT(msg, HasSubstr("netdata.conf:5: [web] default port: out of range (1..65535), got "
                             "'70000'"));
  EXPECT_THAT(msg, HasSubstr("stream.conf:2: [stream] enabled: expected yes or no, got 'maybe'"));
  EXPECT_THAT(msg, HasSubstr("stream.conf:3: [stream] destination: port out of range (1..65535) "
                             "in 'a:0'"));
  EXPECT_EQ(std::count(msg.begin(), msg.end(), '\n'), 4) << msg;
}

// One row per accepted name (1.37 and NEW aliases): the value lands in the right field.
TEST(ConfigTest, NamesAndAliases) {
  struct Row {
    const char* netdata;
    const char* stream;
    std::function<std::string(const Config&)> get;
    const char* want;
  };
  const Row rows[] = {
      {"[global]\nupdate every = 2", "",
       [](const Config& c) { return Cat(c.global.update_every_s); }, "2"},
      {"[db]\nupdate every = 5s", "", [](const Config& c) { return Cat(c.global.update_every_s); },
       "5"},
      {"[db]\nmode = none", "",
       [](const Config& c) { return std::string(MemoryModeName(c.global.memory_mode)); }, "none"},
      {"[global]\nmemory mode = RAM", "",
       [](const Config& c) { return std::string(MemoryModeName(c.global.memory_mode)); }, "ram"},
      {"[global]\nhistory = 7200", "", [](const Config& c) { return Cat(c.global.history_s); },
       "7200"},
      {"[db]\nretention = 1d", "", [](const Config& c) { return Cat(c.global.history_s); },
       "86400"},
      {"[global]\nhostname = box1", "", [](const Config& c) { return c.global.hostname; }, "box1"},
      {"[global]\npid file = /run/ndrelay.pid", "",
       [](const Config& c) { return c.global.pid_file; }, "/run/ndrelay.pid"},
      {"[global]\npid file = none", "", [](const Config& c) { return c.global.pid_file; }, ""},
      {"[logs]\nerror = /var/log/x.log", "", [](const Config& c) { return c.logs.error_log; },
       "/var/log/x.log"},
      {"[global]\nerror log = err.log", "", [](const Config& c) { return c.logs.error_log; },
       "/var/log/netdata/err.log"},
      {"[directories]\nlog = /l\n[logs]\nerror = e.log", "",
       [](const Config& c) { return c.logs.error_log; }, "/l/e.log"},
      {"[logs]\nerror = none", "", [](const Config& c) { return c.logs.error_log; }, ""},
      {"[logs]\nerror = syslog", "", [](const Config& c) { return c.logs.error_log; }, ""},
      {"[web]\nmode = none", "",
       [](const Config& c) { return Cat(static_cast<int>(c.web.mode == WebMode::kNone)); }, "1"},
      {"[web]\ndefault port = 8080", "", [](const Config& c) { return Cat(c.web.bind_to[0].port); },
       "8080"},
      {"[web]\nbind to = 10.0.0.1=streaming^SSL=force unix:/run/x.sock", "",
       [](const Config& c) {
         return Cat(c.web.bind_to.size(), " ", c.web.bind_to[0].acl, " ",
                    static_cast<int>(c.web.bind_to[0].ssl), " ", c.web.bind_to[1].path);
       },
       "2 16 2 /run/x.sock"},
      {"[web]\nssl key = /k.pem\nssl certificate = /c.pem", "",
       [](const Config& c) { return c.web.ssl_key + " " + c.web.ssl_certificate; },
       "/k.pem /c.pem"},
      {"[web]\nallow streaming from = !10.* *", "",
       [](const Config& c) {
         return Cat(static_cast<int>(c.web.allow_streaming_from.Matches("10.1.1.1")));
       },
       "0"},
      {"[web]\nallow connections from = localhost", "",
       [](const Config& c) { return c.web.allow_connections_from.source(); }, "localhost"},
      {"[web]\naccept a streaming request every seconds = 3", "",
       [](const Config& c) { return Cat(c.web.accept_streaming_request_every_s); }, "3"},
      {"[web]\naccept a streaming request every = 1m", "",
       [](const Config& c) { return Cat(c.web.accept_streaming_request_every_s); }, "60"},
      {"[web]\nallow streaming by dns = no", "",
       [](const Config& c) { return c.web.allow_streaming_by_dns; }, "no"},
      {"[web]\ntls version = 1.2", "", [](const Config& c) { return c.web.tls_version; }, "1.2"},
      {"[db]\npage cache size = 64", "",
       [](const Config& c) { return Cat(c.db.page_cache_size_mib); }, "64"},
      {"[db]\ndbengine page cache size MB = 48", "",
       [](const Config& c) { return Cat(c.db.page_cache_size_mib); }, "48"},
      {"[db]\ndbengine page cache size = 1GiB", "",
       [](const Config& c) { return Cat(c.db.page_cache_size_mib); }, "1024"},
      {"[global]\npage cache size = 16", "",
       [](const Config& c) { return Cat(c.db.page_cache_size_mib); }, "16"},
      {"[db]\ndbengine multihost disk space MB = 512", "",
       [](const Config& c) { return Cat(c.db.dbengine_multihost_disk_space_mib); }, "512"},
      {"[db]\ncleanup ephemeral hosts after secs = 100", "",
       [](const Config& c) { return Cat(c.db.cleanup_ephemeral_hosts_after_s); }, "100"},
      {"[db]\ncleanup ephemeral hosts after = 1h", "",
       [](const Config& c) { return Cat(c.db.cleanup_ephemeral_hosts_after_s); }, "3600"},
      {"[db]\ncleanup orphan hosts after = 2h", "",
       [](const Config& c) { return Cat(c.db.cleanup_orphan_hosts_after_s); }, "7200"},
      {"[db]\nenable replication = off", "",
       [](const Config& c) { return Cat(static_cast<int>(c.db.enable_replication)); }, "0"},
      {"[db]\nreplication period = 2d", "",
       [](const Config& c) { return Cat(c.db.seconds_to_replicate); }, "172800"},
      {"[db]\nseconds to replicate = 100", "",
       [](const Config& c) { return Cat(c.db.seconds_to_replicate); }, "100"},
      {"[db]\nreplication step = 10m", "",
       [](const Config& c) { return Cat(c.db.replication_step_s); }, "600"},
      {"[db]\nseconds per replication step = 30", "",
       [](const Config& c) { return Cat(c.db.replication_step_s); }, "30"},
      {"[health]\nenabled = auto", "",
       [](const Config& c) { return std::string(HealthModeName(c.health.enabled)); }, "auto"},
      {"[health]\nhealth log retention = 1d", "",
       [](const Config& c) { return Cat(c.health.health_log_history_s); }, "86400"},
      {"[registry]\nnetdata unique id file = /x/id", "",
       [](const Config& c) { return c.registry.unique_id_file; }, "/x/id"},
      {"[directories]\nlib = /v", "", [](const Config& c) { return c.registry.unique_id_file; },
       "/v/registry/netdata.public.unique.id"},
      {"[ndrelay]\nio threads = 4", "", [](const Config& c) { return Cat(c.limits.io_threads); },
       "4"},
      {"[ndrelay]\nmax line bytes = 64KiB", "",
       [](const Config& c) { return Cat(c.limits.max_line_bytes); }, "65536"},
      {"[ndrelay]\nsniff timeout ms = 2s", "",
       [](const Config& c) { return Cat(c.limits.sniff_timeout_ms); }, "2000"},
      {"[ndrelay]\nreceive idle timeout seconds = 5m", "",
       [](const Config& c) { return Cat(c.limits.receive_idle_timeout_s); }, "300"},
      {"[ndrelay]\nmax words per line = 20\nmax connections = 10\nmax handshake bytes = 2048\n"
       "max http request bytes = 4096\nmax compressed block bytes = 16255\n"
       "handshake timeout seconds = 3",
       "",
       [&](const Config& c) {
         return Cat(c.limits.max_words_per_line, " ", c.limits.max_connections, " ",
                    c.limits.max_handshake_bytes, " ", c.limits.max_http_request_bytes, " ",
                    c.limits.max_compressed_block_bytes, " ", c.limits.handshake_timeout_s);
       },
       "20 10 2048 4096 16255 3"},
      // stream.conf [stream]
      {"", "[stream]\ntimeout = 5m", [](const Config& c) { return Cat(c.stream.timeout_s); },
       "300"},
      {"", "[stream]\nbuffer size = 20MiB",
       [](const Config& c) { return Cat(c.stream.buffer_size_bytes); }, "20971520"},
      {"", "[stream]\nbuffer size bytes = 1048576",
       [](const Config& c) { return Cat(c.stream.buffer_size_bytes); }, "1048576"},
      {"", "[stream]\nreconnect delay = 15s",
       [](const Config& c) { return Cat(c.stream.reconnect_delay_s); }, "15"},
      {"", "[stream]\ndefault port = 20000\ndestination = p1 p2:1",
       [](const Config& c) {
         return Cat(c.stream.destinations[0].port, " ", c.stream.destinations[1].port);
       },
       "20000 1"},
      {"", "[stream]\nCApath = /ca/\nCAfile = /ca/x.pem\nssl skip certificate verification = no",
       [](const Config& c) {
         return Cat(c.stream.ca_path, " ", c.stream.ca_file, " ",
                    static_cast<int>(c.stream.ssl_skip_certificate_verification));
       },
       "/ca/ /ca/x.pem 0"},
      {"", "[stream]\nparent using h2o = yes\ninitial clock resync iterations = 0",
       [](const Config& c) {
         return Cat(static_cast<int>(c.stream.parent_using_h2o), " ",
                    c.stream.initial_clock_resync_iterations);
       },
       "1 0"},
      {"", "[stream]\ncompression algorithms order = lz4",
       [](const Config& c) { return c.stream.compression_algorithms_order[0]; }, "lz4"},
  };
  for (const Row& r : rows) {
    absl::StatusOr<Config> c = Parse(r.netdata, r.stream);
    ASSERT_TRUE(c.ok()) << r.netdata << "|" << r.stream << ": " << c.status();
    EXPECT_EQ(r.get(*c), r.want) << r.netdata << "|" << r.stream;
    for (const std::string& w : c->warnings) {
      EXPECT_THAT(w, ::testing::Not(HasSubstr("unknown setting"))) << r.netdata << r.stream;
    }
  }
}

// Per-child names, 1.37 and NEW, as API key ("default X") and as machine GUID ("X").
TEST(ConfigTest, ChildNamesAndAliases) {
  struct Row {
    const char* key_lines;
    const char* guid_lines;
    std::function<std::string(const ReceiverSettings&)> get;
    const char* want;
  };
  auto mm = [](const ReceiverSettings& r) { return std::string(MemoryModeName(r.memory_mode)); };
  const Row rows[] = {
      {"default memory mode = none", "", mm, "none"},
      {"db = dbengine", "", mm, "dbengine"},
      {"", "memory mode = dbengine", mm, "dbengine"},
      {"", "db = none", mm, "none"},
      {"db = none", "db = dbengine", mm, "dbengine"},
      {"default history = 100", "", [](auto& r) { return Cat(r.history_s); }, "100"},
      {"retention = 2h", "", [](auto& r) { return Cat(r.history_s); }, "7200"},
      {"", "history = 50", [](auto& r) { return Cat(r.history_s); }, "50"},
      {"health enabled by default = yes", "",
       [](auto& r) { return std::string(HealthModeName(r.health)); }, "yes"},
      {"health enabled = no", "", [](auto& r) { return std::string(HealthModeName(r.health)); },
       "no"},
      {"", "health enabled = yes", [](auto& r) { return std::string(HealthModeName(r.health)); },
       "yes"},
      {"default postpone alarms on connect seconds = 10", "",
       [](auto& r) { return Cat(r.postpone_alarms_on_connect_s); }, "10"},
      {"postpone alerts on connect = 2m", "",
       [](auto& r) { return Cat(r.postpone_alarms_on_connect_s); }, "120"},
      {"", "postpone alarms on connect seconds = 7",
       [](auto& r) { return Cat(r.postpone_alarms_on_connect_s); }, "7"},
      {"default health log history = 100", "", [](auto& r) { return Cat(r.health_log_history_s); },
       "100"},
      {"", "health log history = 200", [](auto& r) { return Cat(r.health_log_history_s); }, "200"},
      {"default proxy enabled = yes\ndefault proxy destination = up:1\n"
       "default proxy api key = k\ndefault proxy send charts matching = a*",
       "",
       [](auto& r) {
         return Cat(static_cast<int>(r.proxy_enabled), " ", r.proxy_destination, " ",
                    r.proxy_api_key, " ", r.proxy_send_charts_matching);
       },
       "1 up:1 k a*"},
      {"proxy enabled = yes\nproxy destination = up:2", "",
       [](auto& r) { return Cat(static_cast<int>(r.proxy_enabled), " ", r.proxy_destination); },
       "1 up:2"},
      {"", "proxy enabled = yes\nproxy destination = up:3\nproxy send charts matching = b*",
       [](auto& r) {
         return Cat(static_cast<int>(r.proxy_enabled), " ", r.proxy_destination, " ",
                    r.proxy_send_charts_matching);
       },
       "1 up:3 b*"},
      {"enable compression = no", "",
       [](auto& r) { return Cat(static_cast<int>(r.enable_compression)); }, "0"},
      {"compression algorithms order = gzip", "",
       [](auto& r) { return r.compression_algorithms_order[0]; }, "gzip"},
      {"enable replication = no", "",
       [](auto& r) { return Cat(static_cast<int>(r.enable_replication)); }, "0"},
      {"seconds to replicate = 10", "", [](auto& r) { return Cat(r.seconds_to_replicate); }, "10"},
      {"", "replication period = 1h", [](auto& r) { return Cat(r.seconds_to_replicate); }, "3600"},
      {"seconds per replication step = 60", "", [](auto& r) { return Cat(r.replication_step_s); },
       "60"},
      {"", "replication step = 10m", [](auto& r) { return Cat(r.replication_step_s); }, "600"},
      {"is ephemeral node = yes", "", [](auto& r) { return Cat(static_cast<int>(r.is_ephemeral)); },
       "1"},
      {"", "update every = 2", [](auto& r) { return Cat(r.update_every); }, "2"},
      {"update every = 2", "", [](auto& r) { return Cat(r.update_every); }, "0"},  // GUID only
  };
  for (const Row& row : rows) {
    const std::string stream =
        Cat("[", kKey, "]\n", row.key_lines, "\n[", kGuid, "]\n", row.guid_lines, "\n");
    absl::StatusOr<Config> c = Parse("", stream);
    ASSERT_TRUE(c.ok()) << stream << ": " << c.status();
    EXPECT_EQ(row.get(c->ResolveChild(kKey, kGuid)), row.want) << stream;
  }
}

TEST(ConfigTest, ChildDefaultsFollowTheRestOfTheConfiguration) {
  // Nothing explicit: ram and auto (settings.md).
  Config plain = MustParse("", "");
  EXPECT_EQ(plain.ResolveChild(kKey, kGuid).memory_mode, MemoryMode::kRam);
  EXPECT_EQ(plain.ResolveChild(kKey, kGuid).health, HealthMode::kAuto);
  // Explicit netdata.conf values are inherited, as Netdata 1.37 does.
  Config c = MustParse(
      "[db]\nmode = none\nretention = 600\nenable replication = no\nseconds to replicate = 60\n"
      "seconds per replication step = 10\n[health]\nenabled = no\nhealth log history = 99\n",
      "[stream]\nenable compression = no\ncompression algorithms order = brotli\n");
  const ReceiverSettings r = c.ResolveChild(kKey, kGuid);
  EXPECT_EQ(r.memory_mode, MemoryMode::kNone);
  EXPECT_EQ(r.history_s, 600);
  EXPECT_EQ(r.health, HealthMode::kNo);
  EXPECT_EQ(r.health_log_history_s, 99);
  EXPECT_FALSE(r.enable_replication);
  EXPECT_EQ(r.seconds_to_replicate, 60);
  EXPECT_EQ(r.replication_step_s, 10);
  EXPECT_FALSE(r.enable_compression);
  EXPECT_EQ(r.compression_algorithms_order[0], "brotli");
}

// 1.37: (GUID, else key, else global) AND global. NEW: the most specific alone.
TEST(ConfigTest, CompressionAllowedTable) {
  struct {
    const char* global;  // "" = not set (yes)
    const char* key;
    const char* guid;
    bool old_allowed;
    bool most_specific;
  } cases[] = {
      {"", "", "", true, true},           {"no", "", "", false, false},
      {"no", "yes", "", false, true},     {"no", "", "yes", false, true},
      {"yes", "no", "", false, false},    {"yes", "no", "yes", true, true},
      {"yes", "yes", "no", false, false}, {"", "no", "", false, false},
      {"no", "no", "yes", false, true},
  };
  for (const auto& c : cases) {
    std::string s = "[stream]\n";
    if (*c.global) {
      s += Cat("enable compression = ", c.global, "\n");
    }
    s += Cat("[", kKey, "]\n");
    if (*c.key) {
      s += Cat("enable compression = ", c.key, "\n");
    }
    s += Cat("[", kGuid, "]\n");
    if (*c.guid) {
      s += Cat("enable compression = ", c.guid, "\n");
    }
    Config cfg = MustParse("", s);
    EXPECT_EQ(cfg.CompressionAllowed(kKey, kGuid), c.old_allowed) << s;
    EXPECT_EQ(cfg.ResolveChild(kKey, kGuid).enable_compression, c.most_specific) << s;
  }
}

TEST(ConfigTest, AccessRules) {
  Config c = MustParse("", Cat("[", kKey, "]\n  enabled = yes\n[", kGuid,
                               "]\n  type = api\n  enabled = no\n  allow from =\n"));
  const AccessRule missing_key = c.ApiKeyAccess(kKey2);
  EXPECT_FALSE(missing_key.section_present);
  EXPECT_EQ(missing_key.type, "api");
  EXPECT_FALSE(missing_key.enabled);
  EXPECT_EQ(missing_key.allow_from.source(), "*");
  const AccessRule missing_guid = c.MachineGuidAccess(kGuid2);
  EXPECT_FALSE(missing_guid.section_present);
  EXPECT_EQ(missing_guid.type, "machine");
  EXPECT_TRUE(missing_guid.enabled);
  EXPECT_TRUE(missing_guid.allow_from.Matches("1.1.1.1"));
  const AccessRule key = c.ApiKeyAccess(kKey);
  EXPECT_TRUE(key.section_present);
  EXPECT_TRUE(key.enabled);
  EXPECT_EQ(key.type, "api");
  // The same section used as a GUID: enabled defaults to yes there.
  EXPECT_TRUE(c.MachineGuidAccess(kKey).enabled);
  EXPECT_EQ(c.MachineGuidAccess(kKey).type, "machine");
  const AccessRule guid = c.MachineGuidAccess(kGuid);
  EXPECT_EQ(guid.type, "api");  // wrong type: the caller denies
  EXPECT_FALSE(guid.enabled);
  EXPECT_TRUE(guid.allow_from.empty());  // empty list: the check is skipped
  // Section names match exactly.
  EXPECT_FALSE(c.ApiKeyAccess("11111111-2222-3333-4444-55555555555A").section_present);
}

TEST(ConfigTest, StreamEnabledWithoutDestinationIsDisabled) {
  Config c = MustParse("", "[stream]\nenabled = yes\n");
  EXPECT_FALSE(c.stream.enabled);
  ASSERT_EQ(c.warnings.size(), 1u);
  EXPECT_THAT(c.warnings[0], HasSubstr("stream.conf:2: [stream] enabled = yes needs"));
}

TEST(ConfigTest, StreamWarnings) {
  Config c = MustParse("", "[stream]\nenabled = yes\ndestination = a b:SSL udp:c\napi key = k\n");
  EXPECT_TRUE(c.stream.enabled);
  EXPECT_THAT(Joined(c.warnings), HasSubstr("'udp:c': udp is not supported"));
  EXPECT_THAT(Joined(c.warnings), HasSubstr("destination 'a': Netdata 1.37 would apply ':SSL'"));
  EXPECT_THAT(Joined(c.warnings), HasSubstr("api key 'k' is not a UUID"));
}

TEST(ConfigTest, ValueErrorsInChildSections) {
  struct {
    const char* line;
    const char* message_part;
  } cases[] = {
      {"enabled = perhaps", "enabled: expected yes or no, got 'perhaps'"},
      {"default history = 1", "default history: out of range (5..315360000 s), got '1'"},
      {"health enabled by default = sometimes", "expected yes, no or auto"},
      {"default proxy destination = :1", "no host in ':1'"},
      {"seconds per replication step = 0", "out of range"},
      {"db = floppy", "db: expected none, ram or dbengine, got 'floppy'"},
  };
  for (const auto& c : cases) {
    absl::StatusOr<Config> cfg = Parse("", Cat("[", kKey, "]\n", c.line, "\n"));
    ASSERT_FALSE(cfg.ok()) << c.line;
    const std::string msg(cfg.status().message());
    EXPECT_THAT(msg, HasSubstr(Cat("stream.conf:2: [", kKey, "] ")));
    EXPECT_THAT(msg, HasSubstr(c.message_part));
    EXPECT_EQ(msg.find('\n'), std::string::npos) << "reported once: " << msg;
  }
}

TEST(ConfigTest, AliasConflictsWarnOnlyWhenValuesDiffer) {
  Config same = MustParse("[global]\nhistory = 3600\n[db]\nretention = 3600\n", "");
  EXPECT_TRUE(same.warnings.empty()) << Joined(same.warnings);
  Config differ = MustParse("[global]\nhistory = 100\n[db]\nretention = 200\n", "");
  EXPECT_EQ(differ.global.history_s, 200);  // written last
  ASSERT_EQ(differ.warnings.size(), 1u);
  EXPECT_EQ(differ.warnings[0],
            "netdata.conf:4: 'retention' in [db] overrides 'history' in [global] at line 2");
}

TEST(ConfigTest, DescribeListsEverySettingWithItsOrigin) {
  Config c = MustParse("[web]\n  default port = 8080\n",
                       Cat("[", kKey, "]\n  enabled = yes\n  allow from = 10.*\n"));
  const std::vector<Config::Origin> all = c.Describe();
  auto find = [&](const std::string& section, const std::string& name) -> const Config::Origin* {
    for (const Config::Origin& o : all) {
      if (o.file_section == section && o.name == name) {
        return &o;
      }
    }
    return nullptr;
  };
  const Config::Origin* port = find("netdata.conf [web]", "default port");
  ASSERT_NE(port, nullptr);
  EXPECT_EQ(port->value, "8080");
  EXPECT_EQ(port->source, "netdata.conf:2");
  const Config::Origin* history = find("netdata.conf [global]", "history");
  ASSERT_NE(history, nullptr);
  EXPECT_EQ(history->value, "3600");
  EXPECT_EQ(history->source, "default");
  const Config::Origin* allow = find(Cat("stream.conf [", kKey, "]"), "allow from");
  ASSERT_NE(allow, nullptr);
  EXPECT_EQ(allow->value, "10.*");
  EXPECT_EQ(allow->source, "stream.conf:3");
  for (const char* name : {"memory mode", "bind to", "page cache size", "enabled", "max line bytes",
                           "send charts matching", "compression algorithms order", "error"}) {
    bool found = false;
    for (const Config::Origin& o : all) {
      found = found || o.name == name;
    }
    EXPECT_TRUE(found) << name;
  }
}

class LoadConfigDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/ndrelay_conf_test_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void Write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ + "/" + name) << text;
  }
  std::string dir_;
};

TEST_F(LoadConfigDirTest, BothFiles) {
  Write("netdata.conf", "[global]\nhostname = h1\n");
  Write("stream.conf", Cat("[", kKey, "]\nenabled = yes\ndefault memory mode = floppy\n"));
  absl::StatusOr<Config> c = LoadConfigDir(dir_);
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(std::string(c.status().message()), HasSubstr(dir_ + "/stream.conf:3:"));
  EXPECT_THAT(std::string(c.status().message()), HasSubstr("'floppy'"));
  Write("stream.conf", Cat("[", kKey, "]\nenabled = yes\n"));
  c = LoadConfigDir(dir_);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->global.hostname, "h1");
  EXPECT_TRUE(c->ApiKeyAccess(kKey).enabled);
  EXPECT_EQ(c->directories.config, dir_);
  EXPECT_TRUE(c->warnings.empty()) << Joined(c->warnings);
}

TEST_F(LoadConfigDirTest, MissingFilesAreDefaults) {
  absl::StatusOr<Config> c = LoadConfigDir(dir_);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_THAT(c->warnings,
              ::testing::ElementsAre(dir_ + "/netdata.conf: not found; using defaults",
                                     dir_ + "/stream.conf: not found; using defaults"));
  EXPECT_EQ(c->web.default_port, 19999);
}

TEST_F(LoadConfigDirTest, Errors) {
  EXPECT_FALSE(LoadConfigDir(dir_ + "/nope").ok());
  std::filesystem::create_directory(dir_ + "/netdata.conf");
  absl::StatusOr<Config> c = LoadConfigDir(dir_);
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(std::string(c.status().message()), HasSubstr("not a regular file"));
}

}  // namespace
}  // namespace ndrelay::conf
