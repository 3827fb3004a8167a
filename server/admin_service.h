#pragma once

#include "ndrelay/v1/admin.grpc.pb.h"
#include "server/relay_info.h"

namespace ndrelay::server {

class HostRegistry;

// ndrelay.v1.Admin: thin translation between the registry/store and protobuf (STYLE.md 13).
// The only place that converts our Status to grpc::Status.
class AdminService final : public ndrelay::v1::Admin::CallbackService {
 public:
  AdminService(const RelayInfo& info, HostRegistry* registry) : info_(info), registry_(registry) {}

  grpc::ServerUnaryReactor* GetInfo(grpc::CallbackServerContext* ctx,
                                    const ndrelay::v1::GetInfoRequest* req,
                                    ndrelay::v1::GetInfoResponse* resp) override;

 private:
  const RelayInfo& info_;
  [[maybe_unused]] HostRegistry* registry_;
};

}  // namespace ndrelay::server
