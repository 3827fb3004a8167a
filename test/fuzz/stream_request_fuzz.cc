// Fuzzes the STREAM probe, the incremental request parser and the request builder.
// Input: byte 0 picks the read size (0 = everything at once), the rest is the connection's bytes.
// Invariants (a violation traps):
//  - the probe and the parser agree on what is not a STREAM request;
//  - the outcome and the request do not depend on how the bytes were split;
//  - a parsed request never exceeds the bound and request + leftover = what was fed;
//  - the offered caps are a subset of ours;
//  - BuildStreamRequest of a parsed request parses back to the same fields.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "bridge/caps.h"
#include "bridge/stream_request.h"

namespace {

using ndrelay::bridge::BuildStreamRequest;
using ndrelay::bridge::kMaxHandshakeBytes;
using ndrelay::bridge::MatchStreamRequest;
using ndrelay::bridge::OurReceiverCaps;
using ndrelay::bridge::Parse;
using ndrelay::bridge::ParseStreamRequest;
using ndrelay::bridge::Sniff;
using ndrelay::bridge::StreamRequest;
using ndrelay::bridge::StreamRequestParser;

// Large enough for any rebuilt request (URL encoding at most triples kMaxHandshakeBytes).
constexpr size_t kRebuiltMaxBytes = 4 * kMaxHandshakeBytes;

void Check(bool ok) {
  if (!ok) {
    __builtin_trap();
  }
}

bool SameFields(const StreamRequest& a, const StreamRequest& b) {
  return a.key == b.key && a.hostname == b.hostname && a.registry_hostname == b.registry_hostname &&
         a.machine_guid == b.machine_guid && a.update_every == b.update_every && a.os == b.os &&
         a.timezone == b.timezone && a.abbrev_timezone == b.abbrev_timezone &&
         a.utc_offset == b.utc_offset && a.hops == b.hops && a.ml_capable == b.ml_capable &&
         a.ml_enabled == b.ml_enabled && a.mc_version == b.mc_version &&
         a.system_info == b.system_info;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) {
    return 0;
  }
  const size_t chunk = data[0] == 0 ? size : data[0];
  const std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);

  const Sniff sniff = MatchStreamRequest(in);
  StreamRequestParser parser;
  Parse result = Parse::kNeedMore;
  size_t fed = 0;
  for (size_t at = 0; at < in.size() && result == Parse::kNeedMore; at += chunk) {
    const std::string_view piece = in.substr(at, chunk);
    result = parser.Feed(piece);
    fed += piece.size();
  }

  Check(sniff != Sniff::kNoMatch || in.empty() || result == Parse::kMalformed);
  if (sniff == Sniff::kNeedMore) {
    Check(result == Parse::kNeedMore);
  }
  if (result == Parse::kTooLarge) {
    Check(fed >= kMaxHandshakeBytes);
  }

  // Splitting must not matter.
  const auto whole = ParseStreamRequest(in);
  Check(whole.ok() == (result == Parse::kDone));
  if (result != Parse::kDone) {
    return 0;
  }
  const StreamRequest& r = parser.request();
  Check(sniff == Sniff::kMatch);
  Check(parser.request_bytes() <= kMaxHandshakeBytes);
  Check(parser.request_bytes() + r.leftover.size() == fed);
  Check(std::string_view(whole->leftover).starts_with(r.leftover));
  StreamRequest a = r;
  StreamRequest b = *whole;
  a.leftover.clear();
  b.leftover.clear();
  Check(a == b);

  const uint32_t caps = r.OfferedCaps(OurReceiverCaps());
  Check((caps & ~OurReceiverCaps()) == 0);

  const std::string rebuilt = BuildStreamRequest(r, caps);
  const auto again = ParseStreamRequest(rebuilt, kRebuiltMaxBytes);
  Check(again.ok());
  Check(SameFields(*again, r));
  Check(again->ver == caps && again->has_protocol_version && again->leftover.empty());
  return 0;
}
