#pragma once

// Builds Netdata legacy-protocol lines (netdata-stream-protocol.md §5.4, §7, §8, §10.4): the
// child -> parent commands for our sender, tools and tests, and the parent -> child REPLAY_CHART.

#include <cstdint>
#include <string>
#include <string_view>

#include "bridge/legacy_events.h"

namespace ndrelay::bridge {

// Appends complete lines (each ending in "\n") to a caller's std::string: no allocation beyond
// the string's own growth. Immutable after construction, so thread-safe.
//
// Number formats follow the negotiated capabilities like Netdata 2.x (spec §5.4):
//  * CHART, DIMENSION, CLABEL, LABEL, CHART_DEFINITION_END, BEGIN/SET, VARIABLE, REPLAY_CHART:
//    decimal (doubles in the trimmed 7-digit form of AppendDoubleDecimal);
//  * BEGIN2/SET2 (and their SLOT): integers "0x" hex, or "#" base64 with IEEE754; doubles
//    decimal, or "@" base64 bits with IEEE754;
//  * RBEGIN/RSET/RDSTATE/RSSTATE/REND (and their SLOT): decimal, or "#"/"@" with IEEE754.
// "SLOT:<n>" is written only when SLOTS is negotiated and the slot is not 0.
// String fields are always quoted: with '"', or with '\'' when the text holds '"' but no '\''.
// Text the tokenizer could not give back is sanitised: CR/LF become spaces; with both quote
// characters present, '"' becomes '\''; an odd trailing backslash becomes '/'.
class LegacyEncoder {
 public:
  // `caps`: the negotiated capabilities (kCapIeee754 and kCapSlots matter).
  explicit LegacyEncoder(uint32_t caps);

  bool ieee754() const { return ieee754_; }
  bool slots() const { return slots_; }

  // CLAIMED_ID '<machine_guid>' '<claim_id>' (claim_id "NULL" when unclaimed).
  void ClaimedId(std::string* out, std::string_view machine_guid, std::string_view claim_id) const;
  // LABEL "<name>" = <source> "<value>".
  void Label(std::string* out, std::string_view name, int64_t source, std::string_view value) const;
  // OVERWRITE labels.
  void OverwriteLabels(std::string* out) const;

  // CHART: uses slot, id, name, title, units, family, context, chart_type, priority,
  // update_every, options (bits, written as Netdata 1.37's 4-slot word), plugin, module.
  void Chart(std::string* out, const ChartEvent& c) const;
  // DIMENSION: uses slot, id, name, algorithm, multiplier, divisor, options (bits).
  void Dimension(std::string* out, const DimensionEvent& d) const;
  // CLABEL "<name>" "<value>" <source>; CLABEL_COMMIT.
  void ChartLabel(std::string* out, std::string_view name, std::string_view value,
                  int64_t source) const;
  void ChartLabelCommit(std::string* out) const;
  // VARIABLE [HOST|CHART|GLOBAL|LOCAL] <name> = <value>.
  void Variable(std::string* out, VariableScope scope, std::string_view name, double value) const;
  // CHART_DEFINITION_END <first> <last> <wall>.
  void ChartDefinitionEnd(std::string* out, const ChartDefinitionEndEvent& e) const;

  // v1: BEGIN "<id>" <us> / SET "<dim>" = <value> / END. An empty value writes `= ""`.
  void Begin(std::string* out, std::string_view chart_id, int64_t microseconds) const;
  void Set(std::string* out, std::string_view dim_id, int64_t collected) const;
  void Set(std::string* out, std::string_view dim_id, const CollectedValue& collected) const;
  void End(std::string* out) const;

  // v2: BEGIN2 (wall clock written '#' when equal to the end time, else always in "0x" hex:
  // Netdata reads any '#'-word there as "same as end time", so base64 would be lost), SET2
  // (value written '#' when it equals the collected value; flags per §5.4, '' for none), END2.
  void Begin2(std::string* out, const Begin2Event& e) const;
  void Set2(std::string* out, const Set2Event& e) const;
  void End2(std::string* out) const;

  // Replication answer (spec §10.4). RBEGIN [SLOT] "<id>" / RBEGIN [SLOT] '' <start> <end> <wall>
  // / RSET (a NaN value is written "NAN" in decimal, and always with flag E) / RDSTATE / RSSTATE
  // / REND.
  void ReplayBegin(std::string* out, Slot slot, std::string_view chart_id) const;
  void ReplayBeginPoint(std::string* out, Slot slot, int64_t start_s, int64_t end_s,
                        int64_t wall_clock_s) const;
  void ReplaySet(std::string* out, const ReplaySetEvent& e) const;
  void ReplayDimState(std::string* out, const ReplayDimStateEvent& e) const;
  void ReplayChartState(std::string* out, const ReplayChartStateEvent& e) const;
  void ReplayEnd(std::string* out, const ReplayEndEvent& e) const;

  // FUNCTION_RESULT_BEGIN "<tx>" <status> "<content type>" <expires>, the payload (a "\n" is
  // added if it does not end with one), FUNCTION_RESULT_END.
  void FunctionResult(std::string* out, std::string_view transaction, int64_t status,
                      std::string_view content_type, int64_t expires_s,
                      std::string_view payload) const;

  // Parent -> child: REPLAY_CHART "<id>" "true|false" <after> <before> (decimal always).
  static void ReplayChart(std::string* out, std::string_view chart_id, bool start_streaming,
                          int64_t after_s, int64_t before_s);

 private:
  void V2Int(std::string* out, int64_t v) const;
  void V2Double(std::string* out, double v) const;
  void ReplInt(std::string* out, int64_t v) const;
  void ReplDouble(std::string* out, double v) const;
  void V2Slot(std::string* out, Slot slot) const;
  void ReplSlot(std::string* out, Slot slot) const;

  bool ieee754_;
  bool slots_;
};

// Appends `text` as one quoted word, sanitised as described above.
void AppendQuoted(std::string* out, std::string_view text);

}  // namespace ndrelay::bridge
