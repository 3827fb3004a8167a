// Fuzzes the conf/ parsers. The input is split at its first 0 byte: the part before is
// netdata.conf, the part after is stream.conf (no 0 byte: all netdata.conf, empty stream.conf).
// The whole input is also fed to SimplePattern, ParseDestinations and ParseBindTo.
// Invariants checked: no crash/UB; errors are InvalidArgument with a non-empty message; a parsed
// Config resolves children and describes itself; pattern results are consistent.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "conf/bind_to.h"
#include "conf/config.h"
#include "conf/destination.h"
#include "conf/simple_pattern.h"

namespace {

void Check(bool ok) {
  if (!ok) {
    std::abort();
  }
}

void FuzzConfig(std::string_view netdata, std::string_view stream) {
  absl::StatusOr<ndrelay::conf::Config> c =
      ndrelay::conf::ParseConfig(netdata, "netdata.conf", stream, "stream.conf");
  if (!c.ok()) {
    Check(c.status().code() == absl::StatusCode::kInvalidArgument);
    Check(!c.status().message().empty());
    return;
  }
  for (const auto& [name, section] : c->child_sections()) {
    (void)section;
    const ndrelay::conf::ReceiverSettings r = c->ResolveChild(name, name);
    Check(r.history_s >= 0 && r.replication_step_s >= 1);
    Check(!r.compression_algorithms_order.empty());
    (void)c->CompressionAllowed(name, name);
    (void)c->ApiKeyAccess(name).allow_from.Matches("10.0.0.1");
    (void)c->MachineGuidAccess(name).enabled;
  }
  Check(!c->Describe().empty());
  Check(c->web.default_port != 0 && c->stream.default_port != 0);
  for (const ndrelay::conf::Destination& d : c->stream.destinations) {
    Check(!d.host.empty());
  }
}

void FuzzPattern(std::string_view text) {
  const ndrelay::conf::SimplePattern p = ndrelay::conf::SimplePattern::Parse(text);
  Check(p.source() == text);
  Check(p.empty() == (p.size() == 0));
  Check(p.Match("") == ndrelay::conf::SimplePattern::Result::kNoMatch);
  for (std::string_view s : {std::string_view("10.1.2.3"), std::string_view("apps.cpu"), text}) {
    const auto r = p.Match(s);
    Check(p.Matches(s) == (r == ndrelay::conf::SimplePattern::Result::kPositive));
    if (p.empty()) {
      Check(r == ndrelay::conf::SimplePattern::Result::kNoMatch);
    }
  }
}

void FuzzLists(std::string_view text) {
  absl::StatusOr<std::vector<ndrelay::conf::Destination>> d =
      ndrelay::conf::ParseDestinations(text, 19999);
  if (d.ok()) {
    for (const ndrelay::conf::Destination& x : *d) {
      Check(!x.host.empty() && !x.text.empty());
      Check(x.protocol == ndrelay::conf::Destination::Protocol::kUnix || x.port != 0);
    }
  }
  std::vector<std::string> warnings;
  absl::StatusOr<std::vector<ndrelay::conf::BindTo>> b =
      ndrelay::conf::ParseBindTo(text, 19999, &warnings);
  if (b.ok()) {
    for (const ndrelay::conf::BindTo& x : *b) {
      Check(!x.text.empty());
      Check(x.is_unix ? !x.path.empty() : !x.host.empty());
      Check((x.acl & ~ndrelay::conf::kAclAll) == 0);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view all(reinterpret_cast<const char*>(data), size);
  const size_t nul = all.find('\0');
  const std::string_view netdata = all.substr(0, nul);
  const std::string_view stream =
      nul == std::string_view::npos ? std::string_view() : all.substr(nul + 1);
  FuzzConfig(netdata, stream);
  FuzzPattern(all);
  FuzzLists(all);
  return 0;
}
