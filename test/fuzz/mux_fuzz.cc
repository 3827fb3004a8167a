// Fuzzes the port multiplexer's decisions: the probe table and the TLS ClientHello parser, on
// every prefix of the input (a connection's first bytes arrive in pieces).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "server/mux.h"
#include "server/tls_hello.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view all(reinterpret_cast<const char*>(data), size);
  bool matched = false;
  ndrelay::server::Route route = ndrelay::server::Route::kHttp;
  for (size_t n = 0; n <= all.size() && n <= 64; ++n) {
    auto c = ndrelay::server::Classify(all.substr(0, n));
    if (c.sniff == ndrelay::bridge::Sniff::kMatch) {
      // Once decided, more bytes never change the route.
      if (matched && c.route != route) {
        std::abort();
      }
      matched = true;
      route = c.route;
    } else if (matched) {
      std::abort();
    }
  }
  ndrelay::server::ClientHello hello;
  ndrelay::server::ParseClientHello(all, &hello);
  for (const auto& p : hello.alpn) {
    if (p.empty() || p.size() > 255) {
      std::abort();
    }
  }
  return 0;
}
