#include "server/grpc_frontend.h"

#include <unistd.h>

#include <atomic>
#include <mutex>

#include "absl/status/status.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/security/server_credentials.h"
#include "server/admin_service.h"

namespace ndrelay::server {

struct GrpcFrontend::Impl {
  explicit Impl(const RelayInfo& info, HostRegistry* registry) : admin(info, registry) {}
  AdminService admin;
  std::unique_ptr<grpc::Server> server;
  std::unique_ptr<grpc::experimental::ExternalConnectionAcceptor> plain;
  std::unique_ptr<grpc::experimental::ExternalConnectionAcceptor> tls;
  std::atomic<bool> accepting{true};
};

GrpcFrontend::GrpcFrontend(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

GrpcFrontend::~GrpcFrontend() { Shutdown(); }

absl::StatusOr<std::unique_ptr<GrpcFrontend>> GrpcFrontend::Start(
    const RelayInfo& info, std::shared_ptr<TlsServerContext> tls, HostRegistry* registry) {
  auto impl = std::make_unique<Impl>(info, registry);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  builder.RegisterService(&impl->admin);
  using Type = grpc::ServerBuilder::experimental_type::ExternalConnectionType;
  impl->plain = builder.experimental().AddExternalConnectionAcceptor(
      Type::FROM_FD, grpc::InsecureServerCredentials());
  if (tls) {
    grpc::SslServerCredentialsOptions opts;
    opts.pem_key_cert_pairs.push_back({tls->key_pem(), tls->cert_pem()});
    impl->tls = builder.experimental().AddExternalConnectionAcceptor(
        Type::FROM_FD, grpc::SslServerCredentials(opts));
  }
  impl->server = builder.BuildAndStart();
  if (!impl->server) {
    return absl::InternalError("gRPC server did not start");
  }
  return std::unique_ptr<GrpcFrontend>(new GrpcFrontend(std::move(impl)));
}

void GrpcFrontend::HandOff(int fd, int listener_fd, bool tls) {
  auto* acceptor = tls ? impl_->tls.get() : impl_->plain.get();
  if (!impl_->accepting.load() || acceptor == nullptr) {
    ::close(fd);
    return;
  }
  grpc::experimental::ExternalConnectionAcceptor::NewConnectionParameters p;
  p.fd = fd;
  p.listener_fd = listener_fd;
  acceptor->HandleNewConnection(&p);
}

void GrpcFrontend::StopAccepting() { impl_->accepting.store(false); }

void GrpcFrontend::Shutdown() {
  if (!impl_ || !impl_->server) {
    return;
  }
  StopAccepting();
  impl_->server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  impl_->server->Wait();
  impl_->server.reset();
}

}  // namespace ndrelay::server
