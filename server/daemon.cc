#include "server/daemon.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "asio/post.hpp"
#include "bridge/caps.h"
#include "conf/uuid.h"
#include "grpcpp/grpcpp.h"
#include "server/log.h"

namespace ndrelay::server {
namespace {

constexpr std::string_view kComponent = "MAIN";
constexpr int kCleanupEverySeconds = 10;

std::string RandomUuid() {
  unsigned char b[16];
  RAND_bytes(b, sizeof(b));
  b[6] = (b[6] & 0x0f) | 0x40;  // version 4
  b[8] = (b[8] & 0x3f) | 0x80;  // RFC 4122 variant
  return absl::StrFormat("%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
                         b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11],
                         b[12], b[13], b[14], b[15]);
}

}  // namespace

const char* NdrelayVersion() { return "v0.1.0"; }

std::string LoadOrCreateMachineGuid(const std::string& path, std::string* warning) {
  {
    std::ifstream in(path);
    std::string guid;
    if (in && std::getline(in, guid)) {
      while (!guid.empty() && (guid.back() == '\n' || guid.back() == '\r' || guid.back() == ' ')) {
        guid.pop_back();
      }
      if (conf::IsUuid(guid)) {
        return guid;
      }
    }
  }
  std::string guid = RandomUuid();
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  std::ofstream out(path, std::ios::trunc);
  if (out << guid) {
    out.close();
  } else {
    *warning = absl::StrCat("cannot write machine GUID file '", path, "': using ", guid,
                            " for this run only");
  }
  return guid;
}

Daemon::Daemon(conf::Config config, std::string config_dir)
    : config_(std::move(config)), config_dir_(std::move(config_dir)) {
  limits_.sniff_timeout_ms = config_.limits.sniff_timeout_ms;
  limits_.tls_handshake_timeout_ms = config_.limits.handshake_timeout_s * 1000;
  limits_.max_connections = config_.limits.max_connections;
  http_router_ = [this](const HttpRequest& req) { return RouteHttp(req); };
}

Daemon::~Daemon() { Stop(); }

absl::Status Daemon::Start(const std::string& bind_override) {
  info_.version = NdrelayVersion();
  info_.hostname = config_.global.hostname;
  info_.config_directory = config_dir_;
  std::string warning;
  info_.machine_guid = LoadOrCreateMachineGuid(config_.registry.unique_id_file, &warning);
  if (!warning.empty()) {
    NDR_LOG_WARN(kComponent, "%s", warning);
  }
  info_.stream_compression = {"lz4"};
  info_.tls_built_in = true;
  info_.tls_library = OpenSSL_version(OPENSSL_VERSION);
  info_.grpc_version = grpc::Version();
  info_.memory_modes = {"none", "ram"};
  info_.stream_capabilities = bridge::OurReceiverCaps();
  info_.started = std::chrono::system_clock::now();

  if (!config_.web.ssl_key.empty() && !config_.web.ssl_certificate.empty()) {
    auto tls = TlsServerContext::Load(config_.web.ssl_key, config_.web.ssl_certificate);
    if (!tls.ok()) {
      return tls.status();
    }
    tls_ = *std::move(tls);
  }

  std::vector<conf::BindTo> binds = config_.web.bind_to;
  if (!bind_override.empty()) {
    auto parsed = conf::ParseBindTo(bind_override, config_.web.default_port);
    if (!parsed.ok()) {
      return parsed.status();
    }
    binds = *std::move(parsed);
  }
  int threads = config_.limits.io_threads;
  if (threads <= 0) {
    threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  }
  pool_ = std::make_unique<IoPool>(threads);
  for (const conf::BindTo& b : binds) {
    auto l = Listener::Open(b, *pool_, tls_, *this, limits_, stats_);
    if (!l.ok()) {
      return l.status();
    }
    info_.listeners.push_back((*l)->config());
    listeners_.push_back(*std::move(l));
  }
  if (listeners_.empty()) {
    return absl::InvalidArgumentError("no listener: [web] bind to is empty");
  }
  receivers_.config = &config_;
  receivers_.registry = &registry_;
  receivers_.info = &info_;
  auto grpc = GrpcFrontend::Start(info_, tls_, &registry_);
  if (!grpc.ok()) {
    return grpc.status();
  }
  grpc_ = *std::move(grpc);
  for (auto& l : listeners_) {
    l->Start();
  }
  cleanup_timer_ = std::make_unique<asio::steady_timer>(pool_->Main());
  ScheduleCleanup();
  pool_->Start();
  started_ = true;
  NDR_LOG_INFO(kComponent, "ndrelay %s started: machine GUID %s, hostname '%s', %d IO threads",
               info_.version, info_.machine_guid, info_.hostname, threads);
  return absl::OkStatus();
}

void Daemon::Stop() {
  if (!started_) {
    return;
  }
  started_ = false;
  // Order matters: no new sockets, then no hand-offs, then gRPC (design/grpc-same-port.md).
  for (auto& l : listeners_) {
    l->Close();
  }
  grpc_->StopAccepting();
  asio::post(pool_->Main(), [this] { cleanup_timer_->cancel(); });
  pool_->Stop();
  grpc_->Shutdown();
  listeners_.clear();
  NDR_LOG_INFO(kComponent, "ndrelay stopped");
}

void Daemon::OnGrpc(int fd, int listener_fd, bool tls, const PeerInfo&) {
  grpc_->HandOff(fd, listener_fd, tls);
}

void Daemon::OnStream(std::unique_ptr<Stream> s, std::string head, const PeerInfo& peer,
                      const ListenerConfig& listener) {
  StartReceiver(std::move(s), std::move(head), peer, listener, receivers_,
                [this] { stats_.active--; });
}

void Daemon::ScheduleCleanup() {
  cleanup_timer_->expires_after(std::chrono::seconds(kCleanupEverySeconds));
  cleanup_timer_->async_wait([this](const asio::error_code& ec) {
    if (ec) {
      return;
    }
    const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    size_t n = registry_.Cleanup(now, config_.db.cleanup_ephemeral_hosts_after_s,
                                 config_.db.cleanup_orphan_hosts_after_s);
    if (n > 0) {
      NDR_LOG_INFO(kComponent, "removed %zu disconnected hosts (cleanup rules of [db])", n);
    }
    ScheduleCleanup();
  });
}

void Daemon::OnHttp(std::unique_ptr<Stream> s, std::string head, const PeerInfo& peer,
                    const ListenerConfig& listener) {
  ServeHttp(std::move(s), std::move(head), peer, listener, http_router_,
            config_.limits.max_http_request_bytes, 60000, [this] { stats_.active--; });
}

HttpResponse Daemon::RouteHttp(const HttpRequest& req) {
  HttpResponse r;
  if (req.method != "GET" && req.method != "HEAD") {
    r.status = 405;
    r.body = "{\"status\":405,\"error\":\"method not allowed\"}\n";
    return r;
  }
  if (req.path == "/api/v1/info") {
    r.body = InfoJson();
    return r;
  }
  r.status = 404;
  r.body = absl::StrCat("{\"status\":404,\"error\":\"not found\",\"path\":\"", JsonEscape(req.path),
                        "\"}\n");
  return r;
}

std::string Daemon::InfoJson() {
  std::vector<std::string> names = {JsonEscape(info_.hostname)};
  std::string status = absl::StrFormat(
      "\t\t{ \"guid\": \"%s\", \"hostname\": \"%s\", \"reachable\": true, \"hops\": 0, "
      "\"claim_id\": null, \"node_id\": null }",
      info_.machine_guid, JsonEscape(info_.hostname));
  for (const auto& h : registry_.Hosts()) {
    absl::MutexLock l(&h->mu);
    names.push_back(JsonEscape(h->hostname));
    absl::StrAppendFormat(
        &status,
        ",\n\t\t{ \"guid\": \"%s\", \"hostname\": \"%s\", \"reachable\": %s, \"hops\": %d, "
        "\"claim_id\": %s, \"node_id\": %s }",
        h->machine_guid, JsonEscape(h->hostname), h->connected ? "true" : "false", h->hops,
        h->claim_id.empty() ? "null" : "\"" + JsonEscape(h->claim_id) + "\"",
        h->node_id.empty() ? "null" : "\"" + JsonEscape(h->node_id) + "\"");
  }
  std::string buildinfo = "ndrelay|Native HTTPS|TLS Host Verification|Stream Compression|gRPC";
  return absl::StrCat("{\n\t\"version\": \"", info_.version, "\",\n\t\"uid\": \"",
                      info_.machine_guid, "\",\n\t\"mirrored_hosts\": [\n\t\t\"",
                      absl::StrJoin(names, "\",\n\t\t\""),
                      "\"\n\t],\n\t\"mirrored_hosts_status\": [\n", status, "\n\t],\n",
                      "\t\"stream-compression\": \"enabled\",\n",
                      "\t\"stream-compression-algorithms\": [\"lz4\"],\n",
                      "\t\"https-enabled\": ", tls_ ? "true" : "false", ",\n",
                      "\t\"buildinfo\": \"", buildinfo, "\"\n}\n");
}

}  // namespace ndrelay::server
