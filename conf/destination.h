#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace ndrelay::conf {

// One parent a child may stream to: an entry of `[stream] destination` or of
// `proxy destination` (spec §1.2): `[PROTOCOL:]HOST[%INTERFACE][:PORT][:SSL]`.
struct Destination {
  enum class Protocol : uint8_t { kTcp, kUnix, kUdp };

  Protocol protocol = Protocol::kTcp;
  // Host name or address without brackets (`::1` for `[::1]`); for kUnix the socket path.
  std::string host;
  // `%IFACE` (IPv6 scope), also accepted inside the brackets (`[fe80::1%eth0]`); "" if none.
  std::string interface;
  // 0 for kUnix.
  uint16_t port = 0;
  // Per-entry `:SSL` suffix (NEW semantics).
  bool ssl = false;
  // The entry as written, `:SSL` included.
  std::string text;
  // True when Netdata 1.37 would treat this entry differently: OLD cuts the whole list at the
  // first `:SSL` and turns TLS on for every entry before it, dropping everything after it.
  bool old_ssl_semantics_differ = false;

  // kUdp is parsed (as Netdata does) but no parent accepts it.
  bool supported() const { return protocol != Protocol::kUdp; }
};

// Parses a space- or comma-separated destination list. An empty list gives an empty vector.
// Protocols: `tcp:` (default), `udp:` (parsed; see supported()), `unix:PATH`, and an entry
// starting with `/` is a unix socket path. PORT is a number (1..65535) or an /etc/services name;
// a missing or empty port gives `default_port`. Errors (InvalidArgumentError, message
// `<what> '<entry>'`): no host, unterminated `[`, unknown service name, bad port number,
// trailing text after `]`.
absl::StatusOr<std::vector<Destination>> ParseDestinations(std::string_view list,
                                                           uint16_t default_port);

// Resolves a port: decimal digits (min_port..65535) or a service name looked up in the services
// database for `protocol` ("tcp" or "udp"). Shared by destinations and `bind to`.
absl::StatusOr<uint16_t> ParsePortOrService(std::string_view text, const char* protocol,
                                            uint16_t min_port);

}  // namespace ndrelay::conf
