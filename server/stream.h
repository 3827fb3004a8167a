#pragma once

#include <memory>
#include <string>
#include <utility>
#include <variant>

#include "asio/ip/tcp.hpp"
#include "asio/local/stream_protocol.hpp"
#include "asio/ssl/stream.hpp"

namespace ndrelay::server {

// Who is on the other end, for log lines: "[127.0.0.1]:41234".
struct PeerInfo {
  std::string ip;  // "127.0.0.1", "::1", or "unix"
  int port = 0;
  bool encrypted = false;
  bool is_unix = false;
  std::string listener;  // the listener's address text
  std::string Describe() const { return "[" + ip + "]:" + std::to_string(port); }
};

// A byte stream our own handlers (HTTP, Netdata STREAM) read and write: plain TCP, TLS over TCP,
// or a unix socket. Non-copyable; lives on one io_context.
class Stream {
 public:
  using Tcp = asio::ip::tcp::socket;
  using Tls = asio::ssl::stream<asio::ip::tcp::socket>;
  using Unix = asio::local::stream_protocol::socket;

  explicit Stream(Tcp s) : s_(std::in_place_type<Tcp>, std::move(s)) {}
  explicit Stream(std::unique_ptr<Tls> s) : s_(std::move(s)) {}
  explicit Stream(Unix s) : s_(std::in_place_type<Unix>, std::move(s)) {}
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;

  template <typename Buffers, typename Handler>
  void AsyncReadSome(const Buffers& b, Handler&& h) {
    std::visit([&](auto& s) { Deref(s).async_read_some(b, std::forward<Handler>(h)); }, s_);
  }
  template <typename Buffers, typename Handler>
  void AsyncWriteSome(const Buffers& b, Handler&& h) {
    std::visit([&](auto& s) { Deref(s).async_write_some(b, std::forward<Handler>(h)); }, s_);
  }
  // The socket underneath (for options, shutdown and close).
  int native_fd() {
    return std::visit([](auto& s) { return static_cast<int>(Lowest(Deref(s)).native_handle()); },
                      s_);
  }
  void Close() {
    std::visit(
        [](auto& s) {
          asio::error_code ec;
          Lowest(Deref(s)).shutdown(asio::socket_base::shutdown_both, ec);
          Lowest(Deref(s)).close(ec);
        },
        s_);
  }
  asio::any_io_executor executor() {
    return std::visit([](auto& s) { return asio::any_io_executor(Deref(s).get_executor()); }, s_);
  }

 private:
  template <typename T>
  static T& Deref(T& s) {
    return s;
  }
  template <typename T>
  static T& Deref(std::unique_ptr<T>& s) {
    return *s;
  }
  static Tcp& Lowest(Tcp& s) { return s; }
  static Unix& Lowest(Unix& s) { return s; }
  static Tcp& Lowest(Tls& s) { return s.next_layer(); }

  std::variant<Tcp, std::unique_ptr<Tls>, Unix> s_;
};

}  // namespace ndrelay::server
