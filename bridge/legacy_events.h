#pragma once

// The events LegacyDecoder emits for the child -> parent commands of the Netdata legacy line
// protocol (netdata-stream-protocol.md §7, §10.4). Implemented by whoever owns the session (the
// server); the bridge never reaches into it (STYLE.md 10).
//
// Lifetimes: every std::string_view and std::span in an event points into the decoder's buffers
// and is valid only during the call. Copy what you keep.
// Numbers are already parsed; every numeric field accepts every encoding of §5.4.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "bridge/set_lines.h"

namespace ndrelay::bridge {

// A handler's answer.
enum class Verdict : uint8_t {
  kOk,     // handled; go on
  kSkip,   // ignored on purpose; counted. From a command that opens a chart scope (CHART, BEGIN,
           // BEGIN2, RBEGIN with an id) it also makes the decoder drop the commands of that scope
           // (DIMENSION, CLABEL, CLABEL_COMMIT, FUNCTION, VARIABLE CHART/LOCAL/no scope,
           // CHART_DEFINITION_END, SET, SET2, END, END2, RBEGIN '', RSET, RDSTATE, RSSTATE, REND)
           // without calling their handlers, until the next command that opens a scope.
  kFatal,  // protocol violation (e.g. unknown chart): the decoder stops and reports kClosed
};

// Every keyword the decoder knows (spec §7), plus kUnknown. Used for per-keyword counters.
enum class LegacyKeyword : uint8_t {
  kUnknown,
  kClaimedId,
  kLabel,
  kOverwrite,
  kHostDefine,
  kHostLabel,
  kHostDefineEnd,
  kChart,
  kDimension,
  kClabel,
  kClabelCommit,
  kVariable,
  kFunction,
  kFunctionDel,
  kChartDefinitionEnd,
  kBegin,
  kSet,
  kEnd,
  kBegin2,
  kSet2,
  kEnd2,
  kRbegin,
  kRset,
  kRdstate,
  kRsstate,
  kRend,
  kFunctionResultBegin,
  kFunctionProgress,
  kNodeId,
  kJson,
  kFlush,
  kDyncfgEnable,  // this and the next five: NEW obsolete no-ops, accepted and ignored
  kDyncfgRegisterModule,
  kDyncfgRegisterJob,
  kDyncfgReset,
  kReportJobStatus,
  kDeleteJob,
  kCount  // not a keyword: the number of entries
};
inline constexpr size_t kLegacyKeywordCount = static_cast<size_t>(LegacyKeyword::kCount);

// ---- values shared by several commands ----

// A raw collected value (SET, SET2, RDSTATE): an integer normally; a double for float
// dimensions when FLOATBASELINE is negotiated; empty when SET carries no value ("not collected").
// Text that reads as an integer ("5", "0x5", "#F") is kInt even for a float dimension: the wire
// does not say; the receiver knows the dimension's type.
struct CollectedValue {
  enum class Kind : uint8_t { kEmpty, kInt, kDouble };
  Kind kind = Kind::kEmpty;
  int64_t i = 0;  // valid for kInt
  double d = 0;   // valid for kDouble
};

// Sample flags of SET2 and RSET (spec §5.4). Unknown letters are ignored.
inline constexpr uint8_t kSampleEmpty = 1 << 0;         // 'E': gap, wins over everything
inline constexpr uint8_t kSampleNotAnomalous = 1 << 1;  // 'A'
inline constexpr uint8_t kSampleReset = 1 << 2;         // 'R': counter reset / overflow

// ---- host-level commands ----

// CLAIMED_ID <machine_guid> <claim_id | NULL>. Not validated here: both should be UUIDs (the
// claim id may be "NULL"); a GUID of another host is to be ignored (spec §7.11).
struct ClaimedIdEvent {
  std::string_view machine_guid;
  std::string_view claim_id;
  bool claim_id_is_null = false;  // claim_id == "NULL"
};

// LABEL "<name>" = <source> "<value>". If the value was sent unquoted and split into several
// words, value is the first one and value_words holds all of them (Netdata joins them with single
// spaces); normally value_words has one element.
struct LabelEvent {
  std::string_view name;
  int64_t source = 0;
  std::string_view value;
  std::span<const std::string_view> value_words;
};

// OVERWRITE <what> (Netdata sends "OVERWRITE labels"): replace the host labels with the LABELs
// received so far.
struct OverwriteEvent {
  std::string_view what;
};

// plugins.d host definition (accepted for completeness; not sent by streaming children).
// HOST_DEFINE <guid> <hostname> ... HOST_LABEL <name> <value> ... HOST_DEFINE_END.
struct HostDefineEvent {
  std::string_view guid;
  std::string_view hostname;
};
struct HostLabelEvent {
  std::string_view name;
  std::string_view value;
};

// ---- chart definition ----

// Optional SLOT:<n> first argument (only when SLOTS is negotiated; spec §9.4). 0 = no slot (also
// SLOT:0 or an unparsable slot): look the object up by id.
using Slot = uint64_t;

enum class ChartType : uint8_t { kLine, kArea, kStacked, kHeatmap };  // unknown -> kLine

// CHART options (substring search in the options word, spec §7.1).
inline constexpr uint8_t kChartObsolete = 1 << 0;
inline constexpr uint8_t kChartDetail = 1 << 1;  // OLD only
inline constexpr uint8_t kChartStoreFirst = 1 << 2;
inline constexpr uint8_t kChartHidden = 1 << 3;

// CHART [SLOT:n] "<type.id>" "<name>" "<title>" "<units>" "<family>" "<context>" "<charttype>"
//       <priority> <update_every> "<options>" "<plugin>" "<module>". Opens the chart scope.
// Missing trailing fields are empty views, except: units "unknown", chart_type_word "line" when
// absent; priority 1000 when absent or empty; update_every 0 ("the default") when absent or empty.
// name is sent as-is: "" (or "NULL"/"(NULL)"/the id) means "same as id"; a "type." prefix is to
// be stripped by the receiver.
struct ChartEvent {
  Slot slot = 0;
  std::string_view id;
  std::string_view name;
  std::string_view title;
  std::string_view units;
  std::string_view family;
  std::string_view context;
  std::string_view chart_type_word;
  ChartType chart_type = ChartType::kLine;
  int64_t priority = 1000;
  int64_t update_every = 0;
  std::string_view options_word;
  uint8_t options = 0;  // kChart* bits
  std::string_view plugin;
  std::string_view module;
};

enum class Algorithm : uint8_t {
  kAbsolute,
  kIncremental,
  kPercentageOfAbsoluteRow,
  kPercentageOfIncrementalRow,
};  // unknown or empty -> kAbsolute

// DIMENSION options (substring search, spec §7.3).
inline constexpr uint8_t kDimObsolete = 1 << 0;
inline constexpr uint8_t kDimHidden = 1 << 1;
inline constexpr uint8_t kDimNoReset = 1 << 2;    // "noreset" or "nooverflow"
inline constexpr uint8_t kDimTypeFloat = 1 << 3;  // "type=float" (NEW); "type=int" is the default

// DIMENSION [SLOT:n] "<id>" "<name>" "<algorithm>" <multiplier> <divisor> "<options>". Needs a
// chart in scope. multiplier/divisor: absent, empty or 0 -> 1 (base auto-detect, like 1.37).
struct DimensionEvent {
  Slot slot = 0;
  std::string_view id;
  std::string_view name;  // as sent; empty means "same as id"
  std::string_view algorithm_word;
  Algorithm algorithm = Algorithm::kAbsolute;
  int64_t multiplier = 1;
  int64_t divisor = 1;
  std::string_view options_word;
  uint8_t options = 0;  // kDim* bits
};

// CLABEL "<name>" "<value>" <source>: a chart label for the chart being defined; CLABEL_COMMIT
// (no event struct) applies them.
struct ChartLabelEvent {
  std::string_view name;
  std::string_view value;
  int64_t source = 0;  // 1 auto, 2 config, 4 k8s, 8 aclk (OLD may leak high bits)
};

enum class VariableScope : uint8_t { kNone, kHost, kChart, kGlobal, kLocal };

// VARIABLE [HOST|CHART|GLOBAL|LOCAL] <name> = <value>. kNone: the chart in scope if any, else
// the host (chart_in_scope tells which).
struct VariableEvent {
  VariableScope scope = VariableScope::kNone;
  bool chart_in_scope = false;
  std::string_view name;
  double value = 0;
};

// FUNCTION [GLOBAL] "<name>" <timeout_s> "<help>" ["<tags>" <access> <priority> <version>]
// (a definition; parent -> child calls are not decoded here). Not GLOBAL: the chart in scope,
// or the host when none (chart_in_scope tells which).
struct FunctionEvent {
  bool global = false;
  bool chart_in_scope = false;
  std::string_view name;
  int64_t timeout_s = 10;  // absent or <= 0 -> 10
  std::string_view help;
  std::string_view tags;
  uint64_t access = 0;
  int64_t priority = 0;
  int64_t version = 0;
};

// FUNCTION_DEL [GLOBAL] "<name>" (NEW, FUNCDEL).
struct FunctionDelEvent {
  bool global = false;
  std::string_view name;
};

// CHART_DEFINITION_END <first_entry_s> <last_entry_s> <child_wall_clock_s>; absent -> 0.
struct ChartDefinitionEndEvent {
  int64_t first_entry_s = 0;
  int64_t last_entry_s = 0;
  int64_t wall_clock_s = 0;
};

// ---- v1 data ----

// BEGIN "<chart id>" [<microseconds since the previous collection>] (absent -> 0). Opens scope.
struct BeginEvent {
  std::string_view id;
  int64_t microseconds = 0;
};

// SET "<dim id>" = <collected>. An absent or empty value -> kind kEmpty (not collected).
struct SetEvent {
  std::string_view id;
  CollectedValue value;
};

// Consecutive SET lines that matched the chart's SetLines (LegacyEvents::ChartSetLines()), in
// stream order: dimensions first .. first + count - 1 were set to values[0 .. count - 1], each
// exactly what OnSet() would have received as a kInt value.
struct SetRunEvent {
  const SetLines* lines = nullptr;
  size_t first = 0;
  const int64_t* values = nullptr;
  size_t count = 0;
};

// END [<tv_sec> <tv_usec> [<pending>]] (the arguments are NEW plugins.d only).
struct EndEvent {
  bool has_time = false;
  int64_t tv_sec = 0;
  int64_t tv_usec = 0;
  int64_t pending = 0;
};

// ---- v2 data (INTERPOLATED) ----

// BEGIN2 [SLOT:n] "<chart id>" <update_every> <point_end_time_s> <wall_clock_s | #>. Any wall
// clock word starting with '#' means "same as end time" (Netdata's receiver quirk, spec §7.9).
struct Begin2Event {
  Slot slot = 0;
  std::string_view id;
  int64_t update_every = 0;
  int64_t end_time_s = 0;
  int64_t wall_clock_s = 0;
  bool wall_clock_is_end_time = false;
};

// SET2 [SLOT:n] "<dim id>" <collected> <value | #> <flags>. '#' value -> the collected value as a
// double (value_is_collected set).
struct Set2Event {
  Slot slot = 0;
  std::string_view id;
  CollectedValue collected;
  double value = 0;
  bool value_is_collected = false;
  uint8_t flags = 0;  // kSample* bits
};

// ---- replication (spec §10.4) ----

// RBEGIN [SLOT:n] "<chart id>" (header: opens the scope) or RBEGIN [SLOT:n] '' <start_s> <end_s>
// [<wall_clock_s>] (one point of the chart in scope). Netdata also accepts both at once.
struct ReplayBeginEvent {
  Slot slot = 0;
  std::string_view id;  // empty for the timed form
  bool has_times = false;
  int64_t start_s = 0;
  int64_t end_s = 0;
  int64_t wall_clock_s = 0;  // 0 when absent
};

// RSET [SLOT:n] "<dim id>" <value> <flags>. A non-number (e.g. "NAN"), an absent value or flag
// 'E' is a gap: gap is set, value is NaN unless a number was given.
struct ReplaySetEvent {
  Slot slot = 0;
  std::string_view id;
  double value = 0;
  uint8_t flags = 0;  // kSample* bits
  bool gap = false;
};

// RDSTATE [SLOT:n] "<dim id>" <last_collected_us> <last_collected_value> <last_calculated_value>
// <last_stored_value>; absent numbers -> 0.
struct ReplayDimStateEvent {
  Slot slot = 0;
  std::string_view id;
  int64_t last_collected_us = 0;
  CollectedValue last_collected_value;
  double last_calculated_value = 0;
  double last_stored_value = 0;
};

// RSSTATE <chart_last_collected_us> <chart_last_updated_us>; absent -> 0.
struct ReplayChartStateEvent {
  int64_t last_collected_us = 0;
  int64_t last_updated_us = 0;
};

// REND <update_every> <db_first_s> <db_last_s> <true|false> <after_s> <before_s> [<wall_s>].
// Closes the scope. start_streaming is true only for the word "true".
struct ReplayEndEvent {
  int64_t update_every = 0;
  int64_t db_first_s = 0;
  int64_t db_last_s = 0;
  bool start_streaming = false;
  int64_t after_s = 0;
  int64_t before_s = 0;
  int64_t wall_clock_s = 0;  // 0 when absent
};

// ---- functions, node id, JSON ----

// FUNCTION_RESULT_BEGIN "<transaction>" <status> "<content type>" <expires_s>, the payload
// lines, then FUNCTION_RESULT_END. Delivered once, at the end, with the payload bytes verbatim
// (every line with its "\n"). status is as sent (Netdata maps <= 0 to 591).
struct FunctionResultEvent {
  std::string_view transaction;
  int64_t status = 0;
  std::string_view content_type;
  int64_t expires_s = 0;
  std::string_view payload;
};

// FUNCTION_PROGRESS '<transaction>' <done> <all> (NEW, PROGRESS).
struct FunctionProgressEvent {
  std::string_view transaction;
  int64_t done = 0;
  int64_t all = 0;
};

// NODE_ID '<claim_id>' '<node_id>' '<cloud url>'.
struct NodeIdEvent {
  std::string_view claim_id;
  std::string_view node_id;
  std::string_view cloud_url;
};

// JSON <keyword>, payload lines, JSON_PAYLOAD_END. Unknown keywords are delivered too.
struct JsonEvent {
  std::string_view keyword;  // e.g. "STREAM_PATH", "ML_MODEL"
  std::string_view payload;  // verbatim, every line with its "\n"
};

// ---- errors ----

// Why the decoder stopped (it calls OnProtocolError once, then reports kClosed).
struct ProtocolError {
  uint64_t line_number = 0;  // 1-based, counting every line of the stream
  LegacyKeyword keyword = LegacyKeyword::kUnknown;
  std::string_view line;    // the offending line, truncated to kMaxErrorLineBytes
  std::string_view reason;  // static text
};

// The interface. One method per command (spec §7); each returns a Verdict.
class LegacyEvents {
 public:
  virtual ~LegacyEvents() = default;

  virtual Verdict OnClaimedId(const ClaimedIdEvent& e) = 0;
  virtual Verdict OnLabel(const LabelEvent& e) = 0;
  virtual Verdict OnOverwrite(const OverwriteEvent& e) = 0;
  virtual Verdict OnHostDefine(const HostDefineEvent& e) = 0;
  virtual Verdict OnHostLabel(const HostLabelEvent& e) = 0;
  virtual Verdict OnHostDefineEnd() = 0;

  virtual Verdict OnChart(const ChartEvent& e) = 0;
  virtual Verdict OnDimension(const DimensionEvent& e) = 0;
  virtual Verdict OnChartLabel(const ChartLabelEvent& e) = 0;
  virtual Verdict OnChartLabelCommit() = 0;
  virtual Verdict OnVariable(const VariableEvent& e) = 0;
  virtual Verdict OnFunction(const FunctionEvent& e) = 0;
  virtual Verdict OnFunctionDel(const FunctionDelEvent& e) = 0;
  virtual Verdict OnChartDefinitionEnd(const ChartDefinitionEndEvent& e) = 0;

  virtual Verdict OnBegin(const BeginEvent& e) = 0;
  virtual Verdict OnSet(const SetEvent& e) = 0;
  virtual Verdict OnEnd(const EndEvent& e) = 0;
  // Asked right after OnBegin() returned kOk: the SET lines of the chart BEGIN opened, or nullptr
  // (the default) to receive every SET through OnSet(). The decoder then hands lines that match
  // it to OnSetRun(). It keeps the pointer (across Feed() calls) until the next command that is
  // not a SET, reading the object afresh for every line: until then the object must stay alive
  // and its dimensions keep their ids (dimensions appended meanwhile are fine).
  virtual const SetLines* ChartSetLines() { return nullptr; }
  // Consecutive SET lines that matched ChartSetLines(), in one call; the same as one OnSet() for
  // each of them, in order (which is what this default does). The decoder calls it before any
  // other handler. The verdict is the run's: kFatal closes the stream at the run's last line,
  // kSkip counts one skipped line.
  virtual Verdict OnSetRun(const SetRunEvent& e) {
    Verdict verdict = Verdict::kOk;
    for (size_t i = 0; i < e.count; ++i) {
      SetEvent set;
      set.id = e.lines->id(e.first + i);
      set.value.kind = CollectedValue::Kind::kInt;
      set.value.i = e.values[i];
      const Verdict v = OnSet(set);
      if (v == Verdict::kFatal) {
        return v;
      }
      if (v == Verdict::kSkip) {
        verdict = v;
      }
    }
    return verdict;
  }
  virtual Verdict OnBegin2(const Begin2Event& e) = 0;
  virtual Verdict OnSet2(const Set2Event& e) = 0;
  virtual Verdict OnEnd2() = 0;

  virtual Verdict OnReplayBegin(const ReplayBeginEvent& e) = 0;
  virtual Verdict OnReplaySet(const ReplaySetEvent& e) = 0;
  virtual Verdict OnReplayDimState(const ReplayDimStateEvent& e) = 0;
  virtual Verdict OnReplayChartState(const ReplayChartStateEvent& e) = 0;
  virtual Verdict OnReplayEnd(const ReplayEndEvent& e) = 0;

  virtual Verdict OnFunctionResult(const FunctionResultEvent& e) = 0;
  virtual Verdict OnFunctionProgress(const FunctionProgressEvent& e) = 0;
  virtual Verdict OnNodeId(const NodeIdEvent& e) = 0;
  virtual Verdict OnJson(const JsonEvent& e) = 0;
  // FLUSH: forget the chart in scope (the decoder also clears its own scope).
  virtual Verdict OnFlush() = 0;

  // The stream is broken; the decoder stops after this call.
  virtual void OnProtocolError(const ProtocolError& e) = 0;
};

// Accepts everything and does nothing: a base for tests, fuzzers and partial implementations.
class NullLegacyEvents : public LegacyEvents {
 public:
  Verdict OnClaimedId(const ClaimedIdEvent&) override { return Verdict::kOk; }
  Verdict OnLabel(const LabelEvent&) override { return Verdict::kOk; }
  Verdict OnOverwrite(const OverwriteEvent&) override { return Verdict::kOk; }
  Verdict OnHostDefine(const HostDefineEvent&) override { return Verdict::kOk; }
  Verdict OnHostLabel(const HostLabelEvent&) override { return Verdict::kOk; }
  Verdict OnHostDefineEnd() override { return Verdict::kOk; }
  Verdict OnChart(const ChartEvent&) override { return Verdict::kOk; }
  Verdict OnDimension(const DimensionEvent&) override { return Verdict::kOk; }
  Verdict OnChartLabel(const ChartLabelEvent&) override { return Verdict::kOk; }
  Verdict OnChartLabelCommit() override { return Verdict::kOk; }
  Verdict OnVariable(const VariableEvent&) override { return Verdict::kOk; }
  Verdict OnFunction(const FunctionEvent&) override { return Verdict::kOk; }
  Verdict OnFunctionDel(const FunctionDelEvent&) override { return Verdict::kOk; }
  Verdict OnChartDefinitionEnd(const ChartDefinitionEndEvent&) override { return Verdict::kOk; }
  Verdict OnBegin(const BeginEvent&) override { return Verdict::kOk; }
  Verdict OnSet(const SetEvent&) override { return Verdict::kOk; }
  Verdict OnEnd(const EndEvent&) override { return Verdict::kOk; }
  Verdict OnBegin2(const Begin2Event&) override { return Verdict::kOk; }
  Verdict OnSet2(const Set2Event&) override { return Verdict::kOk; }
  Verdict OnEnd2() override { return Verdict::kOk; }
  Verdict OnReplayBegin(const ReplayBeginEvent&) override { return Verdict::kOk; }
  Verdict OnReplaySet(const ReplaySetEvent&) override { return Verdict::kOk; }
  Verdict OnReplayDimState(const ReplayDimStateEvent&) override { return Verdict::kOk; }
  Verdict OnReplayChartState(const ReplayChartStateEvent&) override { return Verdict::kOk; }
  Verdict OnReplayEnd(const ReplayEndEvent&) override { return Verdict::kOk; }
  Verdict OnFunctionResult(const FunctionResultEvent&) override { return Verdict::kOk; }
  Verdict OnFunctionProgress(const FunctionProgressEvent&) override { return Verdict::kOk; }
  Verdict OnNodeId(const NodeIdEvent&) override { return Verdict::kOk; }
  Verdict OnJson(const JsonEvent&) override { return Verdict::kOk; }
  Verdict OnFlush() override { return Verdict::kOk; }
  void OnProtocolError(const ProtocolError&) override {}
};

}  // namespace ndrelay::bridge
