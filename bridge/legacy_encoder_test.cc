#include "bridge/legacy_encoder.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "bridge/caps.h"
#include "bridge/event_text_test_util.h"
#include "bridge/legacy_decoder.h"
#include "bridge/tokenizer.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test/testutil/captures.h"

namespace ndrelay::bridge {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::IsEmpty;

constexpr uint32_t kV2Hex = kCapInterpolated | kCapSlots;
constexpr uint32_t kV2B64 = kCapInterpolated | kCapIeee754 | kCapSlots;

// ---- canonical text of the events the encoder can produce ----

using event_text::Enum;
using event_text::Rec;
using event_text::Str;

std::string Canon(const ChartEvent& e) {
  return Rec("CHART", e.slot, e.id, e.name, e.title, e.units, e.family, e.context,
             Enum(e.chart_type), e.priority, e.update_every, e.options, e.plugin, e.module);
}
std::string Canon(const DimensionEvent& e) {
  return Rec("DIMENSION", e.slot, e.id, e.name, Enum(e.algorithm), e.multiplier, e.divisor,
             e.options);
}
std::string Canon(const Begin2Event& e) {
  return Rec("BEGIN2", e.slot, e.id, e.update_every, e.end_time_s, e.wall_clock_s);
}
std::string Canon(const Set2Event& e) {
  return Rec("SET2", e.slot, e.id, e.collected, e.value, e.flags);
}
std::string Canon(const ReplayBeginEvent& e) {
  return Rec("RBEGIN", e.slot, e.id, e.has_times, e.start_s, e.end_s, e.wall_clock_s);
}
std::string Canon(const ReplaySetEvent& e) {
  return Rec("RSET", e.slot, e.id, e.value, e.flags, e.gap);
}
std::string Canon(const ReplayDimStateEvent& e) {
  return Rec("RDSTATE", e.slot, e.id, e.last_collected_us, e.last_collected_value,
             e.last_calculated_value, e.last_stored_value);
}
std::string Canon(const ReplayChartStateEvent& e) {
  return Rec("RSSTATE", e.last_collected_us, e.last_updated_us);
}
std::string Canon(const ReplayEndEvent& e) {
  return Rec("REND", e.update_every, e.db_first_s, e.db_last_s, e.start_streaming, e.after_s,
             e.before_s, e.wall_clock_s);
}
std::string Canon(const ChartDefinitionEndEvent& e) {
  return Rec("CHART_DEFINITION_END", e.first_entry_s, e.last_entry_s, e.wall_clock_s);
}

class CanonEvents : public NullLegacyEvents {
 public:
  std::vector<std::string> log;
  std::vector<std::string> errors;

  Verdict OnClaimedId(const ClaimedIdEvent& e) override {
    return Add(Rec("CLAIMED_ID", e.machine_guid, e.claim_id));
  }
  Verdict OnLabel(const LabelEvent& e) override {
    return Add(Rec("LABEL", e.name, e.source, e.value, e.value_words.size()));
  }
  Verdict OnOverwrite(const OverwriteEvent& e) override { return Add(Rec("OVERWRITE", e.what)); }
  Verdict OnChart(const ChartEvent& e) override { return Add(Canon(e)); }
  Verdict OnDimension(const DimensionEvent& e) override { return Add(Canon(e)); }
  Verdict OnChartLabel(const ChartLabelEvent& e) override {
    return Add(Rec("CLABEL", e.name, e.value, e.source));
  }
  Verdict OnChartLabelCommit() override { return Add("CLABEL_COMMIT"); }
  Verdict OnVariable(const VariableEvent& e) override {
    return Add(Rec("VARIABLE", Enum(e.scope), e.name, e.value));
  }
  Verdict OnChartDefinitionEnd(const ChartDefinitionEndEvent& e) override { return Add(Canon(e)); }
  Verdict OnBegin(const BeginEvent& e) override { return Add(Rec("BEGIN", e.id, e.microseconds)); }
  Verdict OnSet(const SetEvent& e) override { return Add(Rec("SET", e.id, e.value)); }
  Verdict OnEnd(const EndEvent&) override { return Add("END"); }
  Verdict OnBegin2(const Begin2Event& e) override { return Add(Canon(e)); }
  Verdict OnSet2(const Set2Event& e) override { return Add(Canon(e)); }
  Verdict OnEnd2() override { return Add("END2"); }
  Verdict OnReplayBegin(const ReplayBeginEvent& e) override { return Add(Canon(e)); }
  Verdict OnReplaySet(const ReplaySetEvent& e) override { return Add(Canon(e)); }
  Verdict OnReplayDimState(const ReplayDimStateEvent& e) override { return Add(Canon(e)); }
  Verdict OnReplayChartState(const ReplayChartStateEvent& e) override { return Add(Canon(e)); }
  Verdict OnReplayEnd(const ReplayEndEvent& e) override { return Add(Canon(e)); }
  Verdict OnFunctionResult(const FunctionResultEvent& e) override {
    return Add(
        Rec("FUNCTION_RESULT", e.transaction, e.status, e.content_type, e.expires_s, e.payload));
  }
  void OnProtocolError(const ProtocolError& e) override {
    errors.push_back(std::string(e.reason) + ": " + std::string(e.line));
  }

 private:
  Verdict Add(std::string s) {
    log.push_back(std::move(s));
    return Verdict::kOk;
  }
};

std::vector<std::string> DecodeAll(std::string_view text, uint32_t caps,
                                   std::vector<std::string>* errors = nullptr) {
  CanonEvents ev;
  LegacyDecoderOptions o;
  o.caps = caps;
  LegacyDecoder d(&ev, o);
  d.Feed(text);
  if (errors != nullptr) {
    *errors = ev.errors;
  }
  return ev.log;
}

// ---- golden lines ----

ChartEvent DiskSpaceChart() {
  ChartEvent c;
  c.id = "disk_space._dev";
  c.name = "";
  c.title = "Disk Space Usage";
  c.units = "GiB";
  c.family = "/dev";
  c.context = "disk.space";
  c.chart_type = ChartType::kStacked;
  c.priority = 2023;
  c.update_every = 1;
  c.plugin = "diskspace.plugin";
  c.module = "";
  return c;
}

TEST(LegacyEncoderTest, V1GoldenLinesMatchNetdata137) {
  const LegacyEncoder enc(0);
  std::string out;
  enc.Chart(&out, DiskSpaceChart());
  ChartEvent flagged = DiskSpaceChart();
  flagged.options = kChartObsolete | kChartHidden;
  flagged.slot = 9;  // ignored without SLOTS
  enc.Chart(&out, flagged);
  DimensionEvent d;
  d.id = "reserved_for_root";
  d.name = "reserved for root";
  d.multiplier = 4096;
  d.divisor = 1073741824;
  enc.Dimension(&out, d);
  d.id = d.name = "idle";
  d.algorithm = Algorithm::kPercentageOfIncrementalRow;
  d.multiplier = d.divisor = 1;
  d.options = kDimHidden;
  enc.Dimension(&out, d);
  d.options = kDimObsolete | kDimNoReset | kDimTypeFloat;
  d.algorithm = Algorithm::kIncremental;
  enc.Dimension(&out, d);
  enc.ChartLabel(&out, "_collect_plugin", "diskspace.plugin", 536870913);
  enc.ChartLabelCommit(&out);
  enc.ChartDefinitionEnd(&out, {1795519426, 1795519427, 1795519427});
  enc.ClaimedId(&out, "00000000-0000-0000-0000-0000000000c1", "NULL");
  enc.Label(&out, "_os_name", 1, "Debian GNU/Linux");
  enc.OverwriteLabels(&out);
  enc.Variable(&out, VariableScope::kHost, "tcp_max_connections", -1);
  enc.Variable(&out, VariableScope::kChart, "pidmax", 32768);
  enc.Begin(&out, "system.cpu", 1000083);
  enc.Set(&out, "user", 1234567);
  enc.Set(&out, "system", CollectedValue{CollectedValue::Kind::kDouble, 0, 4.25});
  enc.Set(&out, "none", CollectedValue{});
  enc.End(&out);
  LegacyEncoder::ReplayChart(&out, "system.cpu", false, 1719996400, 1719997000);
  LegacyEncoder::ReplayChart(&out, "disk_space._dev", true, 1795519426, 1795519427);
  EXPECT_EQ(out,
            "CHART \"disk_space._dev\" \"\" \"Disk Space Usage\" \"GiB\" \"/dev\" \"disk.space\" "
            "\"stacked\" 2023 1 \"   \" \"diskspace.plugin\" \"\"\n"
            "CHART \"disk_space._dev\" \"\" \"Disk Space Usage\" \"GiB\" \"/dev\" \"disk.space\" "
            "\"stacked\" 2023 1 \"obsolete   hidden\" \"diskspace.plugin\" \"\"\n"
            "DIMENSION \"reserved_for_root\" \"reserved for root\" \"absolute\" 4096 1073741824 "
            "\"  \"\n"
            "DIMENSION \"idle\" \"idle\" \"percentage-of-incremental-row\" 1 1 \" hidden \"\n"
            "DIMENSION \"idle\" \"idle\" \"incremental\" 1 1 \"obsolete  noreset type=float\"\n"
            "CLABEL \"_collect_plugin\" \"diskspace.plugin\" 536870913\n"
            "CLABEL_COMMIT\n"
            "CHART_DEFINITION_END 1795519426 1795519427 1795519427\n"
            "CLAIMED_ID \"00000000-0000-0000-0000-0000000000c1\" \"NULL\"\n"
            "LABEL \"_os_name\" = 1 \"Debian GNU/Linux\"\n"
            "OVERWRITE labels\n"
            "VARIABLE HOST \"tcp_max_connections\" = -1\n"
            "VARIABLE CHART \"pidmax\" = 32768\n"
            "BEGIN \"system.cpu\" 1000083\n"
            "SET \"user\" = 1234567\n"
            "SET \"system\" = 4.25\n"
            "SET \"none\" = \"\"\n"
            "END\n"
            "REPLAY_CHART \"system.cpu\" \"false\" 1719996400 1719997000\n"
            "REPLAY_CHART \"disk_space._dev\" \"true\" 1795519426 1795519427\n");
}

TEST(LegacyEncoderTest, V2MatchesSpecExamples) {
  Begin2Event b;
  b.slot = 3;
  b.id = "system.cpu";
  b.update_every = 1;
  b.end_time_s = 1720000000;
  b.wall_clock_s = 1720000000;
  Set2Event s;
  s.slot = 1;
  s.id = "user";
  s.collected = {CollectedValue::Kind::kInt, 4711, 0};
  s.value = 4.2;
  s.flags = kSampleNotAnomalous;
  {
    std::string out;
    const LegacyEncoder enc(kCapInterpolated);  // no IEEE754, no SLOTS
    enc.Begin2(&out, b);
    enc.Set2(&out, s);
    enc.End2(&out);
    EXPECT_EQ(out,
              "BEGIN2 \"system.cpu\" 0x1 0x66851E00 #\n"
              "SET2 \"user\" 0x1267 4.2 A\n"
              "END2\n");
  }
  {
    std::string out;
    const LegacyEncoder enc(kV2B64);
    enc.Begin2(&out, b);
    enc.Set2(&out, s);
    enc.End2(&out);
    EXPECT_EQ(out,
              "BEGIN2 SLOT:#D \"system.cpu\" #B #BmhR4A #\n"
              "SET2 SLOT:#B \"user\" #BJn @EAQzMzMzMzN A\n"
              "END2\n");
  }
  {
    std::string out;
    const LegacyEncoder enc(kV2Hex);
    b.wall_clock_s = 1720000001;
    enc.Begin2(&out, b);
    s.value = 4711;  // equals collected: '#'
    s.flags = kSampleReset | kSampleNotAnomalous;
    enc.Set2(&out, s);
    s.flags = kSampleEmpty | kSampleReset;
    s.value = std::nan("");
    enc.Set2(&out, s);
    s.flags = 0;
    s.collected = {CollectedValue::Kind::kInt, -5, 0};
    s.value = -2.5;
    enc.Set2(&out, s);
    EXPECT_EQ(out,
              "BEGIN2 SLOT:0x3 \"system.cpu\" 0x1 0x66851E00 0x66851E01\n"
              "SET2 SLOT:0x1 \"user\" 0x1267 # AR\n"
              "SET2 SLOT:0x1 \"user\" 0x1267 null E\n"
              "SET2 SLOT:0x1 \"user\" -0x5 -2.5 ''\n");
  }
}

TEST(LegacyEncoderTest, Begin2WallClockNeverBase64) {
  // Netdata reads any '#'-word in the wall clock field as "same as end time".
  Begin2Event b;
  b.id = "c";
  b.update_every = 1;
  b.end_time_s = 1720000000;
  b.wall_clock_s = 1720000001;
  std::string out;
  LegacyEncoder(kV2B64).Begin2(&out, b);
  EXPECT_EQ(out, "BEGIN2 \"c\" #B #BmhR4A 0x66851E01\n");
  std::vector<std::string> errors;
  EXPECT_THAT(DecodeAll(out, kV2B64, &errors), ElementsAre("BEGIN2 0|c|1|1720000000|1720000001"));
}

TEST(LegacyEncoderTest, ReplicationGoldenLines) {
  ReplaySetEvent rs;
  rs.id = "user";
  rs.value = 2.5;
  ReplayDimStateEvent ds;
  ds.id = "user";
  ds.last_collected_us = 1795519588000131;
  ds.last_collected_value = {CollectedValue::Kind::kInt, 281139, 0};
  ds.last_calculated_value = 0.000409;
  ds.last_stored_value = 3.074591;
  const ReplayEndEvent end{1, 1795519494, 1795519588, true, 1795519522, 1795519588, 1795519588};
  {
    const LegacyEncoder enc(0);
    std::string out;
    enc.ReplayBegin(&out, 0, "system.cpu");
    enc.ReplayBeginPoint(&out, 0, 1719996400, 1719996401, 1720000002);
    enc.ReplaySet(&out, rs);
    rs.value = std::nan("");
    enc.ReplaySet(&out, rs);
    rs.value = 1;
    rs.flags = kSampleReset;
    enc.ReplaySet(&out, rs);
    enc.ReplayDimState(&out, ds);
    enc.ReplayChartState(&out, {1795519588000133, 1795519588000000});
    enc.ReplayEnd(&out, end);
    EXPECT_EQ(out,
              "RBEGIN \"system.cpu\"\n"
              "RBEGIN '' 1719996400 1719996401 1720000002\n"
              "RSET \"user\" 2.5 ''\n"
              "RSET \"user\" NAN E\n"
              "RSET \"user\" 1 R\n"
              "RDSTATE \"user\" 1795519588000131 281139 0.000409 3.074591\n"
              "RSSTATE 1795519588000133 1795519588000000\n"
              "REND 1 1795519494 1795519588 true 1795519522 1795519588 1795519588\n");
  }
  {
    const LegacyEncoder enc(kCapIeee754 | kCapSlots);
    std::string out;
    enc.ReplayBegin(&out, 3, "system.cpu");
    enc.ReplayBeginPoint(&out, 3, 1720000000, 1720000001, 1720000002);
    rs.slot = 1;
    rs.value = 4.2;
    rs.flags = kSampleNotAnomalous;
    enc.ReplaySet(&out, rs);
    enc.ReplayChartState(&out, {1, 2});
    enc.ReplayEnd(&out, {1, 0, 1720000000, false, 0, 1, 0});
    EXPECT_EQ(out,
              "RBEGIN SLOT:#D \"system.cpu\"\n"
              "RBEGIN SLOT:#D '' #BmhR4A #BmhR4B #BmhR4C\n"
              "RSET SLOT:#B \"user\" @EAQzMzMzMzN A\n"
              "RSSTATE #B #C\n"
              "REND #B #A #BmhR4A false #A #B #A\n");
  }
}

TEST(LegacyEncoderTest, QuotingSanitisesWhatTheTokenizerCannotCarry) {
  struct Case {
    std::string_view text;
    std::string_view quoted;
    std::string_view word;  // what the tokenizer gives back
  };
  const Case cases[] = {
      {"plain", "\"plain\"", "plain"},
      {"", "\"\"", ""},
      {"with space = and\ttab", "\"with space = and\ttab\"", "with space = and\ttab"},
      {"it's", "\"it's\"", "it's"},
      {"say \"hi\"", "'say \"hi\"'", "say \"hi\""},
      {"both ' and \"", "\"both ' and '\"", "both ' and '"},
      {"line\nbreak\r", "\"line break \"", "line break "},
      {"back\\slash", "\"back\\slash\"", "back\\slash"},
      {"ends\\", "\"ends/\"", "ends/"},
      {"ends\\\\", "\"ends\\\\\"", "ends\\\\"},
      {"ends\\\\\\", "\"ends\\\\/\"", "ends\\\\/"},
      {"\\\"", "'\\\"'", "\\\""},
  };
  for (const Case& c : cases) {
    std::string out;
    AppendQuoted(&out, c.text);
    EXPECT_EQ(out, c.quoted) << c.text;
    std::string_view words[4];
    const std::string line = "X " + out + " Y";
    ASSERT_EQ(Tokenize(line, words, 4), 3u) << line;
    EXPECT_EQ(words[1], c.word) << line;
    EXPECT_EQ(words[2], "Y") << line;
  }
  // Random text from a hostile alphabet always comes back as exactly one word.
  std::mt19937 rng(5);
  const std::string_view alphabet = "ab \"'\\=\t\r\n";
  for (int i = 0; i < 20000; ++i) {
    std::string text;
    const int len = static_cast<int>(rng() % 12);
    for (int k = 0; k < len; ++k) {
      text += alphabet[rng() % alphabet.size()];
    }
    std::string line = "X ";
    AppendQuoted(&line, text);
    line += " Y";
    std::string_view words[4];
    ASSERT_EQ(Tokenize(line, words, 4), 3u) << line;
    ASSERT_EQ(words[2], "Y") << line;
    ASSERT_EQ(words[1].size(), text.size()) << line;
    if (text.find_first_of("\"'\\\r\n") == std::string::npos) {
      ASSERT_EQ(words[1], text);
    }
  }
}

TEST(LegacyEncoderTest, AppendsWithoutReallocating) {
  const LegacyEncoder enc(kV2B64);
  std::string out;
  out.reserve(1 << 20);
  const char* data = out.data();
  Set2Event s;
  s.id = "user";
  s.collected = {CollectedValue::Kind::kInt, 4711, 0};
  s.value = 4.2;
  for (int i = 0; i < 10000; ++i) {
    enc.Set2(&out, s);
  }
  EXPECT_EQ(out.data(), data);
  EXPECT_EQ(out.size(), 10000u * std::string_view("SET2 \"user\" #BJn @EAQzMzMzMzN ''\n").size());
}

// ---- round trips through the decoder ----

TEST(LegacyEncoderTest, RoundTripV1) {
  const LegacyEncoder enc(0);
  std::string out;
  std::vector<std::string> want;
  ChartEvent c = DiskSpaceChart();
  for (uint8_t opts = 0; opts < 16; ++opts) {
    c.options = opts;
    c.chart_type = static_cast<ChartType>(opts % 4);
    c.title = opts % 2 ? "quote \" inside" : "it's";
    enc.Chart(&out, c);
    want.push_back(Canon(c));
  }
  DimensionEvent d;
  std::vector<std::string> ids;  // owns what the views in `d` point at
  for (uint8_t opts = 0; opts < 16; ++opts) {
    ids.push_back("dim" + std::to_string(opts));
    d.id = ids.back();
    d.name = opts % 3 ? "" : "named one";
    d.algorithm = static_cast<Algorithm>(opts % 4);
    d.options = opts;
    d.multiplier = -static_cast<int64_t>(opts) - 1;
    d.divisor = 1000000000000LL + opts;
    enc.Dimension(&out, d);
    want.push_back(Canon(d));
  }
  enc.ChartLabel(&out, "k", "v w", -1610612735);
  want.push_back("CLABEL k|v w|-1610612735");
  enc.ChartLabelCommit(&out);
  want.push_back("CLABEL_COMMIT");
  enc.ChartDefinitionEnd(&out, {-1, 0, 1795519427});
  want.push_back("CHART_DEFINITION_END -1|0|1795519427");
  enc.Variable(&out, VariableScope::kLocal, "v", 0.125);
  want.push_back("VARIABLE 4|v|0.125");
  enc.Begin(&out, "system.cpu", 0);
  want.push_back("BEGIN system.cpu|0");
  for (int64_t v : {int64_t{0}, int64_t{-1}, std::numeric_limits<int64_t>::max(),
                    std::numeric_limits<int64_t>::min(), int64_t{8}}) {
    enc.Set(&out, "d", v);
    want.push_back("SET d|i:" + std::to_string(v));
  }
  enc.Set(&out, "f", CollectedValue{CollectedValue::Kind::kDouble, 0, -12.5});
  want.push_back("SET f|d:-12.5");
  enc.Set(&out, "e", CollectedValue{});
  want.push_back("SET e|empty");
  enc.End(&out);
  want.push_back("END");
  enc.ClaimedId(&out, "guid", "NULL");
  want.push_back("CLAIMED_ID guid|NULL");
  enc.Label(&out, "_k", 2, "multi word value");
  want.push_back("LABEL _k|2|multi word value|1");
  enc.OverwriteLabels(&out);
  want.push_back("OVERWRITE labels");
  enc.FunctionResult(&out, "tx", 200, "application/json", 1720000000, "{\n \"a\": 1\n}");
  want.push_back("FUNCTION_RESULT tx|200|application/json|1720000000|{\n \"a\": 1\n}\n");
  enc.FunctionResult(&out, "tx2", 404, "text/plain", 0, "");
  want.push_back("FUNCTION_RESULT tx2|404|text/plain|0|");
  std::vector<std::string> errors;
  EXPECT_THAT(DecodeAll(out, 0, &errors), ElementsAreArray(want));
  EXPECT_THAT(errors, IsEmpty());
}

// Random v2 and replication streams in every dialect come back field for field.
TEST(LegacyEncoderTest, RoundTripV2AndReplicationEveryDialect) {
  std::mt19937_64 rng(99);
  auto rnd_int = [&]() -> int64_t {
    const uint64_t bits = rng() >> (rng() % 64);
    return static_cast<int64_t>(rng() % 2 ? bits : 0 - bits);
  };
  // Values that the 7-digit decimal form carries exactly.
  auto rnd_decimal = [&]() -> double {
    return static_cast<double>(static_cast<int64_t>(rng() % 2000001) - 1000000) / 8;
  };
  for (uint32_t caps : {0u, uint32_t{kCapInterpolated}, kV2Hex, kV2B64, uint32_t{kCapIeee754}}) {
    const bool ieee = (caps & kCapIeee754) != 0;
    const bool slots = (caps & kCapSlots) != 0;
    const LegacyEncoder enc(caps);
    std::string out;
    std::vector<std::string> want;
    for (int i = 0; i < 300; ++i) {
      auto rnd_double = [&]() -> double {
        if (!ieee) {
          return rnd_decimal();
        }
        const double v = std::bit_cast<double>(rng());
        return std::isnan(v) ? 1.5 : v;
      };
      Begin2Event b;
      b.slot = slots ? rng() % 5 : 0;
      b.id = "chart.x";
      b.update_every = rnd_int();
      b.end_time_s = rnd_int();
      b.wall_clock_s = rng() % 3 ? rnd_int() : b.end_time_s;
      enc.Begin2(&out, b);
      want.push_back(Canon(b));
      Set2Event s;
      s.slot = slots ? rng() % 5 : 0;
      s.id = "dim y";
      if (rng() % 4 == 0) {
        // A float collected value must not look like an integer in the decimal dialect: the
        // text "5" decodes as an integer (the receiver knows the dimension's type).
        s.collected = {CollectedValue::Kind::kDouble, 0,
                       ieee ? rnd_double() : std::floor(rnd_decimal()) + 0.5};
      } else {
        s.collected = {CollectedValue::Kind::kInt, rnd_int(), 0};
      }
      s.value = rng() % 3 ? rnd_double() : static_cast<double>(s.collected.i);
      if (s.collected.kind == CollectedValue::Kind::kDouble && rng() % 2) {
        s.value = s.collected.d;
      }
      s.flags = static_cast<uint8_t>(rng() % 8);
      if ((s.flags & kSampleEmpty) != 0) {
        s.flags = kSampleEmpty;  // E wins and is written alone
      }
      enc.Set2(&out, s);
      want.push_back(Canon(s));
      enc.End2(&out);
      want.push_back("END2");

      const Slot rslot = slots ? rng() % 5 : 0;
      enc.ReplayBegin(&out, rslot, "chart.x");
      want.push_back(Canon(ReplayBeginEvent{rslot, "chart.x", false, 0, 0, 0}));
      const ReplayBeginEvent point{rslot, "", true, rnd_int(), rnd_int(), rnd_int()};
      enc.ReplayBeginPoint(&out, point.slot, point.start_s, point.end_s, point.wall_clock_s);
      want.push_back(Canon(point));
      ReplaySetEvent rs;
      rs.slot = slots ? rng() % 5 : 0;
      rs.id = "d";
      rs.value = rnd_double();
      rs.flags = rng() % 2 ? kSampleReset : 0;
      enc.ReplaySet(&out, rs);
      want.push_back(Canon(rs));
      ReplayDimStateEvent ds;
      ds.slot = slots ? rng() % 5 : 0;
      ds.id = "d";
      ds.last_collected_us = rnd_int();
      ds.last_collected_value = {CollectedValue::Kind::kInt, rnd_int(), 0};
      ds.last_calculated_value = rnd_double();
      ds.last_stored_value = rnd_double();
      enc.ReplayDimState(&out, ds);
      want.push_back(Canon(ds));
      const ReplayChartStateEvent cs{rnd_int(), rnd_int()};
      enc.ReplayChartState(&out, cs);
      want.push_back(Canon(cs));
      const ReplayEndEvent re{rnd_int(), rnd_int(), rnd_int(), rng() % 2 == 0,
                              rnd_int(), rnd_int(), rnd_int()};
      enc.ReplayEnd(&out, re);
      want.push_back(Canon(re));
    }
    // A gap: NaN goes out as NAN/'@' bits with E and comes back as a gap.
    enc.ReplayBegin(&out, 0, "c");
    ReplaySetEvent gap;
    gap.id = "g";
    gap.value = std::nan("");
    enc.ReplaySet(&out, gap);
    want.push_back(Canon(ReplayBeginEvent{0, "c", false, 0, 0, 0}));
    want.push_back(Rec("RSET", Slot{0}, "g", std::nan(""), uint8_t{kSampleEmpty}, true));
    std::vector<std::string> errors;
    const std::vector<std::string> got = DecodeAll(out, caps, &errors);
    ASSERT_THAT(errors, IsEmpty()) << caps;
    ASSERT_EQ(got.size(), want.size()) << caps;
    for (size_t i = 0; i < got.size(); ++i) {
      ASSERT_EQ(got[i], want[i]) << "caps " << caps << " line " << i;
    }
  }
}

// ---- real Netdata 1.37.1 traffic ----

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

std::vector<std::string_view> Lines(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    lines.push_back(text.substr(0, nl));
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
  }
  return lines;
}

// Re-encodes every decoded event with the v1 encoder, one line per event.
class ReencodingEvents : public NullLegacyEvents {
 public:
  std::string out;
  Verdict OnClaimedId(const ClaimedIdEvent& e) override {
    enc_.ClaimedId(&out, e.machine_guid, e.claim_id);
    return Verdict::kOk;
  }
  Verdict OnLabel(const LabelEvent& e) override {
    enc_.Label(&out, e.name, e.source, e.value);
    return Verdict::kOk;
  }
  Verdict OnOverwrite(const OverwriteEvent&) override {
    enc_.OverwriteLabels(&out);
    return Verdict::kOk;
  }
  Verdict OnChart(const ChartEvent& e) override {
    enc_.Chart(&out, e);
    return Verdict::kOk;
  }
  Verdict OnDimension(const DimensionEvent& e) override {
    enc_.Dimension(&out, e);
    return Verdict::kOk;
  }
  Verdict OnChartLabel(const ChartLabelEvent& e) override {
    enc_.ChartLabel(&out, e.name, e.value, e.source);
    return Verdict::kOk;
  }
  Verdict OnChartLabelCommit() override {
    enc_.ChartLabelCommit(&out);
    return Verdict::kOk;
  }
  Verdict OnVariable(const VariableEvent& e) override {
    enc_.Variable(&out, e.scope, e.name, e.value);
    return Verdict::kOk;
  }
  Verdict OnChartDefinitionEnd(const ChartDefinitionEndEvent& e) override {
    enc_.ChartDefinitionEnd(&out, e);
    return Verdict::kOk;
  }
  Verdict OnBegin(const BeginEvent& e) override {
    enc_.Begin(&out, e.id, e.microseconds);
    return Verdict::kOk;
  }
  Verdict OnSet(const SetEvent& e) override {
    enc_.Set(&out, e.id, e.value);
    return Verdict::kOk;
  }
  Verdict OnEnd(const EndEvent&) override {
    enc_.End(&out);
    return Verdict::kOk;
  }
  Verdict OnReplayBegin(const ReplayBeginEvent& e) override {
    if (e.has_times) {
      enc_.ReplayBeginPoint(&out, e.slot, e.start_s, e.end_s, e.wall_clock_s);
    } else {
      enc_.ReplayBegin(&out, e.slot, e.id);
    }
    return Verdict::kOk;
  }
  Verdict OnReplaySet(const ReplaySetEvent& e) override {
    enc_.ReplaySet(&out, e);
    return Verdict::kOk;
  }
  Verdict OnReplayDimState(const ReplayDimStateEvent& e) override {
    enc_.ReplayDimState(&out, e);
    return Verdict::kOk;
  }
  Verdict OnReplayChartState(const ReplayChartStateEvent& e) override {
    enc_.ReplayChartState(&out, e);
    return Verdict::kOk;
  }
  Verdict OnReplayEnd(const ReplayEndEvent& e) override {
    enc_.ReplayEnd(&out, e);
    return Verdict::kOk;
  }

 private:
  LegacyEncoder enc_{0};
};

TEST(LegacyEncoderCaptureTest, ReencodingARealSessionGivesTheSameBytes) {
  for (std::string dir : {"uncompressed", "replication/2-after-gap"}) {
    std::string text;
    if (!ReadFile(CapturesDir() + "/" + dir + "/conn1.c2s.decoded.txt", &text)) {
      GTEST_SKIP() << "captures not found (set NDRELAY_CAPTURES_DIR)";
    }
    ReencodingEvents ev;
    LegacyDecoder d(&ev);
    ASSERT_EQ(d.Feed(text), LegacyDecoder::Result::kOk);
    const std::vector<std::string_view> in = Lines(text);
    const std::vector<std::string_view> out = Lines(ev.out);
    ASSERT_EQ(in.size(), out.size()) << dir;
    // Byte for byte, except where 1.37 prints differently from us (all still equivalent):
    // CLAIMED_ID unquoted, VARIABLE names unquoted, "%0.7f" doubles, RSET flags as "".
    size_t exact = 0;
    for (size_t i = 0; i < in.size(); ++i) {
      const std::string_view kw = in[i].substr(0, in[i].find(' '));
      if (kw == "CLAIMED_ID" || kw == "VARIABLE" || kw == "RSET" || kw == "RDSTATE") {
        continue;
      }
      ASSERT_EQ(out[i], in[i]) << dir << " line " << i + 1;
      ++exact;
    }
    EXPECT_GT(exact, in.size() / 3) << dir;
    // Every line means the same thing.
    const std::vector<std::string> a = DecodeAll(ev.out, 0);
    const std::vector<std::string> b = DecodeAll(text, 0);
    ASSERT_EQ(a.size(), b.size());
    for (size_t i = 0; i < a.size(); ++i) {
      ASSERT_EQ(a[i], b[i]) << dir << " event " << i;
    }
  }
}

TEST(LegacyEncoderCaptureTest, ReplayChartMatchesTheRealParent) {
  std::string s2c;
  if (!ReadFile(CapturesDir() + "/uncompressed/conn1.s2c.txt", &s2c)) {
    GTEST_SKIP() << "captures not found (set NDRELAY_CAPTURES_DIR)";
  }
  std::string out;
  size_t n = 0;
  for (std::string_view line : Lines(s2c)) {
    std::string_view w[8];
    ASSERT_EQ(Tokenize(line, w, 8), 5u) << line;
    ASSERT_EQ(w[0], "REPLAY_CHART");
    int64_t after = 0;
    int64_t before = 0;
    ASSERT_TRUE(ParseInt64(w[3], &after));
    ASSERT_TRUE(ParseInt64(w[4], &before));
    out.clear();
    LegacyEncoder::ReplayChart(&out, w[1], w[2] == "true", after, before);
    ASSERT_EQ(out, std::string(line) + "\n");
    ++n;
  }
  EXPECT_EQ(n, 211u);
}

}  // namespace
}  // namespace ndrelay::bridge
