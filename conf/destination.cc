#include "conf/destination.h"

#include <arpa/inet.h>
#include <netdb.h>

#include <array>
#include <string>

#include "absl/status/status.h"
#include "conf/strings.h"
#include "conf/value_parse.h"

namespace ndrelay::conf {
namespace {

// getservbyname_r needs a scratch buffer; /etc/services lines are short.
constexpr size_t kServiceLookupBufferBytes = 4096;
constexpr std::string_view kSslSuffix = ":SSL";

absl::StatusOr<Destination> ParseOne(std::string_view entry, uint16_t default_port) {
  Destination d;
  d.text = std::string(entry);
  std::string_view rest = entry;
  if (rest.size() >= kSslSuffix.size() &&
      rest.substr(rest.size() - kSslSuffix.size()) == kSslSuffix) {
    d.ssl = true;
    rest.remove_suffix(kSslSuffix.size());
  }
  if (rest.substr(0, 4) == "tcp:") {
    rest.remove_prefix(4);
  } else if (rest.substr(0, 4) == "udp:") {
    d.protocol = Destination::Protocol::kUdp;
    rest.remove_prefix(4);
  } else if (rest.substr(0, 5) == "unix:" || rest.substr(0, 1) == "/") {
    if (rest.front() != '/') {
      rest.remove_prefix(5);
    }
    if (rest.empty()) {
      return EntryError("destination: no unix socket path in", entry);
    }
    d.protocol = Destination::Protocol::kUnix;
    d.host = std::string(rest);
    return d;
  }

  std::string_view host;
  if (!rest.empty() && rest.front() == '[') {
    const size_t close = rest.find(']');
    if (close == std::string_view::npos) {
      return EntryError("destination: '[' without ']' in", entry);
    }
    host = rest.substr(1, close - 1);
    rest.remove_prefix(close + 1);
    // Netdata hands "fe80::1%eth0" to getaddrinfo as is; we split the scope out so that it is
    // reported the same way as the `[addr]%iface` form.
    if (const size_t pct = host.find('%'); pct != std::string_view::npos) {
      d.interface = std::string(host.substr(pct + 1));
      host = host.substr(0, pct);
    }
    if (!rest.empty() && rest.front() != ':' && rest.front() != '%') {
      return EntryError("destination: text after ']' in", entry);
    }
  } else {
    const size_t end = rest.find_first_of(":%");
    host = rest.substr(0, end);
    rest.remove_prefix(end == std::string_view::npos ? rest.size() : end);
  }
  if (!rest.empty() && rest.front() == '%') {
    rest.remove_prefix(1);
    const size_t end = rest.find(':');
    d.interface = std::string(rest.substr(0, end));
    rest.remove_prefix(end == std::string_view::npos ? rest.size() : end);
  }
  if (host.empty()) {
    return EntryError("destination: no host in", entry);
  }
  d.host = std::string(host);
  d.port = default_port;
  if (!rest.empty()) {  // rest starts with ':'
    rest.remove_prefix(1);
    if (!rest.empty()) {
      absl::StatusOr<uint16_t> port = ParsePortOrService(
          rest, d.protocol == Destination::Protocol::kUdp ? "udp" : "tcp", /*min_port=*/1);
      if (!port.ok()) {
        return EntryError(Cat("destination: ", port.status().message(), " in"), entry);
      }
      d.port = *port;
    }
  }
  return d;
}

}  // namespace

absl::StatusOr<uint16_t> ParsePortOrService(std::string_view text, const char* protocol,
                                            uint16_t min_port) {
  if (text.empty()) {
    return absl::InvalidArgumentError("empty port");
  }
  if (text.find_first_not_of("0123456789") == std::string_view::npos) {
    if (text.size() > 5) {
      return absl::InvalidArgumentError(Cat("port out of range (", min_port, "..65535)"));
    }
    uint32_t v = 0;
    for (char c : text) {
      v = v * 10 + static_cast<uint32_t>(c - '0');
    }
    if (v < min_port || v > 65535) {
      return absl::InvalidArgumentError(Cat("port out of range (", min_port, "..65535)"));
    }
    return static_cast<uint16_t>(v);
  }
  const std::string name(text);
  if (name.find('\0') != std::string::npos) {
    return absl::InvalidArgumentError("unknown service name");
  }
  servent entry;
  servent* found = nullptr;
  std::array<char, kServiceLookupBufferBytes> buf;
  if (getservbyname_r(name.c_str(), protocol, &entry, buf.data(), buf.size(), &found) != 0 ||
      found == nullptr) {
    return absl::InvalidArgumentError("unknown service name");
  }
  const uint16_t port = ntohs(static_cast<uint16_t>(found->s_port));
  if (port < min_port) {
    return absl::InvalidArgumentError("service has port 0");
  }
  return port;
}

absl::StatusOr<std::vector<Destination>> ParseDestinations(std::string_view list,
                                                           uint16_t default_port) {
  std::vector<Destination> out;
  // OLD (1.37) cut point: the first ":SSL" anywhere in the whole string.
  const size_t old_cut = list.find(kSslSuffix);
  for (const ListEntry& entry : SplitList(list)) {
    const size_t begin = entry.begin;
    const size_t i = entry.end;
    absl::StatusOr<Destination> d = ParseOne(entry.text, default_port);
    if (!d.ok()) {
      return d.status();
    }
    if (old_cut != std::string_view::npos) {
      if (begin >= old_cut) {
        d->old_ssl_semantics_differ = true;  // OLD drops it
      } else if (i > old_cut) {
        // OLD truncates this entry at the cut; same result only if ":SSL" ends it.
        d->old_ssl_semantics_differ = old_cut + kSslSuffix.size() != i;
      } else {
        d->old_ssl_semantics_differ = !d->ssl;  // OLD turns TLS on for it
      }
    }
    out.push_back(std::move(*d));
  }
  return out;
}

}  // namespace ndrelay::conf
