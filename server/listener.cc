#include "server/listener.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <future>
#include <string_view>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "asio/ip/v6_only.hpp"
#include "asio/post.hpp"
#include "asio/steady_timer.hpp"
#include "server/log.h"
#include "server/mux.h"
#include "server/tls_hello.h"

namespace ndrelay::server {
namespace {

constexpr std::string_view kComponent = "LISTENER";
// When a peek shows no new bytes (a socket type whose poll ignores SO_RCVLOWAT), wait this long
// before looking again instead of spinning.
constexpr int kRepeekDelayMs = 5;

void SetRcvLowat(int fd, int n) { ::setsockopt(fd, SOL_SOCKET, SO_RCVLOWAT, &n, sizeof(n)); }

std::string EndpointIp(const asio::ip::address& a) {
  if (a.is_v6() && a.to_v6().is_v4_mapped()) {
    return asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6()).to_string();
  }
  return a.to_string();
}

// Classifies one accepted connection. Owns the socket until it routes or closes it. Lives on the
// connection's io_context; every handler runs there.
template <typename Socket>
class Sniffer : public std::enable_shared_from_this<Sniffer<Socket>> {
 public:
  Sniffer(Socket socket, PeerInfo peer, const ListenerConfig& listener, int listener_fd,
          std::shared_ptr<TlsServerContext> tls, ConnectionHandler& handler,
          const MuxLimits& limits, MuxStats& stats)
      : socket_(std::move(socket)),
        timer_(socket_.get_executor()),
        peer_(std::move(peer)),
        listener_(listener),
        listener_fd_(listener_fd),
        tls_(std::move(tls)),
        handler_(handler),
        limits_(limits),
        stats_(stats) {}

  void Start() {
    timer_.expires_after(std::chrono::milliseconds(limits_.sniff_timeout_ms));
    timer_.async_wait([self = this->shared_from_this()](const asio::error_code& ec) {
      if (!ec && !self->done_) {
        self->stats_.rejected_timeout++;
        NDR_LOG_INFO(kComponent, "%s on %s: nothing decisive within %d ms (%zu bytes), closing",
                     self->peer_.Describe(), self->listener_.address,
                     self->limits_.sniff_timeout_ms, self->last_peek_);
        self->Reject();
      }
    });
    Wait();
  }

 private:
  void Wait() {
    socket_.async_wait(Socket::wait_read,
                       [self = this->shared_from_this()](const asio::error_code& ec) {
                         if (!ec && !self->done_) {
                           self->OnReadable();
                         }
                       });
  }

  void WaitLater() {
    // Reuses a second timer so the deadline timer keeps running.
    auto t = std::make_shared<asio::steady_timer>(socket_.get_executor());
    t->expires_after(std::chrono::milliseconds(kRepeekDelayMs));
    t->async_wait([self = this->shared_from_this(), t](const asio::error_code& ec) {
      if (!ec && !self->done_) {
        self->Wait();
      }
    });
  }

  void OnReadable() {
    const int fd = socket_.native_handle();
    const size_t want = tls_mode_ ? kMaxClientHelloBytes : kMaxSniffBytes;
    buf_.resize(want);
    ssize_t n = ::recv(fd, buf_.data(), want, MSG_PEEK | MSG_DONTWAIT);
    if (n == 0) {
      done_ = true;  // closed before saying anything decisive
      Close();
      return;
    }
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
        Wait();
        return;
      }
      done_ = true;
      Close();
      return;
    }
    const bool progress = static_cast<size_t>(n) > last_peek_;
    last_peek_ = static_cast<size_t>(n);
    std::string_view head(buf_.data(), static_cast<size_t>(n));
    if (!tls_mode_) {
      Classification c = Classify(head, /*allow_tls=*/!peer_.is_unix);
      if (c.sniff == bridge::Sniff::kNeedMore) {
        NeedMore(fd, n, progress);
        return;
      }
      if (c.sniff == bridge::Sniff::kNoMatch) {
        stats_.rejected_unknown++;
        NDR_LOG_INFO(kComponent, "%s on %s: unknown protocol (first bytes %s), closing",
                     peer_.Describe(), listener_.address, Printable(head));
        Reject();
        return;
      }
      if (c.route != Route::kTls) {
        Dispatch(c.route);
        return;
      }
      if (!tls_) {
        stats_.rejected_no_tls++;
        NDR_LOG_INFO(kComponent,
                     "%s on %s: TLS ClientHello but no [web] ssl key/ssl certificate configured, "
                     "closing",
                     peer_.Describe(), listener_.address);
        Reject();
        return;
      }
      tls_mode_ = true;
      OnReadable();  // peek again with the larger bound
      return;
    }
    ClientHello hello;
    switch (ParseClientHello(head, &hello)) {
      case HelloParse::kNeedMore:
        NeedMore(fd, n, progress);
        return;
      case HelloParse::kNotHello:
        TerminateTls();  // let OpenSSL judge it
        return;
      case HelloParse::kDone:
        break;
    }
    bool h2 = false, http1 = false;
    for (const std::string& p : hello.alpn) {
      h2 |= p == "h2";
      http1 |= p == "http/1.1";
    }
    if (h2 && !http1) {
      Dispatch(Route::kGrpc, /*tls=*/true);
    } else {
      TerminateTls();
    }
  }

  void NeedMore(int fd, ssize_t n, bool progress) {
    SetRcvLowat(fd, static_cast<int>(n) + 1);
    if (progress) {
      Wait();
    } else {
      WaitLater();
    }
  }

  void Dispatch(Route route, bool tls = false) {
    done_ = true;
    timer_.cancel();
    const int fd = socket_.native_handle();
    SetRcvLowat(fd, 1);
    switch (route) {
      case Route::kGrpc: {
        (tls ? stats_.routed_grpc_tls : stats_.routed_grpc)++;
        stats_.active--;
        asio::error_code ec;
        int raw = socket_.release(ec);
        if (ec) {
          Close();
          return;
        }
        handler_.OnGrpc(raw, listener_fd_, tls, peer_);
        return;
      }
      case Route::kStream:
      case Route::kHttp:
        Hand(route, std::make_unique<Stream>(std::move(socket_)), std::string());
        return;
      case Route::kTls:
        return;  // not reached: TLS is handled by TerminateTls
    }
  }

  void Hand(Route route, std::unique_ptr<Stream> s, std::string head) {
    if (route == Route::kStream) {
      stats_.routed_stream++;
      handler_.OnStream(std::move(s), std::move(head), peer_, listener_);
    } else {
      stats_.routed_http++;
      handler_.OnHttp(std::move(s), std::move(head), peer_, listener_);
    }
  }

  void TerminateTls() {
    if constexpr (std::is_same_v<Socket, asio::ip::tcp::socket>) {
      SetRcvLowat(socket_.native_handle(), 1);
      tls_stream_ = std::make_unique<Stream::Tls>(std::move(socket_), tls_->context());
      // The sniff deadline keeps running; the handshake gets its own, longer bound.
      timer_.cancel();
      timer_.expires_after(std::chrono::milliseconds(limits_.tls_handshake_timeout_ms));
      timer_.async_wait([self = this->shared_from_this()](const asio::error_code& ec) {
        if (!ec && !self->done_) {
          self->stats_.rejected_timeout++;
          NDR_LOG_INFO(kComponent, "%s on %s: TLS handshake or first request not done in %d ms",
                       self->peer_.Describe(), self->listener_.address,
                       self->limits_.tls_handshake_timeout_ms);
          self->Reject();
        }
      });
      tls_stream_->async_handshake(
          asio::ssl::stream_base::server,
          [self = this->shared_from_this()](const asio::error_code& ec) {
            if (self->done_) {
              return;
            }
            if (ec) {
              self->stats_.tls_handshake_errors++;
              NDR_LOG_INFO(kComponent, "%s on %s: TLS handshake failed: %s", self->peer_.Describe(),
                           self->listener_.address, ec.message());
              self->Reject();
              return;
            }
            self->stats_.tls_terminated++;
            self->peer_.encrypted = true;
            self->ReadPlain();
          });
    }
  }

  void ReadPlain() {
    plain_.resize(kMaxSniffBytes);
    tls_stream_->async_read_some(
        asio::buffer(plain_.data() + plain_len_, kMaxSniffBytes - plain_len_),
        [self = this->shared_from_this()](const asio::error_code& ec, size_t n) {
          if (self->done_) {
            return;
          }
          if (ec) {
            self->done_ = true;
            self->Close();
            return;
          }
          self->plain_len_ += n;
          std::string_view head(self->plain_.data(), self->plain_len_);
          Classification c = Classify(head, /*allow_tls=*/false);
          if (c.sniff == bridge::Sniff::kNeedMore) {
            self->ReadPlain();
            return;
          }
          if (c.sniff == bridge::Sniff::kNoMatch || c.route == Route::kGrpc) {
            self->stats_.rejected_unknown++;
            NDR_LOG_INFO(kComponent, "%s on %s: unknown protocol inside TLS%s, closing",
                         self->peer_.Describe(), self->listener_.address,
                         c.route == Route::kGrpc ? " (HTTP/2 without ALPN h2)" : "");
            self->Reject();
            return;
          }
          self->done_ = true;
          self->timer_.cancel();
          self->Hand(c.route, std::make_unique<Stream>(std::move(self->tls_stream_)),
                     std::string(head));
        });
  }

  void Reject() {
    done_ = true;
    timer_.cancel();
    Close();
  }

  void Close() {
    asio::error_code ec;
    if (tls_stream_) {
      tls_stream_->next_layer().close(ec);
    } else {
      socket_.close(ec);
    }
    stats_.active--;
  }

  static std::string Printable(std::string_view head) {
    std::string out;
    for (unsigned char c : head.substr(0, 16)) {
      if (c >= 0x20 && c < 0x7f) {
        out.push_back(static_cast<char>(c));
      } else {
        absl::StrAppend(&out, "\\x", absl::Hex(c, absl::kZeroPad2));
      }
    }
    return "'" + out + "'";
  }

  Socket socket_;
  asio::steady_timer timer_;
  PeerInfo peer_;
  const ListenerConfig& listener_;
  int listener_fd_;
  std::shared_ptr<TlsServerContext> tls_;
  ConnectionHandler& handler_;
  const MuxLimits& limits_;
  MuxStats& stats_;
  std::string buf_;
  size_t last_peek_ = 0;
  bool tls_mode_ = false;
  bool done_ = false;
  std::unique_ptr<Stream::Tls> tls_stream_;
  std::string plain_;
  size_t plain_len_ = 0;
};

}  // namespace

Listener::Listener(IoPool& pool, ConnectionHandler& handler, const MuxLimits& limits,
                   MuxStats& stats)
    : pool_(pool), handler_(handler), limits_(limits), stats_(stats) {}

Listener::~Listener() { Close(); }

absl::StatusOr<std::unique_ptr<Listener>> Listener::Open(const conf::BindTo& bind, IoPool& pool,
                                                         std::shared_ptr<TlsServerContext> tls,
                                                         ConnectionHandler& handler,
                                                         const MuxLimits& limits, MuxStats& stats) {
  std::unique_ptr<Listener> l(new Listener(pool, handler, limits, stats));
  l->config_.bind = bind;
  asio::error_code ec;
  if (bind.is_unix) {
    std::error_code fs_ec;
    std::filesystem::remove(bind.path, fs_ec);  // a stale socket file from a previous run
    l->unix_ = std::make_unique<asio::local::stream_protocol::acceptor>(pool.Main());
    asio::local::stream_protocol::endpoint ep(bind.path);
    l->unix_->open(ep.protocol(), ec);
    if (!ec) {
      l->unix_->bind(ep, ec);
    }
    if (!ec) {
      l->unix_->listen(asio::socket_base::max_listen_connections, ec);
    }
    if (ec) {
      return absl::UnavailableError(
          absl::StrCat("cannot listen on unix:", bind.path, ": ", ec.message()));
    }
    l->fd_ = l->unix_->native_handle();
    l->config_.address = "unix:" + bind.path;
    return l;
  }
  asio::ip::address addr;
  if (bind.host.empty() || bind.host == "*") {
    addr = asio::ip::address_v6::any();
  } else {
    std::string host = bind.host;
    if (!bind.interface.empty()) {
      host += "%" + bind.interface;
    }
    if (host == "localhost") {
      host = "127.0.0.1";
    }
    addr = asio::ip::make_address(host, ec);
    if (ec) {
      return absl::InvalidArgumentError(
          absl::StrCat("bind to '", bind.text, "': '", bind.host, "' is not an IP address"));
    }
  }
  asio::ip::tcp::endpoint ep(addr, bind.port);
  l->tcp_ = std::make_unique<asio::ip::tcp::acceptor>(pool.Main());
  l->tcp_->open(ep.protocol(), ec);
  if (!ec && addr.is_v6()) {
    l->tcp_->set_option(asio::ip::v6_only(false), ec);
    ec.clear();
  }
  if (!ec) {
    l->tcp_->set_option(asio::socket_base::reuse_address(true), ec);
  }
  if (!ec) {
    l->tcp_->bind(ep, ec);
  }
  if (!ec) {
    l->tcp_->listen(asio::socket_base::max_listen_connections, ec);
  }
  if (ec) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", bind.text, ": ", ec.message()));
  }
  l->fd_ = l->tcp_->native_handle();
  auto local = l->tcp_->local_endpoint(ec);
  l->config_.address = local.address().is_v6()
                           ? absl::StrCat("[", local.address().to_string(), "]:", local.port())
                           : absl::StrCat(local.address().to_string(), ":", local.port());
  l->config_.tls_available = tls != nullptr;
  l->tls_ = std::move(tls);
  return l;
}

void Listener::Start() {
  NDR_LOG_INFO(kComponent, "listening on %s%s%s", config_.address,
               config_.tls_available ? " (TLS available)" : "",
               config_.force_tls() ? " (TLS forced)" : "");
  if (tcp_) {
    AcceptTcp();
  } else {
    AcceptUnix();
  }
}

void Listener::AcceptTcp() {
  tcp_->async_accept(
      pool_.Next(), [this](const asio::error_code& ec, asio::ip::tcp::socket socket) {
        if (ec == asio::error::operation_aborted || !tcp_ || !tcp_->is_open()) {
          return;
        }
        if (!ec) {
          stats_.accepted++;
          if (static_cast<int64_t>(stats_.active.load()) >= limits_.max_connections) {
            stats_.rejected_too_many++;
            NDR_LOG_WARN(kComponent,
                         "too many connections (%d, [ndrelay] max connections): closing one",
                         limits_.max_connections);
            socket.close();
          } else {
            stats_.active++;
            PeerInfo peer;
            asio::error_code rec;
            auto remote = socket.remote_endpoint(rec);
            peer.ip = EndpointIp(remote.address());
            peer.port = remote.port();
            peer.listener = config_.address;
            socket.non_blocking(true, rec);
            socket.set_option(asio::ip::tcp::no_delay(true), rec);
            auto exec = socket.get_executor();
            auto sniffer = std::make_shared<Sniffer<asio::ip::tcp::socket>>(
                std::move(socket), std::move(peer), config_, fd_, tls_, handler_, limits_, stats_);
            asio::post(exec, [sniffer] { sniffer->Start(); });
          }
        } else {
          NDR_LOG_ERROR(kComponent, "accept on %s failed: %s", config_.address, ec.message());
        }
        AcceptTcp();
      });
}

void Listener::AcceptUnix() {
  unix_->async_accept(pool_.Next(), [this](const asio::error_code& ec,
                                           asio::local::stream_protocol::socket socket) {
    if (ec == asio::error::operation_aborted || !unix_ || !unix_->is_open()) {
      return;
    }
    if (!ec) {
      stats_.accepted++;
      if (static_cast<int64_t>(stats_.active.load()) >= limits_.max_connections) {
        stats_.rejected_too_many++;
        socket.close();
      } else {
        stats_.active++;
        PeerInfo peer;
        peer.ip = "unix";
        peer.is_unix = true;
        peer.listener = config_.address;
        asio::error_code rec;
        socket.non_blocking(true, rec);
        auto exec = socket.get_executor();
        auto sniffer = std::make_shared<Sniffer<asio::local::stream_protocol::socket>>(
            std::move(socket), std::move(peer), config_, fd_, nullptr, handler_, limits_, stats_);
        asio::post(exec, [sniffer] { sniffer->Start(); });
      }
    }
    AcceptUnix();
  });
}

void Listener::Close() {
  if (!tcp_ && !unix_) {
    return;
  }
  std::promise<void> done;
  asio::post(pool_.Main(), [this, &done] {
    asio::error_code ec;
    if (tcp_) {
      tcp_->close(ec);
    }
    if (unix_) {
      unix_->close(ec);
      std::filesystem::remove(config_.bind.path, ec);
    }
    done.set_value();
  });
  if (pool_.Main().stopped()) {
    return;
  }
  done.get_future().wait_for(std::chrono::seconds(5));
}

}  // namespace ndrelay::server
