#include "server/host_registry.h"

#include <algorithm>

namespace ndrelay::server {

std::string_view ReplicationStateName(ReplicationState s) {
  switch (s) {
    case ReplicationState::kIdle:
      return "idle";
    case ReplicationState::kInProgress:
      return "replicating";
    case ReplicationState::kFinished:
      return "finished";
  }
  return "?";
}

int64_t Chart::first_time_s() const {
  int64_t first = 0;
  if (store != nullptr) {
    for (size_t i = 0; i < store->dimension_count(); ++i) {
      const int64_t f = store->first_time_s(i);
      if (f > 0 && (first == 0 || f < first)) {
        first = f;
      }
    }
  }
  return first;
}

int64_t Chart::last_time_s() const {
  int64_t last = 0;
  if (store != nullptr) {
    for (size_t i = 0; i < store->dimension_count(); ++i) {
      last = std::max(last, store->last_time_s(i));
    }
  }
  return last;
}

void Chart::AddId() {
  const Dimension& dim = dims.back();
  set_lines.Add(dim.id);
  if (set_lines.size() > kLinearDimensionIds) {
    if (dim_index.empty()) {
      for (const Dimension& d : dims) {
        dim_index.emplace(d.id, d.index);
      }
    } else {
      dim_index.emplace(dim.id, dim.index);
    }
  }
}

int64_t Chart::IndexOfId(std::string_view id) const {
  if (!dim_index.empty()) {
    auto it = dim_index.find(id);
    return it == dim_index.end() ? -1 : static_cast<int64_t>(it->second);
  }
  return set_lines.IndexOf(id);
}

Dimension* Chart::FindDimensionSlow(std::string_view id) {
  const int64_t index = IndexOfId(id);
  if (index < 0) {
    return nullptr;
  }
  set_cursor = static_cast<uint32_t>(index) + 1;
  return &dims[static_cast<size_t>(index)];
}

HostRegistry::Attach HostRegistry::AttachReceiver(const std::string& guid, uint64_t session_id,
                                                  std::shared_ptr<ReceiverControl> control,
                                                  int64_t now_s, int64_t stale_after_s,
                                                  std::shared_ptr<Host>* out) {
  std::shared_ptr<Host> host;
  {
    absl::MutexLock l(&mu_);
    auto it = hosts_.find(guid);
    if (it == hosts_.end()) {
      it = hosts_.emplace(guid, std::make_shared<Host>(guid)).first;
    }
    host = it->second;
  }
  std::shared_ptr<ReceiverControl> old;
  {
    absl::MutexLock hl(&host->mu);
    if (host->connected && host->receiver) {
      const int64_t last = std::max(host->last_data_s.load(), host->connected_since_s);
      if (now_s - last <= stale_after_s) {
        return Attach::kAlreadyStreaming;
      }
      old = std::move(host->receiver);
    }
    host->connected = true;
    host->receiver = std::move(control);
    host->session_id = session_id;
    host->connected_since_s = now_s;
    host->connections++;
  }
  if (old) {
    old->Kick("replaced by a new connection of the same machine GUID");
  }
  *out = std::move(host);
  return Attach::kOk;
}

void HostRegistry::DetachReceiver(const std::shared_ptr<Host>& host, uint64_t session_id,
                                  const std::string& reason, int64_t now_s) {
  StreamingRow row;
  {
    absl::MutexLock hl(&host->mu);
    if (host->session_id != session_id) {
      return;  // already replaced by a newer session
    }
    host->connected = false;
    host->receiver.reset();
    host->disconnected_at_s = now_s;
    host->last_disconnect_reason = reason;
    row.machine_guid = host->machine_guid;
    row.hostname = host->hostname;
    row.peer = host->peer;
    row.since_s = now_s;
    row.reason = reason;
    row.caps = host->caps;
    row.compression = host->compression;
    row.tls = host->tls;
    row.hops = host->hops;
  }
  absl::MutexLock l(&mu_);
  recent_.push_front(std::move(row));
  if (recent_.size() > kMaxRecentDisconnects) {
    recent_.pop_back();
  }
}

std::vector<std::shared_ptr<Host>> HostRegistry::Hosts() const {
  absl::MutexLock l(&mu_);
  std::vector<std::shared_ptr<Host>> out;
  out.reserve(hosts_.size());
  for (const auto& [guid, h] : hosts_) {
    out.push_back(h);
  }
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a->machine_guid < b->machine_guid; });
  return out;
}

std::shared_ptr<Host> HostRegistry::Find(std::string_view guid_or_hostname) const {
  absl::MutexLock l(&mu_);
  if (auto it = hosts_.find(guid_or_hostname); it != hosts_.end()) {
    return it->second;
  }
  for (const auto& [guid, h] : hosts_) {
    absl::MutexLock hl(&h->mu);
    if (h->hostname == guid_or_hostname) {
      return h;
    }
  }
  return nullptr;
}

std::vector<StreamingRow> HostRegistry::StreamingStatus() const {
  std::vector<StreamingRow> rows;
  for (const auto& h : Hosts()) {
    absl::MutexLock hl(&h->mu);
    if (!h->connected) {
      continue;
    }
    StreamingRow r;
    r.machine_guid = h->machine_guid;
    r.hostname = h->hostname;
    r.peer = h->peer;
    r.connected = true;
    r.since_s = h->connected_since_s;
    r.reason = "connected";
    r.caps = h->caps;
    r.compression = h->compression;
    r.tls = h->tls;
    r.hops = h->hops;
    rows.push_back(std::move(r));
  }
  absl::MutexLock l(&mu_);
  rows.insert(rows.end(), recent_.begin(), recent_.end());
  return rows;
}

size_t HostRegistry::Cleanup(int64_t now_s, int64_t ephemeral_after_s, int64_t orphan_after_s) {
  absl::MutexLock l(&mu_);
  size_t removed = 0;
  for (auto it = hosts_.begin(); it != hosts_.end();) {
    bool remove = false;
    {
      absl::MutexLock hl(&it->second->mu);
      const Host& h = *it->second;
      if (!h.connected && h.disconnected_at_s > 0) {
        const int64_t gone = now_s - h.disconnected_at_s;
        remove = (h.ephemeral && ephemeral_after_s > 0 && gone >= ephemeral_after_s) ||
                 (orphan_after_s > 0 && gone >= orphan_after_s);
      }
    }
    if (remove) {
      hosts_.erase(it++);
      ++removed;
    } else {
      ++it;
    }
  }
  return removed;
}

}  // namespace ndrelay::server
