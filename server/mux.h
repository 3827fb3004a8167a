#pragma once

#include <cstddef>
#include <string_view>

#include "bridge/sniff.h"

namespace ndrelay::server {

// Where a new connection goes, decided from its first bytes (design/grpc-same-port.md).
enum class Route {
  kTls,     // TLS ClientHello: route by ALPN, then (our termination) classify the plaintext again
  kGrpc,    // HTTP/2 connection preface: hand the socket to gRPC
  kStream,  // "STREAM ": a Netdata child's handshake, to the bridge
  kHttp,    // another HTTP/1.x request: our small HTTP/JSON handler
};

std::string_view RouteName(Route route);

struct Classification {
  bridge::Sniff sniff;  // kMatch: `route` is set; kNeedMore: peek more; kNoMatch: close
  Route route = Route::kHttp;
};

// Longest prefix any plaintext probe needs (the HTTP/2 preface). A connection still undecided
// after this many bytes is closed.
constexpr size_t kMaxSniffBytes = 24;

// Runs the probe table on `head`. Decides on a partial prefix where possible: a probe says no as
// soon as one byte differs. `allow_tls` is false on already-decrypted bytes.
Classification Classify(std::string_view head, bool allow_tls = true);

}  // namespace ndrelay::server
