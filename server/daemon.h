#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "asio/steady_timer.hpp"
#include "conf/config.h"
#include "server/grpc_frontend.h"
#include "server/host_registry.h"
#include "server/http.h"
#include "server/io_pool.h"
#include "server/listener.h"
#include "server/receiver.h"
#include "server/relay_info.h"
#include "server/tls.h"

namespace ndrelay::server {

// The whole relay: listeners and their multiplexer, the IO threads, the gRPC front end and the
// HTTP/JSON handler. Start() once, Stop() once (from the main thread).
class Daemon : public ConnectionHandler {
 public:
  Daemon(conf::Config config, std::string config_dir);
  ~Daemon() override;

  // Binds every listener (`bind_override` replaces `[web] bind to` when non-empty), starts gRPC
  // and the IO threads.
  absl::Status Start(const std::string& bind_override);
  void Stop();

  const RelayInfo& info() const { return info_; }
  const MuxStats& mux_stats() const { return stats_; }
  HostRegistry& registry() { return registry_; }

  // ConnectionHandler
  void OnGrpc(int fd, int listener_fd, bool tls, const PeerInfo& peer) override;
  void OnStream(std::unique_ptr<Stream> s, std::string head, const PeerInfo& peer,
                const ListenerConfig& listener) override;
  void OnHttp(std::unique_ptr<Stream> s, std::string head, const PeerInfo& peer,
              const ListenerConfig& listener) override;

 private:
  HttpResponse RouteHttp(const HttpRequest& req);
  std::string InfoJson();

  conf::Config config_;
  std::string config_dir_;
  RelayInfo info_;
  MuxLimits limits_;
  MuxStats stats_;
  std::shared_ptr<TlsServerContext> tls_;
  std::unique_ptr<IoPool> pool_;
  std::vector<std::unique_ptr<Listener>> listeners_;
  std::unique_ptr<GrpcFrontend> grpc_;
  HttpRouter http_router_;
  HostRegistry registry_;
  ReceiverContext receivers_;
  std::unique_ptr<asio::steady_timer> cleanup_timer_;
  void ScheduleCleanup();
  bool started_ = false;
};

// Reads this node's machine GUID from `path`, creating it (a random UUID) when missing. On a
// file that cannot be written, returns a random GUID for this run and says so in `warning`.
std::string LoadOrCreateMachineGuid(const std::string& path, std::string* warning);

}  // namespace ndrelay::server
