#include "bridge/stream_request.h"

#include <algorithm>
#include <array>
#include <limits>

#include "absl/status/status.h"
#include "bridge/caps.h"
#include "bridge/url.h"

namespace ndrelay::bridge {
namespace {

constexpr std::string_view kTerminator = "\r\n\r\n";
constexpr std::string_view kLineEnd = "\r\n";
constexpr std::string_view kHttpMarker = " HTTP/";
constexpr std::string_view kSystemInfoPrefix = "NETDATA_";
constexpr std::string_view kProtocolVersionName = "NETDATA_PROTOCOL_VERSION";
constexpr std::string_view kSystemOsPrefix = "NETDATA_SYSTEM_OS_";
constexpr std::string_view kHostOsPrefix = "NETDATA_HOST_OS_";
constexpr std::string_view kUserAgent = "User-Agent";
constexpr unsigned char kFirstPrintable = 0x20;
constexpr unsigned char kDelete = 0x7F;
constexpr unsigned char kFirstNonAscii = 0x80;

// Suffixes renamed NETDATA_SYSTEM_OS_* -> NETDATA_HOST_OS_* by the parent (§2.4).
constexpr std::array<std::string_view, 6> kOsSuffixes = {"NAME",    "ID",         "ID_LIKE",
                                                         "VERSION", "VERSION_ID", "DETECTION"};

// The system-info names a Netdata parent uses (§2.2 list, as stored after the rename).
constexpr std::array<std::string_view, 27> kKnownSystemInfo = {
    "NETDATA_INSTANCE_CLOUD_TYPE",
    "NETDATA_INSTANCE_CLOUD_INSTANCE_TYPE",
    "NETDATA_INSTANCE_CLOUD_INSTANCE_REGION",
    "NETDATA_HOST_OS_NAME",
    "NETDATA_HOST_OS_ID",
    "NETDATA_HOST_OS_ID_LIKE",
    "NETDATA_HOST_OS_VERSION",
    "NETDATA_HOST_OS_VERSION_ID",
    "NETDATA_HOST_OS_DETECTION",
    "NETDATA_HOST_IS_K8S_NODE",
    "NETDATA_SYSTEM_KERNEL_NAME",
    "NETDATA_SYSTEM_KERNEL_VERSION",
    "NETDATA_SYSTEM_ARCHITECTURE",
    "NETDATA_SYSTEM_VIRTUALIZATION",
    "NETDATA_SYSTEM_VIRT_DETECTION",
    "NETDATA_SYSTEM_CONTAINER",
    "NETDATA_SYSTEM_CONTAINER_DETECTION",
    "NETDATA_CONTAINER_OS_NAME",
    "NETDATA_CONTAINER_OS_ID",
    "NETDATA_CONTAINER_OS_ID_LIKE",
    "NETDATA_CONTAINER_OS_VERSION",
    "NETDATA_CONTAINER_OS_VERSION_ID",
    "NETDATA_CONTAINER_OS_DETECTION",
    "NETDATA_SYSTEM_CPU_LOGICAL_CPU_COUNT",
    "NETDATA_SYSTEM_CPU_FREQ",
    "NETDATA_SYSTEM_TOTAL_RAM",
    "NETDATA_SYSTEM_TOTAL_DISK_SIZE",
};

// strtol-like: optional leading spaces and sign, then digits; stops at the first non-digit;
// saturates. "" or no digits -> 0.
int64_t ParseLeadingInt(std::string_view s) {
  size_t i = 0;
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) {
    ++i;
  }
  bool negative = false;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    negative = s[i] == '-';
    ++i;
  }
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  int64_t v = 0;
  for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) {
    int digit = s[i] - '0';
    if (v > (kMax - digit) / 10) {
      v = kMax;
      break;
    }
    v = v * 10 + digit;
  }
  return negative ? -v : v;
}

template <typename T>
T ClampTo(int64_t v) {
  return static_cast<T>(
      std::clamp<int64_t>(v, std::numeric_limits<T>::min(), std::numeric_limits<T>::max()));
}

// strtoul-like for `ver`: leading spaces, optional '+', digits; saturates; no digits -> 0.
uint64_t ParseLeadingUnsigned(std::string_view s) {
  size_t i = 0;
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) {
    ++i;
  }
  if (i < s.size() && s[i] == '+') {
    ++i;
  }
  constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
  uint64_t v = 0;
  for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) {
    uint64_t digit = static_cast<uint64_t>(s[i] - '0');
    if (v > (kMax - digit) / 10) {
      return kMax;
    }
    v = v * 10 + digit;
  }
  return v;
}

bool IsOsSuffix(std::string_view suffix) {
  return std::find(kOsSuffixes.begin(), kOsSuffixes.end(), suffix) != kOsSuffixes.end();
}

bool IsKnownSystemInfo(std::string_view stored_name) {
  return std::find(kKnownSystemInfo.begin(), kKnownSystemInfo.end(), stored_name) !=
         kKnownSystemInfo.end();
}

// The name the parent stores: NETDATA_SYSTEM_OS_<X> -> NETDATA_HOST_OS_<X> for the six OS fields.
std::string StoredSystemInfoName(std::string_view name) {
  if (name.starts_with(kSystemOsPrefix) && IsOsSuffix(name.substr(kSystemOsPrefix.size()))) {
    return std::string(kHostOsPrefix).append(name.substr(kSystemOsPrefix.size()));
  }
  return std::string(name);
}

// The reverse, for the sender.
std::string SentSystemInfoName(std::string_view name) {
  if (name.starts_with(kHostOsPrefix) && IsOsSuffix(name.substr(kHostOsPrefix.size()))) {
    return std::string(kSystemOsPrefix).append(name.substr(kHostOsPrefix.size()));
  }
  return std::string(name);
}

void SetSystemInfo(std::vector<std::pair<std::string, std::string>>* info, std::string name,
                   std::string_view value) {
  for (auto& [n, v] : *info) {
    if (n == name) {
      v.assign(value);
      return;
    }
  }
  info->emplace_back(std::move(name), std::string(value));
}

// Applies one "name=value" parameter (both non-empty) to `r`.
void ApplyParameter(std::string_view name, std::string_view value, StreamRequest* r) {
  if (name == "key") {
    r->key.assign(value);
  } else if (name == "hostname") {
    r->hostname.assign(value);
  } else if (name == "registry_hostname") {
    r->registry_hostname.assign(value);
  } else if (name == "machine_guid") {
    r->machine_guid.assign(value);
  } else if (name == "update_every") {
    r->update_every = ClampTo<int>(ParseLeadingInt(value));
  } else if (name == "os") {
    r->os.assign(value);
  } else if (name == "timezone") {
    r->timezone.assign(value);
  } else if (name == "abbrev_timezone") {
    r->abbrev_timezone.assign(value);
  } else if (name == "utc_offset") {
    r->utc_offset = ClampTo<int32_t>(ParseLeadingInt(value));
  } else if (name == "hops") {
    r->hops = ClampTo<int>(ParseLeadingInt(value));
  } else if (name == "ml_capable") {
    r->ml_capable = ParseLeadingInt(value) != 0;
  } else if (name == "ml_enabled") {
    r->ml_enabled = ParseLeadingInt(value) != 0;
  } else if (name == "mc_version") {
    r->mc_version = ClampTo<int>(ParseLeadingInt(value));
  } else if (name == "tags") {
    r->tags.assign(value);
  } else if (name == "ver") {
    r->ver = ParseLeadingUnsigned(value);
  } else if (name == kProtocolVersionName) {
    r->has_protocol_version = true;
  } else if (name.starts_with(kSystemInfoPrefix)) {
    std::string stored = StoredSystemInfoName(name);
    if (!IsKnownSystemInfo(stored)) {
      r->unknown_parameters.emplace_back(name);
    }
    SetSystemInfo(&r->system_info, std::move(stored), value);
  } else {
    r->unknown_parameters.emplace_back(name);
  }
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i];
    char y = b[i];
    if (x >= 'A' && x <= 'Z') {
      x = static_cast<char>(x - 'A' + 'a');
    }
    if (y >= 'A' && y <= 'Z') {
      y = static_cast<char>(y - 'A' + 'a');
    }
    if (x != y) {
      return false;
    }
  }
  return true;
}

std::string_view TrimSpaces(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

// Makes `value` safe for the parent's decode-then-split parse (see BuildStreamRequest).
std::string SanitizeValue(std::string_view value) {
  std::string out(value);
  for (char& c : out) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '&' || u < kFirstPrintable || u == kDelete) {
      c = ' ';
    }
  }
  if (!IsPrintableUtf8(out)) {
    for (char& c : out) {
      if (static_cast<unsigned char>(c) >= kFirstNonAscii) {
        c = '?';
      }
    }
  }
  return out;
}

}  // namespace

Sniff MatchStreamRequest(std::string_view head) {
  const size_t n = std::min(head.size(), kStreamMethod.size());
  if (head.substr(0, n) != kStreamMethod.substr(0, n)) {
    return Sniff::kNoMatch;
  }
  return n == kStreamMethod.size() ? Sniff::kMatch : Sniff::kNeedMore;
}

uint32_t StreamRequest::OfferedCaps(uint32_t ours) const {
  if (ver.has_value()) {
    return ConvertVersionToCaps(*ver, ours);
  }
  return ConvertVersionToCaps(has_protocol_version ? 1 : 0, ours);
}

const std::string* StreamRequest::FindSystemInfo(std::string_view name) const {
  for (const auto& [n, v] : system_info) {
    if (n == name) {
      return &v;
    }
  }
  return nullptr;
}

StreamRequestParser::StreamRequestParser(size_t max_bytes) : max_bytes_(max_bytes) {
  buffer_.reserve(max_bytes_);
}

Parse StreamRequestParser::Fail(Parse result, std::string_view why) {
  state_ = result;
  error_ = why;
  return result;
}

Parse StreamRequestParser::Feed(std::string_view bytes) {
  if (state_ != Parse::kNeedMore) {
    return state_;
  }
  // The terminator may straddle the previous read: rescan its last 3 bytes only.
  const size_t scan_from =
      buffer_.size() >= kTerminator.size() - 1 ? buffer_.size() - (kTerminator.size() - 1) : 0;
  const size_t take = std::min(bytes.size(), max_bytes_ - buffer_.size());
  buffer_.append(bytes.data(), take);

  const size_t prefix = std::min(buffer_.size(), kStreamMethod.size());
  if (std::string_view(buffer_).substr(0, prefix) != kStreamMethod.substr(0, prefix)) {
    return Fail(Parse::kMalformed, "not a STREAM request");
  }
  const size_t end = buffer_.find(kTerminator, scan_from);
  if (end == std::string::npos) {
    if (buffer_.size() >= max_bytes_) {
      return Fail(Parse::kTooLarge, "request too large");
    }
    return Parse::kNeedMore;
  }
  request_bytes_ = end + kTerminator.size();
  request_.leftover.assign(buffer_, request_bytes_);
  request_.leftover.append(bytes.substr(take));
  buffer_.resize(request_bytes_);
  return Finish();
}

Parse StreamRequestParser::Finish() {
  std::string_view head(buffer_);
  const size_t line_end = head.find(kLineEnd);  // exists: the terminator starts with it
  const std::string_view request_line = head.substr(0, line_end);
  const std::string_view after_method = request_line.substr(kStreamMethod.size());
  const size_t http = after_method.rfind(kHttpMarker);
  if (http == std::string_view::npos) {
    return Fail(Parse::kMalformed, "no HTTP version in the request line");
  }
  std::string query;
  if (!UrlDecode(after_method.substr(0, http), &query)) {
    return Fail(Parse::kMalformed, "malformed URL");
  }

  std::string_view rest(query);
  while (!rest.empty()) {
    const size_t amp = rest.find('&');
    const std::string_view piece = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    const size_t eq = piece.find('=');
    if (eq == std::string_view::npos || eq == 0 || eq + 1 == piece.size()) {
      continue;  // empty name or value
    }
    ApplyParameter(piece.substr(0, eq), piece.substr(eq + 1), &request_);
  }
  if (request_.registry_hostname.empty()) {
    request_.registry_hostname = request_.hostname;
  }

  // Header lines sit between the request line and the terminator.
  std::string_view headers = head.substr(line_end + kLineEnd.size());
  headers.remove_suffix(kLineEnd.size());  // the terminator's second "\r\n"
  while (!headers.empty()) {
    const size_t eol = headers.find(kLineEnd);
    const std::string_view line = headers.substr(0, eol);
    headers =
        eol == std::string_view::npos ? std::string_view() : headers.substr(eol + kLineEnd.size());
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
      continue;  // not a header; Netdata ignores it too
    }
    const std::string_view name = line.substr(0, colon);
    const std::string_view value = TrimSpaces(line.substr(colon + 1));
    request_.headers.emplace_back(name, value);
    if (EqualsIgnoreCase(name, kUserAgent)) {
      const size_t slash = value.find('/');
      request_.program_name.assign(value.substr(0, slash));
      request_.program_version.assign(slash == std::string_view::npos ? std::string_view()
                                                                      : value.substr(slash + 1));
    }
  }
  state_ = Parse::kDone;
  return state_;
}

absl::StatusOr<StreamRequest> ParseStreamRequest(std::string_view bytes, size_t max_bytes) {
  StreamRequestParser parser(max_bytes);
  switch (parser.Feed(bytes)) {
    case Parse::kDone:
      return std::move(*parser.mutable_request());
    case Parse::kNeedMore:
      return absl::InvalidArgumentError("incomplete STREAM request");
    case Parse::kTooLarge:
      return absl::ResourceExhaustedError(std::string(parser.error()));
    case Parse::kMalformed:
      break;
  }
  return absl::InvalidArgumentError(std::string(parser.error()));
}

std::string BuildStreamRequest(const StreamRequest& r, uint32_t caps) {
  std::string out(kStreamMethod);
  bool first = true;
  auto add = [&](std::string_view name, std::string_view value) {
    if (!first) {
      out.push_back('&');
    }
    first = false;
    out.append(UrlEncode(SanitizeValue(name))).append("=").append(UrlEncode(SanitizeValue(value)));
  };
  add("key", r.key);
  add("hostname", r.hostname);
  add("registry_hostname", r.registry_hostname.empty() ? r.hostname : r.registry_hostname);
  add("machine_guid", r.machine_guid);
  add("update_every", std::to_string(r.update_every));
  add("os", r.os);
  add("timezone", r.timezone);
  add("abbrev_timezone", r.abbrev_timezone);
  add("utc_offset", std::to_string(r.utc_offset));
  add("hops", std::to_string(r.hops));
  add("ver", std::to_string(caps));
  add("ml_capable", r.ml_capable ? "1" : "0");
  add("ml_enabled", r.ml_enabled ? "1" : "0");
  add("mc_version", std::to_string(r.mc_version));
  for (const auto& [name, value] : r.system_info) {
    if (name != kProtocolVersionName) {
      add(SentSystemInfoName(name), value);
    }
  }
  add(kProtocolVersionName, kNetdataProtocolVersion);
  out.append(" HTTP/1.1\r\n")
      .append(kUserAgent)
      .append(": ")
      .append(kNdrelayProgramName)
      .append("/")
      .append(kNdrelayProgramVersion)
      .append("\r\nAccept: */*\r\n\r\n");
  return out;
}

}  // namespace ndrelay::bridge
