#include "server/admin_service.h"

#include <chrono>

namespace ndrelay::server {
namespace {

void SetTimestamp(std::chrono::system_clock::time_point t, google::protobuf::Timestamp* out) {
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
  out->set_seconds(us / 1000000);
  out->set_nanos(static_cast<int32_t>((us % 1000000) * 1000));
}

constexpr std::pair<uint32_t, const char*> kAclNames[] = {
    {conf::kAclDashboard, "dashboard"}, {conf::kAclRegistry, "registry"},
    {conf::kAclBadges, "badges"},       {conf::kAclManagement, "management"},
    {conf::kAclStreaming, "streaming"}, {conf::kAclNetdataConf, "netdata.conf"}};

}  // namespace

grpc::ServerUnaryReactor* AdminService::GetInfo(grpc::CallbackServerContext* ctx,
                                                const ndrelay::v1::GetInfoRequest*,
                                                ndrelay::v1::GetInfoResponse* resp) {
  resp->set_version(info_.version);
  resp->set_machine_guid(info_.machine_guid);
  resp->set_hostname(info_.hostname);
  resp->set_config_directory(info_.config_directory);
  auto* f = resp->mutable_features();
  for (const auto& c : info_.stream_compression) {
    f->add_stream_compression(c);
  }
  f->set_tls(info_.tls_built_in);
  f->set_tls_library(info_.tls_library);
  f->set_grpc_version(info_.grpc_version);
  for (const auto& m : info_.memory_modes) {
    f->add_memory_modes(m);
  }
  f->set_stream_capabilities(info_.stream_capabilities);
  for (const ListenerConfig& l : info_.listeners) {
    auto* out = resp->add_listeners();
    out->set_kind(l.bind.is_unix ? ndrelay::v1::Listener::KIND_UNIX
                                 : ndrelay::v1::Listener::KIND_TCP);
    out->set_address(l.address);
    switch (l.bind.ssl) {
      case conf::BindTo::Ssl::kDefault:
        out->set_ssl_mode(ndrelay::v1::Listener::SSL_MODE_UNSPECIFIED);
        break;
      case conf::BindTo::Ssl::kOptional:
        out->set_ssl_mode(ndrelay::v1::Listener::SSL_MODE_OPTIONAL);
        break;
      case conf::BindTo::Ssl::kForce:
        out->set_ssl_mode(ndrelay::v1::Listener::SSL_MODE_FORCE);
        break;
    }
    if (l.bind.acl != conf::kAclAll) {
      for (const auto& [bit, name] : kAclNames) {
        if (l.bind.acl & bit) {
          out->add_acl(name);
        }
      }
    }
    out->set_tls_available(l.tls_available);
  }
  const auto now = std::chrono::system_clock::now();
  SetTimestamp(info_.started, resp->mutable_started());
  auto up = std::chrono::duration_cast<std::chrono::microseconds>(now - info_.started).count();
  resp->mutable_uptime()->set_seconds(up / 1000000);
  resp->mutable_uptime()->set_nanos(static_cast<int32_t>((up % 1000000) * 1000));
  auto* reactor = ctx->DefaultReactor();
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

}  // namespace ndrelay::server
