#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/synchronization/mutex.h"
#include "conf/config.h"
#include "server/host_registry.h"
#include "server/listener.h"
#include "server/relay_info.h"
#include "server/stream.h"

namespace ndrelay::server {

// Counters of the parent role. Thread-safe.
struct ReceiverStats {
  std::atomic<uint64_t> requests{0};
  std::atomic<uint64_t> accepted{0};
  std::atomic<uint64_t> rejected{0};
  std::atomic<uint64_t> bad_requests{0};
  std::atomic<uint64_t> protocol_errors{0};
  std::atomic<uint64_t> lz4_errors{0};
  std::atomic<uint64_t> timeouts{0};
  std::atomic<uint64_t> active{0};
};

// What every receiver session shares. Outlives all sessions.
struct ReceiverContext {
  const conf::Config* config = nullptr;
  HostRegistry* registry = nullptr;
  const RelayInfo* info = nullptr;
  ReceiverStats stats;
  // `[web] accept a streaming request every seconds`: when the last request was let through.
  absl::Mutex rate_mu;
  int64_t last_accept_s ABSL_GUARDED_BY(rate_mu) = 0;
  std::atomic<uint64_t> next_session_id{1};
};

// Seconds after which a connected child that sent nothing is taken as gone when the same machine
// GUID connects again (Netdata: 30 s), else the new connection gets "already streaming".
constexpr int64_t kStaleReceiverSeconds = 30;
// One read: a child sends ~25 KB/s uncompressed (~8 KB/s with lz4), so 16 KiB rarely fills, and
// every connection holds one.
constexpr size_t kReceiveBufferBytes = 16 * 1024;

// Runs the parent side of Netdata's streaming protocol on a connection that starts with
// "STREAM ": reads the request (bounded in bytes and time), applies Netdata's checks in its
// order with its exact replies, negotiates capabilities and compression, then decodes the
// stream into the host registry and storage, asking for gaps with REPLAY_CHART. `head` holds
// bytes already read (after our TLS termination). `on_done` runs when the connection closes.
void StartReceiver(std::unique_ptr<Stream> stream, std::string head, const PeerInfo& peer,
                   const ListenerConfig& listener, ReceiverContext& ctx,
                   std::function<void()> on_done);

}  // namespace ndrelay::server
