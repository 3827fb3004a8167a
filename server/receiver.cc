#include "server/receiver.h"

#include <sys/time.h>

#include <cmath>
#include <deque>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "asio/post.hpp"
#include "asio/steady_timer.hpp"
#include "bridge/caps.h"
#include "bridge/legacy_decoder.h"
#include "bridge/legacy_encoder.h"
#include "bridge/lz4_stream.h"
#include "bridge/stream_request.h"
#include "conf/uuid.h"
#include "server/log.h"

namespace ndrelay::server {
namespace {

constexpr std::string_view kComponent = "STREAM";

int64_t NowUs() {
  struct timeval tv;
  gettimeofday(&tv, nullptr);
  return int64_t{tv.tv_sec} * 1000000 + tv.tv_usec;
}
int64_t NowS() { return NowUs() / 1000000; }

db::StorageMode ToStorageMode(conf::MemoryMode m) {
  switch (m) {
    case conf::MemoryMode::kNone:
      return db::StorageMode::kNone;
    case conf::MemoryMode::kRam:
      return db::StorageMode::kRam;
    case conf::MemoryMode::kDbengine:
      // dbengine is the next storage issue; until then such children are kept in ram.
      return db::StorageMode::kRam;
  }
  return db::StorageMode::kRam;
}

db::Algorithm ToDbAlgorithm(bridge::Algorithm a) {
  switch (a) {
    case bridge::Algorithm::kAbsolute:
      return db::Algorithm::kAbsolute;
    case bridge::Algorithm::kIncremental:
      return db::Algorithm::kIncremental;
    case bridge::Algorithm::kPercentageOfAbsoluteRow:
      return db::Algorithm::kPercentageOfAbsoluteRow;
    case bridge::Algorithm::kPercentageOfIncrementalRow:
      return db::Algorithm::kPercentageOfIncrementalRow;
  }
  return db::Algorithm::kAbsolute;
}

std::string_view ChartTypeName(bridge::ChartType t) {
  switch (t) {
    case bridge::ChartType::kLine:
      return "line";
    case bridge::ChartType::kArea:
      return "area";
    case bridge::ChartType::kStacked:
      return "stacked";
    case bridge::ChartType::kHeatmap:
      return "heatmap";
  }
  return "line";
}

db::PointFlags ToPointFlags(uint8_t sample_flags) {
  db::PointFlags f = db::kPointNone;
  if (sample_flags & bridge::kSampleEmpty) {
    f |= db::kPointEmpty;
  }
  if (sample_flags & bridge::kSampleReset) {
    f |= db::kPointReset;
  }
  return f;
}

class ReceiverSession;

// Lets the registry stop a stale session from another thread.
class SessionControl : public ReceiverControl {
 public:
  SessionControl(asio::any_io_executor exec, std::weak_ptr<ReceiverSession> session)
      : exec_(std::move(exec)), session_(std::move(session)) {}
  void Kick(std::string reason) override;

 private:
  asio::any_io_executor exec_;
  std::weak_ptr<ReceiverSession> session_;
};

class ReceiverSession : public bridge::LegacyEvents,
                        public std::enable_shared_from_this<ReceiverSession> {
 public:
  ReceiverSession(std::unique_ptr<Stream> stream, std::string head, const PeerInfo& peer,
                  const ListenerConfig& listener, ReceiverContext& ctx,
                  std::function<void()> on_done)
      : stream_(std::move(stream)),
        timer_(stream_->executor()),
        peer_(peer),
        listener_(listener),
        ctx_(ctx),
        config_(*ctx.config),
        parser_(static_cast<size_t>(config_.limits.max_handshake_bytes)),
        head_(std::move(head)),
        on_done_(std::move(on_done)),
        session_id_(ctx.next_session_id++) {
    ctx_.stats.active++;
  }

  ~ReceiverSession() override {
    stream_->Close();
    ctx_.stats.active--;
    if (on_done_) {
      on_done_();
    }
  }

  void Start() {
    ctx_.stats.requests++;
    ArmTimer(config_.limits.handshake_timeout_s * 1000, "handshake timeout");
    if (!head_.empty()) {
      std::string head = std::move(head_);
      if (!OnRequestBytes(head)) {
        return;
      }
    }
    ReadRequest();
  }

  // Ends the session from its own thread (idempotent).
  void Close(const std::string& reason) {
    if (closed_) {
      return;
    }
    closed_ = true;
    timer_.cancel();
    if (host_) {
      NDR_LOG_INFO(kComponent, "STREAM [receive from %s]: host '%s' disconnected: %s",
                   peer_.Describe(), request_hostname_, reason);
      ctx_.registry->DetachReceiver(host_, session_id_, reason, NowS());
    }
    stream_->Close();
  }

  // ---- LegacyEvents ----
  bridge::Verdict OnClaimedId(const bridge::ClaimedIdEvent& e) override {
    if (!conf::IsUuid(e.machine_guid) || (!e.claim_id_is_null && !conf::IsUuid(e.claim_id))) {
      return Fatal("CLAIMED_ID with a machine GUID or claim id that is not a UUID");
    }
    if (e.machine_guid != host_->machine_guid) {
      NDR_LOG_INFO(kComponent,
                   "STREAM [receive from %s]: host '%s' sent CLAIMED_ID for another machine GUID "
                   "'%s', ignored",
                   peer_.Describe(), request_hostname_, std::string(e.machine_guid));
      return bridge::Verdict::kOk;
    }
    host_->claim_id = e.claim_id_is_null ? "" : std::string(e.claim_id);
    return bridge::Verdict::kOk;
  }
  bridge::Verdict OnLabel(const bridge::LabelEvent& e) override {
    std::string value;
    for (size_t i = 0; i < e.value_words.size(); ++i) {
      absl::StrAppend(&value, i ? " " : "", std::string(e.value_words[i]));
    }
    if (e.value_words.empty()) {
      value.assign(e.value);
    }
    host_->pending_labels.emplace_back(std::string(e.name), std::move(value));
    return bridge::Verdict::kOk;
  }
  bridge::Verdict OnOverwrite(const bridge::OverwriteEvent&) override {
    host_->labels = std::move(host_->pending_labels);
    host_->pending_labels.clear();
    for (const auto& [k, v] : host_->labels) {
      if (k == "_is_ephemeral") {
        host_->ephemeral = v == "true" || v == "yes" || v == "on";
      }
    }
    host_->ephemeral |= host_->settings.is_ephemeral;
    return bridge::Verdict::kOk;
  }
  bridge::Verdict OnHostDefine(const bridge::HostDefineEvent&) override {
    return bridge::Verdict::kOk;
  }
  bridge::Verdict OnHostLabel(const bridge::HostLabelEvent&) override {
    return bridge::Verdict::kOk;
  }
  bridge::Verdict OnHostDefineEnd() override { return bridge::Verdict::kOk; }

  bridge::Verdict OnChart(const bridge::ChartEvent& e) override {
    if (e.id.empty()) {
      return Fatal("CHART without an id");
    }
    Chart* chart = nullptr;
    auto it = host_->charts.find(e.id);
    const int update_every = static_cast<int>(e.update_every > 0 ? e.update_every : update_every_);
    const bool store_first = (e.options & bridge::kChartStoreFirst) != 0;
    db::ChartConfig cc;
    cc.update_every_s = update_every;
    cc.store_first = store_first;
    cc.mode = ToStorageMode(host_->settings.memory_mode);
    cc.history_entries = host_->settings.history_s;
    if (it == host_->charts.end()) {
      auto c = std::make_unique<Chart>();
      c->id.assign(e.id);
      c->collector.emplace(cc);
      auto store = host_->engine->CreateChart({host_->machine_guid, c->id}, update_every);
      if (store.ok()) {
        c->store = *std::move(store);
      } else {
        NDR_LOG_ERROR(kComponent,
                      "cannot create the storage of chart '%s' of host '%s': %s; its "
                      "points are not kept",
                      c->id, host_->hostname, std::string(store.status().message()));
      }
      c->sink.emplace(c->store.get());
      chart = c.get();
      host_->charts.emplace(c->id, std::move(c));
    } else {
      chart = it->second.get();
      // A chart defined again (every reconnect) resynchronises its clock, as Netdata does.
      chart->collector->Redefine(cc, *chart->sink);
    }
    std::string_view name = e.name;
    if (name == "NULL" || name == "(NULL)" || name == e.id) {
      name = {};
    }
    const size_t dot = e.id.find('.');
    if (!name.empty() && dot != std::string_view::npos && name.size() > dot + 1 &&
        name.substr(0, dot + 1) == e.id.substr(0, dot + 1)) {
      name.remove_prefix(dot + 1);
    }
    chart->name =
        name.empty()
            ? chart->id
            : absl::StrCat(std::string(e.id.substr(0, dot == std::string_view::npos ? 0 : dot + 1)),
                           std::string(name));
    chart->title.assign(e.title);
    chart->units.assign(e.units);
    chart->family.assign(e.family);
    chart->context.assign(e.context.empty() ? e.id : e.context);
    chart->chart_type.assign(ChartTypeName(e.chart_type));
    chart->plugin.assign(e.plugin);
    chart->module.assign(e.module);
    chart->priority = e.priority;
    chart->update_every = update_every;
    chart->options = e.options;
    chart->pending_labels.clear();
    if (e.slot > 0 && e.slot <= kMaxChartSlots) {
      if (host_->chart_slots.size() < e.slot) {
        host_->chart_slots.resize(e.slot, nullptr);
      }
      host_->chart_slots[e.slot - 1] = chart;
    }
    chart_ = chart;
    return bridge::Verdict::kOk;
  }

  bridge::Verdict OnDimension(const bridge::DimensionEvent& e) override {
    if (chart_ == nullptr) {
      return Fatal("DIMENSION without a chart");
    }
    if (e.id.empty()) {
      return Fatal("DIMENSION without an id");
    }
    db::DimensionDefinition def;
    def.algorithm = ToDbAlgorithm(e.algorithm);
    def.multiplier = e.multiplier;
    def.divisor = e.divisor;
    def.detect_resets = (e.options & bridge::kDimNoReset) == 0;
    Dimension* dim = nullptr;
    const int64_t existing = chart_->IndexOfId(e.id);
    if (existing < 0) {
      auto index = chart_->collector->AddDimension(def);
      if (!index.ok()) {
        return Fatal("too many dimensions in one chart");
      }
      dim = &chart_->dims.emplace_back();
      dim->id.assign(e.id);
      dim->index = static_cast<uint32_t>(*index);
      chart_->AddId();
      if (chart_->store != nullptr) {
        auto column = chart_->store->AddDimension(dim->id);
        if (!column.ok() || *column != dim->index) {
          // Indexes must keep matching the collector's: the chart cannot continue.
          return Fatal("cannot create the storage of a dimension");
        }
      }
      chart_->compacted = false;
    } else {
      dim = &chart_->dims[static_cast<size_t>(existing)];
      chart_->collector->UpdateDimension(dim->index, def);
    }
    if (e.name.empty() || e.name == e.id) {
      dim->name.clear();
    } else {
      dim->name.assign(e.name);
    }
    dim->options = e.options;
    if (e.slot > 0 && e.slot <= kMaxDimensionSlots) {
      if (chart_->dim_slots.size() < e.slot) {
        chart_->dim_slots.resize(e.slot, nullptr);
      }
      chart_->dim_slots[e.slot - 1] = dim;
    }
    return bridge::Verdict::kOk;
  }

  bridge::Verdict OnChartLabel(const bridge::ChartLabelEvent& e) override {
    if (chart_ == nullptr) {
      return Fatal("CLABEL without a chart");
    }
    chart_->pending_labels.emplace_back(std::string(e.name), std::string(e.value));
    return bridge::Verdict::kOk;
  }
  bridge::Verdict OnChartLabelCommit() override {
    if (chart_ == nullptr) {
      return Fatal("CLABEL_COMMIT without a chart");
    }
    chart_->labels = std::move(chart_->pending_labels);
    chart_->pending_labels.clear();
    return bridge::Verdict::kOk;
  }
  bridge::Verdict OnVariable(const bridge::VariableEvent& e) override {
    const bool on_chart = e.scope == bridge::VariableScope::kChart ||
                          e.scope == bridge::VariableScope::kLocal ||
                          (e.scope == bridge::VariableScope::kNone && e.chart_in_scope);
    auto& vars = on_chart && chart_ ? chart_->variables : host_->variables;
    for (auto& [k, v] : vars) {
      if (k == e.name) {
        v = e.value;
        return bridge::Verdict::kOk;
      }
    }
    vars.emplace_back(std::string(e.name), e.value);
    return bridge::Verdict::kOk;
  }
  bridge::Verdict OnFunction(const bridge::FunctionEvent&) override { return bridge::Verdict::kOk; }
  bridge::Verdict OnFunctionDel(const bridge::FunctionDelEvent&) override {
    return bridge::Verdict::kOk;
  }

  bridge::Verdict OnChartDefinitionEnd(const bridge::ChartDefinitionEndEvent& e) override {
    if (chart_ == nullptr) {
      return Fatal("CHART_DEFINITION_END without a chart");
    }
    Compact(chart_);
    chart_->child_first = e.first_entry_s;
    chart_->child_last = e.last_entry_s;
    chart_->child_wall = e.wall_clock_s;
    if (chart_->replication != ReplicationState::kInProgress) {
      chart_->collector->StartReplication();
      chart_->replication = ReplicationState::kInProgress;
      chart_->repl_after = 0;
      chart_->repl_before = 0;
      stall_rounds_[chart_] = 0;
      RequestReplication(chart_, /*first=*/true);
    }
    return bridge::Verdict::kOk;
  }

  // The chart a BEGIN/BEGIN2 opens, made current (nullptr if it was never defined). Charts come
  // in the same order every round: without a slot, the one that followed the previous chart last
  // time is checked before hashing the id (a slot is looked up directly, and wins, as in Netdata).
  Chart* BeginChart(bridge::Slot slot, std::string_view id) {
    Chart* chart = prev_begin_ != nullptr ? prev_begin_->next_hint : nullptr;
    if (slot != 0 || chart == nullptr || chart->id != id) {
      chart = FindChart(slot, id);
      if (chart == nullptr) {
        return nullptr;
      }
      if (prev_begin_ != nullptr) {
        prev_begin_->next_hint = chart;
      }
    }
    prev_begin_ = chart;
    chart_ = chart;
    chart->set_cursor = 0;
    Compact(chart);
    // A two-deep prefetch pipeline: the state of the next chart, whose object was prefetched at
    // the previous BEGIN, and the object of the one after it.
    if (Chart* next = chart->next_hint; next != nullptr) {
      next->PrefetchRoundState();
      if (next->next_hint != nullptr) {
        next->next_hint->PrefetchObject();
      }
    }
    return chart;
  }

  bridge::Verdict OnBegin(const bridge::BeginEvent& e) override {
    Chart* chart = BeginChart(0, e.id);
    if (chart == nullptr) {
      return Fatal("BEGIN for a chart that was not defined");
    }
    chart->collector->Begin(static_cast<uint64_t>(e.microseconds < 0 ? 0 : e.microseconds),
                            now_us_);
    return bridge::Verdict::kOk;
  }
  bridge::Verdict OnSet(const bridge::SetEvent& e) override {
    if (chart_ == nullptr) {
      return Fatal("SET without BEGIN");
    }
    const int64_t index = chart_->FindDimensionIndex(e.id);
    if (index < 0) {
      return Fatal("SET for a dimension that was not defined");
    }
    if (e.value.kind == bridge::CollectedValue::Kind::kEmpty) {
      return bridge::Verdict::kOk;
    }
    const int64_t v = e.value.kind == bridge::CollectedValue::Kind::kInt
                          ? e.value.i
                          : static_cast<int64_t>(e.value.d);
    chart_->collector->Set(static_cast<size_t>(index), v);
    values_++;
    return bridge::Verdict::kOk;
  }
  // The chart BEGIN made current offers its SET lines: the decoder hands the values of lines
  // that match them to OnSetRun(). (Its dimensions are all defined: Compact() ran at BEGIN.)
  const bridge::SetLines* ChartSetLines() override {
    return chart_ != nullptr ? &chart_->set_lines : nullptr;
  }
  // SET lines that matched chart_->set_lines: dimensions e.first.. of chart_, all defined (the
  // lines are the chart's own), all integers.
  bridge::Verdict OnSetRun(const bridge::SetRunEvent& e) override {
    if (chart_ == nullptr || e.lines != &chart_->set_lines) {
      return bridge::LegacyEvents::OnSetRun(e);  // (never: the decoder drops them at BEGIN)
    }
    if (!chart_->collector->SetRun(e.first, e.values, e.count)) {
      return Fatal("SET for a dimension that was not defined");
    }
    chart_->set_cursor = static_cast<uint32_t>(e.first + e.count);
    values_ += e.count;
    return bridge::Verdict::kOk;
  }
  bridge::Verdict OnEnd(const bridge::EndEvent&) override {
    if (chart_ == nullptr) {
      return Fatal("END without BEGIN");
    }
    chart_->collector->End(now_us_, *chart_->sink);
    if (chart_->store != nullptr) {
      chart_->row_hint = chart_->store->next_row_hint();
      chart_->row_hint_bytes = chart_->store->next_row_hint_bytes();
    }
    chart_ = nullptr;
    data_seen_ = true;
    return bridge::Verdict::kOk;
  }
  bridge::Verdict OnBegin2(const bridge::Begin2Event& e) override {
    Chart* chart = BeginChart(e.slot, e.id);
    if (chart == nullptr) {
      return Fatal("BEGIN2 for a chart that was not defined");
    }
    if (e.update_every > 0) {
      chart->update_every = static_cast<int>(e.update_every);
    }
    chart->collector->BeginV2(static_cast<int>(e.update_every), e.end_time_s, *chart->sink);
    return bridge::Verdict::kOk;
  }
  bridge::Verdict OnSet2(const bridge::Set2Event& e) override {
    if (chart_ == nullptr) {
      return Fatal("SET2 without BEGIN2");
    }
    Dimension* d = FindDimension(e.slot, e.id);
    if (d == nullptr) {
      return Fatal("SET2 for a dimension that was not defined");
    }
    const int64_t collected = e.collected.kind == bridge::CollectedValue::Kind::kDouble
                                  ? static_cast<int64_t>(e.collected.d)
                                  : e.collected.i;
    double value = e.value;
    if (e.value_is_collected) {
      value = e.collected.kind == bridge::CollectedValue::Kind::kDouble
                  ? e.collected.d
                  : static_cast<double>(e.collected.i);
    }
    chart_->collector->SetV2(d->index, collected, value, ToPointFlags(e.flags), *chart_->sink);
    values_++;
    return bridge::Verdict::kOk;
  }
  bridge::Verdict OnEnd2() override {
    if (chart_ == nullptr) {
      return Fatal("END2 without BEGIN2");
    }
    chart_->collector->EndV2();
    chart_ = nullptr;
    data_seen_ = true;
    return bridge::Verdict::kOk;
  }

  bridge::Verdict OnReplayBegin(const bridge::ReplayBeginEvent& e) override {
    if (!e.id.empty() || e.slot > 0) {
      Chart* chart = FindChart(e.slot, e.id);
      if (chart == nullptr) {
        return Fatal("RBEGIN for a chart that was not defined");
      }
      chart_ = chart;
      chart->collector->ReplayHeader();
    }
    if (e.has_times) {
      if (chart_ == nullptr) {
        return Fatal("RBEGIN without a chart");
      }
      chart_->collector->ReplayPoint(e.start_s, e.end_s, e.wall_clock_s, NowS(), *chart_->sink);
    }
    return bridge::Verdict::kOk;
  }
  bridge::Verdict OnReplaySet(const bridge::ReplaySetEvent& e) override {
    if (chart_ == nullptr) {
      return Fatal("RSET without RBEGIN");
    }
    Dimension* d = FindDimension(e.slot, e.id);
    if (d == nullptr) {
      return Fatal("RSET for a dimension that was not defined");
    }
    db::PointFlags flags = ToPointFlags(e.flags);
    if (e.gap) {
      flags |= db::kPointEmpty;
    }
    chart_->collector->ReplaySet(d->index, e.gap ? std::nan("") : e.value, flags, *chart_->sink);
    values_++;
    return bridge::Verdict::kOk;
  }
  bridge::Verdict OnReplayDimState(const bridge::ReplayDimStateEvent& e) override {
    if (chart_ == nullptr) {
      return Fatal("RDSTATE without RBEGIN");
    }
    Dimension* d = FindDimension(e.slot, e.id);
    if (d == nullptr) {
      return Fatal("RDSTATE for a dimension that was not defined");
    }
    db::DimensionState s;
    s.last_collected_us = static_cast<uint64_t>(e.last_collected_us);
    s.last_collected_value = e.last_collected_value.kind == bridge::CollectedValue::Kind::kDouble
                                 ? static_cast<int64_t>(e.last_collected_value.d)
                                 : e.last_collected_value.i;
    s.last_calculated_value = e.last_calculated_value;
    s.last_stored_value = e.last_stored_value;
    chart_->collector->ApplyDimensionState(d->index, s);
    return bridge::Verdict::kOk;
  }
  bridge::Verdict OnReplayChartState(const bridge::ReplayChartStateEvent& e) override {
    if (chart_ == nullptr) {
      return Fatal("RSSTATE without RBEGIN");
    }
    db::ChartState s;
    s.last_collected_us = static_cast<uint64_t>(e.last_collected_us);
    s.last_updated_us = static_cast<uint64_t>(e.last_updated_us);
    chart_->collector->ApplyChartState(s);
    return bridge::Verdict::kOk;
  }
  bridge::Verdict OnReplayEnd(const bridge::ReplayEndEvent& e) override {
    Chart* chart = chart_;
    if (chart == nullptr) {
      return Fatal("REND without RBEGIN");
    }
    chart_ = nullptr;
    chart->collector->ReplayEnd(e.start_streaming, static_cast<int>(e.update_every), *chart->sink);
    if (e.update_every > 0) {
      chart->update_every = static_cast<int>(e.update_every);
    }
    if (chart->replication != ReplicationState::kInProgress) {
      return bridge::Verdict::kOk;  // an answer we did not ask for on this connection
    }
    if (e.start_streaming) {
      chart->replication = ReplicationState::kFinished;
      stall_rounds_.erase(chart);
      return bridge::Verdict::kOk;
    }
    chart->child_first = e.db_first_s;
    chart->child_last = e.db_last_s;
    chart->child_wall = e.wall_clock_s;
    chart->repl_after = e.after_s;
    chart->repl_before = e.before_s;
    // Safety net (NEW): a child that keeps answering without moving forward.
    int& stalls = stall_rounds_[chart];
    stalls = chart->last_time_s() >= chart->child_last ? stalls + 1 : 0;
    if (stalls >= kMaxStalledReplicationRounds) {
      SendReplayChart(chart, /*start_streaming=*/true, 0, 0);
      return bridge::Verdict::kOk;
    }
    RequestReplication(chart, /*first=*/false);
    return bridge::Verdict::kOk;
  }

  bridge::Verdict OnFunctionResult(const bridge::FunctionResultEvent&) override {
    return bridge::Verdict::kOk;  // we send no function calls yet
  }
  bridge::Verdict OnFunctionProgress(const bridge::FunctionProgressEvent&) override {
    return bridge::Verdict::kOk;
  }
  bridge::Verdict OnNodeId(const bridge::NodeIdEvent& e) override {
    host_->node_id.assign(e.node_id);
    return bridge::Verdict::kOk;
  }
  bridge::Verdict OnJson(const bridge::JsonEvent&) override { return bridge::Verdict::kOk; }
  bridge::Verdict OnFlush() override {
    chart_ = nullptr;
    return bridge::Verdict::kOk;
  }
  void OnProtocolError(const bridge::ProtocolError& e) override {
    ctx_.stats.protocol_errors++;
    const std::string keyword(bridge::KeywordName(e.keyword));
    protocol_error_ = absl::StrFormat("protocol error at line %d%s: %s: '%s'", e.line_number,
                                      keyword.empty() ? "" : " (" + keyword + ")",
                                      std::string(e.reason), std::string(e.line));
  }

 private:
  static constexpr size_t kMaxChartSlots = 1000000;
  static constexpr size_t kMaxDimensionSlots = db::kMaxDimensionsPerChart;
  static constexpr int kMaxStalledReplicationRounds = 3;

  bridge::Verdict Fatal(std::string_view why) {
    fatal_reason_.assign(why);
    return bridge::Verdict::kFatal;
  }

  // Once a chart's dimensions are all defined, give back the growth slack of its per-dimension
  // containers: a relay keeps one entry per collected metric in each.
  static void Compact(Chart* c) {
    if (c->compacted) {
      return;
    }
    c->compacted = true;
    c->collector->ShrinkToFit();
    c->set_lines.ShrinkToFit();
    c->dims.shrink_to_fit();
    c->dim_slots.shrink_to_fit();
    c->dim_index.rehash(0);
  }

  Chart* FindChart(bridge::Slot slot, std::string_view id) {
    if (slot > 0 && slot <= host_->chart_slots.size() && host_->chart_slots[slot - 1]) {
      return host_->chart_slots[slot - 1];
    }
    auto it = host_->charts.find(id);
    return it == host_->charts.end() ? nullptr : it->second.get();
  }

  Dimension* FindDimension(bridge::Slot slot, std::string_view id) {
    if (slot > 0 && slot <= chart_->dim_slots.size() && chart_->dim_slots[slot - 1]) {
      return chart_->dim_slots[slot - 1];
    }
    return chart_->FindDimension(id);
  }

  // ---- handshake ----

  void ArmTimer(int64_t ms, const char* what) {
    timer_.expires_after(std::chrono::milliseconds(ms));
    timer_.async_wait([weak = weak_from_this(), what](const asio::error_code& ec) {
      auto self = weak.lock();
      if (!self || ec || self->closed_) {
        return;
      }
      self->ctx_.stats.timeouts++;
      NDR_LOG_INFO(kComponent, "STREAM [receive from %s]: %s, closing", self->peer_.Describe(),
                   what);
      self->Close(what);
    });
  }

  void ReadRequest() {
    buf_.resize(4096);
    stream_->AsyncReadSome(asio::buffer(buf_.data(), buf_.size()),
                           [self = shared_from_this()](const asio::error_code& ec, size_t n) {
                             if (self->closed_) {
                               return;
                             }
                             if (ec) {
                               self->Close("closed during the handshake");
                               return;
                             }
                             if (self->OnRequestBytes(std::string_view(self->buf_.data(), n))) {
                               self->ReadRequest();
                             }
                           });
  }

  // Returns true when more request bytes are needed.
  bool OnRequestBytes(std::string_view bytes) {
    switch (parser_.Feed(bytes)) {
      case bridge::Parse::kNeedMore:
        return true;
      case bridge::Parse::kTooLarge:
      case bridge::Parse::kMalformed:
        ctx_.stats.bad_requests++;
        NDR_LOG_INFO(kComponent, "STREAM [receive from %s]: bad request: %s, answering 400",
                     peer_.Describe(), std::string(parser_.error()));
        SendHttpErrorAndClose(400, "Bad Request", "malformed STREAM request");
        return false;
      case bridge::Parse::kDone:
        break;
    }
    Handshake();
    return false;
  }

  void SendHttpErrorAndClose(int code, std::string_view status, std::string_view body) {
    std::string text = absl::StrFormat(
        "HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\nContent-Length: %d\r\nConnection: "
        "close\r\n\r\n%s",
        code, std::string(status), body.size() + 1, std::string(body) + "\n");
    SendRawAndClose(std::move(text), "bad request");
  }

  void Deny(std::string_view message, std::string_view status_word, std::string_view reply) {
    ctx_.stats.rejected++;
    const auto& r = parser_.request();
    NDR_LOG_INFO(kComponent, "STREAM [receive from %s]: %s. Forbidding access.", peer_.Describe(),
                 std::string(message));
    NDR_LOG_INFO("ACCESS", "STREAM: '%s' '%s' host '%s' api key '%s' machine guid '%s'",
                 peer_.Describe(), std::string(status_word), r.hostname, r.key, r.machine_guid);
    SendRawAndClose(std::string(reply), std::string(status_word));
  }

  // The checks of spec §3.6 (OLD order), then negotiation and the prompt.
  void Handshake() {
    const bridge::StreamRequest& req = parser_.request();
    request_hostname_ = req.hostname;
    // 0. web layer: the listener's ACL and [web] allow streaming from.
    if (!listener_.bind.allows_streaming()) {
      return Deny("streaming is not allowed on this listener (bind to ACL)", "ACCESS DENIED - ACL",
                  bridge::kReplyNotAllowedOld);
    }
    if (!peer_.is_unix && !config_.web.allow_streaming_from.empty() &&
        !config_.web.allow_streaming_from.Matches(peer_.ip)) {
      return Deny("IP is not allowed by [web] allow streaming from", "ACCESS DENIED - WEB ACL",
                  bridge::kReplyNotAllowedOld);
    }
    if (listener_.force_tls() && !peer_.encrypted) {
      ctx_.stats.rejected++;
      NDR_LOG_INFO(kComponent,
                   "STREAM [receive from %s]: The server is configured to always use encrypted "
                   "connections, please enable the SSL on child with hostname '%s'. Forbidding "
                   "access.",
                   peer_.Describe(), req.hostname);
      SendHttpErrorAndClose(400, "Bad Request",
                            "This server accepts only encrypted (TLS) streaming connections.");
      return;
    }
    if (req.key.empty()) {
      return Deny("request without KEY", "ACCESS DENIED - NO KEY", bridge::kReplyNotPermitted);
    }
    if (req.hostname.empty()) {
      return Deny("request without hostname", "ACCESS DENIED - NO HOSTNAME",
                  bridge::kReplyNotPermitted);
    }
    if (req.machine_guid.empty()) {
      return Deny("request without machine GUID", "ACCESS DENIED - NO MACHINE GUID",
                  bridge::kReplyNotPermitted);
    }
    if (!conf::IsUuid(req.key)) {
      return Deny(absl::StrCat("API key '", req.key,
                               "' is not valid GUID (use the command uuidgen to generate one)"),
                  "ACCESS DENIED - INVALID KEY", bridge::kReplyNotPermitted);
    }
    if (!conf::IsUuid(req.machine_guid)) {
      return Deny(absl::StrCat("machine GUID '", req.machine_guid, "' is not GUID"),
                  "ACCESS DENIED - INVALID MACHINE GUID", bridge::kReplyNotPermitted);
    }
    const conf::AccessRule key = config_.ApiKeyAccess(req.key);
    if (key.type != "api") {
      return Deny(absl::StrCat("API key '", req.key, "' is not an API key"),
                  "ACCESS DENIED - API KEY GIVEN IS NOT API KEY", bridge::kReplyNotPermitted);
    }
    if (!key.enabled) {
      return Deny(absl::StrCat("API key '", req.key, "' is not allowed"),
                  "ACCESS DENIED - KEY NOT ENABLED", bridge::kReplyNotPermitted);
    }
    if (!key.allow_from.empty() && !key.allow_from.Matches(peer_.ip)) {
      return Deny(absl::StrCat("API key '", req.key, "' is not permitted from this IP"),
                  "ACCESS DENIED - KEY NOT ALLOWED FROM THIS IP", bridge::kReplyNotPermitted);
    }
    const conf::AccessRule guid = config_.MachineGuidAccess(req.machine_guid);
    if (guid.type != "machine") {
      return Deny(absl::StrCat("machine GUID '", req.machine_guid, "' is not a machine GUID"),
                  "ACCESS DENIED - MACHINE GUID GIVEN IS NOT A MACHINE GUID",
                  bridge::kReplyNotPermitted);
    }
    if (!guid.enabled) {
      return Deny(absl::StrCat("machine GUID '", req.machine_guid, "' is not allowed"),
                  "ACCESS DENIED - MACHINE GUID NOT ENABLED", bridge::kReplyNotPermitted);
    }
    if (!guid.allow_from.empty() && !guid.allow_from.Matches(peer_.ip)) {
      return Deny(
          absl::StrCat("machine GUID '", req.machine_guid, "' is not permitted from this IP"),
          "ACCESS DENIED - MACHINE GUID NOT ALLOWED FROM THIS IP", bridge::kReplyNotPermitted);
    }
    const int64_t now = NowS();
    if (const int64_t every = config_.web.accept_streaming_request_every_s; every > 0) {
      absl::MutexLock l(&ctx_.rate_mu);
      // Netdata's quirk kept: the first request also starts the clock.
      if (ctx_.last_accept_s == 0 || now - ctx_.last_accept_s < every) {
        const int64_t wait = ctx_.last_accept_s == 0 ? every : every - (now - ctx_.last_accept_s);
        if (ctx_.last_accept_s == 0) {
          ctx_.last_accept_s = now;
        }
        return Deny(absl::StrCat("rate limit, will accept new connection in ", wait, " secs"),
                    "RATE LIMIT TRY LATER", bridge::kReplyTooBusy);
      }
      ctx_.last_accept_s = now;
    }
    if (req.machine_guid == ctx_.info->machine_guid) {
      return Deny("attempt to receive metrics from machine GUID identical to parent",
                  "DENIED - ATTEMPT TO RECEIVE METRICS FROM MACHINE_GUID IDENTICAL TO PARENT",
                  bridge::kReplyLocalhost);
    }
    auto control = std::make_shared<SessionControl>(stream_->executor(), weak_from_this());
    std::shared_ptr<Host> host;
    if (ctx_.registry->AttachReceiver(req.machine_guid, session_id_, control, now,
                                      kStaleReceiverSeconds,
                                      &host) == HostRegistry::Attach::kAlreadyStreaming) {
      return Deny(absl::StrCat("multiple connections for same host '", req.hostname,
                               "', the old connection is still alive"),
                  "REJECTED - ALREADY CONNECTED", bridge::kReplyAlreadyStreaming);
    }
    host_ = std::move(host);

    // Negotiation (spec §4.4, §4.5; 1.37 semantics: per key/GUID AND [stream]).
    const uint32_t ours = bridge::OurReceiverCaps();
    const uint32_t offered = req.OfferedCaps(ours);
    const bool compression_allowed = config_.CompressionAllowed(req.key, req.machine_guid);
    const bridge::Negotiation n = bridge::Negotiate(offered, compression_allowed);
    caps_ = n.caps;
    compressed_ = n.compression == bridge::Compression::kLz4;
    update_every_ = req.update_every > 0 ? req.update_every : config_.global.update_every_s;
    {
      absl::MutexLock hl(&host_->mu);
      host_->settings = config_.ResolveChild(req.key, req.machine_guid);
      if (host_->settings.update_every > 0) {
        update_every_ = host_->settings.update_every;
      }
      if (!host_->engine) {
        if (host_->settings.memory_mode == conf::MemoryMode::kDbengine) {
          NDR_LOG_WARN(kComponent,
                       "STREAM [receive from %s]: host '%s' has memory mode dbengine, which is "
                       "not available yet: keeping it in ram (history %d s)",
                       peer_.Describe(), req.hostname, host_->settings.history_s);
        }
        db::EngineConfig ec;
        ec.mode = ToStorageMode(host_->settings.memory_mode);
        ec.history_s = host_->settings.history_s;
        auto engine = db::CreateStorageEngine(ec);
        if (!engine.ok()) {
          NDR_LOG_ERROR(kComponent, "STREAM [receive from %s]: cannot create storage: %s",
                        peer_.Describe(), engine.status().ToString());
          ctx_.registry->DetachReceiver(host_, session_id_, "storage error", now);
          host_.reset();
          SendRawAndClose(std::string(bridge::kReplyTooBusy), "storage error");
          return;
        }
        host_->engine = *std::move(engine);
      }
      host_->hostname = req.hostname;
      host_->registry_hostname = req.registry_hostname;
      host_->os = req.os;
      host_->timezone = req.timezone;
      host_->abbrev_timezone = req.abbrev_timezone;
      host_->utc_offset = req.utc_offset;
      host_->hops = req.hops;
      host_->program_name = req.program_name;
      host_->program_version = req.program_version;
      host_->api_key = req.key;
      host_->system_info = req.system_info;
      host_->peer = peer_.Describe();
      host_->tls = peer_.encrypted;
      host_->caps = caps_;
      host_->compression = compressed_;
      host_->ephemeral = host_->settings.is_ephemeral;
      // Every chart starts this connection with no replication running (spec §9.2).
      for (auto& [id, c] : host_->charts) {
        c->replication = ReplicationState::kIdle;
      }
      host_->last_data_s = now;
    }
    bridge::LegacyDecoderOptions opts;
    opts.caps = caps_;
    opts.max_line_bytes = static_cast<size_t>(config_.limits.max_line_bytes);
    opts.max_words = static_cast<size_t>(config_.limits.max_words_per_line);
    decoder_ = std::make_unique<bridge::LegacyDecoder>(this, opts);
    if (compressed_) {
      bridge::Lz4DecoderOptions lo;
      lo.max_block = static_cast<size_t>(config_.limits.max_compressed_block_bytes);
      lz4_ = std::make_unique<bridge::Lz4StreamDecoder>(lo);
    }
    ctx_.stats.accepted++;
    NDR_LOG_INFO(kComponent,
                 "STREAM [receive from %s]: host '%s' (machine GUID %s, %s/%s, hops %d) "
                 "connected%s; capabilities %s; compression %s",
                 peer_.Describe(), req.hostname, req.machine_guid, req.program_name,
                 req.program_version, req.hops, peer_.encrypted ? " over TLS" : "",
                 bridge::CapsToString(caps_), compressed_ ? "lz4" : "none");
    NDR_LOG_INFO("ACCESS", "STREAM: '%s' 'CONNECTED' host '%s' api key '%s' machine guid '%s'",
                 peer_.Describe(), req.hostname, req.key, req.machine_guid);
    // The prompt goes out alone (the child compares the whole recv()); nothing else is sent
    // until the child has sent something (spec §3.5).
    std::string leftover = std::move(parser_.mutable_request()->leftover);
    out_ = bridge::HandshakeReply(caps_);
    Flush();
    timer_.cancel();
    idle_deadline_ = std::chrono::steady_clock::now() +
                     std::chrono::seconds(config_.limits.receive_idle_timeout_s);
    ArmIdleTimer();
    if (!leftover.empty()) {
      if (!OnStreamBytes(leftover)) {
        return;
      }
    }
    ReadStream();
  }

  void SendRawAndClose(std::string text, std::string reason) {
    out_ = std::move(text);
    close_after_write_ = std::move(reason);
    Flush();
  }

  // ---- streaming ----

  // Fires at idle_deadline_, which every read moves forward; charts still replicating keep
  // the connection (Netdata does not apply the timeout while replication runs).
  void ArmIdleTimer() {
    timer_.expires_at(idle_deadline_);
    timer_.async_wait([weak = weak_from_this()](const asio::error_code& ec) {
      auto self = weak.lock();
      if (!self || ec || self->closed_) {
        return;
      }
      const auto now = std::chrono::steady_clock::now();
      if (now < self->idle_deadline_) {
        self->ArmIdleTimer();
        return;
      }
      if (self->Replicating()) {
        self->idle_deadline_ = now + std::chrono::seconds(5);
        self->ArmIdleTimer();
        return;
      }
      self->ctx_.stats.timeouts++;
      self->Close(absl::StrCat("no data for ", self->config_.limits.receive_idle_timeout_s,
                               " s ([ndrelay] receive idle timeout seconds)"));
    });
  }

  bool Replicating() const {
    absl::MutexLock hl(&host_->mu);
    for (const auto& [id, c] : host_->charts) {
      if (c->replication == ReplicationState::kInProgress) {
        return true;
      }
    }
    return false;
  }

  void ReadStream() {
    buf_.resize(kReceiveBufferBytes);
    stream_->AsyncReadSome(
        asio::buffer(buf_.data(), buf_.size()),
        [self = shared_from_this()](const asio::error_code& ec, size_t n) {
          if (self->closed_) {
            return;
          }
          if (ec) {
            self->Close(ec == asio::error::eof ? "the child closed the connection"
                                               : absl::StrCat("read error: ", ec.message()));
            return;
          }
          self->idle_deadline_ = std::chrono::steady_clock::now() +
                                 std::chrono::seconds(self->config_.limits.receive_idle_timeout_s);
          if (self->OnStreamBytes(std::string_view(self->buf_.data(), n))) {
            self->ReadStream();
          }
        });
  }

  // Decompresses and decodes one read. Returns false when the session closed.
  bool OnStreamBytes(std::string_view bytes) {
    host_->bytes_received.fetch_add(bytes.size(), std::memory_order_relaxed);
    // One clock reading per read: BEGIN/END of the charts in it use it (a read is decoded in far
    // less than the clock's role in Netdata's math, which is whole update_every steps).
    now_us_ = NowUs();
    values_ = 0;
    data_seen_ = false;
    bool ok = true;
    {
      absl::MutexLock hl(&host_->mu);
      if (lz4_) {
        std::string_view wire = bytes, out;
        bridge::Lz4Feed r;
        while ((r = lz4_->Next(&wire, &out)) == bridge::Lz4Feed::kData) {
          if (decoder_->Feed(out) != bridge::LegacyDecoder::Result::kOk) {
            ok = false;
            break;
          }
        }
        if (r == bridge::Lz4Feed::kError) {
          ctx_.stats.lz4_errors++;
          protocol_error_ = absl::StrCat("lz4 decompression failed: ",
                                         std::string(bridge::Lz4ErrorName(lz4_->error())));
          ok = false;
        }
      } else if (decoder_->Feed(bytes) != bridge::LegacyDecoder::Result::kOk) {
        ok = false;
      }
    }
    if (values_) {
      host_->values_received.fetch_add(values_, std::memory_order_relaxed);
    }
    if (data_seen_) {
      host_->last_data_s.store(NowS(), std::memory_order_relaxed);
    }
    if (!ok) {
      // Netdata closes on these too; the log names the host, the chart in scope and the line.
      std::string why =
          !fatal_reason_.empty()
              ? absl::StrCat(fatal_reason_, chart_ ? " (chart '" + chart_->id + "')" : "", ", ",
                             std::string(decoder_->status().message()))
              : protocol_error_;
      if (why.empty()) {
        why = std::string(decoder_->status().message());
      }
      NDR_LOG_ERROR(kComponent, "STREAM [receive from %s]: host '%s': %s; closing",
                    peer_.Describe(), request_hostname_, why);
      Close(why);
      return false;
    }
    Flush();
    return true;
  }

  // ---- replication requests (spec §10.3, OLD rules plus NEW's safety checks) ----

  void RequestReplication(Chart* c, bool first) {
    const int64_t now = NowS();
    const conf::ReceiverSettings& s = host_->settings;
    const int64_t local_last = c->last_time_s();
    int64_t child_first = c->child_first;
    int64_t child_last = c->child_last;
    if (c->child_wall > 0 && child_last > c->child_wall) {
      child_last = c->child_wall;
    }
    int64_t gap_start;
    if (first) {
      gap_start = local_last > 0 ? local_last : std::max<int64_t>(0, now - s.seconds_to_replicate);
    } else {
      gap_start = c->repl_before;
    }
    const int64_t gap_end = now;
    if (!s.enable_replication || c->dims.empty() || child_last <= 0 || child_first <= 0 ||
        child_first > child_last || local_last >= child_last) {
      SendReplayChart(c, true, 0, 0);
      return;
    }
    int64_t after = std::max(child_first, gap_start);
    const int64_t step = std::max<int64_t>(1, s.replication_step_s);
    int64_t before = (gap_end - after > step) ? after + step : gap_end;
    before = std::min(before, child_last);
    if (after > before) {
      SendReplayChart(c, true, 0, 0);
      return;
    }
    const bool start_streaming = (now - after <= step) || before >= child_last;
    SendReplayChart(c, start_streaming, after, before);
  }

  void SendReplayChart(Chart* c, bool start_streaming, int64_t after, int64_t before) {
    c->repl_after = after;
    c->repl_before = before;
    c->repl_requests++;
    bridge::LegacyEncoder::ReplayChart(&out_, c->id, start_streaming, after, before);
  }

  void Flush() {
    if (writing_ || out_.empty()) {
      if (out_.empty() && !writing_ && !close_after_write_.empty()) {
        Close(close_after_write_);
      }
      return;
    }
    writing_ = true;
    sending_.swap(out_);
    out_.clear();
    WriteMore(0);
  }

  void WriteMore(size_t off) {
    stream_->AsyncWriteSome(asio::buffer(sending_.data() + off, sending_.size() - off),
                            [self = shared_from_this(), off](const asio::error_code& ec, size_t n) {
                              if (self->closed_) {
                                return;
                              }
                              if (ec) {
                                self->Close(absl::StrCat("write error: ", ec.message()));
                                return;
                              }
                              if (off + n < self->sending_.size()) {
                                self->WriteMore(off + n);
                                return;
                              }
                              self->writing_ = false;
                              self->sending_.clear();
                              self->Flush();
                            });
  }

  std::unique_ptr<Stream> stream_;
  asio::steady_timer timer_;
  PeerInfo peer_;
  const ListenerConfig& listener_;
  ReceiverContext& ctx_;
  const conf::Config& config_;
  bridge::StreamRequestParser parser_;
  std::string head_;
  std::function<void()> on_done_;
  const uint64_t session_id_;
  std::string buf_;
  std::string out_;
  std::string sending_;
  bool writing_ = false;
  std::string close_after_write_;
  bool closed_ = false;
  std::string request_hostname_;
  std::shared_ptr<Host> host_;
  uint32_t caps_ = 0;
  bool compressed_ = false;
  int update_every_ = 1;
  std::unique_ptr<bridge::LegacyDecoder> decoder_;
  std::unique_ptr<bridge::Lz4StreamDecoder> lz4_;
  Chart* chart_ = nullptr;
  uint64_t values_ = 0;
  int64_t now_us_ = 0;           // wall clock (µs) at the start of the read being decoded
  Chart* prev_begin_ = nullptr;  // the chart of the previous BEGIN (charts live as long as host_)
  bool data_seen_ = false;
  std::string fatal_reason_;
  std::string protocol_error_;
  absl::flat_hash_map<Chart*, int> stall_rounds_;
  std::chrono::steady_clock::time_point idle_deadline_;
};

void SessionControl::Kick(std::string reason) {
  asio::post(exec_, [weak = session_, reason = std::move(reason)] {
    if (auto s = weak.lock()) {
      s->Close(reason);
    }
  });
}

}  // namespace

void StartReceiver(std::unique_ptr<Stream> stream, std::string head, const PeerInfo& peer,
                   const ListenerConfig& listener, ReceiverContext& ctx,
                   std::function<void()> on_done) {
  auto s = std::make_shared<ReceiverSession>(std::move(stream), std::move(head), peer, listener,
                                             ctx, std::move(on_done));
  s->Start();
}

}  // namespace ndrelay::server
