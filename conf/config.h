#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "conf/bind_to.h"
#include "conf/destination.h"
#include "conf/simple_pattern.h"

namespace ndrelay::conf {

// The typed configuration of ndrelay, read from Netdata's own netdata.conf and stream.conf
// (/work/shared/spec/settings.md). Both 1.37 names and the newer aliases (spec §10.1, §12.9) are
// accepted; time settings accept durations (`60`, `60s`, `10m`, `1h`, `1d`) under every name.
// Unknown settings and sections only add warnings. Invalid values are errors.

enum class MemoryMode : uint8_t { kNone, kRam, kDbengine };
// "none", "ram", "dbengine".
std::string_view MemoryModeName(MemoryMode mode);

enum class HealthMode : uint8_t { kAuto, kYes, kNo };
// "auto", "yes", "no".
std::string_view HealthModeName(HealthMode mode);

enum class WebMode : uint8_t { kStaticThreaded, kNone };

// Default [web]/[stream] port (spec §1.1).
inline constexpr uint16_t kDefaultPort = 19999;

// netdata.conf [global] (and the [db] aliases of its first three settings).
struct GlobalSettings {
  std::string hostname;                            // default: gethostname()
  int update_every_s = 1;                          // [global] update every | [db] update every
  MemoryMode memory_mode = MemoryMode::kDbengine;  // [global] memory mode | [db] mode
  int64_t history_s = 3600;                        // [global] history | [db] retention
  std::string pid_file;                            // [global] pid file; "" = none
  bool is_ephemeral_node = false;                  // [global] is ephemeral node (NEW)
};

// netdata.conf [web].
struct WebSettings {
  WebMode mode = WebMode::kStaticThreaded;  // "static-threaded" | "none"
  std::string bind_to_text = "*";
  std::vector<BindTo> bind_to;  // parsed with default_port
  uint16_t default_port = kDefaultPort;
  std::string ssl_key;              // PEM path; "" = unset
  std::string ssl_certificate;      // PEM path; "" = unset
  std::string tls_version = "1.3";  // OLD: maximum TLS version (1.0 .. 1.3)
  SimplePattern allow_connections_from = SimplePattern::Parse("*");
  SimplePattern allow_streaming_from = SimplePattern::Parse("*");
  std::string allow_connections_by_dns = "heuristic";  // yes | no | heuristic
  std::string allow_streaming_by_dns = "heuristic";    // yes | no | heuristic
  int64_t accept_streaming_request_every_s = 0;        // 0 = no rate limit
};

// netdata.conf [db] (the global defaults for receivers included).
struct DbSettings {
  int64_t page_cache_size_mib = 32;
  int64_t dbengine_multihost_disk_space_mib = 256;
  int64_t cleanup_ephemeral_hosts_after_s = 0;  // 0 = never
  int64_t cleanup_orphan_hosts_after_s = 3600;
  bool enable_replication = true;
  int64_t seconds_to_replicate = 86400;
  int64_t replication_step_s = 600;
};

// netdata.conf [health].
struct HealthSettings {
  HealthMode enabled = HealthMode::kYes;
  int64_t health_log_history_s = 432000;
};

// netdata.conf [directories].
struct DirectorySettings {
  std::string config = "/etc/netdata";
  std::string cache = "/var/cache/netdata";
  std::string lib = "/var/lib/netdata";
  std::string log = "/var/log/netdata";
};

// netdata.conf [registry].
struct RegistrySettings {
  std::string unique_id_file;  // default: <lib>/registry/netdata.public.unique.id
};

// netdata.conf [logs] (OLD: [global] error log).
struct LogSettings {
  // Path of the error log; "" = stderr only ("none", "off", "stderr" in the file). A relative
  // path is taken relative to [directories] log.
  std::string error_log;
};

// stream.conf [stream]: this node as a sender (child or proxy).
struct StreamSettings {
  // Forced to false (with a warning) when destination or api key is missing, as Netdata does.
  bool enabled = false;
  std::string destination_text;
  std::vector<Destination> destinations;  // parsed with default_port
  bool ssl_skip_certificate_verification = true;
  std::string ca_path = "/etc/ssl/certs/";
  std::string ca_file = "/etc/ssl/certs/cert.pem";
  std::string api_key;
  int64_t timeout_s = 60;
  uint16_t default_port = kDefaultPort;
  SimplePattern send_charts_matching = SimplePattern::Parse("*");
  int64_t buffer_size_bytes = 10485760;
  int64_t reconnect_delay_s = 5;
  int64_t initial_clock_resync_iterations = 60;
  bool parent_using_h2o = false;
  bool enable_compression = true;
  std::vector<std::string> compression_algorithms_order;  // default zstd lz4 brotli gzip
};

// netdata.conf [ndrelay]: our own limits. Every hard limit of the daemon lives here.
struct LimitSettings {
  int io_threads = 0;  // 0 = number of cores
  int64_t max_handshake_bytes = 16384;
  int64_t handshake_timeout_s = 10;
  int64_t sniff_timeout_ms = 5000;
  int64_t max_http_request_bytes = 16384;
  int64_t max_line_bytes = 15360;
  int64_t max_words_per_line = 30;
  int64_t max_compressed_block_bytes = 16384;
  int64_t max_connections = 4096;
  int64_t receive_idle_timeout_s = 600;
};

// Resolved for one child: GUID section > API key section > defaults.
struct ReceiverSettings {
  MemoryMode memory_mode = MemoryMode::kRam;
  int64_t history_s = 3600;
  HealthMode health = HealthMode::kAuto;
  int64_t postpone_alarms_on_connect_s = 60;
  int64_t health_log_history_s = 432000;
  bool proxy_enabled = false;
  std::string proxy_destination;
  std::string proxy_api_key;
  std::string proxy_send_charts_matching = "*";
  // The most specific `enable compression` (GUID, else key, else [stream]); this is NEW's rule.
  // Config::CompressionAllowed() gives 1.37's (this AND [stream] enable compression).
  bool enable_compression = true;
  std::vector<std::string> compression_algorithms_order;  // NEW; default zstd lz4 brotli gzip
  bool enable_replication = true;
  int64_t seconds_to_replicate = 86400;
  int64_t replication_step_s = 600;
  bool is_ephemeral = false;
  int update_every = 0;  // 0 = the child's own
};

struct AccessRule {
  bool section_present = false;
  std::string type;
  bool enabled = false;
  SimplePattern allow_from;  // empty = the check is skipped (spec §14.4)
};

// What one stream.conf section (other than [stream]) sets, before resolution. Internal to
// Config but visible so that tests and --check-config can inspect it.
struct ChildOverrides {
  std::optional<MemoryMode> memory_mode;
  std::optional<int64_t> history_s;
  std::optional<HealthMode> health;
  std::optional<int64_t> postpone_alarms_on_connect_s;
  std::optional<int64_t> health_log_history_s;
  std::optional<bool> proxy_enabled;
  std::optional<std::string> proxy_destination;
  std::optional<std::string> proxy_api_key;
  std::optional<std::string> proxy_send_charts_matching;
  std::optional<bool> enable_compression;
  std::optional<std::vector<std::string>> compression_algorithms_order;
  std::optional<bool> enable_replication;
  std::optional<int64_t> seconds_to_replicate;
  std::optional<int64_t> replication_step_s;
  std::optional<bool> is_ephemeral;
  std::optional<int> update_every;
};

struct ChildSection {
  std::optional<std::string> type;
  std::optional<bool> enabled;
  std::optional<SimplePattern> allow_from;
  ChildOverrides as_api_key;       // "default X" names (+ NEW names)
  ChildOverrides as_machine_guid;  // "X" names (+ NEW names)
};

class Config {
 public:
  GlobalSettings global;
  WebSettings web;
  DbSettings db;
  HealthSettings health;
  DirectorySettings directories;
  RegistrySettings registry;
  LogSettings logs;
  StreamSettings stream;  // [stream] of stream.conf (this node as a sender), destinations parsed
  LimitSettings limits;   // [ndrelay]

  // [KEY] section: type default "api", enabled default NO, allow from default "*".
  AccessRule ApiKeyAccess(std::string_view key) const;
  // [GUID] section: type default "machine", enabled default YES, allow from default "*".
  AccessRule MachineGuidAccess(std::string_view guid) const;

  // 1.37 rule: (GUID's `enable compression`, else the key's, else [stream]'s) AND [stream]
  // enable compression.
  bool CompressionAllowed(std::string_view api_key, std::string_view machine_guid) const;

  // Defaults, then the [api_key] section ("default X" names), then the [machine_guid] section
  // ("X" names); NEW names count in both. Defaults come from the rest of the configuration where
  // Netdata 1.37 takes them from there: proxy settings from [stream], compression from [stream],
  // replication from [db], history from [global]/[db], health log history from [health]; memory
  // mode is `ram` and health `auto` unless netdata.conf sets them explicitly, in which case the
  // explicit value is inherited (as 1.37 does).
  ReceiverSettings ResolveChild(std::string_view api_key, std::string_view machine_guid) const;

  // The parsed non-[stream] sections of stream.conf, by exact name.
  const std::map<std::string, ChildSection, std::less<>>& child_sections() const {
    return child_sections_;
  }

  std::vector<std::string> warnings;

  // For --check-config: every effective setting with where it came from.
  struct Origin {
    std::string file_section;  // e.g. "netdata.conf [web]"
    std::string name;          // the canonical (1.37) name
    std::string value;         // effective value, as text
    std::string source;        // "netdata.conf:12" or "default"
  };
  std::vector<Origin> Describe() const { return origins_; }

 private:
  // The access rule of a stream.conf section, with the defaults of its role.
  AccessRule Access(std::string_view section, std::string_view default_type,
                    bool default_enabled) const;
  friend class ConfigBuilder;

  std::map<std::string, ChildSection, std::less<>> child_sections_;
  std::vector<Origin> origins_;
  // Set when netdata.conf names these explicitly (see ResolveChild).
  bool memory_mode_explicit_ = false;
  bool health_explicit_ = false;
};

// Reads DIR/netdata.conf and DIR/stream.conf (a missing file = all defaults, noted in warnings).
// Fails if DIR is not a directory, a file cannot be read, or is larger than 4 MiB.
absl::StatusOr<Config> LoadConfigDir(const std::string& dir);

// Errors: InvalidArgumentError with one `<file>:<line>: <what> '<offending text>'` per problem,
// all of them, newline separated.
absl::StatusOr<Config> ParseConfig(std::string_view netdata_conf, std::string_view netdata_name,
                                   std::string_view stream_conf, std::string_view stream_name);

}  // namespace ndrelay::conf
