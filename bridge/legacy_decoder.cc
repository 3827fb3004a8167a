#include "bridge/legacy_decoder.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <span>
#include <string>

#include "bridge/caps.h"

namespace ndrelay::bridge {
namespace {

using K = LegacyKeyword;

constexpr std::string_view kKeywordNames[kLegacyKeywordCount] = {
    "",                        // kUnknown
    "CLAIMED_ID",              // kClaimedId
    "LABEL",                   // kLabel
    "OVERWRITE",               // kOverwrite
    "HOST_DEFINE",             // kHostDefine
    "HOST_LABEL",              // kHostLabel
    "HOST_DEFINE_END",         // kHostDefineEnd
    "CHART",                   // kChart
    "DIMENSION",               // kDimension
    "CLABEL",                  // kClabel
    "CLABEL_COMMIT",           // kClabelCommit
    "VARIABLE",                // kVariable
    "FUNCTION",                // kFunction
    "FUNCTION_DEL",            // kFunctionDel
    "CHART_DEFINITION_END",    // kChartDefinitionEnd
    "BEGIN",                   // kBegin
    "SET",                     // kSet
    "END",                     // kEnd
    "BEGIN2",                  // kBegin2
    "SET2",                    // kSet2
    "END2",                    // kEnd2
    "RBEGIN",                  // kRbegin
    "RSET",                    // kRset
    "RDSTATE",                 // kRdstate
    "RSSTATE",                 // kRsstate
    "REND",                    // kRend
    "FUNCTION_RESULT_BEGIN",   // kFunctionResultBegin
    "FUNCTION_PROGRESS",       // kFunctionProgress
    "NODE_ID",                 // kNodeId
    "JSON",                    // kJson
    "FLUSH",                   // kFlush
    "DYNCFG_ENABLE",           // kDyncfgEnable
    "DYNCFG_REGISTER_MODULE",  // kDyncfgRegisterModule
    "DYNCFG_REGISTER_JOB",     // kDyncfgRegisterJob
    "DYNCFG_RESET",            // kDyncfgReset
    "REPORT_JOB_STATUS",       // kReportJobStatus
    "DELETE_JOB",              // kDeleteJob
};

constexpr std::string_view kFunctionResultEnd = "FUNCTION_RESULT_END";
constexpr std::string_view kJsonPayloadEnd = "JSON_PAYLOAD_END";
constexpr std::string_view kSlotPrefix = "SLOT:";

bool Contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

ChartType ParseChartType(std::string_view w) {
  if (w == "area") {
    return ChartType::kArea;
  }
  if (w == "stacked") {
    return ChartType::kStacked;
  }
  if (w == "heatmap") {
    return ChartType::kHeatmap;
  }
  return ChartType::kLine;
}

Algorithm ParseAlgorithm(std::string_view w) {
  if (w == "incremental") {
    return Algorithm::kIncremental;
  }
  if (w == "percentage-of-absolute-row") {
    return Algorithm::kPercentageOfAbsoluteRow;
  }
  if (w == "percentage-of-incremental-row") {
    return Algorithm::kPercentageOfIncrementalRow;
  }
  return Algorithm::kAbsolute;
}

uint8_t ParseSampleFlags(std::string_view w) {
  uint8_t flags = 0;
  for (char c : w) {
    if (c == 'E') {
      flags |= kSampleEmpty;
    } else if (c == 'A') {
      flags |= kSampleNotAnomalous;
    } else if (c == 'R') {
      flags |= kSampleReset;
    }
  }
  return flags;
}

double CollectedAsDouble(const CollectedValue& v) {
  switch (v.kind) {
    case CollectedValue::Kind::kInt:
      return static_cast<double>(v.i);
    case CollectedValue::Kind::kDouble:
      return v.d;
    case CollectedValue::Kind::kEmpty:
      break;
  }
  return std::numeric_limits<double>::quiet_NaN();
}

// "line <n>: <reason>: <line>". Built once, when the stream closes. (Debian's abseil has its own
// string_view type, so no StrCat on std::string_view here.)
std::string ErrorText(uint64_t line_number, std::string_view reason, std::string_view line) {
  std::string text = "line ";
  text += std::to_string(line_number);
  text += ": ";
  text += reason;
  text += ": ";
  text += line;
  return text;
}

}  // namespace

std::string_view KeywordName(LegacyKeyword keyword) {
  const size_t i = static_cast<size_t>(keyword);
  return i < kLegacyKeywordCount ? kKeywordNames[i] : std::string_view();
}

LegacyKeyword LookupKeyword(std::string_view w) {
  // Switch on the length, then compare with the few keywords of that length. The hot ones (SET,
  // END, BEGIN, RSET, RBEGIN, SET2) are tested first in their bucket.
  switch (w.size()) {
    case 3:
      if (w == "SET") {
        return K::kSet;
      }
      if (w == "END") {
        return K::kEnd;
      }
      break;
    case 4:
      if (w == "RSET") {
        return K::kRset;
      }
      if (w == "SET2") {
        return K::kSet2;
      }
      if (w == "END2") {
        return K::kEnd2;
      }
      if (w == "REND") {
        return K::kRend;
      }
      if (w == "JSON") {
        return K::kJson;
      }
      break;
    case 5:
      if (w == "BEGIN") {
        return K::kBegin;
      }
      if (w == "CHART") {
        return K::kChart;
      }
      if (w == "LABEL") {
        return K::kLabel;
      }
      if (w == "FLUSH") {
        return K::kFlush;
      }
      break;
    case 6:
      if (w == "RBEGIN") {
        return K::kRbegin;
      }
      if (w == "BEGIN2") {
        return K::kBegin2;
      }
      if (w == "CLABEL") {
        return K::kClabel;
      }
      break;
    case 7:
      if (w == "RDSTATE") {
        return K::kRdstate;
      }
      if (w == "RSSTATE") {
        return K::kRsstate;
      }
      if (w == "NODE_ID") {
        return K::kNodeId;
      }
      break;
    case 8:
      if (w == "VARIABLE") {
        return K::kVariable;
      }
      if (w == "FUNCTION") {
        return K::kFunction;
      }
      break;
    case 9:
      if (w == "DIMENSION") {
        return K::kDimension;
      }
      if (w == "OVERWRITE") {
        return K::kOverwrite;
      }
      break;
    case 10:
      if (w == "CLAIMED_ID") {
        return K::kClaimedId;
      }
      if (w == "HOST_LABEL") {
        return K::kHostLabel;
      }
      if (w == "DELETE_JOB") {
        return K::kDeleteJob;
      }
      break;
    case 11:
      if (w == "HOST_DEFINE") {
        return K::kHostDefine;
      }
      break;
    case 12:
      if (w == "FUNCTION_DEL") {
        return K::kFunctionDel;
      }
      if (w == "DYNCFG_RESET") {
        return K::kDyncfgReset;
      }
      break;
    case 13:
      if (w == "CLABEL_COMMIT") {
        return K::kClabelCommit;
      }
      if (w == "DYNCFG_ENABLE") {
        return K::kDyncfgEnable;
      }
      break;
    case 15:
      if (w == "HOST_DEFINE_END") {
        return K::kHostDefineEnd;
      }
      break;
    case 17:
      if (w == "FUNCTION_PROGRESS") {
        return K::kFunctionProgress;
      }
      if (w == "REPORT_JOB_STATUS") {
        return K::kReportJobStatus;
      }
      break;
    case 19:
      if (w == "DYNCFG_REGISTER_JOB") {
        return K::kDyncfgRegisterJob;
      }
      break;
    case 20:
      if (w == "CHART_DEFINITION_END") {
        return K::kChartDefinitionEnd;
      }
      break;
    case 21:
      if (w == "FUNCTION_RESULT_BEGIN") {
        return K::kFunctionResultBegin;
      }
      break;
    case 22:
      if (w == "DYNCFG_REGISTER_MODULE") {
        return K::kDyncfgRegisterModule;
      }
      break;
    default:
      break;
  }
  return K::kUnknown;
}

LegacyDecoder::LegacyDecoder(LegacyEvents* events, const LegacyDecoderOptions& options)
    : events_(events),
      splitter_(options.max_line_bytes),
      max_words_(std::clamp<size_t>(options.max_words, 1, kMaxWordsLimit)),
      max_payload_bytes_(options.max_payload_bytes),
      slots_((options.caps & kCapSlots) != 0),
      unknown_fatal_(options.unknown_keyword_is_fatal) {}

LegacyDecoder::Result LegacyDecoder::Feed(std::string_view bytes) {
  if (closed_) {
    return Result::kClosed;
  }
  stats_.bytes += bytes.size();
  while (!bytes.empty()) {
    const size_t take = std::min(bytes.size(), kFeedSliceBytes);
    splitter_.Append(bytes.substr(0, take));
    bytes.remove_prefix(take);
    if (!Drain()) {
      return Result::kClosed;
    }
  }
  return Result::kOk;
}

bool LegacyDecoder::Drain() {
  std::string_view line;
  for (;;) {
    if (payload_ != Payload::kNone) {
      if (splitter_.NextRaw(&line) != Feed::kLine) {
        return true;
      }
      if (!ProcessPayloadPiece(line)) {
        return false;
      }
      continue;
    }
    switch (splitter_.Next(&line)) {
      case Feed::kNeedMore:
        return true;
      case Feed::kTooLong:
        ++line_number_;
        ++stats_.too_long_lines;
        break;
      case Feed::kLine:
        ++line_number_;
        ++stats_.lines;
        if (!ProcessLine(line)) {
          return false;
        }
        break;
    }
  }
}

bool LegacyDecoder::Fail(std::string_view reason) {
  ++stats_.errors;
  closed_ = true;
  ProtocolError e;
  e.line_number = line_number_;
  e.keyword = keyword_;
  e.line = line_.substr(0, kMaxErrorLineBytes);
  e.reason = reason;
  status_ = absl::InvalidArgumentError(ErrorText(e.line_number, reason, e.line));
  events_->OnProtocolError(e);
  return false;
}

bool LegacyDecoder::Apply(Verdict v) {
  switch (v) {
    case Verdict::kOk:
      return true;
    case Verdict::kSkip:
      ++stats_.skipped;
      return true;
    case Verdict::kFatal:
      break;
  }
  ++stats_.fatal_verdicts;
  closed_ = true;
  status_ = absl::AbortedError(
      ErrorText(line_number_, "rejected by the session", line_.substr(0, kMaxErrorLineBytes)));
  return false;
}

bool LegacyDecoder::ApplyOpen(Verdict v) {
  chart_in_scope_ = true;
  skip_scope_ = v == Verdict::kSkip;
  return Apply(v);
}

// True when the command belongs to a scope whose opener was answered kSkip: drop it.
bool LegacyDecoder::SkipInScope() {
  if (skip_scope_) {
    ++stats_.skipped;
    return true;
  }
  return false;
}

// Same, for END/END2/REND: also close the scope.
bool LegacyDecoder::SkipClose() {
  if (skip_scope_) {
    ++stats_.skipped;
    skip_scope_ = false;
    chart_in_scope_ = false;
    return true;
  }
  return false;
}

LegacyDecoder::Args LegacyDecoder::TakeSlot(Args a, Slot* slot) const {
  *slot = 0;
  if (slots_ && a.n > 0 && a.w[0].starts_with(kSlotPrefix)) {
    uint64_t v;
    // An unparsable slot is slot 0 ("look up by id"), as in Netdata.
    if (ParseUint64(a.w[0].substr(kSlotPrefix.size()), &v)) {
      *slot = v;
    }
    ++a.w;
    --a.n;
  }
  return a;
}

bool LegacyDecoder::Int(std::string_view word, int64_t* out, IntBase base) {
  if (ParseInt64(word, out, base)) {
    return true;
  }
  return Fail("invalid integer");
}

bool LegacyDecoder::OptInt(std::string_view word, int64_t* out, IntBase base) {
  return word.empty() || Int(word, out, base);
}

bool LegacyDecoder::OptDouble(std::string_view word, double* out) {
  if (word.empty() || ParseDouble(word, out)) {
    return true;
  }
  return Fail("invalid number");
}

bool LegacyDecoder::Collected(std::string_view word, CollectedValue* out) {
  if (word.empty()) {
    out->kind = CollectedValue::Kind::kEmpty;
    return true;
  }
  if (ParseInt64(word, &out->i, IntBase::kAuto)) {
    out->kind = CollectedValue::Kind::kInt;
    return true;
  }
  if (ParseDouble(word, &out->d)) {
    out->kind = CollectedValue::Kind::kDouble;
    return true;
  }
  return Fail("invalid collected value");
}

bool LegacyDecoder::ProcessLine(std::string_view line) {
  line_ = line;
  keyword_ = K::kUnknown;
  bool dropped = false;
  const size_t n = Tokenize(line, words_.data(), max_words_, &dropped);
  stats_.words += n;
  if (dropped) {
    ++stats_.lines_with_dropped_words;
  }
  if (n == 0) {
    ++stats_.empty_lines;
    return true;
  }
  keyword_ = LookupKeyword(words_[0]);
  ++stats_.commands[static_cast<size_t>(keyword_)];
  const Args a{words_.data() + 1, n - 1};
  switch (keyword_) {
    case K::kSet:
      return DoSet(a);
    case K::kBegin:
      return DoBegin(a);
    case K::kEnd:
      return DoEnd(a);
    case K::kRset:
      return DoReplaySet(a);
    case K::kRbegin:
      return DoReplayBegin(a);
    case K::kSet2:
      return DoSet2(a);
    case K::kBegin2:
      return DoBegin2(a);
    case K::kEnd2:
      return DoEnd2();
    case K::kRdstate:
      return DoReplayDimState(a);
    case K::kRsstate:
      return DoReplayChartState(a);
    case K::kRend:
      return DoReplayEnd(a);
    case K::kChart:
      return DoChart(a);
    case K::kDimension:
      return DoDimension(a);
    case K::kClabel:
      return DoChartLabel(a);
    case K::kClabelCommit:
      return DoChartLabelCommit();
    case K::kChartDefinitionEnd:
      return DoChartDefinitionEnd(a);
    case K::kVariable:
      return DoVariable(a);
    case K::kFunction:
      return DoFunction(a);
    case K::kFunctionDel:
      return DoFunctionDel(a);
    case K::kClaimedId:
      return DoClaimedId(a);
    case K::kLabel:
      return DoLabel(a);
    case K::kOverwrite:
      return Apply(events_->OnOverwrite(OverwriteEvent{a[0]}));
    case K::kHostDefine:
      return DoHostDefine(a);
    case K::kHostLabel:
      return DoHostLabel(a);
    case K::kHostDefineEnd:
      return Apply(events_->OnHostDefineEnd());
    case K::kFunctionResultBegin:
      return DoFunctionResultBegin(a);
    case K::kFunctionProgress:
      return DoFunctionProgress(a);
    case K::kNodeId:
      return DoNodeId(a);
    case K::kJson:
      return DoJson(a);
    case K::kFlush:
      return DoFlush();
    case K::kDyncfgEnable:
    case K::kDyncfgRegisterModule:
    case K::kDyncfgRegisterJob:
    case K::kDyncfgReset:
    case K::kReportJobStatus:
    case K::kDeleteJob:
      ++stats_.ignored;
      return true;
    case K::kUnknown:
    case K::kCount:
      break;
  }
  if (!unknown_fatal_) {
    ++stats_.skipped;
    return true;
  }
  return Fail("unknown keyword");
}

// ---- host level ----

bool LegacyDecoder::DoClaimedId(Args a) {
  if (a.n < 2) {
    return Fail("CLAIMED_ID needs a machine GUID and a claim id");
  }
  ClaimedIdEvent e;
  e.machine_guid = a[0];
  e.claim_id = a[1];
  e.claim_id_is_null = a[1] == "NULL";
  return Apply(events_->OnClaimedId(e));
}

bool LegacyDecoder::DoLabel(Args a) {
  if (a.n < 3) {
    return Fail("LABEL needs a name, a source and a value");
  }
  LabelEvent e;
  e.name = a[0];
  if (!Int(a[1], &e.source)) {
    return false;
  }
  e.value = a[2];
  e.value_words = std::span<const std::string_view>(a.w + 2, a.n - 2);
  return Apply(events_->OnLabel(e));
}

bool LegacyDecoder::DoHostDefine(Args a) {
  if (a.n < 2) {
    return Fail("HOST_DEFINE needs a GUID and a hostname");
  }
  return Apply(events_->OnHostDefine(HostDefineEvent{a[0], a[1]}));
}

bool LegacyDecoder::DoHostLabel(Args a) {
  if (a.n < 2) {
    return Fail("HOST_LABEL needs a name and a value");
  }
  return Apply(events_->OnHostLabel(HostLabelEvent{a[0], a[1]}));
}

// ---- chart definition ----

bool LegacyDecoder::DoChart(Args a) {
  ChartEvent e;
  a = TakeSlot(a, &e.slot);
  if (a[0].empty()) {
    return Fail("CHART needs an id");
  }
  e.id = a[0];
  e.name = a[1];
  e.title = a[2];
  e.units = a.has(3) ? a[3] : std::string_view("unknown");
  e.family = a[4];
  e.context = a[5];
  e.chart_type_word = a.has(6) ? a[6] : std::string_view("line");
  e.chart_type = ParseChartType(e.chart_type_word);
  if (!OptInt(a[7], &e.priority) || !OptInt(a[8], &e.update_every)) {
    return false;
  }
  e.options_word = a[9];
  if (!e.options_word.empty()) {
    if (Contains(e.options_word, "obsolete")) {
      e.options |= kChartObsolete;
    }
    if (Contains(e.options_word, "detail")) {
      e.options |= kChartDetail;
    }
    if (Contains(e.options_word, "store_first")) {
      e.options |= kChartStoreFirst;
    }
    if (Contains(e.options_word, "hidden")) {
      e.options |= kChartHidden;
    }
  }
  e.plugin = a[10];
  e.module = a[11];
  return ApplyOpen(events_->OnChart(e));
}

bool LegacyDecoder::DoDimension(Args a) {
  if (SkipInScope()) {
    return true;
  }
  if (!chart_in_scope_) {
    return Fail("DIMENSION without a chart in scope");
  }
  DimensionEvent e;
  a = TakeSlot(a, &e.slot);
  if (a[0].empty()) {
    return Fail("DIMENSION needs an id");
  }
  e.id = a[0];
  e.name = a[1];
  e.algorithm_word = a[2];
  e.algorithm = ParseAlgorithm(e.algorithm_word);
  if (!OptInt(a[3], &e.multiplier, IntBase::kAuto) || !OptInt(a[4], &e.divisor, IntBase::kAuto)) {
    return false;
  }
  if (e.multiplier == 0) {
    e.multiplier = 1;
  }
  if (e.divisor == 0) {
    e.divisor = 1;
  }
  e.options_word = a[5];
  if (!e.options_word.empty()) {
    if (Contains(e.options_word, "obsolete")) {
      e.options |= kDimObsolete;
    }
    if (Contains(e.options_word, "hidden")) {
      e.options |= kDimHidden;
    }
    if (Contains(e.options_word, "noreset") || Contains(e.options_word, "nooverflow")) {
      e.options |= kDimNoReset;
    }
    if (Contains(e.options_word, "type=float")) {
      e.options |= kDimTypeFloat;
    }
  }
  return Apply(events_->OnDimension(e));
}

bool LegacyDecoder::DoChartLabel(Args a) {
  if (SkipInScope()) {
    return true;
  }
  if (a.n < 3) {
    return Fail("CLABEL needs a name, a value and a source");
  }
  ChartLabelEvent e;
  e.name = a[0];
  e.value = a[1];
  if (!Int(a[2], &e.source)) {
    return false;
  }
  return Apply(events_->OnChartLabel(e));
}

bool LegacyDecoder::DoChartLabelCommit() {
  if (SkipInScope()) {
    return true;
  }
  return Apply(events_->OnChartLabelCommit());
}

bool LegacyDecoder::DoVariable(Args a) {
  VariableEvent e;
  const std::string_view scope = a[0];
  if (scope == "HOST") {
    e.scope = VariableScope::kHost;
  } else if (scope == "CHART") {
    e.scope = VariableScope::kChart;
  } else if (scope == "GLOBAL") {
    e.scope = VariableScope::kGlobal;
  } else if (scope == "LOCAL") {
    e.scope = VariableScope::kLocal;
  }
  if (e.scope != VariableScope::kNone) {
    ++a.w;
    --a.n;
  }
  const bool chart_scoped = e.scope == VariableScope::kChart || e.scope == VariableScope::kLocal ||
                            (e.scope == VariableScope::kNone && chart_in_scope_);
  if (chart_scoped && SkipInScope()) {
    return true;
  }
  if (chart_scoped && !chart_in_scope_) {
    return Fail("chart VARIABLE without a chart in scope");
  }
  e.chart_in_scope = chart_in_scope_;
  if (a.n < 2 || a[0].empty()) {
    return Fail("VARIABLE needs a name and a value");
  }
  e.name = a[0];
  if (!ParseDouble(a[1], &e.value)) {
    return Fail("invalid VARIABLE value");
  }
  return Apply(events_->OnVariable(e));
}

bool LegacyDecoder::DoFunction(Args a) {
  FunctionEvent e;
  if (a[0] == "GLOBAL") {
    e.global = true;
    ++a.w;
    --a.n;
  }
  if (!e.global && chart_in_scope_ && SkipInScope()) {
    return true;
  }
  e.chart_in_scope = chart_in_scope_;
  if (a[0].empty()) {
    return Fail("FUNCTION needs a name");
  }
  e.name = a[0];
  if (!OptInt(a[1], &e.timeout_s)) {
    return false;
  }
  if (e.timeout_s <= 0) {
    e.timeout_s = 10;
  }
  e.help = a[2];
  e.tags = a[3];
  if (!a[4].empty() && !ParseUint64(a[4], &e.access)) {
    return Fail("invalid FUNCTION access");
  }
  if (!OptInt(a[5], &e.priority) || !OptInt(a[6], &e.version)) {
    return false;
  }
  return Apply(events_->OnFunction(e));
}

bool LegacyDecoder::DoFunctionDel(Args a) {
  FunctionDelEvent e;
  if (a[0] == "GLOBAL") {
    e.global = true;
    ++a.w;
    --a.n;
  }
  if (a[0].empty()) {
    return Fail("FUNCTION_DEL needs a name");
  }
  e.name = a[0];
  return Apply(events_->OnFunctionDel(e));
}

bool LegacyDecoder::DoChartDefinitionEnd(Args a) {
  if (SkipInScope()) {
    return true;
  }
  if (!chart_in_scope_) {
    return Fail("CHART_DEFINITION_END without a chart in scope");
  }
  ChartDefinitionEndEvent e;
  if (!OptInt(a[0], &e.first_entry_s) || !OptInt(a[1], &e.last_entry_s) ||
      !OptInt(a[2], &e.wall_clock_s)) {
    return false;
  }
  return Apply(events_->OnChartDefinitionEnd(e));
}

// ---- v1 data ----

bool LegacyDecoder::DoBegin(Args a) {
  if (a[0].empty()) {
    return Fail("BEGIN needs a chart id");
  }
  BeginEvent e;
  e.id = a[0];
  if (!OptInt(a[1], &e.microseconds)) {
    return false;
  }
  return ApplyOpen(events_->OnBegin(e));
}

bool LegacyDecoder::DoSet(Args a) {
  if (SkipInScope()) {
    return true;
  }
  if (!chart_in_scope_) {
    return Fail("SET without a chart in scope");
  }
  if (a[0].empty()) {
    return Fail("SET needs a dimension id");
  }
  SetEvent e;
  e.id = a[0];
  if (!Collected(a[1], &e.value)) {
    return false;
  }
  return Apply(events_->OnSet(e));
}

bool LegacyDecoder::DoEnd(Args a) {
  if (SkipClose()) {
    return true;
  }
  if (!chart_in_scope_) {
    return Fail("END without a chart in scope");
  }
  chart_in_scope_ = false;
  EndEvent e;
  if (a.n >= 2) {
    e.has_time = true;
    if (!Int(a[0], &e.tv_sec) || !Int(a[1], &e.tv_usec) || !OptInt(a[2], &e.pending)) {
      return false;
    }
  }
  return Apply(events_->OnEnd(e));
}

// ---- v2 data ----

bool LegacyDecoder::DoBegin2(Args a) {
  Begin2Event e;
  a = TakeSlot(a, &e.slot);
  if (a.n < 4 || a[0].empty()) {
    return Fail("BEGIN2 needs a chart id, update every, end time and wall clock");
  }
  e.id = a[0];
  if (!Int(a[1], &e.update_every) || !Int(a[2], &e.end_time_s)) {
    return false;
  }
  if (!a[3].empty() && a[3][0] == '#') {
    // Netdata's receiver reads any '#'-word here as "same as end time" (spec §7.9).
    e.wall_clock_s = e.end_time_s;
    e.wall_clock_is_end_time = true;
  } else if (!Int(a[3], &e.wall_clock_s)) {
    return false;
  }
  return ApplyOpen(events_->OnBegin2(e));
}

bool LegacyDecoder::DoSet2(Args a) {
  if (SkipInScope()) {
    return true;
  }
  if (!chart_in_scope_) {
    return Fail("SET2 without a chart in scope");
  }
  Set2Event e;
  a = TakeSlot(a, &e.slot);
  if (a.n < 4 || a[0].empty() || a[1].empty() || a[2].empty()) {
    return Fail("SET2 needs a dimension id, collected value, value and flags");
  }
  e.id = a[0];
  if (!Collected(a[1], &e.collected)) {
    return false;
  }
  if (a[2] == "#") {
    e.value = CollectedAsDouble(e.collected);
    e.value_is_collected = true;
  } else if (!ParseDouble(a[2], &e.value)) {
    return Fail("invalid SET2 value");
  }
  e.flags = ParseSampleFlags(a[3]);
  return Apply(events_->OnSet2(e));
}

bool LegacyDecoder::DoEnd2() {
  if (SkipClose()) {
    return true;
  }
  if (!chart_in_scope_) {
    return Fail("END2 without a chart in scope");
  }
  chart_in_scope_ = false;
  return Apply(events_->OnEnd2());
}

// ---- replication ----

bool LegacyDecoder::DoReplayBegin(Args a) {
  ReplayBeginEvent e;
  a = TakeSlot(a, &e.slot);
  e.id = a[0];
  const bool opens = !e.id.empty();
  if (!opens) {
    if (SkipInScope()) {
      return true;
    }
    if (!chart_in_scope_) {
      return Fail("RBEGIN without a chart id or a chart in scope");
    }
  }
  if (a.n >= 3) {
    e.has_times = true;
    if (!Int(a[1], &e.start_s) || !Int(a[2], &e.end_s) || !OptInt(a[3], &e.wall_clock_s)) {
      return false;
    }
  }
  const Verdict v = events_->OnReplayBegin(e);
  return opens ? ApplyOpen(v) : Apply(v);
}

bool LegacyDecoder::DoReplaySet(Args a) {
  if (SkipInScope()) {
    return true;
  }
  if (!chart_in_scope_) {
    return Fail("RSET without a chart in scope");
  }
  ReplaySetEvent e;
  a = TakeSlot(a, &e.slot);
  if (a[0].empty()) {
    return Fail("RSET needs a dimension id");
  }
  e.id = a[0];
  e.flags = ParseSampleFlags(a[2]);
  // A value that is not a number (Netdata 1.37 sends "NAN" for gaps) is a gap, never an error.
  if (!ParseDouble(a[1], &e.value)) {
    e.value = std::numeric_limits<double>::quiet_NaN();
  }
  e.gap = (e.flags & kSampleEmpty) != 0 || std::isnan(e.value);
  return Apply(events_->OnReplaySet(e));
}

bool LegacyDecoder::DoReplayDimState(Args a) {
  if (SkipInScope()) {
    return true;
  }
  if (!chart_in_scope_) {
    return Fail("RDSTATE without a chart in scope");
  }
  ReplayDimStateEvent e;
  a = TakeSlot(a, &e.slot);
  if (a[0].empty()) {
    return Fail("RDSTATE needs a dimension id");
  }
  e.id = a[0];
  if (!OptInt(a[1], &e.last_collected_us) || !Collected(a[2], &e.last_collected_value) ||
      !OptDouble(a[3], &e.last_calculated_value) || !OptDouble(a[4], &e.last_stored_value)) {
    return false;
  }
  return Apply(events_->OnReplayDimState(e));
}

bool LegacyDecoder::DoReplayChartState(Args a) {
  if (SkipInScope()) {
    return true;
  }
  if (!chart_in_scope_) {
    return Fail("RSSTATE without a chart in scope");
  }
  ReplayChartStateEvent e;
  if (!OptInt(a[0], &e.last_collected_us) || !OptInt(a[1], &e.last_updated_us)) {
    return false;
  }
  return Apply(events_->OnReplayChartState(e));
}

bool LegacyDecoder::DoReplayEnd(Args a) {
  if (SkipClose()) {
    return true;
  }
  if (!chart_in_scope_) {
    return Fail("REND without a chart in scope");
  }
  if (a.n < 6) {
    return Fail("REND needs at least 6 arguments");
  }
  chart_in_scope_ = false;
  ReplayEndEvent e;
  if (!Int(a[0], &e.update_every) || !Int(a[1], &e.db_first_s) || !Int(a[2], &e.db_last_s) ||
      !Int(a[4], &e.after_s) || !Int(a[5], &e.before_s) || !OptInt(a[6], &e.wall_clock_s)) {
    return false;
  }
  e.start_streaming = a[3] == "true";
  return Apply(events_->OnReplayEnd(e));
}

// ---- functions, node id, JSON, FLUSH ----

bool LegacyDecoder::DoFunctionResultBegin(Args a) {
  if (a.n < 1) {
    return Fail("FUNCTION_RESULT_BEGIN needs a transaction");
  }
  payload_status_ = 0;
  payload_expires_ = 0;
  if (!OptInt(a[1], &payload_status_) || !OptInt(a[3], &payload_expires_)) {
    return false;
  }
  // The words die with this line; the payload spans many: keep copies (once per result).
  payload_name_.assign(a[0]);
  payload_content_type_.assign(a[2]);
  payload_bytes_.clear();
  payload_at_line_start_ = true;
  payload_ = Payload::kFunctionResult;
  return true;
}

bool LegacyDecoder::DoJson(Args a) {
  payload_name_.assign(a[0]);
  payload_content_type_.clear();
  payload_bytes_.clear();
  payload_at_line_start_ = true;
  payload_ = Payload::kJson;
  return true;
}

bool LegacyDecoder::ProcessPayloadPiece(std::string_view piece) {
  const bool complete = piece.back() == '\n';
  if (complete) {
    ++line_number_;
  }
  if (payload_at_line_start_ && complete) {
    std::string_view line = piece.substr(0, piece.size() - 1);
    if (!line.empty() && line.back() == '\r') {
      line.remove_suffix(1);
    }
    std::string_view first;
    const bool is_end =
        Tokenize(line, &first, 1) == 1 &&
        first == (payload_ == Payload::kJson ? kJsonPayloadEnd : kFunctionResultEnd);
    if (is_end) {
      line_ = line;
      const Payload kind = payload_;
      payload_ = Payload::kNone;
      Verdict v;
      if (kind == Payload::kJson) {
        keyword_ = K::kJson;
        v = events_->OnJson(JsonEvent{payload_name_, payload_bytes_});
      } else {
        keyword_ = K::kFunctionResultBegin;
        FunctionResultEvent e;
        e.transaction = payload_name_;
        e.status = payload_status_;
        e.content_type = payload_content_type_;
        e.expires_s = payload_expires_;
        e.payload = payload_bytes_;
        v = events_->OnFunctionResult(e);
      }
      if (payload_bytes_.capacity() > kPayloadKeepBytes) {
        std::string().swap(payload_bytes_);
      } else {
        payload_bytes_.clear();
      }
      return Apply(v);
    }
  }
  if (payload_bytes_.size() + piece.size() > max_payload_bytes_) {
    line_ = piece;
    keyword_ = payload_ == Payload::kJson ? K::kJson : K::kFunctionResultBegin;
    return Fail("payload larger than the limit");
  }
  payload_bytes_.append(piece);
  stats_.payload_bytes += piece.size();
  payload_at_line_start_ = complete;
  return true;
}

bool LegacyDecoder::DoFunctionProgress(Args a) {
  if (a.n < 1) {
    return Fail("FUNCTION_PROGRESS needs a transaction");
  }
  FunctionProgressEvent e;
  e.transaction = a[0];
  if (!OptInt(a[1], &e.done) || !OptInt(a[2], &e.all)) {
    return false;
  }
  return Apply(events_->OnFunctionProgress(e));
}

bool LegacyDecoder::DoNodeId(Args a) {
  return Apply(events_->OnNodeId(NodeIdEvent{a[0], a[1], a[2]}));
}

bool LegacyDecoder::DoFlush() {
  chart_in_scope_ = false;
  skip_scope_ = false;
  return Apply(events_->OnFlush());
}

}  // namespace ndrelay::bridge
