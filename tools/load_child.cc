#include "tools/load_child.h"

#include "absl/strings/str_format.h"
#include "bridge/caps.h"
#include "bridge/numbers.h"
#include "bridge/stream_request.h"
#include "bridge/tokenizer.h"
#include "conf/strings.h"

namespace ndrelay::tools {
namespace {

// SplitMix64: a fixed, well-mixed function of its input (GUIDs, steps).
uint64_t Mix(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// Every reply a parent may send that is complete without a number (spec §3.2, §3.3).
constexpr std::string_view kRejections[] = {
    bridge::kReplyNotPermitted, bridge::kReplyTooBusy,       bridge::kReplyAlreadyStreaming,
    bridge::kReplyLocalhost,    bridge::kReplyLocalVnode,    bridge::kReplyInternalError,
    bridge::kReplyInitializing, bridge::kReplyNotAllowedOld, bridge::kReplyNotAuthorizedNew,
};

bool IsStrictPrefixOf(std::string_view prefix, std::string_view whole) {
  return prefix.size() < whole.size() && whole.substr(0, prefix.size()) == prefix;
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

LoadShape::LoadShape(int charts, int dims, int update_every) : update_every_(update_every) {
  chart_ids_.reserve(static_cast<size_t>(charts));
  for (int c = 0; c < charts; ++c) {
    chart_ids_.push_back(absl::StrFormat("%s%04d", kChartIdPrefix, c + 1));
  }
  dim_ids_.reserve(static_cast<size_t>(dims));
  for (int d = 0; d < dims; ++d) {
    dim_ids_.push_back(absl::StrFormat("%s%03d", kDimIdPrefix, d + 1));
  }
}

int LoadShape::FindChart(std::string_view id) const {
  if (id.size() <= kChartIdPrefix.size() || id.substr(0, kChartIdPrefix.size()) != kChartIdPrefix) {
    return -1;
  }
  uint64_t n = 0;
  if (!bridge::ParseUint64(id.substr(kChartIdPrefix.size()), &n) || n < 1 ||
      n > static_cast<uint64_t>(charts())) {
    return -1;
  }
  const int c = static_cast<int>(n - 1);
  return chart_id(c) == id ? c : -1;
}

ChildIdentity MakeChildIdentity(std::string_view hostname_prefix, uint64_t seed, int index) {
  ChildIdentity id;
  id.hostname = absl::StrFormat("%s-%04d", hostname_prefix, index + 1);
  const uint64_t hi = Mix(seed * 0x100000001B3ull + static_cast<uint64_t>(index) * 2 + 1);
  uint64_t lo = Mix(hi ^ (static_cast<uint64_t>(index) << 32) ^ seed);
  // Version 4 / variant 10 layout, so every UUID parser takes it.
  const uint64_t time_hi = ((hi & 0xFFFF) & 0x0FFF) | 0x4000;
  lo = (lo & 0x3FFFFFFFFFFFFFFFull) | 0x8000000000000000ull;
  id.machine_guid = absl::StrFormat("%08x-%04x-%04x-%04x-%012x", hi >> 32, (hi >> 16) & 0xFFFF,
                                    time_hi, lo >> 48, lo & 0xFFFFFFFFFFFFull);
  return id;
}

uint32_t OfferedCaps(Protocol protocol, bool compression, bool ieee754) {
  uint32_t caps = bridge::kCapsNetdata137;
  if (!compression) {
    caps &= ~bridge::kCapLz4;
  }
  if (protocol == Protocol::kV2) {
    caps |= bridge::kCapInterpolated;
    if (ieee754) {
      caps |= bridge::kCapIeee754;
    }
  }
  return caps;
}

LoadChild::LoadChild(const LoadShape* shape, int index, uint64_t seed, ChildIdentity identity,
                     std::string api_key, uint32_t offered_caps)
    : shape_(shape),
      index_(index),
      salt_(Mix(seed ^ (static_cast<uint64_t>(index) * 0xD1B54A32D192ED03ull))),
      identity_(std::move(identity)),
      api_key_(std::move(api_key)),
      offered_caps_(offered_caps),
      charts_(static_cast<size_t>(shape->charts())) {}

std::string LoadChild::Request() const {
  bridge::StreamRequest r;
  r.key = api_key_;
  r.hostname = identity_.hostname;
  r.registry_hostname = identity_.hostname;
  r.machine_guid = identity_.machine_guid;
  r.update_every = shape_->update_every();
  r.os = "linux";
  r.timezone = "Etc/UTC";
  r.abbrev_timezone = "UTC";
  r.utc_offset = 0;
  r.hops = 1;
  r.system_info = {
      {"NETDATA_HOST_OS_NAME", "ndrelay-load"},
      {"NETDATA_SYSTEM_KERNEL_NAME", "Linux"},
      {"NETDATA_SYSTEM_ARCHITECTURE", "x86_64"},
      {"NETDATA_SYSTEM_CPU_LOGICAL_CPU_COUNT", "1"},
  };
  return bridge::BuildStreamRequest(r, offered_caps_);
}

Handshake LoadChild::OnReply(std::string_view bytes, bool peer_closed) {
  if (handshake_ != Handshake::kNeedMore) {
    return handshake_;
  }
  // Until a decision, reply_ is a strict prefix of a known reply, so it stays tiny; the whole
  // chunk is kept because commands may follow the digits in the same read.
  reply_.append(bytes);
  std::string_view r = reply_;
  // "...with the version=<digits>": like a Netdata child we take the digits of what has
  // arrived (it reads once); anything after them is the start of the parent's command stream.
  if (r.size() > bridge::kReplyVersionPrefix.size() &&
      r.substr(0, bridge::kReplyVersionPrefix.size()) == bridge::kReplyVersionPrefix &&
      IsDigit(r[bridge::kReplyVersionPrefix.size()])) {
    size_t end = bridge::kReplyVersionPrefix.size();
    while (end < r.size() && IsDigit(r[end])) {
      ++end;
    }
    std::optional<uint64_t> v = bridge::ParseHandshakeReply(r.substr(0, end));
    if (!v) {
      return handshake_ = Handshake::kBad;
    }
    caps_ = bridge::ConvertVersionToCaps(*v, offered_caps_);
    leftover_ = std::string(r.substr(end));
    reply_.resize(end);
    return handshake_ = Handshake::kAccepted;
  }
  if (r == bridge::kReplyV1 || r == bridge::kReplyV2) {
    caps_ = bridge::ConvertVersionToCaps(*bridge::ParseHandshakeReply(r), offered_caps_);
    return handshake_ = Handshake::kAccepted;
  }
  for (std::string_view rejection : kRejections) {
    if (r == rejection) {
      return handshake_ = Handshake::kRejected;
    }
  }
  if (reply_.size() > kMaxReplyBytes) {
    reply_.resize(kMaxReplyBytes);
  }
  if (peer_closed) {
    return handshake_ = Handshake::kBad;
  }
  // Wait while the bytes can still become a known reply.
  bool prefix = IsStrictPrefixOf(r, bridge::kReplyVersionPrefix) ||
                r == bridge::kReplyVersionPrefix || IsStrictPrefixOf(r, bridge::kReplyV1) ||
                IsStrictPrefixOf(r, bridge::kReplyV2);
  for (std::string_view rejection : kRejections) {
    prefix = prefix || IsStrictPrefixOf(r, rejection);
  }
  if (r.empty() || prefix) {
    return Handshake::kNeedMore;
  }
  return handshake_ = Handshake::kBad;
}

int64_t LoadChild::Step(int c, int d) const {
  const uint64_t h = Mix(salt_ + static_cast<uint64_t>(c) * 0x9E3779B1u + static_cast<uint64_t>(d));
  return 1 + static_cast<int64_t>(h % static_cast<uint64_t>(kMaxCounterStep));
}

int64_t LoadChild::CounterValue(int c, int d, int64_t n) const { return Step(c, d) * (n + 1); }

absl::Status LoadChild::Commit(std::string* wire) {
  plain_bytes_ += plain_.size();
  absl::Status s;
  if (lz4_) {
    s = lz4_->Compress(plain_, wire);
  } else {
    wire->append(plain_);
  }
  plain_.clear();
  return s;
}

absl::Status LoadChild::Start(int64_t now_s, std::string* wire) {
  if (handshake_ != Handshake::kAccepted) {
    return absl::FailedPreconditionError("Start() before an accepted handshake");
  }
  if (started_) {
    return absl::FailedPreconditionError("Start() called twice");
  }
  started_ = true;
  encoder_ = bridge::LegacyEncoder(caps_);
  v2_ = (caps_ & bridge::kCapInterpolated) != 0;
  replication_ = (caps_ & bridge::kCapReplication) != 0;
  if (caps_ & bridge::kCapLz4) {
    bridge::Lz4EncoderOptions lo;
    lo.binary = (caps_ & bridge::kCapBinary) != 0;
    lz4_ = std::make_unique<bridge::Lz4StreamEncoder>(lo);
  }

  if (caps_ & bridge::kCapClaim) {
    encoder_.ClaimedId(&plain_, identity_.machine_guid, "NULL");
  }
  if (caps_ & bridge::kCapHLabels) {
    encoder_.Label(&plain_, "_os_name", 1, "ndrelay-load");
    encoder_.Label(&plain_, "_is_ephemeral", 2, "false");
    encoder_.Label(&plain_, "_ndrelay_load_child", 2, conf::Cat(index_ + 1));
    encoder_.OverwriteLabels(&plain_);
  }
  const std::string title_base = "ndrelay-load synthetic chart ";
  std::string title;
  for (int c = 0; c < shape_->charts(); ++c) {
    title.assign(title_base);
    title.append(shape_->chart_id(c), kChartIdPrefix.size());
    bridge::ChartEvent ce;
    ce.id = shape_->chart_id(c);
    ce.name = "";
    ce.title = title;
    ce.units = "events/s";
    ce.family = "load";
    ce.context = "ndload.synthetic";
    ce.chart_type = bridge::ChartType::kLine;
    ce.priority = 100000 + c;
    ce.update_every = shape_->update_every();
    ce.plugin = "ndrelay-load";
    ce.module = "synthetic";
    encoder_.Chart(&plain_, ce);
    for (int d = 0; d < shape_->dims(); ++d) {
      bridge::DimensionEvent de;
      de.id = shape_->dim_id(d);
      de.name = shape_->dim_id(d);
      de.algorithm = bridge::Algorithm::kIncremental;
      de.multiplier = 1;
      de.divisor = 1;
      encoder_.Dimension(&plain_, de);
    }
    ChartState& st = charts_[static_cast<size_t>(c)];
    if (replication_) {
      encoder_.ChartDefinitionEnd(&plain_, {st.first_s, st.last_s, now_s});
    } else if (!st.streaming) {
      st.streaming = true;
      ++charts_streaming_;
    }
    // Keep each commit within a few compressor blocks.
    if (plain_.size() >= bridge::kLz4MaxSafeInput) {
      if (absl::Status s = Commit(wire); !s.ok()) {
        return s;
      }
    }
  }
  if (absl::Status s = Commit(wire); !s.ok()) {
    return s;
  }
  if (!leftover_.empty()) {
    std::string glued = std::move(leftover_);
    leftover_.clear();
    return OnParentBytes(glued, now_s, wire);
  }
  return absl::OkStatus();
}

void LoadChild::AnswerReplay(std::string_view chart_id, int64_t now_s) {
  ++replay_requests_;
  const int c = shape_->FindChart(chart_id);
  bridge::ReplayEndEvent end;
  end.start_streaming = true;
  end.wall_clock_s = now_s;
  if (c < 0) {
    // Netdata 2.x answers a chart it does not know with update_every 0 (spec §10.4).
    ++unknown_replay_requests_;
  } else {
    ChartState& st = charts_[static_cast<size_t>(c)];
    end.update_every = shape_->update_every();
    end.db_first_s = st.first_s;
    end.db_last_s = st.last_s;
    if (!st.streaming) {
      st.streaming = true;
      ++charts_streaming_;
    }
  }
  encoder_.ReplayBegin(&plain_, 0, chart_id);
  encoder_.ReplayEnd(&plain_, end);
}

void LoadChild::HandleParentLine(std::string_view line, int64_t now_s) {
  std::string_view words[kMaxParentWords];
  const size_t n = bridge::Tokenize(line, words, kMaxParentWords);
  if (n == 0) {
    return;
  }
  if (words[0] == "REPLAY_CHART" && n >= 2) {
    AnswerReplay(words[1], now_s);
    return;
  }
  ++ignored_parent_lines_;
}

absl::Status LoadChild::OnParentBytes(std::string_view bytes, int64_t now_s, std::string* wire) {
  if (!started_) {
    return absl::FailedPreconditionError("parent bytes before Start()");
  }
  parent_lines_.Append(bytes);
  std::string_view line;
  bridge::Feed f;
  while ((f = parent_lines_.Next(&line)) != bridge::Feed::kNeedMore) {
    if (f == bridge::Feed::kLine) {
      HandleParentLine(line, now_s);
    } else {
      ++ignored_parent_lines_;  // overlong: dropped by the splitter
    }
  }
  if (plain_.empty()) {
    return absl::OkStatus();
  }
  return Commit(wire);
}

absl::StatusOr<uint64_t> LoadChild::Collect(int64_t point_end_s, std::string* wire) {
  if (!started_) {
    return absl::FailedPreconditionError("Collect() before Start()");
  }
  const int ue = shape_->update_every();
  uint64_t samples = 0;
  for (int c = 0; c < shape_->charts(); ++c) {
    ChartState& st = charts_[static_cast<size_t>(c)];
    if (!st.streaming) {
      continue;
    }
    const std::string& id = shape_->chart_id(c);
    if (v2_) {
      bridge::Begin2Event b;
      b.id = id;
      b.update_every = ue;
      b.end_time_s = point_end_s;
      b.wall_clock_s = point_end_s;
      encoder_.Begin2(&plain_, b);
      for (int d = 0; d < shape_->dims(); ++d) {
        bridge::Set2Event s;
        s.id = shape_->dim_id(d);
        s.collected.kind = bridge::CollectedValue::Kind::kInt;
        s.collected.i = CounterValue(c, d, st.points);
        // The stored value of an incremental counter: its rate per second.
        s.value = static_cast<double>(Step(c, d)) / ue;
        s.flags = bridge::kSampleNotAnomalous;
        encoder_.Set2(&plain_, s);
      }
      encoder_.End2(&plain_);
    } else {
      // 0 on a chart's first point: the parent then advances by one update_every (spec §7.8).
      encoder_.Begin(&plain_, id, st.points == 0 ? 0 : int64_t{ue} * kMicrosPerSecond);
      for (int d = 0; d < shape_->dims(); ++d) {
        encoder_.Set(&plain_, shape_->dim_id(d), CounterValue(c, d, st.points));
      }
      encoder_.End(&plain_);
    }
    samples += static_cast<uint64_t>(shape_->dims());
    if (st.points == 0) {
      st.first_s = point_end_s;
    }
    st.last_s = point_end_s;
    ++st.points;
    if (plain_.size() >= bridge::kLz4MaxSafeInput) {
      if (absl::Status s = Commit(wire); !s.ok()) {
        return s;
      }
    }
  }
  if (!plain_.empty()) {
    if (absl::Status s = Commit(wire); !s.ok()) {
      return s;
    }
  }
  return samples;
}

}  // namespace ndrelay::tools
