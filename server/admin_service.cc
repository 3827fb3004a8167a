#include "server/admin_service.h"

#include <chrono>
#include <cmath>
#include <map>

#include "absl/strings/str_split.h"
#include "bridge/caps.h"
#include "conf/simple_pattern.h"
#include "server/host_registry.h"

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

void SetSeconds(int64_t s, google::protobuf::Timestamp* out) {
  out->set_seconds(s);
  out->set_nanos(0);
}

int64_t NowSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string_view HealthText(conf::HealthMode m) {
  switch (m) {
    case conf::HealthMode::kAuto:
      return "auto";
    case conf::HealthMode::kYes:
      return "yes";
    case conf::HealthMode::kNo:
      return "no";
  }
  return "auto";
}

// REQUIRES: host->mu held.
void FillChart(const Chart& c, bool with_dimensions, ndrelay::v1::Chart* out) {
  out->set_id(c.id);
  out->set_name(c.name);
  out->set_title(c.title);
  out->set_units(c.units);
  out->set_family(c.family);
  out->set_context(c.context);
  out->set_chart_type(c.chart_type);
  out->set_priority(c.priority);
  out->set_update_every(c.update_every);
  out->set_obsolete(c.options & bridge::kChartObsolete);
  out->set_hidden(c.options & bridge::kChartHidden);
  out->set_detail(c.options & bridge::kChartDetail);
  out->set_store_first(c.options & bridge::kChartStoreFirst);
  out->set_plugin(c.plugin);
  out->set_module(c.module);
  for (const auto& [k, v] : c.labels) {
    auto* l = out->add_labels();
    l->set_name(k);
    l->set_value(v);
  }
  out->set_replication_state(std::string(ReplicationStateName(c.replication)));
  if (int64_t f = c.first_time_s(); f > 0) {
    SetSeconds(f, out->mutable_first_entry());
  }
  if (int64_t l = c.last_time_s(); l > 0) {
    SetSeconds(l, out->mutable_last_entry());
  }
  if (!with_dimensions) {
    return;
  }
  for (const auto& d : c.dims) {
    const db::DimensionDefinition& def = c.collector->definition(d.index);
    auto* o = out->add_dimensions();
    o->set_id(d.id);
    o->set_name(d.display_name());
    o->set_algorithm(std::string(db::AlgorithmName(def.algorithm)));
    o->set_multiplier(def.multiplier);
    o->set_divisor(def.divisor);
    o->set_obsolete(d.options & bridge::kDimObsolete);
    o->set_hidden(d.options & bridge::kDimHidden);
    o->set_noreset(d.options & bridge::kDimNoReset);
    if (c.store && c.store->first_time_s(d.index) > 0) {
      SetSeconds(c.store->first_time_s(d.index), o->mutable_first_entry());
      SetSeconds(c.store->last_time_s(d.index), o->mutable_last_entry());
    }
  }
}

const Chart* FindChart(const Host& h, const std::string& id_or_name) {
  auto it = h.charts.find(id_or_name);
  if (it != h.charts.end()) {
    return it->second.get();
  }
  for (const auto& [id, c] : h.charts) {
    if (c->name == id_or_name) {
      return c.get();
    }
  }
  return nullptr;
}

}  // namespace

grpc::Status AdminService::GetInfo(grpc::ServerContext*, const ndrelay::v1::GetInfoRequest*,
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
  return grpc::Status::OK;
}

}  // namespace ndrelay::server

namespace ndrelay::server {

grpc::Status AdminService::ListNodes(grpc::ServerContext*, const ndrelay::v1::ListNodesRequest*,
                                     ndrelay::v1::ListNodesResponse* resp) {
  for (const auto& h : registry_->Hosts()) {
    auto* n = resp->add_nodes();
    n->set_bytes_received(h->bytes_received.load());
    n->set_values_received(h->values_received.load());
    if (int64_t t = h->last_data_s.load(); t > 0) {
      SetSeconds(t, n->mutable_last_data());
    }
    absl::MutexLock l(&h->mu);
    n->set_machine_guid(h->machine_guid);
    n->set_hostname(h->hostname);
    n->set_registry_hostname(h->registry_hostname);
    n->set_connected(h->connected);
    n->set_hops(h->hops);
    n->set_os(h->os);
    n->set_timezone(h->timezone);
    n->set_abbrev_timezone(h->abbrev_timezone);
    n->set_utc_offset(h->utc_offset);
    n->set_program_name(h->program_name);
    n->set_program_version(h->program_version);
    for (const auto& [k, v] : h->labels) {
      auto* l = n->add_labels();
      l->set_name(k);
      l->set_value(v);
    }
    for (const auto& [k, v] : h->system_info) {
      auto* l = n->add_system_info();
      l->set_name(k);
      l->set_value(v);
    }
    n->set_peer(h->peer);
    n->set_tls(h->tls);
    n->set_capabilities(h->caps);
    for (auto name : absl::StrSplit(bridge::CapsToString(h->caps), ' ', absl::SkipEmpty())) {
      n->add_capability_names(std::string(name));
    }
    n->set_compression(h->compression ? "lz4" : "none");
    if (h->connected_since_s > 0) {
      SetSeconds(h->connected_since_s, n->mutable_connected_since());
    }
    if (h->disconnected_at_s > 0) {
      SetSeconds(h->disconnected_at_s, n->mutable_disconnected_at());
    }
    n->set_last_disconnect_reason(h->last_disconnect_reason);
    n->set_charts(static_cast<uint32_t>(h->charts.size()));
    uint32_t dims = 0;
    auto* r = n->mutable_replication();
    int64_t oldest_gap = 0;
    uint64_t requests = 0;
    for (const auto& [id, c] : h->charts) {
      dims += static_cast<uint32_t>(c->dims.size());
      requests += c->repl_requests;
      switch (c->replication) {
        case ReplicationState::kIdle:
          r->set_charts_idle(r->charts_idle() + 1);
          break;
        case ReplicationState::kInProgress:
          r->set_charts_replicating(r->charts_replicating() + 1);
          if (c->repl_after > 0 && (oldest_gap == 0 || c->repl_after < oldest_gap)) {
            oldest_gap = c->repl_after;
          }
          break;
        case ReplicationState::kFinished:
          r->set_charts_done(r->charts_done() + 1);
          break;
      }
    }
    if (oldest_gap > 0) {
      SetSeconds(oldest_gap, r->mutable_oldest_gap());
    }
    r->set_requests_sent(requests);
    n->set_dimensions(dims);
    n->set_memory_mode(std::string(conf::MemoryModeName(h->settings.memory_mode)));
    n->set_history_seconds(h->settings.history_s);
    n->set_ephemeral(h->ephemeral);
    n->set_health_enabled(std::string(HealthText(h->settings.health)));
    n->set_postpone_alarms_on_connect_seconds(h->settings.postpone_alarms_on_connect_s);
    n->set_health_log_history_seconds(h->settings.health_log_history_s);
    n->set_claim_id(h->claim_id);
    n->set_node_id(h->node_id);
    n->set_connections(h->connections);
    n->set_storage_bytes(h->engine ? h->engine->bytes_used() : 0);
  }
  return grpc::Status::OK;
}

grpc::Status AdminService::ListCharts(grpc::ServerContext*,
                                      const ndrelay::v1::ListChartsRequest* req,
                                      ndrelay::v1::ListChartsResponse* resp) {
  auto host = registry_->Find(req->node());
  if (!host) {
    return grpc::Status(grpc::StatusCode::NOT_FOUND, "no node '" + req->node() + "'");
  }
  const conf::SimplePattern pattern = conf::SimplePattern::Parse(req->pattern());
  absl::MutexLock l(&host->mu);
  std::vector<const Chart*> charts;
  for (const auto& [id, c] : host->charts) {
    if (!pattern.empty()) {
      // Netdata order for chart filters: context, then name, then id; a negative match excludes.
      bool positive = false, negative = false;
      for (const std::string* s : {&c->context, &c->name, &c->id}) {
        switch (pattern.Match(*s)) {
          case conf::SimplePattern::Result::kPositive:
            positive = true;
            break;
          case conf::SimplePattern::Result::kNegative:
            negative = true;
            break;
          case conf::SimplePattern::Result::kNoMatch:
            break;
        }
      }
      if (negative || !positive) {
        continue;
      }
    }
    charts.push_back(c.get());
  }
  std::sort(charts.begin(), charts.end(), [](const Chart* a, const Chart* b) {
    return a->priority != b->priority ? a->priority < b->priority : a->id < b->id;
  });
  for (const Chart* c : charts) {
    FillChart(*c, req->with_dimensions(), resp->add_charts());
  }
  return grpc::Status::OK;
}

grpc::Status AdminService::GetChart(grpc::ServerContext*, const ndrelay::v1::GetChartRequest* req,
                                    ndrelay::v1::Chart* resp) {
  auto host = registry_->Find(req->node());
  if (!host) {
    return grpc::Status(grpc::StatusCode::NOT_FOUND, "no node '" + req->node() + "'");
  }
  absl::MutexLock l(&host->mu);
  const Chart* c = FindChart(*host, req->chart());
  if (c == nullptr) {
    return grpc::Status(grpc::StatusCode::NOT_FOUND, "no chart '" + req->chart() + "'");
  }
  FillChart(*c, true, resp);
  return grpc::Status::OK;
}

grpc::Status AdminService::QueryData(grpc::ServerContext*, const ndrelay::v1::QueryDataRequest* req,
                                     ndrelay::v1::QueryDataResponse* resp) {
  auto host = registry_->Find(req->node());
  if (!host) {
    return grpc::Status(grpc::StatusCode::NOT_FOUND, "no node '" + req->node() + "'");
  }
  int64_t before = req->before() > 0 ? req->before() : NowSeconds() + req->before();
  int64_t after =
      req->after() > 0 ? req->after() : before + (req->after() == 0 ? -600 : req->after());
  if (after > before) {
    std::swap(after, before);
  }
  absl::MutexLock l(&host->mu);
  const Chart* c = FindChart(*host, req->chart());
  if (c == nullptr) {
    return grpc::Status(grpc::StatusCode::NOT_FOUND, "no chart '" + req->chart() + "'");
  }
  std::vector<const Dimension*> dims;
  for (const auto& d : c->dims) {
    bool wanted = req->dimensions().empty();
    for (const auto& w : req->dimensions()) {
      wanted |= w == d.id || w == d.display_name();
    }
    if (wanted) {
      dims.push_back(&d);
    }
  }
  resp->set_update_every(c->update_every);
  std::map<int64_t, size_t> row_of;
  for (const Dimension* d : dims) {
    resp->add_dimension_ids(d->id);
    resp->add_dimension_names(d->display_name());
  }
  constexpr size_t kMaxRows = 86400;
  for (size_t col = 0; col < dims.size(); ++col) {
    if (!c->store) {
      break;
    }
    c->store->Query(dims[col]->index, after, before, [&](int64_t t, double v, db::PointFlags f) {
      auto it = row_of.find(t);
      if (it == row_of.end()) {
        if (row_of.size() >= kMaxRows) {
          return false;
        }
        it = row_of.emplace(t, row_of.size()).first;
        auto* row = resp->add_rows();
        row->set_time(t);
        for (size_t i = 0; i < dims.size(); ++i) {
          row->add_values(std::nan(""));
          row->add_flags(1);
        }
      }
      auto* row = resp->mutable_rows(static_cast<int>(it->second));
      row->set_values(static_cast<int>(col), v);
      row->set_flags(static_cast<int>(col), f);
      return true;
    });
  }
  std::sort(resp->mutable_rows()->begin(), resp->mutable_rows()->end(),
            [](const auto& a, const auto& b) { return a.time() < b.time(); });
  return grpc::Status::OK;
}

grpc::Status AdminService::GetStreamingStatus(grpc::ServerContext*,
                                              const ndrelay::v1::GetStreamingStatusRequest*,
                                              ndrelay::v1::GetStreamingStatusResponse* resp) {
  for (const StreamingRow& r : registry_->StreamingStatus()) {
    auto* o = resp->add_rows();
    o->set_machine_guid(r.machine_guid);
    o->set_hostname(r.hostname);
    o->set_peer(r.peer);
    o->set_state(r.connected ? "connected" : "disconnected");
    SetSeconds(r.since_s, o->mutable_since());
    o->set_reason(r.reason);
    o->set_capabilities(r.caps);
    o->set_compression(r.compression ? "lz4" : "none");
    o->set_tls(r.tls);
    o->set_hops(r.hops);
  }
  return grpc::Status::OK;
}

}  // namespace ndrelay::server
