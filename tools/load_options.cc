#include "tools/load_options.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cmath>
#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "conf/strings.h"

namespace ndrelay::tools {
namespace {

absl::string_view Av(std::string_view s) { return absl::string_view(s.data(), s.size()); }

absl::Status Bad(std::string_view option, std::string_view value, std::string_view why) {
  return absl::InvalidArgumentError(
      conf::Cat("option --", option, " '", value, "': ", why, " (see --help)"));
}

absl::Status IntIn(std::string_view option, std::string_view value, int64_t lo, int64_t hi,
                   int* out) {
  int64_t v = 0;
  if (!absl::SimpleAtoi(Av(value), &v)) {
    return Bad(option, value, "not an integer");
  }
  if (v < lo || v > hi) {
    return Bad(option, value, conf::Cat("must be in [", lo, ", ", hi, "]"));
  }
  *out = static_cast<int>(v);
  return absl::OkStatus();
}

absl::Status DoubleIn(std::string_view option, std::string_view value, double lo, double hi,
                      double* out) {
  double v = 0;
  if (!absl::SimpleAtod(Av(value), &v) || !std::isfinite(v)) {
    return Bad(option, value, "not a number");
  }
  if (v < lo || v > hi) {
    return Bad(option, value, absl::StrFormat("must be in [%g, %g]", lo, hi));
  }
  *out = v;
  return absl::OkStatus();
}

absl::Status YesNo(std::string_view option, std::string_view value, bool* out) {
  if (value == "yes" || value == "true" || value == "on" || value == "1") {
    *out = true;
    return absl::OkStatus();
  }
  if (value == "no" || value == "false" || value == "off" || value == "0") {
    *out = false;
    return absl::OkStatus();
  }
  return Bad(option, value, "expected yes or no");
}

// "HOST:PORT", "[V6]:PORT"; a bare "::1" has no port.
absl::Status SplitParent(std::string_view value, std::string* host, int* port) {
  std::string_view h;
  std::string_view p;
  if (!value.empty() && value.front() == '[') {
    const size_t close = value.find(']');
    if (close == std::string_view::npos || close + 1 >= value.size() || value[close + 1] != ':') {
      return Bad("parent", value, "expected [IPV6]:PORT");
    }
    h = value.substr(1, close - 1);
    p = value.substr(close + 2);
  } else {
    const size_t colon = value.rfind(':');
    if (colon == std::string_view::npos || value.find(':') != colon) {
      return Bad("parent", value, "expected HOST:PORT (IPv6 as [::1]:PORT)");
    }
    h = value.substr(0, colon);
    p = value.substr(colon + 1);
  }
  if (absl::Status s = IntIn("parent", p, 1, 65535, port); !s.ok()) {
    return s;
  }
  *host = std::string(h);
  return absl::OkStatus();
}

}  // namespace

absl::Status CheckLoopbackHost(std::string_view host) {
  if (host == "localhost") {
    return absl::OkStatus();
  }
  const std::string h(host);
  in_addr v4{};
  if (inet_pton(AF_INET, h.c_str(), &v4) == 1) {
    if ((ntohl(v4.s_addr) >> 24) == 127) {
      return absl::OkStatus();
    }
    return absl::InvalidArgumentError(
        conf::Cat("refusing non-loopback address '", host, "' (only 127.0.0.0/8 and ::1)"));
  }
  in6_addr v6{};
  if (inet_pton(AF_INET6, h.c_str(), &v6) == 1) {
    if (IN6_IS_ADDR_LOOPBACK(&v6)) {
      return absl::OkStatus();
    }
    if (IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127) {
      return absl::OkStatus();
    }
    return absl::InvalidArgumentError(
        conf::Cat("refusing non-loopback address '", host, "' (only 127.0.0.0/8 and ::1)"));
  }
  return absl::InvalidArgumentError(conf::Cat(
      "refusing host '", host, "': give a numeric loopback address (127.0.0.1, ::1) or localhost"));
}

absl::StatusOr<LoopbackAddress> ResolveLoopback(std::string_view host, int port) {
  if (absl::Status s = CheckLoopbackHost(host); !s.ok()) {
    return s;
  }
  if (port < 1 || port > 65535) {
    return absl::InvalidArgumentError(conf::Cat("bad port ", port));
  }
  LoopbackAddress a;
  const std::string h = host == "localhost" ? std::string("127.0.0.1") : std::string(host);
  auto* v4 = reinterpret_cast<sockaddr_in*>(&a.addr);
  if (inet_pton(AF_INET, h.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(port));
    a.len = sizeof(sockaddr_in);
    a.family = AF_INET;
    return a;
  }
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&a.addr);
  if (inet_pton(AF_INET6, h.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(port));
    a.len = sizeof(sockaddr_in6);
    a.family = AF_INET6;
    return a;
  }
  return absl::InvalidArgumentError(conf::Cat("cannot parse address '", host, "'"));
}

absl::StatusOr<LoadOptions> ParseLoadOptions(std::span<const std::string_view> args) {
  LoadOptions o;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string_view arg = args[i];
    if (arg == "--help" || arg == "-h") {
      o.help = true;
      continue;
    }
    if (arg == "--verbose" || arg == "-v") {
      o.verbose = true;
      continue;
    }
    if (arg.size() < 3 || arg.substr(0, 2) != "--") {
      return absl::InvalidArgumentError(conf::Cat("unexpected argument '", arg, "'"));
    }
    arg.remove_prefix(2);
    std::string_view name = arg;
    std::string_view value;
    if (const size_t eq = arg.find('='); eq != std::string_view::npos) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
    } else {
      if (i + 1 >= args.size()) {
        return absl::InvalidArgumentError(conf::Cat("option --", name, " needs a value"));
      }
      value = args[++i];
    }
    absl::Status s;
    if (name == "parent") {
      s = SplitParent(value, &o.host, &o.port);
    } else if (name == "host") {
      o.host = std::string(value);
    } else if (name == "port") {
      s = IntIn(name, value, 1, 65535, &o.port);
    } else if (name == "children") {
      s = IntIn(name, value, 1, kMaxChildren, &o.children);
    } else if (name == "charts") {
      s = IntIn(name, value, 1, kMaxChartsPerChild, &o.charts);
    } else if (name == "dims") {
      s = IntIn(name, value, 1, kMaxDimsPerChart, &o.dims);
    } else if (name == "update-every") {
      s = IntIn(name, value, 1, kMaxUpdateEvery, &o.update_every);
    } else if (name == "compression") {
      s = YesNo(name, value, &o.compression);
    } else if (name == "protocol") {
      if (value == "v1") {
        o.protocol = Protocol::kV1;
      } else if (value == "v2") {
        o.protocol = Protocol::kV2;
      } else {
        s = Bad(name, value, "expected v1 or v2");
      }
    } else if (name == "ieee754") {
      s = YesNo(name, value, &o.ieee754);
    } else if (name == "duration") {
      s = DoubleIn(name, value, 0.1, kMaxDurationS, &o.duration_s);
    } else if (name == "api-key") {
      if (value.empty()) {
        s = Bad(name, value, "must not be empty");
      }
      o.api_key = std::string(value);
    } else if (name == "rate-multiplier") {
      s = DoubleIn(name, value, 0.001, kMaxRateMultiplier, &o.rate_multiplier);
    } else if (name == "hostname-prefix") {
      if (value.empty() || value.size() > kMaxHostnamePrefix) {
        s = Bad(name, value, conf::Cat("1..", kMaxHostnamePrefix, " bytes"));
      }
      o.hostname_prefix = std::string(value);
    } else if (name == "seed") {
      if (!absl::SimpleAtoi(Av(value), &o.seed)) {
        s = Bad(name, value, "not an unsigned integer");
      }
    } else if (name == "handshake-timeout") {
      s = DoubleIn(name, value, 0.1, kMaxTimeoutS, &o.handshake_timeout_s);
    } else if (name == "drain-timeout") {
      s = DoubleIn(name, value, 0, kMaxTimeoutS, &o.drain_timeout_s);
    } else if (name == "max-pending-bytes") {
      uint64_t v = 0;
      if (!absl::SimpleAtoi(Av(value), &v) || v < kMinPendingBytes || v > kMaxPendingBytes) {
        s = Bad(
            name, value,
            conf::Cat("must be an integer in [", kMinPendingBytes, ", ", kMaxPendingBytes, "]"));
      } else {
        o.max_pending_bytes = static_cast<size_t>(v);
      }
    } else {
      return absl::InvalidArgumentError(conf::Cat("unknown option --", name, " (see --help)"));
    }
    if (!s.ok()) {
      return s;
    }
  }
  if (static_cast<int64_t>(o.charts) * o.dims > kMaxMetricsPerChild) {
    return absl::InvalidArgumentError(
        conf::Cat("--charts x --dims = ", static_cast<int64_t>(o.charts) * o.dims, " exceeds ",
                  kMaxMetricsPerChild, " per child"));
  }
  if (o.ieee754 && o.protocol != Protocol::kV2) {
    return absl::InvalidArgumentError("--ieee754 yes needs --protocol v2");
  }
  if (absl::Status s = CheckLoopbackHost(o.host); !s.ok()) {
    return s;
  }
  return o;
}

std::string LoadUsage() {
  return R"(ndrelay-load: simulates Netdata children streaming to a parent on loopback.

usage: ndrelay-load --parent HOST:PORT [options]

  --parent HOST:PORT     the parent (loopback only: 127.0.0.0/8, [::1], localhost)
  --host H / --port P    the same, separately (default 127.0.0.1:19999)
  --children N           simulated children, one connection each (default 1)
  --charts C             charts per child (default 10)
  --dims D               dimensions per chart (default 10)
  --update-every S       collection interval in seconds (default 1)
  --compression yes|no   offer LZ4 compression (default yes)
  --protocol v1|v2       v1: Netdata 1.37 caps 16376/15352, BEGIN/SET/END;
                         v2: also INTERPOLATED, BEGIN2/SET2/END2 if the parent agrees (default v1)
  --ieee754 yes|no       with v2: also offer IEEE754 (default no)
  --duration SEC         how long to generate data (default 10); the tool then drains and exits
  --api-key KEY          (default 11111111-2222-3333-4444-555555555555)
  --rate-multiplier M    send M seconds' worth of data per real second; timestamps still
                         advance one update_every per iteration (default 1)
  --hostname-prefix P    children are P-0001, P-0002, ... (default ndload)
  --seed N               machine GUIDs and counter steps derive from it (default 1)
  --handshake-timeout S  (default 30)   --drain-timeout S (default 10)
  --max-pending-bytes B  per child backlog above which iterations are deferred (default 8 MiB)
  --verbose              log child events to stderr

Output: one line of key=value on stdout (see docs/BENCHMARKS.md). Exit 0 when every child
streamed until the end, 1 on errors (rejected handshakes, disconnects), 2 on bad options.
)";
}

}  // namespace ndrelay::tools
