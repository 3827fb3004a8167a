#include "bridge/legacy_decoder.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <span>
#include <string>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "absl/base/attributes.h"
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

// ---- keyword lookup: one probe into a collision-free table ----

constexpr size_t kMinKeywordBytes = 3;
constexpr size_t kKeywordTableSize = 128;

// (length, first byte, second byte) tells every keyword apart; this mix of them is collision-free
// over the table below (checked at compile time).
constexpr size_t KeywordHash(size_t size, char c0, char c1) {
  return (size + (static_cast<size_t>(static_cast<uint8_t>(c0)) << 2) +
          (static_cast<size_t>(static_cast<uint8_t>(c1)) << 5)) &
         (kKeywordTableSize - 1);
}

struct KeywordTable {
  std::array<uint8_t, kKeywordTableSize> index{};  // LegacyKeyword per slot; 0 (kUnknown) if free
  bool ok = true;                                  // no collision, every name long enough
};

constexpr KeywordTable MakeKeywordTable() {
  KeywordTable t;
  for (size_t i = 1; i < kLegacyKeywordCount; ++i) {
    const std::string_view w = kKeywordNames[i];
    if (w.size() < kMinKeywordBytes) {
      t.ok = false;
      continue;
    }
    uint8_t& slot = t.index[KeywordHash(w.size(), w[0], w[1])];
    t.ok = t.ok && slot == 0;
    slot = static_cast<uint8_t>(i);
  }
  return t;
}

constexpr KeywordTable kKeywordTable = MakeKeywordTable();
static_assert(kKeywordTable.ok, "two keywords share a KeywordHash() slot: change its shifts");

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

// A collected value as DoSet()/DoSet2() read it: empty, an integer (any base), or a double. False
// when it is none of these.
bool ParseCollectedWord(std::string_view word, CollectedValue* out) {
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
  return false;
}

// SET2's value word: '#' (the collected value) or a double. False when it is neither.
bool ParseSet2Value(std::string_view word, Set2Event* e) {
  if (word == "#") {
    e->value = CollectedAsDouble(e->collected);
    e->value_is_collected = true;
    return true;
  }
  return ParseDouble(word, &e->value);
}

// ---- the fast path (LegacyDecoderOptions::fast_path) ----
//
// The exact shapes Netdata 1.37 sends (every SET and BEGIN line of the real captures has them):
//   SET <q><id><q> = <int>\n       <int> not starting with '0' unless it is "0" (1.37 reads SET
//                                  values in base auto-detect: "010" is octal)
//   BEGIN <q><id><q> <int>\n       (decimal: leading zeros are fine)
//   END\n, END2\n
// and of NEW's v2 lines, with or without a slot word (SLOT:<w>, when SLOTS is negotiated):
//   BEGIN2 [SLOT:<w> ]<q><id><q> <w1> <w2> <w3>\n  (integers in any §5.4 form; '#...' wall clock)
//   SET2 [SLOT:<w> ]<q><id><q> <w1> <w2> <w3>\n    (see ThreeWords)
// where <q> is '"' or '\'', <id> is 1..kFastMaxIdBytes bytes without <q>, '\\' or '\n', and <int>
// is an optional '-' and 1..kMaxFastDecimalDigits digits; the command's state must also be right
// (a chart in scope for SET/END/END2). Any other line (other separators, a "\r", an empty or
// non-decimal value, more words, an error to report) goes to the tokenizer, so the semantics stay
// those of spec §5.3/§5.4 by construction. Such lines are shorter than kFastWindowBytes, and the
// fast path runs only when max_line is at least that long (and max_words at least 3), so the
// line limits never apply to them.

constexpr size_t kFastMaxIdBytes = 95;  // up to six 16-byte scans (real chart ids reach 59)
// Words of a fast SET2 or BEGIN2 line: the keyword, the id and three more.
constexpr size_t kV2Words = 5;

// How far from a line start the fast path may read: "BEGIN " and the quote; the id scan; " = "
// (SET; an 8-byte load that ends before the digit window does) after the closing quote; a sign;
// the longest number and the byte after it.
constexpr size_t kFastMaxReadBytes =
    6 + 1 + (kFastMaxIdBytes + 1) + 3 + 1 + (kMaxFastDecimalDigits + 1);
// The fast path runs while at least this many bytes are left, so it never reads past them; the
// last lines of each read take the general path.
constexpr size_t kFastWindowBytes = 128;
static_assert(kFastMaxReadBytes <= kFastWindowBytes);
// A SET line matched against a chart's SetLines: the prefix comparison, then a sign, the longest
// number and the byte after it.
static_assert(SetLines::kMaxReadBytes <= kFastWindowBytes);
static_assert(SetLines::kMaxPrefixBytes + 1 + kMaxFastDecimalDigits + 1 <= kFastWindowBytes);
static_assert(SetLines::kMaxIdBytes == kFastMaxIdBytes);

// Up to 8 bytes of `s` packed as they lie in memory, to compare line heads with one load.
constexpr uint64_t Pack(std::string_view s) {
  uint64_t v = 0;
  for (size_t i = 0; i < s.size() && i < 8; ++i) {
    const uint64_t b = static_cast<uint8_t>(s[i]);
    v |= std::endian::native == std::endian::little ? b << (8 * i) : b << (56 - 8 * i);
  }
  return v;
}
constexpr uint64_t PackMask(size_t n) {
  return Pack(std::string_view("\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF", n));
}

// The first bytes of a line (or of what follows an id), to compare with one 8-byte load. Named
// constants, so they are folded at every optimisation level.
struct Head {
  uint64_t bits;
  uint64_t mask;
};
constexpr Head MakeHead(std::string_view s) { return Head{Pack(s), PackMask(s.size())}; }
constexpr Head kSetHead = MakeHead("SET ");
constexpr Head kBeginHead = MakeHead("BEGIN ");
constexpr Head kEndHead = MakeHead("END\n");
constexpr Head kEnd2Head = MakeHead("END2\n");
constexpr Head kSet2Head = MakeHead("SET2 ");
constexpr Head kBegin2Head = MakeHead("BEGIN2 ");
constexpr Head kSlotHead = MakeHead("SLOT:");
constexpr Head kEqualsHead = MakeHead(" = ");

inline uint64_t Load64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}
// True when the 8 bytes `head` start with h.
inline bool HeadIs(uint64_t head, Head h) { return (head & h.mask) == h.bits; }

#if defined(__SSE2__)
// Bit i set when id[i] (i < 16) is Quote, '\\' or '\n'.
template <char Quote>
ABSL_ATTRIBUTE_ALWAYS_INLINE inline uint32_t IdStops(const char* p) {
  const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  const __m128i hit = _mm_or_si128(
      _mm_or_si128(_mm_cmpeq_epi8(b, _mm_set1_epi8(Quote)), _mm_cmpeq_epi8(b, _mm_set1_epi8('\\'))),
      _mm_cmpeq_epi8(b, _mm_set1_epi8('\n')));
  return static_cast<uint32_t>(_mm_movemask_epi8(hit));
}
#else
template <char Quote>
inline uint32_t IdStops(const char* p) {
  uint32_t mask = 0;
  for (int i = 0; i < 16; ++i) {
    mask |= static_cast<uint32_t>(p[i] == Quote || p[i] == '\\' || p[i] == '\n') << i;
  }
  return mask;
}
#endif

// The length of the quoted id at `id` (just after its opening quote) when the first of Quote,
// '\\' and '\n' in it is Quote, within kFastMaxIdBytes; otherwise a larger value. Reads
// id[0, kFastMaxIdBytes + 1).
template <char Quote>
ABSL_ATTRIBUTE_ALWAYS_INLINE inline size_t QuotedIdLength(const char* id) {
  static_assert((kFastMaxIdBytes + 1) % 16 == 0);
  size_t at = 0;
  uint32_t mask = IdStops<Quote>(id);  // most ids are shorter than 16 bytes
  while (mask == 0) {
    at += 16;
    if (at > kFastMaxIdBytes) {
      return kFastMaxIdBytes + 1;
    }
    mask = IdStops<Quote>(id + at);
  }
  const size_t n = at + static_cast<size_t>(std::countr_zero(mask));
  return id[n] == Quote ? n : kFastMaxIdBytes + 1;
}

// "<q><id><q>" at p: sets *id and returns the byte after the closing quote; nullptr when the id
// has another shape.
ABSL_ATTRIBUTE_ALWAYS_INLINE inline const char* ParseQuotedId(const char* p, std::string_view* id) {
  size_t n;
  if (*p == '"') {
    n = QuotedIdLength<'"'>(p + 1);
  } else if (*p == '\'') {
    n = QuotedIdLength<'\''>(p + 1);
  } else {
    return nullptr;
  }
  if (n - 1 >= kFastMaxIdBytes) {  // empty (wraps around) or not found
    return nullptr;
  }
  *id = std::string_view(p + 1, n);
  return p + 1 + n + 1;
}

// A byte the tokenizer keeps inside an unquoted word, and that cannot start a quoted one.
inline bool PlainWordByte(char c) {
  return c > ' ' && c < 0x7F && c != '"' && c != '\'' && c != '=' && c != '\\';
}

// The end of the unquoted word at p (the first byte that is not PlainWordByte), reading no byte
// at or after limit (nullptr if it gets there, or the word is empty).
ABSL_ATTRIBUTE_ALWAYS_INLINE inline const char* PlainWordEnd(const char* p, const char* limit) {
  const char* q = p;
  while (q < limit && PlainWordByte(*q)) {
    ++q;
  }
  return q == p || q >= limit ? nullptr : q;
}

// The three words after a SET2 or BEGIN2 id, "<w1> <w2> <w3>\n" at p, each a non-empty unquoted
// word except that w3 may be '' (the empty word); returns the '\n', or nullptr for any other shape
// (more words, quotes, other separators), which the tokenizer then handles. Reads nothing at or
// after limit.
ABSL_ATTRIBUTE_ALWAYS_INLINE inline const char* ThreeWords(const char* p, const char* limit,
                                                           std::string_view* w1,
                                                           std::string_view* w2,
                                                           std::string_view* w3) {
  const char* e = PlainWordEnd(p, limit);
  if (e == nullptr || *e != ' ') {
    return nullptr;
  }
  *w1 = std::string_view(p, static_cast<size_t>(e - p));
  p = e + 1;
  e = PlainWordEnd(p, limit);
  if (e == nullptr || *e != ' ') {
    return nullptr;
  }
  *w2 = std::string_view(p, static_cast<size_t>(e - p));
  p = e + 1;
  if (p + 3 <= limit && p[0] == '\'' && p[1] == '\'' && p[2] == '\n') {
    *w3 = std::string_view();
    return p + 2;
  }
  e = PlainWordEnd(p, limit);
  if (e == nullptr || *e != '\n') {
    return nullptr;
  }
  *w3 = std::string_view(p, static_cast<size_t>(e - p));
  return e;
}

// Where a quoted id may start at the latest so that ParseQuotedId (which reads up to
// kFastMaxIdBytes + 1 bytes past it) stays inside the fast window.
constexpr size_t kFastMaxIdOffset = kFastWindowBytes - (kFastMaxIdBytes + 1) - 1;

// The optional slot word of a fast v2 line: with slots negotiated, "SLOT:<word> " at p is read as
// TakeSlot() reads it (an unparsable slot is 0) and *took is set. Returns where the id starts (p
// when there is no slot word), or nullptr for a slot word the fast path leaves to the tokenizer
// (other separators, or so long that the id would start past kFastMaxIdOffset).
ABSL_ATTRIBUTE_ALWAYS_INLINE inline const char* FastSlotWord(const char* line, const char* p,
                                                             bool slots, Slot* slot, bool* took) {
  *took = false;
  if (!slots || !HeadIs(Load64(p), kSlotHead)) {
    return p;
  }
  const char* const end = PlainWordEnd(p, line + kFastMaxIdOffset);
  if (end == nullptr || *end != ' ') {
    return nullptr;
  }
  uint64_t v;
  const size_t n = kSlotPrefix.size();
  *slot = ParseUint64(std::string_view(p + n, static_cast<size_t>(end - p) - n), &v) ? v : 0;
  *took = true;
  return end + 1;
}

// The rest of a fast v2 line after its keyword (keyword_bytes bytes, with the space):
// [SLOT:<w> ]<q><id><q> <w1> <w2> <w3>\n, read as the tokenizer and TakeSlot() read it. Sets
// *words to the line's word count (kV2Words, one more with a slot word). Returns the '\n', or
// nullptr for a shape the fast path leaves to the tokenizer: more words than max_words, other
// separators or quotes, or, with slots negotiated, a quoted id "SLOT:..." without a slot word
// (the tokenizer takes that as the slot).
ABSL_ATTRIBUTE_ALWAYS_INLINE inline const char* FastV2Words(const char* line, size_t keyword_bytes,
                                                            bool slots, size_t max_words,
                                                            Slot* slot, std::string_view* id,
                                                            size_t* words, std::string_view* w1,
                                                            std::string_view* w2,
                                                            std::string_view* w3) {
  bool took_slot;
  const char* p = FastSlotWord(line, line + keyword_bytes, slots, slot, &took_slot);
  *words = kV2Words + (took_slot ? 1 : 0);
  if (p == nullptr || max_words < *words || (p = ParseQuotedId(p, id)) == nullptr || *p != ' ' ||
      (!took_slot && slots && id->starts_with(kSlotPrefix))) {
    return nullptr;
  }
  return ThreeWords(p + 1, line + kFastWindowBytes, w1, w2, w3);
}

// "<int>\n" at p: sets *value and returns the '\n'; nullptr for another shape. `auto_base`: a
// number with a leading zero is octal there: refuse it.
ABSL_ATTRIBUTE_ALWAYS_INLINE inline const char* ParseIntLineEnd(const char* p, bool auto_base,
                                                                int64_t* value) {
  // One digit (most values Netdata sends are a single "0") costs less than the 8-byte step.
  const unsigned first = static_cast<unsigned>(static_cast<uint8_t>(p[0])) - '0';
  if (first <= 9 && p[1] == '\n') {
    *value = first;
    return p + 1;
  }
  uint64_t magnitude;
  size_t count = ScanDecimal(p, p + kMaxFastDecimalDigits + 1, &magnitude);
  if (count != 0) [[likely]] {
    if (p[count] != '\n' || (auto_base && p[0] == '0' && count > 1)) {
      return nullptr;
    }
    *value = static_cast<int64_t>(magnitude);
    return p + count;
  }
  if (*p != '-') {
    return nullptr;
  }
  ++p;
  count = ScanDecimal(p, p + kMaxFastDecimalDigits + 1, &magnitude);
  if (count == 0 || p[count] != '\n' || (auto_base && p[0] == '0' && count > 1)) {
    return nullptr;
  }
  *value = -static_cast<int64_t>(magnitude);
  return p + count;
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
  if (w.size() < kMinKeywordBytes) {
    return K::kUnknown;
  }
  const uint8_t i = kKeywordTable.index[KeywordHash(w.size(), w[0], w[1])];
  // Slot 0 holds kUnknown, whose name "" never equals a word this long.
  return w == kKeywordNames[i] ? static_cast<LegacyKeyword>(i) : K::kUnknown;
}

LegacyDecoder::LegacyDecoder(LegacyEvents* events, const LegacyDecoderOptions& options)
    : events_(events),
      splitter_(options.max_line_bytes),
      max_words_(std::clamp<size_t>(options.max_words, 1, kMaxWordsLimit)),
      max_payload_bytes_(options.max_payload_bytes),
      slots_((options.caps & kCapSlots) != 0),
      unknown_fatal_(options.unknown_keyword_is_fatal),
      // The fast path keeps up to three words per line.
      fast_(options.fast_path && max_words_ >= 3) {}

LegacyDecoder::Result LegacyDecoder::Feed(std::string_view bytes) {
  if (closed_) {
    return Result::kClosed;
  }
  stats_.bytes += bytes.size();
  while (!bytes.empty()) {
    const size_t take = std::min(bytes.size(), kFeedSliceBytes);
    // Lines are read in place; only a partial line at the end of the slice is copied (by the
    // splitter, when it reaches it, or by Release() if the decoder stopped early).
    splitter_.Borrow(bytes.substr(0, take));
    bytes.remove_prefix(take);
    const bool open = Drain();
    splitter_.Release();
    if (!open) {
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
    if (fast_ && !DrainFast()) {
      return false;
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

// Handles the hot lines at the front of the splitter's bytes while at least kFastWindowBytes are
// left, and stops at the first line of another shape (or one whose command would fail), which
// Drain() hands to the general path. Counts, events and errors are exactly those of the general
// path. The lines are consumed from the splitter in one Skip() at the end (so during an event,
// buffered_bytes() still counts them). False when the decoder closed.
bool LegacyDecoder::DrainFast() {
  const std::string_view rest = splitter_.Peek();
  // A fast line is shorter than the window, so it fits max_line (with smaller limits, which only
  // tests use, everything takes the general path).
  if (rest.size() < kFastWindowBytes || splitter_.max_line() < kFastWindowBytes) {
    return true;
  }
  const char* const begin = rest.data();
  const char* const last = begin + rest.size() - kFastWindowBytes;  // last line start allowed
  const uint64_t lines_before = stats_.lines;
  const char* line = begin;
  bool open = true;
  while (line <= last) {
    if (set_lines_ != nullptr) {
      // The chart's next SET line, as its child writes it every round: one comparison, and the
      // value joins the run handed over in one call (FlushSetRun). The prefix holds the quoted id
      // and " = ", and its id has no quote, '\\' or '\n' (SetLines), so exactly these lines
      // take the SET branch below with this id: the results are that branch's.
      const char* value_at;
      const char* newline;
      int64_t value;
      if (set_lines_next_ < set_lines_->size() &&
          (value_at = set_lines_->MatchPrefix(set_lines_next_, line)) != nullptr &&
          (newline = ParseIntLineEnd(value_at, /*auto_base=*/true, &value)) != nullptr) {
        if (run_count_ == 0) {
          run_first_ = set_lines_next_;
        }
        run_values_[run_count_++] = value;
        ++set_lines_next_;
        run_last_line_ = std::string_view(line, static_cast<size_t>(newline - line));
        line = newline + 1;
        if (run_count_ == kMaxSetRun && !FlushSetRun()) {
          open = false;
          break;
        }
        continue;
      }
    }
    // Every other line ends the run: its values go first.
    if (run_count_ != 0 && !FlushSetRun()) {
      open = false;
      break;
    }
    const uint64_t head = Load64(line);
    const char* const this_line = line;
    LegacyKeyword keyword;
    Verdict v;
    if (HeadIs(head, kSetHead)) {
      // Without a chart in scope the general path reports the error.
      std::string_view id;
      int64_t value;
      const char* after_id;
      const char* newline;
      if (!chart_in_scope_ || (after_id = ParseQuotedId(line + 4, &id)) == nullptr ||
          !HeadIs(Load64(after_id), kEqualsHead) ||
          (newline = ParseIntLineEnd(after_id + 3, /*auto_base=*/true, &value)) == nullptr) {
        break;
      }
      keyword = K::kSet;
      line = newline + 1;
      CountFastLine(keyword, 3);
      if (skip_scope_) {
        ++stats_.skipped;
        continue;
      }
      SetEvent e;
      e.id = id;
      e.value.kind = CollectedValue::Kind::kInt;
      e.value.i = value;
      FollowSetLines(id);
      v = events_->OnSet(e);
    } else if (HeadIs(head, kBeginHead)) {
      std::string_view id;
      int64_t value;
      const char* after_id;
      const char* newline;
      if ((after_id = ParseQuotedId(line + 6, &id)) == nullptr || *after_id != ' ' ||
          (newline = ParseIntLineEnd(after_id + 1, /*auto_base=*/false, &value)) == nullptr) {
        break;
      }
      keyword = K::kBegin;
      line = newline + 1;
      CountFastLine(keyword, 3);
      BeginEvent e;
      e.id = id;
      e.microseconds = value;
      v = events_->OnBegin(e);
      chart_in_scope_ = true;
      skip_scope_ = v == Verdict::kSkip;
      OfferSetLines(v);
    } else if (HeadIs(head, kBegin2Head)) {
      // NEW's BEGIN2 [SLOT:<n>] '<id>' <update every> <end time> <wall clock | #...>, read as
      // DoBegin2() reads it (the numbers by the same ParseInt64: hex, base64 or decimal). Other
      // shapes, and numbers that do not parse (errors), take the general path.
      Begin2Event e;
      size_t words;
      std::string_view w1, w2, w3;
      const char* const p =
          FastV2Words(line, 7, slots_, max_words_, &e.slot, &e.id, &words, &w1, &w2, &w3);
      if (p == nullptr || w3.empty() || !ParseInt64(w1, &e.update_every) ||
          !ParseInt64(w2, &e.end_time_s)) {
        break;
      }
      if (w3[0] == '#') {
        e.wall_clock_s = e.end_time_s;  // any '#' word: "same as end time" (spec §7.9)
        e.wall_clock_is_end_time = true;
      } else if (!ParseInt64(w3, &e.wall_clock_s)) {
        break;
      }
      keyword = K::kBegin2;
      line = p + 1;
      set_lines_ = nullptr;
      CountFastLine(keyword, words);
      v = events_->OnBegin2(e);
      chart_in_scope_ = true;
      skip_scope_ = v == Verdict::kSkip;
    } else if (HeadIs(head, kSet2Head)) {
      // NEW's SET2 '<id>' <collected> <value|#> <flags>: parsed as DoSet2() does; slots, quotes,
      // extra words, a value that does not parse and a line without a chart in scope take the
      // general path (which reports the errors).
      Set2Event e;
      size_t words;
      std::string_view w1, w2, w3;
      const char* newline;
      if (!chart_in_scope_ || (newline = FastV2Words(line, 5, slots_, max_words_, &e.slot, &e.id,
                                                     &words, &w1, &w2, &w3)) == nullptr) {
        break;
      }
      if (!ParseCollectedWord(w1, &e.collected) || !ParseSet2Value(w2, &e)) {
        break;
      }
      e.flags = ParseSampleFlags(w3);
      keyword = K::kSet2;
      line = newline + 1;
      set_lines_ = nullptr;
      CountFastLine(keyword, words);
      if (skip_scope_) {
        ++stats_.skipped;
        continue;
      }
      v = events_->OnSet2(e);
    } else if (HeadIs(head, kEndHead) || HeadIs(head, kEnd2Head)) {
      // Without a chart in scope the general path reports the error.
      keyword = line[3] == '2' ? K::kEnd2 : K::kEnd;
      if (!chart_in_scope_) {
        break;
      }
      line += keyword == K::kEnd2 ? 5 : 4;
      CountFastLine(keyword, 1);
      set_lines_ = nullptr;
      if (SkipClose()) {
        continue;
      }
      chart_in_scope_ = false;
      v = keyword == K::kEnd2 ? events_->OnEnd2() : events_->OnEnd(EndEvent{});
    } else {
      break;
    }
    if (v != Verdict::kOk) {
      // Apply() reports from these; the fast path sets them only when needed.
      line_ = std::string_view(this_line, static_cast<size_t>(line - 1 - this_line));
      keyword_ = keyword;
      if (!Apply(v)) {
        open = false;
        break;
      }
    }
  }
  // A run at the end of the window goes before the general path's lines.
  if (open && run_count_ != 0) {
    open = FlushSetRun();
  }
  splitter_.Skip(static_cast<size_t>(line - begin));
  stats_.fast_lines += stats_.lines - lines_before;
  return open;
}

// Hands the pending run of SET lines over (see DrainFast), counted as the fast path counts SET
// lines. False when the decoder closed.
bool LegacyDecoder::FlushSetRun() {
  const size_t n = run_count_;
  run_count_ = 0;
  line_number_ += n;
  stats_.lines += n;
  stats_.words += 3 * n;
  stats_.commands[static_cast<size_t>(K::kSet)] += n;
  SetRunEvent e;
  e.lines = set_lines_;
  e.first = run_first_;
  e.values = run_values_.data();
  e.count = n;
  const Verdict v = events_->OnSetRun(e);
  if (v == Verdict::kOk) [[likely]] {
    return true;
  }
  line_ = run_last_line_;
  keyword_ = K::kSet;
  return Apply(v);
}

// A SET line the chart's SetLines did not take (another shape, or out of order): when it names
// the dimension expected next, the following lines are expected to follow it.
void LegacyDecoder::FollowSetLines(std::string_view id) {
  if (set_lines_ != nullptr && set_lines_next_ < set_lines_->size() &&
      set_lines_->id(set_lines_next_) == id) {
    ++set_lines_next_;
  }
}

// After a BEGIN: the chart's SET lines, when its handler offers them (and its scope is kept).
void LegacyDecoder::OfferSetLines(Verdict v) {
  set_lines_ = v == Verdict::kOk ? events_->ChartSetLines() : nullptr;
  set_lines_next_ = 0;
}

// A command line the fast path took: counted as ProcessLine() and Drain() count one.
void LegacyDecoder::CountFastLine(LegacyKeyword keyword, size_t words) {
  ++line_number_;
  ++stats_.lines;
  stats_.words += words;
  ++stats_.commands[static_cast<size_t>(keyword)];
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
  return ParseCollectedWord(word, out) || Fail("invalid collected value");
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
  if (keyword_ != K::kSet) {
    set_lines_ = nullptr;  // (a BEGIN offers its chart's)
  }
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
  const Verdict v = events_->OnBegin(e);
  OfferSetLines(v);
  return ApplyOpen(v);
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
  FollowSetLines(e.id);
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
  if (!ParseSet2Value(a[2], &e)) {
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
