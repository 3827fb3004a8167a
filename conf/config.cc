#include "conf/config.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <initializer_list>
#include <set>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_join.h"
#include "conf/ini.h"
#include "conf/strings.h"
#include "conf/uuid.h"
#include "conf/value_parse.h"

namespace ndrelay::conf {

namespace {

// Larger configuration files are refused rather than read into memory.
constexpr int64_t kMaxConfigFileBytes = int64_t{4} << 20;

// Buffer for gethostname(); HOST_NAME_MAX is 64 on Linux.
constexpr size_t kHostnameBufferBytes = 256;
constexpr int64_t kTenYearsS = int64_t{10} * 365 * 86400;
constexpr int64_t kOneWeekS = int64_t{7} * 86400;
constexpr int64_t kMiB = int64_t{1} << 20;

constexpr std::string_view kStreamSection = "stream";
// Placeholder sections of Netdata's stock stream.conf: never UUIDs, never used by a child.
constexpr std::string_view kStockKeySection = "API_KEY";
constexpr std::string_view kStockGuidSection = "MACHINE_GUID";

std::string DefaultHostname() {
  char buf[kHostnameBufferBytes] = {};
  if (gethostname(buf, sizeof(buf) - 1) != 0 || buf[0] == '\0') {
    return "localhost";
  }
  return std::string(buf);
}

std::string_view Basename(std::string_view path) {
  const size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

std::string YesNo(bool b) { return b ? "yes" : "no"; }

absl::StatusOr<MemoryMode> ParseMemoryMode(std::string_view text, bool* legacy) {
  const std::string v = AsciiLower(text);
  *legacy = false;
  if (v == "none") {
    return MemoryMode::kNone;
  }
  if (v == "ram") {
    return MemoryMode::kRam;
  }
  if (v == "dbengine") {
    return MemoryMode::kDbengine;
  }
  if (v == "save" || v == "map" || v == "alloc") {
    *legacy = true;
    return MemoryMode::kRam;
  }
  return absl::InvalidArgumentError("expected none, ram or dbengine");
}

HealthMode ToHealth(Tristate t) {
  switch (t) {
    case Tristate::kYes:
      return HealthMode::kYes;
    case Tristate::kNo:
      return HealthMode::kNo;
    case Tristate::kAuto:
      break;
  }
  return HealthMode::kAuto;
}

// Values meaning "no file" for paths such as `pid file` and `[logs] error`.
bool IsNoneValue(std::string_view v) {
  const std::string l = AsciiLower(v);
  return l.empty() || l == "none" || l == "off" || l == "stderr";
}

struct Key {
  std::string_view section;
  std::string_view name;
};

}  // namespace

std::string_view MemoryModeName(MemoryMode mode) {
  switch (mode) {
    case MemoryMode::kNone:
      return "none";
    case MemoryMode::kRam:
      return "ram";
    case MemoryMode::kDbengine:
      return "dbengine";
  }
  return "ram";
}

std::string_view HealthModeName(HealthMode mode) {
  switch (mode) {
    case HealthMode::kAuto:
      return "auto";
    case HealthMode::kYes:
      return "yes";
    case HealthMode::kNo:
      return "no";
  }
  return "auto";
}

// Reads one file's settings into a Config, collecting errors, warnings and origins.
class ConfigBuilder {
 public:
  explicit ConfigBuilder(Config* cfg) : cfg_(cfg) {}

  void ReadNetdata(IniFile* ini);
  void ReadStream(IniFile* ini);
  void AddError(std::string e) {
    if (error_set_.insert(e).second) {
      errors_.push_back(std::move(e));
    }
  }
  const std::vector<std::string>& errors() const { return errors_; }

 private:
  // The effective entry among `keys` (aliases, possibly in several sections): the one written
  // last in the file. Every alias found is marked used.
  const IniEntry* Lookup(std::initializer_list<Key> keys) {
    const IniEntry* best = nullptr;
    for (const Key& k : keys) {
      const IniEntry* e = ini_->Use(k.section, k.name);
      if (e == nullptr) {
        continue;
      }
      if (best != nullptr) {
        const IniEntry* loser = e->line > best->line ? best : e;
        const IniEntry* winner = e->line > best->line ? e : best;
        if (winner->value != loser->value) {
          Warn(Cat(Where(*winner), ": '", winner->name, "' in [", winner->section, "] overrides '",
                   loser->name, "' in [", loser->section, "] at line ", loser->line));
        }
        best = winner;
      } else {
        best = e;
      }
    }
    return best;
  }

  std::string Where(const IniEntry& e) const { return Cat(e.file, ":", e.line); }
  void Warn(std::string w) { cfg_->warnings.push_back(std::move(w)); }
  void BadValue(const IniEntry& e, std::string_view why) {
    AddError(Cat(Where(e), ": [", e.section, "] ", e.name, ": ", why, ", got '", e.value, "'"));
  }
  void Record(std::initializer_list<Key> keys, const IniEntry* e, std::string value) {
    const Key& canonical = *keys.begin();
    cfg_->origins_.push_back(Config::Origin{Cat(label_, " [", canonical.section, "]"),
                                            std::string(canonical.name), std::move(value),
                                            e == nullptr ? "default" : Where(*e)});
  }

  // Generic: parse the effective entry with `parse` (returning StatusOr<T>) into *out.
  template <typename T, typename Parse, typename Format>
  const IniEntry* Read(std::initializer_list<Key> keys, T* out, Parse parse, Format format) {
    const IniEntry* e = Lookup(keys);
    if (e != nullptr) {
      absl::StatusOr<T> v = parse(e->value);
      if (v.ok()) {
        *out = std::move(*v);
      } else {
        BadValue(*e, ToStd(v.status().message()));
      }
    }
    Record(keys, e, format(*out));
    return e;
  }

  const IniEntry* Bool(std::initializer_list<Key> keys, bool* out) {
    return Read(keys, out, ParseBool, YesNo);
  }
  const IniEntry* Int(std::initializer_list<Key> keys, int64_t min, int64_t max, int64_t* out) {
    return Read(
        keys, out, [&](std::string_view v) { return ParseInt(v, min, max); },
        [](int64_t v) { return Cat(v); });
  }
  const IniEntry* Seconds(std::initializer_list<Key> keys, int64_t min, int64_t max, int64_t* out) {
    return Read(
        keys, out, [&](std::string_view v) { return ParseDurationSeconds(v, min, max); },
        [](int64_t v) { return Cat(v); });
  }
  const IniEntry* Bytes(std::initializer_list<Key> keys, int64_t min, int64_t max, int64_t* out) {
    return Read(
        keys, out, [&](std::string_view v) { return ParseSizeBytes(v, 1, min, max); },
        [](int64_t v) { return Cat(v); });
  }
  const IniEntry* String(std::initializer_list<Key> keys, bool allow_empty, std::string* out) {
    return Read(
        keys, out,
        [&](std::string_view v) -> absl::StatusOr<std::string> {
          if (v.empty() && !allow_empty) {
            return absl::InvalidArgumentError("expected a non-empty value");
          }
          return std::string(v);
        },
        [](const std::string& v) { return v; });
  }
  const IniEntry* Pattern(std::initializer_list<Key> keys, SimplePattern* out) {
    return Read(
        keys, out,
        [](std::string_view v) -> absl::StatusOr<SimplePattern> { return SimplePattern::Parse(v); },
        [](const SimplePattern& p) { return p.source(); });
  }
  const IniEntry* Port(std::initializer_list<Key> keys, uint16_t* out) {
    return Read(
        keys, out,
        [](std::string_view v) -> absl::StatusOr<uint16_t> {
          absl::StatusOr<int64_t> p = ParseInt(v, 1, 65535);
          if (!p.ok()) {
            return p.status();
          }
          return static_cast<uint16_t>(*p);
        },
        [](uint16_t v) { return Cat(v); });
  }
  const IniEntry* Memory(std::initializer_list<Key> keys, MemoryMode* out) {
    const IniEntry* e = Lookup(keys);
    if (e != nullptr) {
      bool legacy = false;
      absl::StatusOr<MemoryMode> m = ParseMemoryMode(e->value, &legacy);
      if (m.ok()) {
        *out = *m;
        if (legacy) {
          Warn(
              Cat(Where(*e), ": memory mode '", e->value, "' is a legacy Netdata mode; using ram"));
        }
      } else {
        BadValue(*e, ToStd(m.status().message()));
      }
    }
    Record(keys, e, std::string(MemoryModeName(*out)));
    return e;
  }
  const IniEntry* Health(std::initializer_list<Key> keys, HealthMode* out) {
    return Read(
        keys, out,
        [](std::string_view v) -> absl::StatusOr<HealthMode> {
          absl::StatusOr<Tristate> t = ParseTristate(v);
          if (!t.ok()) {
            return t.status();
          }
          return ToHealth(*t);
        },
        [](HealthMode h) { return std::string(HealthModeName(h)); });
  }

  // Optional variants for stream.conf child sections: no origin recorded here.
  template <typename T, typename Parse>
  void Opt(std::initializer_list<Key> keys, std::optional<T>* out, Parse parse) {
    const IniEntry* e = Lookup(keys);
    if (e == nullptr) {
      return;
    }
    absl::StatusOr<T> v = parse(e->value);
    if (v.ok()) {
      *out = std::move(*v);
    } else {
      BadValue(*e, ToStd(v.status().message()));
    }
  }

  void ReadChildOverrides(std::string_view s, bool as_key, ChildOverrides* o);
  void ReadChildSection(const std::string& section);
  void ReadLimits();

  Config* cfg_;
  IniFile* ini_ = nullptr;
  std::string label_;  // basename of the file, for Origin::file_section
  std::vector<std::string> errors_;
  std::set<std::string> error_set_;
};

void ConfigBuilder::ReadNetdata(IniFile* ini) {
  ini_ = ini;
  label_ = std::string(Basename(ini->filename()));
  Config& c = *cfg_;

  String({{"directories", "config"}}, false, &c.directories.config);
  String({{"directories", "cache"}}, false, &c.directories.cache);
  String({{"directories", "lib"}}, false, &c.directories.lib);
  String({{"directories", "log"}}, false, &c.directories.log);

  c.global.hostname = DefaultHostname();
  String({{"global", "hostname"}}, false, &c.global.hostname);
  int64_t update_every = c.global.update_every_s;
  Seconds({{"global", "update every"}, {"db", "update every"}}, 1, 86400, &update_every);
  c.global.update_every_s = static_cast<int>(update_every);
  c.memory_mode_explicit_ =
      Memory({{"global", "memory mode"}, {"db", "mode"}}, &c.global.memory_mode) != nullptr;
  Seconds({{"global", "history"}, {"db", "retention"}}, 5, kTenYearsS, &c.global.history_s);
  String({{"global", "pid file"}}, true, &c.global.pid_file);
  if (IsNoneValue(c.global.pid_file)) {
    c.global.pid_file.clear();
  }
  Bool({{"global", "is ephemeral node"}}, &c.global.is_ephemeral_node);

  if (const IniEntry* e =
          String({{"logs", "error"}, {"global", "error log"}}, true, &c.logs.error_log)) {
    const std::string l = AsciiLower(c.logs.error_log);
    if (l == "syslog" || l == "system" || l == "journal") {
      Warn(Cat(Where(*e), ": error log '", e->value,
               "' is not supported by ndrelay; logging to stderr"));
      c.logs.error_log.clear();
    }
  }
  if (IsNoneValue(c.logs.error_log)) {
    c.logs.error_log.clear();
  } else if (c.logs.error_log.front() != '/') {
    c.logs.error_log = Cat(c.directories.log, "/", c.logs.error_log);
  }

  // [web]
  Read(
      {{"web", "mode"}}, &c.web.mode,
      [](std::string_view v) -> absl::StatusOr<WebMode> {
        if (v == "none") {
          return WebMode::kNone;
        }
        if (v == "static-threaded" || v == "single-threaded" || v == "multi-threaded") {
          return WebMode::kStaticThreaded;
        }
        return absl::InvalidArgumentError("expected static-threaded or none");
      },
      [](WebMode m) { return std::string(m == WebMode::kNone ? "none" : "static-threaded"); });
  Port({{"web", "default port"}}, &c.web.default_port);
  if (const IniEntry* e = String({{"web", "bind to"}}, true, &c.web.bind_to_text)) {
    std::vector<std::string> w;
    absl::StatusOr<std::vector<BindTo>> b = ParseBindTo(e->value, c.web.default_port, &w);
    if (!b.ok()) {
      AddError(Cat(Where(*e), ": ", b.status().message()));
    } else {
      c.web.bind_to = std::move(*b);
    }
    for (std::string& s : w) {
      Warn(Cat(Where(*e), ": ", s));
    }
    if (b.ok() && c.web.bind_to.empty() && c.web.mode != WebMode::kNone) {
      Warn(Cat(Where(*e), ": [web] bind to has no usable listener"));
    }
  } else {
    c.web.bind_to = *ParseBindTo(c.web.bind_to_text, c.web.default_port);
  }
  String({{"web", "ssl key"}}, true, &c.web.ssl_key);
  String({{"web", "ssl certificate"}}, true, &c.web.ssl_certificate);
  if (c.web.ssl_key.empty() != c.web.ssl_certificate.empty()) {
    Warn(Cat(ini_->filename(),
             ": [web] ssl key and ssl certificate must be set together; TLS stays off"));
  }
  Read(
      {{"web", "tls version"}}, &c.web.tls_version,
      [](std::string_view v) -> absl::StatusOr<std::string> {
        if (v == "1.0" || v == "1.1" || v == "1.2" || v == "1.3") {
          return std::string(v);
        }
        return absl::InvalidArgumentError("expected 1.0, 1.1, 1.2 or 1.3");
      },
      [](const std::string& v) { return v; });
  Pattern({{"web", "allow connections from"}}, &c.web.allow_connections_from);
  Pattern({{"web", "allow streaming from"}}, &c.web.allow_streaming_from);
  auto dns_mode = [](std::string_view v) -> absl::StatusOr<std::string> {
    const std::string l = AsciiLower(v);
    if (l == "heuristic") {
      return l;
    }
    absl::StatusOr<bool> b = ParseBool(l);
    if (!b.ok()) {
      return absl::InvalidArgumentError("expected yes, no or heuristic");
    }
    return std::string(*b ? "yes" : "no");
  };
  auto same = [](const std::string& v) { return v; };
  Read({{"web", "allow connections by dns"}}, &c.web.allow_connections_by_dns, dns_mode, same);
  Read({{"web", "allow streaming by dns"}}, &c.web.allow_streaming_by_dns, dns_mode, same);
  Seconds({{"web", "accept a streaming request every seconds"},
           {"web", "accept a streaming request every"}},
          0, 86400, &c.web.accept_streaming_request_every_s);

  // [db]
  auto mib = [&](std::initializer_list<Key> keys, int64_t* out) {
    Read(
        keys, out,
        [](std::string_view v) -> absl::StatusOr<int64_t> {
          absl::StatusOr<int64_t> b = ParseSizeBytes(v, kMiB, kMiB, kMiB << 20);
          if (!b.ok()) {
            return b.status();
          }
          return *b / kMiB;
        },
        [](int64_t v) { return Cat(v); });
  };
  mib({{"db", "page cache size"},
       {"db", "dbengine page cache size MB"},
       {"db", "dbengine page cache size"},
       {"global", "page cache size"}},
      &c.db.page_cache_size_mib);
  mib({{"db", "dbengine multihost disk space"},
       {"db", "dbengine multihost disk space MB"},
       {"global", "dbengine multihost disk space"}},
      &c.db.dbengine_multihost_disk_space_mib);
  Seconds({{"db", "cleanup ephemeral hosts after secs"}, {"db", "cleanup ephemeral hosts after"}},
          0, kTenYearsS, &c.db.cleanup_ephemeral_hosts_after_s);
  Seconds({{"db", "cleanup orphan hosts after secs"}, {"db", "cleanup orphan hosts after"}}, 0,
          kTenYearsS, &c.db.cleanup_orphan_hosts_after_s);
  Bool({{"db", "enable replication"}}, &c.db.enable_replication);
  Seconds({{"db", "seconds to replicate"}, {"db", "replication period"}}, 0, kTenYearsS,
          &c.db.seconds_to_replicate);
  Seconds({{"db", "seconds per replication step"}, {"db", "replication step"}}, 1, kTenYearsS,
          &c.db.replication_step_s);

  // [health]
  c.health_explicit_ = Health({{"health", "enabled"}}, &c.health.enabled) != nullptr;
  Seconds({{"health", "health log history"}, {"health", "health log retention"}}, 0, kTenYearsS,
          &c.health.health_log_history_s);

  // [registry]
  c.registry.unique_id_file = Cat(c.directories.lib, "/registry/netdata.public.unique.id");
  String({{"registry", "netdata unique id file"}}, false, &c.registry.unique_id_file);

  ReadLimits();
}

void ConfigBuilder::ReadLimits() {
  LimitSettings& l = cfg_->limits;
  int64_t io_threads = l.io_threads;
  Int({{"ndrelay", "io threads"}}, 0, 1024, &io_threads);
  l.io_threads = static_cast<int>(io_threads);
  Bytes({{"ndrelay", "max handshake bytes"}}, 1024, kMiB, &l.max_handshake_bytes);
  Seconds({{"ndrelay", "handshake timeout seconds"}}, 1, 3600, &l.handshake_timeout_s);
  Read(
      {{"ndrelay", "sniff timeout ms"}}, &l.sniff_timeout_ms,
      [](std::string_view v) { return ParseDurationMs(v, 1, 60000); },
      [](int64_t v) { return Cat(v); });
  Bytes({{"ndrelay", "max http request bytes"}}, 1024, kMiB, &l.max_http_request_bytes);
  Bytes({{"ndrelay", "max line bytes"}}, 1024, kMiB, &l.max_line_bytes);
  Int({{"ndrelay", "max words per line"}}, 1, 1024, &l.max_words_per_line);
  Bytes({{"ndrelay", "max compressed block bytes"}}, 1024, kMiB, &l.max_compressed_block_bytes);
  Int({{"ndrelay", "max connections"}}, 1, 1000000, &l.max_connections);
  Seconds({{"ndrelay", "receive idle timeout seconds"}}, 1, kOneWeekS, &l.receive_idle_timeout_s);
}

void ConfigBuilder::ReadStream(IniFile* ini) {
  ini_ = ini;
  label_ = std::string(Basename(ini->filename()));
  StreamSettings& s = cfg_->stream;
  const std::string_view st = kStreamSection;

  const IniEntry* enabled_entry = Bool({{st, "enabled"}}, &s.enabled);
  Port({{st, "default port"}}, &s.default_port);
  const IniEntry* dest = String({{st, "destination"}}, true, &s.destination_text);
  if (dest != nullptr) {
    absl::StatusOr<std::vector<Destination>> d = ParseDestinations(dest->value, s.default_port);
    if (!d.ok()) {
      AddError(Cat(Where(*dest), ": [stream] ", d.status().message()));
    } else {
      s.destinations = std::move(*d);
      for (const Destination& x : s.destinations) {
        if (!x.supported()) {
          Warn(Cat(Where(*dest), ": [stream] destination '", x.text,
                   "': udp is not supported by parents; it will be skipped"));
        }
        if (x.old_ssl_semantics_differ) {
          Warn(Cat(Where(*dest), ": [stream] destination '", x.text,
                   "': Netdata 1.37 would apply ':SSL' differently (it cuts the list at "
                   "the first ':SSL' and uses TLS for every entry before it)"));
        }
      }
    }
  }
  Bool({{st, "ssl skip certificate verification"}}, &s.ssl_skip_certificate_verification);
  String({{st, "CApath"}}, true, &s.ca_path);
  String({{st, "CAfile"}}, true, &s.ca_file);
  String({{st, "api key"}}, true, &s.api_key);
  Seconds({{st, "timeout seconds"}, {st, "timeout"}}, 1, 86400, &s.timeout_s);
  Pattern({{st, "send charts matching"}}, &s.send_charts_matching);
  Read(
      {{st, "buffer size bytes"}, {st, "buffer size"}}, &s.buffer_size_bytes,
      [](std::string_view v) { return ParseSizeBytes(v, 1, int64_t{64} << 10, int64_t{1} << 34); },
      [](int64_t v) { return Cat(v); });
  Seconds({{st, "reconnect delay seconds"}, {st, "reconnect delay"}}, 0, 86400,
          &s.reconnect_delay_s);
  Int({{st, "initial clock resync iterations"}}, 0, 86400, &s.initial_clock_resync_iterations);
  Bool({{st, "parent using h2o"}}, &s.parent_using_h2o);
  Bool({{st, "enable compression"}}, &s.enable_compression);
  s.compression_algorithms_order = DefaultCompressionOrder();
  if (const IniEntry* e = Lookup({{st, "compression algorithms order"}})) {
    std::vector<std::string> unknown;
    s.compression_algorithms_order = ParseCompressionOrder(e->value, &unknown);
    for (const std::string& u : unknown) {
      Warn(Cat(Where(*e), ": unknown compression algorithm '", u, "' ignored"));
    }
    Record({{st, "compression algorithms order"}}, e,
           absl::StrJoin(s.compression_algorithms_order, " "));
  } else {
    Record({{st, "compression algorithms order"}}, nullptr,
           absl::StrJoin(s.compression_algorithms_order, " "));
  }

  if (s.enabled && (s.destinations.empty() || s.api_key.empty())) {
    Warn(Cat(enabled_entry != nullptr ? Where(*enabled_entry) : label_,
             ": [stream] enabled = yes needs both a destination and an api key; "
             "streaming to a parent is disabled"));
    s.enabled = false;
  }
  if (!s.api_key.empty() && !IsUuid(s.api_key)) {
    const IniEntry* e = ini_->Find(st, "api key");
    Warn(Cat(e != nullptr ? Where(*e) : label_, ": [stream] api key '", s.api_key,
             "' is not a UUID; parents will refuse it"));
  }

  for (const std::string& section : ini->sections()) {
    if (section == kStreamSection || section.empty()) {
      continue;
    }
    ReadChildSection(section);
  }
}

void ConfigBuilder::ReadChildOverrides(std::string_view s, bool as_key, ChildOverrides* o) {
  auto memory = [&](std::string_view v) -> absl::StatusOr<MemoryMode> {
    bool legacy = false;
    return ParseMemoryMode(v, &legacy);
  };
  auto boolean = [](std::string_view v) { return ParseBool(v); };
  auto health = [](std::string_view v) -> absl::StatusOr<HealthMode> {
    absl::StatusOr<Tristate> t = ParseTristate(v);
    if (!t.ok()) {
      return t.status();
    }
    return ToHealth(*t);
  };
  auto seconds = [](int64_t min, int64_t max) {
    return [min, max](std::string_view v) { return ParseDurationSeconds(v, min, max); };
  };
  auto text = [](std::string_view v) -> absl::StatusOr<std::string> { return std::string(v); };
  const uint16_t port = cfg_->stream.default_port;
  auto destination = [port](std::string_view v) -> absl::StatusOr<std::string> {
    absl::StatusOr<std::vector<Destination>> d = ParseDestinations(v, port);
    if (!d.ok()) {
      return d.status();
    }
    return std::string(v);
  };

  if (as_key) {
    Opt({{s, "default memory mode"}, {s, "db"}}, &o->memory_mode, memory);
    Opt({{s, "default history"}, {s, "retention"}}, &o->history_s, seconds(5, kTenYearsS));
    Opt({{s, "health enabled by default"}, {s, "health enabled"}}, &o->health, health);
    Opt({{s, "default postpone alarms on connect seconds"}, {s, "postpone alerts on connect"}},
        &o->postpone_alarms_on_connect_s, seconds(0, kOneWeekS));
    Opt({{s, "default health log history"}, {s, "health log retention"}}, &o->health_log_history_s,
        seconds(0, kTenYearsS));
    Opt({{s, "default proxy enabled"}, {s, "proxy enabled"}}, &o->proxy_enabled, boolean);
    Opt({{s, "default proxy destination"}, {s, "proxy destination"}}, &o->proxy_destination,
        destination);
    Opt({{s, "default proxy api key"}, {s, "proxy api key"}}, &o->proxy_api_key, text);
    Opt({{s, "default proxy send charts matching"}, {s, "proxy send charts matching"}},
        &o->proxy_send_charts_matching, text);
  } else {
    Opt({{s, "memory mode"}, {s, "db"}}, &o->memory_mode, memory);
    Opt({{s, "history"}, {s, "retention"}}, &o->history_s, seconds(5, kTenYearsS));
    Opt({{s, "health enabled"}}, &o->health, health);
    Opt({{s, "postpone alarms on connect seconds"}, {s, "postpone alerts on connect"}},
        &o->postpone_alarms_on_connect_s, seconds(0, kOneWeekS));
    Opt({{s, "health log history"}, {s, "health log retention"}}, &o->health_log_history_s,
        seconds(0, kTenYearsS));
    Opt({{s, "proxy enabled"}}, &o->proxy_enabled, boolean);
    Opt({{s, "proxy destination"}}, &o->proxy_destination, destination);
    Opt({{s, "proxy api key"}}, &o->proxy_api_key, text);
    Opt({{s, "proxy send charts matching"}}, &o->proxy_send_charts_matching, text);
    Opt({{s, "update every"}}, &o->update_every, [](std::string_view v) -> absl::StatusOr<int> {
      absl::StatusOr<int64_t> u = ParseDurationSeconds(v, 0, 86400);
      if (!u.ok()) {
        return u.status();
      }
      return static_cast<int>(*u);
    });
  }
  Opt({{s, "enable compression"}}, &o->enable_compression, boolean);
  Opt({{s, "compression algorithms order"}}, &o->compression_algorithms_order,
      [](std::string_view v) -> absl::StatusOr<std::vector<std::string>> {
        return ParseCompressionOrder(v);
      });
  Opt({{s, "enable replication"}}, &o->enable_replication, boolean);
  Opt({{s, "seconds to replicate"}, {s, "replication period"}}, &o->seconds_to_replicate,
      seconds(0, kTenYearsS));
  Opt({{s, "seconds per replication step"}, {s, "replication step"}}, &o->replication_step_s,
      seconds(1, kTenYearsS));
  Opt({{s, "is ephemeral node"}}, &o->is_ephemeral, boolean);
}

void ConfigBuilder::ReadChildSection(const std::string& section) {
  ChildSection cs;
  const std::string_view s = section;
  const bool placeholder = section == kStockKeySection || section == kStockGuidSection;
  if (!placeholder && !IsUuid(section)) {
    Warn(Cat(ini_->filename(), ": section [", section,
             "] is neither [stream] nor a UUID (API key or machine GUID); no child can "
             "use it"));
  }
  Opt({{s, "type"}}, &cs.type,
      [](std::string_view v) -> absl::StatusOr<std::string> { return std::string(v); });
  if (cs.type.has_value() && *cs.type != "api" && *cs.type != "machine") {
    const IniEntry* e = ini_->Find(s, "type");
    Warn(Cat(Where(*e), ": [", section, "] type '", *cs.type,
             "' is neither 'api' nor 'machine'; this section will deny every child"));
  }
  Opt({{s, "enabled"}}, &cs.enabled, [](std::string_view v) { return ParseBool(v); });
  Opt({{s, "allow from"}}, &cs.allow_from,
      [](std::string_view v) -> absl::StatusOr<SimplePattern> { return SimplePattern::Parse(v); });
  ReadChildOverrides(s, /*as_key=*/true, &cs.as_api_key);
  ReadChildOverrides(s, /*as_key=*/false, &cs.as_machine_guid);
  // Netdata 1.37 writes the child's tags here; read but not used.
  ini_->Use(s, "host tags");

  for (std::string_view name : {"default memory mode", "memory mode", "db"}) {
    if (const IniEntry* e = ini_->Find(s, name)) {
      bool legacy = false;
      if (ParseMemoryMode(e->value, &legacy).ok() && legacy) {
        Warn(Cat(Where(*e), ": memory mode '", e->value, "' is a legacy Netdata mode; using ram"));
      }
    }
  }
  // Unknown compression names are reported once per section.
  if (const IniEntry* e = ini_->Find(s, "compression algorithms order")) {
    std::vector<std::string> unknown;
    ParseCompressionOrder(e->value, &unknown);
    for (const std::string& u : unknown) {
      Warn(Cat(Where(*e), ": unknown compression algorithm '", u, "' ignored"));
    }
  }
  for (const IniEntry& e : ini_->entries()) {
    if (e.section == section && e.used && ini_->Find(s, e.name) == &e) {
      cfg_->origins_.push_back(
          Config::Origin{Cat(label_, " [", section, "]"), e.name, e.value, Where(e)});
    }
  }
  cfg_->child_sections_[section] = std::move(cs);
}

// ----------------------------------------------------------------------------------------------

AccessRule Config::Access(std::string_view section, std::string_view default_type,
                          bool default_enabled) const {
  AccessRule r;
  r.type = std::string(default_type);
  r.enabled = default_enabled;
  r.allow_from = SimplePattern::Parse("*");
  if (auto it = child_sections_.find(section); it != child_sections_.end()) {
    r.section_present = true;
    r.type = it->second.type.value_or(r.type);
    r.enabled = it->second.enabled.value_or(r.enabled);
    if (it->second.allow_from.has_value()) {
      r.allow_from = *it->second.allow_from;
    }
  }
  return r;
}

AccessRule Config::ApiKeyAccess(std::string_view key) const {
  return Access(key, "api", /*default_enabled=*/false);
}

AccessRule Config::MachineGuidAccess(std::string_view guid) const {
  return Access(guid, "machine", /*default_enabled=*/true);
}

namespace {

void Apply(const ChildOverrides& o, ReceiverSettings* r) {
  if (o.memory_mode) {
    r->memory_mode = *o.memory_mode;
  }
  if (o.history_s) {
    r->history_s = *o.history_s;
  }
  if (o.health) {
    r->health = *o.health;
  }
  if (o.postpone_alarms_on_connect_s) {
    r->postpone_alarms_on_connect_s = *o.postpone_alarms_on_connect_s;
  }
  if (o.health_log_history_s) {
    r->health_log_history_s = *o.health_log_history_s;
  }
  if (o.proxy_enabled) {
    r->proxy_enabled = *o.proxy_enabled;
  }
  if (o.proxy_destination) {
    r->proxy_destination = *o.proxy_destination;
  }
  if (o.proxy_api_key) {
    r->proxy_api_key = *o.proxy_api_key;
  }
  if (o.proxy_send_charts_matching) {
    r->proxy_send_charts_matching = *o.proxy_send_charts_matching;
  }
  if (o.enable_compression) {
    r->enable_compression = *o.enable_compression;
  }
  if (o.compression_algorithms_order) {
    r->compression_algorithms_order = *o.compression_algorithms_order;
  }
  if (o.enable_replication) {
    r->enable_replication = *o.enable_replication;
  }
  if (o.seconds_to_replicate) {
    r->seconds_to_replicate = *o.seconds_to_replicate;
  }
  if (o.replication_step_s) {
    r->replication_step_s = *o.replication_step_s;
  }
  if (o.is_ephemeral) {
    r->is_ephemeral = *o.is_ephemeral;
  }
  if (o.update_every) {
    r->update_every = *o.update_every;
  }
}

}  // namespace

ReceiverSettings Config::ResolveChild(std::string_view api_key,
                                      std::string_view machine_guid) const {
  ReceiverSettings r;
  r.memory_mode = memory_mode_explicit_ ? global.memory_mode : MemoryMode::kRam;
  r.history_s = global.history_s;
  r.health = health_explicit_ ? health.enabled : HealthMode::kAuto;
  r.health_log_history_s = health.health_log_history_s;
  r.proxy_enabled = stream.enabled;
  r.proxy_destination = stream.destination_text;
  r.proxy_api_key = stream.api_key;
  r.proxy_send_charts_matching = stream.send_charts_matching.source();
  r.enable_compression = stream.enable_compression;
  r.compression_algorithms_order = stream.compression_algorithms_order;
  r.enable_replication = db.enable_replication;
  r.seconds_to_replicate = db.seconds_to_replicate;
  r.replication_step_s = db.replication_step_s;
  if (auto it = child_sections_.find(api_key); it != child_sections_.end()) {
    Apply(it->second.as_api_key, &r);
  }
  if (auto it = child_sections_.find(machine_guid); it != child_sections_.end()) {
    Apply(it->second.as_machine_guid, &r);
  }
  return r;
}

bool Config::CompressionAllowed(std::string_view api_key, std::string_view machine_guid) const {
  return stream.enable_compression && ResolveChild(api_key, machine_guid).enable_compression;
}

namespace {

absl::StatusOr<Config> Parse(std::string_view netdata_conf, std::string_view netdata_name,
                             std::string_view stream_conf, std::string_view stream_name,
                             const std::string* config_dir, std::vector<std::string> notes) {
  Config cfg;
  cfg.warnings = std::move(notes);
  if (config_dir != nullptr) {
    cfg.directories.config = *config_dir;
  }
  ConfigBuilder b(&cfg);
  // Bad lines are reported, and the good ones are still validated, so that every error in both
  // files is reported at once.
  std::vector<std::string> line_errors;
  IniFile nd_ini = IniFile::ParseKeepGoing(netdata_conf, netdata_name, &line_errors);
  IniFile sc_ini = IniFile::ParseKeepGoing(stream_conf, stream_name, &line_errors);
  for (std::string& e : line_errors) {
    b.AddError(std::move(e));
  }
  b.ReadNetdata(&nd_ini);
  b.ReadStream(&sc_ini);
  for (const IniFile* ini : {&nd_ini, &sc_ini}) {
    for (const std::string& w : ini->warnings()) {
      cfg.warnings.push_back(w);
    }
    for (std::string& w : ini->UnusedWarnings()) {
      cfg.warnings.push_back(std::move(w));
    }
  }
  if (!b.errors().empty()) {
    return absl::InvalidArgumentError(absl::StrJoin(b.errors(), "\n"));
  }
  return cfg;
}

// Reads a whole file. NotFound when it does not exist.
absl::StatusOr<std::string> ReadFile(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) {
      return absl::NotFoundError(path);
    }
    return absl::InvalidArgumentError(Cat(path, ": ", std::strerror(errno)));
  }
  if (!S_ISREG(st.st_mode)) {
    return absl::InvalidArgumentError(Cat(path, ": not a regular file"));
  }
  if (st.st_size > kMaxConfigFileBytes) {
    return absl::InvalidArgumentError(Cat(path, ": larger than ", kMaxConfigFileBytes, " bytes"));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::InvalidArgumentError(Cat(path, ": cannot open"));
  }
  std::string data(static_cast<size_t>(st.st_size), '\0');
  in.read(data.data(), static_cast<std::streamsize>(data.size()));
  data.resize(static_cast<size_t>(in.gcount()));
  return data;
}

}  // namespace

absl::StatusOr<Config> ParseConfig(std::string_view netdata_conf, std::string_view netdata_name,
                                   std::string_view stream_conf, std::string_view stream_name) {
  return Parse(netdata_conf, netdata_name, stream_conf, stream_name, nullptr, {});
}

absl::StatusOr<Config> LoadConfigDir(const std::string& dir) {
  struct stat st;
  if (stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return absl::InvalidArgumentError(
        Cat("config directory '", dir, "' does not exist or is not a directory"));
  }
  std::vector<std::string> notes;
  std::string texts[2];
  const std::string names[2] = {dir + "/netdata.conf", dir + "/stream.conf"};
  for (int i = 0; i < 2; ++i) {
    absl::StatusOr<std::string> t = ReadFile(names[i]);
    if (t.ok()) {
      texts[i] = std::move(*t);
    } else if (absl::IsNotFound(t.status())) {
      notes.push_back(Cat(names[i], ": not found; using defaults"));
    } else {
      return t.status();
    }
  }
  return Parse(texts[0], names[0], texts[1], names[1], &dir, std::move(notes));
}

}  // namespace ndrelay::conf
