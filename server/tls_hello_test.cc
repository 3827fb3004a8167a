#include "server/tls_hello.h"

#include <openssl/ssl.h>

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace ndrelay::server {
namespace {

// A real ClientHello, produced by OpenSSL's client into a memory BIO.
std::string MakeClientHello(const std::vector<std::string>& alpn, const char* sni) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  SSL* ssl = SSL_new(ctx);
  BIO* rbio = BIO_new(BIO_s_mem());
  BIO* wbio = BIO_new(BIO_s_mem());
  SSL_set_bio(ssl, rbio, wbio);
  if (!alpn.empty()) {
    std::string wire;
    for (const auto& p : alpn) {
      wire.push_back(static_cast<char>(p.size()));
      wire += p;
    }
    SSL_set_alpn_protos(ssl, reinterpret_cast<const unsigned char*>(wire.data()),
                        static_cast<unsigned>(wire.size()));
  }
  if (sni) {
    SSL_set_tlsext_host_name(ssl, sni);
  }
  SSL_set_connect_state(ssl);
  SSL_do_handshake(ssl);  // wants to read: the ClientHello is in wbio
  std::string out;
  char buf[4096];
  int n;
  while ((n = BIO_read(wbio, buf, sizeof(buf))) > 0) {
    out.append(buf, static_cast<size_t>(n));
  }
  SSL_free(ssl);
  SSL_CTX_free(ctx);
  return out;
}

TEST(TlsHelloTest, ReadsAlpnAndSniFromARealClientHello) {
  const std::string hello = MakeClientHello({"h2", "http/1.1"}, "localhost");
  ASSERT_GT(hello.size(), 50u);
  ClientHello out;
  ASSERT_EQ(ParseClientHello(hello, &out), HelloParse::kDone);
  EXPECT_EQ(out.alpn, (std::vector<std::string>{"h2", "http/1.1"}));
  EXPECT_EQ(out.sni, "localhost");
}

TEST(TlsHelloTest, NoAlpnNoSni) {
  ClientHello out;
  out.alpn = {"stale"};
  ASSERT_EQ(ParseClientHello(MakeClientHello({}, nullptr), &out), HelloParse::kDone);
  EXPECT_TRUE(out.alpn.empty());
  EXPECT_TRUE(out.sni.empty());
}

TEST(TlsHelloTest, EveryPrefixNeedsMoreAndNeverReadsPastTheEnd) {
  const std::string hello = MakeClientHello({"h2"}, "example.test");
  for (size_t n = 0; n < hello.size(); ++n) {
    // A heap copy of exactly n bytes so ASan catches an over-read.
    std::vector<char> prefix(hello.begin(), hello.begin() + static_cast<ptrdiff_t>(n));
    ClientHello out;
    EXPECT_EQ(ParseClientHello(std::string_view(prefix.data(), n), &out), HelloParse::kNeedMore)
        << "at " << n;
  }
}

TEST(TlsHelloTest, HandshakeSplitAcrossTwoRecords) {
  const std::string hello = MakeClientHello({"h2"}, nullptr);
  // Re-frame the handshake message into two records.
  const std::string msg = hello.substr(5);
  const size_t cut = 40;
  auto record = [](std::string_view body) {
    std::string r = {'\x16', '\x03', '\x01', static_cast<char>(body.size() >> 8),
                     static_cast<char>(body.size() & 0xff)};
    r.append(body);
    return r;
  };
  const std::string two =
      record(std::string_view(msg).substr(0, cut)) + record(std::string_view(msg).substr(cut));
  ClientHello out;
  ASSERT_EQ(ParseClientHello(two, &out), HelloParse::kDone);
  EXPECT_EQ(out.alpn, std::vector<std::string>{"h2"});
  ClientHello partial;
  EXPECT_EQ(ParseClientHello(std::string_view(two).substr(0, cut + 5 + 3), &partial),
            HelloParse::kNeedMore);
}

TEST(TlsHelloTest, RejectsWhatIsNotAClientHello) {
  ClientHello out;
  EXPECT_EQ(ParseClientHello("GET / HTTP/1.1\r\n\r\n", &out), HelloParse::kNotHello);
  EXPECT_EQ(ParseClientHello(std::string("\x16\x03\x01\x00\x05\x02\x00\x00\x01\x00", 10), &out),
            HelloParse::kNotHello);  // ServerHello type
  EXPECT_EQ(ParseClientHello(std::string("\x16\x03\x01\x00\x00", 5), &out),
            HelloParse::kNotHello);  // empty record
  // A ClientHello whose extension length runs past the message.
  std::string bad = MakeClientHello({"h2"}, nullptr);
  bad[bad.size() - 1] ^= 0x55;
  bad.resize(bad.size());
  HelloParse r = ParseClientHello(bad, &out);
  EXPECT_TRUE(r == HelloParse::kDone || r == HelloParse::kNotHello);
}

}  // namespace
}  // namespace ndrelay::server
