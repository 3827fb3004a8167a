#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "asio/ssl/context.hpp"

namespace ndrelay::server {

// The server side TLS configuration from `[web] ssl key` / `ssl certificate`: an OpenSSL context
// for the connections we terminate ourselves (Netdata children, HTTPS), plus the PEM text for
// gRPC's own TLS (h2-only ALPN goes to gRPC). ALPN: http/1.1 is preferred over h2 so that HTTPS
// JSON requests from curl/browsers land in our HTTP handler. Immutable after Load; thread-safe.
class TlsServerContext {
 public:
  static absl::StatusOr<std::shared_ptr<TlsServerContext>> Load(const std::string& key_file,
                                                                const std::string& cert_file);
  asio::ssl::context& context() { return ctx_; }
  const std::string& key_pem() const { return key_pem_; }
  const std::string& cert_pem() const { return cert_pem_; }

 private:
  TlsServerContext() : ctx_(asio::ssl::context::tls_server) {}
  asio::ssl::context ctx_;
  std::string key_pem_;
  std::string cert_pem_;
};

}  // namespace ndrelay::server
