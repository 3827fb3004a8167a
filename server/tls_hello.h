#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace ndrelay::server {

// The parts of a TLS ClientHello the port multiplexer routes on (envoy's tls_inspector does the
// same). Only reads [bytes, bytes + size): never past the end.
struct ClientHello {
  std::vector<std::string> alpn;  // protocols the client offers, in its order
  std::string sni;
};

enum class HelloParse {
  kNeedMore,  // a prefix of a ClientHello: peek more bytes
  kDone,      // `out` is filled
  kNotHello,  // not a TLS handshake record carrying a ClientHello, or malformed
};

// Longest ClientHello we wait for (it may span several records); a longer one is not routed by
// ALPN but still terminated by OpenSSL.
constexpr size_t kMaxClientHelloBytes = 16384 + 5;

HelloParse ParseClientHello(std::string_view bytes, ClientHello* out);

}  // namespace ndrelay::server
