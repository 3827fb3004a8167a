#include "server/http.h"

#include <charconv>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "asio/steady_timer.hpp"
#include "asio/write.hpp"
#include "server/log.h"
#include "server/relay_info.h"

namespace ndrelay::server {
namespace {

constexpr std::string_view kComponent = "WEB";

// Debian's abseil has its own string_view type, so these stay on std::string_view.
bool IEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (size_t i = 0; i < a.size(); ++i) {
    if (absl::ascii_tolower(static_cast<unsigned char>(a[i])) !=
        absl::ascii_tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

std::string_view StatusText(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 301:
      return "Moved Permanently";
    case 400:
      return "Bad Request";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 413:
      return "Payload Too Large";
    case 503:
      return "Service Unavailable";
    default:
      return "Unknown";
  }
}

HttpResponse ErrorJson(int status, std::string_view message) {
  HttpResponse r;
  r.status = status;
  r.body = absl::StrCat("{\"status\":", status, ",\"error\":\"", JsonEscape(message), "\"}\n");
  return r;
}

class HttpSession : public std::enable_shared_from_this<HttpSession> {
 public:
  HttpSession(std::unique_ptr<Stream> stream, std::string head, const PeerInfo& peer,
              const ListenerConfig& listener, const HttpRouter& router, size_t max_request,
              int idle_timeout_ms, std::function<void()> on_done)
      : stream_(std::move(stream)),
        timer_(stream_->executor()),
        buf_(std::move(head)),
        peer_(peer),
        listener_(listener),
        router_(router),
        max_request_(max_request),
        idle_timeout_ms_(idle_timeout_ms),
        on_done_(std::move(on_done)) {}

  ~HttpSession() {
    stream_->Close();
    if (on_done_) {
      on_done_();
    }
  }

  void Start() { Process(); }

 private:
  void Arm() {
    timer_.expires_after(std::chrono::milliseconds(idle_timeout_ms_));
    timer_.async_wait([weak = weak_from_this()](const asio::error_code& ec) {
      if (auto self = weak.lock(); self && !ec) {
        self->stream_->Close();
      }
    });
  }

  void Process() {
    HttpRequest req;
    size_t head_len = 0, content_length = 0;
    bool keep_alive = true;
    switch (ParseHttpRequest(buf_, &req, &head_len, &keep_alive, &content_length)) {
      case HttpParse::kNeedMore:
        if (buf_.size() >= max_request_) {
          NDR_LOG_INFO(kComponent,
                       "%s: request over %zu bytes ([ndrelay] max http request "
                       "bytes), answering 400",
                       peer_.Describe(), max_request_);
          Reply(ErrorJson(400, "request too large"), false);
          return;
        }
        Read();
        return;
      case HttpParse::kBad:
        NDR_LOG_INFO(kComponent, "%s: malformed HTTP request, answering 400", peer_.Describe());
        Reply(ErrorJson(400, "malformed request"), false);
        return;
      case HttpParse::kDone:
        break;
    }
    if (content_length > 0) {
      // No endpoint takes a body yet.
      Reply(ErrorJson(content_length + head_len > max_request_ ? 413 : 405,
                      "request bodies are not accepted"),
            false);
      return;
    }
    HttpResponse resp;
    if (listener_.force_tls() && !peer_.encrypted) {
      resp.status = 301;
      resp.headers.emplace_back(
          "Location",
          absl::StrCat(
              "https://", req.host.empty() ? std::string("localhost") : std::string(req.host),
              std::string(req.path), req.query.empty() ? "" : "?", std::string(req.query)));
      resp.body = "{\"status\":301,\"error\":\"this listener requires TLS\"}\n";
      keep_alive = false;
    } else {
      resp = router_(req);
    }
    buf_.erase(0, head_len);
    Reply(std::move(resp), keep_alive);
  }

  void Read() {
    Arm();
    const size_t old = buf_.size();
    const size_t room = std::min<size_t>(4096, max_request_ + 1 - old);
    buf_.resize(old + room);
    stream_->AsyncReadSome(asio::buffer(buf_.data() + old, room),
                           [self = shared_from_this(), old](const asio::error_code& ec, size_t n) {
                             self->timer_.cancel();
                             self->buf_.resize(old + n);
                             if (ec) {
                               return;  // closed or timed out: the session ends
                             }
                             self->Process();
                           });
  }

  void Reply(HttpResponse resp, bool keep_alive) {
    out_ = RenderHttpResponse(resp, keep_alive);
    Arm();
    WriteMore(0, keep_alive);
  }

  void WriteMore(size_t off, bool keep_alive) {
    stream_->AsyncWriteSome(
        asio::buffer(out_.data() + off, out_.size() - off),
        [self = shared_from_this(), off, keep_alive](const asio::error_code& ec, size_t n) {
          if (ec) {
            self->timer_.cancel();
            return;
          }
          if (off + n < self->out_.size()) {
            self->WriteMore(off + n, keep_alive);
            return;
          }
          self->timer_.cancel();
          if (keep_alive) {
            self->Process();
          }
        });
  }

  std::unique_ptr<Stream> stream_;
  asio::steady_timer timer_;
  std::string buf_;
  std::string out_;
  PeerInfo peer_;
  const ListenerConfig& listener_;
  const HttpRouter& router_;
  size_t max_request_;
  int idle_timeout_ms_;
  std::function<void()> on_done_;
};

}  // namespace

std::string JsonEscape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          absl::StrAppendFormat(&out, "\\u%04x", c);
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  return out;
}

HttpParse ParseHttpRequest(std::string_view buf, HttpRequest* req, size_t* head_len,
                           bool* keep_alive, size_t* content_length) {
  const size_t end = buf.find("\r\n\r\n");
  if (end == std::string_view::npos) {
    // A request line that is already malformed needs no more bytes to be refused.
    const size_t eol = buf.find("\r\n");
    if (eol == std::string_view::npos && buf.find('\n') != std::string_view::npos) {
      return HttpParse::kBad;
    }
    return HttpParse::kNeedMore;
  }
  *head_len = end + 4;
  std::string_view head = buf.substr(0, end);
  const size_t eol = head.find("\r\n");
  std::string_view line = head.substr(0, eol);
  const size_t sp1 = line.find(' ');
  const size_t sp2 = line.rfind(' ');
  if (sp1 == std::string_view::npos || sp2 == sp1 || sp1 == 0) {
    return HttpParse::kBad;
  }
  std::string_view version = line.substr(sp2 + 1);
  if (version != "HTTP/1.1" && version != "HTTP/1.0") {
    return HttpParse::kBad;
  }
  req->method = line.substr(0, sp1);
  std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  if (target.empty() || target.front() != '/' ||
      target.find_first_of(" \t\r\n") != std::string_view::npos) {
    return HttpParse::kBad;
  }
  const size_t q = target.find('?');
  req->path = target.substr(0, q);
  req->query = q == std::string_view::npos ? std::string_view() : target.substr(q + 1);
  *keep_alive = version == "HTTP/1.1";
  *content_length = 0;
  std::string_view rest = eol == std::string_view::npos ? std::string_view() : head.substr(eol + 2);
  while (!rest.empty()) {
    const size_t e = rest.find("\r\n");
    std::string_view h = rest.substr(0, e);
    rest = e == std::string_view::npos ? std::string_view() : rest.substr(e + 2);
    const size_t colon = h.find(':');
    if (colon == std::string_view::npos || colon == 0) {
      return HttpParse::kBad;
    }
    std::string_view name = h.substr(0, colon);
    std::string_view value = Trim(h.substr(colon + 1));
    if (IEquals(name, "host")) {
      req->host = value;
    } else if (IEquals(name, "connection")) {
      if (IEquals(value, "close")) {
        *keep_alive = false;
      } else if (IEquals(value, "keep-alive")) {
        *keep_alive = true;
      }
    } else if (IEquals(name, "content-length")) {
      size_t n = 0;
      auto r = std::from_chars(value.data(), value.data() + value.size(), n);
      if (r.ec != std::errc() || r.ptr != value.data() + value.size()) {
        return HttpParse::kBad;
      }
      *content_length = n;
    } else if (IEquals(name, "transfer-encoding")) {
      *content_length = SIZE_MAX;  // chunked bodies are not accepted either
    }
  }
  return HttpParse::kDone;
}

std::string RenderHttpResponse(const HttpResponse& resp, bool keep_alive) {
  std::string out = absl::StrFormat(
      "HTTP/1.1 %d %s\r\nServer: ndrelay/%s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
      "Cache-Control: no-cache\r\nConnection: %s\r\n",
      resp.status, StatusText(resp.status), NdrelayVersion(), resp.content_type, resp.body.size(),
      keep_alive ? "keep-alive" : "close");
  for (const auto& [k, v] : resp.headers) {
    absl::StrAppend(&out, k, ": ", v, "\r\n");
  }
  out += "\r\n";
  out += resp.body;
  return out;
}

void ServeHttp(std::unique_ptr<Stream> stream, std::string head, const PeerInfo& peer,
               const ListenerConfig& listener, const HttpRouter& router, size_t max_request_bytes,
               int idle_timeout_ms, std::function<void()> on_done) {
  auto s = std::make_shared<HttpSession>(std::move(stream), std::move(head), peer, listener, router,
                                         max_request_bytes, idle_timeout_ms, std::move(on_done));
  s->Start();
}

}  // namespace ndrelay::server
