#include "conf/bind_to.h"

#include "absl/status/status.h"
#include "conf/destination.h"
#include "conf/strings.h"
#include "conf/value_parse.h"

namespace ndrelay::conf {
namespace {

struct AclName {
  std::string_view name;
  uint32_t bit;
};
constexpr AclName kAclNames[] = {
    {"dashboard", kAclDashboard},   {"registry", kAclRegistry},   {"badges", kAclBadges},
    {"management", kAclManagement}, {"streaming", kAclStreaming}, {"netdata.conf", kAclNetdataConf},
};

void Warn(std::vector<std::string>* warnings, std::string_view what, std::string_view entry) {
  if (warnings != nullptr) {
    warnings->push_back(Cat("bind to: ", what, " '", entry, "'"));
  }
}

// Collects SSL modes seen in one entry; force wins over optional when both are given.
struct SslSeen {
  bool force = false;
  bool optional = false;
};

// `spec` is what follows a '^' (e.g. "SSL=force").
void ReadSsl(std::string_view spec, std::string_view entry, SslSeen* seen,
             std::vector<std::string>* warnings) {
  if (spec == "SSL=force") {
    seen->force = true;
  } else if (spec == "SSL=optional") {
    seen->optional = true;
  } else {
    Warn(warnings, Cat("unknown TLS mode '^", spec, "' ignored in"), entry);
  }
}

// One `|`-separated ACL item: a name, optionally followed by ^SSL=MODE.
uint32_t ReadAclItem(std::string_view item, std::string_view entry, SslSeen* seen,
                     std::vector<std::string>* warnings) {
  if (const size_t caret = item.find('^'); caret != std::string_view::npos) {
    ReadSsl(item.substr(caret + 1), entry, seen, warnings);
    item = item.substr(0, caret);
  }
  if (item.empty()) {
    return 0;
  }
  for (const AclName& a : kAclNames) {
    if (item == a.name) {
      return a.bit;
    }
  }
  Warn(warnings, Cat("unknown ACL '", item, "' ignored in"), entry);
  return 0;
}

// Returns false (and warns) for entries that are skipped.
absl::StatusOr<bool> ParseOne(std::string_view entry, uint16_t default_port, BindTo* b,
                              std::vector<std::string>* warnings) {
  b->text = std::string(entry);
  std::string_view rest = entry;
  if (rest.substr(0, 5) == "unix:") {
    rest.remove_prefix(5);
    if (rest.empty()) {
      return EntryError("bind to: unix listener has no path", entry);
    }
    if (rest.find_first_of("=^") != std::string_view::npos) {
      Warn(warnings, "unix listeners take no ACL or TLS mode; the whole text is the path in",
           entry);
    }
    b->is_unix = true;
    b->path = std::string(rest);
    b->host.clear();
    b->port = 0;
    b->acl = kAclAll;
    b->ssl = BindTo::Ssl::kDefault;
    return true;
  }
  if (rest.substr(0, 4) == "udp:") {
    Warn(warnings, "udp listeners are not supported; skipped", entry);
    return false;
  }
  if (rest.substr(0, 4) == "tcp:") {
    rest.remove_prefix(4);
  }

  std::string_view host;
  if (!rest.empty() && rest.front() == '[') {
    const size_t close = rest.find(']');
    if (close == std::string_view::npos) {
      return EntryError("bind to: '[' without ']'", entry);
    }
    host = rest.substr(1, close - 1);
    rest.remove_prefix(close + 1);
    if (const size_t pct = host.find('%'); pct != std::string_view::npos) {
      b->interface = std::string(host.substr(pct + 1));
      host = host.substr(0, pct);
    }
    if (!rest.empty() && std::string_view(":%=^").find(rest.front()) == std::string_view::npos) {
      return EntryError("bind to: text after ']'", entry);
    }
  } else {
    const size_t end = rest.find_first_of(":%=^");
    host = rest.substr(0, end);
    rest.remove_prefix(end == std::string_view::npos ? rest.size() : end);
  }
  if (!rest.empty() && rest.front() == '%') {
    rest.remove_prefix(1);
    const size_t end = rest.find_first_of(":=^");
    b->interface = std::string(rest.substr(0, end));
    rest.remove_prefix(end == std::string_view::npos ? rest.size() : end);
  }
  std::string_view port_text;
  if (!rest.empty() && rest.front() == ':') {
    rest.remove_prefix(1);
    const size_t end = rest.find_first_of("=^");
    port_text = rest.substr(0, end);
    rest.remove_prefix(end == std::string_view::npos ? rest.size() : end);
  }

  SslSeen ssl;
  bool have_acl_list = false;
  uint32_t acl = 0;
  // Extension: ^SSL=MODE right after the address (before or without the '=' list).
  if (!rest.empty() && rest.front() == '^') {
    rest.remove_prefix(1);
    // "SSL=force=streaming": the mode ends at the next '=' after "SSL=".
    size_t end = rest.substr(0, 4) == "SSL=" ? rest.find('=', 4) : rest.find('=');
    ReadSsl(rest.substr(0, end), entry, &ssl, warnings);
    rest.remove_prefix(end == std::string_view::npos ? rest.size() : end);
  }
  if (!rest.empty() && rest.front() == '=') {
    rest.remove_prefix(1);
    have_acl_list = true;
    while (true) {
      const size_t bar = rest.find('|');
      acl |= ReadAclItem(rest.substr(0, bar), entry, &ssl, warnings);
      if (bar == std::string_view::npos) {
        break;
      }
      rest.remove_prefix(bar + 1);
    }
  }

  if (host.empty() || host == "*" || host == "any" || host == "all") {
    b->host = "*";
  } else {
    b->host = std::string(host);
  }
  if (port_text.empty()) {
    b->port = default_port;
  } else {
    absl::StatusOr<uint16_t> port = ParsePortOrService(port_text, "tcp", /*min_port=*/0);
    if (!port.ok()) {
      return EntryError(Cat("bind to: ", port.status().message(), " in"), entry);
    }
    b->port = *port;
  }
  b->acl = have_acl_list ? acl : kAclAll;
  b->ssl = ssl.force      ? BindTo::Ssl::kForce
           : ssl.optional ? BindTo::Ssl::kOptional
                          : BindTo::Ssl::kDefault;
  return true;
}

}  // namespace

absl::StatusOr<std::vector<BindTo>> ParseBindTo(std::string_view list, uint16_t default_port,
                                                std::vector<std::string>* warnings) {
  std::vector<BindTo> out;
  for (const ListEntry& entry : SplitList(list)) {
    BindTo b;
    absl::StatusOr<bool> keep = ParseOne(entry.text, default_port, &b, warnings);
    if (!keep.ok()) {
      return keep.status();
    }
    if (*keep) {
      out.push_back(std::move(b));
    }
  }
  return out;
}

}  // namespace ndrelay::conf
