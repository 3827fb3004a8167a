#include "server/mux.h"

#include "bridge/stream_request.h"

namespace ndrelay::server {
namespace {

using bridge::Sniff;

// Compares `head` against `magic` on their common prefix.
Sniff MatchPrefix(std::string_view head, std::string_view magic) {
  const size_t n = head.size() < magic.size() ? head.size() : magic.size();
  if (head.substr(0, n) != magic.substr(0, n)) {
    return Sniff::kNoMatch;
  }
  return n == magic.size() ? Sniff::kMatch : Sniff::kNeedMore;
}

Sniff MatchTlsRecord(std::string_view head) {
  // A handshake record (0x16) of TLS 1.0..1.3 (legacy version major 3).
  return MatchPrefix(head, std::string_view("\x16\x03", 2));
}

Sniff MatchH2Preface(std::string_view head) {
  return MatchPrefix(head, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
}

Sniff MatchHttp1(std::string_view head) {
  static constexpr std::string_view kMethods[] = {"GET ",    "HEAD ",    "POST ", "PUT ",
                                                  "DELETE ", "OPTIONS ", "PATCH "};
  Sniff best = Sniff::kNoMatch;
  for (std::string_view m : kMethods) {
    Sniff s = MatchPrefix(head, m);
    if (s == Sniff::kMatch) {
      return s;
    }
    if (s == Sniff::kNeedMore) {
      best = s;
    }
  }
  return best;
}

struct Probe {
  std::string_view name;
  Sniff (*match)(std::string_view head);
  Route route;
};

constexpr Probe kProbes[] = {
    {"tls", MatchTlsRecord, Route::kTls},
    {"h2", MatchH2Preface, Route::kGrpc},
    {"stream", bridge::MatchStreamRequest, Route::kStream},
    {"http", MatchHttp1, Route::kHttp},
};

}  // namespace

std::string_view RouteName(Route route) {
  switch (route) {
    case Route::kTls:
      return "tls";
    case Route::kGrpc:
      return "grpc";
    case Route::kStream:
      return "stream";
    case Route::kHttp:
      return "http";
  }
  return "?";
}

Classification Classify(std::string_view head, bool allow_tls) {
  bool need_more = false;
  for (const Probe& p : kProbes) {
    if (!allow_tls && p.route == Route::kTls) {
      continue;
    }
    switch (p.match(head)) {
      case Sniff::kMatch:
        return {Sniff::kMatch, p.route};
      case Sniff::kNeedMore:
        need_more = true;
        break;
      case Sniff::kNoMatch:
        break;
    }
  }
  if (need_more && head.size() < kMaxSniffBytes) {
    return {Sniff::kNeedMore};
  }
  return {Sniff::kNoMatch};
}

}  // namespace ndrelay::server
