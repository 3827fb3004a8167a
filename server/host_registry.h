#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "bridge/legacy_events.h"
#include "conf/config.h"
#include "server/db/collector.h"
#include "server/db/storage.h"

namespace ndrelay::server {

// Transparent hashing for std::string keys looked up by std::string_view (Debian's abseil has
// its own string_view type, so absl's default transparent hash does not take std::string_view).
struct StringViewHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
};
struct StringViewEq {
  using is_transparent = void;
  bool operator()(std::string_view a, std::string_view b) const { return a == b; }
};
template <typename V>
using StringMap = absl::flat_hash_map<std::string, V, StringViewHash, StringViewEq>;

// One dimension of a chart: its id and name, options, and its index, which is its column in the
// chart's collector (which also holds the algorithm, multiplier and divisor) and store. Kept
// small: a relay holds one per collected metric.
struct Dimension {
  std::string id;
  std::string name;     // empty when equal to id
  uint32_t index = 0;   // in Chart::collector, Chart::store and Chart::dims
  uint8_t options = 0;  // bridge::kDim*
  const std::string& display_name() const { return name.empty() ? id : name; }
};

// A chart's dimensions at stable addresses (dim_index and dim_slots point into them): one heap
// object each. (A std::deque, which this replaced, takes 576 bytes for a chart of a few
// dimensions; a relay keeps thousands of charts.)
class DimensionList {
 public:
  template <typename T, typename Base>
  class Iterator {
   public:
    explicit Iterator(Base it) : it_(it) {}
    T& operator*() const { return **it_; }
    T* operator->() const { return it_->get(); }
    Iterator& operator++() {
      ++it_;
      return *this;
    }
    bool operator==(const Iterator& o) const { return it_ == o.it_; }
    bool operator!=(const Iterator& o) const { return it_ != o.it_; }

   private:
    Base it_;
  };
  using Items = std::vector<std::unique_ptr<Dimension>>;
  using iterator = Iterator<Dimension, Items::iterator>;
  using const_iterator = Iterator<const Dimension, Items::const_iterator>;

  Dimension& emplace_back() { return *items_.emplace_back(std::make_unique<Dimension>()); }
  Dimension& operator[](size_t i) { return *items_[i]; }
  const Dimension& operator[](size_t i) const { return *items_[i]; }
  Dimension& back() { return *items_.back(); }
  size_t size() const { return items_.size(); }
  bool empty() const { return items_.empty(); }
  void shrink_to_fit() { items_.shrink_to_fit(); }
  iterator begin() { return iterator(items_.begin()); }
  iterator end() { return iterator(items_.end()); }
  const_iterator begin() const { return const_iterator(items_.begin()); }
  const_iterator end() const { return const_iterator(items_.end()); }

 private:
  Items items_;
};

// Parent-side replication state of one chart (spec §10.6).
enum class ReplicationState : uint8_t {
  kIdle,        // connected, no CHART_DEFINITION_END yet
  kInProgress,  // REPLAY_CHART sent, waiting for REND ... true
  kFinished,    // live data flows
};
std::string_view ReplicationStateName(ReplicationState s);

// Hot fields first: what a v1 collection (BEGIN, SETs, END) reads is in the first few cache lines
// of the object (plus the collector's per-dimension array, `set_lines` and the store's row); the
// collector is inline for the same reason.
struct Chart {
  std::string id;
  // The chart whose BEGIN followed this one's last time: children send their charts in the same
  // order every round, so the receiver checks it before hashing the next BEGIN's id.
  Chart* next_hint = nullptr;
  uint32_t set_cursor = 0;                // the dimension the next SET most likely names
  bool compacted = true;                  // false while dimensions are being added
  std::unique_ptr<db::ChartStore> store;  // nullptr if the engine could not create it
  std::optional<db::ChartStoreSink> sink;
  // Every dimension id, in index order, as the SET line that carries its value starts: offered
  // to the decoder at BEGIN (bridge::SetLines), and the small contiguous block the per-SET id
  // check reads instead of a Dimension per line.
  bridge::SetLines set_lines;
  std::optional<db::ChartCollector> collector;
  // The store's next_row_hint() after this chart's last round, kept here (in the lines the
  // prefetch pipeline loads) so the pipeline need not read the store object to find it. Only ever
  // prefetched, never dereferenced: a stale hint (the store's blocks changed since) is harmless.
  const void* row_hint = nullptr;
  size_t row_hint_bytes = 0;

  std::string name;
  std::string title;
  std::string units;
  std::string family;
  std::string context;
  std::string chart_type;
  std::string plugin;
  std::string module;
  int64_t priority = 1000;
  int update_every = 1;
  uint8_t options = 0;                                     // bridge::kChart*
  ReplicationState replication = ReplicationState::kIdle;  // (parent side, with repl_* below)
  std::vector<std::pair<std::string, std::string>> labels;
  std::vector<std::pair<std::string, std::string>> pending_labels;  // CLABEL until COMMIT
  std::vector<std::pair<std::string, double>> variables;
  DimensionList dims;
  // id -> index, only for charts of more than kLinearDimensionIds dimensions (smaller ones scan
  // `set_lines`, which saves a hash table per chart; most charts have a handful of dimensions).
  // Keys are views of Dimension::id (each Dimension is an object of its own: the views stay valid).
  absl::flat_hash_map<std::string_view, uint32_t, StringViewHash, StringViewEq> dim_index;
  static constexpr size_t kLinearDimensionIds = 16;
  std::vector<Dimension*> dim_slots;  // SLOT:<n> → dimension (NEW children)

  // Replication (parent side).
  int64_t repl_after = 0;  // last request sent
  int64_t repl_before = 0;
  int64_t child_first = 0;  // from CHART_DEFINITION_END / REND
  int64_t child_last = 0;
  int64_t child_wall = 0;
  uint64_t repl_requests = 0;

  int64_t first_time_s() const;
  int64_t last_time_s() const;
  // Appends the id of the newest dimension, dims.back() (its index must be set_lines.size()).
  void AddId();
  // The index of the dimension with this id, or -1 (no SET cursor involved).
  int64_t IndexOfId(std::string_view id) const;
  // The index of dimension `id`, or -1. SET lines name dimensions in definition order: the
  // expected one is checked inline before any hashing.
  int64_t FindDimensionIndex(std::string_view id) {
    if (set_cursor < set_lines.size() && set_lines.IdIs(set_cursor, id)) {
      return static_cast<int64_t>(set_cursor++);
    }
    Dimension* d = FindDimensionSlow(id);
    return d == nullptr ? -1 : static_cast<int64_t>(d->index);
  }
  Dimension* FindDimension(std::string_view id) {
    const int64_t i = FindDimensionIndex(id);
    return i < 0 ? nullptr : &dims[static_cast<size_t>(i)];
  }
  Dimension* FindDimensionSlow(std::string_view id);
  // Cache prefetching for the receive path, which is bound by cache (and TLB) misses on per-chart
  // state: children send their charts in the same order every round, so the receiver knows the
  // next charts (next_hint) and asks for their memory while it parses the current one.
  // The fields a round reads (id through collector), i.e. up to `name`.
  void PrefetchObject() const {
    const char* begin = reinterpret_cast<const char*>(this);
    const char* end = reinterpret_cast<const char*>(&name);
    for (const char* p = begin; p < end; p += 64) {
      __builtin_prefetch(p, 1, 3);
    }
  }
  // What a round reads and writes beyond the object: the id block, the collector's per-dimension
  // state, the store's bookkeeping and its next ring row.
  void PrefetchRoundState() const {
    for (size_t i = 0; i < set_lines.ids_bytes(); i += 64) {
      __builtin_prefetch(set_lines.ids_data() + i, 0, 3);
    }
    const char* ends = static_cast<const char*>(set_lines.ends_data());
    for (size_t i = 0; i < set_lines.ends_bytes(); i += 64) {
      __builtin_prefetch(ends + i, 0, 3);
    }
    if (collector.has_value()) {
      collector->PrefetchState();
    }
    // The store object (its bookkeeping, read by StoreRow()) and the ring row it writes next.
    if (store != nullptr) {
      __builtin_prefetch(store.get(), 1, 3);
      __builtin_prefetch(reinterpret_cast<const char*>(store.get()) + 64, 1, 3);
    }
    const char* row = static_cast<const char*>(row_hint);
    for (size_t i = 0; i < row_hint_bytes; i += 64) {
      __builtin_prefetch(row + i, 1, 3);
    }
    if (row_hint_bytes != 0) {
      __builtin_prefetch(row + row_hint_bytes - 1, 1, 3);
    }
  }
};

// Interface of a live receiver session, so the registry can stop a stale one.
class ReceiverControl {
 public:
  virtual ~ReceiverControl() = default;
  // Thread-safe: posts the close to the session's own thread.
  virtual void Kick(std::string reason) = 0;
};

// One child (or the child of a child): identity, connection details, charts. Every field below
// `mu` is guarded by it; the receiver holds it while it applies one decoded chunk, readers while
// they copy out.
struct Host {
  const std::string machine_guid;
  explicit Host(std::string guid) : machine_guid(std::move(guid)) {}

  mutable absl::Mutex mu;
  std::string hostname;
  std::string registry_hostname;
  std::string os;
  std::string timezone;
  std::string abbrev_timezone;
  int32_t utc_offset = 0;
  int hops = 1;
  std::string program_name;
  std::string program_version;
  std::string api_key;
  std::string claim_id;
  std::string node_id;
  std::vector<std::pair<std::string, std::string>> system_info;
  std::vector<std::pair<std::string, std::string>> labels;
  std::vector<std::pair<std::string, std::string>> pending_labels;
  std::vector<std::pair<std::string, double>> variables;
  conf::ReceiverSettings settings;
  bool ephemeral = false;
  std::unique_ptr<db::StorageEngine> engine;
  StringMap<std::unique_ptr<Chart>> charts;
  std::vector<Chart*> chart_slots;

  // Connection.
  bool connected = false;
  std::string peer;  // "[127.0.0.1]:41234"
  bool tls = false;
  uint32_t caps = 0;
  bool compression = false;
  int64_t connected_since_s = 0;
  int64_t disconnected_at_s = 0;
  std::string last_disconnect_reason;
  uint64_t connections = 0;
  std::shared_ptr<ReceiverControl> receiver;
  uint64_t session_id = 0;

  // Written by the receiver thread without `mu`, read anywhere.
  std::atomic<uint64_t> bytes_received{0};
  std::atomic<uint64_t> values_received{0};
  std::atomic<int64_t> last_data_s{0};
};

// A row of the streaming status (Netdata's "streaming" function): every connected child and the
// recently disconnected ones.
struct StreamingRow {
  std::string machine_guid;
  std::string hostname;
  std::string peer;
  bool connected = false;
  int64_t since_s = 0;
  std::string reason;
  uint32_t caps = 0;
  bool compression = false;
  bool tls = false;
  int hops = 0;
};

// All hosts this relay holds, by machine GUID. Thread-safe.
class HostRegistry {
 public:
  HostRegistry() = default;
  HostRegistry(const HostRegistry&) = delete;
  HostRegistry& operator=(const HostRegistry&) = delete;

  enum class Attach { kOk, kAlreadyStreaming };
  // Binds a new receiver session to the host of `guid` (created when new). A live receiver whose
  // last data is at most `stale_after_s` old keeps the host: kAlreadyStreaming. An older one is
  // kicked and replaced.
  Attach AttachReceiver(const std::string& guid, uint64_t session_id,
                        std::shared_ptr<ReceiverControl> control, int64_t now_s,
                        int64_t stale_after_s, std::shared_ptr<Host>* out);
  // The session ends; the host stays (archived) for the cleanup rules.
  void DetachReceiver(const std::shared_ptr<Host>& host, uint64_t session_id,
                      const std::string& reason, int64_t now_s);

  std::vector<std::shared_ptr<Host>> Hosts() const;
  // By machine GUID or hostname.
  std::shared_ptr<Host> Find(std::string_view guid_or_hostname) const;
  std::vector<StreamingRow> StreamingStatus() const;

  // Removes disconnected ephemeral hosts after `ephemeral_after_s` (0 = never) and any
  // disconnected host after `orphan_after_s` (0 = never). Returns how many went.
  size_t Cleanup(int64_t now_s, int64_t ephemeral_after_s, int64_t orphan_after_s);

 private:
  mutable absl::Mutex mu_;
  StringMap<std::shared_ptr<Host>> hosts_ ABSL_GUARDED_BY(mu_);
  std::deque<StreamingRow> recent_ ABSL_GUARDED_BY(mu_);  // recent disconnects, newest first
};

// How many recent disconnections GetStreamingStatus remembers.
constexpr size_t kMaxRecentDisconnects = 256;

}  // namespace ndrelay::server
