#pragma once

// Decoder for the child -> parent direction of the Netdata legacy line protocol
// (netdata-stream-protocol.md §5, §7, §10.4): splits the decoded (decompressed) byte stream into
// lines, tokenizes them and emits one LegacyEvents call per command.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "bridge/legacy_events.h"
#include "bridge/line_splitter.h"
#include "bridge/numbers.h"
#include "bridge/tokenizer.h"

namespace ndrelay::bridge {

// Largest FUNCTION_RESULT / JSON payload (Netdata 1.37: 10 MiB; larger closes the stream).
inline constexpr size_t kMaxPayloadBytes = 10 * 1024 * 1024;
// A payload buffer that grew past this is released after its event instead of being kept.
inline constexpr size_t kPayloadKeepBytes = 1024 * 1024;
// How much of an offending line ProtocolError and status() carry.
inline constexpr size_t kMaxErrorLineBytes = 256;
// Feed() hands its input to the line splitter in slices of at most this many bytes, so the
// splitter's buffer stays within max_line + this, whatever the caller passes.
inline constexpr size_t kFeedSliceBytes = 16384;
// Upper bound for LegacyDecoderOptions::max_words (the size of the word array).
inline constexpr size_t kMaxWordsLimit = 64;

struct LegacyDecoderOptions {
  uint32_t caps = 0;  // negotiated capabilities; kCapSlots enables the "SLOT:<n>" argument
  size_t max_line_bytes = kMaxLineBytes;
  size_t max_words = kMaxWords;  // clamped to [1, kMaxWordsLimit]
  size_t max_payload_bytes = kMaxPayloadBytes;
  // Netdata closes the connection on an unknown keyword (spec §7); false counts and skips it.
  bool unknown_keyword_is_fatal = true;
  // Decode the common shapes of the hot v1 lines (SET "<id>" = <int>, BEGIN "<id>" <int>, END,
  // END2) straight from the buffered bytes instead of through the tokenizer. Events, stats and
  // errors are identical either way (anything unusual takes the general path); false forces the
  // general path, to compare the two.
  bool fast_path = true;
};

struct LegacyDecoderStats {
  uint64_t bytes = 0;                     // bytes given to Feed()
  uint64_t lines = 0;                     // command lines decoded (payload lines not included)
  uint64_t fast_lines = 0;                // of those, lines the fast path decoded (no tokenizer)
  uint64_t empty_lines = 0;               // lines without any word
  uint64_t words = 0;                     // words kept by the tokenizer
  uint64_t too_long_lines = 0;            // lines over max_line_bytes, dropped
  uint64_t lines_with_dropped_words = 0;  // lines over max_words (extra words dropped)
  uint64_t payload_bytes = 0;             // FUNCTION_RESULT / JSON payload bytes
  uint64_t skipped = 0;         // commands answered kSkip or dropped inside a skipped scope
  uint64_t ignored = 0;         // obsolete no-op keywords (DYNCFG_*, REPORT_JOB_STATUS, ...)
  uint64_t errors = 0;          // protocol errors (at most 1: the decoder stops)
  uint64_t fatal_verdicts = 0;  // handlers that answered kFatal (at most 1)
  std::array<uint64_t, kLegacyKeywordCount> commands{};  // per keyword, incl. kUnknown
};

// The keyword for a command word (case-sensitive), kUnknown if none. One table probe (by length
// and first two bytes) and one comparison; no allocation.
LegacyKeyword LookupKeyword(std::string_view word);
// The wire spelling of a keyword ("" for kUnknown / kCount).
std::string_view KeywordName(LegacyKeyword keyword);

// One per connection, after the handshake (and after decompression); not thread-safe.
//
// Feed() processes every complete line at once, calling `events` synchronously. It keeps only
// what the protocol needs across lines: the partial last line, whether a chart is in scope (set by
// CHART, BEGIN, BEGIN2 and RBEGIN with an id; cleared by END, END2, REND and FLUSH) and an open
// FUNCTION_RESULT/JSON payload. The server owns all chart state; events carry ids and slots.
//
// Errors close the stream: an unknown keyword, a missing required argument, an unparsable number
// (except RSET values, which become gaps), a data command without a chart in scope, or an
// oversized payload. The decoder then calls events->OnProtocolError() once and returns kClosed
// from this and every later Feed(). A handler answering Verdict::kFatal closes it the same way
// (without OnProtocolError: the handler knows why). Overlong lines are counted and dropped, words
// past max_words are dropped, as Netdata does.
class LegacyDecoder {
 public:
  enum class Result : uint8_t { kOk, kClosed };

  // `events` must outlive the decoder.
  explicit LegacyDecoder(LegacyEvents* events, const LegacyDecoderOptions& options = {});
  LegacyDecoder(const LegacyDecoder&) = delete;
  LegacyDecoder& operator=(const LegacyDecoder&) = delete;

  // Decodes the next bytes of the stream (any split: lines may span calls). Lines are read in
  // place; only a partial line at the end is copied, so the bytes need not outlive the call. The
  // hot v1 lines take a fast path (LegacyDecoderOptions::fast_path) with the same results.
  Result Feed(std::string_view bytes);

  bool closed() const { return closed_; }
  // OK while open; after a close, the reason ("line N: <reason>: <line>") as InvalidArgument
  // (protocol error) or Aborted (a handler answered kFatal).
  const absl::Status& status() const { return status_; }
  // Lines seen so far (complete or dropped), including payload lines.
  uint64_t line_number() const { return line_number_; }
  bool chart_in_scope() const { return chart_in_scope_; }
  bool in_payload() const { return payload_ != Payload::kNone; }
  // Bytes held by the line splitter: between Feed() calls, a partial line (during one, from an
  // event handler, also input not consumed yet).
  size_t buffered_bytes() const { return splitter_.buffered(); }
  const LineSplitter& splitter() const { return splitter_; }
  const LegacyDecoderStats& stats() const { return stats_; }

 private:
  // A command's arguments (the words after the keyword, and after SLOT:<n> when present).
  struct Args {
    const std::string_view* w = nullptr;
    size_t n = 0;
    std::string_view operator[](size_t i) const { return i < n ? w[i] : std::string_view(); }
    bool has(size_t i) const { return i < n; }
  };
  enum class Payload : uint8_t { kNone, kFunctionResult, kJson };

  bool Drain();
  bool DrainFast();
  bool FlushSetRun();
  void OfferSetLines(Verdict v);
  void FollowSetLines(std::string_view id);
  void CountFastLine(LegacyKeyword keyword, size_t words);
  bool ProcessLine(std::string_view line);
  bool ProcessPayloadPiece(std::string_view piece);
  Args TakeSlot(Args a, Slot* slot) const;

  bool Fail(std::string_view reason);
  bool Apply(Verdict v);
  bool ApplyOpen(Verdict v);
  bool SkipInScope();
  bool SkipClose();

  bool Int(std::string_view word, int64_t* out, IntBase base = IntBase::kDecimal);
  bool OptInt(std::string_view word, int64_t* out, IntBase base = IntBase::kDecimal);
  bool OptDouble(std::string_view word, double* out);
  bool Collected(std::string_view word, CollectedValue* out);

  bool DoClaimedId(Args a);
  bool DoLabel(Args a);
  bool DoHostDefine(Args a);
  bool DoHostLabel(Args a);
  bool DoChart(Args a);
  bool DoDimension(Args a);
  bool DoChartLabel(Args a);
  bool DoChartLabelCommit();
  bool DoVariable(Args a);
  bool DoFunction(Args a);
  bool DoFunctionDel(Args a);
  bool DoChartDefinitionEnd(Args a);
  bool DoBegin(Args a);
  bool DoSet(Args a);
  bool DoEnd(Args a);
  bool DoBegin2(Args a);
  bool DoSet2(Args a);
  bool DoEnd2();
  bool DoReplayBegin(Args a);
  bool DoReplaySet(Args a);
  bool DoReplayDimState(Args a);
  bool DoReplayChartState(Args a);
  bool DoReplayEnd(Args a);
  bool DoFunctionResultBegin(Args a);
  bool DoFunctionProgress(Args a);
  bool DoNodeId(Args a);
  bool DoJson(Args a);
  bool DoFlush();

  LegacyEvents* events_;
  LineSplitter splitter_;
  const size_t max_words_;
  const size_t max_payload_bytes_;
  const bool slots_;
  const bool unknown_fatal_;
  const bool fast_;

  std::array<std::string_view, kMaxWordsLimit> words_;
  std::string_view line_;  // the line being processed (for errors)
  LegacyKeyword keyword_ = LegacyKeyword::kUnknown;
  uint64_t line_number_ = 0;
  bool chart_in_scope_ = false;
  bool skip_scope_ = false;
  bool closed_ = false;

  // The chart in scope's SET lines (LegacyEvents::ChartSetLines()), from its BEGIN up to the
  // first line that is not a SET; nullptr otherwise.
  const SetLines* set_lines_ = nullptr;
  size_t set_lines_next_ = 0;  // the dimension whose line is expected next
  // Lines that matched set_lines_ and were not handed over yet: dimensions run_first_ ..
  // run_first_ + run_count_ - 1 (they are not counted in line_number_ and stats_ yet).
  static constexpr size_t kMaxSetRun = 64;
  size_t run_first_ = 0;
  size_t run_count_ = 0;
  std::string_view run_last_line_;  // (for errors)
  std::array<int64_t, kMaxSetRun> run_values_;

  // Open FUNCTION_RESULT / JSON payload.
  Payload payload_ = Payload::kNone;
  bool payload_at_line_start_ = true;
  std::string payload_name_;  // transaction or JSON keyword
  std::string payload_content_type_;
  int64_t payload_status_ = 0;
  int64_t payload_expires_ = 0;
  std::string payload_bytes_;

  absl::Status status_;
  LegacyDecoderStats stats_;
};

}  // namespace ndrelay::bridge
