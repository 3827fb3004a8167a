#pragma once

#include <memory>

#include "absl/status/statusor.h"
#include "server/relay_info.h"
#include "server/tls.h"

namespace ndrelay::server {

class HostRegistry;

// The gRPC side of the port: a grpc::Server with no listening port of its own, fed with the
// sockets the multiplexer classified as h2c or as TLS with ALPN h2 (the only place that uses the
// experimental external-connection API, STYLE.md 9). Serves ndrelay.v1.Admin and server
// reflection. HandOff is thread-safe.
//
// The grpc::Server is built at the first hand-off, not at Start(): gRPC core runs threads of its
// own from then on (two timer threads that wake every second, executors, the sync server's
// pollers), which a relay that nobody queries over gRPC does not need to pay for.
class GrpcFrontend {
 public:
  static absl::StatusOr<std::unique_ptr<GrpcFrontend>> Start(const RelayInfo& info,
                                                             std::shared_ptr<TlsServerContext> tls,
                                                             HostRegistry* registry);
  ~GrpcFrontend();

  // Takes ownership of `fd`. Closes it once StopAccepting() was called, or if the gRPC server
  // cannot be built (logged).
  void HandOff(int fd, int listener_fd, bool tls);
  // Whether the grpc::Server was built (a connection was handed off).
  bool server_started() const;
  // Stop taking connections; call before Shutdown (design/grpc-same-port.md pitfalls).
  void StopAccepting();
  void Shutdown();

 private:
  struct Impl;
  explicit GrpcFrontend(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace ndrelay::server
