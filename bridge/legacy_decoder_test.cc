#include "bridge/legacy_decoder.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>
#include <random>
#include <regex>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "bridge/caps.h"
#include "bridge/event_text_test_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test/testutil/captures.h"

namespace ndrelay::bridge {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// ---- helpers ----

using event_text::Enum;
using event_text::Rec;
using event_text::Str;

// Records every event as one canonical text line, counts them per keyword and lets a test pick
// the verdict for "<KIND> <id>".
class RecordingEvents : public LegacyEvents {
 public:
  std::vector<std::string> log;
  std::map<std::string, uint64_t> counts;
  std::vector<std::string> errors;  // "<line_number>|<keyword>|<reason>|<line>"
  std::map<std::string, Verdict> verdicts;

  Verdict OnClaimedId(const ClaimedIdEvent& e) override {
    return Add("CLAIMED_ID", "", Rec("CLAIMED_ID", e.machine_guid, e.claim_id, e.claim_id_is_null));
  }
  Verdict OnLabel(const LabelEvent& e) override {
    std::string words;
    for (std::string_view w : e.value_words) {
      if (!words.empty()) {
        words += '+';
      }
      words.append(w);
    }
    return Add("LABEL", e.name, Rec("LABEL", e.name, e.source, e.value, words));
  }
  Verdict OnOverwrite(const OverwriteEvent& e) override {
    return Add("OVERWRITE", "", Rec("OVERWRITE", e.what));
  }
  Verdict OnHostDefine(const HostDefineEvent& e) override {
    return Add("HOST_DEFINE", e.guid, Rec("HOST_DEFINE", e.guid, e.hostname));
  }
  Verdict OnHostLabel(const HostLabelEvent& e) override {
    return Add("HOST_LABEL", e.name, Rec("HOST_LABEL", e.name, e.value));
  }
  Verdict OnHostDefineEnd() override { return Add("HOST_DEFINE_END", "", "HOST_DEFINE_END"); }
  Verdict OnChart(const ChartEvent& e) override {
    return Add("CHART", e.id,
               Rec("CHART", e.slot, e.id, e.name, e.title, e.units, e.family, e.context,
                   e.chart_type_word, Enum(e.chart_type), e.priority, e.update_every,
                   e.options_word, e.options, e.plugin, e.module));
  }
  Verdict OnDimension(const DimensionEvent& e) override {
    return Add("DIMENSION", e.id,
               Rec("DIMENSION", e.slot, e.id, e.name, e.algorithm_word, Enum(e.algorithm),
                   e.multiplier, e.divisor, e.options_word, e.options));
  }
  Verdict OnChartLabel(const ChartLabelEvent& e) override {
    return Add("CLABEL", e.name, Rec("CLABEL", e.name, e.value, e.source));
  }
  Verdict OnChartLabelCommit() override { return Add("CLABEL_COMMIT", "", "CLABEL_COMMIT"); }
  Verdict OnVariable(const VariableEvent& e) override {
    return Add("VARIABLE", e.name,
               Rec("VARIABLE", Enum(e.scope), e.chart_in_scope, e.name, e.value));
  }
  Verdict OnFunction(const FunctionEvent& e) override {
    return Add("FUNCTION", e.name,
               Rec("FUNCTION", e.global, e.chart_in_scope, e.name, e.timeout_s, e.help, e.tags,
                   e.access, e.priority, e.version));
  }
  Verdict OnFunctionDel(const FunctionDelEvent& e) override {
    return Add("FUNCTION_DEL", e.name, Rec("FUNCTION_DEL", e.global, e.name));
  }
  Verdict OnChartDefinitionEnd(const ChartDefinitionEndEvent& e) override {
    return Add("CHART_DEFINITION_END", "",
               Rec("CHART_DEFINITION_END", e.first_entry_s, e.last_entry_s, e.wall_clock_s));
  }
  Verdict OnBegin(const BeginEvent& e) override {
    return Add("BEGIN", e.id, Rec("BEGIN", e.id, e.microseconds));
  }
  Verdict OnSet(const SetEvent& e) override { return Add("SET", e.id, Rec("SET", e.id, e.value)); }
  Verdict OnEnd(const EndEvent& e) override {
    return Add("END", "", Rec("END", e.has_time, e.tv_sec, e.tv_usec, e.pending));
  }
  Verdict OnBegin2(const Begin2Event& e) override {
    return Add("BEGIN2", e.id,
               Rec("BEGIN2", e.slot, e.id, e.update_every, e.end_time_s, e.wall_clock_s,
                   e.wall_clock_is_end_time));
  }
  Verdict OnSet2(const Set2Event& e) override {
    return Add("SET2", e.id,
               Rec("SET2", e.slot, e.id, e.collected, e.value, e.value_is_collected, e.flags));
  }
  Verdict OnEnd2() override { return Add("END2", "", "END2"); }
  Verdict OnReplayBegin(const ReplayBeginEvent& e) override {
    return Add("RBEGIN", e.id,
               Rec("RBEGIN", e.slot, e.id, e.has_times, e.start_s, e.end_s, e.wall_clock_s));
  }
  Verdict OnReplaySet(const ReplaySetEvent& e) override {
    return Add("RSET", e.id, Rec("RSET", e.slot, e.id, e.value, e.flags, e.gap));
  }
  Verdict OnReplayDimState(const ReplayDimStateEvent& e) override {
    return Add("RDSTATE", e.id,
               Rec("RDSTATE", e.slot, e.id, e.last_collected_us, e.last_collected_value,
                   e.last_calculated_value, e.last_stored_value));
  }
  Verdict OnReplayChartState(const ReplayChartStateEvent& e) override {
    return Add("RSSTATE", "", Rec("RSSTATE", e.last_collected_us, e.last_updated_us));
  }
  Verdict OnReplayEnd(const ReplayEndEvent& e) override {
    return Add("REND", "",
               Rec("REND", e.update_every, e.db_first_s, e.db_last_s, e.start_streaming, e.after_s,
                   e.before_s, e.wall_clock_s));
  }
  Verdict OnFunctionResult(const FunctionResultEvent& e) override {
    return Add(
        "FUNCTION_RESULT_BEGIN", e.transaction,
        Rec("FUNCTION_RESULT", e.transaction, e.status, e.content_type, e.expires_s, e.payload));
  }
  Verdict OnFunctionProgress(const FunctionProgressEvent& e) override {
    return Add("FUNCTION_PROGRESS", e.transaction,
               Rec("FUNCTION_PROGRESS", e.transaction, e.done, e.all));
  }
  Verdict OnNodeId(const NodeIdEvent& e) override {
    return Add("NODE_ID", "", Rec("NODE_ID", e.claim_id, e.node_id, e.cloud_url));
  }
  Verdict OnJson(const JsonEvent& e) override {
    return Add("JSON", e.keyword, Rec("JSON", e.keyword, e.payload));
  }
  Verdict OnFlush() override { return Add("FLUSH", "", "FLUSH"); }
  void OnProtocolError(const ProtocolError& e) override {
    errors.push_back(Rec("", e.line_number, KeywordName(e.keyword), e.reason, e.line).substr(1));
  }

 private:
  Verdict Add(std::string_view kind, std::string_view id, std::string rec) {
    ++counts[std::string(kind)];
    log.push_back(std::move(rec));
    auto it = verdicts.find(std::string(kind) + " " + std::string(id));
    return it == verdicts.end() ? Verdict::kOk : it->second;
  }
};

struct Decoded {
  RecordingEvents events;
  LegacyDecoder::Result result = LegacyDecoder::Result::kOk;
};

// Decodes `text` in one Feed() (or in chunks of `chunk` bytes) into r->events.
void Decode(Decoded* r, std::string_view text, const LegacyDecoderOptions& options = {},
            size_t chunk = 0) {
  LegacyDecoder d(&r->events, options);
  if (chunk == 0) {
    r->result = d.Feed(text);
    return;
  }
  for (size_t at = 0; at < text.size(); at += chunk) {
    r->result = d.Feed(text.substr(at, chunk));
  }
}

std::string CapturesDir() { return ndrelay::testutil::CapturesDir().string(); }

bool ReadFile(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return false;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  *out = ss.str();
  return true;
}

// "command_counts_total" of a capture's analysis.json.
std::map<std::string, uint64_t> AnalysisCounts(const std::string& json) {
  std::map<std::string, uint64_t> counts;
  const size_t at = json.find("\"command_counts_total\"");
  if (at == std::string::npos) {
    return counts;
  }
  const size_t end = json.find('}', at);
  const std::string block = json.substr(at, end - at);
  const std::regex pair("\"([A-Z0-9_]+)\": ([0-9]+)");
  for (std::sregex_iterator it(block.begin(), block.end(), pair), last; it != last; ++it) {
    counts[(*it)[1]] = std::stoull((*it)[2]);
  }
  return counts;
}

constexpr uint32_t kSlots = kCapSlots;

// ---- keyword table ----

TEST(LegacyDecoderTest, KeywordTableRoundTrips) {
  for (size_t i = 1; i < kLegacyKeywordCount; ++i) {
    const auto k = static_cast<LegacyKeyword>(i);
    ASSERT_FALSE(KeywordName(k).empty()) << i;
    EXPECT_EQ(LookupKeyword(KeywordName(k)), k) << KeywordName(k);
  }
  for (std::string_view w :
       {"", "set", "SETX", "SE", "BEGIN3", "FUNCTION_RESULT_END", "JSON_PAYLOAD_END",
        "REPLAY_CHART", "HOST", "DISABLE", "EXIT", "TIMESTAMP", "CLABEL_COMMIT2", "begin"}) {
    EXPECT_EQ(LookupKeyword(w), LegacyKeyword::kUnknown) << w;
  }
}

// ---- every command ----

struct CommandCase {
  std::string_view name;
  uint32_t caps;
  std::string_view input;
  std::vector<std::string> log;
};

TEST(LegacyDecoderTest, CommandTable) {
  const CommandCase cases[] = {
      {"claimed id OLD",
       0,
       "CLAIMED_ID 00000000-0000-0000-0000-0000000000c1 NULL\n",
       {"CLAIMED_ID 00000000-0000-0000-0000-0000000000c1|NULL|1"}},
      {"claimed id NEW", 0, "CLAIMED_ID 'aaaa' 'bbbb'\n", {"CLAIMED_ID aaaa|bbbb|0"}},
      {"labels",
       0,
       "LABEL \"_os_name\" = 1 \"Debian GNU/Linux\"\nLABEL k = 2 two words\nOVERWRITE labels\n",
       {"LABEL _os_name|1|Debian GNU/Linux|Debian GNU/Linux", "LABEL k|2|two|two+words",
        "OVERWRITE labels"}},
      {"host define",
       0,
       "HOST_DEFINE 'guid' 'host1'\nHOST_LABEL 'a' ''\nHOST_DEFINE_END\n",
       {"HOST_DEFINE guid|host1", "HOST_LABEL a|", "HOST_DEFINE_END"}},
      {"chart OLD full",
       0,
       R"(CHART "disk_space._dev" "" "Disk Space Usage" "GiB" "/dev" "disk.space" "stacked" 2023 1 "   " "diskspace.plugin" "")"
       "\n",
       {"CHART 0|disk_space._dev||Disk Space Usage|GiB|/dev|disk.space|stacked|2|2023|1|   |0|"
        "diskspace.plugin|"}},
      {"chart options and types",
       0,
       "CHART a.b n t u f c area 10 2 \"obsolete detail store_first hidden\" p m\n"
       "CHART a.c n t u f c heatmap 10 2 \"obsolete\" p m\n"
       "CHART a.d n t u f c weird '' '' \" hidden\" p m\n",
       {"CHART 0|a.b|n|t|u|f|c|area|1|10|2|obsolete detail store_first hidden|15|p|m",
        "CHART 0|a.c|n|t|u|f|c|heatmap|3|10|2|obsolete|1|p|m",
        "CHART 0|a.d|n|t|u|f|c|weird|0|1000|0| hidden|8|p|m"}},
      {"chart defaults", 0, "CHART only.id\n", {"CHART 0|only.id|||unknown|||line|0|1000|0||0||"}},
      {"chart with slot",
       kSlots,
       "CHART SLOT:#D 'system.cpu' '' t u f c line 1 1 '' p m\n",
       {"CHART 3|system.cpu||t|u|f|c|line|0|1|1||0|p|m"}},
      {"slot needs the SLOTS cap",
       0,
       "CHART SLOT:3 x\n",
       {"CHART 0|SLOT:3|x||unknown|||line|0|1000|0||0||"}},
      {"slot encodings",
       kSlots,
       "CHART SLOT:7 a\nCHART SLOT:0x1F b\nCHART SLOT:garbage c\nCHART SLOT: d\n",
       {"CHART 7|a|||unknown|||line|0|1000|0||0||", "CHART 31|b|||unknown|||line|0|1000|0||0||",
        "CHART 0|c|||unknown|||line|0|1000|0||0||", "CHART 0|d|||unknown|||line|0|1000|0||0||"}},
      {"dimensions",
       0,
       "CHART c\n"
       "DIMENSION \"avail\" \"avail\" \"absolute\" 4096 1073741824 \"  \"\n"
       "DIMENSION idle idle percentage-of-incremental-row 1 1 \" hidden \"\n"
       "DIMENSION x x incremental 0 0 'obsolete nooverflow type=float'\n"
       "DIMENSION y y percentage-of-absolute-row 010 0x10 noreset\n"
       "DIMENSION z\n",
       {"CHART 0|c|||unknown|||line|0|1000|0||0||",
        "DIMENSION 0|avail|avail|absolute|0|4096|1073741824|  |0",
        "DIMENSION 0|idle|idle|percentage-of-incremental-row|3|1|1| hidden |2",
        "DIMENSION 0|x|x|incremental|1|1|1|obsolete nooverflow type=float|13",
        "DIMENSION 0|y|y|percentage-of-absolute-row|2|8|16|noreset|4", "DIMENSION 0|z|||0|1|1||0"}},
      {"dimension with slot",
       kSlots,
       "CHART c\nDIMENSION SLOT:2 'u' 'u' absolute 1 1 ''\n",
       {"CHART 0|c|||unknown|||line|0|1000|0||0||", "DIMENSION 2|u|u|absolute|0|1|1||0"}},
      {"chart labels",
       0,
       "CHART c\nCLABEL \"_collect_plugin\" \"diskspace.plugin\" 536870913\n"
       "CLABEL \"neg\" \"v\" -1610612735\nCLABEL_COMMIT\n",
       {"CHART 0|c|||unknown|||line|0|1000|0||0||",
        "CLABEL _collect_plugin|diskspace.plugin|536870913", "CLABEL neg|v|-1610612735",
        "CLABEL_COMMIT"}},
      {"variables",
       0,
       "VARIABLE HOST active_processors = 2.0000000\n"
       "VARIABLE GLOBAL g = -1.5\n"
       "VARIABLE bare = 3\n"
       "CHART c\n"
       "VARIABLE CHART pidmax = 32768.0000000\n"
       "VARIABLE LOCAL l = nan\n"
       "VARIABLE inscope = 0x10\n",
       {"VARIABLE 1|0|active_processors|2", "VARIABLE 3|0|g|-1.5", "VARIABLE 0|0|bare|3",
        "CHART 0|c|||unknown|||line|0|1000|0||0||", "VARIABLE 2|1|pidmax|32768",
        "VARIABLE 4|1|l|nan", "VARIABLE 0|1|inscope|16"}},
      {"functions",
       0,
       "FUNCTION GLOBAL \"systemd-journal\" 60 \"help text\" \"logs\" 0x1F 10 3\n"
       "FUNCTION \"old\" 0 \"help\"\n"
       "CHART c\n"
       "FUNCTION 'chartfn' -5 'h'\n"
       "FUNCTION_DEL GLOBAL 'systemd-journal'\n"
       "FUNCTION_DEL x\n",
       {"FUNCTION 1|0|systemd-journal|60|help text|logs|31|10|3", "FUNCTION 0|0|old|10|help||0|0|0",
        "CHART 0|c|||unknown|||line|0|1000|0||0||", "FUNCTION 0|1|chartfn|10|h||0|0|0",
        "FUNCTION_DEL 1|systemd-journal", "FUNCTION_DEL 0|x"}},
      {"chart definition end",
       0,
       "CHART c\nCHART_DEFINITION_END 1795519426 1795519427 1795519427\nCHART_DEFINITION_END\n",
       {"CHART 0|c|||unknown|||line|0|1000|0||0||",
        "CHART_DEFINITION_END 1795519426|1795519427|1795519427", "CHART_DEFINITION_END 0|0|0"}},
      {"v1 data (spec §7.8 example)",
       0,
       "BEGIN \"system.cpu\" 1000000\nSET \"user\" = 4711\nSET \"system\" = 1024\nEND\n",
       {"BEGIN system.cpu|1000000", "SET user|i:4711", "SET system|i:1024", "END 0|0|0|0"}},
      {"v1 value encodings",
       0,
       "BEGIN c\nSET a = -5\nSET b = 010\nSET c = 0x1F\nSET d = #BJn\nSET e =\nSET f = ''\n"
       "SET g = 4.25\nSET h = @EAQzMzMzMzN\nEND 1720000000 5 2\n",
       {"BEGIN c|0", "SET a|i:-5", "SET b|i:8", "SET c|i:31", "SET d|i:4711", "SET e|empty",
        "SET f|empty", "SET g|d:4.25", "SET h|d:4.2", "END 1|1720000000|5|2"}},
      {"v2 hex (spec §7.9 example)",
       0,
       "BEGIN2 'system.cpu' 0x1 0x66851E00 #\nSET2 'user' 0x1267 4.2 A\nEND2\n",
       {"BEGIN2 0|system.cpu|1|1720000000|1720000000|1", "SET2 0|user|i:4711|4.2|0|2", "END2"}},
      {"v2 base64+slots (spec §7.9 example)",
       kSlots,
       "BEGIN2 SLOT:#D 'system.cpu' #B #BmhR4A #\nSET2 SLOT:#B 'user' #BJn @EAQzMzMzMzN A\nEND2\n",
       {"BEGIN2 3|system.cpu|1|1720000000|1720000000|1", "SET2 1|user|i:4711|4.2|0|2", "END2"}},
      {"v2 details",
       0,
       "BEGIN2 c 0x2 0x10 0x11\nSET2 a 0x5 # ''\nSET2 b -0x5 # R\nSET2 c 0x0 nan E\n"
       "SET2 d @EAQzMzMzMzN # AR\nSET2 e 1 2 XYZ\nEND2\nBEGIN2 c 1 16 #Q\nEND2\n",
       {"BEGIN2 0|c|2|16|17|0", "SET2 0|a|i:5|5|1|0", "SET2 0|b|i:-5|-5|1|4",
        "SET2 0|c|i:0|nan|0|1", "SET2 0|d|d:4.2|4.2|1|6", "SET2 0|e|i:1|2|0|0", "END2",
        "BEGIN2 0|c|1|16|16|1", "END2"}},
      {"replication (OLD)",
       0,
       "RBEGIN \"netdata.server_cpu\"\n"
       "RBEGIN '' 1795519522 1795519523 1795519588\n"
       "RSET \"user\" 0.0000000 \"\"\n"
       "RSET \"system\" 7.5234140 \"R\"\n"
       "RSET \"gap\" NAN \"E\"\n"
       "RSET \"nan\" NAN \"\"\n"
       "RSET \"garbage\" abc \"\"\n"
       "RSET \"missing\"\n"
       "RDSTATE \"user\" 1795519588000131 281139 0.0004090 3.0745910\n"
       "RSSTATE 1795519588000133 1795519588000000\n"
       "REND 1 1795519494 1795519588 true 1795519522 1795519588 1795519588\n",
       {"RBEGIN 0|netdata.server_cpu|0|0|0|0", "RBEGIN 0||1|1795519522|1795519523|1795519588",
        "RSET 0|user|0|0|0", "RSET 0|system|7.523414|4|0", "RSET 0|gap|nan|1|1",
        "RSET 0|nan|nan|0|1", "RSET 0|garbage|nan|0|1", "RSET 0|missing|nan|0|1",
        "RDSTATE 0|user|1795519588000131|i:281139|0.000409|3.074591",
        "RSSTATE 1795519588000133|1795519588000000",
        "REND 1|1795519494|1795519588|1|1795519522|1795519588|1795519588"}},
      {"replication (NEW, slots, base64)",
       kSlots,
       "RBEGIN SLOT:#D 'system.cpu'\n"
       "RBEGIN SLOT:#D '' #BmhR4A #BmhR4B #BmhR4C\n"
       "RSET SLOT:#B 'user' @EAQzMzMzMzN A\n"
       "RDSTATE SLOT:#B 'user' #A #BJn @EAQzMzMzMzN @A\n"
       "RSSTATE #B #C\n"
       "REND #B #A #BmhR4A false  #A #B\n",
       {"RBEGIN 3|system.cpu|0|0|0|0", "RBEGIN 3||1|1720000000|1720000001|1720000002",
        "RSET 1|user|4.2|2|0", "RDSTATE 1|user|0|i:4711|4.2|0", "RSSTATE 1|2",
        "REND 1|0|1720000000|0|0|1|0"}},
      {"replication combined form and empty answer",
       0,
       "RBEGIN 'c' 10 11\nREND 0 0 0 true  0 0 5\n",
       {"RBEGIN 0|c|1|10|11|0", "REND 0|0|0|1|0|0|5"}},
      {"function progress, node id",
       0,
       "FUNCTION_PROGRESS 'tx1' 5 10\nNODE_ID 'c' 'n' 'https://app'\nNODE_ID\n",
       {"FUNCTION_PROGRESS tx1|5|10", "NODE_ID c|n|https://app", "NODE_ID ||"}},
      {"flush clears the scope",
       0,
       "BEGIN c\nFLUSH\nBEGIN d\nEND\n",
       {"BEGIN c|0", "FLUSH", "BEGIN d|0", "END 0|0|0|0"}},
      {"ignored NEW no-ops",
       0,
       "DYNCFG_ENABLE x\nDYNCFG_REGISTER_MODULE a b\nDYNCFG_REGISTER_JOB a b c\nDYNCFG_RESET\n"
       "REPORT_JOB_STATUS a\nDELETE_JOB a\nOVERWRITE labels\n",
       {"OVERWRITE labels"}},
      {"empty and blank lines", 0, "\n\r\n  \t \n=\nOVERWRITE labels\n", {"OVERWRITE labels"}},
      {"lone CR inside a line separates words",
       0,
       "BEGIN c\r100\nEND\r\n",
       {"BEGIN c|100", "END 0|0|0|0"}},
  };
  for (const CommandCase& c : cases) {
    Decoded r;
    LegacyDecoderOptions o;
    o.caps = c.caps;
    Decode(&r, c.input, o);
    EXPECT_EQ(r.result, LegacyDecoder::Result::kOk) << c.name;
    EXPECT_THAT(r.events.errors, IsEmpty()) << c.name;
    EXPECT_THAT(r.events.log, ElementsAreArray(c.log)) << c.name;
  }
}

// Every command kind, payloads included, with SLOTS: one Feed() or any split gives the same.
constexpr std::string_view kAllCommands =
    "CLAIMED_ID 'g' 'NULL'\r\nLABEL \"k\" = 1 \"v\"\nOVERWRITE labels\n"
    "HOST_DEFINE g h\nHOST_LABEL a b\nHOST_DEFINE_END\n"
    "CHART SLOT:#D 'system.cpu' '' t u f c stacked 100 1 'store_first' p m\n"
    "CLABEL a b 1\nCLABEL_COMMIT\nDIMENSION SLOT:#B user user incremental 1 1 ''\n"
    "FUNCTION f 10 h\nVARIABLE CHART v = 1.5\nCHART_DEFINITION_END 1 2 3\n"
    "FUNCTION GLOBAL g 10 h t 0x1F 1 2\nFUNCTION_DEL GLOBAL g\n"
    "BEGIN \"system.cpu\" 1000000\nSET \"user\" = 4711\nSET \"e\" =\nEND\n"
    "BEGIN2 SLOT:#D 'system.cpu' #B #BmhR4A #\nSET2 SLOT:#B 'user' #BJn @EAQzMzMzMzN A\nEND2\n"
    "RBEGIN SLOT:#D 'system.cpu'\nRBEGIN SLOT:#D '' #BmhR4A #BmhR4B #BmhR4C\n"
    "RSET SLOT:#B 'user' @EAQzMzMzMzN A\nRSET 'x' NAN E\nRDSTATE 'user' 1 2 3.5 4.5\n"
    "RSSTATE 5 6\nREND 1 2 3 true 4 5 6\n"
    "FUNCTION_RESULT_BEGIN tx 200 application/json 0\n{\"a\":\r\n1}\nFUNCTION_RESULT_END\n"
    "FUNCTION_PROGRESS tx 1 2\nNODE_ID a b c\nJSON STREAM_PATH\n{}\nJSON_PAYLOAD_END\n"
    "DYNCFG_RESET\nBEGIN c\nFLUSH\n\n\r\nOVERWRITE labels\n";

TEST(LegacyDecoderTest, AllCommandsAtEverySplitPoint) {
  LegacyDecoderOptions o;
  o.caps = kSlots;
  Decoded ref;
  Decode(&ref, kAllCommands, o);
  ASSERT_THAT(ref.events.errors, IsEmpty());
  ASSERT_EQ(ref.events.log.size(), 36u);
  for (size_t k = 0; k <= kAllCommands.size(); ++k) {
    RecordingEvents ev;
    LegacyDecoder d(&ev, o);
    d.Feed(kAllCommands.substr(0, k));
    d.Feed(kAllCommands.substr(k));
    ASSERT_EQ(ev.log, ref.events.log) << "split at " << k;
  }
  for (size_t a = 0; a <= kAllCommands.size(); a += 3) {
    for (size_t b = a; b <= kAllCommands.size(); b += 17) {
      RecordingEvents ev;
      LegacyDecoder d(&ev, o);
      d.Feed(kAllCommands.substr(0, a));
      d.Feed(kAllCommands.substr(a, b - a));
      d.Feed(kAllCommands.substr(b));
      ASSERT_EQ(ev.log, ref.events.log) << a << " " << b;
    }
  }
  Decoded one;
  Decode(&one, kAllCommands, o, 1);
  EXPECT_EQ(one.events.log, ref.events.log);
}

// ---- errors ----

struct ErrorCase {
  std::string_view input;
  uint64_t line_number;
  std::string_view keyword;
  std::string_view reason;
};

TEST(LegacyDecoderTest, ErrorTable) {
  const ErrorCase cases[] = {
      {"OVERWRITE labels\nBOGUS 1 2\nOVERWRITE labels\n", 2, "", "unknown keyword"},
      {"set x = 1\n", 1, "", "unknown keyword"},
      {"FUNCTION_RESULT_END\n", 1, "", "unknown keyword"},
      {"JSON_PAYLOAD_END\n", 1, "", "unknown keyword"},
      {"REPLAY_CHART \"c\" \"true\" 1 2\n", 1, "", "unknown keyword"},
      {"CLAIMED_ID onlyone\n", 1, "CLAIMED_ID", "CLAIMED_ID needs"},
      {"LABEL a = 1\n", 1, "LABEL", "LABEL needs"},
      {"LABEL a = x v\n", 1, "LABEL", "invalid integer"},
      {"HOST_DEFINE g\n", 1, "HOST_DEFINE", "HOST_DEFINE needs"},
      {"HOST_LABEL a\n", 1, "HOST_LABEL", "HOST_LABEL needs"},
      {"CHART\n", 1, "CHART", "CHART needs an id"},
      {"CHART ''\n", 1, "CHART", "CHART needs an id"},
      {"CHART c n t u f c line 1x\n", 1, "CHART", "invalid integer"},
      {"DIMENSION d\n", 1, "DIMENSION", "without a chart in scope"},
      {"CHART c\nDIMENSION\n", 2, "DIMENSION", "DIMENSION needs an id"},
      {"CHART c\nDIMENSION d d absolute 08\n", 2, "DIMENSION", "invalid integer"},
      {"CLABEL a b\n", 1, "CLABEL", "CLABEL needs"},
      {"VARIABLE CHART x = 1\n", 1, "VARIABLE", "without a chart in scope"},
      {"VARIABLE HOST x\n", 1, "VARIABLE", "VARIABLE needs"},
      {"VARIABLE HOST x = abc\n", 1, "VARIABLE", "invalid VARIABLE value"},
      {"FUNCTION\n", 1, "FUNCTION", "FUNCTION needs a name"},
      {"FUNCTION GLOBAL\n", 1, "FUNCTION", "FUNCTION needs a name"},
      {"FUNCTION_DEL GLOBAL\n", 1, "FUNCTION_DEL", "FUNCTION_DEL needs"},
      {"CHART_DEFINITION_END 1 2 3\n", 1, "CHART_DEFINITION_END", "without a chart in scope"},
      {"BEGIN\n", 1, "BEGIN", "BEGIN needs"},
      {"BEGIN c 1.5\n", 1, "BEGIN", "invalid integer"},
      {"SET a = 1\n", 1, "SET", "SET without a chart in scope"},
      {"BEGIN c\nSET\n", 2, "SET", "SET needs"},
      {"BEGIN c\nSET a = xyz\n", 2, "SET", "invalid collected value"},
      {"END\n", 1, "END", "END without a chart in scope"},
      {"BEGIN c\nEND\nEND\n", 3, "END", "END without a chart in scope"},
      {"BEGIN c\nEND 1\nEND 1 x\n", 3, "END", "END without"},
      {"BEGIN c\nEND 1 x\n", 2, "END", "invalid integer"},
      {"BEGIN2 c 1 2\n", 1, "BEGIN2", "BEGIN2 needs"},
      {"BEGIN2 c 1 2 ''\n", 1, "BEGIN2", "invalid integer"},
      {"SET2 a 1 1 ''\n", 1, "SET2", "SET2 without a chart in scope"},
      {"BEGIN2 c 1 2 #\nSET2 a 1 1\n", 2, "SET2", "SET2 needs"},
      {"BEGIN2 c 1 2 #\nSET2 a 1 x ''\n", 2, "SET2", "invalid SET2 value"},
      {"BEGIN2 c 1 2 #\nSET2 a x 1 ''\n", 2, "SET2", "invalid collected value"},
      {"END2\n", 1, "END2", "END2 without a chart in scope"},
      {"RBEGIN '' 1 2 3\n", 1, "RBEGIN", "RBEGIN without a chart id"},
      {"RBEGIN\n", 1, "RBEGIN", "RBEGIN without a chart id"},
      {"RBEGIN c\nRBEGIN '' x 2 3\n", 2, "RBEGIN", "invalid integer"},
      {"RSET a 1 ''\n", 1, "RSET", "RSET without a chart in scope"},
      {"RBEGIN c\nRSET\n", 2, "RSET", "RSET needs"},
      {"RDSTATE a\n", 1, "RDSTATE", "without a chart in scope"},
      {"RBEGIN c\nRDSTATE a 1 2 x\n", 2, "RDSTATE", "invalid number"},
      {"RSSTATE 1 2\n", 1, "RSSTATE", "without a chart in scope"},
      {"REND 1 2 3 true 4 5 6\n", 1, "REND", "REND without a chart in scope"},
      {"RBEGIN c\nREND 1 2 3 true 4\n", 2, "REND", "REND needs at least 6"},
      {"RBEGIN c\nREND 1 2 3 true 4 x\n", 2, "REND", "invalid integer"},
      {"FUNCTION_RESULT_BEGIN\n", 1, "FUNCTION_RESULT_BEGIN", "needs a transaction"},
      {"FUNCTION_RESULT_BEGIN tx abc\n", 1, "FUNCTION_RESULT_BEGIN", "invalid integer"},
      {"FUNCTION_PROGRESS\n", 1, "FUNCTION_PROGRESS", "needs a transaction"},
  };
  for (const ErrorCase& c : cases) {
    Decoded r;
    RecordingEvents& ev = r.events;
    LegacyDecoder d(&ev);
    EXPECT_EQ(d.Feed(c.input), LegacyDecoder::Result::kClosed) << c.input;
    ASSERT_EQ(ev.errors.size(), 1u) << c.input;
    EXPECT_THAT(ev.errors[0], HasSubstr(c.reason)) << c.input;
    EXPECT_TRUE(ev.errors[0].starts_with(std::to_string(c.line_number) + "|" +
                                         std::string(c.keyword) + "|"))
        << c.input << " -> " << ev.errors[0];
    EXPECT_TRUE(d.closed());
    EXPECT_EQ(d.line_number(), c.line_number);
    EXPECT_EQ(d.stats().errors, 1u);
    EXPECT_EQ(d.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(d.status().message()),
                HasSubstr("line " + std::to_string(c.line_number) + ": "));
    // Closed for good.
    const size_t logged = ev.log.size();
    EXPECT_EQ(d.Feed("OVERWRITE labels\n"), LegacyDecoder::Result::kClosed);
    EXPECT_EQ(ev.log.size(), logged);
  }
}

TEST(LegacyDecoderTest, UnknownKeywordReportsLineNumberAndTruncatedLine) {
  RecordingEvents ev;
  LegacyDecoder d(&ev);
  const std::string bogus = "BOGUS " + std::string(1000, 'x');
  std::string input = "CLAIMED_ID a NULL\n\nLABEL k = 1 v\n" + bogus + "\nOVERWRITE labels\n";
  EXPECT_EQ(d.Feed(input), LegacyDecoder::Result::kClosed);
  ASSERT_EQ(ev.errors.size(), 1u);
  EXPECT_EQ(ev.errors[0], "4||unknown keyword|" + bogus.substr(0, kMaxErrorLineBytes));
  EXPECT_THAT(ev.log, ElementsAre("CLAIMED_ID a|NULL|1", "LABEL k|1|v|v"));
  EXPECT_EQ(d.stats().commands[static_cast<size_t>(LegacyKeyword::kUnknown)], 1u);
  EXPECT_EQ(std::string(d.status().message()),
            "line 4: unknown keyword: " + bogus.substr(0, kMaxErrorLineBytes));
}

TEST(LegacyDecoderTest, UnknownKeywordCanBeSkipped) {
  RecordingEvents ev;
  LegacyDecoderOptions o;
  o.unknown_keyword_is_fatal = false;
  LegacyDecoder d(&ev, o);
  EXPECT_EQ(d.Feed("BOGUS 1\nOVERWRITE labels\n"), LegacyDecoder::Result::kOk);
  EXPECT_THAT(ev.log, ElementsAre("OVERWRITE labels"));
  EXPECT_THAT(ev.errors, IsEmpty());
  EXPECT_EQ(d.stats().skipped, 1u);
}

// ---- limits ----

TEST(LegacyDecoderTest, OverlongLineIsDroppedThenNextLineParses) {
  LegacyDecoderOptions o;
  o.max_line_bytes = 64;
  const std::string overlong = "LABEL \"k\" = 1 \"" + std::string(100, 'v') + "\"";
  const std::string input = "LABEL a = 1 b\n" + overlong + "\nLABEL c = 2 d\n";
  std::vector<std::string> reference;
  for (size_t chunk : {size_t{0}, size_t{1}, size_t{3}, size_t{50}}) {
    Decoded r;
    Decode(&r, input, o, chunk);
    EXPECT_EQ(r.result, LegacyDecoder::Result::kOk);
    EXPECT_THAT(r.events.log, ElementsAre("LABEL a|1|b|b", "LABEL c|2|d|d")) << chunk;
  }
  RecordingEvents ev;
  LegacyDecoder d(&ev, o);
  d.Feed(input);
  EXPECT_EQ(d.stats().too_long_lines, 1u);
  EXPECT_EQ(d.line_number(), 3u);
  // An overlong line never grows the buffer past the limit, however it arrives.
  for (int i = 0; i < 1000; ++i) {
    d.Feed(std::string(100, 'z'));
    ASSERT_LE(d.buffered_bytes(), 65u);
  }
  d.Feed("\nLABEL e = 3 f\n");
  EXPECT_EQ(ev.log.back(), "LABEL e|3|f|f");
  EXPECT_EQ(d.stats().too_long_lines, 2u);
}

TEST(LegacyDecoderTest, DefaultLineLimitIsNetdata137) {
  RecordingEvents ev;
  LegacyDecoder d(&ev);
  const std::string prefix = "LABEL k = 1 ";
  const std::string fits = prefix + std::string(kMaxLineBytes - prefix.size(), 'v');
  const std::string over = fits + "v";
  d.Feed(fits + "\n" + over + "\r\n" + fits + "\r\n");
  EXPECT_EQ(ev.log.size(), 2u);
  EXPECT_EQ(d.stats().too_long_lines, 1u);
}

TEST(LegacyDecoderTest, TooManyWordsAreDropped) {
  RecordingEvents ev;
  LegacyDecoderOptions o;
  o.max_words = 5;
  LegacyDecoder d(&ev, o);
  EXPECT_EQ(d.Feed("LABEL k = 1 a b c d e f\n"), LegacyDecoder::Result::kOk);
  EXPECT_THAT(ev.log, ElementsAre("LABEL k|1|a|a+b"));
  EXPECT_EQ(d.stats().lines_with_dropped_words, 1u);
  EXPECT_EQ(d.stats().words, 5u);
  // With the default (30) a 12-field CHART with SLOT and every word fits.
  RecordingEvents ev2;
  LegacyDecoderOptions o2;
  o2.caps = kSlots;
  LegacyDecoder d2(&ev2, o2);
  d2.Feed("CHART SLOT:1 a b c d e f g 1 2 h i j extra1 extra2\n");
  EXPECT_EQ(ev2.log.size(), 1u);
  EXPECT_EQ(d2.stats().lines_with_dropped_words, 0u);
}

// ---- payloads ----

TEST(LegacyDecoderTest, FunctionResultPayloadIsDeliveredWhole) {
  const std::string payload =
      "{\"status\":200,\r\n"
      "SET \"x\" = 1\n"  // not a command inside a payload
      "  \"FUNCTION_RESULT_ENDX\"\n"
      "\n"
      "BOGUS line\n";
  const std::string input =
      "BEGIN c\nEND\nFUNCTION_RESULT_BEGIN 'tx-1' 200 'application/json' "
      "1720000000\n" +
      payload + "  FUNCTION_RESULT_END trailing words\r\nBEGIN d\nEND\n";
  const std::vector<std::string> expected = {"BEGIN c|0", "END 0|0|0|0",
                                             Rec("FUNCTION_RESULT", "tx-1", int64_t{200},
                                                 "application/json", int64_t{1720000000}, payload),
                                             "BEGIN d|0", "END 0|0|0|0"};
  for (size_t chunk : {size_t{0}, size_t{1}, size_t{2}, size_t{7}, size_t{64}}) {
    Decoded r;
    Decode(&r, input, {}, chunk);
    EXPECT_EQ(r.result, LegacyDecoder::Result::kOk);
    EXPECT_THAT(r.events.log, ElementsAreArray(expected)) << chunk;
  }
  RecordingEvents ev;
  LegacyDecoder d(&ev);
  d.Feed(input);
  EXPECT_EQ(d.line_number(), 11u);
  EXPECT_EQ(d.stats().payload_bytes, payload.size());
  EXPECT_FALSE(d.in_payload());
}

TEST(LegacyDecoderTest, FunctionResultPayloadLinesMayExceedTheLineLimit) {
  LegacyDecoderOptions o;
  o.max_line_bytes = 48;
  const std::string long_line = std::string(500, 'j') + "\n";
  const std::string input = "FUNCTION_RESULT_BEGIN tx 200 text/plain 0\n" + long_line +
                            "FUNCTION_RESULT_END\nOVERWRITE labels\n";
  for (size_t chunk : {size_t{0}, size_t{1}, size_t{47}, size_t{49}}) {
    Decoded r;
    Decode(&r, input, o, chunk);
    EXPECT_THAT(r.events.log, ElementsAre(Rec("FUNCTION_RESULT", "tx", int64_t{200}, "text/plain",
                                              int64_t{0}, long_line),
                                          "OVERWRITE labels"))
        << chunk;
  }
}

TEST(LegacyDecoderTest, EmptyFunctionResultAndDefaults) {
  Decoded r;
  Decode(&r, "FUNCTION_RESULT_BEGIN tx\nFUNCTION_RESULT_END\n");
  EXPECT_THAT(r.events.log, ElementsAre("FUNCTION_RESULT tx|0||0|"));
}

TEST(LegacyDecoderTest, OversizedPayloadIsAnError) {
  RecordingEvents ev;
  LegacyDecoderOptions o;
  o.max_payload_bytes = 100;
  LegacyDecoder d(&ev, o);
  EXPECT_EQ(d.Feed("FUNCTION_RESULT_BEGIN tx 200 text 0\n"), LegacyDecoder::Result::kOk);
  EXPECT_TRUE(d.in_payload());
  EXPECT_EQ(d.Feed(std::string(60, 'a') + "\n"), LegacyDecoder::Result::kOk);
  EXPECT_EQ(d.Feed(std::string(60, 'b') + "\n"), LegacyDecoder::Result::kClosed);
  ASSERT_EQ(ev.errors.size(), 1u);
  EXPECT_THAT(ev.errors[0], HasSubstr("3|FUNCTION_RESULT_BEGIN|payload larger than the limit"));
}

TEST(LegacyDecoderTest, JsonPayloadAnyKeyword) {
  const std::string path = "{\"version\":1,\"streaming_path\":[]}\n";
  Decoded r;
  Decode(&r, "JSON STREAM_PATH\n" + path +
                 "JSON_PAYLOAD_END\nJSON FUTURE_THING\nx\ny\n"
                 "JSON_PAYLOAD_END\nJSON\nJSON_PAYLOAD_END\nOVERWRITE labels\n");
  EXPECT_THAT(r.events.log, ElementsAre(Rec("JSON", "STREAM_PATH", path),
                                        "JSON FUTURE_THING|x\ny\n", "JSON |", "OVERWRITE labels"));
  // FUNCTION_RESULT_END does not end a JSON payload, nor the reverse.
  Decoded r2;
  Decode(&r2,
         "JSON K\nFUNCTION_RESULT_END\nJSON_PAYLOAD_END\n"
         "FUNCTION_RESULT_BEGIN t\nJSON_PAYLOAD_END\nFUNCTION_RESULT_END\n");
  EXPECT_THAT(r2.events.log, ElementsAre("JSON K|FUNCTION_RESULT_END\n",
                                         "FUNCTION_RESULT t|0||0|JSON_PAYLOAD_END\n"));
}

// ---- verdicts ----

TEST(LegacyDecoderTest, SkipDropsTheWholeScope) {
  RecordingEvents ev;
  ev.verdicts["BEGIN skipme"] = Verdict::kSkip;
  ev.verdicts["CHART skipchart"] = Verdict::kSkip;
  ev.verdicts["RBEGIN skiprepl"] = Verdict::kSkip;
  ev.verdicts["SET b"] = Verdict::kSkip;
  LegacyDecoder d(&ev);
  const std::string input =
      "BEGIN skipme 1\nSET a = 1\nSET b = 2\nVARIABLE CHART v = 1\nEND\n"
      "BEGIN keep 1\nSET a = 1\nSET b = 2\nEND\n"
      "CHART skipchart\nCLABEL a b 1\nCLABEL_COMMIT\nDIMENSION x\nFUNCTION f 1 h\n"
      "VARIABLE z = 1\nCHART_DEFINITION_END 1 2 3\nVARIABLE HOST h = 1\n"
      "FUNCTION GLOBAL g 1 h\n"
      "RBEGIN skiprepl\nRBEGIN '' 1 2 3\nRSET a 1 ''\nRDSTATE a\nRSSTATE 1 2\nREND 1 2 3 true 4 5\n"
      "RBEGIN keep\nRSSTATE 1 2\nREND 1 2 3 false 4 5\n";
  EXPECT_EQ(d.Feed(input), LegacyDecoder::Result::kOk);
  EXPECT_THAT(ev.log,
              ElementsAre("BEGIN skipme|1", "BEGIN keep|1", "SET a|i:1", "SET b|i:2", "END 0|0|0|0",
                          "CHART 0|skipchart|||unknown|||line|0|1000|0||0||", "VARIABLE 1|1|h|1",
                          "FUNCTION 1|1|g|1|h||0|0|0", "RBEGIN 0|skiprepl|0|0|0|0",
                          "RBEGIN 0|keep|0|0|0|0", "RSSTATE 1|2", "REND 1|2|3|0|4|5|0"));
  // 3 openers + SET b + 4 (first BEGIN) + 6 (chart scope) + 5 (replication scope).
  EXPECT_EQ(d.stats().skipped, 3u + 1u + 4u + 6u + 5u);
  EXPECT_FALSE(d.chart_in_scope());
}

TEST(LegacyDecoderTest, FatalVerdictClosesWithoutProtocolError) {
  RecordingEvents ev;
  ev.verdicts["BEGIN unknown.chart"] = Verdict::kFatal;
  LegacyDecoder d(&ev);
  EXPECT_EQ(d.Feed("BEGIN ok\nEND\nBEGIN unknown.chart 5\nSET a = 1\nEND\n"),
            LegacyDecoder::Result::kClosed);
  EXPECT_THAT(ev.log, ElementsAre("BEGIN ok|0", "END 0|0|0|0", "BEGIN unknown.chart|5"));
  EXPECT_THAT(ev.errors, IsEmpty());
  EXPECT_EQ(d.stats().fatal_verdicts, 1u);
  EXPECT_EQ(d.status().code(), absl::StatusCode::kAborted);
  EXPECT_EQ(std::string(d.status().message()),
            "line 3: rejected by the session: BEGIN unknown.chart 5");
  EXPECT_EQ(d.Feed("END\n"), LegacyDecoder::Result::kClosed);
}

TEST(LegacyDecoderTest, FatalVerdictOnPayloadEvent) {
  RecordingEvents ev;
  ev.verdicts["FUNCTION_RESULT_BEGIN tx"] = Verdict::kFatal;
  LegacyDecoder d(&ev);
  EXPECT_EQ(d.Feed("FUNCTION_RESULT_BEGIN tx\nbody\nFUNCTION_RESULT_END\nEND\n"),
            LegacyDecoder::Result::kClosed);
  EXPECT_EQ(ev.log.size(), 1u);
}

// ---- the fast path (LegacyDecoderOptions::fast_path) ----

// Everything a decoding run shows: events, errors, the status, every counter but fast_lines.
struct Outcome {
  std::vector<std::string> log;
  std::vector<std::string> errors;
  std::string status;
  std::string stats;
  uint64_t fast_lines = 0;
  bool closed = false;
  bool chart_in_scope = false;
  uint64_t line_number = 0;
  size_t buffered = 0;

  std::string Text() const {
    std::string t = "status=" + status + " stats=" + stats + " closed=" + Str(closed) +
                    " scope=" + Str(chart_in_scope) + " line=" + Str(line_number) +
                    " buffered=" + std::to_string(buffered) + "\n";
    for (const std::string& e : errors) {
      t += "error " + e + "\n";
    }
    for (const std::string& l : log) {
      t += l + "\n";
    }
    return t;
  }
};

std::string StatsText(const LegacyDecoderStats& s) {
  std::string t = Rec("", s.bytes, s.lines, s.empty_lines, s.words, s.too_long_lines,
                      s.lines_with_dropped_words, s.payload_bytes, s.skipped, s.ignored, s.errors,
                      s.fatal_verdicts);
  for (uint64_t c : s.commands) {
    t += ',';
    t += std::to_string(c);
  }
  return t;
}

// Chart id -> the SET lines offered for it (LegacyEvents::ChartSetLines()).
using SetLinesMap = std::map<std::string, SetLines, std::less<>>;

// RecordingEvents that offers each chart in `set_lines` its SetLines, and counts the runs (which
// LegacyEvents::OnSetRun() records as the OnSet() calls they stand for).
class SetLinesEvents : public RecordingEvents {
 public:
  const SetLinesMap* set_lines = nullptr;
  uint64_t runs = 0;
  uint64_t run_values = 0;

  Verdict OnBegin(const BeginEvent& e) override {
    chart_.assign(e.id);
    return RecordingEvents::OnBegin(e);
  }
  const SetLines* ChartSetLines() override {
    if (set_lines == nullptr) {
      return nullptr;
    }
    auto it = set_lines->find(chart_);
    return it == set_lines->end() ? nullptr : &it->second;
  }
  Verdict OnSetRun(const SetRunEvent& e) override {
    EXPECT_GT(e.count, 0u);
    EXPECT_LE(e.first + e.count, e.lines->size());
    ++runs;
    run_values += e.count;
    return LegacyEvents::OnSetRun(e);
  }

 private:
  std::string chart_;
};

// The SET lines of every chart in `text` as the general path decodes it: each chart's SET ids in
// the order they first appear.
SetLinesMap LearnSetLines(std::string_view text) {
  class Learner : public NullLegacyEvents {
   public:
    std::map<std::string, std::vector<std::string>, std::less<>> ids;
    Verdict OnBegin(const BeginEvent& e) override {
      chart_ = &ids[std::string(e.id)];
      return Verdict::kOk;
    }
    Verdict OnSet(const SetEvent& e) override {
      if (chart_ != nullptr && std::find(chart_->begin(), chart_->end(), e.id) == chart_->end()) {
        chart_->emplace_back(e.id);
      }
      return Verdict::kOk;
    }

   private:
    std::vector<std::string>* chart_ = nullptr;
  };
  Learner learner;
  LegacyDecoderOptions o;
  o.fast_path = false;
  o.unknown_keyword_is_fatal = false;
  LegacyDecoder d(&learner, o);
  d.Feed(text);
  SetLinesMap map;
  for (const auto& [chart, ids] : learner.ids) {
    SetLines& lines = map[chart];
    for (const std::string& id : ids) {
      lines.Add(id);
    }
  }
  return map;
}

// Decodes `text` fed in pieces ending at `cuts` (ascending offsets; none: one Feed()); with
// `set_lines`, offers them at each BEGIN (*runs counts the runs taken).
Outcome DecodeAll(std::string_view text, bool fast_path, const std::vector<size_t>& cuts = {},
                  LegacyDecoderOptions options = {},
                  const std::map<std::string, Verdict>& verdicts = {},
                  const SetLinesMap* set_lines = nullptr, uint64_t* runs = nullptr) {
  SetLinesEvents ev;
  ev.verdicts = verdicts;
  ev.set_lines = set_lines;
  options.fast_path = fast_path;
  LegacyDecoder d(&ev, options);
  size_t at = 0;
  std::vector<size_t> ends = cuts;
  ends.push_back(text.size());
  for (size_t end : ends) {
    d.Feed(text.substr(at, end - at));
    at = end;
  }
  Outcome o;
  o.log = std::move(ev.log);
  o.errors = std::move(ev.errors);
  o.status = d.status().ToString();
  o.stats = StatsText(d.stats());
  o.fast_lines = d.stats().fast_lines;
  o.closed = d.closed();
  o.chart_in_scope = d.chart_in_scope();
  o.line_number = d.line_number();
  o.buffered = d.buffered_bytes();
  if (runs != nullptr) {
    *runs = ev.runs;
  }
  return o;
}

// Enough lines after a case that the fast path (which needs 128 bytes from a line start) gets to
// look at it.
std::string FastContext(std::string_view line) {
  std::string text = "BEGIN \"chart\" 1000000\n";
  text += line;
  text += "\n";
  for (int i = 0; i < 12; ++i) {
    text += "SET \"pad\" = " + std::to_string(i) + "\n";
  }
  text += "END\n";
  return text;
}

struct FastCase {
  std::string_view line;  // one line, without its '\n'
  bool fast;              // taken by the fast path (else by the tokenizer)
};

// The shapes the fast path takes, and near misses on every side of them (each must decode exactly
// as the general path decodes it: same events, errors, status and counters).
TEST(LegacyDecoderFastPathTest, ShapesAndFallbackBoundaries) {
  const std::string id31(31, 'i');
  const std::string id95(95, 'i');
  const std::string id96(96, 'i');
  const std::string set31 = "SET \"" + id31 + "\" = 1";
  const std::string set95 = "SET '" + id95 + "' = 1";
  const std::string set96 = "SET \"" + id96 + "\" = 1";
  const std::string begin95 = "BEGIN \"" + id95 + "\" 5";
  // BEGIN2 lines whose '\n' is the last byte of the 128-byte fast window (offset 127: taken) and
  // the first byte after it (offset 128: the general path's).
  const std::string begin2_long = "BEGIN2 '" + id95 + "' 1 2 " + std::string(18, '7');
  const std::string begin2_too_long = "BEGIN2 '" + id95 + "' 1 22 " + std::string(18, '7');
  const FastCase cases[] = {
      // Taken.
      {"SET \"x\" = 5", true},
      {"SET 'x' = 5", true},
      {"SET \"x\" = 0", true},
      {"SET \"x\" = -5", true},
      {"SET \"x\" = -0", true},
      {"SET \"x\" = 12345678", true},
      {"SET \"x\" = 123456789", true},
      {"SET \"x\" = 999999999999999999", true},  // 18 digits
      {"SET \"x\" = -999999999999999999", true},
      {"SET \"dim_0003\" = 123456789", true},
      {set31, true},
      {set95, true},
      {"SET \"it's\" = 1", true},              // the other quote is literal
      {"SET 'say \"hi\"' = 1", true},          //
      {"SET \"a b=c\td\" = 1", true},          // separators inside quotes
      {"SET \"\xC3\xA9\x80\xFF\" = 1", true},  // any byte but the quote, '\\' and '\n'
      {std::string_view("SET \"a\0b\" = 1", 13), true},
      {"BEGIN \"c2\" 1000000", true},
      {"BEGIN 'c2' 0", true},
      {"BEGIN \"c2\" 007", true},  // decimal: leading zeros are fine
      {"BEGIN \"c2\" -5", true},
      {begin95, true},
      // The general path's.
      {"SET \"a\\\"b\" = 1", false},  // a backslash in the id
      {"SET \"a\\\\\" = 1", false},
      {"SET 'x' = 0x10", false},                    // hex
      {"SET \"x\" = #BJn", false},                  // base64
      {"SET \"x\" = 010", false},                   // octal (base auto-detect): 8
      {"SET \"x\" = 00", false},                    //
      {"SET \"x\" = -010", false},                  //
      {"SET \"x\" = 08", false},                    // not octal, so a double: 8
      {"SET \"x\" = 1234567890123456789", false},   // 19 digits
      {"SET \"x\" = 9223372036854775807", false},   // int64 max
      {"SET \"x\" = -9223372036854775808", false},  // int64 min
      {"SET \"x\" = 9223372036854775808", false},   // overflow: a double
      {"SET \"x\" = 12345678901234567890", false},  // 20 digits
      {"SET \"x\" = +5", false},
      {"SET \"x\" = 5.5", false},
      {"SET \"x\" = 1e3", false},
      {"SET \"x\" = nan", false},
      {"SET \"x\" = @EAQzMzMzMzN", false},
      {"SET \"x\" =", false},  // no value: not collected
      {"SET \"x\" = ", false},
      {"SET \"x\"", false},
      {"SET \"x\" = ''", false},
      {"SET \"x\" = 5 extra", false},  // more words
      {"SET \"x\" = 5 ", false},
      {"SET \"x\" = 5\r", false},  // "\r\n": the splitter drops the "\r"
      {"SET \"x\" = 5\r\r", false},
      {"SET x = 5", false},  // unquoted id
      {"SET\t\"x\" = 5", false},
      {"SET \"x\"\t=\t5", false},
      {"SET \"x\"=5", false},
      {"SET \"x\" =5", false},
      {"SET \"x\"  = 5", false},
      {"SET  \"x\" = 5", false},
      {" SET \"x\" = 5", false},
      {"SET \"x\" = 5=", false},
      {"SET \"x\" = \"5\"", false},  // a quoted value
      {"SET2 \"x\" 1 1 ''", true},   // NEW's SET2: quoted id, three unquoted words ('' is empty)
      {"SET2 'x' 0x1267 4.2 A", true},
      {"SET2 'x' 0x1267 # AR", true},
      {"SET2 'x' -5 -5.5 E", true},
      {"SET2 'x' 1.5 1e3 ''", true},
      {"SET2 'x' 1 1 A B", false},    // more words
      {"SET2 'x' 1 1 'A'", false},    // a quoted word
      {"SET2 'x' \"1\" 1 A", false},  //
      {"SET2 'x'  1 1 A", false},     // other separators
      {"SET2 'x' 1 1 A\r", false},    //
      {"SET2 'x' 1=1 1 A", false},    //
      {"SET2 'x' 1\t1 1 A", false},   //
      {"SET2 x 1 1 A", false},        // an unquoted id
      {"SET2  'x' 1 1 A", false},
      {"BEGIN2 'system.cpu' 0x1 0x66851E00 #", true},   // NEW without IEEE754 (spec §7.9)
      {"BEGIN2 'system.cpu' #B #BmhR4A #", true},       // with IEEE754
      {"BEGIN2 'c2' 0x1 0x66851E00 0x66851E01", true},  // a wall clock of its own
      {"BEGIN2 'c2' 1 1795519500 1795519501", true},    // decimal
      {"BEGIN2 \"c2\" 10 0 -3", true},
      {"BEGIN2 'c2' 007 1 1", true},  // decimal: leading zeros are fine
      {"BEGIN2 'c2' +1 -0x2 #3", true},
      {"BEGIN2 'c2' 1 2 1234567890123456789", true},  // the full parser: 19 digits
      {"BEGIN2 'c2' 1 2 #anything", true},            // any '#' word is "same as end time"
      {"BEGIN2 'SLOT:3' 1 2 3", true},                // no SLOTS negotiated: an id like any
      {begin2_long, true},                            // the line's '\n' is the window's last byte
      {begin2_too_long, false},                       // one byte further: past the window
      {"BEGIN2 c2 1 2 3", false},                     // an unquoted id
      {"BEGIN2 'c2' 1 2 3 4", false},                 // more words
      {"BEGIN2 'c2' 1  2 3", false},                  // other separators
      {"BEGIN2 'c2' 1 2 3\r", false},
      {"BEGIN2 'c2' 1 2 3 ", false},
      {"BEGIN2 'c2' 1=2 3 4", false},
      {"BEGIN2  'c2' 1 2 3", false},
      {"SET \"unterminated = 5", false},  // the id runs to the end of the line
      {set96, false},                     // id longer than the fast path scans
      {"BEGIN \"c2\"", false},
      {"BEGIN \"c2\" 1 2", false},
      {"BEGIN \"c2\"  1", false},
      {"BEGIN \"c2\"=1", false},
      {"BEGIN \"c2\" 0x10", false},
      {"BEGIN \"c2\" 1\r", false},
      {"BEGIN c2 1", false},
      {"BEGIN \"c\\\"2\" 1", false},
  };
  const Outcome base = DecodeAll(FastContext("SET \"k\" = 1"), true);
  ASSERT_GE(base.fast_lines, 3u);
  for (const FastCase& c : cases) {
    const std::string text = FastContext(c.line);
    const Outcome fast = DecodeAll(text, true);
    const Outcome general = DecodeAll(text, false);
    EXPECT_EQ(fast.Text(), general.Text()) << testing::PrintToString(std::string(c.line));
    EXPECT_FALSE(fast.closed) << testing::PrintToString(std::string(c.line));
    EXPECT_EQ(general.fast_lines, 0u);
    EXPECT_EQ(fast.fast_lines, base.fast_lines - (c.fast ? 0 : 1))
        << testing::PrintToString(std::string(c.line));
    // The chart's SET lines offered (the case's id among them): the same again.
    const SetLinesMap set_lines = LearnSetLines(text);
    uint64_t runs = 0;
    const Outcome with_lines = DecodeAll(text, true, {}, {}, {}, &set_lines, &runs);
    EXPECT_EQ(with_lines.Text(), general.Text()) << testing::PrintToString(std::string(c.line));
    EXPECT_EQ(with_lines.fast_lines, fast.fast_lines)
        << testing::PrintToString(std::string(c.line));
    if (!c.line.starts_with("SET2") && !c.line.starts_with("BEGIN2")) {  // (v2 lines end them)
      EXPECT_GE(runs, 1u) << testing::PrintToString(std::string(c.line));
    }
  }
}

// With SLOTS negotiated, as a NEW child sends v2 data to ndrelay: the slot word is read as the
// general path reads it, and a quoted first word "SLOT:..." is a slot there, so it is left to it.
TEST(LegacyDecoderFastPathTest, V2LinesWithSlotsMatchTheGeneralPath) {
  LegacyDecoderOptions o;
  o.caps = kSlots;
  const FastCase cases[] = {
      {"BEGIN2 SLOT:#D 'system.cpu' #B #BmhR4A #", true},  // spec §7.9, IEEE754 + SLOTS
      {"SET2 SLOT:#B 'user' #BJn @EAQzMzMzMzN A", true},
      {"BEGIN2 SLOT:0x3 'c2' 0x1 0x66851E00 #", true},
      {"SET2 SLOT:3 'x' 0x1267 4.2 A", true},
      {"SET2 SLOT:zz 'x' 1 1 ''", true},         // an unparsable slot is slot 0
      {"BEGIN2 SLOT:#D 'SLOT:#E' 1 2 #", true},  // the id after a slot word is an id
      {"BEGIN2 'c2' 0x1 0x66851E00 #", true},    // no slot word
      {"SET2 'x' 0x1267 4.2 A", true},
      {"BEGIN2 'SLOT:#D' 1 2 3 4", false},  // a quoted slot: the general path's
      {"SET2 'SLOT:#B' 'x' 1 1 A", false},
      {"BEGIN2 SLOT:#D  'c2' 1 2 #", false},  // other separators
      {"SET2 SLOT:#B\t'x' 1 1 A", false},
      {"SET2 SLOT:3 x 1 1 A", false},                            // an unquoted id
      {"SET2 SLOT:1234567890123456789012345 'x' 1 1 A", false},  // the id would start too far in
  };
  const Outcome base = DecodeAll(FastContext("SET2 'k' 1 1 A"), true, {}, o);
  ASSERT_GE(base.fast_lines, 3u);
  for (const FastCase& c : cases) {
    const std::string text = FastContext(c.line);
    const Outcome fast = DecodeAll(text, true, {}, o);
    const Outcome general = DecodeAll(text, false, {}, o);
    EXPECT_EQ(fast.Text(), general.Text()) << testing::PrintToString(std::string(c.line));
    EXPECT_FALSE(fast.closed) << testing::PrintToString(std::string(c.line)) << fast.Text();
    EXPECT_EQ(fast.fast_lines, base.fast_lines - (c.fast ? 0 : 1))
        << testing::PrintToString(std::string(c.line));
  }
}

// Lines the fast path must leave to the general path because they fail: the errors (and where
// the stream stops) are the general path's.
TEST(LegacyDecoderFastPathTest, ErrorsComeFromTheGeneralPath) {
  const std::string_view lines[] = {
      "SET \"\" = 5",
      "SET '' = 5",
      "SET \"x\" = -",
      "SET \"x\" = --5",
      "SET \"x\" = abc",
      "BEGIN \"\" 5",
      "BEGIN \"c\" 1.5",
      "BEGIN \"c\" -",
      "SETX \"x\" = 5",
      "SET \"x\" = 5x",
      "SET \"x\" = 5\"",
      "BEGIN \"c2\" 12345678901234567890",
      "END 1 x",
      "ENDX",
      "BEGIN \"c\" 1 x\nEND\nEND",  // END without a chart in scope
      "END\nSET \"x\" = 1",         // SET without a chart in scope
      "END2\nEND2",
      "SET2 'x' 1 1",     // too few words
      "SET2 'x' zz 1 A",  // values that do not parse
      "SET2 'x' 1 zz A",
      "SET2 '' 1 1 A",
      "END\nSET2 'x' 1 1 A",       // SET2 without a chart in scope
      "BEGIN2 '' 1 2 3",           // BEGIN2 errors
      "BEGIN2 SLOT:3 'c2' 1 2 3",  // a slot without the SLOTS capability: 'c2' is no number
      "BEGIN2 'c' 1 2",            // too few words
      "BEGIN2 'c' x 2 3",
      "BEGIN2 'c' 1 2 -",
      "BEGIN2 'c' 1 2 ''",
      "BEGIN2 'c' 0xZ 2 3",
      "BEGIN2 'c' 1 2 99999999999999999999",
  };
  for (std::string_view line : lines) {
    const std::string text = FastContext(line);
    const Outcome fast = DecodeAll(text, true);
    const Outcome general = DecodeAll(text, false);
    EXPECT_EQ(fast.Text(), general.Text()) << line;
    EXPECT_TRUE(fast.closed) << line;
  }
}

// Verdicts from handlers called by the fast path: kSkip on BEGIN drops the scope (SET, END
// counted as skipped), kSkip on SET is counted, kFatal stops with the same status text.
TEST(LegacyDecoderFastPathTest, VerdictsMatchTheGeneralPath) {
  std::string text;
  for (int c = 0; c < 8; ++c) {
    text += "BEGIN \"chart" + std::to_string(c) + "\" 1000000\n";
    for (int d = 0; d < 6; ++d) {
      text += "SET \"dim" + std::to_string(d) + "\" = " + std::to_string(c * 100 + d) + "\n";
    }
    text += c % 2 == 0 ? "END\n" : "END2\n";
  }
  const std::map<std::string, Verdict> verdict_sets[] = {
      {},
      {{"BEGIN chart1", Verdict::kSkip}, {"BEGIN chart4", Verdict::kSkip}},
      {{"SET dim3", Verdict::kSkip}, {"END ", Verdict::kSkip}, {"END2 ", Verdict::kSkip}},
      {{"SET dim2", Verdict::kFatal}},
      {{"BEGIN chart5", Verdict::kFatal}},
      {{"END ", Verdict::kFatal}},
      {{"END2 ", Verdict::kFatal}},
  };
  const SetLinesMap set_lines = LearnSetLines(text);
  for (const auto& verdicts : verdict_sets) {
    const Outcome fast = DecodeAll(text, true, {}, {}, verdicts);
    const Outcome general = DecodeAll(text, false, {}, {}, verdicts);
    EXPECT_EQ(fast.Text(), general.Text()) << testing::PrintToString(verdicts);
    EXPECT_GT(fast.fast_lines, 0u);
    // A run's verdict stands for its lines (SetRunVerdicts): only the others compare.
    if (std::none_of(verdicts.begin(), verdicts.end(),
                     [](const auto& v) { return v.first.starts_with("SET "); })) {
      EXPECT_EQ(DecodeAll(text, true, {}, {}, verdicts, &set_lines).Text(), general.Text())
          << testing::PrintToString(verdicts);
    }
  }
  const Outcome fatal = DecodeAll(text, true, {}, {}, {{"SET dim2", Verdict::kFatal}});
  EXPECT_EQ(fatal.status, "ABORTED: line 4: rejected by the session: SET \"dim2\" = 2");
  EXPECT_EQ(fatal.line_number, 4u);
}

// A realistic stream with fast lines and near misses, fed in two or three pieces at every split
// point and one byte at a time: always what the general path gives in one Feed().
TEST(LegacyDecoderFastPathTest, EverySplitPointMatchesTheGeneralPath) {
  std::string text;
  for (int c = 0; c < 6; ++c) {
    text += "BEGIN \"disk_space._dev_" + std::to_string(c) + "\" 780107\n";
    text += "SET \"avail\" = 3083623\nSET \"used\" = 0\nSET 'reserved_for_root' = -12\n";
    text += c % 3 == 0 ? "SET \"e\" =\nSET \"o\" = 010\r\n" : "SET \"x\" = 0x1F\n";
    text += c % 2 == 0 ? "END\n" : "END\r\n";
  }
  text += "BEGIN2 'system.cpu' 0x1 0x66851E00 #\nSET2 'user' 0x1267 4.2 A\nEND2\n";
  const Outcome ref = DecodeAll(text, false);
  ASSERT_FALSE(ref.closed) << ref.status;
  ASSERT_GT(DecodeAll(text, true).fast_lines, 10u);
  const SetLinesMap set_lines = LearnSetLines(text);
  for (size_t k = 0; k <= text.size(); ++k) {
    ASSERT_EQ(DecodeAll(text, true, {k}).Text(), ref.Text()) << "split at " << k;
    ASSERT_EQ(DecodeAll(text, true, {k}, {}, {}, &set_lines).Text(), ref.Text()) << "at " << k;
  }
  for (size_t a = 0; a <= text.size(); a += 7) {
    for (size_t b = a; b <= text.size(); b += 29) {
      ASSERT_EQ(DecodeAll(text, true, {a, b}).Text(), ref.Text()) << a << " " << b;
      ASSERT_EQ(DecodeAll(text, true, {a, b}, {}, {}, &set_lines).Text(), ref.Text())
          << a << " " << b;
    }
  }
  std::vector<size_t> every;
  for (size_t k = 1; k < text.size(); ++k) {
    every.push_back(k);
  }
  EXPECT_EQ(DecodeAll(text, true, every).Text(), ref.Text());
}

// ---- a chart's SET lines offered at BEGIN (LegacyEvents::ChartSetLines()) ----

std::string Round(std::string_view chart, const std::vector<std::string>& ids, int value) {
  std::string text = "BEGIN \"" + std::string(chart) + "\" 1000000\n";
  for (const std::string& id : ids) {
    text += "SET \"" + id + "\" = " + std::to_string(value++) + "\n";
  }
  return text + "END\n";
}

// Lines that follow the offered SET lines are handed over in runs, one per chart round (more past
// 64 dimensions); every deviation (another order, a repeated, unknown or unmatchable dimension,
// another shape, an unoffered chart) decodes as the general path decodes it.
TEST(LegacyDecoderSetLinesTest, RunsPerRoundAndEveryDeviation) {
  std::vector<std::string> small = {"user", "system", "nice", "iowait"};
  std::vector<std::string> wide;
  for (int i = 0; i < 150; ++i) {
    wide.push_back("dim_" + std::to_string(i));
  }
  const std::string id96(96, 'w');
  std::vector<std::string> odd = {"a\"b", "a\\b", id96, "ok"};
  SetLinesMap set_lines;
  for (const auto& [chart, ids] : {std::pair{"small", &small}, {"wide", &wide}, {"odd", &odd}}) {
    for (const std::string& id : *ids) {
      set_lines[chart].Add(id);
    }
  }
  std::string text;
  for (int round = 0; round < 3; ++round) {
    text +=
        Round("small", small, round * 10) + Round("wide", wide, round) + Round("other", {"x"}, 1);
  }
  const size_t regular_runs = 3 * (1 + 3);  // small: 1; wide: 64 + 64 + 22
  text +=
      "BEGIN \"small\" 1000000\nSET \"system\" = 1\nSET \"user\" = 2\nSET \"nice\" = 3\n"
      "SET \"nice\" = 4\nSET 'iowait' = 5\nSET \"steal\" = 6\nSET \"iowait\" = 0x10\n"
      "SET \"iowait\" = 7\nEND\n"
      "BEGIN \"small\" 1000000\nSET \"user\" = 1\nSET \"system\" =\nSET \"nice\" = 3\n"
      "SET \"iowait\" = 4\nEND\n"
      "BEGIN \"odd\" 1000000\nSET 'a\"b' = 1\nSET \"a\\b\" = 2\nSET \"" +
      id96 +
      "\" = 3\n"
      "SET \"ok\" = 4\nEND\n"
      "BEGIN \"small\" 1000000\nSET \"user\" = 1\nEND\nFLUSH\n"
      "BEGIN \"small\" 1000000\nSET \"user\" = 1\nVARIABLE v = 1\nSET \"system\" = 2\nEND\n";
  text += Round("small", small, 5);
  text += "BEGIN \"small\" 1000000\nSET \"user\" = 1\nEND\n";  // the general path's: at the end
  LegacyDecoderOptions o;
  o.unknown_keyword_is_fatal = false;
  const Outcome general = DecodeAll(text, false, {}, o);
  uint64_t runs = 0;
  const Outcome with_lines = DecodeAll(text, true, {}, o, {}, &set_lines, &runs);
  EXPECT_EQ(with_lines.Text(), general.Text());
  EXPECT_EQ(with_lines.fast_lines, DecodeAll(text, true, {}, o).fast_lines);
  // The regular rounds, the last full one, and what the deviations left to runs.
  EXPECT_GE(runs, regular_runs + 1 + 4);
  EXPECT_LE(runs, regular_runs + 1 + 10);
  EXPECT_FALSE(general.closed) << general.status;
  for (size_t cut = 0; cut <= text.size(); cut += 13) {
    ASSERT_EQ(DecodeAll(text, true, {cut}, o, {}, &set_lines).Text(), general.Text()) << cut;
  }
}

// A run's verdict stands for its lines: kFatal closes the stream at the run's last line (the
// handler saw the lines up to the one it refused), kSkip counts one skipped line.
TEST(LegacyDecoderSetLinesTest, RunVerdicts) {
  const std::string text = Round("c", {"a", "b", "c"}, 1) + FastContext("SET \"pad\" = 1");
  SetLinesMap set_lines;
  for (const char* id : {"a", "b", "c"}) {
    set_lines["c"].Add(id);
  }
  uint64_t runs = 0;
  const Outcome fatal =
      DecodeAll(text, true, {}, {}, {{"SET b", Verdict::kFatal}}, &set_lines, &runs);
  EXPECT_EQ(runs, 1u);
  EXPECT_TRUE(fatal.closed);
  EXPECT_EQ(fatal.status, "ABORTED: line 4: rejected by the session: SET \"c\" = 3");
  EXPECT_EQ(fatal.line_number, 4u);
  EXPECT_THAT(fatal.log, ElementsAre("BEGIN c|1000000", "SET a|i:1", "SET b|i:2"));
  const Outcome skip = DecodeAll(text, true, {}, {}, {{"SET b", Verdict::kSkip}}, &set_lines);
  EXPECT_FALSE(skip.closed);
  EXPECT_EQ(skip.Text(), DecodeAll(text, false, {}, {}, {{"SET b", Verdict::kSkip}}).Text());
}

TEST(LegacyDecoderFastPathTest, SmallLimitsUseTheGeneralPath) {
  std::string text;
  for (int i = 0; i < 20; ++i) {
    text += "BEGIN \"c\" 1\nSET \"a\" = " + std::to_string(i) + "\nEND\n";
  }
  text += "SET \"" + std::string(100, 'x') + "\" = 1\n";  // too long for max_line 64
  for (size_t max_line : {size_t{64}, size_t{127}}) {
    LegacyDecoderOptions o;
    o.max_line_bytes = max_line;
    const Outcome fast = DecodeAll(text, true, {}, o);
    EXPECT_EQ(fast.Text(), DecodeAll(text, false, {}, o).Text());
    EXPECT_EQ(fast.fast_lines, 0u) << max_line;
  }
  LegacyDecoderOptions o;
  o.max_line_bytes = 128;
  EXPECT_GT(DecodeAll(text, true, {}, o).fast_lines, 0u);
  o.max_words = 2;  // SET "a" = 1 has three words: the tokenizer drops one
  const Outcome fast = DecodeAll(text, true, {}, o);
  EXPECT_EQ(fast.Text(), DecodeAll(text, false, {}, o).Text());
  EXPECT_EQ(fast.fast_lines, 0u);
}

// Random streams of SET/BEGIN/END lines and mutations of them (quotes, backslashes, separators,
// CRs, signs, leading zeros, 0..20 digits, other words), in random pieces: the fast path never
// changes a thing.
TEST(LegacyDecoderFastPathTest, RandomNearMissesMatchTheGeneralPath) {
  std::mt19937 rng(2024);
  auto pick = [&](std::initializer_list<std::string_view> l) {
    return std::string(*(l.begin() + rng() % l.size()));
  };
  auto digits = [&](size_t n) {
    std::string d;
    for (size_t i = 0; i < n; ++i) {
      d += static_cast<char>('0' + rng() % 10);
    }
    return d;
  };
  auto id = [&]() {
    std::string s;
    const size_t n = rng() % 4 == 0 ? rng() % 100 : 1 + rng() % 12;
    for (size_t i = 0; i < n; ++i) {
      s += rng() % 16 == 0 ? pick({"\\", "'", "\"", " ", "=", "\t", "\r"})
                           : std::string(1, 'a' + rng() % 26);
    }
    return s;
  };
  for (int iter = 0; iter < 300; ++iter) {
    std::string text;
    for (int n = 0; n < 60; ++n) {
      const std::string q = rng() % 8 == 0 ? "'" : "\"";
      const std::string value = (rng() % 6 == 0 ? pick({"-", "+", "0", "", "--"}) : "") +
                                digits(rng() % 8 == 0 ? rng() % 21 : 1 + rng() % 9);
      const std::string sep = rng() % 8 == 0 ? pick({"", " ", "  ", "=", " =", "\t= "}) : " = ";
      const std::string tail = rng() % 10 == 0 ? pick({" ", "\r", " x", "x", "\r\r", "="}) : "";
      switch (rng() % 11) {
        case 0:
          text += "BEGIN " + q + id() + q + (rng() % 6 == 0 ? "" : " " + value) + tail + "\n";
          break;
        case 10:
          text += "BEGIN2 " + q + id() + q + pick({" ", "  ", "="}) + value + " " +
                  pick({"1795519500", "-1", "0", "007", "0x10", "", "+5"}) +
                  pick({" ", "  ", "\t"}) + pick({"1795519501", "#", "5", "", "x"}) + tail + "\n";
          break;
        case 1:
          text += pick({"END", "END2", "END\r", "END ", "END 1 2", "FLUSH"}) + "\n";
          break;
        case 2:
          text +=
              pick({"BEGIN2 'c' 1 2 #", "SET2 'a' 1 1 ''", "CHART c", "", " ", "VARIABLE v = 1"}) +
              "\n";
          break;
        case 3:
          text += "SET2 " + q + id() + q + " " + value + tail + pick({" ", "  ", "=", " '"}) +
                  pick({"#", "1.5", "0x1F", "-2", "", "x", "#BJn", "nan"}) + pick({" ", "\t", ""}) +
                  pick({"''", "A", "E", "AR", "'A'", "A B", "", "\"\""}) + tail + "\n";
          break;
        default:
          text += "SET " + q + id() + q + sep + value + tail + "\n";
          break;
      }
    }
    std::vector<size_t> cuts;
    for (size_t at = rng() % 700; at < text.size(); at += 1 + rng() % 700) {
      cuts.push_back(at);
    }
    LegacyDecoderOptions o;
    o.unknown_keyword_is_fatal = false;
    // The same pieces both ways: a closed decoder stops counting the bytes it is given.
    const Outcome general = DecodeAll(text, false, cuts, o);
    const Outcome fast = DecodeAll(text, true, cuts, o);
    ASSERT_EQ(fast.Text(), general.Text()) << testing::PrintToString(text);
    const SetLinesMap set_lines = LearnSetLines(text);
    ASSERT_EQ(DecodeAll(text, true, cuts, o, {}, &set_lines).Text(), general.Text())
        << testing::PrintToString(text);
  }
}

// ---- real Netdata 1.37.1 traffic ----

class CaptureTest : public ::testing::Test {
 protected:
  // Loads <captures>/<dir>/conn1.c2s.decoded.txt and the analysis counts, or skips.
  void Load(const std::string& dir) {
    const std::string base = CapturesDir() + "/" + dir + "/conn1.";
    std::string json;
    if (!ReadFile(base + "c2s.decoded.txt", &text_) || !ReadFile(base + "analysis.json", &json)) {
      GTEST_SKIP() << "captures not found under " << CapturesDir() << " (set NDRELAY_CAPTURES_DIR)";
    }
    expected_counts_ = AnalysisCounts(json);
    ASSERT_FALSE(expected_counts_.empty());
  }

  // Decodes the whole capture in one Feed() and checks the counts against analysis.json.
  void CheckCounts(RecordingEvents* ev) {
    LegacyDecoderOptions o;
    o.caps = kCapsNetdata137;
    LegacyDecoder d(ev, o);
    ASSERT_EQ(d.Feed(text_), LegacyDecoder::Result::kOk) << d.status();
    EXPECT_THAT(ev->errors, IsEmpty());
    EXPECT_EQ(ev->counts, expected_counts_);
    for (const auto& [name, count] : expected_counts_) {
      EXPECT_EQ(d.stats().commands[static_cast<size_t>(LookupKeyword(name))], count) << name;
    }
    EXPECT_EQ(d.stats().too_long_lines, 0u);
    EXPECT_EQ(d.stats().lines_with_dropped_words, 0u);
    EXPECT_EQ(d.stats().bytes, text_.size());
    EXPECT_EQ(d.buffered_bytes(), 0u);
    EXPECT_FALSE(d.chart_in_scope());  // the capture ends with END
  }

  std::string text_;
  std::map<std::string, uint64_t> expected_counts_;
};

TEST_F(CaptureTest, UncompressedSessionCountsAndFields) {
  Load("uncompressed");
  if (IsSkipped()) {
    return;
  }
  RecordingEvents ev;
  CheckCounts(&ev);
  EXPECT_EQ(ev.counts["SET"], 22260u);
  EXPECT_EQ(ev.counts["BEGIN"], 5728u);
  EXPECT_EQ(ev.counts["END"], 5728u);
  EXPECT_EQ(ev.counts["CHART"], 211u);
  EXPECT_EQ(ev.counts["RSET"], 73u);
  ASSERT_GE(ev.log.size(), 30u);
  EXPECT_EQ(ev.log[0], "CLAIMED_ID 00000000-0000-0000-0000-0000000000c1|NULL|1");
  EXPECT_EQ(ev.log[1], "LABEL _cloud_provider_type|1|unknown|unknown");
  EXPECT_EQ(ev.log[4], "LABEL _os_name|1|Debian GNU/Linux|Debian GNU/Linux");
  EXPECT_EQ(ev.log[22], "OVERWRITE labels");
  EXPECT_EQ(ev.log[23],
            "CHART 0|disk_space._dev||Disk Space Usage|GiB|/dev|disk.space|stacked|2|2023|1|   "
            "|0|diskspace.plugin|");
  EXPECT_EQ(ev.log[24], "CLABEL _collect_plugin|diskspace.plugin|536870913");
  EXPECT_EQ(ev.log[29], "CLABEL_COMMIT");
  EXPECT_EQ(ev.log[30], "DIMENSION 0|avail|avail|absolute|0|4096|1073741824|  |0");
  EXPECT_EQ(ev.log[33], "CHART_DEFINITION_END 1795519426|1795519427|1795519427");
  EXPECT_THAT(ev.log, Contains("VARIABLE 2|1|pidmax|32768"));
  EXPECT_THAT(ev.log, Contains("VARIABLE 1|1|tcp_max_connections|-1"));
  EXPECT_THAT(ev.log, Contains("RBEGIN 0|disk_space._dev|0|0|0|0"));
  EXPECT_THAT(ev.log, Contains("RDSTATE 0|avail|1795519427280413|i:3083623|11.7630882|0"));
  EXPECT_THAT(ev.log, Contains("REND 1|1795519427|1795519427|1|1795519426|1795519427|1795519427"));
  EXPECT_THAT(ev.log, Contains("RSET 0|system|11.172341|0|0"));
  EXPECT_THAT(ev.log, Contains("BEGIN disk_space._dev|780107"));
  EXPECT_THAT(ev.log,
              Contains("DIMENSION 0|idle|idle|percentage-of-incremental-row|3|1|1| hidden |2"));
  EXPECT_EQ(ev.log.back(), "END 0|0|0|0");
}

TEST_F(CaptureTest, ReplicationAfterGapCounts) {
  Load("replication/2-after-gap");
  if (IsSkipped()) {
    return;
  }
  RecordingEvents ev;
  CheckCounts(&ev);
  EXPECT_EQ(ev.counts["RSET"], 54943u);
  EXPECT_EQ(ev.counts["RBEGIN"], 14331u);
  EXPECT_THAT(ev.log, Contains("RBEGIN 0||1|1795519522|1795519523|1795519588"));
  EXPECT_THAT(ev.log, Contains("RSET 0|system|7.523414|0|0"));
  EXPECT_THAT(ev.log, Contains("RDSTATE 0|user|1795519588000131|i:281139|0.000409|"
                               "3.074591"));
  EXPECT_THAT(ev.log, Contains("RSSTATE 1795519588000133|1795519588000000"));
  EXPECT_THAT(ev.log, Contains("REND 1|1795519494|1795519588|1|1795519522|1795519588|1795519588"));
}

TEST_F(CaptureTest, EverySplitPointOfTheFirst4KiB) {
  Load("uncompressed");
  if (IsSkipped()) {
    return;
  }
  const std::string_view head = std::string_view(text_).substr(0, 4096);
  Decoded ref;
  Decode(&ref, head);
  ASSERT_GT(ref.events.log.size(), 40u);
  for (size_t k = 0; k <= head.size(); ++k) {
    RecordingEvents ev;
    LegacyDecoder d(&ev);
    d.Feed(head.substr(0, k));
    d.Feed(head.substr(k));
    ASSERT_EQ(ev.log, ref.events.log) << "split at " << k;
    ASSERT_EQ(d.line_number(), 1u * std::count(head.begin(), head.end(), '\n'));
  }
}

TEST_F(CaptureTest, OneByteAtATimeEqualsOneShot) {
  Load("uncompressed");
  if (IsSkipped()) {
    return;
  }
  Decoded ref;
  Decode(&ref, text_);
  Decoded bytes;
  Decode(&bytes, text_, {}, 1);
  EXPECT_EQ(bytes.result, LegacyDecoder::Result::kOk);
  EXPECT_EQ(bytes.events.log, ref.events.log);
}

// Every real session, through the fast path and through the general path only: the same events
// and counters, and the fast path takes most lines of the data sessions.
TEST_F(CaptureTest, FastAndGeneralPathsAgreeOnEverySession) {
  const std::string dirs[] = {"uncompressed", "compressed", "replication/1-before-gap",
                              "replication/2-after-gap"};
  for (const std::string& dir : dirs) {
    Load(dir);
    if (IsSkipped()) {
      return;
    }
    LegacyDecoderOptions o;
    o.caps = kCapsNetdata137;
    const Outcome fast = DecodeAll(text_, true, {}, o);
    const Outcome general = DecodeAll(text_, false, {}, o);
    EXPECT_FALSE(fast.closed) << dir << " " << fast.status;
    EXPECT_EQ(fast.Text(), general.Text()) << dir;
    std::vector<size_t> cuts;
    for (size_t at = 16384; at < text_.size(); at += 16384) {
      cuts.push_back(at);  // lz4-sized reads
    }
    EXPECT_EQ(DecodeAll(text_, true, cuts, o).Text(), general.Text()) << dir;
    // With each chart's SET lines offered, as ndrelay's receiver offers them.
    const SetLinesMap set_lines = LearnSetLines(text_);
    uint64_t runs = 0;
    const Outcome with_lines = DecodeAll(text_, true, {}, o, {}, &set_lines, &runs);
    EXPECT_EQ(with_lines.Text(), general.Text()) << dir;
    EXPECT_EQ(with_lines.fast_lines, fast.fast_lines) << dir;
    EXPECT_EQ(DecodeAll(text_, true, cuts, o, {}, &set_lines).Text(), general.Text()) << dir;
    if (dir == "uncompressed") {
      // SET, BEGIN and END are 33716 of its 37235 lines.
      EXPECT_GT(fast.fast_lines, 33000u);
      EXPECT_GT(runs, 5000u);  // about one per BEGIN (5728)
    }
  }
}

// The data part of the real capture (BEGIN/SET/END with real ids and values) at every split point.
TEST_F(CaptureTest, EverySplitPointOfRealDataLines) {
  Load("uncompressed");
  if (IsSkipped()) {
    return;
  }
  const size_t from = text_.find("\nBEGIN ") + 1;
  ASSERT_GT(from, 0u);
  const std::string_view data = std::string_view(text_).substr(from, 3000);
  const std::string_view part = data.substr(0, data.rfind('\n') + 1);
  const Outcome ref = DecodeAll(part, false);
  ASSERT_GT(ref.log.size(), 50u);
  ASSERT_GT(DecodeAll(part, true).fast_lines, 50u);
  const SetLinesMap set_lines = LearnSetLines(part);
  uint64_t runs = 0;
  ASSERT_EQ(DecodeAll(part, true, {}, {}, {}, &set_lines, &runs).Text(), ref.Text());
  ASSERT_GT(runs, 10u);
  for (size_t k = 0; k <= part.size(); ++k) {
    ASSERT_EQ(DecodeAll(part, true, {k}).Text(), ref.Text()) << "split at " << k;
    ASSERT_EQ(DecodeAll(part, true, {k}, {}, {}, &set_lines).Text(), ref.Text()) << "at " << k;
  }
}

TEST_F(CaptureTest, RandomChunksOfTheReplicationSession) {
  Load("replication/2-after-gap");
  if (IsSkipped()) {
    return;
  }
  Decoded ref;
  Decode(&ref, text_);
  RecordingEvents ev;
  LegacyDecoder d(&ev);
  std::mt19937 rng(1);
  for (size_t at = 0; at < text_.size();) {
    const size_t n = std::min<size_t>(1 + rng() % 700, text_.size() - at);
    ASSERT_EQ(d.Feed(std::string_view(text_).substr(at, n)), LegacyDecoder::Result::kOk);
    at += n;
  }
  EXPECT_EQ(ev.log, ref.events.log);
  // And the first 256 KiB one byte at a time.
  const std::string_view head = std::string_view(text_).substr(0, size_t{256} * 1024);
  Decoded ref_head;
  Decode(&ref_head, head);
  Decoded one;
  Decode(&one, head, {}, 1);
  EXPECT_EQ(one.events.log, ref_head.events.log);
}

}  // namespace
}  // namespace ndrelay::bridge
