#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace ndrelay::conf {

// Listener ACL bits of a `[web] bind to` entry (`=dashboard|streaming|...`).
inline constexpr uint32_t kAclDashboard = 1u << 0;    // "dashboard"
inline constexpr uint32_t kAclRegistry = 1u << 1;     // "registry"
inline constexpr uint32_t kAclBadges = 1u << 2;       // "badges"
inline constexpr uint32_t kAclManagement = 1u << 3;   // "management"
inline constexpr uint32_t kAclStreaming = 1u << 4;    // "streaming"
inline constexpr uint32_t kAclNetdataConf = 1u << 5;  // "netdata.conf"
inline constexpr uint32_t kAclAll =
    kAclDashboard | kAclRegistry | kAclBadges | kAclManagement | kAclStreaming | kAclNetdataConf;

// One listener of `[web] bind to` (spec §1.1).
struct BindTo {
  enum class Ssl : uint8_t { kDefault, kOptional, kForce };

  bool is_unix = false;
  // Address without brackets; "*" = any address ("", "*", "any" and "all" are all stored as
  // "*"). "::" (from `[::]`) is kept as the IPv6 any-address.
  std::string host;
  // `%IFACE` scope of an IPv6 address; "" if none.
  std::string interface;
  // Socket path when is_unix.
  std::string path;
  // 0 for unix listeners (and when `:0` is asked for: an ephemeral port, handy in tests).
  uint16_t port = 0;
  // kAcl* bits. kAclAll when the entry has no `=` list, and always for unix listeners.
  // With a `=` list, only the names listed (Netdata: `=^SSL=force` alone allows nothing).
  uint32_t acl = kAclAll;
  Ssl ssl = Ssl::kDefault;  // always kDefault for unix listeners
  // The entry as written.
  std::string text;

  bool allows_streaming() const { return is_unix || (acl & kAclStreaming) != 0; }
  bool allows_dashboard() const { return is_unix || (acl & kAclDashboard) != 0; }
};

// Parses a space- or comma-separated `bind to` list. Entry grammar (Netdata's):
//   unix:PATH                                   (everything after "unix:" is the path)
//   [tcp:]HOST[%IFACE][:PORT][=ACL[|ACL...]]    HOST may be `[v6]`, `*`, `any`, `all` or empty
// where each ACL item is a name optionally followed by `^SSL=force` or `^SSL=optional`
// (`127.0.0.1:19999=streaming^SSL=force`, `=^SSL=optional|dashboard`). As an extension,
// `^SSL=MODE` may also come straight after the address, before or without the `=` list
// (`*:19999^SSL=force=streaming`, `*:19999^SSL=force`).
// PORT: a number (0..65535) or a service name; missing → default_port.
// Unknown ACL names, unknown SSL modes, `udp:` entries (skipped) and unix paths containing
// '=' or '^' add a line to *warnings (when given) instead of failing, as Netdata ignores them.
// Errors (InvalidArgumentError, `<what> '<entry>'`): bad port, unterminated `[`, empty unix path.
absl::StatusOr<std::vector<BindTo>> ParseBindTo(std::string_view list, uint16_t default_port,
                                                std::vector<std::string>* warnings = nullptr);

}  // namespace ndrelay::conf
