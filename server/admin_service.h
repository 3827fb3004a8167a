#pragma once

#include "ndrelay/v1/admin.grpc.pb.h"
#include "server/relay_info.h"

namespace ndrelay::server {

class HostRegistry;

// ndrelay.v1.Admin: thin translation between the registry/store and protobuf (STYLE.md 13).
// The only place that converts our Status to grpc::Status.
class AdminService final : public ndrelay::v1::Admin::Service {
 public:
  AdminService(const RelayInfo& info, HostRegistry* registry) : info_(info), registry_(registry) {}

  grpc::Status GetInfo(grpc::ServerContext* ctx, const ndrelay::v1::GetInfoRequest* req,
                       ndrelay::v1::GetInfoResponse* resp) override;
  grpc::Status ListNodes(grpc::ServerContext* ctx, const ndrelay::v1::ListNodesRequest* req,
                         ndrelay::v1::ListNodesResponse* resp) override;
  grpc::Status ListCharts(grpc::ServerContext* ctx, const ndrelay::v1::ListChartsRequest* req,
                          ndrelay::v1::ListChartsResponse* resp) override;
  grpc::Status GetChart(grpc::ServerContext* ctx, const ndrelay::v1::GetChartRequest* req,
                        ndrelay::v1::Chart* resp) override;
  grpc::Status QueryData(grpc::ServerContext* ctx, const ndrelay::v1::QueryDataRequest* req,
                         ndrelay::v1::QueryDataResponse* resp) override;
  grpc::Status GetStreamingStatus(grpc::ServerContext* ctx,
                                  const ndrelay::v1::GetStreamingStatusRequest* req,
                                  ndrelay::v1::GetStreamingStatusResponse* resp) override;

 private:
  const RelayInfo& info_;
  HostRegistry* registry_;
};

}  // namespace ndrelay::server
