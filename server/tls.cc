#include "server/tls.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <fstream>
#include <sstream>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace ndrelay::server {
namespace {

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(absl::StrCat("cannot read '", path, "'"));
  }
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string OpenSslError() {
  unsigned long e = ERR_get_error();
  char buf[256];
  ERR_error_string_n(e, buf, sizeof(buf));
  return buf;
}

// Picks http/1.1 when offered, else h2 (a client offering both prefers HTTP/1.1 JSON from us);
// offers nothing when the client wants neither.
int SelectAlpn(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
               unsigned int inlen, void*) {
  static const unsigned char kPrefs[] = "\x08http/1.1\x02h2";
  unsigned char* selected = nullptr;
  if (SSL_select_next_proto(&selected, outlen, kPrefs, sizeof(kPrefs) - 1, in, inlen) !=
      OPENSSL_NPN_NEGOTIATED) {
    return SSL_TLSEXT_ERR_NOACK;
  }
  *out = selected;
  return SSL_TLSEXT_ERR_OK;
}

}  // namespace

absl::StatusOr<std::shared_ptr<TlsServerContext>> TlsServerContext::Load(
    const std::string& key_file, const std::string& cert_file) {
  auto key = ReadFile(key_file);
  if (!key.ok()) {
    return key.status();
  }
  auto cert = ReadFile(cert_file);
  if (!cert.ok()) {
    return cert.status();
  }
  std::shared_ptr<TlsServerContext> t(new TlsServerContext());
  SSL_CTX* ctx = t->ctx_.native_handle();
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  if (SSL_CTX_use_certificate_chain_file(ctx, cert_file.c_str()) != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("ssl certificate '", cert_file, "': ", OpenSslError()));
  }
  if (SSL_CTX_use_PrivateKey_file(ctx, key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    return absl::InvalidArgumentError(absl::StrCat("ssl key '", key_file, "': ", OpenSslError()));
  }
  if (SSL_CTX_check_private_key(ctx) != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("ssl key '", key_file, "' does not match '", cert_file, "'"));
  }
  SSL_CTX_set_alpn_select_cb(ctx, SelectAlpn, nullptr);
  t->key_pem_ = *std::move(key);
  t->cert_pem_ = *std::move(cert);
  return t;
}

}  // namespace ndrelay::server
