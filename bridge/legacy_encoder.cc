#include "bridge/legacy_encoder.h"

#include <cmath>

#include "bridge/caps.h"
#include "bridge/numbers.h"

namespace ndrelay::bridge {
namespace {

std::string_view ChartTypeName(ChartType t) {
  switch (t) {
    case ChartType::kArea:
      return "area";
    case ChartType::kStacked:
      return "stacked";
    case ChartType::kHeatmap:
      return "heatmap";
    case ChartType::kLine:
      break;
  }
  return "line";
}

std::string_view AlgorithmName(Algorithm a) {
  switch (a) {
    case Algorithm::kIncremental:
      return "incremental";
    case Algorithm::kPercentageOfAbsoluteRow:
      return "percentage-of-absolute-row";
    case Algorithm::kPercentageOfIncrementalRow:
      return "percentage-of-incremental-row";
    case Algorithm::kAbsolute:
      break;
  }
  return "absolute";
}

void Flag(std::string* out, bool on, std::string_view name) {
  if (on) {
    out->append(name);
  }
}

void AppendSampleFlags(std::string* out, uint8_t flags) {
  if ((flags & kSampleEmpty) != 0) {
    out->push_back('E');
    return;
  }
  if ((flags & (kSampleNotAnomalous | kSampleReset)) == 0) {
    out->append("''");
    return;
  }
  if ((flags & kSampleNotAnomalous) != 0) {
    out->push_back('A');
  }
  if ((flags & kSampleReset) != 0) {
    out->push_back('R');
  }
}

}  // namespace

void AppendQuoted(std::string* out, std::string_view text) {
  const bool has_double = text.find('"') != std::string_view::npos;
  const bool has_single = text.find('\'') != std::string_view::npos;
  const char quote = (has_double && !has_single) ? '\'' : '"';
  out->push_back(quote);
  if (text.find_first_of("\"'\\\r\n") == std::string_view::npos) {
    out->append(text);
  } else {
    // A backslash hides the next byte from the tokenizer, so an odd run of them at the end would
    // hide the closing quote.
    size_t trailing = 0;
    while (trailing < text.size() && text[text.size() - 1 - trailing] == '\\') {
      ++trailing;
    }
    for (size_t i = 0; i < text.size(); ++i) {
      char c = text[i];
      if (c == '\n' || c == '\r') {
        c = ' ';
      } else if (c == quote) {
        c = '\'';  // only reached when both quote characters are present (quote is '"')
      } else if (c == '\\' && i + 1 == text.size() && trailing % 2 == 1) {
        c = '/';
      }
      out->push_back(c);
    }
  }
  out->push_back(quote);
}

LegacyEncoder::LegacyEncoder(uint32_t caps)
    : ieee754_((caps & kCapIeee754) != 0), slots_((caps & kCapSlots) != 0) {}

void LegacyEncoder::V2Int(std::string* out, int64_t v) const {
  if (ieee754_) {
    AppendBase64(out, v);
  } else {
    AppendHex(out, v);
  }
}

void LegacyEncoder::V2Double(std::string* out, double v) const {
  if (ieee754_) {
    AppendDoubleBase64(out, v);
  } else {
    AppendDoubleDecimal(out, v);
  }
}

void LegacyEncoder::ReplInt(std::string* out, int64_t v) const {
  if (ieee754_) {
    AppendBase64(out, v);
  } else {
    AppendDecimal(out, v);
  }
}

void LegacyEncoder::ReplDouble(std::string* out, double v) const {
  if (ieee754_) {
    AppendDoubleBase64(out, v);
  } else if (std::isnan(v)) {
    out->append("NAN");  // what Netdata 1.37 sends for a gap; its strtod reads it
  } else {
    AppendDoubleDecimal(out, v);
  }
}

void LegacyEncoder::V2Slot(std::string* out, Slot slot) const {
  if (slots_ && slot != 0) {
    out->append(" SLOT:");
    if (ieee754_) {
      AppendBase64(out, slot);
    } else {
      AppendHex(out, slot);
    }
  }
}

void LegacyEncoder::ReplSlot(std::string* out, Slot slot) const {
  if (slots_ && slot != 0) {
    out->append(" SLOT:");
    if (ieee754_) {
      AppendBase64(out, slot);
    } else {
      AppendDecimal(out, slot);
    }
  }
}

void LegacyEncoder::ClaimedId(std::string* out, std::string_view machine_guid,
                              std::string_view claim_id) const {
  out->append("CLAIMED_ID ");
  AppendQuoted(out, machine_guid);
  out->push_back(' ');
  AppendQuoted(out, claim_id);
  out->push_back('\n');
}

void LegacyEncoder::Label(std::string* out, std::string_view name, int64_t source,
                          std::string_view value) const {
  out->append("LABEL ");
  AppendQuoted(out, name);
  out->append(" = ");
  AppendDecimal(out, source);
  out->push_back(' ');
  AppendQuoted(out, value);
  out->push_back('\n');
}

void LegacyEncoder::OverwriteLabels(std::string* out) const { out->append("OVERWRITE labels\n"); }

void LegacyEncoder::Chart(std::string* out, const ChartEvent& c) const {
  out->append("CHART");
  // CHART takes its SLOT like BEGIN2 does (an integer of the v2 dialect).
  V2Slot(out, c.slot);
  for (std::string_view s : {c.id, c.name, c.title, c.units, c.family, c.context}) {
    out->push_back(' ');
    AppendQuoted(out, s);
  }
  out->push_back(' ');
  AppendQuoted(out, ChartTypeName(c.chart_type));
  out->push_back(' ');
  AppendDecimal(out, c.priority);
  out->push_back(' ');
  AppendDecimal(out, c.update_every);
  // Netdata 1.37's four option slots, blank when unset: "obsolete detail store_first hidden".
  out->append(" \"");
  Flag(out, (c.options & kChartObsolete) != 0, "obsolete");
  out->push_back(' ');
  Flag(out, (c.options & kChartDetail) != 0, "detail");
  out->push_back(' ');
  Flag(out, (c.options & kChartStoreFirst) != 0, "store_first");
  out->push_back(' ');
  Flag(out, (c.options & kChartHidden) != 0, "hidden");
  out->append("\" ");
  AppendQuoted(out, c.plugin);
  out->push_back(' ');
  AppendQuoted(out, c.module);
  out->push_back('\n');
}

void LegacyEncoder::Dimension(std::string* out, const DimensionEvent& d) const {
  out->append("DIMENSION");
  V2Slot(out, d.slot);
  out->push_back(' ');
  AppendQuoted(out, d.id);
  out->push_back(' ');
  AppendQuoted(out, d.name);
  out->push_back(' ');
  AppendQuoted(out, AlgorithmName(d.algorithm));
  out->push_back(' ');
  AppendDecimal(out, d.multiplier);
  out->push_back(' ');
  AppendDecimal(out, d.divisor);
  // Netdata 1.37's three slots "obsolete hidden noreset", plus NEW's type=float when set.
  out->append(" \"");
  Flag(out, (d.options & kDimObsolete) != 0, "obsolete");
  out->push_back(' ');
  Flag(out, (d.options & kDimHidden) != 0, "hidden");
  out->push_back(' ');
  Flag(out, (d.options & kDimNoReset) != 0, "noreset");
  Flag(out, (d.options & kDimTypeFloat) != 0, " type=float");
  out->append("\"\n");
}

void LegacyEncoder::ChartLabel(std::string* out, std::string_view name, std::string_view value,
                               int64_t source) const {
  out->append("CLABEL ");
  AppendQuoted(out, name);
  out->push_back(' ');
  AppendQuoted(out, value);
  out->push_back(' ');
  AppendDecimal(out, source);
  out->push_back('\n');
}

void LegacyEncoder::ChartLabelCommit(std::string* out) const { out->append("CLABEL_COMMIT\n"); }

void LegacyEncoder::Variable(std::string* out, VariableScope scope, std::string_view name,
                             double value) const {
  out->append("VARIABLE ");
  switch (scope) {
    case VariableScope::kHost:
      out->append("HOST ");
      break;
    case VariableScope::kChart:
      out->append("CHART ");
      break;
    case VariableScope::kGlobal:
      out->append("GLOBAL ");
      break;
    case VariableScope::kLocal:
      out->append("LOCAL ");
      break;
    case VariableScope::kNone:
      break;
  }
  AppendQuoted(out, name);
  out->append(" = ");
  AppendDoubleDecimal(out, value);
  out->push_back('\n');
}

void LegacyEncoder::ChartDefinitionEnd(std::string* out, const ChartDefinitionEndEvent& e) const {
  out->append("CHART_DEFINITION_END ");
  AppendDecimal(out, e.first_entry_s);
  out->push_back(' ');
  AppendDecimal(out, e.last_entry_s);
  out->push_back(' ');
  AppendDecimal(out, e.wall_clock_s);
  out->push_back('\n');
}

void LegacyEncoder::Begin(std::string* out, std::string_view chart_id, int64_t microseconds) const {
  out->append("BEGIN ");
  AppendQuoted(out, chart_id);
  out->push_back(' ');
  AppendDecimal(out, microseconds);
  out->push_back('\n');
}

void LegacyEncoder::Set(std::string* out, std::string_view dim_id, int64_t collected) const {
  out->append("SET ");
  AppendQuoted(out, dim_id);
  out->append(" = ");
  AppendDecimal(out, collected);
  out->push_back('\n');
}

void LegacyEncoder::Set(std::string* out, std::string_view dim_id,
                        const CollectedValue& collected) const {
  out->append("SET ");
  AppendQuoted(out, dim_id);
  out->append(" = ");
  switch (collected.kind) {
    case CollectedValue::Kind::kInt:
      AppendDecimal(out, collected.i);
      break;
    case CollectedValue::Kind::kDouble:
      AppendDoubleDecimal(out, collected.d);
      break;
    case CollectedValue::Kind::kEmpty:
      out->append("\"\"");
      break;
  }
  out->push_back('\n');
}

void LegacyEncoder::End(std::string* out) const { out->append("END\n"); }

void LegacyEncoder::Begin2(std::string* out, const Begin2Event& e) const {
  out->append("BEGIN2");
  V2Slot(out, e.slot);
  out->push_back(' ');
  AppendQuoted(out, e.id);
  out->push_back(' ');
  V2Int(out, e.update_every);
  out->push_back(' ');
  V2Int(out, e.end_time_s);
  out->push_back(' ');
  if (e.wall_clock_is_end_time || e.wall_clock_s == e.end_time_s) {
    out->push_back('#');
  } else {
    // Netdata's receiver takes any wall clock word starting with '#' as "same as end time"
    // (spec §7.9), so a base64 value would be lost: write hex, which it parses in every dialect.
    AppendHex(out, e.wall_clock_s);
  }
  out->push_back('\n');
}

void LegacyEncoder::Set2(std::string* out, const Set2Event& e) const {
  out->append("SET2");
  V2Slot(out, e.slot);
  out->push_back(' ');
  AppendQuoted(out, e.id);
  out->push_back(' ');
  double collected = std::nan("");
  switch (e.collected.kind) {
    case CollectedValue::Kind::kInt:
      V2Int(out, e.collected.i);
      collected = static_cast<double>(e.collected.i);
      break;
    case CollectedValue::Kind::kDouble:
      V2Double(out, e.collected.d);
      collected = e.collected.d;
      break;
    case CollectedValue::Kind::kEmpty:
      V2Int(out, 0);
      break;
  }
  out->push_back(' ');
  if (e.value == collected) {  // false for NaN
    out->push_back('#');
  } else {
    V2Double(out, e.value);
  }
  out->push_back(' ');
  AppendSampleFlags(out, e.flags);
  out->push_back('\n');
}

void LegacyEncoder::End2(std::string* out) const { out->append("END2\n"); }

void LegacyEncoder::ReplayBegin(std::string* out, Slot slot, std::string_view chart_id) const {
  out->append("RBEGIN");
  ReplSlot(out, slot);
  out->push_back(' ');
  AppendQuoted(out, chart_id);
  out->push_back('\n');
}

void LegacyEncoder::ReplayBeginPoint(std::string* out, Slot slot, int64_t start_s, int64_t end_s,
                                     int64_t wall_clock_s) const {
  out->append("RBEGIN");
  ReplSlot(out, slot);
  out->append(" '' ");
  ReplInt(out, start_s);
  out->push_back(' ');
  ReplInt(out, end_s);
  out->push_back(' ');
  ReplInt(out, wall_clock_s);
  out->push_back('\n');
}

void LegacyEncoder::ReplaySet(std::string* out, const ReplaySetEvent& e) const {
  out->append("RSET");
  ReplSlot(out, e.slot);
  out->push_back(' ');
  AppendQuoted(out, e.id);
  out->push_back(' ');
  ReplDouble(out, e.value);
  out->push_back(' ');
  AppendSampleFlags(
      out, std::isnan(e.value) || e.gap ? static_cast<uint8_t>(e.flags | kSampleEmpty) : e.flags);
  out->push_back('\n');
}

void LegacyEncoder::ReplayDimState(std::string* out, const ReplayDimStateEvent& e) const {
  out->append("RDSTATE");
  ReplSlot(out, e.slot);
  out->push_back(' ');
  AppendQuoted(out, e.id);
  out->push_back(' ');
  ReplInt(out, e.last_collected_us);
  out->push_back(' ');
  if (e.last_collected_value.kind == CollectedValue::Kind::kDouble) {
    ReplDouble(out, e.last_collected_value.d);
  } else {
    ReplInt(out, e.last_collected_value.i);
  }
  out->push_back(' ');
  ReplDouble(out, e.last_calculated_value);
  out->push_back(' ');
  ReplDouble(out, e.last_stored_value);
  out->push_back('\n');
}

void LegacyEncoder::ReplayChartState(std::string* out, const ReplayChartStateEvent& e) const {
  out->append("RSSTATE ");
  ReplInt(out, e.last_collected_us);
  out->push_back(' ');
  ReplInt(out, e.last_updated_us);
  out->push_back('\n');
}

void LegacyEncoder::ReplayEnd(std::string* out, const ReplayEndEvent& e) const {
  out->append("REND ");
  ReplInt(out, e.update_every);
  out->push_back(' ');
  ReplInt(out, e.db_first_s);
  out->push_back(' ');
  ReplInt(out, e.db_last_s);
  out->append(e.start_streaming ? " true " : " false ");
  ReplInt(out, e.after_s);
  out->push_back(' ');
  ReplInt(out, e.before_s);
  out->push_back(' ');
  ReplInt(out, e.wall_clock_s);
  out->push_back('\n');
}

void LegacyEncoder::FunctionResult(std::string* out, std::string_view transaction, int64_t status,
                                   std::string_view content_type, int64_t expires_s,
                                   std::string_view payload) const {
  out->append("FUNCTION_RESULT_BEGIN ");
  AppendQuoted(out, transaction);
  out->push_back(' ');
  AppendDecimal(out, status);
  out->push_back(' ');
  AppendQuoted(out, content_type);
  out->push_back(' ');
  AppendDecimal(out, expires_s);
  out->push_back('\n');
  out->append(payload);
  if (!payload.empty() && payload.back() != '\n') {
    out->push_back('\n');
  }
  out->append("FUNCTION_RESULT_END\n");
}

void LegacyEncoder::ReplayChart(std::string* out, std::string_view chart_id, bool start_streaming,
                                int64_t after_s, int64_t before_s) {
  out->append("REPLAY_CHART ");
  AppendQuoted(out, chart_id);
  out->append(start_streaming ? " \"true\" " : " \"false\" ");
  AppendDecimal(out, after_s);
  out->push_back(' ');
  AppendDecimal(out, before_s);
  out->push_back('\n');
}

}  // namespace ndrelay::bridge
