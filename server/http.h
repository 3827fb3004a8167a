#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "server/listener.h"
#include "server/stream.h"

namespace ndrelay::server {

struct HttpRequest {
  std::string_view method;
  std::string_view path;   // without the query
  std::string_view query;  // after '?', still URL-encoded
  std::string_view host;   // Host header
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

// Answers one request; called on the connection's IO thread. Must be thread-safe.
using HttpRouter = std::function<HttpResponse(const HttpRequest&)>;

// Parses one HTTP/1.x request head from `buf` (up to and including "\r\n\r\n"). Returns
// kNeedMore until the head is complete, kBad for a malformed head. Views point into `buf`.
enum class HttpParse { kNeedMore, kDone, kBad };
HttpParse ParseHttpRequest(std::string_view buf, HttpRequest* req, size_t* head_len,
                           bool* keep_alive, size_t* content_length);

std::string RenderHttpResponse(const HttpResponse& resp, bool keep_alive);

// A small HTTP/1.1 server on one connection: keep-alive, requests bounded by `max_request_bytes`
// (oversized or malformed → 400 and close), `idle_timeout_ms` between requests. On a listener
// with ^SSL=force, plaintext requests get a 301 to https:// as Netdata does.
void ServeHttp(std::unique_ptr<Stream> stream, std::string head, const PeerInfo& peer,
               const ListenerConfig& listener, const HttpRouter& router, size_t max_request_bytes,
               int idle_timeout_ms, std::function<void()> on_done);

std::string JsonEscape(std::string_view s);

}  // namespace ndrelay::server
