#include "server/grpc_frontend.h"

#include <unistd.h>

#include <atomic>
#include <string_view>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/security/server_credentials.h"
#include "server/admin_service.h"
#include "server/log.h"

namespace ndrelay::server {

namespace {
constexpr std::string_view kComponent = "GRPC";
}  // namespace

struct GrpcFrontend::Impl {
  Impl(const RelayInfo& info, std::shared_ptr<TlsServerContext> tls_context, HostRegistry* registry)
      : admin(info, registry), tls_context(std::move(tls_context)) {}

  // Builds the server if it is not built yet. mu held.
  absl::Status EnsureServer() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);

  AdminService admin;
  const std::shared_ptr<TlsServerContext> tls_context;
  std::atomic<bool> accepting{true};
  std::atomic<bool> started{false};
  absl::Mutex mu;
  absl::Status build_error ABSL_GUARDED_BY(mu);  // a failed build is not retried
  std::unique_ptr<grpc::Server> server ABSL_GUARDED_BY(mu);
  std::unique_ptr<grpc::experimental::ExternalConnectionAcceptor> plain ABSL_GUARDED_BY(mu);
  std::unique_ptr<grpc::experimental::ExternalConnectionAcceptor> tls ABSL_GUARDED_BY(mu);
};

absl::Status GrpcFrontend::Impl::EnsureServer() {
  if (server != nullptr || !build_error.ok()) {
    return build_error;
  }
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  builder.RegisterService(&admin);
  using Type = grpc::ServerBuilder::experimental_type::ExternalConnectionType;
  plain = builder.experimental().AddExternalConnectionAcceptor(Type::FROM_FD,
                                                               grpc::InsecureServerCredentials());
  if (tls_context) {
    grpc::SslServerCredentialsOptions opts;
    opts.pem_key_cert_pairs.push_back({tls_context->key_pem(), tls_context->cert_pem()});
    tls = builder.experimental().AddExternalConnectionAcceptor(Type::FROM_FD,
                                                               grpc::SslServerCredentials(opts));
  }
  server = builder.BuildAndStart();
  if (!server) {
    plain.reset();
    tls.reset();
    build_error = absl::InternalError("gRPC server did not start");
    return build_error;
  }
  started.store(true);
  NDR_LOG_INFO(kComponent, "gRPC server started (first gRPC connection)");
  return absl::OkStatus();
}

GrpcFrontend::GrpcFrontend(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

GrpcFrontend::~GrpcFrontend() { Shutdown(); }

absl::StatusOr<std::unique_ptr<GrpcFrontend>> GrpcFrontend::Start(
    const RelayInfo& info, std::shared_ptr<TlsServerContext> tls, HostRegistry* registry) {
  return std::unique_ptr<GrpcFrontend>(
      new GrpcFrontend(std::make_unique<Impl>(info, std::move(tls), registry)));
}

void GrpcFrontend::HandOff(int fd, int listener_fd, bool tls) {
  absl::MutexLock lock(&impl_->mu);
  // Checked under the lock: Shutdown() takes it after StopAccepting(), so no server is built (or
  // handed a socket) once shutdown has begun.
  if (!impl_->accepting.load()) {
    ::close(fd);
    return;
  }
  if (absl::Status s = impl_->EnsureServer(); !s.ok()) {
    NDR_LOG_ERROR(kComponent, "gRPC connection closed: %s", s.message());
    ::close(fd);
    return;
  }
  auto* acceptor = tls ? impl_->tls.get() : impl_->plain.get();
  if (acceptor == nullptr) {
    ::close(fd);
    return;
  }
  grpc::experimental::ExternalConnectionAcceptor::NewConnectionParameters p;
  p.fd = fd;
  p.listener_fd = listener_fd;
  acceptor->HandleNewConnection(&p);
}

bool GrpcFrontend::server_started() const { return impl_->started.load(); }

void GrpcFrontend::StopAccepting() { impl_->accepting.store(false); }

void GrpcFrontend::Shutdown() {
  if (!impl_) {
    return;
  }
  StopAccepting();
  absl::MutexLock lock(&impl_->mu);
  if (!impl_->server) {
    return;
  }
  impl_->server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  impl_->server->Wait();
  impl_->server.reset();
}

}  // namespace ndrelay::server
