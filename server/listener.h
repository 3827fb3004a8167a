#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "asio/ip/tcp.hpp"
#include "asio/local/stream_protocol.hpp"
#include "conf/bind_to.h"
#include "server/io_pool.h"
#include "server/stream.h"
#include "server/tls.h"

namespace ndrelay::server {

// What one `bind to` entry became once bound.
struct ListenerConfig {
  conf::BindTo bind;
  std::string address;  // bound address with the real port: "127.0.0.1:43123" or the unix path
  bool tls_available = false;
  bool force_tls() const { return bind.ssl == conf::BindTo::Ssl::kForce && tls_available; }
};

// Bounds of the port multiplexer, all from [ndrelay] settings.
struct MuxLimits {
  int sniff_timeout_ms = 5000;
  int tls_handshake_timeout_ms = 10000;
  int max_connections = 4096;
};

// Counters of the port multiplexer (what was accepted, routed, refused). Thread-safe.
struct MuxStats {
  std::atomic<uint64_t> accepted{0};
  std::atomic<uint64_t> active{0};
  std::atomic<uint64_t> routed_grpc{0};
  std::atomic<uint64_t> routed_grpc_tls{0};
  std::atomic<uint64_t> routed_stream{0};
  std::atomic<uint64_t> routed_http{0};
  std::atomic<uint64_t> tls_terminated{0};
  std::atomic<uint64_t> rejected_unknown{0};   // no probe matched
  std::atomic<uint64_t> rejected_timeout{0};   // nothing decisive within the time bound
  std::atomic<uint64_t> rejected_too_many{0};  // over max connections
  std::atomic<uint64_t> rejected_no_tls{0};    // TLS offered, none configured
  std::atomic<uint64_t> tls_handshake_errors{0};
};

// Implemented by the daemon: where classified connections go. Called on the connection's IO
// thread.
class ConnectionHandler {
 public:
  virtual ~ConnectionHandler() = default;
  // `fd` is a connected socket whose bytes are untouched; ownership passes. `tls`: it starts with
  // a ClientHello that gRPC must terminate.
  virtual void OnGrpc(int fd, int listener_fd, bool tls, const PeerInfo& peer) = 0;
  // `head`: bytes already read from `s` (non-empty only after our own TLS termination).
  virtual void OnStream(std::unique_ptr<Stream> s, std::string head, const PeerInfo& peer,
                        const ListenerConfig& listener) = 0;
  virtual void OnHttp(std::unique_ptr<Stream> s, std::string head, const PeerInfo& peer,
                      const ListenerConfig& listener) = 0;
  // Called when a connection classified to a route closes (for the active count).
  virtual void OnConnectionDone() {}
};

// Accepts on one `bind to` entry and classifies every connection by peeking at its first bytes
// (design/grpc-same-port.md): TLS (by ALPN to gRPC or to our termination, after which the
// plaintext is classified again), HTTP/2 preface, "STREAM ", HTTP/1.x; anything else, or nothing
// decisive within the byte and time bounds, is closed and counted.
class Listener {
 public:
  static absl::StatusOr<std::unique_ptr<Listener>> Open(const conf::BindTo& bind, IoPool& pool,
                                                        std::shared_ptr<TlsServerContext> tls,
                                                        ConnectionHandler& handler,
                                                        const MuxLimits& limits, MuxStats& stats);
  ~Listener();
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  void Start();
  // Stops accepting and closes the listening socket (posted to its IO thread; waits for it).
  void Close();
  const ListenerConfig& config() const { return config_; }
  int native_fd() const { return fd_; }

 private:
  Listener(IoPool& pool, ConnectionHandler& handler, const MuxLimits& limits, MuxStats& stats);
  void AcceptTcp();
  void AcceptUnix();

  IoPool& pool_;
  ConnectionHandler& handler_;
  MuxLimits limits_;
  MuxStats& stats_;
  std::shared_ptr<TlsServerContext> tls_;
  ListenerConfig config_;
  std::unique_ptr<asio::ip::tcp::acceptor> tcp_;
  std::unique_ptr<asio::local::stream_protocol::acceptor> unix_;
  int fd_ = -1;
};

}  // namespace ndrelay::server
