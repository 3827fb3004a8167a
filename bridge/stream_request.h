#pragma once

// The Netdata STREAM handshake request (netdata-stream-protocol.md §2): the probe that recognises
// it, an incremental bounded parser, and a NEW-style builder for our own sender.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "bridge/sniff.h"

namespace ndrelay::bridge {

// The method, which is also the whole probe: "STREAM " then the query string (no path, no '?').
inline constexpr std::string_view kStreamMethod = "STREAM ";
// Max request, request line + headers + "\r\n\r\n" (OLD's 16 KiB; NEW allows 128 KiB).
inline constexpr size_t kMaxHandshakeBytes = 16384;
// The fixed value of NETDATA_PROTOCOL_VERSION; its presence alone matters (§2.4, §4.1).
inline constexpr std::string_view kNetdataProtocolVersion = "1.1";
// What BuildStreamRequest puts in User-Agent ("ndrelay/0.1.0").
inline constexpr std::string_view kNdrelayProgramName = "ndrelay";
inline constexpr std::string_view kNdrelayProgramVersion = "0.1.0";

// The "legacy" port-multiplexer probe (STYLE.md 8): kMatch when `head` starts with "STREAM ",
// kNeedMore while `head` is a shorter prefix of it (including empty), else kNoMatch (so the
// HTTP/2 preface "PRI * HTTP/2.0" and a TLS ClientHello are refused on their first byte).
Sniff MatchStreamRequest(std::string_view head);

// A parsed STREAM request. Defaults are OLD's (§2.4) for parameters the child left out.
struct StreamRequest {
  std::string key;  // API key (UUID-shaped if valid; checked by the caller)
  std::string hostname;
  std::string registry_hostname;  // = hostname when missing
  std::string machine_guid;
  int update_every = 0;  // seconds; 0 = unset (the parent's default applies)
  std::string os = "unknown";
  std::string timezone = "unknown";
  std::string abbrev_timezone = "UTC";
  int32_t utc_offset = 0;  // seconds
  int hops = 1;            // as sent (OLD takes any number; NEW wants 1..32767)
  bool ml_capable = false;
  bool ml_enabled = false;
  int mc_version = 0;
  std::string tags;                   // OLD children only
  std::optional<uint64_t> ver;        // the child's capability bitmask or legacy version
  bool has_protocol_version = false;  // NETDATA_PROTOCOL_VERSION was present
  // User-Agent split at its first '/': "netdata/v1.37.1" -> "netdata", "v1.37.1".
  std::string program_name;
  std::string program_version;
  // Every header line "Name: value" in order (value trimmed of spaces/tabs).
  std::vector<std::pair<std::string, std::string>> headers;
  // Every NETDATA_* parameter except NETDATA_PROTOCOL_VERSION, in first-seen order, the last
  // value winning; NETDATA_SYSTEM_OS_{NAME,ID,ID_LIKE,VERSION,VERSION_ID,DETECTION} renamed
  // NETDATA_HOST_OS_* as Netdata's parent stores them.
  std::vector<std::pair<std::string, std::string>> system_info;
  // Parameter names (as sent) that a Netdata parent does not use, one per occurrence, for the
  // "request has parameter ... which is not used" log. Unknown NETDATA_* names are listed here
  // and are also kept in system_info (so a proxy can forward them).
  std::vector<std::string> unknown_parameters;
  // The bytes after "\r\n\r\n" that arrived with the request: the start of the stream from a
  // NEW child. OLD parents refuse a request followed by data; we keep them.
  std::string leftover;

  // The child's offered capabilities against ours (§2.4 last bullet, then §4.4): convert(ver) if
  // ver is present, else convert(1) if NETDATA_PROTOCOL_VERSION is present, else convert(0).
  uint32_t OfferedCaps(uint32_t ours) const;

  // The value of system-info parameter `name` (stored name, e.g. "NETDATA_HOST_OS_NAME"), or
  // nullptr.
  const std::string* FindSystemInfo(std::string_view name) const;

  bool operator==(const StreamRequest&) const = default;
};

enum class Parse { kNeedMore, kDone, kTooLarge, kMalformed };

// Reads one STREAM request from a byte stream split at arbitrary points. The request ends at the
// first "\r\n\r\n"; the request line ends at the LAST " HTTP/" before its "\r\n" (values hold raw
// spaces). The query is URL-decoded as one string, then split on '&' and each piece on its first
// '='; pieces with an empty name or value are skipped; the last occurrence of a name wins (OLD).
// Numbers are read like strtol: leading digits, anything after them ignored, saturating.
//
// Never buffers more than `max_bytes`; bytes after the terminator go to request().leftover.
// Feed() after a final answer (anything but kNeedMore) returns that answer again and ignores the
// bytes. One per connection; not thread-safe.
class StreamRequestParser {
 public:
  explicit StreamRequestParser(size_t max_bytes = kMaxHandshakeBytes);
  StreamRequestParser(const StreamRequestParser&) = delete;
  StreamRequestParser& operator=(const StreamRequestParser&) = delete;

  // kNeedMore: no terminator yet and fewer than max_bytes buffered. kDone: request() is ready.
  // kTooLarge: max_bytes buffered without a terminator. kMalformed: not "STREAM " (decided on the
  // first differing byte), no " HTTP/" in the request line, or a bad URL encoding (bad '%'
  // escape, control byte, invalid UTF-8), which Netdata answers with HTTP 400.
  Parse Feed(std::string_view bytes);

  // The request; complete after kDone. The caller may move from it (e.g. the leftover).
  const StreamRequest& request() const { return request_; }
  StreamRequest* mutable_request() { return &request_; }
  // After kDone: bytes of the request itself, terminator included (leftover excluded).
  size_t request_bytes() const { return request_bytes_; }
  // Why Feed() returned kMalformed or kTooLarge ("" otherwise); a static string.
  std::string_view error() const { return error_; }

 private:
  Parse Fail(Parse result, std::string_view why);
  Parse Finish();

  const size_t max_bytes_;
  std::string buffer_;
  Parse state_ = Parse::kNeedMore;
  size_t request_bytes_ = 0;
  std::string_view error_;
  StreamRequest request_;
};

// One-shot parse of a complete request (e.g. a capture file); bytes after it become leftover.
// InvalidArgument for an incomplete or malformed request, ResourceExhausted when too large.
absl::StatusOr<StreamRequest> ParseStreamRequest(std::string_view bytes,
                                                 size_t max_bytes = kMaxHandshakeBytes);

// Builds a NEW-style request (§2.3) for `r` offering `caps` as `ver`: parameters in NEW order
// (key, hostname, registry_hostname, machine_guid, update_every, os, timezone, abbrev_timezone,
// utc_offset, hops, ver, ml_capable, ml_enabled, mc_version, then r.system_info in its order with
// NETDATA_HOST_OS_* renamed back to NETDATA_SYSTEM_OS_*, then NETDATA_PROTOCOL_VERSION=1.1),
// every name and value URL-encoded, no `tags` (NEW sends none), r.leftover/headers/program_*
// ignored; "User-Agent: ndrelay/<version>" and "Accept: */*". `hops` is sent as given: the caller
// sets it to (hops of the streamed host) + 1. Bytes that would break the parent's parse are
// replaced: '&' and control bytes by ' ', and if the value is still not valid UTF-8, every byte
// >= 0x80 by '?'. registry_hostname falls back to hostname when empty.
std::string BuildStreamRequest(const StreamRequest& r, uint32_t caps);

}  // namespace ndrelay::bridge
